/* csv.h - the one CSV writer: RFC 4180 (CRLF line ends, fields quoted when they hold a
 * comma, quote or line break), C-locale numbers, floats as %.9g, every row flushed so a
 * crash or kill loses at most the row being written. */
#ifndef MLPTRAIN_CSV_H
#define MLPTRAIN_CSV_H

#include <stdio.h>

#include "util.h"

typedef struct {
    FILE *f;
    int owned;          /* opened by csv_open (closed by csv_close) */
    int n_cols, col;
    int failed;         /* a write failed */
} CsvWriter;

/* Creates path and writes the header row. */
int csv_open(CsvWriter *w, const char *path, const char *const *header, int n_cols, Err *e);
/* Writes to an already open stream (e.g. stdout); header may be NULL. */
void csv_attach(CsvWriter *w, FILE *f, const char *const *header, int n_cols);

void csv_str(CsvWriter *w, const char *s);
void csv_double(CsvWriter *w, double v);     /* %.9g; nan, inf, -inf spelled so */
void csv_double_exact(CsvWriter *w, double v); /* %.17g, for values that must round-trip */
void csv_long(CsvWriter *w, long long v);
void csv_empty(CsvWriter *w);
/* Ends the row (padding missing fields as empty) and flushes. Returns -1 if any write
 * of this writer failed so far. */
int csv_end_row(CsvWriter *w);
/* Closes an owned file; returns -1 if any write or the close failed. Safe on zeroed. */
int csv_close(CsvWriter *w);

#endif
