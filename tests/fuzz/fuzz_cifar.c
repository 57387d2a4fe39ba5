/* fuzz_cifar.c - libFuzzer harness for dataset_load_cifar. The input is split into one to
 * four CIFAR-10 batch files, written to a private temporary directory:
 *
 *   byte 0     flags: bits 0-2 a record limit (0 = all), bit 3 limit -1, bits 4-5 the
 *              number of files minus 1, bit 6 the last path names a missing file, bit 7 the
 *              directory itself as the first path
 *   then       for every file but the last, its length (2 bytes, little-endian, cut to
 *              what is left) and its bytes; the last file takes the rest
 *
 * Asserts: no crash or sanitizer report; no allocation beyond the bytes written (plus
 * stdio's buffers); a failure returns -1 with a one-line message and a zeroed Dataset; a
 * success holds at most `limit` records that fit in the files, all labels < 10.
 * FUZZ_VERBOSE=1 in the environment prints each input's error, or the records loaded. */
#include "fuzz_files.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_make_dir();
    fuzz_install_hooks();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    int n_paths = 1 + (int)(flags >> 4 & 3);
    data++;
    size--;
    size_t total = size;
    char bufs[FUZZ_MAX_FILES][600];
    const char *paths[FUZZ_MAX_FILES];
    for (int k = 0; k < n_paths; k++) {
        size_t n = size;
        if (k < n_paths - 1) {
            n = 0;
            if (size >= 2) {
                n = (size_t)data[0] | (size_t)data[1] << 8;
                data += 2;
                size -= 2;
            }
            if (n > size)
                n = size;
        }
        fuzz_write(bufs[k], sizeof bufs[k], fuzz_names[k], data, n);
        paths[k] = bufs[k];
        data += n;
        size -= n;
    }
    if (flags & 64) {
        char missing[600];
        fuzz_path(missing, sizeof missing, "missing");
        memcpy(bufs[n_paths - 1], missing, sizeof missing);
    }
    if (flags & 128)
        paths[0] = fuzz_dir;

    long limit = flags & 8 ? -1 : (long)(flags & 7);
    Dataset d;
    Err e = {0};
    fuzz_alloc_limit = total + FUZZ_ALLOC_SLACK;
    int rc = dataset_load_cifar(&d, paths, n_paths, limit, &e);
    fuzz_alloc_limit = 0;
    fuzz_check_result(rc, &d, &e, limit, 3072, 3, total);
    dataset_free(&d);
    return 0;
}
