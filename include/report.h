/* report.h - the plots and the page mlptrain makes from the files runs leave: curves.svg of
 * one run (from its epochs.csv), the plots of a sweep (from what collect gathered): every
 * point's curves overlaid, final test accuracy against each swept key (mean +- std over
 * seeds), a heatmap when exactly two keys are swept; and report.html, one page holding a
 * sweep's tables, plots, runs and config. Reads CSV and the runs' config.ini as text, writes
 * SVG through the plot module and HTML, each file whole or absent. No training; nothing
 * here knows what a config key means. */
#ifndef MLPTRAIN_REPORT_H
#define MLPTRAIN_REPORT_H

#include "collect.h"
#include "util.h"

/* Writes run_dir/curves.svg from run_dir/epochs.csv: loss (train, validation), accuracy
 * (train, validation, test) and the learning rate (log axis when it spans decades) per
 * epoch (per iteration when rows are written every eval_every iterations). title heads
 * the figure. 0, or -1 with e. */
int report_run_curves(const char *run_dir, const char *title, Err *e);

/* Writes the sweep plots of r into out_dir: sweep_curves.svg, test_acc_by_KEY.svg per
 * swept key, test_acc_heatmap.svg with exactly two swept keys. Runs whose epochs.csv
 * cannot be read are left out of the overlay (reported on log, when not NULL). Returns 0,
 * or -1 with e when a file cannot be written. */
int report_sweep_plots(const CollectResult *r, const char *out_dir, FILE *log, Err *e);

/* Writes out_dir/report.html: one self-contained page (inline CSS, no network, no file
 * needed beside it but the runs' own curves.svg it links to) with
 *   - the title (out_dir's name), the counts of runs by status, the best point (the
 *     highest mean test_acc over its ok runs, the first of equals), the collect command
 *     that writes it again and the swept keys with their values;
 *   - the points table (summary_by_point.csv's: the swept values; runs, ok, diverged,
 *     interrupted; mean +- std of test_acc, test_loss, best_val_acc, train_seconds), the
 *     best point's row marked "best";
 *   - the sweep plots report_sweep_plots wrote, copied in as data: URLs (linked instead
 *     when larger than 8 MB);
 *   - every run with its status and numbers, linked to its directory and its curves.svg;
 *     the runs collect skipped (r->skipped) with the reason, and the runs of
 *     out_dir/sweep.csv whose directory does not exist (not started);
 *   - the first run's config.ini, each key whose value differs between runs shown with
 *     all its values (the swept keys marked).
 * Every text from runs and configs is HTML-escaped; numbers are in the C locale. The page
 * reads fully without JavaScript; a small inline script sorts the tables by a click on a
 * heading. Returns 0, or -1 with e when the file cannot be written. */
int report_sweep_page(const CollectResult *r, const char *out_dir, Err *e);

#endif
