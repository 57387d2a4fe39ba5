/* plot.h - SVG plots written by hand: figures of line/point panels (with error bars, log
 * or categorical axes, NaN gaps) and annotated heatmaps, as text on a FILE *.
 * It knows nothing of runs, CSV files or configs: data comes in plain structs, and
 * the caller owns the file (write it to a .tmp and rename it; see STYLE.md).
 *
 * Conventions of every plot: "nice" ticks (1, 2 or 5 x 10^k, Heckbert, "Nice numbers for
 * graph labels", Graphics Gems, 1990), decade ticks on log axes, the Okabe-Ito palette
 * (Okabe & Ito, "Color Universal Design", 2008) for series and a sampled viridis ramp for
 * heatmaps, both colour-blind safe; numbers written by our own formatter, so the output is
 * the same whatever LC_NUMERIC says; text XML-escaped; font-family sans-serif only.
 * Nothing here calls setlocale or keeps global state; every function is reentrant. */
#ifndef MLPTRAIN_PLOT_H
#define MLPTRAIN_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- What to draw ---------------------------------------------------------------- */

/* How an axis maps values. LINEAR is the zero value, so an axis is linear unless asked. */
typedef enum {
    PLOT_SCALE_LINEAR = 0,
    PLOT_SCALE_LOG,   /* values <= 0 cannot be shown: they break the line like NaN */
    PLOT_SCALE_AUTO,  /* log when every finite value is > 0 and max/min > PLOT_AUTO_LOG_RATIO */
} PlotScale;

#define PLOT_AUTO_LOG_RATIO 20.0

/* One line (or set of points) in a panel. A zeroed series is empty and harmless. */
typedef struct {
    const char *label;  /* legend text (UTF-8, escaped here); NULL or "" = not in the legend */
    const double *x;    /* n x values; NULL = 0, 1, ..., n-1 (also the category index when the
                           panel is categorical) */
    const double *y;    /* n y values; NaN, inf (and <= 0 on a log axis) break the line:
                           the next finite point starts a new subpath */
    const double *err;  /* optional n half-heights: an error bar from y - err to y + err;
                           NULL = none, NaN or <= 0 for one point = no bar there */
    int n;              /* number of points; <= 0 = empty (noted in the legend) */
    int color;          /* palette index (plot_color); beyond the palette the colours repeat
                           and markers (circle, square, triangle, ...) tell the cycles apart */
    bool dashed;        /* dashed line, e.g. validation beside a solid train line */
    bool markers;       /* a marker at every point (default: none, lines only) */
    bool no_line;       /* points only: markers (and bars), no connecting line */
} PlotSeries;

/* One plot area with its axes. A zeroed panel is a linear, empty panel ("no data"). */
typedef struct {
    const char *title;           /* above the plot area; NULL = none */
    const char *xlabel, *ylabel; /* axis labels; NULL = none */
    PlotScale xscale, yscale;    /* ignored for x when xcats is set */
    const char *const *xcats;    /* categorical x: n_xcats names, evenly spaced and used as
                                    tick labels; series x values are indices into it
                                    (NULL = numeric x) */
    int n_xcats;
    double ymin, ymax;           /* fixed y range when ymin < ymax (data outside is clipped);
                                    otherwise the range covers all finite data */
    const PlotSeries *series;    /* n_series series, drawn in order (later on top) */
    int n_series;
} PlotPanel;

typedef enum {
    PLOT_LEGEND_AUTO = 0, /* right of the panels when it fits in two columns there, else below */
    PLOT_LEGEND_RIGHT,    /* right of the panels, in as many columns as it needs */
    PLOT_LEGEND_BELOW,    /* under the panels, as many columns as the width holds */
    PLOT_LEGEND_NONE,
} PlotLegendPos;

/* A grid of panels sharing one legend. The legend lists each distinct (label, colour,
 * dash, marker) once, in order of appearance, outside every plot area: it never covers
 * data, and the canvas grows to hold it. */
typedef struct {
    const char *title;        /* above the grid; NULL = none */
    const PlotPanel *panels;  /* n_panels panels, filled row by row */
    int n_panels;
    int cols;                 /* panels per row; <= 0 = min(n_panels, 3) */
    double panel_w, panel_h;  /* size of one grid cell in px (axes, ticks and labels
                                 included); <= 0 = 480 x 360 */
    PlotLegendPos legend;
} PlotFigure;

/* A grid of coloured cells with their values printed inside, for a study over two keys. */
typedef struct {
    const char *title;            /* NULL = none */
    const char *xlabel, *ylabel;  /* names of the column and row keys; NULL = none */
    const char *const *xcats;     /* nx column labels, left to right */
    int nx;
    const char *const *ycats;     /* ny row labels, top to bottom */
    int ny;
    const double *values;         /* ny * nx values, row-major: values[row * nx + col];
                                     NaN or inf = no value (hatched cell, "n/a") */
    const char *scale_label;      /* label of the colour scale, e.g. "test accuracy"; NULL = none */
    int decimals;                 /* digits after the point in the cells (1..17); 0 = automatic:
                                     enough for 3 significant digits of the largest |value|;
                                     < 0 = none (whole numbers) */
} PlotHeatmap;

/* Write the whole SVG document to f. Return 0, or -1 when a write to f failed (f is
 * not closed; the caller reports it with the file name). Bad shapes are not errors:
 * NULL arrays and counts <= 0 draw as empty, non-finite values as gaps. The few small
 * allocations go through xcalloc (out of memory exits, as everywhere in mlptrain).
 * Figure axes: a linear axis spans its loose ticks (plot_linear_ticks) plus 3% on each
 * side, a log axis the data plus 3% (of its decades) when that holds two ticks, so no
 * point lies on the frame; x ticks thin out until their labels do not collide, and
 * category labels turn 30 degrees when they would. */
int plot_figure_svg(FILE *f, const PlotFigure *fig);
int plot_heatmap_svg(FILE *f, const PlotHeatmap *h);

/* ---- The arithmetic, exposed for tests and for callers that need it --------------- */

#define PLOT_MAX_TICKS 32

/* Heckbert's nice number: a number 1, 2, 5 or 10 x 10^k near x > 0; round = nearest
 * (< 1.5 -> 1, < 3 -> 2, < 7 -> 5, else 10), otherwise the smallest one >= x.
 * Returns 0 for x <= 0, NaN or inf. */
double plot_nice_num(double x, bool round);

/* Loose linear ticks for data in [lo, hi] (Heckbert): the multiples of a nice step from
 * the last one <= lo to the first one >= hi, about target of them (target < 2 counts as
 * 2). The step is nicenum((hi - lo) / (target - 1), round), without Heckbert's first
 * rounding of the range itself, which would give steps of 1 rather than 0.5 for 0.3..2.4;
 * it grows until the ticks fit in max_ticks (a range across 0 needs 3: -s, 0, s; below
 * that only the first max_ticks are written). Writes the ticks to ticks[0..n-1], the
 * first and last multiple to *axis_lo, *axis_hi and the step to *step (out pointers may
 * be NULL); returns n. lo > hi are swapped; a NaN or inf end is ignored (both: 0..1);
 * lo == hi (or a range below 1e-12 relative) widens to +-10% of the value (+-1 around 0).
 * Ticks are exact: k * m / 10^e, so the tick 0.3 is the double 0.3. */
int plot_linear_ticks(double lo, double hi, int target, double *ticks, int max_ticks,
                      double *axis_lo, double *axis_hi, double *step);

/* Log-axis ticks for positive data in [lo, hi]: every 1, 2 and 5 x 10^k when the data
 * spans at most 2 decades (if that is at most 2 * target and max_ticks ticks), else every
 * decade, or every 2, 5, 10... decades so that there are at most target + 2. The axis
 * range is snapped outwards to the first and last tick (figures then narrow it to the
 * data plus a margin when that still holds two ticks). Non-positive or non-finite ends
 * are ignored (none left: 1..10); lo == hi widens to the neighbouring ticks. Returns the
 * tick count (<= max_ticks). */
int plot_log_ticks(double lo, double hi, int target, double *ticks, int max_ticks,
                   double *axis_lo, double *axis_hi);

/* Tick label for v into buf (size n, always NUL-terminated), '.' as decimal point and no
 * grouping whatever the locale (no printf of floating point is used):
 *   step > 0: just the decimals that multiples of step need (step 0.1: "0.3", not
 *             "0.30000000000000004"; step 0.05: "0.25"); exponent form with the same
 *             resolution ("2.5e-05", "1.5e+06") when step < 1e-4 or step >= 1e5;
 *   step == 0: like %g: 6 significant digits, trailing zeros dropped, exponent form when
 *             the decimal exponent is < -4 or >= 6;
 *   step < 0: always exponent form, 6 significant digits, trailing zeros dropped ("1e-05").
 * -0 prints as "0"; NaN, inf and -inf as "nan", "inf", "-inf". */
void plot_format_number(char *buf, size_t n, double v, double step);

/* v with exactly `decimals` digits after the point (0..17), C locale ("0.981", "-2"),
 * rounding half away from zero on v * 10^decimals. Falls back to the exponent form when
 * |v| * 10^decimals does not fit in 2^53. */
void plot_format_fixed(char *buf, size_t n, double v, int decimals);

/* Escapes s for XML text and attribute values (& < > " ' as entities; control characters
 * and invalid UTF-8 bytes become U+FFFD) into buf of size n (always NUL-terminated when
 * n > 0). Returns the length the whole escaped text needs (like snprintf). */
size_t plot_xml_escape(char *buf, size_t n, const char *s);

/* Width in px of s set in sans-serif at font_px, estimated from DejaVu Sans advance
 * widths (the widest common sans-serif, so the estimate errs towards room to spare). */
double plot_text_width(const char *s, double font_px);

/* Series palette: Okabe-Ito, reordered for lines on white (blue, vermillion, bluish green,
 * reddish purple, orange, sky blue, black, yellow). plot_color(i) is "#rrggbb" for
 * palette index i modulo PLOT_PALETTE_SIZE (negative i counts as 0). Static storage. */
#define PLOT_PALETTE_SIZE 8
const char *plot_color(int i);

/* Sequential colour for t in [0, 1] (clamped; NaN = 0) on the viridis ramp (sampled at 9
 * points from matplotlib's viridis, linearly interpolated in sRGB), as "#rrggbb" into buf
 * (size >= 8). */
void plot_ramp_color(double t, char buf[8]);

/* The scale PLOT_SCALE_AUTO resolves to for the finite values in v[0..n-1] (NaN, inf
 * skipped): LOG when all are > 0 and max/min > PLOT_AUTO_LOG_RATIO, else LINEAR.
 * LINEAR and LOG are returned as given. */
PlotScale plot_resolve_scale(PlotScale s, const double *v, int n);

#endif
