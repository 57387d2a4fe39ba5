/* test_plot.c - the plot module: tick arithmetic (Heckbert's nice numbers, log decades,
 * degenerate and non-finite ranges), locale-free number formatting (also under a
 * comma-decimal LC_NUMERIC when one is installed), XML escaping, and what each kind of
 * SVG must contain: a path per drawn series, NaN as a new subpath, legend outside the data;
 * a failed write of a plot file (report.c) names the file and the system's reason.
 * `test_plot --samples DIR` instead writes one SVG of each kind into DIR (after
 * setlocale(LC_ALL, "")), for tests/plot_test.sh to parse and render. */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"
#include "report.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- helpers ---- */

/* Renders the figure (or heatmap) into a malloc'ed string; returns NULL on failure. */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    return s;
}

static char *render_fig(const PlotFigure *fig)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    int rc = plot_figure_svg(f, fig);
    char *s = rc == 0 ? slurp(f) : NULL;
    fclose(f);
    return s;
}

static char *render_heat(const PlotHeatmap *h)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    int rc = plot_heatmap_svg(f, h);
    char *s = rc == 0 ? slurp(f) : NULL;
    fclose(f);
    return s;
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = s ? strstr(s, needle) : NULL; p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* Number of subpaths ("M" commands) in the d attribute of the k-th series path. */
static int series_moves(const char *svg, int k)
{
    const char *p = svg;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, "class=\"series\"");
        if (!p)
            return -1;
        p++;
    }
    p = strstr(p, " d=\"");
    if (!p)
        return -1;
    int m = 0;
    for (p += 4; *p && *p != '"'; p++)
        m += *p == 'M';
    return m;
}

/* True when some digit is followed by ',' and a digit: a locale's decimal comma. */
static bool has_decimal_comma(const char *s)
{
    for (; s && s[0] && s[1] && s[2]; s++)
        if (s[0] >= '0' && s[0] <= '9' && s[1] == ',' && s[2] >= '0' && s[2] <= '9')
            return true;
    return false;
}

/* Every number in the output is a plain decimal: path data holds only digits, '.', '-',
 * spaces and path commands, and every attribute that starts like a number is one (or a
 * list of them): no nan, inf or exponent anywhere. */
static bool coords_clean(const char *svg)
{
    for (const char *p = svg; (p = strstr(p, "=\"")) != NULL; p += 2) {
        const char *q = p + 2;
        bool path = p >= svg + 2 && p[-1] == 'd' && p[-2] == ' ';
        if (!path && *q != '-' && !(*q >= '0' && *q <= '9'))
            continue;
        for (; *q && *q != '"'; q++)
            if (!strchr(path ? "0123456789.- MLHVhvZ" : "0123456789.- ", *q))
                return false;
    }
    return true;
}

/* Right edge and bottom edge of every plot area (the clipPath rects). */
static void plot_extent(const char *svg, double *right, double *bottom)
{
    *right = *bottom = -1;
    for (const char *p = strstr(svg, "<clipPath"); p; p = strstr(p + 1, "<clipPath")) {
        double x, y, w, h;
        const char *r = strstr(p, "<rect");
        if (r && sscanf(r, "<rect x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\"", &x, &y,
                        &w, &h) == 4) {
            *right = fmax(*right, x + w);
            *bottom = fmax(*bottom, y + h);
        }
    }
}

/* Smallest x and smallest y of the legend's text elements (-1 when there is no legend). */
static void legend_origin(const char *svg, double *x, double *y)
{
    *x = *y = -1;
    const char *g = strstr(svg, "<g class=\"legend\">");
    if (!g)
        return;
    const char *end = strstr(g, "</g>");
    *x = *y = 1e9;
    for (const char *p = strstr(g, "<text x=\""); p && p < end; p = strstr(p + 1, "<text x=\"")) {
        double tx, ty;
        if (sscanf(p, "<text x=\"%lf\" y=\"%lf\"", &tx, &ty) == 2) {
            *x = fmin(*x, tx);
            *y = fmin(*y, ty);
        }
    }
}

/* ---- nice numbers and ticks ---- */

static void test_nice_num(void)
{
    /* Heckbert's two roundings: smallest nice >= x, and nearest */
    CHECK(plot_nice_num(1, false) == 1);
    CHECK(plot_nice_num(1.2, false) == 2);
    CHECK(plot_nice_num(2, false) == 2);
    CHECK(plot_nice_num(2.5, false) == 5);
    CHECK(plot_nice_num(7, false) == 10);
    CHECK(plot_nice_num(438, false) == 500);
    CHECK(plot_nice_num(0.0033, false) == 0.005);
    CHECK(plot_nice_num(1.4, true) == 1);
    CHECK(plot_nice_num(1.5, true) == 2);
    CHECK(plot_nice_num(2.9, true) == 2);
    CHECK(plot_nice_num(3, true) == 5);
    CHECK(plot_nice_num(6.9, true) == 5);
    CHECK(plot_nice_num(7, true) == 10);
    CHECK(plot_nice_num(125, true) == 100);
    CHECK(plot_nice_num(0.00125, true) == 0.001);
    CHECK(plot_nice_num(0.3, true) == 0.5);
    CHECK(plot_nice_num(1e-5, true) == 1e-5);
    CHECK(plot_nice_num(1e300, false) == 1e300);
    CHECK(plot_nice_num(0, true) == 0);
    CHECK(plot_nice_num(-3, true) == 0);
    CHECK(plot_nice_num(NAN, true) == 0);
    CHECK(plot_nice_num(INFINITY, false) == 0);
}

/* n ticks equal to want[0..n-1] exactly (as doubles), and the axis range their ends. */
static void check_ticks(int n, const double *t, double lo, double hi, const double *want,
                        int nw)
{
    CHECK(n == nw);
    for (int i = 0; i < n && i < nw; i++)
        CHECK_NEAR(want[i], t[i], 0, 0);
    if (n > 0 && n == nw) {
        CHECK_NEAR(want[0], lo, 0, 0);
        CHECK_NEAR(want[nw - 1], hi, 0, 0);
    }
}

static void test_linear_ticks(void)
{
    double t[PLOT_MAX_TICKS], lo, hi, step;
    int n;

    /* Heckbert's example: data 105..543 */
    n = plot_linear_ticks(105, 543, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){100, 200, 300, 400, 500, 600}, 6);
    CHECK(step == 100);

    n = plot_linear_ticks(0, 1, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){0, 0.2, 0.4, 0.6, 0.8, 1}, 6);

    /* ticks are the decimal doubles, not accumulated sums (0.30000000000000004) */
    n = plot_linear_ticks(0, 0.35, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){0, 0.1, 0.2, 0.3, 0.4}, 5);

    /* a lower end exactly on a tick that lo/step misses by one ulp (0.3/0.1 < 3) */
    n = plot_linear_ticks(0.3, 0.7, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){0.3, 0.4, 0.5, 0.6, 0.7}, 5);

    /* negative ranges */
    n = plot_linear_ticks(-0.5, -0.05, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){-0.5, -0.4, -0.3, -0.2, -0.1, 0}, 6);
    n = plot_linear_ticks(-3.7, 12.1, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){-5, 0, 5, 10, 15}, 5);

    /* accuracies close together */
    n = plot_linear_ticks(0.9812, 0.9845, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){0.981, 0.982, 0.983, 0.984, 0.985}, 5);
    CHECK(step == 0.001);

    /* tiny and huge magnitudes */
    n = plot_linear_ticks(1e-10, 3e-10, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){1e-10, 1.5e-10, 2e-10, 2.5e-10, 3e-10}, 5);
    n = plot_linear_ticks(0, 1e9, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){0, 2e8, 4e8, 6e8, 8e8, 1e9}, 6);
    n = plot_linear_ticks(-1e300, 1e300, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    CHECK(n >= 2 && n <= PLOT_MAX_TICKS);
    CHECK(isfinite(lo) && isfinite(hi) && lo <= -1e300 && hi >= 1e300);
    for (int i = 0; i + 1 < n; i++)
        CHECK(t[i] < t[i + 1]);

    /* lo == hi widens to +-10%, 0 to +-1; a single value is inside the axis */
    n = plot_linear_ticks(5, 5, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    CHECK(n >= 3 && lo <= 4.5 && hi >= 5.5 && lo < 5 && hi > 5);
    n = plot_linear_ticks(0, 0, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    check_ticks(n, t, lo, hi, (const double[]){-1, -0.5, 0, 0.5, 1}, 5);
    n = plot_linear_ticks(0.1, 0.1 + 1e-17, 5, t, PLOT_MAX_TICKS, &lo, &hi, &step);
    CHECK(n >= 3 && lo < 0.1 && hi > 0.1 && step > 1e-3);

    /* NaN and inf ends are ignored; reversed ends are swapped */
    double t2[PLOT_MAX_TICKS], lo2, hi2;
    n = plot_linear_ticks(NAN, 3, 5, t, PLOT_MAX_TICKS, &lo, &hi, NULL);
    int n2 = plot_linear_ticks(3, 3, 5, t2, PLOT_MAX_TICKS, &lo2, &hi2, NULL);
    CHECK(n == n2 && lo == lo2 && hi == hi2);
    n = plot_linear_ticks(NAN, NAN, 5, t, PLOT_MAX_TICKS, &lo, &hi, NULL);
    check_ticks(n, t, lo, hi, (const double[]){0, 0.2, 0.4, 0.6, 0.8, 1}, 6);
    n = plot_linear_ticks(-INFINITY, INFINITY, 5, t, PLOT_MAX_TICKS, &lo, &hi, NULL);
    CHECK(n == 6 && lo == 0 && hi == 1);
    n = plot_linear_ticks(1, 0, 5, t, PLOT_MAX_TICKS, &lo, &hi, NULL);
    CHECK(n == 6 && lo == 0 && hi == 1);

    /* max_ticks wins over target, and the ticks still cover the data */
    n = plot_linear_ticks(0, 97, 40, t, 5, &lo, &hi, &step);
    CHECK(n <= 5 && n >= 2 && lo <= 0 && hi >= 97);
    /* a range across 0 fits in 3 ticks whatever the target */
    n = plot_linear_ticks(-1, 1, 20, t, 3, &lo, &hi, &step);
    CHECK(n == 3 && lo <= -1 && hi >= 1 && t[1] == 0);
    n = plot_linear_ticks(-1, 1, 20, t, 1, &lo, &hi, &step);
    CHECK(n == 1 && lo <= -1 && hi >= 1);
    /* target near 1 still gives at least two ticks */
    n = plot_linear_ticks(0, 10, 1, t, PLOT_MAX_TICKS, &lo, &hi, NULL);
    CHECK(n >= 2 && lo <= 0 && hi >= 10);
    /* out pointers may be NULL */
    CHECK(plot_linear_ticks(0, 1, 5, t, PLOT_MAX_TICKS, NULL, NULL, NULL) == 6);
}

static void test_log_ticks(void)
{
    double t[PLOT_MAX_TICKS], lo, hi;
    int n;

    /* four decades of learning rates: decade ticks */
    n = plot_log_ticks(1e-5, 0.1, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){1e-5, 1e-4, 1e-3, 1e-2, 1e-1}, 5);
    /* data inside decades snaps outwards */
    n = plot_log_ticks(3e-5, 0.08, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){1e-5, 1e-4, 1e-3, 1e-2, 1e-1}, 5);

    /* two decades or less: 1, 2, 5 in between */
    n = plot_log_ticks(0.001, 0.1, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}, 7);
    n = plot_log_ticks(32, 2048, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){20, 50, 100, 200, 500, 1000, 2000, 5000}, 8);
    n = plot_log_ticks(0.03, 0.04, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){0.02, 0.05}, 2);
    /* a small target drops the 2 and 5 */
    n = plot_log_ticks(0.001, 0.1, 3, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){0.001, 0.01, 0.1}, 3);

    /* thirty decades: a tick every few decades */
    n = plot_log_ticks(1e-30, 1, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    CHECK(n >= 3 && n <= 7);
    CHECK_NEAR(1e-30, lo, 0, 1e-15);
    CHECK(hi == 1);
    for (int i = 0; i + 1 < n; i++)
        CHECK(t[i] < t[i + 1]);

    /* the whole double range in three ticks stays inside it */
    n = plot_log_ticks(1e-300, 1e300, 5, t, 3, &lo, &hi);
    CHECK(n >= 2 && n <= 3 && t[0] > 0 && isfinite(t[n - 1]) && lo > 0 && isfinite(hi));

    /* lo == hi: the neighbouring 1-2-5 values */
    n = plot_log_ticks(0.1, 0.1, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){0.05, 0.1, 0.2}, 3);
    n = plot_log_ticks(0.3, 0.3, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){0.2, 0.5}, 2);

    /* non-positive and non-finite ends are ignored */
    n = plot_log_ticks(0, 100, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){50, 100, 200}, 3);
    n = plot_log_ticks(-1, NAN, 5, t, PLOT_MAX_TICKS, &lo, &hi);
    check_ticks(n, t, lo, hi, (const double[]){1, 2, 5, 10}, 4);
    n = plot_log_ticks(0.1, 1e-5, 5, t, 3, &lo, &hi);
    CHECK(n <= 3 && n >= 2 && lo <= 1e-5 && hi >= 0.1);
}

static void test_resolve_scale(void)
{
    const double lr[] = {0.1, 0.01, 0.001, 1e-4};
    const double acc[] = {0.2, 0.9, 0.95};
    const double with0[] = {0.1, 0, 1e-5};
    const double gaps[] = {NAN, 1e-4, INFINITY, 0.1};
    const double ratio20[] = {1, 20};
    CHECK(plot_resolve_scale(PLOT_SCALE_AUTO, lr, LEN(lr)) == PLOT_SCALE_LOG);
    CHECK(plot_resolve_scale(PLOT_SCALE_AUTO, acc, LEN(acc)) == PLOT_SCALE_LINEAR);
    CHECK(plot_resolve_scale(PLOT_SCALE_AUTO, with0, LEN(with0)) == PLOT_SCALE_LINEAR);
    CHECK(plot_resolve_scale(PLOT_SCALE_AUTO, gaps, LEN(gaps)) == PLOT_SCALE_LOG);
    CHECK(plot_resolve_scale(PLOT_SCALE_AUTO, ratio20, LEN(ratio20)) == PLOT_SCALE_LINEAR);
    CHECK(plot_resolve_scale(PLOT_SCALE_AUTO, NULL, 0) == PLOT_SCALE_LINEAR);
    CHECK(plot_resolve_scale(PLOT_SCALE_LINEAR, lr, LEN(lr)) == PLOT_SCALE_LINEAR);
    CHECK(plot_resolve_scale(PLOT_SCALE_LOG, acc, LEN(acc)) == PLOT_SCALE_LOG);
}

/* ---- numbers ---- */

static void check_fmt(const char *want, double v, double step)
{
    char b[64];
    plot_format_number(b, sizeof b, v, step);
    CHECK_STR(want, b);
}

static void check_fixed(const char *want, double v, int decimals)
{
    char b[64];
    plot_format_fixed(b, sizeof b, v, decimals);
    CHECK_STR(want, b);
}

static void test_format_number(void)
{
    check_fmt("0.3", 0.1 + 0.2, 0.1);
    check_fmt("0.2", 0.2, 0.1);
    check_fmt("1.0", 1, 0.1);
    check_fmt("0.0", 0, 0.1);
    check_fmt("0.0", -1e-17, 0.1); /* never "-0.0" */
    check_fmt("-0.2", -0.2, 0.1);
    check_fmt("0.25", 0.25, 0.05);
    check_fmt("0.981", 0.981, 0.001);
    check_fmt("0.0003", 0.0003, 0.0001);
    check_fmt("100", 100, 1);
    check_fmt("-40", -40, 20);
    check_fmt("15000", 15000, 5000);
    check_fmt("4e+08", 4e8, 2e8);
    check_fmt("1.5e+06", 1.5e6, 5e5);
    check_fmt("0", 0, 5e5);
    check_fmt("2e-05", 2e-5, 1e-5);
    check_fmt("2.5e-05", 2.5e-5, 5e-6);
    check_fmt("1.5e-10", 1.5e-10, 5e-11);
    check_fmt("3e-20", 3e-20, 1e-20);
    check_fmt("1.25e+200", 1.25e200, 5e197);
    /* step 0: printf's %g */
    check_fmt("0.1", 0.1, 0);
    check_fmt("1e-05", 1e-5, 0);
    check_fmt("0.0001", 1e-4, 0);
    check_fmt("100000", 1e5, 0);
    check_fmt("1e+06", 1e6, 0);
    check_fmt("1.23457e+08", 123456789, 0);
    check_fmt("2.5", 2.5, 0);
    check_fmt("-0.00125", -0.00125, 0);
    check_fmt("0", -0.0, 0);
    check_fmt("4.94066e-324", 4.9406564584124654e-324, 0);
    check_fmt("1.79769e+308", 1.7976931348623157e308, 0);
    /* step < 0: exponent form, as on log axes spanning many decades */
    check_fmt("1e-05", 1e-5, -1);
    check_fmt("1e-01", 0.1, -1);
    check_fmt("2e-03", 0.002, -1);
    check_fmt("1e+100", 1e100, -1);
    check_fmt("nan", NAN, 0.1);
    check_fmt("inf", INFINITY, 0);
    check_fmt("-inf", -INFINITY, -1);

    /* %g equivalence on values that are not halfway cases */
    const double vals[] = {0.5, 3.14159265, 1234.5678, 99999.94, 999999.4, 0.000123456,
                           6.02214076e23, -2.718281828, 1e-300, 7e-5, 0.1 + 0.2, 42,
                           123456, 1234567, 0.98765432, 9.9999994};
    for (int i = 0; i < LEN(vals); i++) {
        char mine[64], theirs[64];
        plot_format_number(mine, sizeof mine, vals[i], 0);
        snprintf(theirs, sizeof theirs, "%g", vals[i]);
        CHECK_STR(theirs, mine);
    }

    check_fixed("0.988", 0.9876, 3);
    check_fixed("3", 2.5, 0);
    check_fixed("-3", -2.5, 0);
    check_fixed("123.5", 123.456, 1);
    check_fixed("0.000", -0.0001, 3);
    check_fixed("0.05", 0.05, 2);
    check_fixed("1e+20", 1e20, 2);
    check_fixed("nan", NAN, 2);

    /* truncation keeps the buffer terminated */
    char small[4];
    plot_format_number(small, sizeof small, 0.25, 0.05);
    CHECK_STR("0.2", small);
    plot_format_number(small, 1, 0.25, 0.05);
    CHECK(small[0] == '\0');
}

/* A tiny figure whose every coordinate has decimals, for the locale test. */
static char *render_small(void)
{
    const double x[] = {0.5, 1.25, 2.75}, y[] = {0.125, 0.5, 0.3};
    PlotSeries s = {.label = "a", .x = x, .y = y, .n = 3};
    PlotPanel p = {.title = "t", .xlabel = "x", .ylabel = "y", .series = &s, .n_series = 1};
    PlotFigure fig = {.panels = &p, .n_panels = 1, .panel_w = 333.3, .panel_h = 222.7};
    return render_fig(&fig);
}

static void test_comma_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                        "de_DE", "fr_FR", "nl_NL.UTF-8"};
    const char *got = NULL;
    for (int i = 0; i < LEN(names) && !got; i++)
        got = setlocale(LC_NUMERIC, names[i]) ? names[i] : NULL;
    if (!got) {
        char *svg = render_small(); /* in C, at least */
        CHECK(svg && !has_decimal_comma(svg));
        free(svg);
        SKIP_TEST("no comma-decimal locale (de_DE, fr_FR or nl_NL) installed "
                  "(Debian: apt-get install locales-all)");
    }
    char b[64];
    snprintf(b, sizeof b, "%.1f", 0.5);
    CHECK_STR("0,5", b); /* the locale really is in force */
    check_fmt("0.3", 0.3, 0.1);
    check_fmt("2.5e-05", 2.5e-5, 5e-6);
    check_fmt("1.5", 1.5, 0);
    check_fixed("0.988", 0.9876, 3);
    char *svg = render_small();
    CHECK(svg && !has_decimal_comma(svg));
    CHECK(svg && strstr(svg, ".5"));
    free(svg);
    double v[] = {0.9812, 0.5};
    PlotHeatmap h = {.xcats = (const char *[]){"a", "b"}, .nx = 2,
                     .ycats = (const char *[]){"r"}, .ny = 1, .values = v};
    svg = render_heat(&h);
    CHECK(svg && !has_decimal_comma(svg) && strstr(svg, ">0.981<"));
    free(svg);
    setlocale(LC_NUMERIC, "C");
}

/* ---- text ---- */

static void test_xml_escape(void)
{
    char b[128];
    CHECK(plot_xml_escape(b, sizeof b, "a&b<c>\"d'") == strlen(b));
    CHECK_STR("a&amp;b&lt;c&gt;&quot;d&apos;", b);
    plot_xml_escape(b, sizeof b, "lr=1e-3 \xC2\xB1 0.5 \xCE\xBC"); /* valid UTF-8 kept */
    CHECK_STR("lr=1e-3 \xC2\xB1 0.5 \xCE\xBC", b);
    plot_xml_escape(b, sizeof b, "bad\xFF\xC0\x80 x\x01y\tz\n");
    CHECK_STR("bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD x\xEF\xBF\xBDy z ", b);
    plot_xml_escape(b, sizeof b, "\xED\xA0\x80|\xEF\xBF\xBE|\xE2\x82"); /* surrogate, U+FFFE, cut */
    CHECK(strstr(b, "\xED") == NULL && strstr(b, "\xEF\xBF\xBE") == NULL);
    CHECK(plot_xml_escape(b, sizeof b, NULL) == 0 && b[0] == '\0');
    /* snprintf-like: the needed length, and the buffer stays terminated */
    char small[6];
    CHECK(plot_xml_escape(small, sizeof small, "a&b") == 7);
    CHECK_STR("a&amp", small);
    CHECK(plot_xml_escape(NULL, 0, "<<") == 8);
}

static void test_text_width(void)
{
    CHECK(plot_text_width("", 12) == 0);
    CHECK(plot_text_width(NULL, 12) == 0);
    CHECK_NEAR(6.36, plot_text_width("0", 10), 1e-9, 0);
    CHECK(plot_text_width("mmm", 11) > plot_text_width("iii", 11));
    CHECK(plot_text_width("0.001", 22) == 2 * plot_text_width("0.001", 11));
    CHECK(plot_text_width("\xCE\xBC", 10) == 7); /* one code point, not two bytes */
}

static void test_palette(void)
{
    CHECK_STR("#0072B2", plot_color(0));
    CHECK_STR("#D55E00", plot_color(1));
    CHECK_STR(plot_color(0), plot_color(PLOT_PALETTE_SIZE));
    CHECK_STR(plot_color(3), plot_color(3 + 5 * PLOT_PALETTE_SIZE));
    CHECK_STR(plot_color(0), plot_color(-4));
    for (int i = 0; i < PLOT_PALETTE_SIZE; i++)
        for (int j = i + 1; j < PLOT_PALETTE_SIZE; j++)
            CHECK(strcmp(plot_color(i), plot_color(j)) != 0);
    char c[8];
    plot_ramp_color(0, c);
    CHECK_STR("#440154", c);
    plot_ramp_color(1, c);
    CHECK_STR("#fde725", c);
    plot_ramp_color(0.5, c);
    CHECK_STR("#21908d", c);
    plot_ramp_color(NAN, c);
    CHECK_STR("#440154", c);
    plot_ramp_color(7, c);
    CHECK_STR("#fde725", c);
    plot_ramp_color(1.0 / 16, c); /* halfway between the first two samples */
    CHECK_STR("#461767", c);
}

/* ---- SVG output ---- */

static void test_figure_lines(void)
{
    const double ep[] = {1, 2, 3, 4, 5, 6};
    const double tr[] = {2.3, 1.1, 0.7, 0.5, 0.4, 0.35};
    const double va[] = {2.4, 1.3, NAN, 0.8, 0.75, INFINITY};
    const double lone[] = {NAN, NAN, NAN, 0.9, NAN, NAN};
    const double lead[] = {NAN, NAN, 0.3, 0.4, 0.5, NAN};
    const double none[] = {NAN, NAN, NAN, NAN, NAN, NAN};
    PlotSeries s[] = {
        {.label = "train", .x = ep, .y = tr, .n = 6, .color = 0},
        {.label = "validation", .x = ep, .y = va, .n = 6, .color = 0, .dashed = true},
        {.label = "late", .x = ep, .y = lead, .n = 6, .color = 1, .markers = true},
        {.label = "diverged", .x = ep, .y = none, .n = 6, .color = 2},
        {.label = "lone", .x = ep, .y = lone, .n = 6, .color = 4},
        {.label = "empty", .color = 3},
    };
    PlotPanel p = {.title = "Loss & <friends>", .xlabel = "epoch", .ylabel = "loss",
                   .series = s, .n_series = LEN(s)};
    PlotFigure fig = {.title = "run \"a\"", .panels = &p, .n_panels = 1};
    char *svg = render_fig(&fig);
    CHECK(svg != NULL);
    if (!svg)
        return;
    CHECK(strncmp(svg, "<?xml", 5) == 0);
    CHECK(strstr(svg, "viewBox=\"0 0 "));
    CHECK(strstr(svg, "font-family=\"sans-serif\""));
    CHECK(strstr(svg, "</svg>\n"));
    CHECK(coords_clean(svg));
    /* one path per series that has two neighbouring drawable points */
    CHECK(count(svg, "class=\"series\"") == 3);
    CHECK(series_moves(svg, 0) == 1);
    CHECK(series_moves(svg, 1) == 2); /* the NaN at epoch 3 starts a new subpath */
    CHECK(series_moves(svg, 2) == 1);
    CHECK(strstr(svg, "stroke-dasharray"));
    /* a point with no drawable neighbour would vanish from a line: it is a dot */
    CHECK(count(svg, "<circle") == 1 + 3 + 1); /* the dot, the markers of "late", its legend */
    CHECK(strstr(svg, ">lone<"));
    /* legend: every label, escaped; the two without data say so */
    CHECK(strstr(svg, ">train<") && strstr(svg, ">validation<") && strstr(svg, ">late<"));
    CHECK(strstr(svg, ">diverged (no data)<") && strstr(svg, ">empty (no data)<"));
    CHECK(strstr(svg, "Loss &amp; &lt;friends&gt;") && !strstr(svg, "<friends>"));
    CHECK(strstr(svg, "run &quot;a&quot;"));
    /* axes: ticks 0..2.5 by 0.5 on y, 1..6 on x */
    CHECK(strstr(svg, ">2.5<") && strstr(svg, ">0.0<") && strstr(svg, ">6<"));
    CHECK(strstr(svg, ">epoch<") && strstr(svg, ">loss<"));
    /* the legend sits right of the plot area */
    double right, bottom, lx, ly;
    plot_extent(svg, &right, &bottom);
    legend_origin(svg, &lx, &ly);
    CHECK(right > 0 && lx > right);
    free(svg);
}

static void test_figure_log_lr(void)
{
    double ep[40], lr[40];
    for (int i = 0; i < 40; i++) {
        ep[i] = i + 1;
        lr[i] = 0.1 * pow(0.1, i / 10); /* step decay: 0.1 .. 1e-4 */
    }
    PlotSeries s = {.label = "lr", .x = ep, .y = lr, .n = 40, .color = 6};
    PlotPanel p = {.title = "Learning rate", .xlabel = "epoch", .ylabel = "lr",
                   .yscale = PLOT_SCALE_AUTO, .series = &s, .n_series = 1};
    PlotFigure fig = {.panels = &p, .n_panels = 1, .legend = PLOT_LEGEND_NONE};
    char *svg = render_fig(&fig);
    CHECK(svg && strstr(svg, ">1e-04<") && strstr(svg, ">1e-01<"));
    CHECK(svg && !strstr(svg, "class=\"legend\""));
    free(svg);
    /* forced linear: plain decimals */
    p.yscale = PLOT_SCALE_LINEAR;
    svg = render_fig(&fig);
    CHECK(svg && !strstr(svg, "e-0") && strstr(svg, ">0.10<"));
    free(svg);
    /* forced log with zeros: those points are gaps */
    lr[5] = 0;
    p.yscale = PLOT_SCALE_LOG;
    svg = render_fig(&fig);
    CHECK(svg && series_moves(svg, 0) == 2);
    free(svg);
}

static void test_figure_degenerate(void)
{
    const double one_x[] = {3}, one_y[] = {0.5};
    const double flat[] = {0.25, 0.25, 0.25};
    PlotSeries s1 = {.label = "one", .x = one_x, .y = one_y, .n = 1};
    PlotSeries s2 = {.label = "flat", .y = flat, .n = 3, .color = 1};
    PlotSeries s3 = {.label = "nothing", .n = 5, .color = 2}; /* n but no y */
    PlotPanel p[] = {
        {.title = "one point", .series = &s1, .n_series = 1},
        {.title = "flat", .series = &s2, .n_series = 1},
        {.title = "empty", .series = &s3, .n_series = 1},
        {.title = "zero"},
    };
    PlotFigure fig = {.panels = p, .n_panels = LEN(p), .cols = 2};
    char *svg = render_fig(&fig);
    CHECK(svg != NULL);
    CHECK(count(svg, "no data<") >= 2);
    CHECK(strstr(svg, ">0.25<")); /* the flat value is a tick inside the axis */
    CHECK(count(svg, "<clipPath") == 4);
    CHECK(strstr(svg, ">nothing (no data)<"));
    free(svg);

    PlotFigure nothing = {0};
    svg = render_fig(&nothing);
    CHECK(svg && strstr(svg, "</svg>"));
    free(svg);
}

static void test_figure_errorbars(void)
{
    const char *sched[] = {"constant", "step & <decay>", "cosine"};
    const double m[] = {0.97, NAN, 0.98}, sd[] = {0.002, 0.01, NAN};
    const double lr[] = {0.1, 0.01, 0.001}, acc[] = {0.95, 0.975, 0.96}, e[] = {0.01, 0.002, 0.004};
    PlotSeries a = {.label = "mean \xC2\xB1 std", .y = m, .err = sd, .n = 3, .no_line = true};
    PlotSeries b = {.label = "mean \xC2\xB1 std", .x = lr, .y = acc, .err = e, .n = 3,
                    .no_line = true};
    PlotPanel p[] = {
        {.xlabel = "schedule", .ylabel = "test accuracy", .xcats = sched, .n_xcats = 3,
         .series = &a, .n_series = 1},
        {.xlabel = "lr", .xscale = PLOT_SCALE_AUTO, .series = &b, .n_series = 1},
    };
    PlotFigure fig = {.panels = p, .n_panels = 2};
    char *svg = render_fig(&fig);
    CHECK(svg != NULL);
    CHECK(strstr(svg, ">constant<") && strstr(svg, ">step &amp; &lt;decay&gt;<"));
    CHECK(count(svg, "class=\"errorbar\"") == 2);
    CHECK(count(svg, "class=\"series\"") == 0); /* points only: no line */
    CHECK(strstr(svg, ">0.001<") && strstr(svg, ">0.1<")); /* log x: 1-2-5 ticks */
    CHECK(count(svg, ">mean \xC2\xB1 std<") == 1);        /* deduplicated legend */
    free(svg);
}

static void test_figure_big_legend(void)
{
    enum { N = 25, E = 12 };
    double x[E], y[N][E];
    PlotSeries s[N];
    char labels[N][48];
    for (int k = 0; k < N; k++) {
        snprintf(labels[k], sizeof labels[k], "model.hidden=%d optim.lr=0.0%d", 32 << (k % 7), k);
        for (int i = 0; i < E; i++) {
            x[i] = i + 1;
            y[k][i] = 2.3 * exp(-(i + 1) / (2.0 + k * 0.3)) + 0.01 * k;
        }
        s[k] = (PlotSeries){.label = labels[k], .x = x, .y = y[k], .n = E, .color = k};
    }
    PlotPanel p = {.title = "train loss", .xlabel = "epoch", .ylabel = "loss", .series = s,
                   .n_series = N};
    PlotFigure fig = {.panels = &p, .n_panels = 1};
    char *svg = render_fig(&fig);
    CHECK(svg != NULL);
    CHECK(count(svg, "class=\"series\"") == N);
    CHECK(strstr(svg, labels[N - 1]) != NULL);
    double right, bottom, lx, ly;
    plot_extent(svg, &right, &bottom);
    legend_origin(svg, &lx, &ly);
    CHECK(lx > right || ly > bottom); /* outside the plot area, wherever AUTO put it */
    /* markers tell apart the series that share a colour (the ninth reuses the first) */
    CHECK(count(svg, "<circle") == 0 && count(svg, "Z\" fill=") > 0);
    free(svg);

    fig.legend = PLOT_LEGEND_BELOW;
    svg = render_fig(&fig);
    plot_extent(svg, &right, &bottom);
    legend_origin(svg, &lx, &ly);
    CHECK(svg && ly > bottom);
    free(svg);
    fig.legend = PLOT_LEGEND_RIGHT;
    svg = render_fig(&fig);
    plot_extent(svg, &right, &bottom);
    legend_origin(svg, &lx, &ly);
    CHECK(svg && lx > right);
    free(svg);
}

static void test_heatmap(void)
{
    const char *w[] = {"32", "64", "128"};
    const char *lr[] = {"0.1", "0.01 & <x>"};
    const double v[] = {0.91, 0.95, NAN, 0.93, 0.97, 0.981};
    PlotHeatmap h = {.title = "test accuracy", .xlabel = "model.hidden", .ylabel = "optim.lr",
                     .xcats = w, .nx = 3, .ycats = lr, .ny = 2, .values = v,
                     .scale_label = "accuracy", .decimals = 3};
    char *svg = render_heat(&h);
    CHECK(svg != NULL);
    CHECK(count(svg, ">n/a<") == 2); /* the cell and the scale's swatch */
    CHECK(strstr(svg, "url(#hatch)") && strstr(svg, "url(#ramp)"));
    CHECK(strstr(svg, ">0.910<") && strstr(svg, ">0.981<"));
    CHECK(strstr(svg, ">0.01 &amp; &lt;x&gt;<"));
    CHECK(strstr(svg, "#440154") && strstr(svg, "#fde725")); /* min and max cells */
    CHECK(strstr(svg, ">0.92<") || strstr(svg, ">0.94<")); /* colour-scale ticks */
    free(svg);

    /* all equal, all NaN, nothing */
    const double same[] = {0.5, 0.5}, nan2[] = {NAN, NAN};
    PlotHeatmap h2 = {.xcats = w, .nx = 2, .ycats = lr, .ny = 1, .values = same};
    svg = render_heat(&h2);
    CHECK(svg && strstr(svg, ">0.500<") && !strstr(svg, "nan"));
    free(svg);
    h2.values = nan2;
    svg = render_heat(&h2);
    CHECK(svg && count(svg, ">n/a<") == 3);
    free(svg);
    PlotHeatmap h3 = {0};
    svg = render_heat(&h3);
    CHECK(svg && strstr(svg, "</svg>"));
    free(svg);
}

static void test_write_error(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        SKIP_TEST("no /dev/full to write to (not Linux?)");
    const double y[] = {1, 2};
    PlotSeries s = {.y = y, .n = 2};
    PlotPanel p = {.series = &s, .n_series = 1};
    PlotFigure fig = {.panels = &p, .n_panels = 1};
    CHECK(plot_figure_svg(f, &fig) == -1);
    clearerr(f);
    PlotHeatmap h = {0};
    CHECK(plot_heatmap_svg(f, &h) == -1);
    fclose(f);
}

/* A full disk while curves.svg is written (a file-size limit of 0 bytes, as ulimit -f 0,
 * with SIGXFSZ ignored as main does): the message names the file and the system's reason,
 * and neither the file nor its temporary is left. The sweep plots share the writer. */
static void test_report_write_error(void)
{
    char dir[] = "/tmp/test_plot.XXXXXX";
    if (!mkdtemp(dir))
        SKIP_TEST("cannot make a directory in /tmp");
    char path[256], svg[256];
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    snprintf(svg, sizeof svg, "%s/curves.svg", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("epoch,iteration,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,"
          "epoch_seconds,elapsed_seconds\r\n"
          "1,4,0.1,2.1,0.3,,,2.0,0.35,0.1,0.1\r\n"
          "2,8,0.1,1.5,0.5,,,1.4,0.55,0.1,0.2\r\n", f);
    CHECK(fclose(f) == 0);
    Err e = {0};
    CHECK(report_run_curves(dir, "full disk", &e) == 0); /* the file is good */
    CHECK(remove(svg) == 0);

    struct rlimit old, none;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    none = old;
    none.rlim_cur = 0;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    int set = setrlimit(RLIMIT_FSIZE, &none);
    int rc = set == 0 ? report_run_curves(dir, "full disk", &e) : 0;
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, was);
    if (set != 0)
        SKIP_TEST("setrlimit(RLIMIT_FSIZE) refused");
    CHECK(rc == -1);
    char want[512];
    snprintf(want, sizeof want, "cannot write '%s': %s", svg, strerror(EFBIG));
    CHECK_STR(want, e.msg);
    DIR *d = opendir(dir);
    int others = 0;
    for (struct dirent *de; d && (de = readdir(d)) != NULL;)
        others += strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                  strcmp(de->d_name, "epochs.csv");
    if (d)
        closedir(d);
    CHECK(others == 0); /* no curves.svg, no curves.svg.tmp.PID */
    remove(path);
    rmdir(dir);
}

/* A deterministic stream of awkward doubles: NaN, inf, 0, negatives, tiny and huge. */
static uint64_t rng_state = 88172645463325252ull;

static double awkward(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    uint64_t r = rng_state;
    switch (r % 10) {
    case 0: return NAN;
    case 1: return (r >> 8) % 2 ? INFINITY : -INFINITY;
    case 2: return 0;
    case 3: return ((double)(r >> 11) / 9007199254740992.0 - 0.5) * 1e300;
    case 4: return ((double)(r >> 11) / 9007199254740992.0) * 1e-300;
    case 5: return 0.98 + (double)((r >> 11) % 1000) * 1e-6;
    default: return ldexp((double)(r >> 11) / 9007199254740992.0 - 0.3, (int)((r >> 4) % 60) - 30);
    }
}

static void test_random_inputs(void)
{
    static double x[4][40], y[4][40], err[4][40], cells[30];
    static const char *const cats[] = {"a", "b & c", "<d>", "e"};
    for (int iter = 0; iter < 300; iter++) {
        PlotSeries s[4];
        for (int j = 0; j < 4; j++) {
            int n = (int)(rng_state % 41);
            for (int i = 0; i < n; i++) {
                x[j][i] = iter % 3 ? i : awkward();
                y[j][i] = awkward();
                err[j][i] = awkward();
            }
            s[j] = (PlotSeries){.label = j % 2 ? "s" : NULL, .x = x[j], .y = y[j],
                                .err = iter % 2 ? err[j] : NULL, .n = n, .color = j * 9,
                                .dashed = j == 1, .markers = j == 2, .no_line = j == 3};
            awkward();
        }
        PlotPanel p[2] = {
            {.xscale = (PlotScale)(iter % 3), .yscale = (PlotScale)(iter / 3 % 3),
             .series = s, .n_series = 2, .ymin = iter % 7 == 0 ? awkward() : 0,
             .ymax = iter % 7 == 0 ? awkward() : 0},
            {.xcats = iter % 4 == 0 ? cats : NULL, .n_xcats = 4, .yscale = PLOT_SCALE_AUTO,
             .series = s + 2, .n_series = 2},
        };
        PlotFigure fig = {.panels = p, .n_panels = 2, .legend = (PlotLegendPos)(iter % 4)};
        char *svg = render_fig(&fig);
        CHECK(svg && strstr(svg, "</svg>\n") && coords_clean(svg));
        if (svg && !coords_clean(svg))
            fprintf(stderr, "iteration %d\n", iter);
        free(svg);
        for (int i = 0; i < 30; i++)
            cells[i] = awkward();
        static const char *const rows[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8"};
        PlotHeatmap h = {.xcats = cats, .nx = 3, .ycats = rows, .ny = 1 + iter % 10,
                         .values = cells, .decimals = iter % 5 - 1};
        svg = render_heat(&h);
        CHECK(svg && strstr(svg, "</svg>\n") && coords_clean(svg));
        free(svg);
    }
}

/* ---- samples for tests/plot_test.sh ---- */

static int write_sample(const char *dir, const char *name, const PlotFigure *fig,
                        const PlotHeatmap *h)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "test_plot: cannot create %s\n", path);
        return 1;
    }
    int rc = fig ? plot_figure_svg(f, fig) : plot_heatmap_svg(f, h);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "test_plot: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* The per-run curves.svg of a 30-epoch run: validation missing for two epochs, and a
 * step-decay LR over three decades. */
static int sample_curves(const char *dir)
{
    enum { E = 30 };
    double ep[E], trl[E], val[E], tra[E], vaa[E], tea[E], lr[E];
    for (int i = 0; i < E; i++) {
        double t = i + 1;
        ep[i] = t;
        trl[i] = 2.2 * exp(-t / 5) + 0.08 + 0.02 * sin(t);
        val[i] = 2.2 * exp(-t / 5.5) + 0.16 + 0.004 * t;
        tra[i] = 0.98 - 0.85 * exp(-t / 4);
        vaa[i] = 0.955 - 0.84 * exp(-t / 4.4);
        tea[i] = 0.95 - 0.84 * exp(-t / 4.4) + 0.003 * cos(t);
        lr[i] = 0.1 * pow(0.1, (double)(i / 10));
    }
    val[11] = val[12] = vaa[11] = vaa[12] = NAN;
    PlotSeries loss[] = {
        {.label = "train", .x = ep, .y = trl, .n = E, .color = 0},
        {.label = "validation", .x = ep, .y = val, .n = E, .color = 1, .dashed = true},
    };
    PlotSeries acc[] = {
        {.label = "train", .x = ep, .y = tra, .n = E, .color = 0},
        {.label = "validation", .x = ep, .y = vaa, .n = E, .color = 1, .dashed = true},
        {.label = "test", .x = ep, .y = tea, .n = E, .color = 2},
    };
    PlotSeries lrs = {.label = "learning rate", .x = ep, .y = lr, .n = E, .color = 6};
    PlotPanel p[] = {
        {.title = "Loss", .xlabel = "epoch", .ylabel = "cross-entropy", .series = loss,
         .n_series = 2},
        {.title = "Accuracy", .xlabel = "epoch", .ylabel = "accuracy", .series = acc,
         .n_series = 3},
        {.title = "Learning rate", .xlabel = "epoch", .ylabel = "lr",
         .yscale = PLOT_SCALE_AUTO, .series = &lrs, .n_series = 1},
    };
    PlotFigure fig = {.title = "runs/demo: mnist, hidden 256,128, sgd lr=0.1 & <step>",
                      .panels = p, .n_panels = 3};
    return write_sample(dir, "curves.svg", &fig, NULL);
}

/* A 25-point sweep overlaid: two panels sharing one legend; one point diverges. */
static int sample_overlay(const char *dir)
{
    enum { N = 25, E = 20 };
    static double ep[E], loss[N][E], acc[N][E];
    static char labels[N][64];
    PlotSeries sl[N], sa[N];
    static const char *const lrs[] = {"0.1", "0.03", "0.01", "0.003", "0.001"};
    for (int k = 0; k < N; k++) {
        int w = 32 << (k / 5);
        snprintf(labels[k], sizeof labels[k], "model.hidden=%d optim.lr=%s", w, lrs[k % 5]);
        double rate = 2.5 + (k % 5) * 0.9 - (k / 5) * 0.25;
        for (int i = 0; i < E; i++) {
            double t = i + 1;
            ep[i] = t;
            loss[k][i] = 2.3 * exp(-t / rate) + 0.02 * (k % 7) + 0.05;
            acc[k][i] = 0.97 - 0.012 * (k % 6) - 0.85 * exp(-t / rate);
        }
        if (k == 20)
            for (int i = 6; i < E; i++)
                loss[k][i] = acc[k][i] = NAN;
        sl[k] = (PlotSeries){.label = labels[k], .x = ep, .y = loss[k], .n = E, .color = k};
        sa[k] = (PlotSeries){.label = labels[k], .x = ep, .y = acc[k], .n = E, .color = k};
    }
    PlotPanel p[] = {
        {.title = "Training loss", .xlabel = "epoch", .ylabel = "loss", .series = sl,
         .n_series = N},
        {.title = "Validation accuracy", .xlabel = "epoch", .ylabel = "accuracy", .series = sa,
         .n_series = N},
    };
    PlotFigure fig = {.title = "sweep: 5 widths x 5 learning rates", .panels = p, .n_panels = 2};
    return write_sample(dir, "overlay.svg", &fig, NULL);
}

/* 30 points with long labels and a log loss axis: the legend goes below the plot. */
static int sample_overlay_below(const char *dir)
{
    enum { N = 30, E = 15 };
    static double ep[E], y[N][E];
    static char labels[N][80];
    PlotSeries s[N];
    for (int k = 0; k < N; k++) {
        static const char *const lrs[] = {"0.1", "0.05", "0.03", "0.02", "0.01"};
        snprintf(labels[k], sizeof labels[k],
                 "model.hidden=%d, optim.lr=%s, sched.type=cosine_warm_restarts",
                 32 << (k % 6), lrs[k / 6]);
        for (int i = 0; i < E; i++) {
            ep[i] = i + 1;
            y[k][i] = 2.3 * exp(-(i + 1) / (1.5 + k * 0.15)) * pow(10, -(k % 3)) + 1e-4;
        }
        s[k] = (PlotSeries){.label = labels[k], .x = ep, .y = y[k], .n = E, .color = k};
    }
    PlotPanel p = {.title = "Training loss", .xlabel = "epoch", .ylabel = "loss",
                   .yscale = PLOT_SCALE_AUTO, .series = s, .n_series = N};
    PlotFigure fig = {.panels = &p, .n_panels = 1};
    return write_sample(dir, "overlay_below.svg", &fig, NULL);
}

/* Final test accuracy, mean +- std over seeds, against a numeric key on a log axis and
 * a categorical one (with a point whose seeds all diverged). */
static int sample_errorbars(const char *dir)
{
    static const double lr[] = {0.1, 0.03, 0.01, 0.003, 0.001};
    static const double m_bn[] = {0.962, 0.975, 0.981, 0.978, 0.969};
    static const double s_bn[] = {0.004, 0.002, 0.0012, 0.0015, 0.003};
    static const double m_nobn[] = {NAN, 0.968, 0.977, 0.974, 0.958};
    static const double s_nobn[] = {NAN, 0.003, 0.002, 0.002, 0.004};
    static const double w[] = {32, 64, 128, 256, 512, 1024, 2048};
    static const double mw[] = {0.951, 0.963, 0.972, 0.978, 0.981, 0.982, 0.9815};
    static const double sw[] = {0.003, 0.002, 0.002, 0.001, 0.0012, 0.0009, 0.0015};
    static const char *const sched[] = {"constant 0.1", "constant 0.01", "constant 0.001",
                                        "step", "exponential", "lambda", "cosine",
                                        "cosine_warm_restarts"};
    static const double ms[] = {0.962, 0.978, 0.955, 0.981, 0.979, NAN, 0.983, 0.982};
    static const double ss[] = {0.004, 0.002, 0.003, 0.001, 0.0015, NAN, 0.001, 0.002};
    PlotSeries a[] = {
        {.label = "batch_norm = on", .x = lr, .y = m_bn, .err = s_bn, .n = 5, .color = 0,
         .markers = true},
        {.label = "batch_norm = off & <no affine>", .x = lr, .y = m_nobn, .err = s_nobn,
         .n = 5, .color = 1, .markers = true, .dashed = true},
    };
    PlotSeries b = {.label = "mean \xC2\xB1 std (3 seeds)", .x = w, .y = mw, .err = sw,
                    .n = 7, .color = 2, .markers = true};
    PlotSeries c = {.y = ms, .err = ss, .n = 8, .color = 2, .no_line = true};
    PlotPanel p[] = {
        {.title = "Learning rate", .xlabel = "optim.lr", .ylabel = "test accuracy",
         .xscale = PLOT_SCALE_AUTO, .series = a, .n_series = 2},
        {.title = "Width", .xlabel = "model.hidden", .ylabel = "test accuracy",
         .xscale = PLOT_SCALE_AUTO, .series = &b, .n_series = 1},
        {.title = "Schedule", .xlabel = "sched.type", .ylabel = "test accuracy",
         .xcats = sched, .n_xcats = 8, .series = &c, .n_series = 1},
    };
    PlotFigure fig = {.title = "Final test accuracy", .panels = p, .n_panels = 3};
    return write_sample(dir, "errorbars.svg", &fig, NULL);
}

static int sample_heatmap(const char *dir)
{
    static const char *const w[] = {"32", "64", "128", "256", "512", "1024", "2048"};
    static const char *const lr[] = {"0.1", "0.03", "0.01", "0.003 & <warmup>", "0.001"};
    double v[5 * 7];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 7; c++)
            v[r * 7 + c] = 0.985 - 0.004 * fabs(r - 2.2) * (1 + 0.3 * c) - 0.03 / (c + 1);
    v[0 * 7 + 6] = NAN; /* diverged */
    PlotHeatmap h = {.title = "Test accuracy (mean of 3 seeds)", .xlabel = "model.hidden",
                     .ylabel = "optim.lr", .xcats = w, .nx = 7, .ycats = lr, .ny = 5,
                     .values = v, .scale_label = "test accuracy", .decimals = 3};
    return write_sample(dir, "heatmap.svg", NULL, &h);
}

/* Edge cases in one figure: an empty panel, a single point, a flat line, all NaN. */
static int sample_edges(const char *dir)
{
    static const double one_x[] = {5}, one_y[] = {0.42};
    static const double flat[] = {0.3, 0.3, 0.3, 0.3};
    static const double gaps[] = {NAN, 1, NAN, 2, 3, NAN, 2.5, INFINITY, 1};
    static const double allnan[] = {NAN, NAN};
    PlotSeries s1 = {.label = "single point", .x = one_x, .y = one_y, .n = 1};
    PlotSeries s2 = {.label = "flat", .y = flat, .n = 4, .color = 1};
    PlotSeries s3[] = {{.label = "gaps", .y = gaps, .n = 9, .color = 2},
                       {.label = "all NaN", .y = allnan, .n = 2, .color = 3}};
    PlotPanel p[] = {
        {.title = "empty", .xlabel = "x", .ylabel = "y"},
        {.title = "one point", .xlabel = "x", .ylabel = "y", .series = &s1, .n_series = 1},
        {.title = "flat", .xlabel = "x", .ylabel = "y", .series = &s2, .n_series = 1},
        {.title = "gaps", .xlabel = "x", .ylabel = "y", .series = s3, .n_series = 2},
    };
    PlotFigure fig = {.title = "Degenerate data", .panels = p, .n_panels = 4, .cols = 2,
                      .panel_w = 400, .panel_h = 300};
    return write_sample(dir, "edges.svg", &fig, NULL);
}

static int write_samples(const char *dir)
{
    /* the caller's locale, as a program that called setlocale would have it */
    setlocale(LC_ALL, "");
    return sample_curves(dir) | sample_overlay(dir) | sample_overlay_below(dir) |
           sample_errorbars(dir) | sample_heatmap(dir) | sample_edges(dir);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--samples") == 0)
        return write_samples(argv[2]);
    RUN(test_nice_num);
    RUN(test_linear_ticks);
    RUN(test_log_ticks);
    RUN(test_resolve_scale);
    RUN(test_format_number);
    RUN(test_comma_locale);
    RUN(test_xml_escape);
    RUN(test_text_width);
    RUN(test_palette);
    RUN(test_figure_lines);
    RUN(test_figure_log_lr);
    RUN(test_figure_degenerate);
    RUN(test_figure_errorbars);
    RUN(test_figure_big_legend);
    RUN(test_heatmap);
    RUN(test_random_inputs);
    RUN(test_write_error);
    RUN(test_report_write_error);
    return test_finish(argv[0]);
}
