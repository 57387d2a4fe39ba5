/* tsan_threads.c - linked into the ThreadSanitizer build (make tsan) with
 * -Wl,--wrap=thrd_create,... so that each C11 thread call goes to the pthread function it
 * stands for. glibc implements <threads.h> on internal pthread functions that
 * ThreadSanitizer does not intercept: it would neither set up a thread made by thrd_create
 * (the first instrumented call in it crashes) nor see the locks and waits of mtx_* and
 * cnd_*, or the once of call_once, and would report races that those prevent. glibc's
 * mtx_t, cnd_t, once_flag and thrd_t have the layout of pthread_mutex_t, pthread_cond_t,
 * pthread_once_t and pthread_t (its own <threads.h> functions cast them the same way). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

/* Declared here: only the linker's --wrap refers to them. */
void __wrap_call_once(once_flag *flag, void (*fn)(void));
int __wrap_thrd_create(thrd_t *t, thrd_start_t fn, void *arg);
int __wrap_thrd_join(thrd_t t, int *res);
int __wrap_mtx_init(mtx_t *m, int type);
int __wrap_mtx_lock(mtx_t *m);
int __wrap_mtx_unlock(mtx_t *m);
void __wrap_mtx_destroy(mtx_t *m);
int __wrap_cnd_init(cnd_t *c);
int __wrap_cnd_wait(cnd_t *c, mtx_t *m);
int __wrap_cnd_signal(cnd_t *c);
int __wrap_cnd_broadcast(cnd_t *c);
void __wrap_cnd_destroy(cnd_t *c);

typedef struct {
    thrd_start_t fn;
    void *arg;
} Start;

static void *start(void *p)
{
    Start s = *(Start *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

static int result(int rc)
{
    return rc == 0 ? thrd_success : thrd_error;
}

void __wrap_call_once(once_flag *flag, void (*fn)(void))
{
    pthread_once((pthread_once_t *)flag, fn);
}

int __wrap_thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
    Start *s = malloc(sizeof *s);
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    if (pthread_create((pthread_t *)t, NULL, start, s) != 0) {
        free(s);
        return thrd_error;
    }
    return thrd_success;
}

int __wrap_thrd_join(thrd_t t, int *res)
{
    void *r;
    if (pthread_join((pthread_t)t, &r) != 0)
        return thrd_error;
    if (res)
        *res = (int)(intptr_t)r;
    return thrd_success;
}

int __wrap_mtx_init(mtx_t *m, int type)
{
    (void)type; /* mlptrain uses plain mutexes only */
    return result(pthread_mutex_init((pthread_mutex_t *)m, NULL));
}

int __wrap_mtx_lock(mtx_t *m)
{
    return result(pthread_mutex_lock((pthread_mutex_t *)m));
}

int __wrap_mtx_unlock(mtx_t *m)
{
    return result(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void __wrap_mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

int __wrap_cnd_init(cnd_t *c)
{
    return result(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int __wrap_cnd_wait(cnd_t *c, mtx_t *m)
{
    return result(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int __wrap_cnd_signal(cnd_t *c)
{
    return result(pthread_cond_signal((pthread_cond_t *)c));
}

int __wrap_cnd_broadcast(cnd_t *c)
{
    return result(pthread_cond_broadcast((pthread_cond_t *)c));
}

void __wrap_cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}
