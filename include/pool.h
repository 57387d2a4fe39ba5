/* pool.h - a persistent thread pool on C11 <threads.h>, created once per run. A job is a
 * set of numbered tasks that the threads taking part claim one at a time, so a thread that
 * the system has descheduled (another process on its core) never holds work the others
 * could do: the caller takes part and runs every task nobody else claimed. A kernel that
 * writes each output element from one task therefore gives bit-identical results for any
 * thread count and any assignment. Each job also says how many threads may take part, so
 * a small operation keeps to the few threads it can pay for. When jobs keep waiting for
 * descheduled threads (other processes on the cores), the pool uses fewer threads for a
 * while (on 2 cores: the caller alone). A pool has no more threads than the CPUs the
 * process may use: threads beyond them would only wait for each other. */
#ifndef MLPTRAIN_POOL_H
#define MLPTRAIN_POOL_H

typedef struct Pool Pool;

typedef void (*PoolTask)(void *ctx, int task);
/* The same, told which thread runs it: 0 <= thread < the job's thread count, and no two
 * tasks run at once with the same thread number (per-thread scratch buffers). */
typedef void (*PoolThreadTask)(void *ctx, int task, int thread);

/* A pool of min(n_threads, pool_available_cpus()) threads: starts that many - 1 workers
 * (n_threads >= 1). Returns NULL if threads cannot start. */
Pool *pool_create(int n_threads);
/* A pool of exactly n_threads threads, even beyond the CPUs (tests use it to split work
 * more ways than the machine has CPUs). */
Pool *pool_create_exact(int n_threads);
/* Stops and joins the workers; NULL is fine. */
void pool_free(Pool *p);
/* Runs fn(ctx, 0..n_tasks-1) on up to min(n_tasks, pool threads) threads. p may be NULL
 * (runs inline). Returns when every task is done. */
void pool_run(Pool *p, int n_tasks, PoolTask fn, void *ctx);
/* Runs fn(ctx, task, thread) for task 0..n_tasks-1 on up to max_threads threads (capped by
 * n_tasks and the pool; at least 1). */
void pool_run_threads(Pool *p, int n_tasks, int max_threads, PoolThreadTask fn, void *ctx);
/* Runs fn(ctx, begin, end) over [0, n) cut into at most one contiguous range per thread,
 * none shorter than grain (so small n stays on the caller). For element-wise work whose
 * result does not depend on how the range is cut. */
typedef void (*PoolRange)(void *ctx, int begin, int end);
void pool_for(Pool *p, int n, int grain, PoolRange fn, void *ctx);

/* What the pool did, for the benchmarks: jobs run on several threads, those of them that
 * stalled (the caller waited for a descheduled thread) or were starved (no other thread
 * took a task), jobs that ran on fewer threads than they could because recent jobs stalled
 * or starved (on 2 threads: on the caller alone), and how often the limit was cut. */
typedef struct {
    long jobs, stalls, starved, limited_jobs, cuts;
} PoolStats;
PoolStats pool_stats(const Pool *p);

/* Threads in the pool, including the caller (1 for NULL). */
int pool_threads(const Pool *p);
/* The threads a job started now can use: pool_threads, or fewer while the pool's threads
 * keep it waiting (see pool_stats). A kernel whose split has a cost (each task packing
 * operands) splits its work for this many. */
int pool_threads_now(Pool *p);

/* Jobs started from now on use at most n threads (1 .. pool_threads; the contention
 * limit above applies below it). The training loop sets it from measured step times. */
void pool_cap(Pool *p, int n);

/* Online CPUs as the system reports them (/sys/devices/system/cpu/online), at least 1. */
int pool_online_cpus(void);

/* The CPUs this process may use: the CPUs in Cpus_allowed_list of /proc/self/status
 * (follows taskset, cpusets, Slurm), capped by the cgroup CPU quota (v2 cpu.max and v1
 * cpu.cfs_quota_us / cpu.cfs_period_us of the process's cgroup and its parents), rounded
 * up; at least 1. Falls back to pool_online_cpus() when /proc/self/status is unreadable. */
int pool_available_cpus(void);

/* The parsing behind pool_available_cpus, on text (exposed for tests).
 * pool_parse_cpu_list: CPUs in a list such as "0-3,8,10-11\n" (5 + ... ); -1 if malformed.
 * pool_parse_status_cpus: the Cpus_allowed_list count of a /proc/self/status text; -1 if
 *   absent or malformed.
 * pool_parse_cpu_max: a v2 cpu.max text "QUOTA PERIOD" -> ceil(QUOTA / PERIOD); 0 for
 *   "max PERIOD" (no cap); -1 if malformed.
 * pool_parse_cfs_quota: v1 texts of cpu.cfs_quota_us and cpu.cfs_period_us -> the same
 *   (quota -1 = no cap, 0); -1 if malformed.
 * pool_cgroup_cpu_limit: the tightest quota (0 = none) on the process whose
 *   /proc/self/cgroup and /proc/self/mountinfo texts these are (either may be NULL): v2
 *   cpu.max and v1 cpu.cfs_quota_us / cpu.cfs_period_us of its cgroup and each parent,
 *   each found through the mounts as util_cgroup_locate finds them. */
int pool_parse_cpu_list(const char *text);
int pool_parse_status_cpus(const char *status);
int pool_parse_cpu_max(const char *text);
int pool_parse_cfs_quota(const char *quota, const char *period);
int pool_cgroup_cpu_limit(const char *cgroup, const char *mountinfo);

#endif
