/* report.h - the plots mlptrain draws from the files runs leave: curves.svg of one run
 * (from its epochs.csv), and the plots of a sweep (from what collect gathered): every
 * point's curves overlaid, final test accuracy against each swept key (mean +- std over
 * seeds), and a heatmap when exactly two keys are swept. Reads CSV, writes SVG through
 * the plot module, each file whole or absent. No training, no configs. */
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

#endif
