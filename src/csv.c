/* csv.c - see csv.h. Cutting a file back to its last row needs ftruncate, from POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put(CsvWriter *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (w->len + n + 1 > cap)
            cap *= 2;
        char *bigger = xmalloc(cap);
        if (w->len)
            memcpy(bigger, w->row, w->len);
        free(w->row);
        w->row = bigger;
        w->cap = cap;
    }
    memcpy(w->row + w->len, s, n);
    w->len += n;
}

static void put_field(CsvWriter *w, const char *s)
{
    if (w->col++ > 0)
        put(w, ",", 1);
    if (!strpbrk(s, ",\"\r\n")) {
        put(w, s, strlen(s));
        return;
    }
    put(w, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            put(w, "\"", 1);
        put(w, s, 1);
    }
    put(w, "\"", 1);
}

static void start(CsvWriter *w, FILE *f, int n_cols)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->n_cols = n_cols;
}

static int write_error(const CsvWriter *w, Err *e)
{
    const char *why = w->err ? strerror(w->err) : "write error";
    if (w->path[0])
        return err_set(e, "cannot write '%s': %s", w->path, why);
    return err_set(e, "cannot write: %s", why);
}

void csv_attach(CsvWriter *w, FILE *f, const char *const *header, int n_cols)
{
    start(w, f, n_cols);
    if (header) {
        for (int i = 0; i < n_cols; i++)
            put_field(w, header[i]);
        csv_end_row(w, NULL);
    }
}

/* Owned files are unbuffered: a row goes out in one write, and nothing of a failed row
 * stays in a stdio buffer to be written later by fclose. */
static int open_owned(CsvWriter *w, const char *path, const char *mode, int n_cols, Err *e)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return err_set(e, "cannot create '%s': %s", path, strerror(errno));
    start(w, f, n_cols);
    w->owned = 1;
    util_strlcpy(w->path, path, sizeof w->path);
    setvbuf(f, NULL, _IONBF, 0);
    return 0;
}

int csv_open(CsvWriter *w, const char *path, const char *const *header, int n_cols, Err *e)
{
    if (open_owned(w, path, "wb", n_cols, e) < 0)
        return -1;
    for (int i = 0; i < n_cols; i++)
        put_field(w, header[i]);
    if (csv_end_row(w, e) < 0) {
        csv_close(w, NULL);
        return -1;
    }
    return 0;
}

int csv_append(CsvWriter *w, const char *path, int n_cols, Err *e)
{
    FILE *in = util_open_regular(path, e);
    if (!in)
        return -1;
    /* The last complete row ends in the last "\n" of the file. */
    long long good = 0, pos = 0;
    int ch;
    while ((ch = getc(in)) != EOF) {
        pos++;
        if (ch == '\n')
            good = pos;
    }
    int bad = ferror(in);
    fclose(in);
    if (bad)
        return err_set(e, "cannot read '%s': %s", path, strerror(errno));
    if (open_owned(w, path, "r+b", n_cols, e) < 0)
        return -1;
    w->good = good;
    if (ftruncate(fileno(w->f), (off_t)good) != 0 || fseek(w->f, 0, SEEK_END) != 0) {
        w->failed = 1;
        w->err = errno;
        write_error(w, e);
        csv_close(w, NULL);
        return -1;
    }
    return 0;
}

void csv_str(CsvWriter *w, const char *s)
{
    put_field(w, s);
}

static void put_number(CsvWriter *w, double v, int digits)
{
    char buf[64];
    if (isnan(v))
        strcpy(buf, "nan");
    else if (isinf(v))
        strcpy(buf, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, sizeof buf, "%.*g", digits, v);
    put_field(w, buf);
}

void csv_double(CsvWriter *w, double v)
{
    put_number(w, v, 9);
}

void csv_double_exact(CsvWriter *w, double v)
{
    put_number(w, v, 17);
}

void csv_long(CsvWriter *w, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    put_field(w, buf);
}

void csv_ullong(CsvWriter *w, unsigned long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", v);
    put_field(w, buf);
}

void csv_empty(CsvWriter *w)
{
    put_field(w, "");
}

int csv_end_row(CsvWriter *w, Err *e)
{
    while (w->col < w->n_cols)
        csv_empty(w);
    put(w, "\r\n", 2);
    size_t n = w->len;
    w->len = 0;
    w->col = 0;
    if (w->failed)
        return write_error(w, e);
    errno = 0;
    if (fwrite(w->row, 1, n, w->f) != n || fflush(w->f) != 0) {
        w->failed = 1;
        w->err = errno;
        if (w->owned) {
            /* Cut the partial row off; what follows writes nothing more. */
            clearerr(w->f);
            if (ftruncate(fileno(w->f), (off_t)w->good) == 0)
                fseek(w->f, 0, SEEK_END);
        }
        return write_error(w, e);
    }
    w->good += (long long)n;
    return 0;
}

int csv_close(CsvWriter *w, Err *e)
{
    int rc = 0;
    if (w->failed)
        rc = write_error(w, e);
    if (w->f && w->owned && fclose(w->f) != 0 && rc == 0) {
        w->failed = 1;
        w->err = errno;
        rc = write_error(w, e);
    }
    free(w->row);
    memset(w, 0, sizeof *w);
    return rc;
}
