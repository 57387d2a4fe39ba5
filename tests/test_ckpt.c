/* test_ckpt.c - the checkpoint / model file format: the CRC-32 against its check value,
 * a round trip of every type (NaN payloads, extremes, empty sections), the exact bytes of
 * a small file, and that every damaged variant of a file is refused with a message:
 * every byte flipped in turn, every truncation, appended bytes, another kind, another
 * version, a crafted section table. Model files: what model_file_shape and
 * model_file_weights refuse. mkdtemp is POSIX. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "model.h"
#include "test.h"

static char dir[] = "/tmp/test_ckpt_XXXXXX";
static char path[256];

static unsigned char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)size + 1);
    *n = fread(b, 1, (size_t)size, f);
    fclose(f);
    return b;
}

static void spit(const char *p, const unsigned char *b, size_t n)
{
    FILE *f = fopen(p, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static void test_crc32_check_value(void)
{
    /* The CRC-32 check value of "123456789" (IEEE, as zlib's crc32). */
    CHECK(ckpt_crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(ckpt_crc32(0, "", 0) == 0);
    /* Fed in pieces, the same. */
    uint32_t c = ckpt_crc32(0, "1234", 4);
    CHECK(ckpt_crc32(c, "56789", 5) == 0xCBF43926u);
}

/* A small file of every type, written to path. */
static void write_sample(void)
{
    Err e;
    CkptWriter w;
    CHECK(ckpt_writer_open(&w, CKPT_CHECKPOINT, path, &e) == 0);
    int64_t i64[] = {0, -1, INT64_MIN, INT64_MAX, 42};
    uint64_t u64[] = {0, UINT64_MAX, 0x0123456789abcdefu};
    double nan_payload;
    uint64_t bits = 0x7ff8000000000123u;
    memcpy(&nan_payload, &bits, 8);
    double f64[] = {0.1, -0.0, 1e308, 5e-324, nan_payload};
    float f32[] = {1.5f, -2.25f, 1e-45f, 3.4e38f};
    int i32[] = {INT32_MIN, -7, 0, INT32_MAX};
    ckpt_put_i64(&w, "a.i64", i64, 5);
    ckpt_put_u64(&w, "b.u64", u64, 3);
    ckpt_put_f64(&w, "c.f64", f64, 5);
    ckpt_put_f32(&w, "d.f32", f32, 4);
    ckpt_put_i32(&w, "e.i32", i32, 4);
    ckpt_put_text(&w, "f.text", "relu");
    ckpt_put_text(&w, "g.empty", "");
    ckpt_put_f32(&w, "h.none", f32, 0);
    ckpt_put_long(&w, "i.long", -123456789L);
    ckpt_put_double(&w, "j.double", 2.5);
    CHECK(ckpt_writer_commit(&w, &e) == 0);
}

static void test_round_trip(void)
{
    write_sample();
    Err e;
    CkptFile f;
    CHECK(ckpt_read(&f, path, CKPT_CHECKPOINT, &e) == 0);
    CHECK(f.n_sections == 10);
    int64_t i64[5];
    uint64_t u64[3];
    double f64[5];
    float f32[4];
    int i32[4];
    char text[16];
    CHECK(ckpt_get_i64(&f, "a.i64", i64, 5, &e) == 0);
    CHECK(i64[0] == 0 && i64[1] == -1 && i64[2] == INT64_MIN && i64[3] == INT64_MAX && i64[4] == 42);
    CHECK(ckpt_get_u64(&f, "b.u64", u64, 3, &e) == 0);
    CHECK(u64[0] == 0 && u64[1] == UINT64_MAX && u64[2] == 0x0123456789abcdefu);
    CHECK(ckpt_get_f64(&f, "c.f64", f64, 5, &e) == 0);
    uint64_t bits;
    memcpy(&bits, &f64[4], 8);
    CHECK(f64[0] == 0.1 && f64[1] == 0 && signbit(f64[1]) && f64[2] == 1e308 &&
          f64[3] == 5e-324 && bits == 0x7ff8000000000123u);
    CHECK(ckpt_get_f32(&f, "d.f32", f32, 4, &e) == 0);
    CHECK(f32[0] == 1.5f && f32[1] == -2.25f && f32[2] == 1e-45f && f32[3] == 3.4e38f);
    CHECK(ckpt_get_i32(&f, "e.i32", i32, 4, &e) == 0);
    CHECK(i32[0] == INT32_MIN && i32[1] == -7 && i32[2] == 0 && i32[3] == INT32_MAX);
    CHECK(ckpt_get_text(&f, "f.text", text, sizeof text, &e) == 0);
    CHECK_STR("relu", text);
    CHECK(ckpt_get_text(&f, "g.empty", text, sizeof text, &e) == 0 && text[0] == '\0');
    CHECK(ckpt_count(&f, "h.none", CKPT_F32, &e) == 0);
    long l;
    double d;
    CHECK(ckpt_get_long(&f, "i.long", -1000000000L, 0, &l, &e) == 0 && l == -123456789L);
    CHECK(ckpt_get_double(&f, "j.double", &d, &e) == 0 && d == 2.5);

    /* Wrong requests are errors naming the file and the section. */
    CHECK(ckpt_get_i64(&f, "a.i64", i64, 4, &e) < 0 && strstr(e.msg, "holds 5 values (expected 4)"));
    CHECK(ckpt_get_f32(&f, "a.i64", f32, 5, &e) < 0 && strstr(e.msg, "holds int64 values (expected float32)"));
    CHECK(ckpt_get_f32(&f, "nope", f32, 1, &e) < 0 && strstr(e.msg, "section 'nope' is missing"));
    CHECK(strncmp(e.msg, path, strlen(path)) == 0);
    CHECK(ckpt_get_long(&f, "i.long", 0, 10, &l, &e) < 0 && strstr(e.msg, "expected 0..10"));
    CHECK(ckpt_get_text(&f, "f.text", text, 4, &e) < 0 && strstr(e.msg, "at most 3"));
    ckpt_file_free(&f);
    ckpt_file_free(&f); /* twice is safe */
}

static void test_exact_bytes(void)
{
    Err e;
    CkptWriter w;
    CHECK(ckpt_writer_open(&w, CKPT_MODEL, path, &e) == 0);
    ckpt_put_long(&w, "n", 258);
    CHECK(ckpt_writer_commit(&w, &e) == 0);
    size_t n;
    unsigned char *b = slurp(path, &n);
    /* payload: type 1, name length 1, 'n', count 1 (u64), 258 (i64), all little-endian */
    static const unsigned char payload[] = {1, 1, 'n', 1, 0, 0, 0, 0, 0, 0, 0,
                                            2, 1, 0, 0, 0, 0, 0, 0};
    CHECK(n == 32 + sizeof payload);
    CHECK(memcmp(b, "MLPTMODL", 8) == 0);
    CHECK(b[8] == 1 && b[9] == 0 && b[10] == 0 && b[11] == 0);     /* version 1 */
    CHECK(b[12] == 32 && b[13] == 0);                                 /* header size */
    CHECK(b[16] == sizeof payload && b[17] == 0 && b[23] == 0);      /* payload bytes */
    uint32_t crc = ckpt_crc32(0, payload, sizeof payload);
    CHECK(b[24] == (crc & 0xff) && b[25] == (crc >> 8 & 0xff) && b[26] == (crc >> 16 & 0xff) &&
          b[27] == crc >> 24);
    CHECK(b[28] == 1 && b[29] == 0);                                  /* sections */
    CHECK(memcmp(b + 32, payload, sizeof payload) == 0);
    free(b);
}

/* Every single-byte change anywhere, every truncation and an appended byte is refused. */
static void test_every_damage_is_refused(void)
{
    write_sample();
    size_t n;
    unsigned char *good = slurp(path, &n);
    unsigned char *bad = malloc(n + 1);
    char bad_path[300];
    snprintf(bad_path, sizeof bad_path, "%s/bad.bin", dir);
    Err e;
    CkptFile f;
    int accepted = 0, unclear = 0;
    static const unsigned char masks[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof masks; k++) {
            memcpy(bad, good, n);
            bad[i] ^= masks[k];
            if (ckpt_parse(&f, bad, n, "x.bin", CKPT_CHECKPOINT, &e) == 0) {
                accepted++;
                ckpt_file_free(&f);
            } else if (strncmp(e.msg, "x.bin: ", 7) != 0 || strchr(e.msg, '\n')) {
                unclear++;
            }
        }
    CHECK(accepted == 0);
    CHECK(unclear == 0);
    accepted = 0;
    for (size_t len = 0; len < n; len++) {
        spit(bad_path, good, len);
        if (ckpt_read(&f, bad_path, CKPT_CHECKPOINT, &e) == 0) {
            accepted++;
            ckpt_file_free(&f);
        }
    }
    CHECK(accepted == 0);
    spit(bad_path, good, 20);
    CHECK(ckpt_read(&f, bad_path, CKPT_CHECKPOINT, &e) < 0 && strstr(e.msg, "truncated"));
    spit(bad_path, good, n - 1);
    CHECK(ckpt_read(&f, bad_path, CKPT_CHECKPOINT, &e) < 0 && strstr(e.msg, "truncated"));
    memcpy(bad, good, n);
    bad[n] = 0;
    spit(bad_path, bad, n + 1);
    CHECK(ckpt_read(&f, bad_path, CKPT_CHECKPOINT, &e) < 0 && strstr(e.msg, "damaged"));
    memcpy(bad, good, n);
    bad[n - 1] ^= 4;
    CHECK(ckpt_parse(&f, bad, n, "x.bin", CKPT_CHECKPOINT, &e) < 0 && strstr(e.msg, "CRC-32"));
    memcpy(bad, good, n);
    bad[8] = 2;
    CHECK(ckpt_parse(&f, bad, n, "x.bin", CKPT_CHECKPOINT, &e) < 0 &&
          strstr(e.msg, "format version 2, which this mlptrain does not read"));
    CHECK(ckpt_parse(&f, good, n, "x.bin", CKPT_MODEL, &e) < 0 &&
          strstr(e.msg, "is a checkpoint, not a model file"));
    CHECK(ckpt_parse(&f, (const unsigned char *)"hello", 5, "x.bin", CKPT_MODEL, &e) < 0 &&
          strstr(e.msg, "not an mlptrain model file"));
    CHECK(ckpt_read(&f, dir, CKPT_MODEL, &e) < 0); /* a directory */
    snprintf(bad_path, sizeof bad_path, "%s/missing.bin", dir);
    CHECK(ckpt_read(&f, bad_path, CKPT_MODEL, &e) < 0 && strstr(e.msg, "missing.bin"));
    free(bad);
    free(good);
}

/* A header with a valid CRC over a crafted payload: sizes that lie are caught before use. */
static void craft(unsigned char *b, const unsigned char *payload, size_t n, uint32_t sections)
{
    memset(b, 0, 32);
    memcpy(b, "MLPTCKPT", 8);
    b[8] = 1;
    b[12] = 32;
    for (int i = 0; i < 8; i++)
        b[16 + i] = (unsigned char)((uint64_t)n >> (8 * i));
    uint32_t crc = ckpt_crc32(0, payload, n);
    for (int i = 0; i < 4; i++) {
        b[24 + i] = (unsigned char)(crc >> (8 * i));
        b[28 + i] = (unsigned char)(sections >> (8 * i));
    }
    memcpy(b + 32, payload, n);
}

static void test_crafted_sections(void)
{
    unsigned char b[128];
    Err e;
    CkptFile f;
    /* a count of 2^61 float32 values in 3 bytes */
    const unsigned char huge[] = {CKPT_F32, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0x20, 1, 2, 3};
    craft(b, huge, sizeof huge, 1);
    CHECK(ckpt_parse(&f, b, 32 + sizeof huge, "c.bin", CKPT_CHECKPOINT, &e) < 0 &&
          strstr(e.msg, "more than the 3 bytes left"));
    /* duplicate names */
    const unsigned char dup[] = {CKPT_TEXT, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0,
                                 CKPT_TEXT, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0};
    craft(b, dup, sizeof dup, 2);
    CHECK(ckpt_parse(&f, b, 32 + sizeof dup, "c.bin", CKPT_CHECKPOINT, &e) < 0 &&
          strstr(e.msg, "appears twice"));
    /* unknown type, bad name, too many sections, a NUL in text */
    const unsigned char type[] = {9, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0};
    craft(b, type, sizeof type, 1);
    CHECK(ckpt_parse(&f, b, 32 + sizeof type, "c.bin", CKPT_CHECKPOINT, &e) < 0 &&
          strstr(e.msg, "unknown type"));
    const unsigned char name[] = {CKPT_TEXT, 1, 'X', 0, 0, 0, 0, 0, 0, 0, 0};
    craft(b, name, sizeof name, 1);
    CHECK(ckpt_parse(&f, b, 32 + sizeof name, "c.bin", CKPT_CHECKPOINT, &e) < 0 &&
          strstr(e.msg, "bad name"));
    craft(b, name, sizeof name, 2);
    CHECK(ckpt_parse(&f, b, 32 + sizeof name, "c.bin", CKPT_CHECKPOINT, &e) < 0);
    craft(b, name, sizeof name, 0xffffffffu);
    CHECK(ckpt_parse(&f, b, 32 + sizeof name, "c.bin", CKPT_CHECKPOINT, &e) < 0);
    /* More sections than CKPT_MAX_SECTIONS, each with its own name: refused from the
     * count (checking 80000 such names for duplicates took 10 s, pair by pair) */
    for (int count = CKPT_MAX_SECTIONS; count <= CKPT_MAX_SECTIONS + 1; count++) {
        size_t len = 0;
        unsigned char *many = malloc((size_t)count * 16), *file = malloc((size_t)count * 16 + 32);
        for (int i = 0; i < count; i++) {
            char id[16];
            int k = snprintf(id, sizeof id, "s%d", i);
            many[len++] = CKPT_TEXT;
            many[len++] = (unsigned char)k;
            memcpy(many + len, id, (size_t)k);
            len += (size_t)k;
            memset(many + len, 0, 8);
            len += 8;
        }
        craft(file, many, len, (uint32_t)count);
        int rc = ckpt_parse(&f, file, 32 + len, "c.bin", CKPT_CHECKPOINT, &e);
        if (count == CKPT_MAX_SECTIONS) {
            CHECK(rc == 0 && f.n_sections == count);
            ckpt_file_free(&f);
        } else {
            CHECK(rc < 0 && strstr(e.msg, "c.bin: damaged: 1025 sections (expected at most 1024)"));
        }
        free(many);
        free(file);
    }
    const unsigned char nul[] = {CKPT_TEXT, 1, 'x', 2, 0, 0, 0, 0, 0, 0, 0, 'a', 0};
    craft(b, nul, sizeof nul, 1);
    CHECK(ckpt_parse(&f, b, 32 + sizeof nul, "c.bin", CKPT_CHECKPOINT, &e) == 0);
    char text[8];
    CHECK(ckpt_get_text(&f, "x", text, sizeof text, &e) < 0 && strstr(e.msg, "NUL"));
    ckpt_file_free(&f);
}

/* ---- model files (model.bin) ---- */

/* What a hand-made model file holds; write_model writes it with model_save's sections. */
typedef struct {
    long inputs, classes;
    int n_hidden;
    int64_t hidden[4];
    const char *activation;
    long batchnorm;
    double dropout;
    size_t n_params, n_buffers;
    const char *dataset;
} ModelSpec;

/* 12 -> 8 (batch norm) -> 4: 96 + 8 + 16 + 32 + 4 parameters, 16 buffers. */
static const ModelSpec model_12_8_4 = {12, 4, 1, {8}, "relu", 1, 0.25, 156, 16, "mnist"};

static void write_model(const ModelSpec *s)
{
    Err e;
    CkptWriter w;
    float *v = calloc(s->n_params + s->n_buffers + 1, sizeof(float));
    CHECK(ckpt_writer_open(&w, CKPT_MODEL, path, &e) == 0);
    ckpt_put_long(&w, "model.inputs", s->inputs);
    ckpt_put_long(&w, "model.classes", s->classes);
    ckpt_put_i64(&w, "model.hidden", s->hidden, (size_t)s->n_hidden);
    ckpt_put_text(&w, "model.activation", s->activation);
    ckpt_put_long(&w, "model.batchnorm", s->batchnorm);
    ckpt_put_double(&w, "model.dropout", s->dropout);
    ckpt_put_f32(&w, "params", v, s->n_params);
    ckpt_put_f32(&w, "buffers", v, s->n_buffers);
    ckpt_put_text(&w, "tensors", "");
    ckpt_put_text(&w, "origin.dataset", s->dataset);
    ckpt_put_long(&w, "origin.epoch", 3);
    ckpt_put_long(&w, "origin.best", 0);
    uint64_t hash = 42;
    ckpt_put_u64(&w, "config_hash", &hash, 1);
    CHECK(ckpt_writer_commit(&w, &e) == 0);
    free(v);
}

/* Reads path as eval does: the shape, a model built from it, its weights. -1 with e. */
static int read_model(Err *e)
{
    CkptFile f;
    ModelParams mp;
    ModelOrigin org;
    int n_in, n_classes;
    if (ckpt_read(&f, path, CKPT_MODEL, e) < 0)
        return -1;
    int rc = model_file_shape(&f, &mp, &n_in, &n_classes, &org, e);
    if (rc == 0) {
        Model m;
        Rng rng;
        rng_seed(&rng, 1, 1);
        rc = model_init(&m, &mp, n_in, n_classes, 2, NULL, NULL, &rng, e);
        if (rc == 0)
            rc = model_file_weights(&f, &m, e);
        model_free(&m);
    }
    ckpt_file_free(&f);
    return rc;
}

/* model_file_shape alone, as eval calls it before it builds the model. */
static int read_shape(Err *e)
{
    CkptFile f;
    ModelParams mp;
    ModelOrigin org;
    int n_in, n_classes;
    if (ckpt_read(&f, path, CKPT_MODEL, e) < 0)
        return -1;
    int rc = model_file_shape(&f, &mp, &n_in, &n_classes, &org, e);
    ckpt_file_free(&f);
    return rc;
}

/* model_file_shape's refusal of spec: -1, one line, the path first, holding want. */
static void check_model_refused(const ModelSpec *spec, const char *want)
{
    Err e;
    write_model(spec);
    int rc = read_model(&e);
    CHECK(rc == -1);
    if (rc == -1) {
        CHECK(strncmp(e.msg, path, strlen(path)) == 0);
        CHECK(strchr(e.msg, '\n') == NULL);
        if (!strstr(e.msg, want))
            fprintf(stderr, "message '%s' does not say '%s'\n", e.msg, want);
        CHECK(strstr(e.msg, want) != NULL);
    }
}

static void test_model_file(void)
{
    Err e;
    write_model(&model_12_8_4);
    CHECK(read_model(&e) == 0);
    /* origin.dataset names the training data: one of the datasets (fuzz_ckpt found any
     * text accepted); a control character is shown escaped, the message one line */
    ModelSpec s = model_12_8_4;
    s.dataset = "mnhst";
    check_model_refused(&s, "section 'origin.dataset' holds 'mnhst', not a dataset (expected "
                        "one of mnist, fashion-mnist, kmnist, cifar10)");
    s.dataset = "mn\nist";
    check_model_refused(&s, "holds 'mn\\x0aist'");

    /* an unknown activation is named escaped, the message one line (fuzz_ckpt: the
     * text was printed raw, a newline in it made two lines) */
    s = model_12_8_4;
    s.activation = "re\nlu";
    check_model_refused(&s, "section 'model.activation' holds 're\\x0alu', not an activation "
                        "(expected one of relu, sigmoid, tanh, leaky_relu, gelu)");
    s.activation = "\xff";
    check_model_refused(&s, "holds '\\xff'");

    /* dropout as the config bounds it, [0, 1) (fuzz_ckpt: 1 was accepted) */
    s = model_12_8_4;
    s.dropout = 1;
    check_model_refused(&s, "section 'model.dropout' holds 1 (expected 0 <= dropout < 1)");
    s.dropout = NAN;
    check_model_refused(&s, "section 'model.dropout' holds nan");
    s.dropout = 0.999;
    write_model(&s);
    CHECK(read_model(&e) == 0);

    /* A width the weights do not match is refused by the shape, before model_init sizes
     * anything from it (fuzz_ckpt: a second hidden layer of 16639 in a file of 186
     * weights had model_init allocate 866 KB each for parameters and gradients; the width
     * of 1000000 below, 76 MB each). */
    s = model_12_8_4;
    s.hidden[0] = 1000000;
    write_model(&s);
    Err e2;
    CHECK(read_shape(&e2) == -1);
    CHECK(strstr(e2.msg, "sections 'params' and 'buffers' hold 156 and 16 values, but the "
                 "shape it describes has 19000004 parameters and 2000000 buffers") != NULL);
    s = model_12_8_4;
    s.n_buffers = 15;
    check_model_refused(&s, "hold 156 and 15 values");
    s = model_12_8_4;
    s.n_params = 157;
    check_model_refused(&s, "hold 157 and 16 values");
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/f.bin", dir);
    RUN(test_crc32_check_value);
    RUN(test_round_trip);
    RUN(test_exact_bytes);
    RUN(test_every_damage_is_refused);
    RUN(test_crafted_sections);
    RUN(test_model_file);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return test_finish(argv[0]);
}
