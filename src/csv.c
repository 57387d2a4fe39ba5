/* csv.c - see csv.h. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void sep(CsvWriter *w)
{
    if (w->col > 0 && fputc(',', w->f) == EOF)
        w->failed = 1;
    w->col++;
}

static void put_field(CsvWriter *w, const char *s)
{
    sep(w);
    if (strpbrk(s, ",\"\r\n")) {
        if (fputc('"', w->f) == EOF)
            w->failed = 1;
        for (; *s; s++) {
            if (*s == '"' && fputc('"', w->f) == EOF)
                w->failed = 1;
            if (fputc(*s, w->f) == EOF)
                w->failed = 1;
        }
        if (fputc('"', w->f) == EOF)
            w->failed = 1;
    } else if (fputs(s, w->f) == EOF) {
        w->failed = 1;
    }
}

void csv_attach(CsvWriter *w, FILE *f, const char *const *header, int n_cols)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->n_cols = n_cols;
    if (header) {
        for (int i = 0; i < n_cols; i++)
            put_field(w, header[i]);
        csv_end_row(w);
    }
}

int csv_open(CsvWriter *w, const char *path, const char *const *header, int n_cols, Err *e)
{
    memset(w, 0, sizeof *w);
    FILE *f = fopen(path, "wb");
    if (!f)
        return err_set(e, "cannot create '%s': %s", path, strerror(errno));
    csv_attach(w, f, header, n_cols);
    w->owned = 1;
    if (w->failed)
        return err_set(e, "cannot write '%s': %s", path, strerror(errno));
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

void csv_empty(CsvWriter *w)
{
    put_field(w, "");
}

int csv_end_row(CsvWriter *w)
{
    while (w->col < w->n_cols)
        csv_empty(w);
    if (fputs("\r\n", w->f) == EOF || fflush(w->f) == EOF)
        w->failed = 1;
    w->col = 0;
    return w->failed ? -1 : 0;
}

int csv_close(CsvWriter *w)
{
    int rc = w->failed ? -1 : 0;
    if (w->f && w->owned && fclose(w->f) == EOF)
        rc = -1;
    memset(w, 0, sizeof *w);
    return rc;
}
