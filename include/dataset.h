/* dataset.h - MNIST-family IDX and CIFAR-10 binary loaders, the train/validation split,
 * and batch assembly (uint8 pixels -> normalized float32, SEMANTICS §9). Pixels stay
 * uint8 in memory; normalization happens per batch through a 256-entry table per channel.
 * Knows nothing of models or config files. */
#ifndef MLPTRAIN_DATASET_H
#define MLPTRAIN_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "params.h"
#include "rng.h"
#include "util.h"

typedef struct {
    int n;            /* records */
    int dim;          /* features per record: 784 or 3072 */
    int channels;     /* 1 or 3; each record is `channels` planes of dim/channels bytes (CHW) */
    int n_classes;    /* 10 */
    uint8_t *pixels;  /* (n, dim) */
    uint8_t *labels;  /* (n), each < n_classes */
    int n_files;      /* files found and checked: CIFAR data_batch_1..k gives k, test 1, IDX 1 */
} Dataset;

/* Loads the training and test sets named by p->dataset from directory p->path, keeping
 * the first p->train_limit / p->test_limit records when those are > 0. Every header,
 * size and label is checked; on failure returns -1 with e naming the file and what was
 * expected (and, when only .gz files exist, how to decompress them; when the directory
 * is missing, scripts/fetch-data.sh). CIFAR-10 uses data_batch_1.bin up to the first
 * missing batch; a later batch or a .gz of the missing one is an error. Returns 0 with
 * both sets owned by the caller (dataset_free); on failure both are left zeroed. */
int dataset_load(Dataset *train, Dataset *test, const DataParams *p, Err *e);

/* Loads only the test set named by p (p->test_limit applies), for evaluating a saved
 * model: the training files need not be there. Same errors as dataset_load. */
int dataset_load_test(Dataset *test, const DataParams *p, Err *e);

/* The names of a dataset's classes, for confusion matrices. */
#define DATASET_MAX_CLASSES 10
#define DATASET_CLASS_NAME_MAX 48
typedef struct {
    int n;
    char name[DATASET_MAX_CLASSES][DATASET_CLASS_NAME_MAX];
    bool from_file;   /* read from the dataset's own file (CIFAR-10 batches.meta.txt) */
} ClassNames;

/* CIFAR-10: the lines of batches.meta.txt in p->path when that file is there (as in the
 * official archive: one name a line, blank lines after the last allowed), else "0".."9";
 * Fashion-MNIST and KMNIST: the names their authors document; MNIST: the digits. -1 with e
 * when batches.meta.txt is there but is not 10 names of 1..47 printable bytes. */
int dataset_class_names(ClassNames *cn, const DataParams *p, Err *e);

/* Loads one IDX image file and its label file (exposed for tests). limit > 0 keeps and
 * reads only the first limit records; only their labels are checked. Returns 0, or -1
 * with e set and d zeroed. */
int dataset_load_idx(Dataset *d, const char *images_path, const char *labels_path, long limit, Err *e);

/* Loads CIFAR-10 binary batch files in order, concatenated (exposed for tests). n_paths > 0.
 * Every file's size is checked first; then only the records within limit are read.
 * Label errors name the record's index within its file. */
int dataset_load_cifar(Dataset *d, const char *const *paths, int n_paths, long limit, Err *e);

/* What a run would load, known from the files' headers and sizes without reading
 * records: counts after train_limit / test_limit. */
typedef struct {
    long n_train, n_test;
    int dim, n_classes;
} DataShape;

/* Checks every file dataset_load would read (presence, kind, header, size) and fills s.
 * Reads no records and allocates nothing. -1 with e as dataset_load would say it. */
int dataset_peek(const DataParams *p, DataShape *s, Err *e);

/* The shape of the official full dataset (MNIST family 60000 + 10000 records, CIFAR-10
 * 50000 + 10000) after the limits: for planning when the files cannot be read. */
void dataset_standard_shape(const DataParams *p, DataShape *s);

/* Safe on a zeroed Dataset; leaves it zeroed. */
void dataset_free(Dataset *d);

/* Index lists into one Dataset: the training records and the held-out validation ones. */
typedef struct {
    int *train_idx;
    int n_train;
    int *val_idx;
    int n_val;
} DataSplit;

/* Records a split of n holds out for validation: floor(n * val_split). */
long dataset_val_count(long n, double val_split);

/* Holds out floor(n * val_split) records: the last ones of rng_shuffle over 0..n-1. Both
 * lists are returned in ascending order, owned by s (dataset_split_free). val_split = 0
 * gives every record to training and leaves rng untouched. Fails (-1, s zeroed) when
 * n <= 0, val_split is outside [0, 1) or the split leaves either side empty. */
int dataset_split(DataSplit *s, int n, double val_split, Rng *rng, Err *e);
void dataset_split_free(DataSplit *s);

/* Normalization as a lookup table: value of byte u in channel c is lut[c][u], computed
 * bit-exactly as torchvision does in float32 ((u/255.0f - mean_f) / std_f, or u/255.0f
 * for scale), or as Caffe does for scale > 0 ((float)u * scale_f). */
typedef struct {
    int channels;
    int plane;        /* bytes per channel plane = dim / channels */
    float lut[PARAMS_MAX_CHANNELS][256];
} Normalizer;

/* p->mean/p->std must hold `channels` resolved values (config_finish does that). */
void dataset_normalizer(Normalizer *nz, const Dataset *d, const DataParams *p);

/* Writes records idx[0..n) as rows of x (n, dim) and their labels into y (n); byte k of a
 * record goes through lut[k / plane]. No allocation. */
void dataset_batch(const Dataset *d, const Normalizer *nz, const int *idx, int n, float *x, int *y);

#endif
