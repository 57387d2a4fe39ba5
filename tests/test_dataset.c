/* test_dataset.c - the data module: the bundled data/ subsets, limits, every validation
 * error (bad files are written into a scratch directory), the split, normalization
 * (SEMANTICS §9.4 float32 values) and batch layout. Run from the repository root. */
#define _POSIX_C_SOURCE 200809L /* mkdir and getpid for the scratch directory only */

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "test.h"

/* ---- scratch files ---- */

static char scratch[256];

/* Joins scratch + "/" + name into a static buffer (one of a few, so calls can nest). */
static const char *tmp_path(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", scratch, name);
    return b;
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0)
        fprintf(stderr, "cannot create %s\n", path);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        fprintf(stderr, "cannot write %s\n", path);
}

static void put_be32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* An IDX image file: header (magic, n_header, rows, cols) then n_data zero-filled images
 * plus `extra` bytes (negative: that many fewer). Pixel i of image r is (r + i) & 255. */
static void write_idx_images(const char *path, unsigned long magic, unsigned long n_header,
                             unsigned long rows, unsigned long cols, long n_data, long extra)
{
    size_t size = (size_t)(16 + n_data * 784 + extra);
    unsigned char *b = calloc(size, 1);
    put_be32(b, magic);
    put_be32(b + 4, n_header);
    put_be32(b + 8, rows);
    put_be32(b + 12, cols);
    for (size_t i = 16; i < size; i++)
        b[i] = (unsigned char)((i - 16) / 784 + (i - 16) % 784);
    write_bytes(path, b, size);
    free(b);
}

static void write_idx_labels(const char *path, unsigned long magic, unsigned long n_header,
                             const unsigned char *labels, size_t n)
{
    unsigned char b[8 + 64];
    put_be32(b, magic);
    put_be32(b + 4, n_header);
    memcpy(b + 8, labels, n);
    write_bytes(path, b, 8 + n);
}

/* A CIFAR-10 batch: labels[r] then pixels where byte k of record r is (base + r + k) & 255,
 * plus `extra` trailing bytes. */
static void write_cifar(const char *path, const unsigned char *labels, int n, int base, int extra)
{
    size_t size = (size_t)n * 3073 + (size_t)extra;
    unsigned char *b = calloc(size, 1);
    for (int r = 0; r < n; r++) {
        b[(size_t)r * 3073] = labels[r];
        for (int k = 0; k < 3072; k++)
            b[(size_t)r * 3073 + 1 + (size_t)k] = (unsigned char)(base + r + k);
    }
    write_bytes(path, b, size);
    free(b);
}

static void cleanup_scratch(void)
{
    static const char *names[] = {
        "img", "lab", "img2", "lab2", "short", "c1", "c2", "c3", "empty",
        "mn/train-images-idx3-ubyte", "mn/train-labels-idx1-ubyte",
        "gz/train-images-idx3-ubyte.gz",
        "cf/data_batch_1.bin", "cf/data_batch_2.bin", "cf/data_batch_2.bin.gz",
        "cf/data_batch_3.bin", "cf/test_batch.bin",
        "cg/data_batch_1.bin", "cg/data_batch_3.bin", "cg/test_batch.bin",
        "cz/data_batch_1.bin.gz",
        "mn", "gz", "cf", "cg", "cz", NULL};
    for (int i = 0; names[i]; i++)
        remove(tmp_path(names[i]));
    remove(scratch);
}

static DataParams data_params(DatasetKind kind, const char *path)
{
    DataParams p;
    memset(&p, 0, sizeof p);
    p.dataset = kind;
    snprintf(p.path, sizeof p.path, "%s", path);
    p.normalize = NORM_STANDARD;
    params_default_stats(kind, p.mean, p.std);
    return p;
}

/* Loads a pair through dataset_load_idx and returns the error text ("" on success). */
static const char *idx_error(const char *img, const char *lab, long limit)
{
    static Err e;
    Dataset d;
    e.msg[0] = '\0';
    if (dataset_load_idx(&d, img, lab, limit, &e) == 0) {
        dataset_free(&d);
        return "";
    }
    CHECK(d.pixels == NULL && d.labels == NULL && d.n == 0);
    return e.msg;
}

static const char *cifar_error(const char *const *paths, int n, long limit)
{
    static Err e;
    Dataset d;
    e.msg[0] = '\0';
    if (dataset_load_cifar(&d, paths, n, limit, &e) == 0) {
        dataset_free(&d);
        return "";
    }
    CHECK(d.pixels == NULL && d.labels == NULL && d.n == 0);
    return e.msg;
}

static const char *load_error(DatasetKind kind, const char *dir)
{
    static Err e;
    Dataset tr, te;
    DataParams p = data_params(kind, dir);
    e.msg[0] = '\0';
    if (dataset_load(&tr, &te, &p, &e) == 0) {
        dataset_free(&tr);
        dataset_free(&te);
        return "";
    }
    CHECK(tr.pixels == NULL && te.pixels == NULL);
    return e.msg;
}

static char expect_buf[2048];

/* printf into a static buffer: the expected message with the scratch path in it. */
static const char *expect(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static const char *expect(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(expect_buf, sizeof expect_buf, fmt, ap);
    va_end(ap);
    return expect_buf;
}

/* ---- the bundled data/ subsets (values read once from the files and hard-coded) ---- */

static void test_bundled_mnist(void)
{
    Dataset tr, te;
    Err e = {0};
    DataParams p = data_params(DATASET_MNIST, "data/mnist");
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    if (e.msg[0])
        fprintf(stderr, "%s\n", e.msg);
    CHECK(tr.n == 2000 && te.n == 500);
    CHECK(tr.dim == 784 && tr.channels == 1 && tr.n_classes == 10 && tr.n_files == 1);
    CHECK(te.dim == 784 && te.channels == 1);
    if (tr.n == 2000 && te.n == 500) {
        static const uint8_t train_first[10] = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
        static const uint8_t test_first[10] = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
        CHECK(memcmp(tr.labels, train_first, 10) == 0);
        CHECK(memcmp(te.labels, test_first, 10) == 0);
        CHECK(tr.labels[1999] == 0 && te.labels[499] == 6);
        /* record 0: first ink at pixel 152 (3, 18, 18); pixel 350 is 70 */
        CHECK(tr.pixels[151] == 0 && tr.pixels[152] == 3 && tr.pixels[153] == 18);
        CHECK(tr.pixels[350] == 70);
        CHECK(tr.pixels[1999 * 784 + 126] == 60 && tr.pixels[1999 * 784 + 128] == 254);
        CHECK(te.pixels[202] == 84 && te.pixels[203] == 185 && te.pixels[353] == 22);
        CHECK(te.pixels[499 * 784 + 102] == 237);
        long sum = 0;
        for (int i = 0; i < 784; i++)
            sum += tr.pixels[i];
        CHECK(sum == 27525);
    }
    dataset_free(&tr);
    dataset_free(&te);
    CHECK(tr.pixels == NULL && tr.n == 0);
}

static void test_bundled_fashion(void)
{
    Dataset tr, te;
    Err e = {0};
    DataParams p = data_params(DATASET_FASHION_MNIST, "data/fashion-mnist");
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    CHECK(tr.n == 1000 && te.n == 200);
    if (tr.n == 1000 && te.n == 200) {
        static const uint8_t train_first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
        static const uint8_t test_first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
        CHECK(memcmp(tr.labels, train_first, 10) == 0);
        CHECK(memcmp(te.labels, test_first, 10) == 0);
        CHECK(tr.labels[999] == 8 && te.labels[199] == 1);
        CHECK(tr.pixels[96] == 1 && tr.pixels[350] == 222 && tr.pixels[353] == 203);
        CHECK(te.pixels[199 * 784 + 10] == 135);
    }
    dataset_free(&tr);
    dataset_free(&te);
}

static void test_bundled_cifar(void)
{
    Dataset tr, te;
    Err e = {0};
    DataParams p = data_params(DATASET_CIFAR10, "data/cifar10");
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    if (e.msg[0])
        fprintf(stderr, "%s\n", e.msg);
    CHECK(tr.n == 500 && te.n == 200);
    CHECK(tr.dim == 3072 && tr.channels == 3 && tr.n_classes == 10 && tr.n_files == 1);
    if (tr.n == 500 && te.n == 200) {
        static const uint8_t train_first[10] = {6, 9, 9, 4, 1, 1, 2, 7, 8, 3};
        static const uint8_t test_first[10] = {3, 8, 8, 0, 6, 6, 1, 6, 3, 1};
        CHECK(memcmp(tr.labels, train_first, 10) == 0);
        CHECK(memcmp(te.labels, test_first, 10) == 0);
        CHECK(tr.labels[499] == 7 && te.labels[199] == 8);
        /* R, G, B planes of record 0 start at 0, 1024, 2048 */
        CHECK(tr.pixels[0] == 59 && tr.pixels[1024] == 62 && tr.pixels[2048] == 63);
        CHECK(tr.pixels[1023] == 123 && tr.pixels[3071] == 72);
        const uint8_t *last = tr.pixels + 499 * 3072;
        CHECK(last[0] == 109 && last[1024] == 174 && last[2048] == 224 && last[3071] == 158);
        CHECK(te.pixels[0] == 158 && te.pixels[1024] == 112 && te.pixels[2048] == 49);
        CHECK(te.pixels[199 * 3072 + 3071] == 193);
    }
    dataset_free(&tr);
    dataset_free(&te);
}

static void test_limits(void)
{
    Dataset tr, te, full_tr, full_te;
    Err e = {0};
    DataParams p = data_params(DATASET_MNIST, "data/mnist");
    CHECK(dataset_load(&full_tr, &full_te, &p, &e) == 0);
    p.train_limit = 100;
    p.test_limit = 7;
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    CHECK(tr.n == 100 && te.n == 7);
    if (tr.n == 100 && te.n == 7 && full_tr.n == 2000) {
        CHECK(memcmp(tr.pixels, full_tr.pixels, 100 * 784) == 0);
        CHECK(memcmp(tr.labels, full_tr.labels, 100) == 0);
        CHECK(memcmp(te.pixels, full_te.pixels, 7 * 784) == 0);
    }
    dataset_free(&tr);
    dataset_free(&te);
    /* a limit above the count keeps everything */
    p.train_limit = 5000;
    p.test_limit = 0;
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    CHECK(tr.n == 2000 && te.n == 500);
    dataset_free(&tr);
    dataset_free(&te);
    dataset_free(&full_tr);
    dataset_free(&full_te);

    p = data_params(DATASET_CIFAR10, "data/cifar10");
    p.train_limit = 3;
    p.test_limit = 1;
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    CHECK(tr.n == 3 && te.n == 1);
    if (tr.n == 3)
        CHECK(tr.labels[2] == 9 && tr.pixels[0] == 59);
    dataset_free(&tr);
    dataset_free(&te);
}

/* CIFAR batches are concatenated in order; limits cut across a file boundary. */
static void test_cifar_batches(void)
{
    static const unsigned char l1[3] = {1, 2, 3}, l2[2] = {4, 5}, lt[1] = {9};
    make_dir(tmp_path("cf"));
    write_cifar(tmp_path("cf/data_batch_1.bin"), l1, 3, 0, 0);
    write_cifar(tmp_path("cf/data_batch_2.bin"), l2, 2, 100, 0);
    write_cifar(tmp_path("cf/test_batch.bin"), lt, 1, 7, 0);
    Dataset tr, te;
    Err e = {0};
    DataParams p = data_params(DATASET_CIFAR10, tmp_path("cf"));
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    CHECK(tr.n == 5 && tr.n_files == 2 && te.n == 1 && te.n_files == 1);
    if (tr.n == 5) {
        CHECK(tr.labels[0] == 1 && tr.labels[2] == 3 && tr.labels[3] == 4 && tr.labels[4] == 5);
        CHECK(tr.pixels[3 * 3072] == 100 && tr.pixels[4 * 3072 + 5] == 106);
        CHECK(tr.pixels[2 * 3072 + 3071] == (uint8_t)(2 + 3071));
    }
    dataset_free(&tr);
    dataset_free(&te);
    p.train_limit = 4;
    CHECK(dataset_load(&tr, &te, &p, &e) == 0);
    CHECK(tr.n == 4 && tr.n_files == 2);
    if (tr.n == 4)
        CHECK(tr.labels[3] == 4 && tr.pixels[3 * 3072 + 1] == 101);
    dataset_free(&tr);
    dataset_free(&te);

    /* a compressed batch 2 would silently shrink the training set */
    write_bytes(tmp_path("cf/data_batch_2.bin.gz"), "x", 1);
    remove(tmp_path("cf/data_batch_2.bin"));
    CHECK_STR(expect("%s/cf/data_batch_2.bin: not found, but data_batch_2.bin.gz is there: "
                     "mlptrain reads uncompressed files; run 'gunzip -k %s/cf/*.gz'",
                     scratch, scratch),
              load_error(DATASET_CIFAR10, tmp_path("cf")));
    /* so would a gap */
    make_dir(tmp_path("cg"));
    write_cifar(tmp_path("cg/data_batch_1.bin"), l1, 3, 0, 0);
    write_cifar(tmp_path("cg/data_batch_3.bin"), l1, 3, 0, 0);
    write_cifar(tmp_path("cg/test_batch.bin"), lt, 1, 0, 0);
    CHECK_STR(expect("%s/cg/data_batch_2.bin: not found, but %s/cg/data_batch_3.bin is there "
                     "(batches must be consecutive from 1)",
                     scratch, scratch),
              load_error(DATASET_CIFAR10, tmp_path("cg")));
    /* only data_batch_1.bin.gz */
    make_dir(tmp_path("cz"));
    write_bytes(tmp_path("cz/data_batch_1.bin.gz"), "x", 1);
    CHECK_STR(expect("%s/cz/data_batch_1.bin: not found, but data_batch_1.bin.gz is there: "
                     "mlptrain reads uncompressed files; run 'gunzip -k %s/cz/*.gz'",
                     scratch, scratch),
              load_error(DATASET_CIFAR10, tmp_path("cz")));
}

/* ---- IDX validation ---- */

static void test_idx_errors(void)
{
    static const unsigned char two[2] = {3, 7}, three[3] = {1, 2, 3}, bad[3] = {1, 12, 3};
    char img[512], lab[512];
    snprintf(img, sizeof img, "%s", tmp_path("img"));
    snprintf(lab, sizeof lab, "%s", tmp_path("lab"));

    /* a valid pair first, so each failure below has one cause */
    write_idx_images(img, 0x803, 2, 28, 28, 2, 0);
    write_idx_labels(lab, 0x801, 2, two, 2);
    CHECK_STR("", idx_error(img, lab, 0));

    write_idx_images(img, 0x803, 2, 28, 28, 2, -1);
    CHECK_STR(expect("%s: file is 1583 bytes, header says 1584 (2 images of 28x28)", img),
              idx_error(img, lab, 0));
    write_idx_images(img, 0x803, 2, 28, 28, 2, 1);
    CHECK_STR(expect("%s: file is 1585 bytes, header says 1584 (2 images of 28x28)", img),
              idx_error(img, lab, 0));
    /* a limit does not excuse a bad size */
    CHECK_STR(expect("%s: file is 1585 bytes, header says 1584 (2 images of 28x28)", img),
              idx_error(img, lab, 1));
    write_idx_images(img, 0x803, 2, 28, 28, 2, 0);

    write_idx_labels(lab, 0x801, 2000, two, 2);
    CHECK_STR(expect("%s: file is 10 bytes, header says 2008 (2000 labels)", lab),
              idx_error(img, lab, 0));

    /* wrong magic: labels given as images and vice versa are recognised */
    CHECK_STR(expect("%s: bad magic number 0x00000801 (expected 0x00000803, an IDX image file); "
                     "0x00000801 is an IDX label file: are the image and label files swapped?",
                     lab),
              idx_error(lab, img, 0));
    write_idx_labels(lab, 0x801, 2, two, 2);
    CHECK_STR(expect("%s: bad magic number 0x00000803 (expected 0x00000801, an IDX label file); "
                     "0x00000803 is an IDX image file: are the image and label files swapped?",
                     img),
              idx_error(img, img, 0));
    write_idx_images(tmp_path("img2"), 0xD03, 2, 28, 28, 2, 0);
    CHECK_STR(expect("%s: bad magic number 0x00000D03 (expected 0x00000803, an IDX image file)",
                     tmp_path("img2")),
              idx_error(tmp_path("img2"), lab, 0));
    write_bytes(tmp_path("img2"), "\x1f\x8b\x08\x00 gzip", 9);
    CHECK_STR(expect("%s: bad magic number 0x1F8B0800 (expected 0x00000803, an IDX image file); "
                     "this is a gzip file: decompress it with gunzip -k",
                     tmp_path("img2")),
              idx_error(tmp_path("img2"), lab, 0));
    write_bytes(tmp_path("short"), "\0\0", 2);
    CHECK_STR(expect("%s: file is 2 bytes, too short for an IDX image file (header 16 bytes)",
                     tmp_path("short")),
              idx_error(tmp_path("short"), lab, 0));
    write_bytes(tmp_path("short"), "\0\0\x08\x03\0\0\0\x01", 8);
    CHECK_STR(expect("%s: file is 8 bytes, too short for an IDX image file (header 16 bytes)",
                     tmp_path("short")),
              idx_error(tmp_path("short"), lab, 0));

    /* wrong dimensions */
    write_idx_images(tmp_path("img2"), 0x803, 2, 32, 32, 0, 2 * 1024);
    CHECK_STR(expect("%s: images are 32x32 (expected 28x28)", tmp_path("img2")),
              idx_error(tmp_path("img2"), lab, 0));
    write_idx_images(tmp_path("img2"), 0x803, 0, 28, 28, 0, 0);
    CHECK_STR(expect("%s: header says 0 images (expected at least 1)", tmp_path("img2")),
              idx_error(tmp_path("img2"), lab, 0));

    /* counts must agree */
    write_idx_labels(tmp_path("lab2"), 0x801, 3, three, 3);
    CHECK_STR(expect("%s: 2 images, but %s has 3 labels", img, tmp_path("lab2")),
              idx_error(img, tmp_path("lab2"), 0));

    /* labels 0..9, with the record named */
    write_idx_images(tmp_path("img2"), 0x803, 3, 28, 28, 3, 0);
    write_idx_labels(tmp_path("lab2"), 0x801, 3, bad, 3);
    CHECK_STR(expect("%s: record 1 has label 12 (expected 0..9)", tmp_path("lab2")),
              idx_error(tmp_path("img2"), tmp_path("lab2"), 0));
    /* records past the limit are not read */
    CHECK_STR("", idx_error(tmp_path("img2"), tmp_path("lab2"), 1));
    static const unsigned char ten[3] = {9, 0, 10};
    write_idx_labels(tmp_path("lab2"), 0x801, 3, ten, 3);
    CHECK_STR(expect("%s: record 2 has label 10 (expected 0..9)", tmp_path("lab2")),
              idx_error(tmp_path("img2"), tmp_path("lab2"), 0));
    write_idx_labels(tmp_path("lab2"), 0x801, 3, bad, 3);

    /* the pixels of a hand-written file land where they should */
    Dataset d;
    Err e = {0};
    CHECK(dataset_load_idx(&d, tmp_path("img2"), tmp_path("lab2"), 1, &e) == 0);
    CHECK(d.n == 1 && d.labels[0] == 1 && d.pixels[783] == (uint8_t)783);
    dataset_free(&d);
}

static void test_missing_files(void)
{
    static const unsigned char two[2] = {3, 7};
    CHECK_STR(expect("%s/nope: directory not found (run 'scripts/fetch-data.sh mnist %s/nope' to "
                     "download mnist)",
                     scratch, scratch),
              load_error(DATASET_MNIST, tmp_path("nope")));
    CHECK_STR(expect("%s/nope: directory not found (run 'scripts/fetch-data.sh cifar10 %s/nope' to "
                     "download cifar10)",
                     scratch, scratch),
              load_error(DATASET_CIFAR10, tmp_path("nope")));
    /* an empty directory */
    CHECK_STR(expect("%s/train-images-idx3-ubyte: not found", scratch),
              load_error(DATASET_KMNIST, scratch));
    CHECK_STR(expect("%s/data_batch_1.bin: not found", scratch),
              load_error(DATASET_CIFAR10, scratch));
    /* a trailing slash is not doubled */
    char slashed[512];
    snprintf(slashed, sizeof slashed, "%s/", scratch);
    CHECK_STR(expect("%s/train-images-idx3-ubyte: not found", scratch),
              load_error(DATASET_MNIST, slashed));
    /* train images present, labels missing */
    make_dir(tmp_path("mn"));
    write_idx_images(tmp_path("mn/train-images-idx3-ubyte"), 0x803, 2, 28, 28, 2, 0);
    CHECK_STR(expect("%s/mn/train-labels-idx1-ubyte: not found", scratch),
              load_error(DATASET_MNIST, tmp_path("mn")));
    /* train set fine, test set missing: the train set is freed (ASan checks) */
    write_idx_labels(tmp_path("mn/train-labels-idx1-ubyte"), 0x801, 2, two, 2);
    CHECK_STR(expect("%s/mn/t10k-images-idx3-ubyte: not found", scratch),
              load_error(DATASET_FASHION_MNIST, tmp_path("mn")));
    /* only the .gz */
    make_dir(tmp_path("gz"));
    write_bytes(tmp_path("gz/train-images-idx3-ubyte.gz"), "x", 1);
    CHECK_STR(expect("%s/gz/train-images-idx3-ubyte: not found, but train-images-idx3-ubyte.gz is "
                     "there: mlptrain reads uncompressed files; run 'gunzip -k %s/gz/*.gz'",
                     scratch, scratch),
              load_error(DATASET_MNIST, tmp_path("gz")));
}

/* ---- CIFAR validation ---- */

static void test_cifar_errors(void)
{
    static const unsigned char ok[2] = {0, 9}, bad[3] = {0, 1, 10};
    char c1[512], c2[512];
    snprintf(c1, sizeof c1, "%s", tmp_path("c1"));
    snprintf(c2, sizeof c2, "%s", tmp_path("c2"));
    const char *paths[2] = {c1, c2};

    write_cifar(c1, ok, 2, 0, 0);
    write_cifar(c2, ok, 2, 0, 5);
    CHECK_STR("", cifar_error(paths, 1, 0));
    CHECK_STR(expect("%s: file is 6151 bytes, not a positive multiple of 3073 (one CIFAR-10 record: "
                     "a label byte and 3072 pixel bytes)",
                     c2),
              cifar_error(paths, 2, 0));
    /* every file is checked even when the limit needs only the first */
    CHECK_STR(expect("%s: file is 6151 bytes, not a positive multiple of 3073 (one CIFAR-10 record: "
                     "a label byte and 3072 pixel bytes)",
                     c2),
              cifar_error(paths, 2, 1));
    write_bytes(tmp_path("empty"), "", 0);
    const char *empty[1] = {tmp_path("empty")};
    CHECK_STR(expect("%s: file is 0 bytes, not a positive multiple of 3073 (one CIFAR-10 record: "
                     "a label byte and 3072 pixel bytes)",
                     empty[0]),
              cifar_error(empty, 1, 0));
    write_cifar(c2, bad, 3, 0, 0);
    CHECK_STR(expect("%s: record 2 has label 10 (expected 0..9)", c2), cifar_error(paths, 2, 0));
    CHECK_STR("", cifar_error(paths, 2, 4));
    const char *missing[2] = {c1, tmp_path("c3")};
    CHECK_STR(expect("%s: not found", missing[1]), cifar_error(missing, 2, 0));
}

/* ---- split ---- */

static void test_split(void)
{
    DataSplit s;
    Rng r;
    Err e = {0};

    rng_seed(&r, 42, 1);
    CHECK(dataset_split(&s, 1000, 0.1, &r, &e) == 0);
    CHECK(s.n_train == 900 && s.n_val == 100);
    if (s.n_train == 900 && s.n_val == 100) {
        static unsigned char seen[1000];
        int sorted = 1, dup = 0;
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < 900; i++) {
            dup |= seen[s.train_idx[i]]++;
            if (i && s.train_idx[i] <= s.train_idx[i - 1])
                sorted = 0;
        }
        for (int i = 0; i < 100; i++) {
            dup |= seen[s.val_idx[i]]++;
            if (i && s.val_idx[i] <= s.val_idx[i - 1])
                sorted = 0;
        }
        CHECK(sorted && !dup);
        /* the validation set is the last n_val of an rng_shuffle of 0..n-1 */
        int perm[1000], held[1000] = {0};
        Rng r2;
        rng_seed(&r2, 42, 1);
        for (int i = 0; i < 1000; i++)
            perm[i] = i;
        rng_shuffle(&r2, perm, 1000);
        for (int i = 900; i < 1000; i++)
            held[perm[i]] = 1;
        int match = 1;
        for (int i = 0; i < 100; i++)
            match &= held[s.val_idx[i]];
        CHECK(match);
        CHECK(memcmp(&r, &r2, sizeof r) == 0);
        /* a uniform draw would not hold out 0..99 */
        CHECK(s.val_idx[99] != 99);
    }
    /* same seed, same split; another seed, another split */
    DataSplit s2, s3;
    Rng a, b;
    rng_seed(&a, 42, 1);
    rng_seed(&b, 43, 1);
    CHECK(dataset_split(&s2, 1000, 0.1, &a, &e) == 0);
    CHECK(dataset_split(&s3, 1000, 0.1, &b, &e) == 0);
    if (s.n_val == 100 && s2.n_val == 100 && s3.n_val == 100) {
        CHECK(memcmp(s.val_idx, s2.val_idx, 100 * sizeof(int)) == 0);
        CHECK(memcmp(s.train_idx, s2.train_idx, 900 * sizeof(int)) == 0);
        CHECK(memcmp(s.val_idx, s3.val_idx, 100 * sizeof(int)) != 0);
    }
    dataset_split_free(&s);
    dataset_split_free(&s2);
    dataset_split_free(&s3);
    CHECK(s.train_idx == NULL && s.n_train == 0);

    /* floor(n * val_split) */
    CHECK(dataset_split(&s, 10, 0.25, &r, &e) == 0);
    CHECK(s.n_val == 2 && s.n_train == 8);
    dataset_split_free(&s);
    CHECK(dataset_split(&s, 7, 0.99, &r, &e) == 0);
    CHECK(s.n_val == 6 && s.n_train == 1);
    dataset_split_free(&s);

    /* val_split = 0: everything trains, in order, and the rng is not touched */
    rng_seed(&a, 5, 0);
    b = a;
    CHECK(dataset_split(&s, 4, 0.0, &a, &e) == 0);
    CHECK(s.n_train == 4 && s.n_val == 0 && s.val_idx == NULL);
    if (s.n_train == 4)
        CHECK(s.train_idx[0] == 0 && s.train_idx[3] == 3);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    dataset_split_free(&s);

    /* failures */
    CHECK(dataset_split(&s, 10, 0.05, &r, &e) == -1);
    CHECK_STR("val_split = 0.05 of 10 training records holds out 0: both the training and the "
              "validation set need at least one record",
              e.msg);
    CHECK(s.train_idx == NULL && s.val_idx == NULL);
    CHECK(dataset_split(&s, 1, 0.5, &r, &e) == -1);
    CHECK_STR("val_split = 0.5 of 1 training records holds out 0: both the training and the "
              "validation set need at least one record",
              e.msg);
    CHECK(dataset_split(&s, 10, 1.0, &r, &e) == -1);
    CHECK_STR("val_split = 1 is outside [0, 1)", e.msg);
    CHECK(dataset_split(&s, 10, -0.1, &r, &e) == -1);
    CHECK_STR("val_split = -0.1 is outside [0, 1)", e.msg);
    CHECK(dataset_split(&s, 0, 0.0, &r, &e) == -1);
    CHECK_STR("cannot split 0 training records", e.msg);
}

/* ---- normalization (SEMANTICS §9.4) ---- */

static void test_normalizer(void)
{
    Dataset mn = {.n = 1, .dim = 784, .channels = 1, .n_classes = 10};
    Dataset cf = {.n = 1, .dim = 3072, .channels = 3, .n_classes = 10};
    Normalizer nz;

    DataParams p = data_params(DATASET_MNIST, "");
    dataset_normalizer(&nz, &mn, &p);
    CHECK(nz.channels == 1 && nz.plane == 784);
    /* exact: these are the float32 values torchvision produces */
    CHECK_NEAR(-0.4242129623889923, nz.lut[0][0], 0, 0);
    CHECK_NEAR(-0.4114847183227539, nz.lut[0][1], 0, 0);
    CHECK_NEAR(1.2050011157989502, nz.lut[0][128], 0, 0);
    CHECK_NEAR(2.821486711502075, nz.lut[0][255], 0, 0);

    p = data_params(DATASET_CIFAR10, "");
    dataset_normalizer(&nz, &cf, &p);
    CHECK(nz.channels == 3 && nz.plane == 1024);
    CHECK_NEAR(-1.9894737005233765, nz.lut[0][0], 0, 0);
    CHECK_NEAR(-1.9735969305038452, nz.lut[0][1], 0, 0);
    CHECK_NEAR(0.04275631904602051, nz.lut[0][128], 0, 0);
    CHECK_NEAR(2.0591094493865967, nz.lut[0][255], 0, 0);
    /* G and B use their own mean and std (values from an exact float32 emulation) */
    CHECK_NEAR(-1.9802875518798828, nz.lut[1][0], 0, 0);
    CHECK_NEAR(-0.9817771911621094, nz.lut[1][62], 0, 0);
    CHECK_NEAR(2.12648868560791, nz.lut[1][255], 0, 0);
    CHECK_NEAR(-1.7068043947219849, nz.lut[2][0], 0, 0);
    CHECK_NEAR(-0.7623898386955261, nz.lut[2][63], 0, 0);
    CHECK_NEAR(2.115825891494751, nz.lut[2][255], 0, 0);

    p.normalize = NORM_SCALE;
    dataset_normalizer(&nz, &cf, &p);
    CHECK_NEAR(0.0, nz.lut[0][0], 0, 0);
    CHECK_NEAR(0.003921568859368563, nz.lut[0][1], 0, 0);
    /* u = 3 and 7 are where u * (1/255) differs from u / 255 */
    CHECK_NEAR(0.0117647061124444, nz.lut[1][3], 0, 0);
    CHECK_NEAR(0.027450980618596077, nz.lut[2][7], 0, 0);
    CHECK_NEAR(1.0, nz.lut[2][255], 0, 0);

    /* data.scale > 0: Caffe's DataTransformer, (float)u * scale in float32, no mean or std.
     * LeNet's scale 0.00390625 = 2^-8 makes every value exact: u / 256, so 1 -> 0.00390625,
     * 128 -> 0.5, 255 -> 0.99609375 (where x/255 gives 1). */
    p.scale = 0.00390625;
    dataset_normalizer(&nz, &cf, &p);
    for (int c = 0; c < 3; c++) {
        CHECK(nz.lut[c][0] == 0.0f);
        CHECK(nz.lut[c][1] == 0.00390625f);
        CHECK(nz.lut[c][128] == 0.5f);
        CHECK(nz.lut[c][255] == 0.99609375f);
    }
    uint8_t px[4] = {0, 1, 128, 255}, lab = 3;
    Dataset tiny = {.n = 1, .dim = 4, .channels = 1, .n_classes = 10, .pixels = px,
                    .labels = &lab};
    float x[4];
    int y, idx = 0;
    dataset_normalizer(&nz, &tiny, &p);
    dataset_batch(&tiny, &nz, &idx, 1, x, &y);
    CHECK(x[0] == 0.0f && x[1] == 0.00390625f && x[2] == 0.5f && x[3] == 0.99609375f && y == 3);
    /* A multiply, not a division: scale = 1/255 rounds to the float 0.0039215688593685627,
     * and u * that differs from u / 255 for 126 of the 256 bytes (SEMANTICS §9.4), u = 3
     * among them (0.011764707043766975 against 0.011764706112444401). */
    p.scale = 1.0 / 255.0;
    dataset_normalizer(&nz, &mn, &p);
    const float s255 = (float)(1.0 / 255.0);
    int products = 0, quotients = 0;
    for (int u = 0; u < 256; u++) {
        products += nz.lut[0][u] == (float)u * s255;
        quotients += nz.lut[0][u] == (float)u / 255.0f;
    }
    CHECK(products == 256 && quotients == 256 - 126);
    CHECK_NEAR(0.011764707043766975, nz.lut[0][3], 0, 0);
    p.scale = 0;

    p.normalize = NORM_NONE;
    dataset_normalizer(&nz, &mn, &p);
    CHECK_NEAR(0.0, nz.lut[0][0], 0, 0);
    CHECK_NEAR(200.0, nz.lut[0][200], 0, 0);
    CHECK_NEAR(255.0, nz.lut[0][255], 0, 0);
}

/* ---- batches ---- */

static void test_batch_layout(void)
{
    /* 3 planes of 2 bytes: byte k of the record goes through channel k / 2's table */
    uint8_t pixels[2 * 6] = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15};
    uint8_t labels[2] = {4, 8};
    Dataset d = {.n = 2, .dim = 6, .channels = 3, .n_classes = 10, .pixels = pixels, .labels = labels};
    Normalizer nz;
    memset(&nz, 0, sizeof nz);
    nz.channels = 3;
    nz.plane = 2;
    for (int c = 0; c < 3; c++)
        for (int u = 0; u < 256; u++)
            nz.lut[c][u] = (float)(1000 * c + u);
    int idx[3] = {1, 0, 1}, y[3] = {-1, -1, -1};
    float x[3 * 6];
    dataset_batch(&d, &nz, idx, 3, x, y);
    static const float want[3 * 6] = {10, 11, 1012, 1013, 2014, 2015,
                                      0, 1, 1002, 1003, 2004, 2005,
                                      10, 11, 1012, 1013, 2014, 2015};
    int same = 1;
    for (int i = 0; i < 18; i++)
        same &= x[i] == want[i];
    CHECK(same);
    CHECK(y[0] == 8 && y[1] == 4 && y[2] == 8);

    /* real CIFAR: record 0 is R 59, G 62, B 63 at the plane starts */
    Dataset tr, te;
    Err e = {0};
    DataParams p = data_params(DATASET_CIFAR10, "data/cifar10");
    p.train_limit = 2;
    p.test_limit = 1;
    if (dataset_load(&tr, &te, &p, &e) == 0) {
        float *xb = malloc(2 * 3072 * sizeof *xb);
        int yb[2], ib[2] = {1, 0};
        dataset_normalizer(&nz, &tr, &p);
        dataset_batch(&tr, &nz, ib, 2, xb, yb);
        CHECK(yb[0] == 9 && yb[1] == 6);
        CHECK(xb[3072 + 0] == nz.lut[0][59] && xb[3072 + 1024] == nz.lut[1][62]);
        CHECK(xb[3072 + 2048] == nz.lut[2][63] && xb[3072 + 3071] == nz.lut[2][72]);
        CHECK_NEAR(-1.052742838859558, xb[3072], 0, 0);
        free(xb);
        dataset_free(&tr);
        dataset_free(&te);
    } else {
        CHECK(!"data/cifar10 loads");
    }

    /* real MNIST with raw bytes: record 1999 then record 0 */
    p = data_params(DATASET_MNIST, "data/mnist");
    p.normalize = NORM_NONE;
    p.test_limit = 1;
    if (dataset_load(&tr, &te, &p, &e) == 0) {
        float xb[2 * 784];
        int yb[2], ib[2] = {1999, 0};
        dataset_normalizer(&nz, &tr, &p);
        dataset_batch(&tr, &nz, ib, 2, xb, yb);
        CHECK(yb[0] == 0 && yb[1] == 5);
        CHECK(xb[126] == 60.0f && xb[128] == 254.0f);
        CHECK(xb[784 + 152] == 3.0f && xb[784 + 350] == 70.0f && xb[784 + 151] == 0.0f);
        dataset_free(&tr);
        dataset_free(&te);
    } else {
        CHECK(!"data/mnist loads");
    }
}

static void test_standard_sizes(void)
{
    {
        const struct {
            DatasetKind kind;
            long n_train;
            int dim;
        } want[] = {{DATASET_MNIST, 60000, 784}, {DATASET_FASHION_MNIST, 60000, 784},
                    {DATASET_KMNIST, 60000, 784}, {DATASET_CIFAR10, 50000, 3072}};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            DataParams dp = {.dataset = want[i].kind};
            DataShape sh;
            dataset_standard_shape(&dp, &sh);
            CHECK(sh.n_train == want[i].n_train && sh.n_test == 10000 && sh.dim == want[i].dim &&
                  sh.n_classes == 10);
        }
        DataParams dp = {.dataset = DATASET_MNIST, .train_limit = 100, .test_limit = 20000};
        DataShape sh;
        dataset_standard_shape(&dp, &sh);
        CHECK(sh.n_train == 100 && sh.n_test == 10000);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/mlptrain-test-dataset-%ld", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    make_dir(scratch);

    RUN(test_bundled_mnist);
    RUN(test_bundled_fashion);
    RUN(test_bundled_cifar);
    RUN(test_limits);
    RUN(test_cifar_batches);
    RUN(test_idx_errors);
    RUN(test_missing_files);
    RUN(test_cifar_errors);
    RUN(test_split);
    RUN(test_normalizer);
    RUN(test_batch_layout);
    RUN(test_standard_sizes);

    cleanup_scratch();
    return test_finish(argv[0]);
}
