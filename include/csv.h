/* csv.h - the one CSV writer: RFC 4180 (CRLF line ends, fields quoted when they hold a
 * comma, quote or line break), C-locale numbers, floats as %.9g. A row is assembled in
 * memory and written with one call when it ends, so a file holds whole rows only: when
 * the write of a row fails (a full disk), the file is cut back to its last complete row
 * and the failure is reported with the system's reason. */
#ifndef MLPTRAIN_CSV_H
#define MLPTRAIN_CSV_H

#include <stdio.h>

#include "util.h"

typedef struct {
    FILE *f;
    char path[4096];    /* for messages; "" when attached to a stream */
    int owned;          /* opened by csv_open / csv_append (closed by csv_close) */
    int n_cols, col;
    char *row;          /* the row being assembled */
    size_t len, cap;
    long long good;     /* bytes in the file up to the last complete row (owned files) */
    int failed;         /* a write failed; err is its errno (0 when unknown) */
    int err;
} CsvWriter;

/* Creates (or empties) path and writes the header row. */
int csv_open(CsvWriter *w, const char *path, const char *const *header, int n_cols, Err *e);
/* Opens an existing CSV file to add rows after its last complete row (a partial row at
 * its end, left by a crash, is cut off). Writes no header. */
int csv_append(CsvWriter *w, const char *path, int n_cols, Err *e);
/* Writes to an already open stream (stdout, or a file the caller owns such as an
 * AtomicFile); header may be NULL. */
void csv_attach(CsvWriter *w, FILE *f, const char *const *header, int n_cols);

void csv_str(CsvWriter *w, const char *s);
void csv_double(CsvWriter *w, double v);     /* %.9g; nan, inf, -inf spelled so */
void csv_double_exact(CsvWriter *w, double v); /* %.17g, for values that must round-trip */
void csv_long(CsvWriter *w, long long v);
void csv_ullong(CsvWriter *w, unsigned long long v);
void csv_empty(CsvWriter *w);
/* Ends the row (padding missing fields as empty), writes and flushes it. Returns 0, or -1
 * with e naming the file and the reason if this or any earlier write failed. */
int csv_end_row(CsvWriter *w, Err *e);
/* Closes an owned file; returns -1 with e if any write or the close failed. Safe on a
 * zeroed writer. */
int csv_close(CsvWriter *w, Err *e);

#endif
