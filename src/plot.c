/* plot.c - see plot.h. Three parts: the arithmetic (numbers, ticks, colours, text
 * widths), a tiny SVG writer whose only number formatter is ours (never printf's %f/%g,
 * so LC_NUMERIC cannot put a comma in a coordinate), and the two layouts (figure, heatmap).
 * Proportions follow matplotlib's defaults loosely: 480x360 px per panel, 11-13 px text. */
#include "plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Numbers ------------------------------------------------------------------------- */

/* 10^0 .. 10^22 are exact doubles; multiplying or dividing by one rounds once. */
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double pow10_pos(int k) /* 10^k for k >= 0, inf beyond 308 */
{
    return k < (int)ARRAY_LEN(POW10) ? POW10[k] : pow(10.0, k);
}

/* x * 10^e, exact-power arithmetic where possible (so 3 * 10^-1 is the double 0.3), and
 * without overflowing the power itself for subnormal-sized x. */
static double mul_pow10(double x, int e)
{
    while (e > 300) {
        x *= 1e300;
        e -= 300;
    }
    while (e < -300) {
        x /= 1e300;
        e += 300;
    }
    return e >= 0 ? x * pow10_pos(e) : x / pow10_pos(-e);
}

#define TWO53 9007199254740992.0

/* Decimal string of the integer-valued r (0 <= r < 2^53) into d; returns its length. */
static int int_digits(double r, char d[20])
{
    uint64_t u = (uint64_t)r;
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int i = 0; i < n; i++)
        d[i] = tmp[n - 1 - i];
    d[n] = '\0';
    return n;
}

/* Appends s to buf (size n, length *len so far), truncating; buf stays NUL-terminated. */
static void append(char *buf, size_t n, size_t *len, const char *s)
{
    for (; *s; s++) {
        if (*len + 1 < n)
            buf[*len] = *s;
        (*len)++;
    }
    if (n)
        buf[*len < n ? *len : n - 1] = '\0';
}

/* Writes sign, the integer r and then a decimal point `decimals` digits from its right
 * (r = |v| * 10^decimals rounded). */
static void write_scaled(char *buf, size_t n, bool neg, double r, int decimals)
{
    char d[20], out[64];
    int nd = int_digits(r, d), k = 0;
    if (neg && r > 0)
        out[k++] = '-';
    if (decimals == 0) {
        memcpy(out + k, d, (size_t)nd);
        k += nd;
    } else {
        int intlen = nd - decimals;
        if (intlen <= 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (int i = 0; i < -intlen; i++)
                out[k++] = '0';
            memcpy(out + k, d, (size_t)nd);
            k += nd;
        } else {
            memcpy(out + k, d, (size_t)intlen);
            k += intlen;
            out[k++] = '.';
            memcpy(out + k, d + intlen, (size_t)decimals);
            k += decimals;
        }
    }
    out[k] = '\0';
    size_t len = 0;
    append(buf, n, &len, out);
}

static bool put_nonfinite(char *buf, size_t n, double v)
{
    size_t len = 0;
    if (isnan(v))
        append(buf, n, &len, "nan");
    else if (isinf(v))
        append(buf, n, &len, v > 0 ? "inf" : "-inf");
    else
        return false;
    return true;
}

/* Rounds a > 0 to p significant digits: a ~= r * 10^(*x - p + 1) with 10^(p-1) <= r < 10^p,
 * *x the decimal exponent of the rounded value. */
static double round_sig(double a, int p, int *x)
{
    int e = (int)floor(log10(a));
    for (int tries = 0; tries < 4; tries++) {
        double r = floor(mul_pow10(a, p - 1 - e) + 0.5);
        if (r >= pow10_pos(p))
            e++;
        else if (r < pow10_pos(p - 1))
            e--;
        else {
            *x = e;
            return r;
        }
    }
    *x = e;
    return floor(mul_pow10(a, p - 1 - e) + 0.5);
}

/* Exponent form with p significant digits, trailing zeros dropped when trim: 1e-05,
 * 2.5e+06, the exponent with a sign and at least two digits as printf writes it. */
static void format_exp(char *buf, size_t n, double v, int p, bool trim)
{
    if (put_nonfinite(buf, n, v))
        return;
    size_t len = 0;
    if (v == 0) {
        if (n)
            buf[0] = '\0';
        append(buf, n, &len, "0");
        return;
    }
    int x;
    double r = round_sig(fabs(v), p, &x);
    char d[20], out[48];
    int nd = int_digits(r, d), k = 0;
    if (trim)
        while (nd > 1 && d[nd - 1] == '0')
            nd--;
    if (v < 0)
        out[k++] = '-';
    out[k++] = d[0];
    if (nd > 1) {
        out[k++] = '.';
        memcpy(out + k, d + 1, (size_t)(nd - 1));
        k += nd - 1;
    }
    out[k++] = 'e';
    out[k++] = x < 0 ? '-' : '+';
    char ed[20];
    int ne = int_digits(fabs((double)x), ed);
    if (ne < 2)
        out[k++] = '0';
    memcpy(out + k, ed, (size_t)ne);
    k += ne;
    out[k] = '\0';
    if (n)
        buf[0] = '\0';
    append(buf, n, &len, out);
}

void plot_format_fixed(char *buf, size_t n, double v, int decimals)
{
    if (put_nonfinite(buf, n, v))
        return;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 17)
        decimals = 17;
    double r = floor(mul_pow10(fabs(v), decimals) + 0.5);
    if (r >= TWO53) {
        format_exp(buf, n, v, 17, true);
        return;
    }
    write_scaled(buf, n, v < 0, r, decimals);
}

/* Drops trailing zeros after a decimal point (and the point itself). */
static void trim_zeros(char *s)
{
    if (!strchr(s, '.'))
        return;
    size_t k = strlen(s);
    while (k > 0 && s[k - 1] == '0')
        s[--k] = '\0';
    if (k > 0 && s[k - 1] == '.')
        s[--k] = '\0';
}

/* printf's %.<p>g, in the C locale. */
static void format_g(char *buf, size_t n, double v, int p)
{
    if (put_nonfinite(buf, n, v))
        return;
    if (v == 0) {
        size_t len = 0;
        if (n)
            buf[0] = '\0';
        append(buf, n, &len, "0");
        return;
    }
    int x;
    double r = round_sig(fabs(v), p, &x);
    if (x < -4 || x >= p) {
        format_exp(buf, n, v, p, true);
        return;
    }
    char tmp[64];
    write_scaled(tmp, sizeof tmp, v < 0, r, p - 1 - x);
    trim_zeros(tmp);
    size_t len = 0;
    if (n)
        buf[0] = '\0';
    append(buf, n, &len, tmp);
}

/* Digits after the point that multiples of step > 0 need (0..17). */
static int step_decimals(double step)
{
    for (int d = 0; d < 17; d++) {
        double s = mul_pow10(step, d);
        if (fabs(s - nearbyint(s)) <= 1e-9 * s && nearbyint(s) >= 1)
            return d;
    }
    return 17;
}

/* Decimal position of the last significant digit of step > 0 (1.5e6 -> 5, 2.5e-5 -> -6):
 * step = mant * 10^k with 1 <= mant < 10, minus the decimals mant needs. */
static int step_last_digit(double step)
{
    int k = (int)floor(log10(step) + 1e-9);
    return k - step_decimals(mul_pow10(step, -k));
}

void plot_format_number(char *buf, size_t n, double v, double step)
{
    if (put_nonfinite(buf, n, v))
        return;
    if (isnan(step) || isinf(step))
        step = 0;
    if (step == 0) {
        format_g(buf, n, v, 6);
        return;
    }
    if (step < 0) {
        format_exp(buf, n, v, 6, true);
        return;
    }
    if (step >= 1e5 * (1 - 1e-9) || step < 1e-4 * (1 - 1e-9)) {
        int last = step_last_digit(step);
        double q = nearbyint(mul_pow10(v, -last)); /* v in units of the last digit */
        if (q == 0 || fabs(v) < 1e-300) {
            size_t len = 0;
            if (n)
                buf[0] = '\0';
            append(buf, n, &len, "0");
            return;
        }
        int x = (int)floor(log10(fabs(v)));
        int p = x - last + 1;
        format_exp(buf, n, v, p < 1 ? 1 : p > 17 ? 17 : p, true);
        return;
    }
    plot_format_fixed(buf, n, v, step_decimals(step));
}

/* ---- Ticks ----------------------------------------------------------------------------- */

/* Heckbert's nice number as mantissa m (1, 2 or 5) and exponent e: m * 10^e. */
static void nice_me(double x, bool round, int *m, int *e)
{
    int ex = (int)floor(log10(x));
    double f = mul_pow10(x, -ex);
    if (f < 1) {
        ex--;
        f = mul_pow10(x, -ex);
    } else if (f >= 10) {
        ex++;
        f = mul_pow10(x, -ex);
    }
    int nf;
    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    if (nf == 10) {
        nf = 1;
        ex++;
    }
    *m = nf;
    *e = ex;
}

double plot_nice_num(double x, bool round)
{
    if (!(x > 0) || isinf(x))
        return 0;
    int m, e;
    nice_me(x, round, &m, &e);
    return mul_pow10(m, e);
}

/* The next nice step after m * 10^e: 1 -> 2 -> 5 -> 10. */
static void next_nice(int *m, int *e)
{
    if (*m == 1)
        *m = 2;
    else if (*m == 2)
        *m = 5;
    else {
        *m = 1;
        (*e)++;
    }
}

int plot_linear_ticks(double lo, double hi, int target, double *ticks, int max_ticks,
                      double *axis_lo, double *axis_hi, double *step)
{
    bool lo_ok = isfinite(lo), hi_ok = isfinite(hi);
    if (!lo_ok && !hi_ok) {
        lo = 0;
        hi = 1;
    } else if (!lo_ok) {
        lo = hi;
    } else if (!hi_ok) {
        hi = lo;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    /* keep hi - lo and the last tick finite */
    lo = fmax(lo, -1e306);
    hi = fmin(hi, 1e306);
    if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi))) {
        double mid = lo / 2 + hi / 2;
        double d = mid == 0 ? 1 : fabs(mid) * 0.1;
        lo = mid - d;
        hi = mid + d;
    }
    if (target < 2)
        target = 2;
    int m, e;
    nice_me((hi - lo) / (target - 1), true, &m, &e);
    double k0, k1, s;
    for (;;) {
        s = mul_pow10(m, e);
        k0 = floor(lo / s + 1e-9);
        k1 = ceil(hi / s - 1e-9);
        if (k1 - k0 + 1 <= (max_ticks >= 3 ? max_ticks : 3)) /* -s, 0, s: any range */
            break;
        next_nice(&m, &e);
    }
    int n = 0;
    for (double k = k0; k <= k1 && n < max_ticks; k++)
        ticks[n++] = mul_pow10(k * m, e);
    if (axis_lo)
        *axis_lo = mul_pow10(k0 * m, e);
    if (axis_hi)
        *axis_hi = mul_pow10(k1 * m, e);
    if (step)
        *step = s;
    return n;
}

static const int LOG_MANT[3] = {1, 2, 5};

/* Candidate c of the 1-2-5 sequence: LOG_MANT[c mod 3] * 10^(c div 3). */
static double cand_value(long c)
{
    long k = c >= 0 ? c / 3 : -((-c + 2) / 3);
    return mul_pow10(LOG_MANT[c - 3 * k], (int)k);
}

/* Largest 1-2-5 candidate <= v (down) or smallest >= v (!down), v > 0. */
static long cand_index(double v, bool down)
{
    long k = (long)floor(log10(v));
    long c = 3 * k;
    while (cand_value(c) > v * (1 + 1e-9))
        c--;
    while (cand_value(c + 1) <= v * (1 + 1e-9))
        c++;
    if (!down && cand_value(c) < v * (1 - 1e-9))
        c++;
    return c;
}

static bool log_ok(double v)
{
    return v > 0 && !isinf(v);
}

int plot_log_ticks(double lo, double hi, int target, double *ticks, int max_ticks,
                   double *axis_lo, double *axis_hi)
{
    if (!log_ok(lo) && !log_ok(hi)) {
        lo = 1;
        hi = 10;
    } else if (!log_ok(lo)) {
        lo = hi;
    } else if (!log_ok(hi)) {
        hi = lo;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    lo = fmax(lo, 1e-300);
    hi = fmin(hi, 1e300);
    if (target < 2)
        target = 2;
    int cap = max_ticks >= 2 ? max_ticks : 2;
    long c0 = cand_index(lo, true), c1 = cand_index(hi, false);
    if (c0 == c1) {
        c0--;
        c1++;
    }
    double span = log10(hi) - log10(lo);
    int n = 0;
    if (span <= 2 + 1e-9 && c1 - c0 + 1 <= 2 * target && c1 - c0 + 1 <= cap) {
        for (long c = c0; c <= c1 && n < max_ticks; c++)
            ticks[n++] = cand_value(c);
        if (axis_lo)
            *axis_lo = cand_value(c0);
        if (axis_hi)
            *axis_hi = cand_value(c1);
        return n;
    }
    double llo = log10(lo), lhi = log10(hi);
    int m = 1, e = 0; /* decade step m * 10^e */
    double d0, d1;
    for (;;) {
        double s = mul_pow10(m, e);
        d0 = floor(llo / s + 1e-9) * s;
        d1 = ceil(lhi / s - 1e-9) * s;
        if (d1 == d0)
            d1 = d0 + s;
        double cnt = (d1 - d0) / s + 1;
        if (cnt <= target + 2 && cnt <= cap)
            break;
        next_nice(&m, &e);
    }
    double s = mul_pow10(m, e);
    d0 = fmax(d0, -300); /* a coarse step must not reach past the double range */
    d1 = fmin(d1, 300);
    for (double d = d0; d <= d1 + s / 2 && n < max_ticks; d += s)
        ticks[n++] = mul_pow10(1, (int)nearbyint(d));
    if (axis_lo)
        *axis_lo = mul_pow10(1, (int)nearbyint(d0));
    if (axis_hi)
        *axis_hi = mul_pow10(1, (int)nearbyint(d1));
    return n;
}

/* Unlabelled minor ticks of a log axis [lo, hi] whose major ticks are t[0..nt-1]: the
 * 2..9 multiples of each decade (only those that are not major), or the skipped decades
 * when the major step is several decades. */
static int log_minor_ticks(double lo, double hi, const double *t, int nt, double *out,
                           int max_out)
{
    int n = 0;
    double llo = log10(lo), lhi = log10(hi);
    if (lhi - llo > 8) {
        for (double d = ceil(llo - 1e-9); d <= lhi + 1e-9 && n < max_out; d++) {
            double v = mul_pow10(1, (int)d);
            bool major = false;
            for (int i = 0; i < nt; i++)
                major |= fabs(log10(t[i]) - d) < 1e-6;
            if (!major)
                out[n++] = v;
        }
        return n;
    }
    for (double d = floor(llo - 1e-9); d <= lhi && n < max_out; d++)
        for (int j = 2; j <= 9 && n < max_out; j++) {
            double v = mul_pow10(j, (int)d);
            if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9))
                continue;
            bool major = false;
            for (int i = 0; i < nt; i++)
                major |= fabs(t[i] - v) <= 1e-9 * v;
            if (!major)
                out[n++] = v;
        }
    return n;
}

PlotScale plot_resolve_scale(PlotScale s, const double *v, int n)
{
    if (s != PLOT_SCALE_AUTO)
        return s;
    double lo = INFINITY, hi = -INFINITY;
    int cnt = 0;
    for (int i = 0; v && i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (v[i] <= 0)
            return PLOT_SCALE_LINEAR;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
        cnt++;
    }
    return cnt > 0 && hi / lo > PLOT_AUTO_LOG_RATIO ? PLOT_SCALE_LOG : PLOT_SCALE_LINEAR;
}

/* ---- Colours --------------------------------------------------------------------------- */

/* Okabe & Ito (2008), https://jfly.uni-koeln.de/color/, ordered for lines on white: the
 * strong hues first, yellow (least contrast on white) last. */
static const char *const PALETTE[PLOT_PALETTE_SIZE] = {
    "#0072B2", /* blue */
    "#D55E00", /* vermillion */
    "#009E73", /* bluish green */
    "#CC79A7", /* reddish purple */
    "#E69F00", /* orange */
    "#56B4E9", /* sky blue */
    "#000000", /* black */
    "#F0E442", /* yellow */
};

const char *plot_color(int i)
{
    return PALETTE[i < 0 ? 0 : i % PLOT_PALETTE_SIZE];
}

/* matplotlib's viridis at 0, 1/8, ..., 1 (cm.viridis(np.linspace(0, 1, 9))). */
static const unsigned char RAMP[9][3] = {
    {0x44, 0x01, 0x54}, {0x47, 0x2c, 0x7a}, {0x3b, 0x51, 0x8b}, {0x2c, 0x71, 0x8e},
    {0x21, 0x90, 0x8d}, {0x27, 0xad, 0x81}, {0x5c, 0xc8, 0x63}, {0xaa, 0xdc, 0x32},
    {0xfd, 0xe7, 0x25},
};

static void ramp_rgb(double t, double rgb[3])
{
    if (!(t > 0))
        t = 0;
    if (t > 1)
        t = 1;
    double x = t * 8;
    int i = (int)x;
    if (i > 7)
        i = 7;
    double f = x - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = RAMP[i][k] + (RAMP[i + 1][k] - RAMP[i][k]) * f;
}

static void hex_color(const double rgb[3], char buf[8])
{
    static const char hex[] = "0123456789abcdef";
    buf[0] = '#';
    for (int k = 0; k < 3; k++) {
        int c = (int)floor(rgb[k] + 0.5);
        c = c < 0 ? 0 : c > 255 ? 255 : c;
        buf[1 + 2 * k] = hex[c >> 4];
        buf[2 + 2 * k] = hex[c & 15];
    }
    buf[7] = '\0';
}

void plot_ramp_color(double t, char buf[8])
{
    double rgb[3];
    ramp_rgb(t, rgb);
    hex_color(rgb, buf);
}

/* ---- Text ------------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s starts an invalid one. */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    if (n == 3 && c == 0xEF && s[1] == 0xBF && s[2] >= 0xBE)
        return 0; /* U+FFFE, U+FFFF are not XML characters */
    return n;
}

/* Where escaped text goes: a FILE or a counted buffer. */
typedef struct {
    FILE *f;
    char *buf;
    size_t n, len;
} Sink;

static void sink_put(Sink *k, const char *s, size_t len)
{
    if (k->f) {
        fwrite(s, 1, len, k->f);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (k->len + 1 < k->n)
            k->buf[k->len] = s[i];
        k->len++;
    }
}

static void escape_into(Sink *k, const char *s)
{
    static const char REPL[] = "\xEF\xBF\xBD"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned c = *p;
        int len = utf8_len(p);
        if (c == '&')
            sink_put(k, "&amp;", 5);
        else if (c == '<')
            sink_put(k, "&lt;", 4);
        else if (c == '>')
            sink_put(k, "&gt;", 4);
        else if (c == '"')
            sink_put(k, "&quot;", 6);
        else if (c == '\'')
            sink_put(k, "&apos;", 6);
        else if (c == '\t' || c == '\n' || c == '\r')
            sink_put(k, " ", 1);
        else if (c < 0x20 || len == 0)
            sink_put(k, REPL, 3);
        else {
            sink_put(k, (const char *)p, (size_t)len);
            p += len;
            continue;
        }
        p++;
    }
}

size_t plot_xml_escape(char *buf, size_t n, const char *s)
{
    Sink k = {NULL, buf, n, 0};
    escape_into(&k, s);
    if (n)
        buf[k.len < n ? k.len : n - 1] = '\0';
    return k.len;
}

/* DejaVu Sans advance widths of ' '..'~' in thousandths of an em. */
static const short CHAR_W[95] = {
    /* space ! " # $ % & ' ( ) * + , - . / */
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    /* 0-9 : ; < = > ? */
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    /* @ A-O */
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    /* P-Z [ \ ] ^ _ */
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    /* ` a-o */
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    /* p-z { | } ~ */
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
};

double plot_text_width(const char *s, double font_px)
{
    double w = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        int len = utf8_len(p);
        if (*p >= 0x20 && *p < 0x7F)
            w += CHAR_W[*p - 0x20];
        else
            w += 700;
        p += len > 0 ? len : 1;
    }
    return w / 1000 * font_px;
}

/* ---- SVG writer ------------------------------------------------------------------------ */

/* put(f, fmt, ...): a printf of our own with %s (raw string), %x (XML-escaped string),
 * %d (int), %f (double as a px coordinate: at most two decimals, C locale) and %%. */
static void put(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            fputc(*p, f);
            continue;
        }
        switch (*++p) {
        case 's':
            fputs(va_arg(ap, const char *), f);
            break;
        case 'x': {
            Sink k = {f, NULL, 0, 0};
            escape_into(&k, va_arg(ap, const char *));
            break;
        }
        case 'd':
            fprintf(f, "%d", va_arg(ap, int));
            break;
        case 'f': {
            double v = va_arg(ap, double);
            char b[48];
            if (!isfinite(v))
                v = 0;
            v = fmax(-1e7, fmin(1e7, v));
            plot_format_fixed(b, sizeof b, v, 2);
            trim_zeros(b);
            fputs(strcmp(b, "-0") == 0 ? "0" : b, f);
            break;
        }
        case '%':
            fputc('%', f);
            break;
        default: /* a bug in a format string of this file */
            abort();
        }
    }
    va_end(ap);
}

#define FONT_TICK 11.0
#define FONT_LABEL 12.5
#define FONT_TITLE 13.5
#define FONT_FIG_TITLE 15.0
#define FONT_LEGEND 11.5
#define TICK_LEN 4.0
#define LINE_W 1.8
#define AXIS_COLOR "#333333"
#define GRID_COLOR "#e5e5e5"

/* Baseline offset that centres text of size fs vertically on y. */
static double mid_baseline(double fs)
{
    return 0.35 * fs;
}

static void svg_begin(FILE *f, double w, double h)
{
    w = ceil(w);
    h = ceil(h);
    put(f,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%f\" height=\"%f\" "
        "viewBox=\"0 0 %f %f\" font-family=\"sans-serif\">\n"
        "<rect width=\"%f\" height=\"%f\" fill=\"#ffffff\"/>\n",
        w, h, w, h, w, h);
}

static int svg_end(FILE *f)
{
    put(f, "</svg>\n");
    fflush(f);
    return ferror(f) ? -1 : 0;
}

/* anchor: "start", "middle" or "end"; extra: more attributes, raw (may be ""). */
static void text(FILE *f, double x, double y, double fs, const char *anchor,
                 const char *extra, const char *s)
{
    put(f, "<text x=\"%f\" y=\"%f\" font-size=\"%f\" text-anchor=\"%s\"%s>%x</text>\n", x,
        y, fs, anchor, extra, s);
}

static void text_vertical(FILE *f, double x, double y, double fs, const char *s)
{
    put(f,
        "<text transform=\"translate(%f %f) rotate(-90)\" font-size=\"%f\" "
        "text-anchor=\"middle\">%x</text>\n",
        x, y, fs, s);
}

/* ---- Markers --------------------------------------------------------------------------- */

enum { MARK_CIRCLE, MARK_SQUARE, MARK_TRIANGLE_UP, MARK_DIAMOND, MARK_TRIANGLE_DOWN,
       MARK_COUNT };
#define MARK_R 3.2

/* The marker shape of a palette index: the palette cycle it is in. */
static int marker_shape(int color)
{
    return color < 0 ? 0 : (color / PLOT_PALETTE_SIZE) % MARK_COUNT;
}

static void marker(FILE *f, int shape, double x, double y, const char *color)
{
    double r = MARK_R;
    switch (shape) {
    case MARK_CIRCLE:
        put(f, "<circle cx=\"%f\" cy=\"%f\" r=\"%f\" fill=\"%s\"/>\n", x, y, r, color);
        return;
    case MARK_SQUARE:
        r *= 0.9;
        put(f, "<path d=\"M%f %fh%fv%fh%fZ\" fill=\"%s\"/>\n", x - r, y - r, 2 * r, 2 * r,
            -2 * r, color);
        return;
    case MARK_TRIANGLE_UP:
    case MARK_TRIANGLE_DOWN: {
        double s = shape == MARK_TRIANGLE_UP ? 1 : -1;
        put(f, "<path d=\"M%f %fL%f %fL%f %fZ\" fill=\"%s\"/>\n", x, y - s * 1.25 * r,
            x + 1.15 * r, y + s * 0.75 * r, x - 1.15 * r, y + s * 0.75 * r, color);
        return;
    }
    case MARK_DIAMOND:
        put(f, "<path d=\"M%f %fL%f %fL%f %fL%f %fZ\" fill=\"%s\"/>\n", x, y - 1.3 * r,
            x + 1.05 * r, y, x, y + 1.3 * r, x - 1.05 * r, y, color);
        return;
    case MARK_COUNT:
        break;
    }
}

/* ---- Figures --------------------------------------------------------------------------- */

typedef struct {
    double lo, hi;                /* axis range, data units */
    bool log, cat;
    double t[PLOT_MAX_TICKS];     /* major ticks */
    int nt;
    double minor[64];             /* log axes only */
    int nminor;
    char lab[PLOT_MAX_TICKS][40]; /* numeric tick labels (categorical: xcats) */
    double lab_w;                 /* widest tick label, px */
} Axis;

typedef struct {
    const PlotPanel *p;
    Axis x, y;
    bool has_data;  /* some point is drawable */
    bool rotate_x;  /* categorical labels at 30 degrees */
    double dlo[2], dhi[2]; /* data ranges of x and y on the resolved scales (NAN: none) */
} PanelLay;

typedef struct {
    const char *label;
    int color, shape;
    bool dashed, line, marks, has_data;
    double w; /* text width, px */
} LegendEntry;

static bool value_ok(double v, bool log)
{
    return isfinite(v) && (!log || v > 0);
}

static double series_x(const PlotSeries *s, int i)
{
    return s->x ? s->x[i] : (double)i;
}

static bool series_shows_marks(const PlotSeries *s)
{
    return s->markers || s->no_line || marker_shape(s->color) != 0;
}

/* Finite range of the panel's x or y (axis 0 or 1) values on the given scale, y with its
 * error bars; x counts whatever y is, so a diverged run keeps its full x span. */
static void panel_range(const PlotPanel *p, int axis, bool log, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int j = 0; p->series && j < p->n_series; j++) {
        const PlotSeries *s = &p->series[j];
        for (int i = 0; s->y && i < s->n; i++) {
            double x = series_x(s, i);
            if (axis == 0) {
                if (value_ok(x, log)) {
                    *lo = fmin(*lo, x);
                    *hi = fmax(*hi, x);
                }
                continue;
            }
            if (!isfinite(x))
                continue;
            double v = s->y[i];
            if (value_ok(v, log)) {
                *lo = fmin(*lo, v);
                *hi = fmax(*hi, v);
            }
            double e = s->err ? s->err[i] : NAN;
            if (isfinite(v) && e > 0 && isfinite(e)) {
                if (value_ok(v - e, log))
                    *lo = fmin(*lo, v - e);
                if (value_ok(v + e, log))
                    *hi = fmax(*hi, v + e);
            }
        }
    }
    if (*lo > *hi)
        *lo = *hi = NAN;
}

/* AUTO for a whole panel axis: the same rule as plot_resolve_scale over every series. */
static bool panel_auto_log(const PlotPanel *p, int axis)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int j = 0; p->series && j < p->n_series; j++) {
        const PlotSeries *s = &p->series[j];
        for (int i = 0; s->y && i < s->n; i++) {
            double v = axis == 0 ? series_x(s, i) : s->y[i];
            if (!isfinite(v))
                continue;
            if (v <= 0)
                return false;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    }
    return lo <= hi && hi / lo > PLOT_AUTO_LOG_RATIO;
}

static double axis_t(const Axis *a, double v)
{
    return a->log ? log10(v) : v;
}

/* Widens a's range by frac of its span on each side (log axes in log space). */
static void axis_pad(Axis *a, double frac)
{
    if (a->log) {
        double l0 = log10(a->lo), l1 = log10(a->hi), d = (l1 - l0) * frac;
        a->lo = pow(10, l0 - d);
        a->hi = pow(10, l1 + d);
    } else {
        double d = (a->hi - a->lo) * frac;
        a->lo -= d;
        a->hi += d;
    }
}

#define AXIS_MARGIN 0.03 /* of the axis span, each side, so data never lies on the frame */

/* Ticks and labels of a numeric axis over data [lo, hi] (NAN: no data), with about
 * target ticks; fixed: the range is [flo, fhi] exactly (flo < fhi), ticks inside it.
 * Otherwise a linear axis is Heckbert's loose range plus a margin; a log axis is the
 * data's range plus a margin when that holds two ticks (else the snapped decades). */
static void axis_numeric(Axis *a, double lo, double hi, int target, bool fixed, double flo,
                         double fhi)
{
    double step = 0;
    if (fixed) {
        lo = flo;
        hi = fhi;
    }
    if (a->log)
        a->nt = plot_log_ticks(lo, hi, target, a->t, PLOT_MAX_TICKS, &a->lo, &a->hi);
    else
        a->nt = plot_linear_ticks(lo, hi, target, a->t, PLOT_MAX_TICKS, &a->lo, &a->hi, &step);
    if (fixed) {
        double tol = 1e-9 * (fhi - flo);
        a->lo = flo;
        a->hi = fhi;
        int k = 0;
        for (int i = 0; i < a->nt; i++)
            if (a->t[i] >= flo - tol && a->t[i] <= fhi + tol)
                a->t[k++] = a->t[i];
        a->nt = k;
    } else if (a->log && lo < hi) {
        double l0 = log10(lo), l1 = log10(hi), d = (l1 - l0) * AXIS_MARGIN;
        double tlo = pow(10, l0 - d), thi = pow(10, l1 + d);
        int k = 0;
        for (int i = 0; i < a->nt; i++)
            k += a->t[i] >= tlo && a->t[i] <= thi;
        if (k >= 2) {
            k = 0;
            for (int i = 0; i < a->nt; i++)
                if (a->t[i] >= tlo && a->t[i] <= thi)
                    a->t[k++] = a->t[i];
            a->nt = k;
            a->lo = tlo;
            a->hi = thi;
        } else {
            axis_pad(a, AXIS_MARGIN);
        }
    } else {
        axis_pad(a, AXIS_MARGIN);
    }
    bool expo = false;
    if (a->log)
        for (int i = 0; i < a->nt; i++)
            expo |= a->t[i] < 1e-3 * (1 - 1e-9) || a->t[i] >= 1e4 * (1 - 1e-9);
    a->lab_w = 0;
    for (int i = 0; i < a->nt; i++) {
        plot_format_number(a->lab[i], sizeof a->lab[i], a->t[i],
                           a->log ? (expo ? -1 : 0) : step);
        a->lab_w = fmax(a->lab_w, plot_text_width(a->lab[i], FONT_TICK));
    }
    a->nminor = a->log ? log_minor_ticks(a->lo, a->hi, a->t, a->nt, a->minor,
                                         (int)ARRAY_LEN(a->minor))
                       : 0;
}

static const char *cat_label(const PlotPanel *p, int i)
{
    return p->xcats[i] ? p->xcats[i] : "";
}

/* y axis: scale, data range and ticks for a plot area about ph px high. */
static void lay_y(PanelLay *L, int target)
{
    const PlotPanel *p = L->p;
    L->y.log = p->yscale == PLOT_SCALE_LOG ||
               (p->yscale == PLOT_SCALE_AUTO && panel_auto_log(p, 1));
    panel_range(p, 1, L->y.log, &L->dlo[1], &L->dhi[1]);
    bool fixed = p->ymin < p->ymax && (!L->y.log || p->ymin > 0);
    axis_numeric(&L->y, L->dlo[1], L->dhi[1], target, fixed, p->ymin, p->ymax);
}

/* x axis for a plot area pw px wide: numeric ticks thinned until the labels do not
 * collide, or categories (rotated when they would). */
static void lay_x(PanelLay *L, double pw)
{
    const PlotPanel *p = L->p;
    Axis *a = &L->x;
    if (p->xcats && p->n_xcats > 0) {
        a->cat = true;
        a->log = false;
        a->lo = -0.5;
        a->hi = p->n_xcats - 0.5;
        a->nt = 0;
        a->lab_w = 0;
        for (int i = 0; i < p->n_xcats; i++)
            a->lab_w = fmax(a->lab_w, plot_text_width(cat_label(p, i), FONT_TICK));
        L->rotate_x = a->lab_w + 6 > pw / p->n_xcats;
        L->dlo[0] = 0;
        L->dhi[0] = p->n_xcats - 1;
        return;
    }
    a->log = p->xscale == PLOT_SCALE_LOG ||
             (p->xscale == PLOT_SCALE_AUTO && panel_auto_log(p, 0));
    panel_range(p, 0, a->log, &L->dlo[0], &L->dhi[0]);
    int target = (int)fmin(10, fmax(3, nearbyint(pw / 75)));
    for (; target >= 2; target--) {
        axis_numeric(a, L->dlo[0], L->dhi[0], target, false, 0, 0);
        double ta = axis_t(a, a->lo), tb = axis_t(a, a->hi);
        bool clash = false;
        for (int i = 0; i + 1 < a->nt; i++) {
            double gap = (axis_t(a, a->t[i + 1]) - axis_t(a, a->t[i])) / (tb - ta) * pw;
            double need = (plot_text_width(a->lab[i], FONT_TICK) +
                           plot_text_width(a->lab[i + 1], FONT_TICK)) / 2 + 8;
            clash |= gap < need;
        }
        if (!clash)
            break;
    }
}

static bool panel_has_data(const PanelLay *L)
{
    const PlotPanel *p = L->p;
    for (int j = 0; p->series && j < p->n_series; j++) {
        const PlotSeries *s = &p->series[j];
        for (int i = 0; s->y && i < s->n; i++)
            if (value_ok(series_x(s, i), L->x.log) && value_ok(s->y[i], L->y.log))
                return true;
    }
    return false;
}

static bool series_has_data(const PlotSeries *s, bool xlog, bool ylog)
{
    for (int i = 0; s->y && i < s->n; i++)
        if (value_ok(series_x(s, i), xlog) && value_ok(s->y[i], ylog))
            return true;
    return false;
}

/* Plot-area geometry in px. */
typedef struct {
    double x, y, w, h;
} Rect;

static double map(const Axis *a, double v, double p0, double len, bool flip)
{
    double t0 = axis_t(a, a->lo), t1 = axis_t(a, a->hi);
    double u = (axis_t(a, v) - t0) / (t1 - t0);
    return flip ? p0 + len * (1 - u) : p0 + len * u;
}

static double map_x(const PanelLay *L, const Rect *r, double v)
{
    return map(&L->x, v, r->x, r->w, false);
}

static double map_y(const PanelLay *L, const Rect *r, double v)
{
    return map(&L->y, v, r->y, r->h, true);
}

static void draw_axes(FILE *f, const PanelLay *L, const Rect *r)
{
    const PlotPanel *p = L->p;
    /* grid lines under the data */
    put(f, "<g stroke=\"" GRID_COLOR "\" stroke-width=\"0.8\">\n");
    for (int i = 0; i < L->y.nt; i++) {
        double y = map_y(L, r, L->y.t[i]);
        put(f, "<path d=\"M%f %fH%f\"/>\n", r->x, y, r->x + r->w);
    }
    if (L->x.cat)
        for (int i = 0; i < p->n_xcats; i++) {
            double x = map_x(L, r, i);
            put(f, "<path d=\"M%f %fV%f\"/>\n", x, r->y, r->y + r->h);
        }
    else
        for (int i = 0; i < L->x.nt; i++) {
            double x = map_x(L, r, L->x.t[i]);
            put(f, "<path d=\"M%f %fV%f\"/>\n", x, r->y, r->y + r->h);
        }
    put(f, "</g>\n");
}

static void draw_frame_and_ticks(FILE *f, const PanelLay *L, const Rect *r)
{
    const PlotPanel *p = L->p;
    double by = r->y + r->h;
    put(f, "<rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\" fill=\"none\" stroke=\"" AXIS_COLOR
           "\" stroke-width=\"0.9\"/>\n",
        r->x, r->y, r->w, r->h);
    put(f, "<g stroke=\"" AXIS_COLOR "\" stroke-width=\"0.9\">\n");
    for (int i = 0; i < L->y.nt; i++)
        put(f, "<path d=\"M%f %fh%f\"/>\n", r->x, map_y(L, r, L->y.t[i]), -TICK_LEN);
    for (int i = 0; i < L->y.nminor; i++)
        put(f, "<path d=\"M%f %fh%f\"/>\n", r->x, map_y(L, r, L->y.minor[i]), -TICK_LEN * 0.55);
    int nx = L->x.cat ? p->n_xcats : L->x.nt;
    for (int i = 0; i < nx; i++)
        put(f, "<path d=\"M%f %fv%f\"/>\n", map_x(L, r, L->x.cat ? i : L->x.t[i]), by, TICK_LEN);
    for (int i = 0; i < L->x.nminor; i++)
        put(f, "<path d=\"M%f %fv%f\"/>\n", map_x(L, r, L->x.minor[i]), by, TICK_LEN * 0.55);
    put(f, "</g>\n");

    for (int i = 0; i < L->y.nt; i++)
        text(f, r->x - TICK_LEN - 3, map_y(L, r, L->y.t[i]) + mid_baseline(FONT_TICK),
             FONT_TICK, "end", "", L->y.lab[i]);
    double ly = by + TICK_LEN + 3 + FONT_TICK * 0.85;
    if (L->x.cat) {
        for (int i = 0; i < p->n_xcats; i++) {
            double x = map_x(L, r, i);
            if (L->rotate_x)
                put(f,
                    "<text transform=\"translate(%f %f) rotate(-30)\" font-size=\"%f\" "
                    "text-anchor=\"end\">%x</text>\n",
                    x + 3, ly - 2, FONT_TICK, cat_label(p, i));
            else
                text(f, x, ly, FONT_TICK, "middle", "", cat_label(p, i));
        }
    } else {
        for (int i = 0; i < L->x.nt; i++)
            text(f, map_x(L, r, L->x.t[i]), ly, FONT_TICK, "middle", "", L->x.lab[i]);
    }
}

/* Height below the plot area taken by the x tick labels. */
static double xtick_height(const PanelLay *L)
{
    double h = TICK_LEN + 3 + FONT_TICK;
    if (L->rotate_x)
        h = TICK_LEN + 3 + L->x.lab_w * 0.5 + FONT_TICK * 0.9;
    return h;
}

/* One series: its line (one subpath per run of drawable points), isolated points as
 * dots, markers and error bars. */
static void draw_series(FILE *f, const PanelLay *L, const Rect *r, const PlotSeries *s)
{
    const char *col = plot_color(s->color);
    bool xl = L->x.log, yl = L->y.log;
    if (!s->y || s->n <= 0)
        return;
    if (!s->no_line) {
        /* the line, broken wherever x or y cannot be drawn */
        int run = 0, segs = 0;
        for (int i = 0; i < s->n; i++) {
            bool ok = value_ok(series_x(s, i), xl) && value_ok(s->y[i], yl);
            bool next = i + 1 < s->n && value_ok(series_x(s, i + 1), xl) &&
                        value_ok(s->y[i + 1], yl);
            if (ok && (run > 0 || next)) {
                if (segs == 0)
                    put(f, "<path class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"%f\" "
                           "stroke-linejoin=\"round\" stroke-linecap=\"round\"%s d=\"",
                        col, LINE_W, s->dashed ? " stroke-dasharray=\"6 3.5\"" : "");
                put(f, run == 0 ? "M%f %f" : "L%f %f", map_x(L, r, series_x(s, i)),
                    map_y(L, r, s->y[i]));
                if (run == 0)
                    segs++;
                run++;
            } else {
                run = 0;
            }
            if (!ok)
                run = 0;
        }
        if (segs > 0)
            put(f, "\"/>\n");
        /* a point with no drawable neighbour would vanish from a line: show it as a dot */
        if (!series_shows_marks(s))
            for (int i = 0; i < s->n; i++) {
                bool ok = value_ok(series_x(s, i), xl) && value_ok(s->y[i], yl);
                bool prev = i > 0 && value_ok(series_x(s, i - 1), xl) &&
                            value_ok(s->y[i - 1], yl);
                bool next = i + 1 < s->n && value_ok(series_x(s, i + 1), xl) &&
                            value_ok(s->y[i + 1], yl);
                if (ok && !prev && !next)
                    put(f, "<circle cx=\"%f\" cy=\"%f\" r=\"%f\" fill=\"%s\"/>\n",
                        map_x(L, r, series_x(s, i)), map_y(L, r, s->y[i]), LINE_W * 1.4, col);
            }
    }
    if (s->err) {
        bool any = false;
        for (int i = 0; i < s->n; i++) {
            double x = series_x(s, i), y = s->y[i], e = s->err[i];
            if (!value_ok(x, xl) || !isfinite(y) || !(e > 0) || !isfinite(e))
                continue;
            double lo = y - e, hi = y + e;
            if (yl && !(lo > 0))
                lo = L->y.lo; /* the bar runs off the bottom of a log axis */
            if (!value_ok(hi, yl))
                continue;
            if (!any)
                put(f, "<path class=\"errorbar\" fill=\"none\" stroke=\"%s\" "
                       "stroke-width=\"1.3\" d=\"",
                    col);
            any = true;
            double px = map_x(L, r, x), y0 = map_y(L, r, lo), y1 = map_y(L, r, hi);
            put(f, "M%f %fV%fM%f %fh%fM%f %fh%f", px, y0, y1, px - 4, y0, 8.0, px - 4, y1, 8.0);
        }
        if (any)
            put(f, "\"/>\n");
    }
    if (series_shows_marks(s)) {
        /* explicit markers at every point; palette-cycle markers only every few points,
         * enough to tell the series apart without hiding the line */
        int every = s->markers || s->no_line ? 1 : (s->n + 7) / 8;
        for (int i = s->color % every; i < s->n; i += every)
            if (value_ok(series_x(s, i), xl) && value_ok(s->y[i], yl))
                marker(f, marker_shape(s->color), map_x(L, r, series_x(s, i)),
                       map_y(L, r, s->y[i]), col);
    }
}

static void draw_panel(FILE *f, const PanelLay *L, const Rect *r, int id)
{
    const PlotPanel *p = L->p;
    put(f, "<g>\n");
    if (p->title)
        text(f, r->x + r->w / 2, r->y - 9, FONT_TITLE, "middle", "", p->title);
    draw_axes(f, L, r);
    put(f, "<clipPath id=\"clip%d\"><rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\"/>"
           "</clipPath>\n",
        id, r->x - 0.5, r->y - 0.5, r->w + 1, r->h + 1);
    put(f, "<g clip-path=\"url(#clip%d)\">\n", id);
    for (int j = 0; p->series && j < p->n_series; j++)
        draw_series(f, L, r, &p->series[j]);
    put(f, "</g>\n");
    if (!L->has_data)
        text(f, r->x + r->w / 2, r->y + r->h / 2 + mid_baseline(FONT_LABEL), FONT_LABEL,
             "middle", " fill=\"#777777\" font-style=\"italic\"", "no data");
    draw_frame_and_ticks(f, L, r);
    if (p->xlabel)
        text(f, r->x + r->w / 2, r->y + r->h + xtick_height(L) + 6 + FONT_LABEL * 0.85,
             FONT_LABEL, "middle", "", p->xlabel);
    put(f, "</g>\n");
}

#define LEG_LINE_H 18.0
#define LEG_SAMPLE_W 26.0
#define LEG_GAP 6.0
#define LEG_COL_GAP 18.0
#define NO_DATA_NOTE " (no data)"

static double entry_width(const LegendEntry *e)
{
    return LEG_SAMPLE_W + LEG_GAP + e->w + LEG_COL_GAP;
}

static void draw_legend_entry(FILE *f, const LegendEntry *e, double x, double y)
{
    const char *col = plot_color(e->color);
    double cy = y + LEG_LINE_H / 2;
    if (e->line)
        put(f, "<path d=\"M%f %fh%f\" stroke=\"%s\" stroke-width=\"%f\"%s/>\n", x, cy,
            LEG_SAMPLE_W, col, LINE_W, e->dashed ? " stroke-dasharray=\"6 3.5\"" : "");
    if (e->marks)
        marker(f, e->shape, x + LEG_SAMPLE_W / 2, cy, col);
    put(f, "<text x=\"%f\" y=\"%f\" font-size=\"%f\">%x%s</text>\n", x + LEG_SAMPLE_W + LEG_GAP,
        cy + mid_baseline(FONT_LEGEND), FONT_LEGEND, e->label,
        e->has_data ? "" : NO_DATA_NOTE);
}

/* Collects the distinct legend entries of the figure into out; returns their count. */
static int legend_entries(const PlotFigure *fig, const PanelLay *lay, LegendEntry *out)
{
    int n = 0;
    for (int k = 0; k < fig->n_panels; k++) {
        const PlotPanel *p = &fig->panels[k];
        for (int j = 0; p->series && j < p->n_series; j++) {
            const PlotSeries *s = &p->series[j];
            if (!s->label || !s->label[0])
                continue;
            LegendEntry e = {s->label, s->color < 0 ? 0 : s->color, marker_shape(s->color),
                             s->dashed, !s->no_line, series_shows_marks(s),
                             series_has_data(s, lay[k].x.log, lay[k].y.log), 0};
            int i = 0;
            for (; i < n; i++)
                if (strcmp(out[i].label, e.label) == 0 && out[i].color == e.color &&
                    out[i].dashed == e.dashed && out[i].line == e.line &&
                    out[i].marks == e.marks)
                    break;
            if (i < n) {
                out[i].has_data |= e.has_data;
                continue;
            }
            out[n++] = e;
        }
    }
    for (int i = 0; i < n; i++) {
        double w = plot_text_width(out[i].label, FONT_LEGEND);
        if (!out[i].has_data)
            w += plot_text_width(NO_DATA_NOTE, FONT_LEGEND);
        out[i].w = w;
    }
    return n;
}

int plot_figure_svg(FILE *f, const PlotFigure *fig)
{
    int np = fig->panels && fig->n_panels > 0 ? fig->n_panels : 0;
    int cols = fig->cols > 0 ? fig->cols : np < 3 ? (np > 0 ? np : 1) : 3;
    if (np > 0 && cols > np)
        cols = np;
    int rows = np > 0 ? (np + cols - 1) / cols : 1;
    double cw = fig->panel_w > 0 ? fig->panel_w : 480;
    double ch = fig->panel_h > 0 ? fig->panel_h : 360;
    PanelLay *lay = xcalloc((size_t)(np > 0 ? np : 1), sizeof *lay);

    /* Margins shared by every cell so the plot areas line up: y ticks first (they set
     * the left margin), then x ticks for the width that leaves. */
    bool any_title = false, any_xlabel = false, any_ylabel = false;
    for (int k = 0; k < np; k++) {
        const PlotPanel *p = &fig->panels[k];
        any_title |= p->title != NULL;
        any_xlabel |= p->xlabel != NULL;
        any_ylabel |= p->ylabel != NULL;
    }
    double top = any_title ? FONT_TITLE + 16 : 12;
    double bottom0 = TICK_LEN + 3 + FONT_TICK + (any_xlabel ? 8 + FONT_LABEL : 0) + 12;
    double ph0 = ch - top - bottom0;
    double ylab_w = 0;
    for (int k = 0; k < np; k++) {
        lay[k].p = &fig->panels[k];
        lay_y(&lay[k], (int)fmin(10, fmax(3, nearbyint(ph0 / 55))));
        ylab_w = fmax(ylab_w, lay[k].y.lab_w);
    }
    double left = 10 + (any_ylabel ? FONT_LABEL + 8 : 0) + ylab_w + TICK_LEN + 4;
    double right = 16;
    if (cw - left - right < 120)
        cw = left + right + 120;
    double pw = cw - left - right;
    double bottom = bottom0;
    for (int k = 0; k < np; k++) {
        lay_x(&lay[k], pw);
        lay[k].has_data = panel_has_data(&lay[k]);
        double b = xtick_height(&lay[k]) + (any_xlabel ? 8 + FONT_LABEL : 0) + 12;
        bottom = fmax(bottom, b);
        if (!lay[k].x.cat && lay[k].x.nt > 0) /* the last label hangs over the right edge */
            right = fmax(right, plot_text_width(lay[k].x.lab[lay[k].x.nt - 1], FONT_TICK) / 2 + 4);
        if (lay[k].rotate_x) /* the first rotated label reaches left of its tick */
            left = fmax(left, lay[k].x.lab_w * 0.87 - pw / (2 * fig->panels[k].n_xcats) + 10);
    }
    cw = fmax(cw, left + right + 120);
    pw = cw - left - right;
    if (ch - top - bottom < 100)
        ch = top + bottom + 100;
    double ph = ch - top - bottom;

    double fig_top = fig->title ? FONT_FIG_TITLE + 18 : 4;
    double grid_w = cols * cw, grid_h = rows * ch;

    /* Legend: right of the grid in columns of the plot height, or below it. */
    int total = 0;
    for (int k = 0; k < np; k++)
        total += fig->panels[k].series && fig->panels[k].n_series > 0 ? fig->panels[k].n_series : 0;
    LegendEntry *ent = xcalloc((size_t)(total > 0 ? total : 1), sizeof *ent);
    int ne = fig->legend == PLOT_LEGEND_NONE ? 0 : legend_entries(fig, lay, ent);
    int rows_fit = (int)fmax(1, floor((grid_h - top - 8) / LEG_LINE_H));
    int rcols = ne > 0 ? (ne + rows_fit - 1) / rows_fit : 0;
    int rrows = rcols > 0 ? (ne + rcols - 1) / rcols : 0;
    double right_w = 0;
    for (int c = 0; c < rcols; c++) {
        double w = 0;
        for (int i = c * rrows; i < ne && i < (c + 1) * rrows; i++)
            w = fmax(w, entry_width(&ent[i]));
        right_w += w;
    }
    PlotLegendPos pos = fig->legend;
    if (pos == PLOT_LEGEND_AUTO)
        pos = rcols <= 2 && right_w <= fmax(300, grid_w * 0.6) ? PLOT_LEGEND_RIGHT
                                                                : PLOT_LEGEND_BELOW;
    double uni_w = 0;
    for (int i = 0; i < ne; i++)
        uni_w = fmax(uni_w, entry_width(&ent[i]));
    int bcols = 0, brows = 0;
    double W = grid_w, H = fig_top + grid_h;
    if (ne > 0 && pos == PLOT_LEGEND_RIGHT) {
        W = grid_w + right_w + 4;
    } else if (ne > 0 && pos == PLOT_LEGEND_BELOW) {
        W = fmax(grid_w, uni_w + 2 * left);
        bcols = (int)fmax(1, floor((W - left - 10) / uni_w));
        if (bcols > ne)
            bcols = ne;
        brows = (ne + bcols - 1) / bcols;
        H += brows * LEG_LINE_H + 12;
    }
    double title_w = fig->title ? plot_text_width(fig->title, FONT_FIG_TITLE) + 20 : 0;
    W = fmax(W, title_w) + 6;
    H += 4;

    svg_begin(f, W, H);
    if (fig->title)
        text(f, fmax(grid_w, title_w) / 2, fig_top - 10, FONT_FIG_TITLE, "middle", "",
             fig->title);
    for (int k = 0; k < np; k++) {
        double cx = (k % cols) * cw, cy = fig_top + (k / cols) * ch;
        Rect r = {cx + left, cy + top, pw, ph};
        draw_panel(f, &lay[k], &r, k);
        if (fig->panels[k].ylabel)
            text_vertical(f, cx + 10 + FONT_LABEL * 0.8, r.y + r.h / 2, FONT_LABEL,
                          fig->panels[k].ylabel);
    }
    if (ne > 0 && pos == PLOT_LEGEND_RIGHT) {
        put(f, "<g class=\"legend\">\n");
        double x = grid_w + 4;
        for (int c = 0; c < rcols; c++) {
            double w = 0;
            for (int i = c * rrows; i < ne && i < (c + 1) * rrows; i++) {
                draw_legend_entry(f, &ent[i], x, fig_top + top + (i - c * rrows) * LEG_LINE_H);
                w = fmax(w, entry_width(&ent[i]));
            }
            x += w;
        }
        put(f, "</g>\n");
    } else if (ne > 0 && pos == PLOT_LEGEND_BELOW) {
        put(f, "<g class=\"legend\">\n");
        double y0 = fig_top + grid_h + 4;
        for (int i = 0; i < ne; i++)
            draw_legend_entry(f, &ent[i], left + (i / brows) * uni_w,
                              y0 + (i % brows) * LEG_LINE_H);
        put(f, "</g>\n");
    }
    free(ent);
    free(lay);
    return svg_end(f);
}

/* ---- Heatmap --------------------------------------------------------------------------- */

static const char *heat_cat(const char *const *cats, int i)
{
    return cats && cats[i] ? cats[i] : "";
}

/* Cell text; decimals < 0 means %.3g (for values too small or large for fixed digits). */
static void cell_text(char *buf, size_t n, double v, int decimals)
{
    if (decimals >= 0)
        plot_format_fixed(buf, n, v, decimals);
    else
        format_g(buf, n, v, 3);
}

/* The cells' decimals from PlotHeatmap.decimals and the largest |value| (NAN: none). */
static int cell_decimals(int decimals, double maxabs)
{
    if (decimals > 0)
        return decimals > 17 ? 17 : decimals;
    if (decimals < 0 || !(maxabs > 0))
        return 0;
    if (maxabs < 1e-6 || maxabs >= 1e7)
        return -1;
    int d = 2 - (int)floor(log10(maxabs));
    return d < 0 ? 0 : d;
}

int plot_heatmap_svg(FILE *f, const PlotHeatmap *h)
{
    int nx = h->nx > 0 ? h->nx : 0, ny = h->ny > 0 ? h->ny : 0;
    if (!h->values)
        nx = ny = 0;
    double vmin = INFINITY, vmax = -INFINITY;
    bool any_nan = false;
    for (int i = 0; i < nx * ny; i++) {
        double v = h->values[i];
        if (isfinite(v)) {
            vmin = fmin(vmin, v);
            vmax = fmax(vmax, v);
        } else {
            any_nan = true;
        }
    }
    bool any = vmin <= vmax;
    int dec = cell_decimals(h->decimals, any ? fmax(fabs(vmin), fabs(vmax)) : NAN);
    /* the colour domain is the data's range; its ticks are the nice ones inside it */
    double t[PLOT_MAX_TICKS], alo, ahi, step;
    int nt = plot_linear_ticks(any ? vmin : NAN, any ? vmax : NAN, 5, t, PLOT_MAX_TICKS,
                               &alo, &ahi, &step);
    double dlo = vmin, dhi = vmax;
    if (!any || !(vmax - vmin > 1e-12 * fmax(fabs(vmin), fabs(vmax)))) {
        dlo = alo;
        dhi = ahi;
    }
    int k = 0;
    for (int i = 0; i < nt; i++)
        if (t[i] >= dlo - 1e-9 * (dhi - dlo) && t[i] <= dhi + 1e-9 * (dhi - dlo))
            t[k++] = t[i];
    if (k < 2) {
        dlo = alo;
        dhi = ahi;
        nt = plot_linear_ticks(dlo, dhi, 5, t, PLOT_MAX_TICKS, NULL, NULL, &step);
    } else {
        nt = k;
    }
    char tl[PLOT_MAX_TICKS][40];
    double tl_w = 0;
    for (int i = 0; i < nt; i++) {
        plot_format_number(tl[i], sizeof tl[i], t[i], step);
        tl_w = fmax(tl_w, plot_text_width(tl[i], FONT_TICK));
    }

    /* cells sized to their widest label or value */
    double cell_w = 56, cell_h = 34, rowlab_w = 0;
    char vb[48];
    for (int c = 0; c < nx; c++)
        cell_w = fmax(cell_w, plot_text_width(heat_cat(h->xcats, c), FONT_TICK) + 12);
    for (int r = 0; r < ny; r++)
        rowlab_w = fmax(rowlab_w, plot_text_width(heat_cat(h->ycats, r), FONT_TICK));
    for (int i = 0; i < nx * ny; i++) {
        cell_text(vb, sizeof vb, h->values[i], dec);
        cell_w = fmax(cell_w, plot_text_width(vb, FONT_TICK) + 12);
    }
    double left = 12 + (h->ylabel ? FONT_LABEL + 10 : 0) + rowlab_w + 8;
    double top = h->title ? FONT_TITLE + 22 : 14;
    double gw = nx * cell_w, gh = ny * cell_h;
    double bar_h = fmax(gh, 140), bar_w = 14;
    double bar_x = left + gw + 22;
    double bar_total = bar_w + TICK_LEN + 4 + tl_w + (h->scale_label ? 12 + FONT_LABEL : 0) + 12;
    double below = 6 + FONT_TICK + (h->xlabel ? 10 + FONT_LABEL : 0) + 14;
    double body_h = fmax(gh + below, bar_h + (any_nan ? 30 : 0) + 12);
    double W = bar_x + bar_total, H = top + body_h;
    if (h->title)
        W = fmax(W, plot_text_width(h->title, FONT_TITLE) + 24);

    svg_begin(f, W, H);
    put(f, "<defs>\n"
           "<pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
           "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/>"
           "<path d=\"M0 0V6\" stroke=\"#b0b0b0\" stroke-width=\"1.6\"/></pattern>\n"
           "<linearGradient id=\"ramp\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n");
    for (int i = 0; i < 9; i++) {
        char c[8];
        plot_ramp_color(i / 8.0, c);
        put(f, "<stop offset=\"%f\" stop-color=\"%s\"/>\n", i / 8.0, c);
    }
    put(f, "</linearGradient>\n</defs>\n");
    if (h->title)
        text(f, W / 2, top - 12, FONT_TITLE, "middle", "", h->title);

    for (int r = 0; r < ny; r++)
        for (int c = 0; c < nx; c++) {
            double v = h->values[r * nx + c], x = left + c * cell_w, y = top + r * cell_h;
            if (!isfinite(v)) {
                put(f, "<rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\" fill=\"url(#hatch)\" "
                       "stroke=\"#ffffff\" stroke-width=\"1.5\"/>\n",
                    x, y, cell_w, cell_h);
                text(f, x + cell_w / 2, y + cell_h / 2 + mid_baseline(FONT_TICK), FONT_TICK,
                     "middle", " fill=\"#555555\"", "n/a");
                continue;
            }
            double rgb[3];
            char col[8];
            ramp_rgb((v - dlo) / (dhi - dlo), rgb);
            hex_color(rgb, col);
            /* relative luminance (sRGB weights) decides dark or light text */
            double lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
            put(f, "<rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\" fill=\"%s\" "
                   "stroke=\"#ffffff\" stroke-width=\"1.5\"/>\n",
                x, y, cell_w, cell_h, col);
            cell_text(vb, sizeof vb, v, dec);
            text(f, x + cell_w / 2, y + cell_h / 2 + mid_baseline(FONT_TICK), FONT_TICK,
                 "middle", lum < 0.45 ? " fill=\"#ffffff\"" : " fill=\"#000000\"", vb);
        }
    for (int r = 0; r < ny; r++)
        text(f, left - 8, top + (r + 0.5) * cell_h + mid_baseline(FONT_TICK), FONT_TICK, "end",
             "", heat_cat(h->ycats, r));
    for (int c = 0; c < nx; c++)
        text(f, left + (c + 0.5) * cell_w, top + gh + 6 + FONT_TICK * 0.85, FONT_TICK, "middle",
             "", heat_cat(h->xcats, c));
    if (h->xlabel)
        text(f, left + gw / 2, top + gh + 6 + FONT_TICK + 10 + FONT_LABEL * 0.85, FONT_LABEL,
             "middle", "", h->xlabel);
    if (h->ylabel)
        text_vertical(f, 12 + FONT_LABEL * 0.8, top + gh / 2, FONT_LABEL, h->ylabel);

    /* colour scale */
    put(f, "<rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\" fill=\"url(#ramp)\" "
           "stroke=\"" AXIS_COLOR "\" stroke-width=\"0.8\"/>\n",
        bar_x, top, bar_w, bar_h);
    put(f, "<g stroke=\"" AXIS_COLOR "\" stroke-width=\"0.9\">\n");
    for (int i = 0; i < nt; i++) {
        double y = top + bar_h * (1 - (t[i] - dlo) / (dhi - dlo));
        put(f, "<path d=\"M%f %fh%f\"/>\n", bar_x + bar_w, y, TICK_LEN);
    }
    put(f, "</g>\n");
    for (int i = 0; i < nt; i++) {
        double y = top + bar_h * (1 - (t[i] - dlo) / (dhi - dlo));
        text(f, bar_x + bar_w + TICK_LEN + 3, y + mid_baseline(FONT_TICK), FONT_TICK, "start",
             "", tl[i]);
    }
    if (h->scale_label)
        put(f,
            "<text transform=\"translate(%f %f) rotate(-90)\" font-size=\"%f\" "
            "text-anchor=\"middle\">%x</text>\n",
            bar_x + bar_w + TICK_LEN + 4 + tl_w + 8 + FONT_LABEL * 0.8, top + bar_h / 2,
            FONT_LABEL, h->scale_label);
    if (any_nan) {
        double y = top + bar_h + 12;
        put(f, "<rect x=\"%f\" y=\"%f\" width=\"%f\" height=\"%f\" fill=\"url(#hatch)\" "
               "stroke=\"" AXIS_COLOR "\" stroke-width=\"0.8\"/>\n",
            bar_x, y, bar_w, bar_w);
        text(f, bar_x + bar_w + 6, y + bar_w / 2 + mid_baseline(FONT_TICK), FONT_TICK, "start",
             "", "n/a");
    }
    return svg_end(f);
}
