/* collect.c - see collect.h. Listing directories (opendir/readdir), stat and realpath are
 * POSIX; the rest is ISO C. Every order here comes from a sort, never from readdir. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "collect.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "ini.h"
#include "rundir.h"
#include "result.h"

const ResultColumn collect_metric_columns[] = {RESULT_COL_TEST_ACC, RESULT_COL_TEST_LOSS,
                                               RESULT_COL_BEST_VAL_ACC,
                                               RESULT_COL_TRAIN_SECONDS};
_Static_assert(sizeof collect_metric_columns / sizeof collect_metric_columns[0] ==
                   COLLECT_N_METRICS, "one column per metric");

#define NO_RUNS_EXPECTED "expected run directories holding " RUNDIR_CONFIG " and " RUNDIR_RESULT

/* ---- small helpers ---- */

/* Returns p (capacity *cap elements of size elem) with room for need elements. */
static void *grow(void *p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return p;
    int n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *bigger = xmalloc((size_t)n * elem);
    if (*cap)
        memcpy(bigger, p, (size_t)*cap * elem);
    free(p);
    *cap = n;
    return bigger;
}

static char *strf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        s[0] = '\0';
    return s;
}

/* dir + "/" + name, without doubling a trailing slash. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    return strf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* 1 when dir/name exists (or cannot be examined for a reason other than absence, so that
 * reading it reports that reason). */
static int has_entry(const char *dir, const char *name)
{
    char *p = join(dir, name);
    struct stat st;
    int rc = stat(p, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
    free(p);
    return rc;
}

/* 1 when text is a number by the strict parser; its value in *v. */
static int as_number(const char *text, double *v)
{
    return util_parse_double(text, v) == 0;
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* The value of the digits at s, with a decimal fraction when a '.' and a digit follow
 * them; *end is set past what was read. */
static double digits_value(const char *s, const char **end)
{
    double v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    if (s[0] == '.' && s[1] >= '0' && s[1] <= '9')
        for (double scale = 0.1; *++s >= '0' && *s <= '9'; scale /= 10)
            v += (*s - '0') * scale;
    *end = s;
    return v;
}

/* The one order of config values and seeds: numbers by value, before any other text,
 * which is in natural order: each number in it ("64, 64", "h128", "relu_lr0.01") compares
 * by value, the rest bytewise, so widths 32, 64 ... 2048 and variants h32 ... h2048_bn
 * come in the order a reader counts them. Equal ones compare by their bytes ("1" before
 * "1.0"), so the order stays total. */
static int compare_text(const char *a, const char *b)
{
    double x, y;
    int na = as_number(a, &x), nb = as_number(b, &y);
    if (na && nb) {
        if (x != y)
            return x < y ? -1 : 1;
        return sign(strcmp(a, b));
    }
    if (na != nb)
        return na ? -1 : 1;
    const char *p = a, *q = b;
    while (*p && *q) {
        if (*p >= '0' && *p <= '9' && *q >= '0' && *q <= '9') {
            x = digits_value(p, &p);
            y = digits_value(q, &q);
            if (x != y)
                return x < y ? -1 : 1;
        } else if (*p != *q) {
            return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
        } else {
            p++;
            q++;
        }
    }
    if (*p || *q)
        return *p ? 1 : -1;
    return sign(strcmp(a, b));
}

static int compare_text_ptr(const void *a, const void *b)
{
    return compare_text(*(const char *const *)a, *(const char *const *)b);
}

/* ---- key names: interned "section.key" strings (a small open-addressing hash) ---- */

typedef struct {
    char **names;
    int n, cap;
    int *slot;           /* index + 1, 0 = empty */
    size_t n_slots;
} Names;

static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static int names_find(const Names *t, const char *s)
{
    if (!t->n_slots)
        return -1;
    for (size_t i = hash(s) & (t->n_slots - 1);; i = (i + 1) & (t->n_slots - 1)) {
        if (!t->slot[i])
            return -1;
        if (strcmp(t->names[t->slot[i] - 1], s) == 0)
            return t->slot[i] - 1;
    }
}

static int names_add(Names *t, const char *s)
{
    int k = names_find(t, s);
    if (k >= 0)
        return k;
    if ((size_t)(t->n + 1) * 2 > t->n_slots) {
        size_t n_slots = t->n_slots ? t->n_slots * 2 : 64;
        free(t->slot);
        t->slot = xcalloc(n_slots, sizeof *t->slot);
        t->n_slots = n_slots;
        for (int j = 0; j < t->n; j++) {
            size_t i = hash(t->names[j]) & (n_slots - 1);
            while (t->slot[i])
                i = (i + 1) & (n_slots - 1);
            t->slot[i] = j + 1;
        }
    }
    t->names = grow(t->names, &t->cap, t->n + 1, sizeof *t->names);
    t->names[t->n] = xstrdup(s);
    size_t i = hash(s) & (t->n_slots - 1);
    while (t->slot[i])
        i = (i + 1) & (t->n_slots - 1);
    t->slot[i] = t->n + 1;
    return t->n++;
}

static void names_free(Names *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* ---- a run's config.ini as key -> value ---- */

typedef struct {
    char *key;           /* "section.key" while reading; interned below */
    int id;              /* index into the key names, once interned */
    int pos;             /* place in the file: the last of a repeated key wins */
    char *value;
} Pair;

typedef struct {
    Pair *pairs;
    int n, cap;
} IniMap;

static void inimap_free(IniMap *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->pairs[i].key);
        free(c->pairs[i].value);
    }
    free(c->pairs);
    memset(c, 0, sizeof *c);
}

static int on_ini(void *user, const char *section, const char *key, const char *value, int line)
{
    (void)line;
    IniMap *c = user;
    if (!key)
        return 0;
    c->pairs = grow(c->pairs, &c->cap, c->n + 1, sizeof *c->pairs);
    Pair *p = &c->pairs[c->n];
    p->key = strf("%s.%s", section, key);
    p->id = -1;
    p->pos = c->n++;
    p->value = xstrdup(value);
    return 0;
}

static int compare_pair(const void *a, const void *b)
{
    const Pair *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Interns c's keys into names, sorts the pairs by key id and keeps the last of each. */
static void inimap_index(IniMap *c, Names *names)
{
    for (int i = 0; i < c->n; i++)
        c->pairs[i].id = names_add(names, c->pairs[i].key);
    qsort(c->pairs, (size_t)c->n, sizeof *c->pairs, compare_pair);
    int kept = 0;
    for (int i = 0; i < c->n; i++) {
        if (i + 1 < c->n && c->pairs[i + 1].id == c->pairs[i].id) {
            free(c->pairs[i].key);
            free(c->pairs[i].value);
            continue;
        }
        c->pairs[kept++] = c->pairs[i];
    }
    c->n = kept;
}

/* The value of key id in c (indexed), "" when c does not have it. */
static const char *inimap_get(const IniMap *c, int id)
{
    int lo = 0, hi = c->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->pairs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->pairs[lo].id == id ? c->pairs[lo].value : "";
}

/* ---- loading ---- */

typedef struct {
    char *dir;
    dev_t dev;
    ino_t ino;
    int dup;             /* the same directory as an earlier candidate */
} Candidate;

typedef struct {
    CollectResult *r;
    const CollectParams *p;
    Candidate *cand;
    int n_cand, cap_cand;
    char **empty;        /* given directories holding no run (reported at the end) */
    int n_empty, cap_empty;
    IniMap *configs;     /* [r->n_runs] while loading */
    int cap_runs, cap_configs, cap_skipped;
} Loader;

static void skip(Loader *L, const char *path, const char *reason)
{
    CollectResult *r = L->r;
    r->skipped = grow(r->skipped, &L->cap_skipped, r->n_skipped + 1, sizeof *r->skipped);
    r->skipped[r->n_skipped].path = xstrdup(path);
    r->skipped[r->n_skipped].reason = xstrdup(reason);
    r->n_skipped++;
    if (L->p->log)
        fprintf(L->p->log, "mlptrain: %s; skipped\n", reason);
}

static void add_candidate(Loader *L, char *dir, const struct stat *st)
{
    L->cand = grow(L->cand, &L->cap_cand, L->n_cand + 1, sizeof *L->cand);
    L->cand[L->n_cand++] = (Candidate){.dir = dir, .dev = st->st_dev, .ino = st->st_ino};
}

static int is_run_dir(const char *dir)
{
    return has_entry(dir, RUNDIR_CONFIG) || has_entry(dir, RUNDIR_RESULT);
}

static int compare_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the given directory (a run) or its run subdirectories, in name order. */
static void discover(Loader *L, const char *given)
{
    char *dir = xstrdup(given);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
        dir[n - 1] = '\0';
    Err e;
    struct stat st;
    if (stat(dir, &st) != 0) {
        err_set(&e, "%s: cannot open: %s", dir, strerror(errno));
        skip(L, dir, e.msg);
        free(dir);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(&e, "%s: not a directory (expected a run directory or a directory of runs)", dir);
        skip(L, dir, e.msg);
        free(dir);
        return;
    }
    if (is_run_dir(dir)) {
        add_candidate(L, dir, &st);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        err_set(&e, "%s: cannot read the directory: %s", dir, strerror(errno));
        skip(L, dir, e.msg);
        free(dir);
        return;
    }
    char **names = NULL;
    int n = 0, cap = 0;
    for (;;) {
        errno = 0;
        struct dirent *ent = readdir(d);
        if (!ent)
            break;
        if (ent->d_name[0] == '.')
            continue;
        names = grow(names, &cap, n + 1, sizeof *names);
        names[n++] = xstrdup(ent->d_name);
    }
    int read_error = errno;
    closedir(d);
    if (read_error) {
        err_set(&e, "%s: cannot read the directory: %s", dir, strerror(read_error));
        skip(L, dir, e.msg);
    } else {
        if (n > 0) /* qsort's pointer must not be NULL, even for no items */
            qsort(names, (size_t)n, sizeof *names, compare_name);
        int found = 0;
        for (int i = 0; i < n; i++) {
            char *child = join(dir, names[i]);
            struct stat cst;
            if (stat(child, &cst) == 0 && S_ISDIR(cst.st_mode) && is_run_dir(child)) {
                add_candidate(L, child, &cst);
                found++;
            } else {
                free(child);
            }
        }
        if (!found) {
            L->empty = grow(L->empty, &L->cap_empty, L->n_empty + 1, sizeof *L->empty);
            L->empty[L->n_empty++] = xstrdup(dir);
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir);
}

typedef struct {
    dev_t dev;
    ino_t ino;
    int index;
} Identity;

static int compare_identity(const void *a, const void *b)
{
    const Identity *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->index - y->index;
}

/* Marks every candidate that is the same directory as an earlier one. */
static void mark_duplicates(Loader *L)
{
    Identity *id = xmalloc((size_t)(L->n_cand ? L->n_cand : 1) * sizeof *id);
    for (int i = 0; i < L->n_cand; i++)
        id[i] = (Identity){L->cand[i].dev, L->cand[i].ino, i};
    qsort(id, (size_t)L->n_cand, sizeof *id, compare_identity);
    for (int i = 1; i < L->n_cand; i++)
        if (id[i].dev == id[i - 1].dev && id[i].ino == id[i - 1].ino)
            L->cand[id[i].index].dup = 1;
    free(id);
}

/* A metric cell: empty, a number, or nan/inf as the CSV writer spells them. */
static int parse_metric(const char *text, double *v)
{
    if (!*text || strcmp(text, "nan") == 0) {
        *v = NAN;
        return 0;
    }
    if (strcmp(text, "inf") == 0 || strcmp(text, "-inf") == 0) {
        *v = text[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    return as_number(text, v) ? 0 : -1;
}

/* Reads dir/result.csv into run. 0, or -1 with e. */
static int read_result(const char *dir, CollectRun *run, Err *e)
{
    char *path = join(dir, RUNDIR_RESULT);
    CsvTable t = {0};
    int rc = -1;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        err_set(e, "%s: missing (the run has not finished, or it stopped before writing it)",
                path);
        goto done;
    }
    if (csv_read(&t, path, COLLECT_MAX_FILE_BYTES, e) < 0)
        goto done;
    if (t.n_rows == 0) {
        err_set(e, "%s: empty (expected the " RUNDIR_RESULT " header and one row)", path);
        goto done;
    }
    for (int c = 0; c < t.n_cols && c < RESULT_COL_COUNT; c++) {
        if (strcmp(csv_cell(&t, 0, c), result_columns[c]) != 0) {
            err_set(e, "%s:%d: wrong header: column %d is '%.60s' (expected '%s', as mlptrain "
                    "writes " RUNDIR_RESULT ")", path, t.line[0], c + 1, csv_cell(&t, 0, c),
                    result_columns[c]);
            goto done;
        }
    }
    if (t.n_cols != RESULT_COL_COUNT) {
        err_set(e, "%s:%d: wrong header: %d columns (expected %d, as mlptrain writes "
                RUNDIR_RESULT ")", path, t.line[0], t.n_cols, (int)RESULT_COL_COUNT);
        goto done;
    }
    if (t.n_rows == 1) {
        err_set(e, "%s: no data row (expected one row after the header)", path);
        goto done;
    }
    if (t.n_rows > 2) {
        err_set(e, "%s:%d: a second data row (expected one)", path, t.line[2]);
        goto done;
    }
    int line = t.line[1];
    const char *status = csv_cell(&t, 1, RESULT_COL_STATUS);
    int s = result_status_parse(status);
    if (s < 0) {
        err_set(e, "%s:%d: status: '%.60s' is not a run status (expected ok, diverged or "
                "interrupted)", path, line, status);
        goto done;
    }
    run->status = (RunStatus)s;
    for (int m = 0; m < COLLECT_N_METRICS; m++) {
        ResultColumn col = collect_metric_columns[m];
        const char *text = csv_cell(&t, 1, col);
        if (parse_metric(text, &run->metric[m]) < 0) {
            err_set(e, "%s:%d: %s: '%.60s' is not a number (expected a number, nan, inf or "
                    "an empty cell)", path, line, result_columns[col], text);
            goto done;
        }
    }
    for (int c = 0; c < RESULT_COL_COUNT; c++)
        run->cell[c] = xstrdup(csv_cell(&t, 1, c));
    rc = 0;
done:
    csv_table_free(&t);
    free(path);
    return rc;
}

/* Reads dir/config.ini into c. 0, or -1 with e. */
static int read_config(const char *dir, IniMap *c, Err *e)
{
    char *path = join(dir, RUNDIR_CONFIG);
    int rc = -1;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        err_set(e, "%s: missing (expected the run's resolved config beside its " RUNDIR_RESULT ")",
                path);
        goto done;
    }
    long long size = util_file_size(path, e);
    if (size < 0)
        goto done;
    if (size > COLLECT_MAX_FILE_BYTES) {
        err_set(e, "%s: %lld bytes (expected a " RUNDIR_CONFIG " of at most %ld bytes)", path, size,
                COLLECT_MAX_FILE_BYTES);
        goto done;
    }
    FILE *f = util_open_regular(path, e);
    if (!f)
        goto done;
    IniError ie = {0};
    int parsed = ini_parse_file(f, on_ini, c, &ie);
    fclose(f);
    if (parsed != 0) {
        if (ie.line > 0)
            err_set(e, "%s:%d: %s", path, ie.line, ie.msg);
        else
            err_set(e, "%s: %s", path, ie.msg);
        goto done;
    }
    rc = 0;
done:
    if (rc < 0)
        inimap_free(c);
    free(path);
    return rc;
}

static void run_free(CollectRun *run)
{
    free(run->dir);
    free(run->seed);
    for (int c = 0; c < RESULT_COL_COUNT; c++)
        free(run->cell[c]);
    memset(run, 0, sizeof *run);
}

/* Reads one candidate; adds it to the runs or to the skipped. */
static void load_run(Loader *L, const char *dir)
{
    CollectResult *r = L->r;
    CollectRun run = {0};
    IniMap c = {0};
    Err e;
    if (read_result(dir, &run, &e) < 0 || read_config(dir, &c, &e) < 0) {
        run_free(&run);
        skip(L, dir, e.msg);
        return;
    }
    run.dir = xstrdup(dir);
    r->runs = grow(r->runs, &L->cap_runs, r->n_runs + 1, sizeof *r->runs);
    L->configs = grow(L->configs, &L->cap_configs, r->n_runs + 1, sizeof *L->configs);
    r->runs[r->n_runs] = run;
    L->configs[r->n_runs] = c;
    r->n_runs++;
}

/* The message for no runs at all: the given directories, then why. */
static int no_runs(const CollectParams *p, int n_skipped, Err *e)
{
    char dirs[1024] = "";
    size_t len = 0;
    for (int i = 0; i < p->n_dirs && len < sizeof dirs - 1; i++)
        len += (size_t)snprintf(dirs + len, sizeof dirs - len, "%s%s", i ? ", " : "",
                                p->dirs[i]);
    if (p->n_dirs == 0)
        util_strlcpy(dirs, "(no directory given)", sizeof dirs);
    if (n_skipped)
        return err_set(e, "%s: no runs found (%d skipped; %s)", dirs, n_skipped,
                       NO_RUNS_EXPECTED);
    return err_set(e, "%s: no runs found (%s)", dirs, NO_RUNS_EXPECTED);
}

/* ---- keys, points and statistics ---- */

static int is_listed(const char *name, const CollectParams *p)
{
    if (p->seed_key && strcmp(name, p->seed_key) == 0)
        return 1;
    for (int i = 0; i < p->n_ignore; i++)
        if (strcmp(name, p->ignore[i]) == 0)
            return 1;
    return 0;
}

/* Finds the swept keys among names and their levels; fills level[run * n_keys + k]. */
static int *find_keys(Loader *L, const Names *names)
{
    CollectResult *r = L->r;
    int *swept = xmalloc((size_t)(names->n ? names->n : 1) * sizeof *swept);
    int n_swept = 0;
    for (int id = 0; id < names->n; id++) {
        if (is_listed(names->names[id], L->p))
            continue;
        const char *first = inimap_get(&L->configs[0], id);
        for (int i = 1; i < r->n_runs; i++) {
            if (strcmp(inimap_get(&L->configs[i], id), first) != 0) {
                swept[n_swept++] = id;
                break;
            }
        }
    }
    r->n_keys = n_swept;
    r->keys = xcalloc((size_t)(n_swept ? n_swept : 1), sizeof *r->keys);
    int *level = xmalloc((size_t)r->n_runs * (size_t)(n_swept ? n_swept : 1) * sizeof *level);
    const char **values = xmalloc((size_t)r->n_runs * sizeof *values);
    for (int k = 0; k < n_swept; k++) {
        CollectKey *key = &r->keys[k];
        key->name = xstrdup(names->names[swept[k]]);
        for (int i = 0; i < r->n_runs; i++)
            values[i] = inimap_get(&L->configs[i], swept[k]);
        qsort(values, (size_t)r->n_runs, sizeof *values, compare_text_ptr);
        key->levels = xmalloc((size_t)r->n_runs * sizeof *key->levels);
        for (int i = 0; i < r->n_runs; i++)
            if (i == 0 || strcmp(values[i], values[i - 1]) != 0)
                key->levels[key->n_levels++] = xstrdup(values[i]);
        key->level_value = xmalloc((size_t)key->n_levels * sizeof *key->level_value);
        key->numeric = 1;
        for (int j = 0; j < key->n_levels; j++) {
            if (!as_number(key->levels[j], &key->level_value[j])) {
                key->level_value[j] = NAN;
                key->numeric = 0;
            }
        }
        for (int i = 0; i < r->n_runs; i++) {
            const char *v = inimap_get(&L->configs[i], swept[k]);
            int lo = 0, hi = key->n_levels - 1;
            while (lo < hi) {
                int mid = lo + (hi - lo) / 2;
                if (compare_text(key->levels[mid], v) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            level[(size_t)i * (size_t)n_swept + (size_t)k] = lo;
        }
    }
    free(values);
    free(swept);
    return level;
}

typedef struct {
    const int *level;
    int n_keys;
    const CollectRun *run;
    int index;
} RunSlot;

static int compare_levels(const int *a, const int *b, int n)
{
    for (int k = 0; k < n; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

static int compare_slot(const void *a, const void *b)
{
    const RunSlot *x = a, *y = b;
    int c = compare_levels(x->level, y->level, x->n_keys);
    if (!c)
        c = compare_text(x->run->seed, y->run->seed);
    if (!c)
        c = sign(strcmp(x->run->dir, y->run->dir));
    return c;
}

static void stat_of(CollectStat *s, const double *v, int n)
{
    s->n = n;
    s->mean = s->std = s->min = s->max = NAN;
    if (n == 0)
        return;
    double sum = 0, lo = v[0], hi = v[0];
    int has_nan = 0;
    for (int i = 0; i < n; i++) {
        sum += v[i];
        has_nan |= isnan(v[i]);
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    s->mean = sum / n;
    s->min = has_nan ? NAN : lo;
    s->max = has_nan ? NAN : hi;
    if (n >= 2) {
        double ss = 0;
        for (int i = 0; i < n; i++)
            ss += (v[i] - s->mean) * (v[i] - s->mean);
        s->std = sqrt(ss / (n - 1));
    }
}

/* Sorts the runs, groups them into points and computes the statistics. */
static void build_points(CollectResult *r, const int *level)
{
    int nk = r->n_keys;
    RunSlot *slot = xmalloc((size_t)r->n_runs * sizeof *slot);
    for (int i = 0; i < r->n_runs; i++)
        slot[i] = (RunSlot){level + (size_t)i * (size_t)nk, nk, &r->runs[i], i};
    qsort(slot, (size_t)r->n_runs, sizeof *slot, compare_slot);

    /* Runs of a point are consecutive: a point starts where the levels change. */
    CollectRun *runs = xmalloc((size_t)r->n_runs * sizeof *runs);
    r->points = xcalloc((size_t)r->n_runs, sizeof *r->points);
    r->n_points = 0;
    for (int i = 0; i < r->n_runs; i++) {
        runs[i] = r->runs[slot[i].index];
        if (i == 0 || compare_levels(slot[i].level, slot[i - 1].level, nk) != 0) {
            CollectPoint *pt = &r->points[r->n_points++];
            pt->level = xmalloc((size_t)(nk ? nk : 1) * sizeof *pt->level);
            if (nk)
                memcpy(pt->level, slot[i].level, (size_t)nk * sizeof *pt->level);
        }
        CollectPoint *pt = &r->points[r->n_points - 1];
        runs[i].point = r->n_points - 1;
        pt->n_runs++;
        pt->n_status[runs[i].status]++;
    }
    for (int p = 0, first = 0; p < r->n_points; first += r->points[p++].n_runs) {
        CollectPoint *pt = &r->points[p];
        pt->runs = xmalloc((size_t)pt->n_runs * sizeof *pt->runs);
        for (int j = 0; j < pt->n_runs; j++)
            pt->runs[j] = first + j;
    }
    free(r->runs);
    r->runs = runs;
    free(slot);

    double *v = xmalloc((size_t)r->n_runs * sizeof *v);
    for (int p = 0; p < r->n_points; p++) {
        CollectPoint *pt = &r->points[p];
        for (int m = 0; m < COLLECT_N_METRICS; m++) {
            int n = 0;
            for (int j = 0; j < pt->n_runs; j++) {
                const CollectRun *run = &r->runs[pt->runs[j]];
                if (run->status == RUN_OK && run->cell[collect_metric_columns[m]][0])
                    v[n++] = run->metric[m];
            }
            stat_of(&pt->stat[m], v, n);
        }
    }
    free(v);
}

/* Two runs of one point with the same seed (a rerun into a new directory, a copy) are both
 * counted, which a study rarely means: say so. */
static void note_repeats(const CollectResult *r, const CollectParams *p)
{
    if (!p->log || !p->seed_key)
        return;
    for (int i = 1; i < r->n_runs; i++) {
        const CollectRun *a = &r->runs[i - 1], *b = &r->runs[i];
        if (a->point == b->point && b->seed[0] && strcmp(a->seed, b->seed) == 0)
            fprintf(p->log, "mlptrain: note: %s: the same settings and %s as %s (both "
                    "counted)\n", b->dir, p->seed_key, a->dir);
    }
}

int collect_load(CollectResult *r, const CollectParams *p, Err *e)
{
    memset(r, 0, sizeof *r);
    Loader L = {.r = r, .p = p};
    for (int i = 0; i < p->n_dirs; i++)
        discover(&L, p->dirs[i]);
    mark_duplicates(&L);
    for (int i = 0; i < L.n_cand; i++)
        if (!L.cand[i].dup)
            load_run(&L, L.cand[i].dir);

    int rc = 0;
    if (r->n_runs == 0) {
        rc = no_runs(p, r->n_skipped, e);
    } else {
        Err note;
        for (int i = 0; i < L.n_empty; i++) {
            err_set(&note, "%s: no runs found (%s)", L.empty[i], NO_RUNS_EXPECTED);
            skip(&L, L.empty[i], note.msg);
        }
        Names names = {0};
        for (int i = 0; i < r->n_runs; i++)
            inimap_index(&L.configs[i], &names);
        for (int i = 0; i < r->n_runs; i++) {
            const char *seed = p->seed_key ? inimap_get(&L.configs[i],
                                                        names_find(&names, p->seed_key))
                                           : "";
            r->runs[i].seed = xstrdup(seed);
            if (!as_number(seed, &r->runs[i].seed_value))
                r->runs[i].seed_value = NAN;
        }
        int *level = find_keys(&L, &names);
        build_points(r, level);
        note_repeats(r, p);
        free(level);
        names_free(&names);
        rc = r->n_skipped ? 1 : 0;
    }

    for (int i = 0; i < r->n_runs; i++)
        inimap_free(&L.configs[i]);
    free(L.configs);
    for (int i = 0; i < L.n_cand; i++)
        free(L.cand[i].dir);
    free(L.cand);
    for (int i = 0; i < L.n_empty; i++)
        free(L.empty[i]);
    free(L.empty);
    return rc;
}

/* ---- writing ---- */

/* The run_dir column: dir relative to out_real (a resolved path) when it lies under it. */
static char *relative_dir(const char *dir, const char *out_real)
{
    char *real = out_real ? realpath(dir, NULL) : NULL;
    if (real) {
        size_t n = strlen(out_real);
        if (n == 1 && out_real[0] == '/')
            n = 0; /* everything lies under the root */
        if (strncmp(real, out_real, n) == 0 && (real[n] == '/' || real[n] == '\0')) {
            char *rel = xstrdup(real[n] == '\0' ? "." : real + n + 1);
            free(real);
            return rel;
        }
        free(real);
    }
    return xstrdup(dir);
}

/* Writes the table into path whole. */
static int write_summary(const CollectResult *r, const char *path, const char *out_real, Err *e)
{
    int n_cols = RESULT_COL_COUNT + r->n_keys + 1;
    const char **header = xmalloc((size_t)n_cols * sizeof *header);
    for (int c = 0; c < RESULT_COL_COUNT; c++)
        header[c] = result_columns[c];
    for (int k = 0; k < r->n_keys; k++)
        header[RESULT_COL_COUNT + k] = r->keys[k].name;
    header[n_cols - 1] = "run_dir";
    AtomicFile af;
    if (util_atomic_open(&af, path, e) < 0) {
        free(header);
        return -1;
    }
    CsvWriter w;
    csv_attach_file(&w, &af, header, n_cols);
    for (int i = 0; i < r->n_runs; i++) {
        const CollectRun *run = &r->runs[i];
        for (int c = 0; c < RESULT_COL_COUNT; c++)
            csv_str(&w, run->cell[c]);
        for (int k = 0; k < r->n_keys; k++)
            csv_str(&w, collect_value(r, run->point, k));
        char *rel = relative_dir(run->dir, out_real);
        csv_str(&w, rel);
        free(rel);
        csv_end_row(&w, NULL);
    }
    free(header);
    return csv_commit(&w, &af, e);
}

static int write_by_point(const CollectResult *r, const char *path, Err *e)
{
    static const char *const counts[] = {"runs", "n_ok", "n_diverged", "n_interrupted"};
    static const char *const stats[] = {"n", "mean", "std", "min", "max"};
    enum { N_COUNTS = 4, N_STATS = 5 };
    int n_cols = r->n_keys + N_COUNTS + COLLECT_N_METRICS * N_STATS;
    char **owned = xmalloc(COLLECT_N_METRICS * N_STATS * sizeof *owned);
    const char **header = xmalloc((size_t)n_cols * sizeof *header);
    int c = 0;
    for (int k = 0; k < r->n_keys; k++)
        header[c++] = r->keys[k].name;
    for (int j = 0; j < N_COUNTS; j++)
        header[c++] = counts[j];
    for (int m = 0; m < COLLECT_N_METRICS; m++)
        for (int s = 0; s < N_STATS; s++) {
            owned[m * N_STATS + s] =
                strf("%s_%s", result_columns[collect_metric_columns[m]], stats[s]);
            header[c++] = owned[m * N_STATS + s];
        }
    AtomicFile af;
    int rc = util_atomic_open(&af, path, e);
    if (rc == 0) {
        CsvWriter w;
        csv_attach_file(&w, &af, header, n_cols);
        for (int p = 0; p < r->n_points; p++) {
            const CollectPoint *pt = &r->points[p];
            for (int k = 0; k < r->n_keys; k++)
                csv_str(&w, collect_value(r, p, k));
            csv_long(&w, pt->n_runs);
            csv_long(&w, pt->n_status[RUN_OK]);
            csv_long(&w, pt->n_status[RUN_DIVERGED]);
            csv_long(&w, pt->n_status[RUN_INTERRUPTED]);
            for (int m = 0; m < COLLECT_N_METRICS; m++) {
                const CollectStat *st = &pt->stat[m];
                csv_long(&w, st->n);
                csv_double_or_empty(&w, st->mean, st->n > 0);
                csv_double_or_empty(&w, st->std, st->n > 1);
                csv_double_or_empty(&w, st->min, st->n > 0);
                csv_double_or_empty(&w, st->max, st->n > 0);
            }
            csv_end_row(&w, NULL);
        }
        rc = csv_commit(&w, &af, e);
    }
    for (int i = 0; i < COLLECT_N_METRICS * N_STATS; i++)
        free(owned[i]);
    free(owned);
    free(header);
    return rc;
}

int collect_write(const CollectResult *r, const char *out_dir, Err *e)
{
    if (util_mkdirs(out_dir, e) < 0)
        return -1;
    char *out_real = realpath(out_dir, NULL);
    char *summary = join(out_dir, RUNDIR_SWEEP_SUMMARY);
    char *by_point = join(out_dir, RUNDIR_SWEEP_BY_POINT);
    int rc = write_summary(r, summary, out_real, e);
    if (rc == 0)
        rc = write_by_point(r, by_point, e);
    free(summary);
    free(by_point);
    free(out_real);
    return rc;
}

int collect_summarize(CollectResult *r, const CollectParams *p, const char *out_dir, Err *e)
{
    int rc = collect_load(r, p, e);
    if (rc < 0)
        return -1;
    if (collect_write(r, out_dir, e) < 0)
        return -1;
    return rc;
}

/* ---- access ---- */

const char *collect_value(const CollectResult *r, int p, int k)
{
    return r->keys[k].levels[r->points[p].level[k]];
}

int collect_point_at(const CollectResult *r, const int *level)
{
    int lo = 0, hi = r->n_points;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (compare_levels(r->points[mid].level, level, r->n_keys) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->n_points && compare_levels(r->points[lo].level, level, r->n_keys) == 0)
        return lo;
    return -1;
}

void collect_free(CollectResult *r)
{
    for (int k = 0; k < r->n_keys; k++) {
        CollectKey *key = &r->keys[k];
        free(key->name);
        for (int j = 0; j < key->n_levels; j++)
            free(key->levels[j]);
        free(key->levels);
        free(key->level_value);
    }
    free(r->keys);
    for (int i = 0; i < r->n_runs; i++)
        run_free(&r->runs[i]);
    free(r->runs);
    for (int p = 0; p < r->n_points; p++) {
        free(r->points[p].level);
        free(r->points[p].runs);
    }
    free(r->points);
    for (int i = 0; i < r->n_skipped; i++) {
        free(r->skipped[i].path);
        free(r->skipped[i].reason);
    }
    free(r->skipped);
    memset(r, 0, sizeof *r);
}
