/* csv.h - the one CSV writer and reader. Writer: RFC 4180 (CRLF line ends, fields quoted
 * when they hold a comma, quote or line break), C-locale numbers, floats as %.9g. A row is
 * assembled in memory and written with one call when it ends, so a file holds whole rows
 * only: when the write of a row fails (a full disk), the file is cut back to its last
 * complete row and the failure is reported with the system's reason. A row of more or
 * fewer values than the file has columns is refused, never padded or cut. Reader: a whole
 * file into a table of strings (see "reading" below); it interprets no values. */
#ifndef MLPTRAIN_CSV_H
#define MLPTRAIN_CSV_H

#include <stdbool.h>
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
    long line;          /* the line the next row starts on, from 1, as the reader counts */
    int failed;         /* a write failed (err is its errno, 0 when unknown) or a row was
                         * refused (refused_line > 0): nothing more is written */
    int err;
    int refused_values; /* the refused row's values, and the line it would have started */
    long refused_line;
} CsvWriter;

/* Creates (or empties) path and writes the header row. */
int csv_open(CsvWriter *w, const char *path, const char *const *header, int n_cols, Err *e);
/* Opens an existing CSV file to add rows after its last complete row (a partial row at
 * its end, left by a crash, is cut off). Writes no header. */
int csv_append(CsvWriter *w, const char *path, int n_cols, Err *e);
/* Writes to an already open stream (stdout, or a file the caller owns such as an
 * AtomicFile); header may be NULL. Messages name no file. */
void csv_attach(CsvWriter *w, FILE *f, const char *const *header, int n_cols);
/* Writes to af->f, naming af->path in messages; end with csv_commit. */
void csv_attach_file(CsvWriter *w, AtomicFile *af, const char *const *header, int n_cols);
/* Closes w and commits af when every row was written whole; otherwise abandons af (no
 * file is written). Returns 0, or -1 with e: the first failed or refused row, else the
 * commit's failure. Rows need not be checked one by one before it. */
int csv_commit(CsvWriter *w, AtomicFile *af, Err *e);

void csv_str(CsvWriter *w, const char *s);
/* A number as the writer spells it: %.*g with digits significant digits; nan, inf, -inf
 * by name. Into buf (n bytes, terminated). */
void csv_number_text(char *buf, size_t n, double v, int digits);
void csv_double(CsvWriter *w, double v);     /* %.9g; nan, inf, -inf spelled so */
void csv_double_exact(CsvWriter *w, double v); /* %.17g, for values that must round-trip */
void csv_long(CsvWriter *w, long long v);
void csv_ullong(CsvWriter *w, unsigned long long v);
void csv_empty(CsvWriter *w);
void csv_double_or_empty(CsvWriter *w, double v, bool present); /* v, or empty if !present */
/* Ends the row, writes and flushes it. A row must hold one value per column: one with
 * fewer or more is refused, not written ("cannot write 'PATH': line 3: wrote 23 values in
 * a row of 24 columns"), and so is every row after it. Returns 0, or -1 with e naming the
 * file and the reason if this row was refused or this or any earlier write failed or was
 * refused. */
int csv_end_row(CsvWriter *w, Err *e);
/* Closes an owned file; returns -1 with e if any write failed, a row was refused, or the
 * close failed. Safe on a zeroed writer. */
int csv_close(CsvWriter *w, Err *e);

/* ---- reading ----
 *
 * The reader takes what RFC 4180 allows and reports anything else: fields separated by
 * commas; records ended by CRLF, LF (or a lone CR), the last one optionally by nothing;
 * a field either unquoted (no '"', CR or LF in it) or wholly quoted, with '"' doubled and
 * line breaks allowed inside. A UTF-8 byte-order mark at the start is skipped. Every
 * record must have as many fields as the first (a blank line is a record of one empty
 * field, so it is an error in a wider table). Errors say where: "NAME:LINE: what is wrong
 * (expected ...)", LINE counting physical lines from 1. A NUL byte is an error (binary
 * junk is refused, never parsed). The reader does not know what a header is: row 0 is
 * whatever the first record holds. */

typedef struct {
    int n_rows, n_cols;  /* n_rows counts every record, a header included; 0 for empty text */
    char **cell;         /* n_rows * n_cols strings, row-major; use csv_cell */
    int *line;           /* [n_rows]: the line each record starts on, for messages */
    char *text;          /* storage of every cell, owned */
} CsvTable;

/* The largest file csv_read reads unless told otherwise (callers pass their own limit). */
#define CSV_READ_MAX_DEFAULT (64L * 1024 * 1024)

/* Parses data[0..n) into t (which need not be initialized). name is what messages call
 * the text ("runs/a/result.csv"). Returns 0, or -1 with e and t zeroed. */
int csv_parse(CsvTable *t, const char *data, size_t n, const char *name, Err *e);
/* Reads the regular file path whole and parses it. A file larger than max_bytes is
 * refused with an error saying so (the size cap: junk cannot exhaust memory). */
int csv_read(CsvTable *t, const char *path, size_t max_bytes, Err *e);
/* The cell at (row, col); NULL when either is out of range. Owned by t. */
const char *csv_cell(const CsvTable *t, int row, int col);
/* The index of the first column whose row-0 cell equals name, or -1. */
int csv_column(const CsvTable *t, const char *name);
/* Frees t's storage; safe on a zeroed table and twice. */
void csv_table_free(CsvTable *t);

#endif
