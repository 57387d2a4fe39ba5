/* fuzz_files.h - what the file harnesses (idx, cifar, ckpt) share: a private temporary
 * directory per process, writing a slice of the fuzz input to a file in it, a malloc hook
 * that traps any single allocation larger than the bytes on disk justify, and the checks
 * of a loaded Dataset. Test code only: it uses POSIX (mkdtemp, unlink, rmdir) and the
 * sanitizer allocator interface. */
#ifndef MLPTRAIN_FUZZ_FILES_H
#define MLPTRAIN_FUZZ_FILES_H

#define _POSIX_C_SOURCE 200809L
#include <sanitizer/allocator_interface.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_dir[512];

/* FUZZ_VERBOSE=1 in the environment prints each input's outcome (for reproducing). */
static int fuzz_verbose;

#define FUZZ_MAX_FILES 4
static const char *fuzz_names[FUZZ_MAX_FILES] = {"a", "b", "c", "d"};

/* A path in the private directory: fuzz_path(buf, "a"). */
static void fuzz_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", fuzz_dir, name);
}

static void fuzz_cleanup(void)
{
    char p[600];
    for (int i = 0; i < FUZZ_MAX_FILES; i++) {
        fuzz_path(p, sizeof p, fuzz_names[i]);
        unlink(p);
    }
    rmdir(fuzz_dir);
}

/* Creates $TMPDIR/mlptrain-fuzz.XXXXXX once per process (libFuzzer's -fork and -jobs
 * workers are processes, so each gets its own). */
static void fuzz_make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/mlptrain-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup);
    fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;
}

/* Writes bytes [p, p + n) to the file `name` in the private directory, path into buf. */
static void fuzz_write(char *buf, size_t bufsize, const char *name, const uint8_t *p, size_t n)
{
    fuzz_path(buf, bufsize, name);
    FILE *f = fopen(buf, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        perror(buf);
        abort();
    }
}

/* ---- allocation bound ---- */

/* While fuzz_alloc_limit > 0, an allocation above it is a finding: the loader believed a
 * header instead of the file's real size. Checked in the hook, so the trap's stack shows
 * the allocation site. */
static volatile size_t fuzz_alloc_limit;

static void fuzz_malloc_hook(const volatile void *ptr, size_t size)
{
    (void)ptr;
    if (fuzz_alloc_limit && size > fuzz_alloc_limit) {
        static const char msg[] = "fuzz: allocation larger than the input files justify\n";
        if (write(2, msg, sizeof msg - 1) < 0)
            abort();
        __builtin_trap();
    }
}

static void fuzz_free_hook(const volatile void *ptr)
{
    (void)ptr;
}

static void fuzz_install_hooks(void)
{
    __sanitizer_install_malloc_and_free_hooks(fuzz_malloc_hook, fuzz_free_hook);
}

/* Stdio's FILE and its buffer, on top of the file bytes themselves. */
#define FUZZ_ALLOC_SLACK 16384

static volatile unsigned fuzz_sink;

/* Checks what a load promises: on failure d is zeroed and e holds a one-line message;
 * on success the records fit within the bytes given and every label is a class. */
static inline void fuzz_check_result(int rc, const Dataset *d, const Err *e, long limit, int dim,
                                     int channels, size_t file_bytes)
{
    if (fuzz_verbose && rc)
        fprintf(stderr, "fuzz: limit %ld: %s\n", limit, e->msg);
    else if (fuzz_verbose)
        fprintf(stderr, "fuzz: limit %ld: loaded %d records\n", limit, d->n);
    if (rc != 0) {
        if (rc != -1 || d->n != 0 || d->pixels || d->labels || e->msg[0] == '\0' ||
            strchr(e->msg, '\n')) {
            fprintf(stderr, "fuzz: bad failure: rc %d n %d msg '%s'\n", rc, d->n, e->msg);
            __builtin_trap();
        }
        return;
    }
    if (d->n <= 0 || (limit > 0 && d->n > limit) || d->dim != dim || d->channels != channels ||
        d->n_classes != 10 || !d->pixels || !d->labels ||
        (size_t)d->n * (size_t)(dim + 1) > file_bytes) {
        fprintf(stderr, "fuzz: bad dataset: n %d dim %d channels %d, %zu bytes given\n", d->n,
                d->dim, d->channels, file_bytes);
        __builtin_trap();
    }
    unsigned sum = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->labels[i] >= d->n_classes) {
            fprintf(stderr, "fuzz: record %d has label %d\n", i, d->labels[i]);
            __builtin_trap();
        }
        sum += d->labels[i];
    }
    /* Touch every pixel, so ASan sees any short buffer. */
    for (size_t k = 0; k < (size_t)d->n * (size_t)dim; k++)
        sum += d->pixels[k];
    fuzz_sink = sum;
}

#endif
