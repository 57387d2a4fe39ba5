/* test_csv.c - the CSV reader: RFC 4180 quoting, line ends, a missing final line end, the
 * exact error texts (with their lines) for malformed input, the size cap, binary junk, and
 * a round trip through the writer; the writer's refusal of a row with fewer or more values
 * than columns, and a refused row failing the whole file. */
#define _POSIX_C_SOURCE 200809L /* getpid and mkdir for scratch files only */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "rng.h"
#include "test.h"

static char scratch[256];

static const char *tmp_path(const char *name)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", scratch, name);
    return b;
}

static void write_text(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0)
        fprintf(stderr, "cannot write %s\n", path);
}

/* Parses a NUL-terminated text named "t.csv". */
static int parse(CsvTable *t, const char *text, Err *e)
{
    return csv_parse(t, text, strlen(text), "t.csv", e);
}

/* The error message of parsing text, or "(parsed)" when it parsed. */
static const char *parse_error(const char *text, size_t n)
{
    static Err e;
    CsvTable t;
    if (csv_parse(&t, text, n, "t.csv", &e) == 0) {
        csv_table_free(&t);
        return "(parsed)";
    }
    CHECK(t.n_rows == 0 && t.cell == NULL && t.text == NULL);
    return e.msg;
}

static void test_plain(void)
{
    CsvTable t;
    Err e = {0};
    CHECK(parse(&t, "a,b,c\r\n1,2,3\r\n4,5,6\r\n", &e) == 0);
    CHECK(t.n_rows == 3 && t.n_cols == 3);
    CHECK_STR("a", csv_cell(&t, 0, 0));
    CHECK_STR("c", csv_cell(&t, 0, 2));
    CHECK_STR("5", csv_cell(&t, 2, 1));
    CHECK(csv_cell(&t, 3, 0) == NULL && csv_cell(&t, 0, 3) == NULL);
    CHECK(csv_cell(&t, -1, 0) == NULL && csv_cell(&t, 0, -1) == NULL);
    CHECK(csv_column(&t, "b") == 1 && csv_column(&t, "c") == 2 && csv_column(&t, "d") == -1);
    CHECK(t.line[0] == 1 && t.line[1] == 2 && t.line[2] == 3);
    csv_table_free(&t);
    csv_table_free(&t);
    CHECK(t.cell == NULL && t.n_rows == 0);
}

static void test_line_ends(void)
{
    /* LF, CRLF, CR, mixed, and no final line end all give the same table. */
    const char *texts[] = {"x,y\n1,2\n", "x,y\r\n1,2\r\n", "x,y\r1,2\r", "x,y\r\n1,2\n",
                           "x,y\r\n1,2", "x,y\n1,2"};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        CsvTable t;
        Err e = {0};
        CHECK(parse(&t, texts[k], &e) == 0);
        CHECK(t.n_rows == 2 && t.n_cols == 2);
        CHECK_STR("y", csv_cell(&t, 0, 1));
        CHECK_STR("2", csv_cell(&t, 1, 1));
        CHECK(t.n_rows == 2 && t.line[1] == 2);
        csv_table_free(&t);
    }
}

static void test_quoting(void)
{
    CsvTable t;
    Err e = {0};
    const char *text = "name,note\r\n"
                       "\"a,b\",\"say \"\"hi\"\"\"\r\n"
                       "\"\",\"two\r\nlines\"\r\n"
                       "plain,\"\"\"\"\r\n"
                       "x,\r\n";
    CHECK(parse(&t, text, &e) == 0);
    CHECK(t.n_rows == 5 && t.n_cols == 2);
    CHECK_STR("a,b", csv_cell(&t, 1, 0));
    CHECK_STR("say \"hi\"", csv_cell(&t, 1, 1));
    CHECK_STR("", csv_cell(&t, 2, 0));
    CHECK_STR("two\r\nlines", csv_cell(&t, 2, 1));
    CHECK_STR("\"", csv_cell(&t, 3, 1));
    CHECK_STR("", csv_cell(&t, 4, 1));
    /* The quoted line break counts as a line: the next record starts on line 5. */
    CHECK(t.line[2] == 3 && t.line[3] == 5 && t.line[4] == 6);
    csv_table_free(&t);

    /* A trailing comma at the very end is one more empty field. */
    CHECK(parse(&t, "a,b\r\n1,", &e) == 0);
    CHECK(t.n_rows == 2 && t.n_cols == 2);
    CHECK_STR("", csv_cell(&t, 1, 1));
    csv_table_free(&t);

    /* A quoted last field with no final line end. */
    CHECK(parse(&t, "a\r\n\"q\"", &e) == 0);
    CHECK(t.n_rows == 2 && t.n_cols == 1);
    CHECK_STR("q", csv_cell(&t, 1, 0));
    csv_table_free(&t);

    /* One column: a blank line is a record holding one empty field. */
    CHECK(parse(&t, "a\r\n\r\nb\r\n", &e) == 0);
    CHECK(t.n_rows == 3 && t.n_cols == 1);
    CHECK_STR("", csv_cell(&t, 1, 0));
    CHECK_STR("b", csv_cell(&t, 2, 0));
    csv_table_free(&t);
}

static void test_empty_and_bom(void)
{
    CsvTable t;
    Err e = {0};
    CHECK(parse(&t, "", &e) == 0);
    CHECK(t.n_rows == 0 && t.n_cols == 0 && csv_cell(&t, 0, 0) == NULL);
    CHECK(csv_column(&t, "") == -1);
    csv_table_free(&t);
    CHECK(parse(&t, "\xEF\xBB\xBF", &e) == 0);
    CHECK(t.n_rows == 0);
    csv_table_free(&t);
    CHECK(parse(&t, "\xEF\xBB\xBFid,v\r\n7,8\r\n", &e) == 0);
    CHECK(t.n_rows == 2 && csv_column(&t, "id") == 0);
    csv_table_free(&t);
}

static void test_errors(void)
{
    const char *bad[][2] = {
        {"a,b\r\n1,2,3\r\n", "t.csv:2: 3 fields (expected 2, as on line 1)"},
        {"a,b\r\n1\r\n", "t.csv:2: 1 field (expected 2, as on line 1)"},
        {"a,b\r\n1,2\r\n\r\n", "t.csv:3: empty line (expected 2 fields, as on line 1)"},
        {"a,b\r\n1,2\r\n\r\n3,4\r\n", "t.csv:3: empty line (expected 2 fields, as on line 1)"},
        {"a,b\r\n\"x\r\ny\",2\r\n5\r\n", "t.csv:4: 1 field (expected 2, as on line 1)"},
        {"a,b\r\n1,\"open\r\nstill\r\n",
         "t.csv:2: field 2: unterminated quoted field (expected a closing '\"')"},
        {"\"", "t.csv:1: field 1: unterminated quoted field (expected a closing '\"')"},
        {"a,b\r\n\"x\"y,2\r\n",
         "t.csv:2: field 1: text after the closing quote (expected ',' or the end of the line; "
         "a quote inside a quoted field is written '\"\"')"},
        {"a,b\r\n1,x\"y\r\n",
         "t.csv:2: field 2: '\"' inside an unquoted field (expected the whole field quoted, "
         "with the quote doubled)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        CHECK_STR(bad[k][1], parse_error(bad[k][0], strlen(bad[k][0])));

    /* NUL bytes, in and out of quotes and after a closing quote. */
    CHECK_STR("t.csv:2: NUL byte in the text (is this a binary file?)",
              parse_error("a,b\r\n1,\0\r\n", 9));
    CHECK_STR("t.csv:1: NUL byte in the text (is this a binary file?)",
              parse_error("\"a\0\",b\r\n", 8));
    CHECK_STR("t.csv:1: NUL byte in the text (is this a binary file?)",
              parse_error("\"a\"\0,b\r\n", 8));
}

/* Random bytes (biased toward the characters that matter) never crash the reader, and
 * anything it accepts is a rectangular table. Run under ASan by `make sanitize`. */
static void test_junk(void)
{
    Rng r;
    rng_seed(&r, 42, 0);
    const char alphabet[] = {',',        '"',        '\r',       '\n', 'a',
                             '\0',       (char)0xEF, (char)0xBB, (char)0xBF, '1'};
    char buf[64];
    int parsed = 0, failed = 0;
    for (int it = 0; it < 20000; it++) {
        size_t n = (size_t)rng_below(&r, sizeof buf + 1);
        for (size_t i = 0; i < n; i++)
            buf[i] = rng_below(&r, 4) == 0 ? (char)rng_below(&r, 256)
                                           : alphabet[rng_below(&r, sizeof alphabet)];
        /* The text is not NUL-terminated: the reader must stay within n bytes. */
        char *exact = malloc(n ? n : 1);
        memcpy(exact, buf, n);
        CsvTable t;
        Err e = {0};
        if (csv_parse(&t, exact, n, "junk", &e) == 0) {
            parsed++;
            for (int row = 0; row < t.n_rows; row++)
                for (int col = 0; col < t.n_cols; col++)
                    if (!csv_cell(&t, row, col))
                        failed++;
        } else if (strncmp(e.msg, "junk:", 5) != 0) {
            failed++;
        }
        csv_table_free(&t);
        free(exact);
    }
    CHECK(failed == 0);
    /* Both outcomes were exercised, so the loop tested something. */
    CHECK(parsed > 100 && parsed < 19900);
}

/* Whatever the writer writes, the reader reads back as it was. */
static void test_round_trip(void)
{
    const char *fields[] = {"plain", "with,comma", "with \"quotes\"", "line\r\nbreak", "",
                            "lf\nonly", " spaces ", "\"", "cr\ronly"};
    enum { N = sizeof fields / sizeof fields[0] };
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CsvWriter w;
    csv_attach(&w, f, fields, N);
    for (int k = 0; k < N; k++)
        csv_str(&w, fields[(k + 3) % N]);
    CHECK(csv_end_row(&w, NULL) == 0);
    csv_double(&w, 0.1);
    csv_long(&w, -7);
    for (int k = 2; k < N; k++)
        csv_empty(&w);
    CHECK(csv_end_row(&w, NULL) == 0);
    csv_close(&w, NULL);
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n);
    CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    CsvTable t;
    Err e = {0};
    CHECK(csv_parse(&t, text, (size_t)n, "rt.csv", &e) == 0);
    CHECK(t.n_rows == 3 && t.n_cols == N);
    for (int k = 0; k < N && t.n_rows == 3; k++) {
        CHECK_STR(fields[k], csv_cell(&t, 0, k));
        CHECK_STR(fields[(k + 3) % N], csv_cell(&t, 1, k));
    }
    CHECK_STR("0.1", csv_cell(&t, 2, 0));
    CHECK_STR("-7", csv_cell(&t, 2, 1));
    CHECK_STR("", csv_cell(&t, 2, N - 1));
    csv_table_free(&t);
    free(text);
}

/* The text of the file at path, "(unreadable)" when it cannot be read. */
static const char *file_text(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f)
        return "(unreadable)";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The text a stream holds, from its start. */
static const char *stream_text(FILE *f)
{
    static char buf[4096];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

static const char *const abc[] = {"a", "b", "c"};

/* A row with a value per column is written as it is. */
static void test_full_row(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CsvWriter w;
    Err e = {0};
    csv_attach(&w, f, abc, 3);
    csv_long(&w, 1);
    csv_empty(&w);
    csv_str(&w, "x,y");
    CHECK(csv_end_row(&w, &e) == 0);
    CHECK(csv_close(&w, &e) == 0);
    CHECK_STR("a,b,c\r\n1,,\"x,y\"\r\n", stream_text(f));
    fclose(f);
}

/* A row with fewer values than columns is refused, not padded: nothing of it is written,
 * nor anything after it (the file keeps its whole rows), and the close reports it too. */
static void test_short_row(void)
{
    const char *path = tmp_path("short.csv");
    CsvWriter w;
    Err e = {0};
    char want[1024];
    CHECK(csv_open(&w, path, abc, 3, &e) == 0);
    csv_str(&w, "1");
    csv_str(&w, "2");
    csv_str(&w, "3");
    CHECK(csv_end_row(&w, &e) == 0);
    csv_str(&w, "4");
    csv_str(&w, "5");
    CHECK(csv_end_row(&w, &e) == -1);
    snprintf(want, sizeof want, "cannot write '%s': line 3: wrote 2 values in a row of 3 columns",
             path);
    CHECK_STR(want, e.msg);
    csv_str(&w, "6");
    csv_str(&w, "7");
    csv_str(&w, "8");
    CHECK(csv_end_row(&w, NULL) == -1);
    CHECK(csv_close(&w, &e) == -1);
    CHECK_STR(want, e.msg);
    CHECK_STR("a,b,c\r\n1,2,3\r\n", file_text(path));

    /* Rows added to a file count its lines from its start. */
    CHECK(csv_append(&w, path, 3, &e) == 0);
    csv_str(&w, "9");
    CHECK(csv_end_row(&w, &e) == -1);
    snprintf(want, sizeof want, "cannot write '%s': line 3: wrote 1 value in a row of 3 columns",
             path);
    CHECK_STR(want, e.msg);
    csv_close(&w, NULL);
    CHECK_STR("a,b,c\r\n1,2,3\r\n", file_text(path));
    remove(path);
}

/* A value past the last column is refused with its row; lines count the line breaks
 * inside quoted values, as the reader's do. */
static void test_long_row(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CsvWriter w;
    Err e = {0};
    csv_attach(&w, f, abc, 3);
    csv_str(&w, "two\r\nlines");
    csv_str(&w, "");
    csv_str(&w, "");
    CHECK(csv_end_row(&w, &e) == 0);
    for (int k = 0; k < 4; k++)
        csv_long(&w, k);
    CHECK(csv_end_row(&w, &e) == -1);
    CHECK_STR("cannot write: line 4: wrote 4 values in a row of 3 columns", e.msg);
    CHECK(csv_close(&w, &e) == -1);
    CHECK_STR("a,b,c\r\n\"two\r\nlines\",,\r\n", stream_text(f));
    fclose(f);
}

/* A file written whole through an AtomicFile is not written at all when a row of it is
 * refused: csv_commit reports the row and leaves neither the file nor its temporary. */
static void test_refused_row_fails_file(void)
{
    const char *path = tmp_path("whole.csv");
    AtomicFile af;
    CsvWriter w;
    Err e = {0};
    char want[1024];
    CHECK(util_atomic_open(&af, path, &e) == 0);
    char tmp[sizeof af.tmp];
    memcpy(tmp, af.tmp, sizeof tmp);
    csv_attach_file(&w, &af, abc, 3);
    csv_str(&w, "1");
    csv_str(&w, "2");
    csv_end_row(&w, NULL);
    csv_str(&w, "3");
    csv_str(&w, "4");
    csv_str(&w, "5");
    csv_end_row(&w, NULL);
    CHECK(csv_commit(&w, &af, &e) == -1);
    snprintf(want, sizeof want, "cannot write '%s': line 2: wrote 2 values in a row of 3 columns",
             path);
    CHECK_STR(want, e.msg);
    CHECK(access(path, F_OK) != 0);
    CHECK(tmp[0] != '\0' && access(tmp, F_OK) != 0);

    /* And a whole file is committed. */
    CHECK(util_atomic_open(&af, path, &e) == 0);
    csv_attach_file(&w, &af, abc, 3);
    csv_str(&w, "1");
    csv_str(&w, "2");
    csv_str(&w, "3");
    csv_end_row(&w, NULL);
    CHECK(csv_commit(&w, &af, &e) == 0);
    CHECK_STR("a,b,c\r\n1,2,3\r\n", file_text(path));
    remove(path);
}

static void test_read_file(void)
{
    CsvTable t;
    Err e = {0};
    const char *text = "a,b\r\n1,2\r\n"; /* 10 bytes */
    const char *path = tmp_path("ok.csv");
    write_text(path, text, strlen(text));
    CHECK(csv_read(&t, path, 10, &e) == 0);
    CHECK(t.n_rows == 2 && t.n_cols == 2);
    CHECK_STR("2", csv_cell(&t, 1, 1));
    csv_table_free(&t);

    /* One byte over the cap is refused, with the size and the cap. */
    char want[1024];
    CHECK(csv_read(&t, path, 9, &e) == -1);
    snprintf(want, sizeof want,
             "%s: 10 bytes, more than the 9 a CSV file may have here (is this the right file?)",
             path);
    CHECK_STR(want, e.msg);

    /* Errors of a file name the file and the line. */
    write_text(tmp_path("bad.csv"), "a,b\n1\n", 6);
    CHECK(csv_read(&t, tmp_path("bad.csv"), CSV_READ_MAX_DEFAULT, &e) == -1);
    snprintf(want, sizeof want, "%s:2: 1 field (expected 2, as on line 1)", tmp_path("bad.csv"));
    CHECK_STR(want, e.msg);

    /* Missing files and directories are refused, not read. */
    CHECK(csv_read(&t, tmp_path("none.csv"), CSV_READ_MAX_DEFAULT, &e) == -1);
    snprintf(want, sizeof want, "cannot open '%s': No such file or directory",
             tmp_path("none.csv"));
    CHECK_STR(want, e.msg);
    CHECK(csv_read(&t, scratch, CSV_READ_MAX_DEFAULT, &e) == -1);
    snprintf(want, sizeof want, "%s: is a directory (expected a regular file)", scratch);
    CHECK_STR(want, e.msg);
    CHECK(t.n_rows == 0 && t.cell == NULL);

    /* Binary junk in a file: a clear error, no crash. */
    unsigned char junk[300];
    for (int i = 0; i < 300; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    write_text(tmp_path("junk.bin"), (const char *)junk, sizeof junk);
    CHECK(csv_read(&t, tmp_path("junk.bin"), CSV_READ_MAX_DEFAULT, &e) == -1);
    CHECK(strstr(e.msg, "junk.bin:") != NULL);
    remove(tmp_path("ok.csv"));
    remove(tmp_path("bad.csv"));
    remove(tmp_path("junk.bin"));
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/mlptrain-test-csv-%ld", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    if (mkdir(scratch, 0700) != 0)
        fprintf(stderr, "cannot create %s\n", scratch);

    RUN(test_plain);
    RUN(test_line_ends);
    RUN(test_quoting);
    RUN(test_empty_and_bom);
    RUN(test_errors);
    RUN(test_junk);
    RUN(test_round_trip);
    RUN(test_read_file);
    RUN(test_full_row);
    RUN(test_short_row);
    RUN(test_long_row);
    RUN(test_refused_row_fails_file);

    rmdir(scratch);
    return test_finish(argv[0]);
}
