/* pool.h - a persistent thread pool on C11 <threads.h>, created once per run. Work is
 * split into numbered tasks assigned statically (task i runs on thread i mod T), so a
 * kernel that writes each output element from one task gives bit-identical results for
 * any thread count. The calling thread takes part; pool_run returns when all are done. */
#ifndef MLPTRAIN_POOL_H
#define MLPTRAIN_POOL_H

typedef struct Pool Pool;

typedef void (*PoolTask)(void *ctx, int task);

/* Starts n_threads - 1 workers (n_threads >= 1). Returns NULL if threads cannot start. */
Pool *pool_create(int n_threads);
/* Stops and joins the workers; NULL is fine. */
void pool_free(Pool *p);
/* Runs fn(ctx, 0..n_tasks-1) across the pool. p may be NULL (runs inline). */
void pool_run(Pool *p, int n_tasks, PoolTask fn, void *ctx);
/* Runs fn(ctx, begin, end) over [0, n) cut into at most one contiguous range per thread,
 * none shorter than grain (so small n stays on the caller). For element-wise work whose
 * result does not depend on how the range is cut. */
typedef void (*PoolRange)(void *ctx, int begin, int end);
void pool_for(Pool *p, int n, int grain, PoolRange fn, void *ctx);

/* Threads in the pool, including the caller (1 for NULL). */
int pool_threads(const Pool *p);

/* Online CPUs as the system reports them (/sys/devices/system/cpu/online), at least 1. */
int pool_online_cpus(void);

#endif
