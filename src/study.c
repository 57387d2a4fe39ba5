/* study.c - the sweep and collect commands (see study.h); each run is run.c's. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "collect.h"
#include "csv.h"
#include "pool.h"
#include "report.h"
#include "run.h"
#include "rundir.h"
#include "sweep.h"

typedef struct {
    char *dir;               /* the run's directory */
    char *text;              /* its overrides, "model.hidden=64, train.seed=2" */
    unsigned long long seed;
    long point;
    RunStatus status;
} Item;

typedef struct {
    const StudyOpts *opt;
    const Config *base;
    char dir[PARAMS_PATH_MAX + 16]; /* the sweep directory */
    long n;
    Item *items;
    long *pending;           /* indices still to run, ascending */
    long n_pending;
    int jobs, threads;       /* runs at once, threads each */
    Progress *progress;
    bool epoch_lines;
    long index;              /* --index: the one run to check and run; -1 = all */
    FILE *lock;              /* the sweep directory's lock file (rundir_sweep_lock_open) */
    bool waiting;            /* wait for a run another process holds, instead of deferring it */
    mtx_t mu;                /* guards what follows and sweep.csv */
    long *deferred;          /* runs another process held when their turn came */
    long n_deferred;
    long holder;             /* the process that held the last one deferred */
    long done, failed, by_other; /* by_other: finished by another process meanwhile */
    double t_start, busy;    /* busy: seconds of finished runs */
    int code;                /* worst exit code so far */
} Study;

/* Builds the single-run config of run index into pc (initialized here; the caller frees):
 * the file, --set, then the run's overrides, finished with a name derived from them.
 * Returns -1 when done, else the exit code with the error printed. */
static int point_config(const Study *st, long index, Config *pc, SweepPoint *pt, char *context,
                        size_t context_size)
{
    Err e;
    sweep_point(&st->base->sweep, index, pt);
    char text[2048];
    sweep_point_text(pt, text, sizeof text);
    snprintf(context, context_size, "run %ld of %ld: %s", index, st->n, text);
    config_init(pc);
    const StudyOpts *o = st->opt;
    if (config_load(pc, o->config_path, o->overrides, o->n_overrides, false, &e) < 0)
        return run_fail(pc, EXIT_USAGE, &e, NULL);
    if (config_apply_point(pc, pt, &e) < 0)
        return run_fail(pc, EXIT_USAGE, &e, context);
    pc->run.output.name[0] = '\0'; /* output.name names the sweep; runs are named by values */
    if (config_finish(pc, &e) < 0)
        return run_fail(pc, EXIT_USAGE, &e, context);
    return -1;
}

static int compare_dirs(const void *a, const void *b)
{
    const Item *x = *(const Item *const *)a, *y = *(const Item *const *)b;
    return strcmp(x->dir, y->dir);
}

/* Resolves and checks every run before any starts: its config, its plan (data, schedule,
 * memory), that no two share a directory, and that a directory already there holds a run
 * of the same config (never overwritten otherwise). Fills st->items. */
static int validate(Study *st)
{
    Err e;
    double biggest = 0; /* the largest run's memory estimate */
    for (long i = 0; i < st->n; i++) {
        Config pc;
        SweepPoint pt;
        char context[2200];
        int code = point_config(st, i, &pc, &pt, context, sizeof context);
        /* An array task (--index) plans its own run only: the others are planned by the
         * command that submitted the array (--status) and by their own tasks. */
        bool checked = st->index < 0 || st->index == i;
        RunPlan plan;
        if (code < 0 && checked &&
            (code = run_plan(&pc, true, st->opt->force, st->threads, &plan, &e)) >= 0)
            run_fail(&pc, code, &e, context);
        if (code >= 0) {
            config_free(&pc);
            return code;
        }
        if (checked && plan.mem.total > biggest)
            biggest = plan.mem.total;
        char dir[PARAMS_PATH_MAX * 2 + 16];
        snprintf(dir, sizeof dir, "%s/%s", st->dir, pc.run.output.name);
        Item *it = &st->items[i];
        it->dir = xstrdup(dir);
        char text[2048];
        sweep_point_text(&pt, text, sizeof text);
        it->text = xstrdup(text);
        it->seed = pc.run.train.seed;
        it->point = pt.point;
        it->status = rundir_status(dir);
        if (checked && it->status != RUN_PENDING) {
            char path[sizeof dir + 16], key[512];
            snprintf(path, sizeof path, "%s/" RUNDIR_CONFIG, dir);
            Config old;
            config_init(&old);
            if (config_load_file(&old, path, &e) < 0 || config_finish(&old, &e) < 0) {
                fprintf(stderr, "mlptrain: %s: holds a config.ini that does not load (%s); a "
                        "sweep never overwrites it: remove the directory or choose another -o\n",
                        dir, e.msg);
                code = EXIT_USAGE;
            } else if (config_diff(&old, &pc, key, sizeof key)) {
                fprintf(stderr, "mlptrain: %s: holds a run of a different config (%s as in %s); "
                        "a sweep never overwrites it: remove the directory or choose another -o\n",
                        dir, key, context);
                code = EXIT_USAGE;
            }
            config_free(&old);
        }
        config_free(&pc);
        if (code >= 0)
            return code;
    }
    /* Each run was checked alone; --jobs runs several at once. */
    const char *what;
    long long avail = util_memory_available(&what);
    if (st->jobs > 1 && !st->opt->force && avail >= 0 && biggest * st->jobs > (double)avail) {
        char need[32], one[32], have[32];
        util_format_bytes(need, sizeof need, biggest * st->jobs);
        util_format_bytes(one, sizeof one, biggest);
        util_format_bytes(have, sizeof have, (double)avail);
        fprintf(stderr, "mlptrain: %s: %d runs at once need up to %s (%s each) but %s is "
                "available (%s); expected fewer --jobs, or --force to try anyway\n",
                st->base->source, st->jobs, need, one, have, what);
        return EXIT_USAGE;
    }
    Item **sorted = xmalloc((size_t)st->n * sizeof *sorted);
    for (long i = 0; i < st->n; i++)
        sorted[i] = &st->items[i];
    qsort(sorted, (size_t)st->n, sizeof *sorted, compare_dirs);
    int code = -1;
    for (long i = 1; i < st->n && code < 0; i++)
        if (strcmp(sorted[i - 1]->dir, sorted[i]->dir) == 0) {
            fprintf(stderr, "mlptrain: %s: two runs would share the directory %s (%s; %s); "
                    "expected values that differ in their names\n", st->base->source,
                    sorted[i]->dir, sorted[i - 1]->text, sorted[i]->text);
            code = EXIT_USAGE;
        }
    free(sorted);
    return code;
}

/* sweep.csv: one row per run, whole or absent. Called with st->mu held (or alone). */
static void write_index(const Study *st)
{
    static const char *const cols[] = {"index", "point", "seed", "overrides", "run_dir",
                                       "status"};
    char path[sizeof st->dir + 16];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP, st->dir);
    Err e;
    AtomicFile af;
    if (util_mkdirs(st->dir, &e) < 0 || util_atomic_open(&af, path, &e) < 0) {
        fprintf(stderr, "mlptrain: %s\n", e.msg);
        return;
    }
    CsvWriter w;
    csv_attach_file(&w, &af, cols, (int)(sizeof cols / sizeof cols[0]));
    size_t skip = strlen(st->dir) + 1;
    for (long i = 0; i < st->n; i++) {
        const Item *it = &st->items[i];
        csv_long(&w, i);
        csv_long(&w, it->point);
        csv_ullong(&w, it->seed);
        csv_str(&w, it->text);
        csv_str(&w, it->dir + skip);
        csv_str(&w, result_status_names[it->status]);
        csv_end_row(&w, NULL);
    }
    if (csv_commit(&w, &af, &e) < 0)
        fprintf(stderr, "mlptrain: %s\n", e.msg);
}

/* sweep.ini: the command as typed, where it ran, and the config file's bytes as read, so
 * that the study page can show how its runs were made. Written when the sweep starts its
 * runs (by an array task only when missing); a failure is reported, the runs go on. */
static void write_record(const Study *st)
{
    const StudyOpts *o = st->opt;
    char path[sizeof st->dir + 16];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_RECORD, st->dir);
    Err e;
    char *text = NULL;
    size_t len = 0;
    AtomicFile af;
    if (util_read_file(o->config_path, 16L << 20, &text, &len, &e) < 0 ||
        util_atomic_open(&af, path, &e) < 0) {
        fprintf(stderr, "mlptrain: %s: not written: %s\n", path, e.msg);
        free(text);
        return;
    }
    fputs(RUNDIR_RECORD_COMMAND, af.f);
    for (int i = 0; i < o->argc; i++) {
        char *w = util_shell_word(o->argv[i]);
        fprintf(af.f, "%s%s", i ? " " : "", w);
        free(w);
    }
    char *where = realpath(".", NULL);
    fprintf(af.f, "\n" RUNDIR_RECORD_WHERE "%s\n", where ? where : "?");
    free(where);
    fwrite(text, 1, len, af.f);
    free(text);
    if (util_atomic_commit(&af, &e) < 0)
        fprintf(stderr, "mlptrain: %s\n", e.msg);
}

static void show_header(Study *st)
{
    char line[PARAMS_PATH_MAX + 256], eta[32];
    long running = st->n_pending - st->done;
    if (running > st->jobs)
        running = st->jobs;
    double per_run = st->done ? st->busy / (double)st->done : -1;
    double left = per_run < 0 ? -1 : per_run * (double)(st->n_pending - st->done) / st->jobs;
    progress_format_duration(eta, sizeof eta, left);
    snprintf(line, sizeof line, "sweep %s: %ld/%ld runs done%s, %ld running, ETA %s", st->dir,
             st->done, st->n_pending, st->failed ? " (some failed)" : "", running, eta);
    progress_header(st->progress, line);
}

/* Takes run i's lock for this process. Another process holding it (a second sweep of the
 * same config into the same directory, an array task) is running the run: without
 * st->waiting the run is deferred (false); with it, this waits for the run to end (every
 * 0.2 s, so a stop is seen), then takes it: false only when stopped. */
static bool take_run(Study *st, long i)
{
    bool said = false;
    long holder;
    while ((holder = rundir_sweep_lock_run(st->lock, i)) != 0) {
        if (!st->waiting || (st->opt->stop && *st->opt->stop)) {
            mtx_lock(&st->mu);
            if (!st->waiting)
                st->deferred[st->n_deferred++] = i;
            st->holder = holder;
            mtx_unlock(&st->mu);
            return false;
        }
        if (!said && !st->opt->quiet)
            fprintf(stderr, "mlptrain: [run %ld] process %ld is running it; waiting for it to "
                    "end\n", i, holder);
        said = true;
        thrd_sleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
    }
    return true;
}

/* Runs one pending run of the sweep, on a job thread (slot). */
static void job(void *ctx, long k, int slot)
{
    Study *st = ctx;
    long i = st->pending[k];
    Item *it = &st->items[i];
    if (!take_run(st, i))
        return;
    /* Under the run's lock: another process may have finished it since it was listed. */
    RunStatus now = rundir_status(it->dir);
    if (rundir_finished(now)) {
        rundir_sweep_unlock_run(st->lock, i);
        mtx_lock(&st->mu);
        it->status = now;
        st->by_other++;
        st->done++;
        show_header(st);
        mtx_unlock(&st->mu);
        return;
    }
    Config pc;
    SweepPoint pt;
    char context[2200], prefix[64], label[128];
    Err e;
    double t0 = util_now();
    int code = point_config(st, i, &pc, &pt, context, sizeof context);
    RunPlan plan;
    if (code < 0 && (code = run_plan(&pc, true, st->opt->force, st->threads, &plan, &e)) >= 0)
        run_fail(&pc, code, &e, context);
    /* An interrupted or killed run continues from its checkpoint when it has one (run_train
     * starts it again if the checkpoint turns out unusable); any other starts afresh. */
    char ckpt[PARAMS_PATH_MAX * 2 + 32];
    snprintf(ckpt, sizeof ckpt, "%s/%s", it->dir, RUNDIR_CHECKPOINT);
    bool resume = (now == RUN_INTERRUPTED || now == RUN_INCOMPLETE) &&
                  util_file_size(ckpt, NULL) >= 0;
    if (code < 0 && !resume && rundir_clear(it->dir, &e) < 0)
        code = run_fail(&pc, EXIT_RUNTIME, &e, context);
    if (code < 0) {
        snprintf(prefix, sizeof prefix, "[run %ld] ", i);
        snprintf(label, sizeof label, "[run %ld] ", i);
        RunOpts o = {.run_dir = it->dir, .resume = resume, .restart = true,
                     .log = st->opt->quiet ? NULL : stderr,
                     .epoch_lines = st->epoch_lines, .prefix = prefix, .progress = st->progress,
                     .progress_slot = slot, .label = label, .stop = st->opt->stop};
        code = run_train(&o, &pc, &plan, NULL, &e);
        if (code != EXIT_OK && code <= 128)
            run_fail(&pc, code, &e, context);
    }
    config_free(&pc);
    RunStatus after = code == EXIT_OK ? rundir_status(it->dir)
                      : code > 128 ? RUN_INTERRUPTED : RUN_FAILED;
    rundir_sweep_unlock_run(st->lock, i);
    mtx_lock(&st->mu);
    it->status = after;
    if (code > st->code)
        st->code = code;
    if (code != EXIT_OK && code <= 128)
        st->failed++;
    st->done++;
    st->busy += util_now() - t0;
    show_header(st);
    mtx_unlock(&st->mu);
}

/* The sweep directory: -o, else output.dir/<the config's run name>. */
static int sweep_dir(const StudyOpts *o, const Config *base, char *dir, size_t n)
{
    Err e;
    if (o->dir)
        return util_strlcpy(dir, o->dir, n) < 0 ? -1 : 0;
    char name[PARAMS_PATH_MAX];
    if (config_run_name(base, name, sizeof name, &e) < 0) {
        fprintf(stderr, "mlptrain: %s\n", e.msg);
        return -1;
    }
    if (snprintf(dir, n, "%s/%s", base->run.output.dir, name) >= (int)n) {
        fprintf(stderr, "mlptrain: output.dir/%s: path too long\n", name);
        return -1;
    }
    return 0;
}

/* Whether dir is itself a run's directory, which a sweep never uses as its own: said here. */
static bool sweep_holds_run(const char *dir)
{
    const char *file = rundir_holds_run(dir);
    if (file)
        fprintf(stderr, "mlptrain: %s: holds a run (%s); a sweep keeps its runs in directories "
                "of their own inside the sweep directory (expected another -o)\n", dir, file);
    return file != NULL;
}

static int status_command(Study *st)
{
    long *idx = xmalloc((size_t)st->n * sizeof *idx), k = 0;
    long count[RUN_STATUS_COUNT] = {0};
    for (long i = 0; i < st->n; i++) {
        count[st->items[i].status]++;
        if (!rundir_finished(st->items[i].status))
            idx[k++] = i;
    }
    size_t size = (size_t)k * 24 + 2;
    char *list = xmalloc(size);
    sweep_array_syntax(idx, k, list, size);
    printf("%s\n", list);
    if (!st->opt->quiet)
        fprintf(stderr, "mlptrain: %s: %ld runs: %ld ok, %ld diverged, %ld unfinished (%ld pending, "
            "%ld incomplete, %ld interrupted)\n", st->dir, st->n, count[RUN_OK],
            count[RUN_DIVERGED], k, count[RUN_PENDING], count[RUN_INCOMPLETE],
            count[RUN_INTERRUPTED]);
    write_index(st);
    free(list);
    free(idx);
    return EXIT_OK;
}

/* --index I, or SLURM_ARRAY_TASK_ID: one run, as an array task runs it. */
static int index_command(Study *st, long index)
{
    if (index >= st->n) {
        fprintf(stderr, "mlptrain: --index %ld: out of range (expected 0..%ld: the sweep has %ld "
                "runs)\n", index, st->n - 1, st->n);
        return EXIT_USAGE;
    }
    Item *it = &st->items[index];
    if (rundir_finished(it->status)) {
        if (!st->opt->quiet)
            fprintf(stderr, "mlptrain: run %ld is finished (%s): %s\n", index,
                    result_status_names[it->status], it->dir);
        return EXIT_OK;
    }
    st->pending[0] = index;
    st->n_pending = 1;
    if (st->opt->catch_signals)
        st->opt->catch_signals();
    job(st, 0, 0);
    if (st->n_deferred) {
        fprintf(stderr, "mlptrain: run %ld: process %ld is running it now (%s); wait for it to "
                "end\n", index, st->holder, it->dir);
        return EXIT_USAGE;
    }
    /* The sweep's list of its runs, for collect: written once, not by every task. */
    char path[sizeof st->dir + 16];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP, st->dir);
    if (!util_exists(path))
        write_index(st);
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP_RECORD, st->dir);
    if (!util_exists(path))
        write_record(st);
    return st->code;
}

/* The keys that change no result (where a run writes, its threads): never swept. */
static int no_result_keys(const char **out, char (*buf)[64], int max)
{
    int n = 0;
    const char *section, *key, *def;
    for (int i = 0; n < max && config_key_info(i, &section, &key, &def) == 0; i++) {
        snprintf(buf[n], sizeof buf[n], "%s.%s", section, key);
        if (!config_key_affects_results(buf[n]))
            out[n] = buf[n], n++;
    }
    return n;
}

/* summary.csv and summary_by_point.csv of the runs under dirs into out_dir. Returns the
 * exit code: 0, or 1 when runs were skipped or none found. */
static int summarize(const char *const *dirs, int n_dirs, const char *out_dir, bool quiet)
{
    const char *ignore[16];
    char names[16][64];
    Err e;
    CollectParams p = {.dirs = dirs, .n_dirs = n_dirs, .ignore = ignore,
                       .n_ignore = no_result_keys(ignore, names, 16), .seed_key = "train.seed",
                       .log = stderr};
    CollectResult r;
    int rc = collect_summarize(&r, &p, out_dir, &e);
    if (rc >= 0 && report_sweep_plots(&r, out_dir, stderr, &e) < 0)
        rc = -1;
    if (rc >= 0 && report_sweep_page(&r, out_dir, &e) < 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "mlptrain: %s\n", e.msg);
    else if (!quiet)
        fprintf(stderr, "mlptrain: collect: %d run%s in %d point%s%s -> %s/" RUNDIR_SWEEP_SUMMARY
                ", " RUNDIR_SWEEP_BY_POINT ", " RUNDIR_SWEEP_REPORT "\n", r.n_runs,
                r.n_runs == 1 ? "" : "s", r.n_points, r.n_points == 1 ? "" : "s",
                rc ? " (some skipped, see above)" : "", out_dir);
    collect_free(&r);
    return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* Says which entries of the sweep directory are neither the sweep's runs nor its own
 * files: left out of the summary, and left alone. */
static void report_foreign(const Study *st)
{
    char **names;
    int n = util_list_dir(st->dir, &names);
    size_t skip = strlen(st->dir) + 1;
    char list[1024] = "";
    int count = 0;
    for (int j = 0; j < n; j++) {
        char path[sizeof st->dir + 512];
        snprintf(path, sizeof path, "%s/%s", st->dir, names[j]);
        bool ours = util_is_dir(path) != 1 || strcmp(names[j], "slurm") == 0;
        for (long i = 0; !ours && i < st->n; i++)
            ours = strcmp(st->items[i].dir + skip, names[j]) == 0;
        if (!ours && count++ < 5)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", count > 1 ? ", " : "",
                     names[j]);
    }
    util_free_list(names, n);
    if (count && !st->opt->quiet)
        fprintf(stderr, "mlptrain: sweep %s: left out of the summary, not %s of this sweep: "
                "%s%s\n", st->dir, count == 1 ? "a run" : "runs", list, count > 5 ? ", ..." : "");
}

/* The tables and plots of the sweep's own runs: those of its list that have started, never
 * whatever else lies in the directory. */
static int summarize_sweep(Study *st)
{
    const char **dirs = xmalloc((size_t)st->n * sizeof *dirs);
    int n = 0;
    for (long i = 0; i < st->n; i++) {
        st->items[i].status = rundir_status(st->items[i].dir); /* others' runs too */
        if (st->items[i].status != RUN_PENDING)
            dirs[n++] = st->items[i].dir;
    }
    int code = EXIT_RUNTIME;
    if (n == 0)
        fprintf(stderr, "mlptrain: collect: %s: no runs found\n", st->dir);
    else
        code = summarize(dirs, n, st->dir, st->opt->quiet);
    free(dirs);
    report_foreign(st);
    return code;
}

/* Every run not finished yet, st->jobs at once, then the tables and plots. Runs another
 * process is running (a second sweep into this directory, an array task) are left to it
 * and waited for at the end: each run is run once, and the summary holds them all. */
static int run_all(Study *st)
{
    const StudyOpts *o = st->opt;
    for (long i = 0; i < st->n; i++)
        if (!rundir_finished(st->items[i].status))
            st->pending[st->n_pending++] = i;
    bool live = !o->quiet && progress_is_terminal(stderr);
    st->epoch_lines = !live;
    if (live)
        st->progress = progress_create(stderr, st->jobs, 1, 1);
    if (!o->quiet)
        fprintf(stderr, "mlptrain: sweep %s: %ld runs, %ld to run (%ld finished already), %d at "
                "once with %d thread%s each\n", st->dir, st->n, st->n_pending,
                st->n - st->n_pending, st->jobs, st->threads, st->threads == 1 ? "" : "s");
    write_index(st);
    write_record(st);
    if (o->catch_signals)
        o->catch_signals();
    st->t_start = util_now();
    show_header(st);
    sweep_run_jobs(st->jobs, st->n_pending, job, st, o->stop);
    if (st->n_deferred && !(o->stop && *o->stop)) {
        if (!o->quiet)
            fprintf(stderr, "mlptrain: sweep %s: %ld run%s being run by another process (%ld); "
                    "waiting for %s\n", st->dir, st->n_deferred, st->n_deferred == 1 ? " is" : "s are",
                    st->holder, st->n_deferred == 1 ? "it" : "them");
        long *first = st->pending;
        st->pending = st->deferred;
        st->waiting = true;
        sweep_run_jobs(st->jobs, st->n_deferred, job, st, o->stop);
        st->pending = first;
    }
    progress_free(st->progress);
    int code = st->code;
    if (o->stop && *o->stop && code < 128)
        code = 128 + (int)*o->stop;
    if (!o->quiet)
        fprintf(stderr, "mlptrain: sweep %s: %ld of %ld runs done this time%s%s -> %s/sweep.csv\n",
                st->dir, st->done - st->by_other, st->n_pending, st->failed ? ", some failed" : "",
                st->by_other ? ", the others by another process" : "", st->dir);
    int crc = summarize_sweep(st);
    write_index(st);
    return code == EXIT_OK ? crc : code;
}

int study_sweep(const StudyOpts *o)
{
    Config base;
    config_init(&base);
    Err e;
    Study st;
    memset(&st, 0, sizeof st);
    st.opt = o;
    st.base = &base;
    int code = -1;
    if (config_load(&base, o->config_path, o->overrides, o->n_overrides, true, &e) < 0)
        code = run_fail(&base, EXIT_USAGE, &e, NULL);
    if (code < 0 && !sweep_has(&base.sweep)) {
        fprintf(stderr, "mlptrain: %s: nothing to sweep (expected a [sweep] section or --sweep "
                "section.key=v1|v2)\n", base.source);
        code = EXIT_USAGE;
    }
    if (code < 0 && config_sweep_check(&base, o->max_points, &st.n, &e) < 0)
        code = run_fail(&base, EXIT_USAGE, &e, NULL);
    if (code < 0 && sweep_dir(o, &base, st.dir, sizeof st.dir) < 0)
        code = EXIT_USAGE;
    long index = o->index;
    const char *task = getenv("SLURM_ARRAY_TASK_ID");
    if (code < 0 && index < 0 && !o->list && !o->status && task && *task) {
        if (util_parse_long(task, &index) != 0 || index < 0) {
            fprintf(stderr, "mlptrain: SLURM_ARRAY_TASK_ID='%s' is not a run index (expected an "
                    "integer >= 0)\n", task);
            code = EXIT_USAGE;
        }
    }
    if (code < 0 && sweep_holds_run(st.dir))
        code = EXIT_USAGE;
    if (code >= 0) {
        config_free(&base);
        return code;
    }
    st.index = index;
    st.jobs = (int)(o->jobs < st.n ? o->jobs : st.n);
    if (index >= 0 || o->list || o->status)
        st.jobs = 1;
    int cpus = pool_available_cpus();
    st.threads = cpus / st.jobs > 1 ? cpus / st.jobs : 1;
    st.items = xcalloc((size_t)st.n, sizeof *st.items);
    st.pending = xcalloc((size_t)st.n, sizeof *st.pending);
    st.deferred = xcalloc((size_t)st.n, sizeof *st.deferred);
    mtx_init(&st.mu, mtx_plain);
    code = validate(&st);
    if (code < 0 && !o->list && !o->status) {
        if (util_mkdirs(st.dir, &e) < 0 || !(st.lock = rundir_sweep_lock_open(st.dir, &e))) {
            fprintf(stderr, "mlptrain: %s\n", e.msg);
            code = EXIT_RUNTIME;
        }
    }
    if (code >= 0) {
    } else if (o->list) {
        for (long i = 0; i < st.n; i++)
            printf("%ld\t%s\t%s\n", i, st.items[i].text, st.items[i].dir);
        code = EXIT_OK;
    } else if (o->status) {
        code = status_command(&st);
    } else if (index >= 0) {
        code = index_command(&st, index);
    } else {
        code = run_all(&st);
    }
    for (long i = 0; i < st.n; i++) {
        free(st.items[i].dir);
        free(st.items[i].text);
    }
    free(st.items);
    free(st.pending);
    free(st.deferred);
    if (st.lock)
        fclose(st.lock);
    mtx_destroy(&st.mu);
    config_free(&base);
    return code;
}

/* Appends a copy of path to *list (n names, room for *cap, grown); returns n + 1. */
static int push_path(char ***list, int n, int *cap, const char *path)
{
    if (n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *list = xrealloc(*list, (size_t)*cap * sizeof **list);
    }
    (*list)[n] = xstrdup(path);
    return n + 1;
}

/* The directories collect reads for dir: a sweep directory's own runs, from the run_dir
 * column of its sweep.csv (those that exist), so that nothing else lying in it is mixed in;
 * else dir itself, which collect searches for runs. Appends to *list (grown), returns its
 * new length. */
static int collect_dirs(const char *dir, char ***list, int n, int *cap)
{
    char path[PARAMS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" RUNDIR_SWEEP, dir);
    CsvTable t;
    Err e;
    int col = -1;
    if (util_exists(path) && csv_read(&t, path, 1L << 30, &e) == 0) {
        col = csv_column(&t, "run_dir");
        for (int r = 1; col >= 0 && r < t.n_rows; r++) {
            snprintf(path, sizeof path, "%s/%s", dir, csv_cell(&t, r, col));
            if (util_is_dir(path) == 1) /* else not started */
                n = push_path(list, n, cap, path);
        }
        csv_table_free(&t);
    }
    return col >= 0 ? n : push_path(list, n, cap, dir);
}

int study_collect(const char *const *dirs, int n, const char *out, bool quiet)
{
    if (!out && n > 1) {
        fprintf(stderr, "mlptrain: collect: %d directories given; say where the summaries go "
                "with -o OUT_DIR\n", n);
        return EXIT_USAGE;
    }
    char **list = NULL;
    int n_list = 0, cap = 0;
    for (int i = 0; i < n; i++)
        n_list = collect_dirs(dirs[i], &list, n_list, &cap);
    int code;
    if (n_list == 0) {
        fprintf(stderr, "mlptrain: collect: %s: no runs found\n", dirs[0]);
        code = EXIT_RUNTIME;
    } else {
        code = summarize((const char *const *)list, n_list, out ? out : dirs[0], quiet);
    }
    util_free_list(list, n_list);
    return code;
}
