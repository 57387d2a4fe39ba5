/* dataset.c - MNIST-family IDX and CIFAR-10 binary loaders (SEMANTICS §9.1, §9.2), the
 * train/validation split, and float32 batches through a per-channel lookup table (§9.4).
 * Files are read uncompressed with stdio only: no zlib, no mmap, no directory listing. */
#include "dataset.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IDX_IMAGE_MAGIC 0x00000803u /* unsigned byte, 3 dimensions (§9.1) */
#define IDX_LABEL_MAGIC 0x00000801u /* unsigned byte, 1 dimension */
#define IDX_IMAGE_HEADER 16
#define IDX_LABEL_HEADER 8
#define IDX_SIDE 28
#define IDX_DIM (IDX_SIDE * IDX_SIDE)
#define CIFAR_DIM 3072                /* 3 planes of 32x32 (§9.2) */
#define CIFAR_RECORD (1 + CIFAR_DIM)  /* label byte first */
#define CIFAR_MAX_BATCHES 5
#define N_CLASSES 10

/* ---- files ---- */

/* Explains why path cannot be opened; errnum is fopen's errno. When only path.gz is
 * there, says how to decompress it, since reading gzip would need zlib. */
static int open_error(const char *path, int errnum, Err *e)
{
    char gz[PARAMS_PATH_MAX + 64];
    if (errnum == ENOENT && snprintf(gz, sizeof gz, "%s.gz", path) < (int)sizeof gz) {
        FILE *f = fopen(gz, "rb");
        if (f) {
            fclose(f);
            const char *slash = strrchr(path, '/');
            const char *base = slash ? slash + 1 : path;
            /* The glob names the directory as the user wrote it: "dir/", "/" or nothing. */
            int dir_chars = slash ? (int)(slash - path) + 1 : 0;
            return err_set(e,
                           "%s: not found, but %s.gz is there: mlptrain reads uncompressed files; "
                           "run 'gunzip -k %.*s*.gz'",
                           path, base, dir_chars, path);
        }
    }
    if (errnum == ENOENT && util_is_dangling_link(path))
        return err_set(e, "%s: not found (a symbolic link to a file that does not exist)", path);
    if (errnum == ENOENT)
        return err_set(e, "%s: not found", path);
    return err_set(e, "%s: cannot open: %s", path, strerror(errnum));
}

/* Opens path for binary reading and returns its size in bytes through *size. Anything but
 * a regular file is refused before opening: a FIFO would block for ever, and a directory
 * has no meaningful size. */
static int open_sized(const char *path, FILE **out, long *size, Err *e)
{
    Err kind;
    if (util_file_size(path, &kind) < 0) {
        if (errno == EINVAL)
            return err_set(e, "%s", kind.msg);
        return open_error(path, errno, e);
    }
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return open_error(path, errno, e);
    if (fseek(f, 0, SEEK_END) != 0 || (*size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        int errnum = errno;
        fclose(f);
        return err_set(e, "%s: cannot determine the file size: %s", path, strerror(errnum));
    }
    *out = f;
    return 0;
}

/* Reads exactly n bytes or says whether the file ended early or failed. */
static int read_exact(FILE *f, void *buf, size_t n, const char *path, Err *e)
{
    if (n == 0 || fread(buf, 1, n, f) == n)
        return 0;
    if (ferror(f))
        return err_set(e, "%s: read error: %s", path, strerror(errno));
    return err_set(e, "%s: unexpected end of file (was it changed while being read?)", path);
}

static long keep_count(long n, long limit)
{
    return limit > 0 && limit < n ? limit : n;
}

static int check_labels(const uint8_t *labels, long n, long first_record, const char *path, Err *e)
{
    for (long i = 0; i < n; i++)
        if (labels[i] >= N_CLASSES)
            return err_set(e, "%s: record %ld has label %d (expected 0..%d)", path, first_record + i,
                           labels[i], N_CLASSES - 1);
    return 0;
}

/* ---- IDX (SEMANTICS §9.1) ---- */

/* What an IDX magic number is, to explain a file given in the wrong role. */
static const char *idx_kind_hint(uint32_t magic, uint32_t expected, const unsigned char *head)
{
    if (head[0] == 0x1f && head[1] == 0x8b)
        return "; this is a gzip file: decompress it with gunzip -k";
    if (magic == IDX_IMAGE_MAGIC && expected == IDX_LABEL_MAGIC)
        return "; 0x00000803 is an IDX image file: are the image and label files swapped?";
    if (magic == IDX_LABEL_MAGIC && expected == IDX_IMAGE_MAGIC)
        return "; 0x00000801 is an IDX label file: are the image and label files swapped?";
    return "";
}

/* Checks the header of an open IDX file of `size` bytes against its role and its real
 * size, leaving f at the first data byte; *count receives the number of records. */
static int idx_check(FILE *f, long size, const char *path, bool images, long *count, Err *e)
{
    const uint32_t expected = images ? IDX_IMAGE_MAGIC : IDX_LABEL_MAGIC;
    const char *what = images ? "an IDX image file" : "an IDX label file";
    const long header = images ? IDX_IMAGE_HEADER : IDX_LABEL_HEADER;
    const unsigned long long record = images ? IDX_DIM : 1;
    unsigned char head[IDX_IMAGE_HEADER];

    if (size < 4)
        return err_set(e, "%s: file is %ld bytes, too short for %s (header %ld bytes)", path, size,
                       what, header);
    if (read_exact(f, head, 4, path, e))
        return -1;
    uint32_t magic = util_be32(head);
    if (magic != expected)
        return err_set(e, "%s: bad magic number 0x%08lX (expected 0x%08lX, %s)%s", path,
                       (unsigned long)magic, (unsigned long)expected, what,
                       idx_kind_hint(magic, expected, head));
    if (size < header)
        return err_set(e, "%s: file is %ld bytes, too short for %s (header %ld bytes)", path, size,
                       what, header);
    if (read_exact(f, head + 4, (size_t)(header - 4), path, e))
        return -1;
    uint32_t n = util_be32(head + 4);
    if (images) {
        uint32_t rows = util_be32(head + 8), cols = util_be32(head + 12);
        if (rows != IDX_SIDE || cols != IDX_SIDE)
            return err_set(e, "%s: images are %lux%lu (expected %dx%d)", path, (unsigned long)rows,
                           (unsigned long)cols, IDX_SIDE, IDX_SIDE);
    }
    /* The header is only trusted once the file's real size agrees with it. */
    unsigned long long want = (unsigned long long)header + n * record;
    if ((unsigned long long)size != want)
        return err_set(e, "%s: file is %ld bytes, header says %llu (%lu %s)", path, size, want,
                       (unsigned long)n, images ? "images of 28x28" : "labels");
    if (n == 0)
        return err_set(e, "%s: header says 0 %s (expected at least 1)", path,
                       images ? "images" : "labels");
    if (n > INT_MAX)
        return err_set(e, "%s: %lu records are more than mlptrain can index (%d)", path,
                       (unsigned long)n, INT_MAX);
    *count = (long)n;
    return 0;
}

static int idx_open(const char *path, bool images, FILE **out, long *count, Err *e)
{
    FILE *f;
    long size;
    if (open_sized(path, &f, &size, e))
        return -1;
    if (idx_check(f, size, path, images, count, e)) {
        fclose(f);
        return -1;
    }
    *out = f;
    return 0;
}

int dataset_load_idx(Dataset *d, const char *images_path, const char *labels_path, long limit, Err *e)
{
    FILE *fi = NULL, *fl = NULL;
    long ni, nl;

    memset(d, 0, sizeof *d);
    if (idx_open(images_path, true, &fi, &ni, e))
        return -1;
    if (idx_open(labels_path, false, &fl, &nl, e)) {
        fclose(fi);
        return -1;
    }
    if (ni != nl) {
        fclose(fi);
        fclose(fl);
        return err_set(e, "%s: %ld images, but %s has %ld labels", images_path, ni, labels_path, nl);
    }
    long n = keep_count(ni, limit);
    d->n = (int)n;
    d->dim = IDX_DIM;
    d->channels = 1;
    d->n_classes = N_CLASSES;
    d->n_files = 1;
    d->pixels = xmalloc((size_t)n * IDX_DIM);
    d->labels = xmalloc((size_t)n);
    int rc = read_exact(fl, d->labels, (size_t)n, labels_path, e);
    if (rc == 0)
        rc = check_labels(d->labels, n, 0, labels_path, e);
    if (rc == 0)
        rc = read_exact(fi, d->pixels, (size_t)n * IDX_DIM, images_path, e);
    fclose(fi);
    fclose(fl);
    if (rc)
        dataset_free(d);
    return rc;
}

/* ---- CIFAR-10 binary (SEMANTICS §9.2) ---- */

static int cifar_records(const char *path, long *count, Err *e)
{
    FILE *f;
    long size;
    if (open_sized(path, &f, &size, e))
        return -1;
    fclose(f);
    if (size <= 0 || size % CIFAR_RECORD != 0)
        return err_set(e,
                       "%s: file is %ld bytes, not a positive multiple of %d (one CIFAR-10 record: "
                       "a label byte and %d pixel bytes)",
                       path, size, CIFAR_RECORD, CIFAR_DIM);
    *count = size / CIFAR_RECORD;
    return 0;
}

/* Reads the first n records of path into labels (n) and pixels (n, 3072). */
static int cifar_read(const char *path, long n, uint8_t *labels, uint8_t *pixels, Err *e)
{
    FILE *f;
    long size;
    unsigned char rec[CIFAR_RECORD];
    if (open_sized(path, &f, &size, e))
        return -1;
    for (long i = 0; i < n; i++) {
        if (read_exact(f, rec, sizeof rec, path, e)) {
            fclose(f);
            return -1;
        }
        if (rec[0] >= N_CLASSES) {
            fclose(f);
            return err_set(e, "%s: record %ld has label %d (expected 0..%d)", path, i, rec[0],
                           N_CLASSES - 1);
        }
        labels[i] = rec[0];
        memcpy(pixels + (size_t)i * CIFAR_DIM, rec + 1, CIFAR_DIM);
    }
    fclose(f);
    return 0;
}

int dataset_load_cifar(Dataset *d, const char *const *paths, int n_paths, long limit, Err *e)
{
    long total = 0;

    memset(d, 0, sizeof *d);
    assert(n_paths > 0);
    /* Every file's size is checked before anything is allocated or read. */
    for (int k = 0; k < n_paths; k++) {
        long nk = 0;
        if (cifar_records(paths[k], &nk, e))
            return -1;
        if (nk > INT_MAX - total)
            return err_set(e, "%s: more than %d records in all", paths[k], INT_MAX);
        total += nk;
    }
    long n = keep_count(total, limit);
    d->n = (int)n;
    d->dim = CIFAR_DIM;
    d->channels = 3;
    d->n_classes = N_CLASSES;
    d->n_files = n_paths;
    d->pixels = xmalloc((size_t)n * CIFAR_DIM);
    d->labels = xmalloc((size_t)n);
    long done = 0;
    for (int k = 0; k < n_paths && done < n; k++) {
        long nk = 0;
        if (cifar_records(paths[k], &nk, e))
            goto fail;
        if (nk > n - done)
            nk = n - done;
        if (cifar_read(paths[k], nk, d->labels + done, d->pixels + (size_t)done * CIFAR_DIM, e))
            goto fail;
        done += nk;
    }
    return 0;
fail:
    dataset_free(d);
    return -1;
}

/* ---- whole datasets ---- */

/* dir + "/" + name into buf; an empty dir means the current directory. */
static int join(char *buf, size_t size, const char *dir, const char *name, Err *e)
{
    size_t dl = strlen(dir);
    const char *sep = dl == 0 || dir[dl - 1] == '/' ? "" : "/";
    int len = snprintf(buf, size, "%s%s%s", dir, sep, name);
    if (len < 0 || (size_t)len >= size)
        return err_set(e, "%s: path too long", dir);
    return 0;
}

/* True only when fopen says the file does not exist: a file that exists but cannot be
 * opened is left for the loader, which reports the real reason. */
static bool absent(const char *path)
{
    /* Examined, not opened: opening a FIFO would wait for a writer for ever. */
    return util_file_size(path, NULL) < 0 && errno == ENOENT;
}

/* A missing directory gets the download hint; a file in its place is named as such. */
static int check_dir(const char *dir, DatasetKind kind, Err *e)
{
    if (dir[0] == '\0')
        return 0;
    int is_dir = util_is_dir(dir);
    if (is_dir == 1)
        return 0;
    if (is_dir == 0)
        return err_set(e, "%s: not a directory (data.path names the directory holding the "
                       "dataset's files)", dir);
    if (errno != ENOENT)
        return 0; /* let the file opens report it */
    return err_set(e, "%s: directory not found (run 'scripts/fetch-data.sh %s %s' to download %s)",
                   dir, params_dataset_names[kind], dir, params_dataset_names[kind]);
}

typedef char PathBuf[PARAMS_PATH_MAX + 32];

/* When the first file of one layout is missing but the directory holds the other
 * layout's, says which data.dataset the directory is for; else 0. */
static int other_layout(const DataParams *p, const char *missing, const char *theirs,
                        const char *expected, Err *e)
{
    PathBuf other;
    if (!absent(missing) || join(other, sizeof other, p->path, theirs, NULL) || absent(other))
        return 0;
    return err_set(e, "%s: not found, but %s is there: the directory holds %s (expected "
                   "data.dataset = %s)", missing, theirs,
                   strcmp(expected, "cifar10") == 0 ? "CIFAR-10 batches" : "MNIST-family IDX files",
                   expected);
}

/* The four IDX files of directory p->path: training images and labels, test images and
 * labels. */
static int idx_files(const DataParams *p, PathBuf ti, PathBuf tl, PathBuf vi, PathBuf vl, Err *e)
{
    if (join(ti, sizeof(PathBuf), p->path, "train-images-idx3-ubyte", e) ||
        join(tl, sizeof(PathBuf), p->path, "train-labels-idx1-ubyte", e) ||
        join(vi, sizeof(PathBuf), p->path, "t10k-images-idx3-ubyte", e) ||
        join(vl, sizeof(PathBuf), p->path, "t10k-labels-idx1-ubyte", e))
        return -1;
    return other_layout(p, ti, "data_batch_1.bin", "cifar10", e);
}

static int load_mnist_family(Dataset *train, Dataset *test, const DataParams *p, Err *e)
{
    PathBuf ti, tl, vi, vl;
    if (idx_files(p, ti, tl, vi, vl, e))
        return -1;
    if (dataset_load_idx(train, ti, tl, p->train_limit, e))
        return -1;
    if (dataset_load_idx(test, vi, vl, p->test_limit, e)) {
        dataset_free(train);
        return -1;
    }
    return 0;
}

/* The CIFAR-10 files of directory p->path: training batches paths[0..*n) (from 1 up to the
 * first missing one) and the test batch tb. */
static int cifar_files(const DataParams *p, PathBuf *bufs, const char **paths, int *n_out,
                       PathBuf tb, Err *e)
{
    int n = 0;
    for (int k = 0; k < CIFAR_MAX_BATCHES; k++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", k + 1);
        if (join(bufs[k], sizeof bufs[k], p->path, name, e))
            return -1;
    }
    if (join(tb, sizeof(PathBuf), p->path, "test_batch.bin", e))
        return -1;
    /* Batches are used from 1 up to the first missing one; a gap or a compressed batch
     * after it would silently shrink the training set, so those are errors. */
    while (n < CIFAR_MAX_BATCHES && !absent(bufs[n])) {
        paths[n] = bufs[n];
        n++;
    }
    if (n == 0)
        return other_layout(p, bufs[0], "train-images-idx3-ubyte", "mnist, fashion-mnist or kmnist",
                            e) < 0 ? -1 : open_error(bufs[0], ENOENT, e);
    if (n < CIFAR_MAX_BATCHES) {
        char gz[sizeof(PathBuf) + 4];
        snprintf(gz, sizeof gz, "%s.gz", bufs[n]);
        if (!absent(gz))
            return open_error(bufs[n], ENOENT, e);
        for (int k = n + 1; k < CIFAR_MAX_BATCHES; k++)
            if (!absent(bufs[k]))
                return err_set(e, "%s: not found, but %s is there (batches must be consecutive from 1)",
                               bufs[n], bufs[k]);
    }
    *n_out = n;
    return 0;
}

static int load_cifar10(Dataset *train, Dataset *test, const DataParams *p, Err *e)
{
    PathBuf bufs[CIFAR_MAX_BATCHES], tb;
    const char *paths[CIFAR_MAX_BATCHES];
    int n = 0;
    if (cifar_files(p, bufs, paths, &n, tb, e))
        return -1;
    if (dataset_load_cifar(train, paths, n, p->train_limit, e))
        return -1;
    const char *tp = tb;
    if (dataset_load_cifar(test, &tp, 1, p->test_limit, e)) {
        dataset_free(train);
        return -1;
    }
    return 0;
}

/* Records in an IDX image file and its label file, headers checked, files closed. */
static int idx_count(const char *images, const char *labels, long *n, Err *e)
{
    FILE *fi, *fl;
    long ni, nl;
    if (idx_open(images, true, &fi, &ni, e))
        return -1;
    fclose(fi);
    if (idx_open(labels, false, &fl, &nl, e))
        return -1;
    fclose(fl);
    if (ni != nl)
        return err_set(e, "%s: %ld images, but %s has %ld labels", images, ni, labels, nl);
    *n = ni;
    return 0;
}

static int peek_mnist_family(const DataParams *p, DataShape *s, Err *e)
{
    PathBuf ti, tl, vi, vl;
    if (idx_files(p, ti, tl, vi, vl, e))
        return -1;
    s->dim = IDX_DIM;
    return idx_count(ti, tl, &s->n_train, e) || idx_count(vi, vl, &s->n_test, e) ? -1 : 0;
}

static int peek_cifar10(const DataParams *p, DataShape *s, Err *e)
{
    PathBuf bufs[CIFAR_MAX_BATCHES], tb;
    const char *paths[CIFAR_MAX_BATCHES];
    int n = 0;
    if (cifar_files(p, bufs, paths, &n, tb, e))
        return -1;
    s->dim = CIFAR_DIM;
    s->n_train = 0;
    for (int k = 0; k < n; k++) {
        long nk = 0;
        if (cifar_records(paths[k], &nk, e))
            return -1;
        if (nk > INT_MAX - s->n_train)
            return err_set(e, "%s: more than %d records in all", paths[k], INT_MAX);
        s->n_train += nk;
    }
    return cifar_records(tb, &s->n_test, e);
}

int dataset_peek(const DataParams *p, DataShape *s, Err *e)
{
    memset(s, 0, sizeof *s);
    s->n_classes = N_CLASSES;
    if (check_dir(p->path, p->dataset, e))
        return -1;
    if ((unsigned)p->dataset >= DATASET_COUNT)
        return err_set(e, "unknown dataset kind %d", (int)p->dataset);
    int rc = -1;
    switch (params_datasets[p->dataset].layout) {
    case DATA_LAYOUT_IDX:
        rc = peek_mnist_family(p, s, e);
        break;
    case DATA_LAYOUT_CIFAR:
        rc = peek_cifar10(p, s, e);
        break;
    }
    if (rc == 0) {
        s->n_train = keep_count(s->n_train, p->train_limit);
        s->n_test = keep_count(s->n_test, p->test_limit);
    }
    return rc;
}

static int load_layout(Dataset *train, Dataset *test, const DataParams *p, Err *e)
{
    switch (params_datasets[p->dataset].layout) {
    case DATA_LAYOUT_IDX:
        return load_mnist_family(train, test, p, e);
    case DATA_LAYOUT_CIFAR:
        return load_cifar10(train, test, p, e);
    }
    return err_set(e, "dataset %s: unknown file layout %d", params_dataset_names[p->dataset],
                   (int)params_datasets[p->dataset].layout);
}

int dataset_load(Dataset *train, Dataset *test, const DataParams *p, Err *e)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if ((unsigned)p->dataset >= DATASET_COUNT)
        return err_set(e, "unknown dataset kind %d", (int)p->dataset);
    if (check_dir(p->path, p->dataset, e) || load_layout(train, test, p, e))
        return -1;
    /* The loader of a layout and the dataset's row must describe the same records. */
    const DatasetDesc *k = &params_datasets[p->dataset];
    assert(train->dim == k->input_dim && train->channels == k->channels &&
           train->n_classes == k->classes);
    assert(test->dim == k->input_dim && test->channels == k->channels &&
           test->n_classes == k->classes);
    (void)k;
    return 0;
}

int dataset_load_test(Dataset *test, const DataParams *p, Err *e)
{
    memset(test, 0, sizeof *test);
    if ((unsigned)p->dataset >= DATASET_COUNT)
        return err_set(e, "unknown dataset kind %d", (int)p->dataset);
    if (check_dir(p->path, p->dataset, e))
        return -1;
    PathBuf images, labels;
    switch (params_datasets[p->dataset].layout) {
    case DATA_LAYOUT_IDX:
        if (join(images, sizeof images, p->path, "t10k-images-idx3-ubyte", e) ||
            join(labels, sizeof labels, p->path, "t10k-labels-idx1-ubyte", e))
            return -1;
        return dataset_load_idx(test, images, labels, p->test_limit, e);
    case DATA_LAYOUT_CIFAR: {
        if (join(images, sizeof images, p->path, "test_batch.bin", e))
            return -1;
        const char *tp = images;
        return dataset_load_cifar(test, &tp, 1, p->test_limit, e);
    }
    }
    return err_set(e, "dataset %s: unknown file layout %d", params_dataset_names[p->dataset],
                   (int)params_datasets[p->dataset].layout);
}

/* Class names as their authors document them: Fashion-MNIST (github.com/zalandoresearch/
 * fashion-mnist, README "Labels") and KMNIST (github.com/rois-codh/kmnist, classmap.csv,
 * romanized); a NULL name stands for the class number. A dataset whose files name its
 * classes has the file's name in data.path (read as read_names does). */
static const struct {
    const char *names[N_CLASSES];
    const char *names_file;
} class_names[] = {
    [DATASET_MNIST] = {{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, NULL},
    [DATASET_FASHION_MNIST] = {{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                "Shirt", "Sneaker", "Bag", "Ankle boot"}, NULL},
    [DATASET_KMNIST] = {{"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"}, NULL},
    [DATASET_CIFAR10] = {{NULL}, "batches.meta.txt"},
};
_Static_assert(sizeof class_names / sizeof class_names[0] == DATASET_COUNT,
               "one row of class names per dataset");
_Static_assert(N_CLASSES <= DATASET_MAX_CLASSES, "ClassNames holds every class");

/* A names file (CIFAR-10's batches.meta.txt): 10 names, one a line, then only blank
 * lines. */
static int read_names(ClassNames *cn, const char *path, Err *e)
{
    FILE *f = util_open_regular(path, e);
    if (!f)
        return -1;
    char line[256];
    int n = 0, lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = err_set(e, "%s:%d: line too long (expected a class name of at most %d bytes)",
                         path, lineno, DATASET_CLASS_NAME_MAX - 1);
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                           line[len - 1] == '\t'))
            line[--len] = '\0';
        char *name = line;
        while (*name == ' ' || *name == '\t')
            name++;
        len = strlen(name);
        if (len == 0) {
            if (n < N_CLASSES)
                rc = err_set(e, "%s:%d: blank line where class %d's name should be (expected %d "
                             "names, one a line)", path, lineno, n, N_CLASSES);
            continue;
        }
        if (n == N_CLASSES) {
            rc = err_set(e, "%s:%d: more than %d class names", path, lineno, N_CLASSES);
            break;
        }
        if (len >= DATASET_CLASS_NAME_MAX) {
            rc = err_set(e, "%s:%d: class name of %zu bytes (expected at most %d)", path, lineno,
                         len, DATASET_CLASS_NAME_MAX - 1);
            break;
        }
        for (size_t i = 0; i < len && rc == 0; i++)
            if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                rc = err_set(e, "%s:%d: control character in a class name", path, lineno);
        if (rc == 0)
            memcpy(cn->name[n++], name, len + 1);
    }
    if (rc == 0 && ferror(f))
        rc = err_set(e, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    if (rc == 0 && n < N_CLASSES)
        rc = err_set(e, "%s: %d class names (expected %d, one a line)", path, n, N_CLASSES);
    return rc;
}

int dataset_class_names(ClassNames *cn, const DataParams *p, Err *e)
{
    memset(cn, 0, sizeof *cn);
    if ((unsigned)p->dataset >= DATASET_COUNT)
        return err_set(e, "unknown dataset kind %d", (int)p->dataset);
    cn->n = N_CLASSES;
    for (int c = 0; c < N_CLASSES; c++) {
        const char *known = class_names[p->dataset].names[c];
        if (known)
            snprintf(cn->name[c], sizeof cn->name[c], "%s", known);
        else
            snprintf(cn->name[c], sizeof cn->name[c], "%d", c);
    }
    const char *file = class_names[p->dataset].names_file;
    PathBuf path;
    if (!file)
        return 0;
    if (join(path, sizeof path, p->path, file, e))
        return -1;
    if (absent(path))
        return 0;
    ClassNames read = {.n = N_CLASSES, .from_file = true};
    if (read_names(&read, path, e) < 0)
        return -1;
    *cn = read;
    return 0;
}

void dataset_standard_shape(const DataParams *p, DataShape *s)
{
    const DatasetDesc *k = &params_datasets[p->dataset];
    s->n_train = keep_count(k->standard_train_size, p->train_limit);
    s->n_test = keep_count(10000, p->test_limit);
    s->dim = k->input_dim;
    s->n_classes = k->classes;
}

void dataset_free(Dataset *d)
{
    free(d->pixels);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* ---- split ---- */

long dataset_val_count(long n, double val_split)
{
    /* floor(n * val_split) in double, as Python's int(n * val_split) does. */
    return (long)floor((double)n * val_split);
}

int dataset_split(DataSplit *s, int n, double val_split, Rng *rng, Err *e)
{
    memset(s, 0, sizeof *s);
    if (n <= 0)
        return err_set(e, "cannot split %d training records", n);
    if (!(val_split >= 0.0 && val_split < 1.0))
        return err_set(e, "val_split = %g is outside [0, 1)", val_split);
    int n_val = (int)dataset_val_count(n, val_split);
    if (val_split > 0.0 && (n_val == 0 || n_val == n))
        return err_set(e,
                       "val_split = %g of %d training records holds out %d: both the training and "
                       "the validation set need at least one record",
                       val_split, n, n_val);
    s->n_val = n_val;
    s->n_train = n - n_val;
    s->train_idx = xmalloc((size_t)s->n_train * sizeof *s->train_idx);
    s->val_idx = n_val ? xmalloc((size_t)n_val * sizeof *s->val_idx) : NULL;
    if (n_val == 0) {
        /* No permutation is drawn, so rng is left untouched. */
        for (int i = 0; i < n; i++)
            s->train_idx[i] = i;
        return 0;
    }
    int *perm = xmalloc((size_t)n * sizeof *perm);
    unsigned char *held = xcalloc((size_t)n, 1);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    rng_shuffle(rng, perm, n);
    for (int i = n - n_val; i < n; i++)
        held[perm[i]] = 1;
    /* Walking 0..n-1 yields both lists already in ascending order. */
    int a = 0, b = 0;
    for (int i = 0; i < n; i++) {
        if (held[i])
            s->val_idx[b++] = i;
        else
            s->train_idx[a++] = i;
    }
    free(perm);
    free(held);
    return 0;
}

void dataset_split_free(DataSplit *s)
{
    free(s->train_idx);
    free(s->val_idx);
    memset(s, 0, sizeof *s);
}

/* ---- normalization and batches (SEMANTICS §9.4) ---- */

void dataset_normalizer(Normalizer *nz, const Dataset *d, const DataParams *p)
{
    assert(d->channels >= 1 && d->channels <= PARAMS_MAX_CHANNELS);
    nz->channels = d->channels;
    nz->plane = d->dim / d->channels;
    for (int c = 0; c < d->channels; c++) {
        /* torchvision: ToTensor divides in float32, Normalize casts mean and std to
         * float32. Each step is assigned to a float so no wider evaluation survives. */
        const float mean = (float)p->mean[c], std = (float)p->std[c];
        /* Caffe's DataTransformer (src/caffe/data_transformer.cpp) multiplies the byte,
         * cast to float, by transform_param scale, itself a float. */
        const float scale = (float)p->scale;
        for (int u = 0; u < 256; u++) {
            const float v = (float)u / 255.0f;
            float out = (float)u; /* NORM_NONE */
            switch (p->normalize) {
            case NORM_STANDARD: {
                const float centred = v - mean;
                out = centred / std;
                break;
            }
            case NORM_SCALE: {
                const float scaled = (float)u * scale;
                out = p->scale > 0.0 ? scaled : v;
                break;
            }
            case NORM_NONE: break;
            }
            nz->lut[c][u] = out;
        }
    }
}

/* Asks for a record's bytes ahead of use: a hint, and nothing where the compiler has no
 * prefetch. */
static void prefetch_record(const uint8_t *p, size_t n)
{
#if defined(__GNUC__)
    for (size_t o = 0; o < n; o += 64)
        __builtin_prefetch(p + o);
#else
    (void)p;
    (void)n;
#endif
}

/* One channel plane of a record through its table. restrict: a store to dst changes
 * neither the bytes nor the table (a byte pointer may alias anything), so the compiler may
 * unroll and load ahead of the stores. */
static void plane_through(float *restrict dst, const uint8_t *restrict src,
                          const float *restrict lut, size_t n)
{
    for (size_t k = 0; k < n; k++)
        dst[k] = lut[src[k]];
}

/* Records come in shuffled order, each from anywhere in the set: the next one is fetched
 * while this one is converted (CIFAR-10 batch of 512, one thread: 0.93 -> 0.59 ms on an
 * AMD EPYC Zen 4, with the restrict above). */
void dataset_batch(const Dataset *d, const Normalizer *nz, const int *idx, int n, float *x, int *y)
{
    const size_t dim = (size_t)d->dim, plane = (size_t)nz->plane;
    for (int i = 0; i < n; i++) {
        const uint8_t *src = d->pixels + (size_t)idx[i] * dim;
        float *dst = x + (size_t)i * dim;
        if (i + 1 < n)
            prefetch_record(d->pixels + (size_t)idx[i + 1] * dim, dim);
        for (int c = 0; c < nz->channels; c++)
            plane_through(dst + (size_t)c * plane, src + (size_t)c * plane, nz->lut[c], plane);
        y[i] = d->labels[idx[i]];
    }
}
