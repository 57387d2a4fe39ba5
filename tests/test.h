/* test.h - a minimal test runner. Each test is a void function run by RUN(); a test
 * fails when any CHECK in it fails. test_finish() prints "<binary>: P passed, F failed"
 * and returns the exit status (non-zero on any failure), so `make test` really fails. */
#ifndef MLPTRAIN_TEST_H
#define MLPTRAIN_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed, test_cur_failed;
static const char *test_cur_name = "";

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__,           \
                    test_cur_name, #cond);                                                 \
            test_cur_failed = 1;                                                           \
        }                                                                                  \
    } while (0)

/* |got - expected| <= atol + rtol * |expected|; NaN never passes. */
#define CHECK_NEAR(expected, got, atol, rtol)                                              \
    do {                                                                                   \
        double e_ = (double)(expected), g_ = (double)(got);                                \
        if (!(fabs(g_ - e_) <= (atol) + (rtol) * fabs(e_))) {                              \
            fprintf(stderr, "%s:%d: %s: %s = %.17g, expected %.17g (diff %.3g)\n",         \
                    __FILE__, __LINE__, test_cur_name, #got, g_, e_, fabs(g_ - e_));       \
            test_cur_failed = 1;                                                           \
        }                                                                                  \
    } while (0)

#define CHECK_STR(expected, got)                                                           \
    do {                                                                                   \
        const char *e_ = (expected), *g_ = (got);                                          \
        if (!g_ || strcmp(e_, g_) != 0) {                                                  \
            fprintf(stderr, "%s:%d: %s: %s = \"%s\", expected \"%s\"\n", __FILE__,         \
                    __LINE__, test_cur_name, #got, g_ ? g_ : "(null)", e_);                \
            test_cur_failed = 1;                                                           \
        }                                                                                  \
    } while (0)

#define RUN(fn)                                                                            \
    do {                                                                                   \
        test_cur_name = #fn;                                                               \
        test_cur_failed = 0;                                                               \
        fn();                                                                              \
        if (test_cur_failed)                                                               \
            test_failed++;                                                                 \
        else                                                                               \
            test_passed++;                                                                 \
    } while (0)

static inline int test_finish(const char *binary)
{
    const char *base = strrchr(binary, '/');
    printf("%s: %d passed, %d failed\n", base ? base + 1 : binary, test_passed, test_failed);
    return test_failed ? 1 : 0;
}

#endif
