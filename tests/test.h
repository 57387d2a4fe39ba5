/* test.h - a minimal test runner. Each test is a void function run by RUN(); a test
 * fails when any CHECK in it fails. A test that cannot run here says why with SKIP_TEST
 * (counted, printed as "skipped: <binary>: <test>: why"; with CI set, where everything is
 * installed, a failure instead). test_finish() prints "<binary>: P passed, F failed,
 * S skipped" and returns the exit status (non-zero on any failure), so `make test` really
 * fails. */
#ifndef MLPTRAIN_TEST_H
#define MLPTRAIN_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed, test_skipped, test_cur_failed, test_cur_skipped;
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

/* The test binary's name, from its source file: "tests/test_plot.c" -> "test_plot". */
static inline void test_binary_name(char *out, size_t size, const char *file)
{
    const char *base = strrchr(file, '/');
    snprintf(out, size, "%s", base ? base + 1 : file);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = '\0';
}

/* SKIP_TEST(why): the current test cannot run here (a tool, a locale, a device missing;
 * WHY names the Debian package where one provides it) and returns from it. Checks made
 * before it still count: a failed one fails the test. With CI set (non-empty) a skip is a
 * failure. A capability that no package installs (an instruction set the CPU lacks) is
 * SKIP_HARDWARE: counted as skipped even under CI. */
#define SKIP_TEST(why)                                                                     \
    do {                                                                                   \
        test_skip_(__FILE__, (why), 1);                                                    \
        return;                                                                            \
    } while (0)
#define SKIP_HARDWARE(why)                                                                 \
    do {                                                                                   \
        test_skip_(__FILE__, (why), 0);                                                    \
        return;                                                                            \
    } while (0)

static inline void test_skip_(const char *file, const char *why, int installable)
{
    char binary[64];
    test_binary_name(binary, sizeof binary, file);
    const char *ci = getenv("CI");
    if (installable && ci && *ci) {
        fprintf(stderr, "FAIL: %s: %s: %s (CI allows no skip)\n", binary, test_cur_name, why);
        test_cur_failed = 1;
    } else {
        printf("skipped: %s: %s: %s\n", binary, test_cur_name, why);
        test_cur_skipped = 1;
    }
}

#define RUN(fn)                                                                            \
    do {                                                                                   \
        test_cur_name = #fn;                                                               \
        test_cur_failed = 0;                                                               \
        test_cur_skipped = 0;                                                              \
        fn();                                                                              \
        if (test_cur_failed)                                                               \
            test_failed++;                                                                 \
        else if (test_cur_skipped)                                                         \
            test_skipped++;                                                                \
        else                                                                               \
            test_passed++;                                                                 \
    } while (0)

static inline int test_finish(const char *binary)
{
    const char *base = strrchr(binary, '/');
    printf("%s: %d passed, %d failed, %d skipped\n", base ? base + 1 : binary, test_passed,
           test_failed, test_skipped);
    return test_failed ? 1 : 0;
}

#endif
