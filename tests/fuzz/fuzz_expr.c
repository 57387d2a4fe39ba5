/* fuzz_expr.c - libFuzzer harness for the lambda expression language (expr.h). The input
 * is the expression text (cut at the first NUL).
 *
 * Asserts: no crash or sanitizer report in expr_compile or expr_eval at a few (epoch,
 * iteration, base_lr) points (NaN and inf are allowed results); a failure leaves no
 * program and says "column C: ..." with C inside the text, in at most 200 bytes of
 * UTF-8 without control characters (whatever bytes the text holds); a program never exceeds
 * EXPR_MAX_OPS; and "(text)" compiles whenever text does (unless that one more level is
 * too deep) and evaluates to the same value at every point. FUZZ_VERBOSE=1 in the
 * environment prints each input's message or values. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const double points[][3] = {
    {0, 0, 0.1}, {1, 469, 0.01}, {3, 1234, 1}, {99, 100000, 1e-5}, {1e6, 1e9, 0.5}, {0, 0, 0},
};
#define N_POINTS (sizeof points / sizeof points[0])

static void fail(const char *what, const char *text, const char *msg)
{
    fprintf(stderr, "fuzz: %s\n  text: '%s'\n  msg: '%s'\n", what, text, msg);
    __builtin_trap();
}

/* Same double, counting every NaN as equal. */
static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Whether s is well-formed UTF-8 (lead bytes and continuation counts; overlong forms
 * and surrogates are not looked for). */
static int utf8_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 0 : *p >= 0xC2 && *p <= 0xDF ? 1 : *p >= 0xE0 && *p <= 0xEF ? 2
              : *p >= 0xF0 && *p <= 0xF4 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        for (int k = 0; k < n; k++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

/* A message quotes at most a short piece of the text: one line, no control character,
 * no broken UTF-8, bounded length. */
#define MAX_MSG 200

static void check_error(const Expr *x, const Err *e, const char *text)
{
    int col = 0;
    if (x->n_ops != 0 || sscanf(e->msg, "column %d: ", &col) != 1 || col < 1 ||
        (size_t)col > strlen(text) + 1)
        fail("bad error", text, e->msg);
    for (const char *m = e->msg; *m; m++)
        if ((unsigned char)*m < 0x20 || *m == 0x7f)
            fail("control character in the error", text, e->msg);
    if (!utf8_ok(e->msg) || strlen(e->msg) > MAX_MSG)
        fail("error not short UTF-8 text", text, e->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 3);
    memcpy(text + 1, data, size);
    text[size + 1] = '\0';
    char *plain = text + 1;
    size_t len = strlen(plain);

    static Expr x, w;
    Err e = {0};
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    int rc = expr_compile(&x, plain, &e);
    if (verbose)
        fprintf(stderr, "fuzz: '%s': %s", plain, rc ? e.msg : "compiled:");
    for (size_t i = 0; verbose && rc == 0 && i < N_POINTS; i++)
        fprintf(stderr, " %.17g", expr_eval(&x, points[i][0], points[i][1], points[i][2]));
    if (verbose)
        fputc('\n', stderr);
    if (rc != 0) {
        check_error(&x, &e, plain);
        free(text);
        return 0;
    }
    if (x.n_ops < 1 || x.n_ops > EXPR_MAX_OPS)
        fail("program size out of bounds", plain, "");
    double v[N_POINTS];
    for (size_t i = 0; i < N_POINTS; i++)
        v[i] = expr_eval(&x, points[i][0], points[i][1], points[i][2]);

    /* "(text)": one more level of nesting, the same program. */
    text[0] = '(';
    text[len + 1] = ')';
    text[len + 2] = '\0';
    if (expr_compile(&w, text, &e) != 0) {
        check_error(&w, &e, text);
        if (!strstr(e.msg, "too deeply nested"))
            fail("text compiles but (text) does not", plain, e.msg);
    } else {
        for (size_t i = 0; i < N_POINTS; i++)
            if (!same(v[i], expr_eval(&w, points[i][0], points[i][1], points[i][2])))
                fail("(text) evaluates differently", plain, "");
    }
    free(text);
    return 0;
}
