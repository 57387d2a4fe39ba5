/* progress.h - live status lines on a terminal: a few lines (a sweep's total, one per
 * running run) redrawn in place, and ordinary lines printed above them. Off a terminal
 * only the ordinary lines are written, so logs hold no control characters. Thread-safe:
 * runs of a sweep update their own lines from their own threads. Uses no colour. */
#ifndef MLPTRAIN_PROGRESS_H
#define MLPTRAIN_PROGRESS_H

#include <stdio.h>

typedef struct Progress Progress;

/* Live lines for n_slots runs plus one header line when header is non-zero, on f; live
 * drawing only when live is non-zero (f is a terminal). NULL f: everything is dropped. */
Progress *progress_create(FILE *f, int n_slots, int header, int live);
/* Erases the live lines and frees. NULL is fine. */
void progress_free(Progress *p);

/* Whether stream f is a terminal (isatty). */
int progress_is_terminal(FILE *f);

/* Sets the header line or the line of one slot ("" hides it); redrawn at most ten times
 * a second. */
void progress_header(Progress *p, const char *text);
void progress_slot(Progress *p, int slot, const char *text);
/* Prints a whole line (without its '\n') above the live lines; always written. */
void progress_print(Progress *p, const char *line);

/* "1h02m", "4m10s", "12s": for ETAs. */
void progress_format_duration(char *buf, size_t n, double seconds);

#endif
