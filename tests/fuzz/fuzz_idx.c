/* fuzz_idx.c - libFuzzer harness for dataset_load_idx. The input is split into an IDX
 * label file and an IDX image file, written to a private temporary directory:
 *
 *   byte 0     flags: bits 0-2 a record limit (0 = all), bit 3 limit -1, bit 4 swap the
 *              two files' roles, bit 5 give the image file for both, bit 6 a missing label
 *              file, bit 7 the directory itself as the image file
 *   bytes 1-2  length L of the label file (little-endian, cut to what is left)
 *   L bytes    the label file; the rest is the image file
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
    if (size < 3)
        return 0;
    unsigned flags = data[0];
    size_t nl = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (nl > size)
        nl = size;
    char labels[600], images[600], missing[600];
    fuzz_write(labels, sizeof labels, fuzz_names[0], data, nl);
    fuzz_write(images, sizeof images, fuzz_names[1], data + nl, size - nl);
    fuzz_path(missing, sizeof missing, fuzz_names[2]);

    long limit = flags & 8 ? -1 : (long)(flags & 7);
    const char *ip = images, *lp = labels;
    if (flags & 16) {
        ip = labels;
        lp = images;
    }
    if (flags & 32)
        lp = ip;
    if (flags & 64)
        lp = missing;
    if (flags & 128)
        ip = fuzz_dir;

    Dataset d;
    Err e = {0};
    fuzz_alloc_limit = size + FUZZ_ALLOC_SLACK;
    int rc = dataset_load_idx(&d, ip, lp, limit, &e);
    fuzz_alloc_limit = 0;
    fuzz_check_result(rc, &d, &e, limit, 784, 1, size);
    dataset_free(&d);
    return 0;
}
