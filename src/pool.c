/* pool.c - see pool.h. A job is published as one atomic word holding its generation, its
 * task count and the next unclaimed task; threads claim tasks by compare-and-swap on it, so
 * a stale thread (one that wakes after its job ended) can never take a task of the next
 * job, and a job is closed once its last task is claimed, while the caller sets up the
 * next. The caller claims tasks too and then waits only for tasks already running
 * elsewhere. Between jobs a worker waits in three stages: it spins (pause) for SPIN_NS,
 * then yields its core between checks (thrd_yield) until YIELD_NS, then sleeps on its own
 * condition variable. Training issues thousands of small jobs per second: spinning saves a
 * wake-up per job, yielding lets another process on the same core run (a sweep of runs side
 * by side, or any busy program), and sleeping keeps an idle pool from burning CPU. The
 * caller waits for running tasks the same way. Not here: work stealing between queues,
 * affinity, NUMA placement. */
#include "pool.h"

#include <limits.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* Waiting stages, in nanoseconds since the worker's last task (see the file comment). */
#define SPIN_NS 20000L
#define YIELD_NS 1000000L
/* The caller waits only for tasks that are already running elsewhere. */
#define CALLER_SPIN_NS 20000L
#define CALLER_YIELD_NS 1000000L
/* Contention: a job stalls when the caller, out of tasks, waits longer than it worked (and
 * longer than STALL_MIN_NS) for a task another thread holds, and it is starved when the
 * caller ran every task itself over more than STARVE_MIN_NS although no worker had to be
 * woken (an awake worker notices a job within a microsecond unless it is descheduled). Both
 * happen when the pool does not own its cores: a descheduled thread holds a task, or never
 * shows up, while its spinning still takes a share of a core from the caller. When about a
 * quarter of the recent jobs stalled (or half were starved), the pool halves the threads a
 * job may use (on 2 cores: the caller alone) and keeps that limit for HOLD_MIN_NS, then
 * doubles it again; the hold doubles while cuts follow each other, up to HOLD_MAX_NS.
 * Workers left out sleep. */
#define STALL_MIN_NS 50000L
#define STARVE_MIN_NS 5000L
#define HOLD_MIN_NS 20000000LL
#define HOLD_MAX_NS 640000000LL

/* The job word: generation in the top WORD_GEN_BITS, then the task count and the next
 * unclaimed task in WORD_TASK_BITS each. A job of more tasks runs as several jobs. */
#define WORD_TASK_BITS 18
#define WORD_GEN_BITS (64 - 2 * WORD_TASK_BITS)
#define JOB_MAX_TASKS ((1 << WORD_TASK_BITS) - 1)
#define WORD_TASK_MASK ((uint_least64_t)JOB_MAX_TASKS)
#define WORD_GEN_MASK ((1u << WORD_GEN_BITS) - 1)

static uint_least64_t word_make(uint32_t gen, int n_tasks)
{
    return (uint_least64_t)(gen & WORD_GEN_MASK) << (2 * WORD_TASK_BITS) |
           (uint_least64_t)n_tasks << WORD_TASK_BITS;
}

static uint32_t word_gen(uint_least64_t w)
{
    return (uint32_t)(w >> (2 * WORD_TASK_BITS));
}

static int word_tasks(uint_least64_t w)
{
    return (int)(w >> WORD_TASK_BITS & WORD_TASK_MASK);
}

static int word_next(uint_least64_t w)
{
    return (int)(w & WORD_TASK_MASK);
}

typedef struct {
    alignas(64) atomic_int sleeping; /* waiting on cv and not yet woken (under mu) */
    mtx_t mu;
    cnd_t cv;
    thrd_t thread;
    struct Pool *pool;
    int id;
} Worker;

struct Pool {
    alignas(64) atomic_uint_least64_t word; /* generation | task count | next task (WORD_*) */
    atomic_int job_threads;
    atomic_bool quit;
    PoolThreadTask fn;   /* read only by a thread holding a claimed task */
    void *ctx;
    alignas(64) atomic_int finished; /* tasks of the current job done */
    atomic_int caller_sleeping;
    mtx_t mu;
    cnd_t done;
    int n_threads;
    Worker *workers;     /* [1, n_threads) used; workers[0] is unused */
    /* Caller-only state (pool_run is called from one thread). */
    double stall_score;       /* decaying count of recent stalls */
    int limit;                /* threads a job may use now (contention) */
    int cap;                  /* threads a job may use at most (pool_cap) */
    long long hold_until;     /* the limit stays until then (ns), then doubles */
    long long hold_ns;        /* how long a cut holds */
    long long last_cut;       /* when the limit was last cut */
    PoolStats stats;
};

static long long now_ns(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Claims the next task of generation gen; false when it has none left (or a newer job
 * replaced it). */
static bool claim(Pool *p, uint32_t gen, int *task)
{
    uint_least64_t w = atomic_load_explicit(&p->word, memory_order_acquire);
    for (;;) {
        int next = word_next(w);
        if (word_gen(w) != gen || next >= word_tasks(w))
            return false;
        if (atomic_compare_exchange_weak_explicit(&p->word, &w, w + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *task = next;
            return true;
        }
    }
}

/* Runs claimed tasks of generation gen as thread `thread`; returns how many. */
static int run_claims(Pool *p, uint32_t gen, int thread)
{
    int task, count = 0;
    while (claim(p, gen, &task)) {
        /* A claimed task keeps its job alive, so fn and ctx are this job's. */
        p->fn(p->ctx, task, thread);
        count++;
    }
    return count;
}

static uint32_t generation(const Pool *p)
{
    return word_gen(atomic_load_explicit(&p->word, memory_order_acquire));
}

/* Waits until the generation differs from seen or the pool quits; idle_since is when this
 * worker last ran a task (or was woken), so the stage does not restart on jobs it takes no
 * part in. Returns true when it slept (and was woken). */
static bool worker_wait(Pool *p, Worker *w, uint32_t seen, long long idle_since)
{
    for (int i = 0;; i++) {
        if (generation(p) != seen || atomic_load_explicit(&p->quit, memory_order_relaxed))
            return false;
        if ((i & 15) != 15) {
            cpu_relax();
            continue;
        }
        long long idle = now_ns() - idle_since;
        if (idle >= YIELD_NS)
            break;
        if (idle >= SPIN_NS)
            thrd_yield();
    }
    mtx_lock(&w->mu);
    for (;;) {
        atomic_store(&w->sleeping, 1); /* before the check: a publisher then sees it */
        if (word_gen(atomic_load(&p->word)) != seen || atomic_load(&p->quit))
            break;
        cnd_wait(&w->cv, &w->mu);
    }
    atomic_store(&w->sleeping, 0);
    mtx_unlock(&w->mu);
    return true;
}

static int worker_main(void *arg)
{
    Worker *w = arg;
    Pool *p = w->pool;
    uint32_t seen = 0;
    long long idle_since = now_ns();
    for (;;) {
        /* Woken for a job: spin again afterwards even if the caller took every task. */
        if (worker_wait(p, w, seen, idle_since))
            idle_since = now_ns();
        if (atomic_load(&p->quit))
            return 0;
        uint_least64_t job = atomic_load_explicit(&p->word, memory_order_acquire);
        seen = word_gen(job);
        if (w->id >= atomic_load_explicit(&p->job_threads, memory_order_relaxed))
            continue; /* a job for fewer threads */
        int n = word_tasks(job);
        int ran = run_claims(p, seen, w->id);
        if (ran == 0)
            continue;
        idle_since = now_ns();
        if (atomic_fetch_add(&p->finished, ran) + ran == n && atomic_load(&p->caller_sleeping)) {
            mtx_lock(&p->mu);
            cnd_signal(&p->done);
            mtx_unlock(&p->mu);
        }
    }
}

/* Wakes a sleeping worker once: it counts as awake from now on, so later jobs neither wake
 * it again nor excuse its absence while the system has yet to run it. */
static void wake(Worker *w)
{
    mtx_lock(&w->mu);
    atomic_store(&w->sleeping, 0);
    cnd_signal(&w->cv);
    mtx_unlock(&w->mu);
}

Pool *pool_create(int n_threads)
{
    int cpus = pool_available_cpus();
    return pool_create_exact(n_threads < cpus ? n_threads : cpus);
}

Pool *pool_create_exact(int n_threads)
{
    if (n_threads < 1)
        n_threads = 1;
    Pool *p = aligned_alloc(alignof(Pool), sizeof(Pool)); /* sizes are multiples of 64 */
    Worker *ws = aligned_alloc(alignof(Worker), sizeof(Worker) * (size_t)n_threads);
    if (!p || !ws) {
        free(p);
        free(ws);
        return NULL;
    }
    memset(p, 0, sizeof *p);
    memset(ws, 0, sizeof(Worker) * (size_t)n_threads);
    p->n_threads = 1;
    p->workers = ws;
    p->hold_ns = HOLD_MIN_NS;
    atomic_init(&p->word, 0);
    atomic_init(&p->job_threads, 0);
    atomic_init(&p->quit, false);
    atomic_init(&p->finished, 0);
    atomic_init(&p->caller_sleeping, 0);
    if (mtx_init(&p->mu, mtx_plain) != thrd_success) {
        free(ws);
        free(p);
        return NULL;
    }
    if (cnd_init(&p->done) != thrd_success) {
        mtx_destroy(&p->mu);
        free(ws);
        free(p);
        return NULL;
    }
    for (int i = 1; i < n_threads; i++) {
        Worker *w = &ws[i];
        atomic_init(&w->sleeping, 0);
        w->pool = p;
        w->id = i;
        bool mu_ok = mtx_init(&w->mu, mtx_plain) == thrd_success;
        bool cv_ok = mu_ok && cnd_init(&w->cv) == thrd_success;
        if (!cv_ok || thrd_create(&w->thread, worker_main, w) != thrd_success) {
            if (cv_ok)
                cnd_destroy(&w->cv);
            if (mu_ok)
                mtx_destroy(&w->mu);
            pool_free(p); /* joins the i - 1 workers that started */
            return NULL;
        }
        p->n_threads = i + 1;
    }
    p->limit = p->n_threads;
    p->cap = p->n_threads;
    return p;
}

void pool_free(Pool *p)
{
    if (!p)
        return;
    atomic_store(&p->quit, true);
    for (int i = 1; i < p->n_threads; i++)
        wake(&p->workers[i]);
    for (int i = 1; i < p->n_threads; i++) {
        thrd_join(p->workers[i].thread, NULL);
        cnd_destroy(&p->workers[i].cv);
        mtx_destroy(&p->workers[i].mu);
    }
    cnd_destroy(&p->done);
    mtx_destroy(&p->mu);
    free(p->workers);
    free(p);
}

/* The caller's wait for tasks other threads claimed: spin, yield, then sleep. */
static void caller_wait(Pool *p, int n_tasks)
{
    long long t0 = 0;
    for (int i = 0;; i++) {
        if (atomic_load_explicit(&p->finished, memory_order_acquire) == n_tasks)
            return;
        if ((i & 15) != 15) {
            cpu_relax();
            continue;
        }
        long long t = now_ns();
        if (t0 == 0)
            t0 = t;
        if (t - t0 >= CALLER_YIELD_NS)
            break;
        if (t - t0 >= CALLER_SPIN_NS)
            thrd_yield();
    }
    mtx_lock(&p->mu);
    atomic_store(&p->caller_sleeping, 1);
    while (atomic_load(&p->finished) < n_tasks)
        cnd_wait(&p->done, &p->mu);
    atomic_store(&p->caller_sleeping, 0);
    mtx_unlock(&p->mu);
}

/* The threads a job may use at time t: the limit, doubled once its hold has passed. */
static int thread_limit(Pool *p, long long t)
{
    if (p->limit < p->n_threads && t >= p->hold_until) {
        p->limit = 2 * p->limit < p->n_threads ? 2 * p->limit : p->n_threads;
        p->hold_until = t + p->hold_ns;
    }
    return p->limit;
}

/* Counts a job on `threads` threads that took own ns of the caller's tasks and wait ns of
 * waiting for others', with starved when the caller ran all of them (no worker had to be
 * woken); cuts the limit when recent jobs stalled or starved often. */
static void note_job(Pool *p, int threads, long long own, long long wait, bool starved, long long t)
{
    bool stall = wait > STALL_MIN_NS && wait > own;
    starved = starved && own > STARVE_MIN_NS;
    p->stats.jobs++;
    p->stats.stalls += stall;
    p->stats.starved += starved;
    p->stall_score = p->stall_score * 0.875 + (stall ? 1.0 : 0.0) + (starved ? 0.5 : 0.0);
    if (p->stall_score < 2.0)
        return;
    p->stall_score = 0;
    p->stats.cuts++;
    /* Cuts in a row hold longer; after a quiet spell they start short again. */
    if (t - p->last_cut < 4 * p->hold_ns)
        p->hold_ns = 2 * p->hold_ns < HOLD_MAX_NS ? 2 * p->hold_ns : HOLD_MAX_NS;
    else
        p->hold_ns = HOLD_MIN_NS;
    p->last_cut = t;
    p->limit = threads / 2 > 1 ? threads / 2 : 1;
    p->hold_until = t + p->hold_ns;
}

/* One job of n_tasks <= JOB_MAX_TASKS on threads > 1 threads. */
static void run_job(Pool *p, int n_tasks, int threads, PoolThreadTask fn, void *ctx, long long t0)
{
    /* The previous job is closed (all its tasks claimed), so nobody reads these now. */
    p->fn = fn;
    p->ctx = ctx;
    atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
    atomic_store_explicit(&p->job_threads, threads, memory_order_relaxed);
    uint32_t gen = (generation(p) + 1) & WORD_GEN_MASK;
    atomic_store(&p->word, word_make(gen, n_tasks)); /* publishes the fields above */
    bool woke = false;
    for (int i = 1; i < threads; i++)
        if (atomic_load(&p->workers[i].sleeping)) {
            wake(&p->workers[i]);
            woke = true;
        }
    int own = run_claims(p, gen, 0);
    long long t1 = now_ns(), t2 = t1;
    if (atomic_fetch_add(&p->finished, own) + own < n_tasks) {
        caller_wait(p, n_tasks);
        t2 = now_ns();
    }
    note_job(p, threads, t1 - t0, t2 - t1, own == n_tasks && !woke, t2);
}

typedef struct {
    PoolThreadTask fn;
    void *ctx;
    int offset;
} Batch;

static void run_batch(void *ctx, int task, int thread)
{
    const Batch *b = ctx;
    b->fn(b->ctx, b->offset + task, thread);
}

void pool_run_threads(Pool *p, int n_tasks, int max_threads, PoolThreadTask fn, void *ctx)
{
    int threads = p ? p->cap : 1; /* 1 .. n_threads (pool_cap) */
    if (max_threads < threads)
        threads = max_threads < 1 ? 1 : max_threads;
    if (n_tasks < threads)
        threads = n_tasks;
    long long t0 = threads > 1 ? now_ns() : 0;
    if (threads > 1 && threads > thread_limit(p, t0)) {
        p->stats.limited_jobs++;
        threads = p->limit;
    }
    if (threads <= 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    if (n_tasks <= JOB_MAX_TASKS) {
        run_job(p, n_tasks, threads, fn, ctx, t0);
        return;
    }
    for (int offset = 0; offset < n_tasks; offset += JOB_MAX_TASKS) {
        Batch b = {fn, ctx, offset};
        int n = n_tasks - offset < JOB_MAX_TASKS ? n_tasks - offset : JOB_MAX_TASKS;
        run_job(p, n, threads, run_batch, &b, offset ? now_ns() : t0);
    }
}

PoolStats pool_stats(const Pool *p)
{
    PoolStats s = {0, 0, 0, 0, 0};
    return p ? p->stats : s;
}

typedef struct {
    PoolTask fn;
    void *ctx;
} PlainJob;

static void run_plain(void *ctx, int task, int thread)
{
    (void)thread;
    const PlainJob *j = ctx;
    j->fn(j->ctx, task);
}

void pool_run(Pool *p, int n_tasks, PoolTask fn, void *ctx)
{
    PlainJob j = {fn, ctx};
    pool_run_threads(p, n_tasks, INT_MAX, run_plain, &j);
}

typedef struct {
    PoolRange fn;
    void *ctx;
    int n, per_task;
} ForJob;

static void for_task(void *ctx, int task)
{
    const ForJob *j = ctx;
    int b = task * j->per_task;
    int e = b + j->per_task < j->n ? b + j->per_task : j->n;
    if (b < e)
        j->fn(j->ctx, b, e);
}

void pool_for(Pool *p, int n, int grain, PoolRange fn, void *ctx)
{
    int threads = pool_threads(p);
    int tasks = grain > 0 ? n / grain : threads;
    if (tasks > threads)
        tasks = threads;
    if (tasks <= 1) {
        if (n > 0)
            fn(ctx, 0, n);
        return;
    }
    ForJob j = {fn, ctx, n, (n + tasks - 1) / tasks};
    pool_run(p, tasks, for_task, &j);
}

int pool_threads(const Pool *p)
{
    return p ? p->n_threads : 1;
}

int pool_threads_now(Pool *p)
{
    if (!p || p->n_threads == 1)
        return 1;
    int n = thread_limit(p, now_ns());
    return n < p->cap ? n : p->cap;
}

void pool_cap(Pool *p, int n)
{
    if (p)
        p->cap = n < 1 ? 1 : n > p->n_threads ? p->n_threads : n;
}

/* ---- CPU counts ---- */

/* Reads a small text file (a /proc or /sys file reports size 0, so read to the end) into
 * buf; false when unreadable or empty. */
static bool read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0;
}

/* A decimal number of at most 9 digits at *s (no sign); advances *s. -1 if none. */
static long parse_small(const char **s)
{
    const char *c = *s;
    long v = 0;
    int digits = 0;
    while (*c >= '0' && *c <= '9') {
        if (++digits > 9)
            return -1;
        v = v * 10 + (*c - '0');
        c++;
    }
    if (digits == 0)
        return -1;
    *s = c;
    return v;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *s)
{
    while (blank(*s))
        s++;
    return s;
}

/* The list ends at the end of the text or of its line. */
int pool_parse_cpu_list(const char *text)
{
    const char *s = skip_blanks(text);
    long long count = 0;
    for (;;) {
        long a = parse_small(&s);
        if (a < 0)
            return -1;
        long b = a;
        if (*s == '-') {
            s++;
            if ((b = parse_small(&s)) < 0 || b < a)
                return -1;
        }
        count += b - a + 1;
        if (count > INT_MAX)
            return -1;
        if (*s != ',')
            break;
        s++;
    }
    s = skip_blanks(s);
    if (*s != '\0' && *s != '\n')
        return -1;
    return (int)count;
}

int pool_parse_status_cpus(const char *status)
{
    static const char key[] = "Cpus_allowed_list:";
    for (const char *line = status; line && *line;) {
        if (strncmp(line, key, sizeof key - 1) == 0)
            return pool_parse_cpu_list(line + sizeof key - 1);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

/* ceil(quota / period), both positive. */
static int quota_cpus(long quota, long period)
{
    if (quota <= 0 || period <= 0)
        return -1;
    long n = (quota + period - 1) / period;
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* Only blanks and one optional newline remain. */
static bool at_end(const char *s)
{
    s = skip_blanks(s);
    if (*s == '\n')
        s++;
    return *s == '\0';
}

int pool_parse_cpu_max(const char *text)
{
    const char *s = skip_blanks(text);
    bool unlimited = strncmp(s, "max", 3) == 0;
    long quota = 0;
    if (unlimited)
        s += 3;
    else if ((quota = parse_small(&s)) < 0)
        return -1;
    if (!blank(*s))
        return -1;
    s = skip_blanks(s);
    long period = parse_small(&s);
    if (period <= 0 || !at_end(s))
        return -1;
    return unlimited ? 0 : quota_cpus(quota, period);
}

int pool_parse_cfs_quota(const char *quota, const char *period)
{
    const char *q = skip_blanks(quota), *t = skip_blanks(period);
    bool unlimited = strncmp(q, "-1", 2) == 0;
    long qv = 0;
    if (unlimited)
        q += 2;
    else if ((qv = parse_small(&q)) < 0)
        return -1;
    long pv = parse_small(&t);
    if (!at_end(q) || pv <= 0 || !at_end(t))
        return -1;
    return unlimited ? 0 : quota_cpus(qv, pv);
}

/* The tightest CPU quota (0 = none) on the cgroup of controller (NULL: v2, cpu.max; else
 * v1's cpu.cfs_quota_us and cpu.cfs_period_us) and each parent below its mount. */
static int hierarchy_cpu_limit(const char *cgroup, const char *mountinfo, const char *controller)
{
    char mount[4096], dir[4096], path[8400], a[256], b[256];
    int limit = 0;
    if (util_cgroup_locate(cgroup, mountinfo, controller, mount, sizeof mount, dir,
                           sizeof dir) < 0)
        return 0;
    do {
        int n = -1;
        if (!controller) {
            util_cgroup_file(path, sizeof path, mount, dir, "cpu.max");
            n = read_text(path, a, sizeof a) ? pool_parse_cpu_max(a) : -1;
        } else {
            util_cgroup_file(path, sizeof path, mount, dir, "cpu.cfs_quota_us");
            bool got = read_text(path, a, sizeof a);
            util_cgroup_file(path, sizeof path, mount, dir, "cpu.cfs_period_us");
            n = got && read_text(path, b, sizeof b) ? pool_parse_cfs_quota(a, b) : -1;
        }
        if (n > 0 && (limit == 0 || n < limit))
            limit = n;
    } while (util_cgroup_parent(dir));
    return limit;
}

int pool_cgroup_cpu_limit(const char *cgroup, const char *mountinfo)
{
    int v2 = hierarchy_cpu_limit(cgroup, mountinfo, NULL);
    int v1 = hierarchy_cpu_limit(cgroup, mountinfo, "cpu");
    return v2 == 0 ? v1 : v1 == 0 || v2 < v1 ? v2 : v1;
}

/* The tightest cgroup quota on this process (0 = none). */
static int cgroup_cpu_limit(void)
{
    char *cgroup = util_read_small_file("/proc/self/cgroup");
    char *mountinfo = util_read_small_file("/proc/self/mountinfo");
    int limit = pool_cgroup_cpu_limit(cgroup, mountinfo);
    free(cgroup);
    free(mountinfo);
    return limit;
}

int pool_available_cpus(void)
{
    char status[16384];
    int n = read_text("/proc/self/status", status, sizeof status) ? pool_parse_status_cpus(status) : -1;
    if (n <= 0)
        n = pool_online_cpus();
    int limit = cgroup_cpu_limit();
    if (limit > 0 && limit < n)
        n = limit;
    return n > 0 ? n : 1;
}

int pool_online_cpus(void)
{
    char buf[4096];
    int n = read_text("/sys/devices/system/cpu/online", buf, sizeof buf) ? pool_parse_cpu_list(buf) : -1;
    return n > 0 ? n : 1;
}
