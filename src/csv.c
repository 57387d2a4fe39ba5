/* csv.c - see csv.h. Cutting a file back to its last row needs ftruncate, from POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "csv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
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
    w->line = 1;
}

/* Line breaks in s[0..n) as the reader counts them: CRLF, LF or a lone CR, each one. */
static long line_breaks(const char *s, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n')))
            k++;
    return k;
}

/* The writer's first failure: a write the system refused, or a row of the wrong length. */
static int write_error(const CsvWriter *w, Err *e)
{
    char why[160];
    if (w->refused_line > 0)
        snprintf(why, sizeof why, "line %ld: wrote %d value%s in a row of %d column%s",
                 w->refused_line, w->refused_values, w->refused_values == 1 ? "" : "s",
                 w->n_cols, w->n_cols == 1 ? "" : "s");
    else
        snprintf(why, sizeof why, "%s", w->err ? strerror(w->err) : "write error");
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

void csv_attach_file(CsvWriter *w, AtomicFile *af, const char *const *header, int n_cols)
{
    csv_attach(w, af->f, header, n_cols);
    util_strlcpy(w->path, af->path, sizeof w->path);
}

int csv_commit(CsvWriter *w, AtomicFile *af, Err *e)
{
    if (csv_close(w, e) < 0) {
        util_atomic_abort(af);
        return -1;
    }
    return util_atomic_commit(af, e);
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
    /* The last complete row ends in the last "\n" of the file; the lines before it are
     * counted as line_breaks counts them. */
    long long good = 0, pos = 0;
    long lines = 0, good_lines = 0;
    int ch, prev = EOF;
    while ((ch = getc(in)) != EOF) {
        pos++;
        if (prev == '\r' && ch != '\n')
            lines++;
        if (ch == '\n') {
            lines++;
            good = pos;
            good_lines = lines;
        }
        prev = ch;
    }
    int bad = ferror(in);
    fclose(in);
    if (bad)
        return err_set(e, "cannot read '%s': %s", path, strerror(errno));
    if (open_owned(w, path, "r+b", n_cols, e) < 0)
        return -1;
    w->good = good;
    w->line = good_lines + 1;
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

void csv_number_text(char *buf, size_t n, double v, int digits)
{
    if (isnan(v))
        snprintf(buf, n, "nan");
    else if (isinf(v))
        snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, n, "%.*g", digits, v);
}

static void put_number(CsvWriter *w, double v, int digits)
{
    char buf[64];
    csv_number_text(buf, sizeof buf, v, digits);
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

void csv_double_or_empty(CsvWriter *w, double v, bool present)
{
    if (present)
        csv_double(w, v);
    else
        csv_empty(w);
}

int csv_end_row(CsvWriter *w, Err *e)
{
    int values = w->col;
    put(w, "\r\n", 2);
    size_t n = w->len;
    w->len = 0;
    w->col = 0;
    if (w->failed)
        return write_error(w, e);
    if (values != w->n_cols) {
        /* Its values would stand under other columns' names. Nothing after it is written
         * either: the file holds whole rows, and what it lacks is reported at the close. */
        w->failed = 1;
        w->refused_values = values;
        w->refused_line = w->line;
        return write_error(w, e);
    }
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
    w->line += line_breaks(w->row, n);
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

/* ---- reading ---- */

/* A growable array of size_t: cell offsets into the decoded text, and record lines. */
typedef struct {
    size_t *v;
    size_t n, cap;
} Offsets;

static void offsets_push(Offsets *o, size_t x)
{
    if (o->n == o->cap) {
        /* Never more entries than input bytes + 2, a size already in memory: no overflow. */
        size_t cap = o->cap ? o->cap * 2 : 64;
        size_t *bigger = xmalloc(cap * sizeof *o->v);
        if (o->n)
            memcpy(bigger, o->v, o->n * sizeof *o->v);
        free(o->v);
        o->v = bigger;
        o->cap = cap;
    }
    o->v[o->n++] = x;
}

/* The parse in progress: input position and line, decoded output, offsets. */
typedef struct {
    const char *in;
    size_t n, i;
    long line;
    char *out;
    size_t len;
    Offsets cells, lines;
    const char *name;
    Err *e;
} Parse;

static int parse_fail(Parse *p, long line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int parse_fail(Parse *p, long line, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return err_set(p->e, "%s:%ld: %s", p->name, line, what);
}

/* Consumes one line end at p->i (CRLF, LF or CR) if there is one; counts the line. */
static int take_line_end(Parse *p)
{
    if (p->i >= p->n)
        return 0;
    char c = p->in[p->i];
    if (c == '\n' || c == '\r') {
        p->i += (c == '\r' && p->i + 1 < p->n && p->in[p->i + 1] == '\n') ? 2 : 1;
        p->line++;
        return 1;
    }
    return 0;
}

/* One field starting at p->i, decoded into p->out; stops before the ',' or line end that
 * follows it (or at the end of the text). field is 1-based, for messages. */
static int parse_field(Parse *p, long field)
{
    offsets_push(&p->cells, p->len);
    if (p->i < p->n && p->in[p->i] == '"') {
        long opened = p->line;
        p->i++;
        for (;;) {
            if (p->i >= p->n)
                return parse_fail(p, opened,
                                  "field %ld: unterminated quoted field (expected a closing '\"')",
                                  field);
            char c = p->in[p->i];
            if (c == '\0')
                return parse_fail(p, p->line, "NUL byte in the text (is this a binary file?)");
            if (c == '"') {
                if (p->i + 1 < p->n && p->in[p->i + 1] == '"') {
                    p->out[p->len++] = '"';
                    p->i += 2;
                    continue;
                }
                p->i++;
                break;
            }
            /* A line break inside quotes is data; it still counts as a line for messages. */
            if (c == '\n' || (c == '\r' && !(p->i + 1 < p->n && p->in[p->i + 1] == '\n')))
                p->line++;
            p->out[p->len++] = c;
            p->i++;
        }
        if (p->i < p->n && p->in[p->i] != ',' && p->in[p->i] != '\r' && p->in[p->i] != '\n') {
            if (p->in[p->i] == '\0')
                return parse_fail(p, p->line, "NUL byte in the text (is this a binary file?)");
            return parse_fail(p, p->line,
                              "field %ld: text after the closing quote (expected ',' or the "
                              "end of the line; a quote inside a quoted field is written '\"\"')",
                              field);
        }
    } else {
        for (; p->i < p->n; p->i++) {
            char c = p->in[p->i];
            if (c == ',' || c == '\r' || c == '\n')
                break;
            if (c == '\0')
                return parse_fail(p, p->line, "NUL byte in the text (is this a binary file?)");
            if (c == '"')
                return parse_fail(p, p->line,
                                  "field %ld: '\"' inside an unquoted field (expected the whole "
                                  "field quoted, with the quote doubled)",
                                  field);
            p->out[p->len++] = c;
        }
    }
    p->out[p->len++] = '\0';
    return 0;
}

int csv_parse(CsvTable *t, const char *data, size_t n, const char *name, Err *e)
{
    memset(t, 0, sizeof *t);
    Parse p = {.in = data, .n = n, .line = 1, .name = name, .e = e};
    /* Decoded text never outgrows the input: each separator it drops makes room for one
     * NUL, plus the NUL of the last field. */
    size_t room;
    if (util_add_size(n, 2, &room) < 0)
        return err_set(e, "%s: too large", name);
    p.out = xmalloc(room);
    if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        p.i = 3;
    size_t n_cols = 0, n_rows = 0;
    while (p.i < p.n) {
        long start = p.line;
        size_t first = p.cells.n;
        long field = 1;
        if (parse_field(&p, field) < 0)
            goto fail;
        while (p.i < p.n && p.in[p.i] == ',') {
            p.i++;
            if (parse_field(&p, ++field) < 0)
                goto fail;
        }
        take_line_end(&p);
        size_t width = p.cells.n - first;
        if (n_rows == 0) {
            n_cols = width;
        } else if (width != n_cols) {
            if (width == 1 && p.out[p.cells.v[first]] == '\0')
                parse_fail(&p, start, "empty line (expected %zu fields, as on line %ld)", n_cols,
                           (long)p.lines.v[0]);
            else
                parse_fail(&p, start, "%zu field%s (expected %zu, as on line %ld)", width,
                           width == 1 ? "" : "s", n_cols, (long)p.lines.v[0]);
            goto fail;
        }
        offsets_push(&p.lines, (size_t)start);
        n_rows++;
        if (n_rows > (size_t)INT_MAX || p.cells.n > (size_t)INT_MAX) {
            err_set(e, "%s: more than %d rows or cells", name, INT_MAX);
            goto fail;
        }
    }
    t->n_rows = (int)n_rows;
    t->n_cols = (int)n_cols;
    t->text = p.out;
    t->cell = xmalloc((p.cells.n ? p.cells.n : 1) * sizeof *t->cell);
    for (size_t k = 0; k < p.cells.n; k++)
        t->cell[k] = p.out + p.cells.v[k];
    t->line = xmalloc((n_rows ? n_rows : 1) * sizeof *t->line);
    for (size_t r = 0; r < n_rows; r++)
        t->line[r] = p.lines.v[r] > INT_MAX ? INT_MAX : (int)p.lines.v[r];
    free(p.cells.v);
    free(p.lines.v);
    return 0;
fail:
    free(p.out);
    free(p.cells.v);
    free(p.lines.v);
    return -1;
}

int csv_read(CsvTable *t, const char *path, size_t max_bytes, Err *e)
{
    memset(t, 0, sizeof *t);
    long long size = util_file_size(path, e);
    if (size < 0)
        return -1;
    if ((unsigned long long)size > max_bytes)
        return err_set(e, "%s: %lld bytes, more than the %zu a CSV file may have here "
                       "(is this the right file?)", path, size, max_bytes);
    FILE *f = util_open_regular(path, e);
    if (!f)
        return -1;
    /* Read to the end, not to the size seen: the file may have changed since. */
    size_t cap = (size_t)size + 1, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max_bytes) {
                free(buf);
                fclose(f);
                return err_set(e, "%s: more than the %zu bytes a CSV file may have here "
                               "(is this the right file?)", path, max_bytes);
            }
            size_t bigger_cap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            char *bigger = xmalloc(bigger_cap);
            memcpy(bigger, buf, n);
            free(buf);
            buf = bigger;
            cap = bigger_cap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    int err = errno;
    fclose(f);
    if (bad) {
        free(buf);
        return err_set(e, "cannot read '%s': %s", path, strerror(err));
    }
    if (n > max_bytes) {
        free(buf);
        return err_set(e, "%s: more than the %zu bytes a CSV file may have here "
                       "(is this the right file?)", path, max_bytes);
    }
    int rc = csv_parse(t, buf, n, path, e);
    free(buf);
    return rc;
}

const char *csv_cell(const CsvTable *t, int row, int col)
{
    if (row < 0 || row >= t->n_rows || col < 0 || col >= t->n_cols)
        return NULL;
    return t->cell[(size_t)row * (size_t)t->n_cols + (size_t)col];
}

int csv_column(const CsvTable *t, const char *name)
{
    for (int c = 0; c < (t->n_rows ? t->n_cols : 0); c++)
        if (strcmp(t->cell[c], name) == 0)
            return c;
    return -1;
}

void csv_table_free(CsvTable *t)
{
    free(t->cell);
    free(t->line);
    free(t->text);
    memset(t, 0, sizeof *t);
}
