/* ckpt.h - the binary format of checkpoint.bin and model.bin: a 32-byte header (magic,
 * format version, payload size, CRC-32 of the payload, section count) and a payload of
 * named, typed sections. Every number is little-endian whatever the host. What the
 * sections hold is not decided here: each module writes and reads its own state. In a
 * checkpoint, model.c's model_ckpt_put and model_ckpt_get own model.*, optim.c's optim.*,
 * sched.c's sched.*, and train.c the rest (config_hash, data.shape, loop.*, rng.*), calling
 * the three in between; model.c also writes and reads model files. Reading checks the
 * magic, the version, the size against the file's real size and the CRC before it looks
 * at any section, and every section's size against the bytes left before using it, so a
 * damaged or hostile file is an error, never a crash or a huge allocation.
 *
 *   header:  0 magic (8 bytes: "MLPTCKPT" or "MLPTMODL")   8 version (u32)
 *           12 header size (u32, 32)   16 payload size (u64)   24 CRC-32 of the payload (u32,
 *           IEEE 802.3 polynomial, as zlib's crc32)   28 number of sections (u32)
 *   section: type (u8)  name length (u8, 1..CKPT_NAME_MAX)  name ([a-z0-9_.])
 *            count (u64)  count values of the type's size (text: count bytes) */
#ifndef MLPTRAIN_CKPT_H
#define MLPTRAIN_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CKPT_VERSION 1
#define CKPT_HEADER_BYTES 32
#define CKPT_NAME_MAX 63
/* Sections in one file: mlptrain writes fewer than 20. The bound keeps the section table
 * and the check for duplicate names small whatever a file claims. */
#define CKPT_MAX_SECTIONS 1024

typedef enum { CKPT_CHECKPOINT, CKPT_MODEL } CkptKind;
enum { CKPT_KIND_COUNT = CKPT_MODEL + 1 };

typedef enum { CKPT_I64 = 1, CKPT_U64, CKPT_F64, CKPT_F32, CKPT_I32, CKPT_TEXT } CkptType;

/* CRC-32 (IEEE, reflected, as zlib's crc32): start with crc = 0, feed the bytes in any
 * number of calls. */
uint32_t ckpt_crc32(uint32_t crc, const void *data, size_t n);

/* ---- writing: sections go straight to a temporary file, renamed over the real one
 * when it is complete, so a crash leaves the previous file intact and a large model is
 * never copied in memory ---- */

typedef struct {
    CkptKind kind;
    AtomicFile af;
    uint32_t crc;         /* of the payload so far */
    uint64_t payload;     /* bytes so far */
    uint32_t n_sections;
} CkptWriter;

/* Opens a temporary file beside path. -1 with e (nothing to free) on failure. */
int ckpt_writer_open(CkptWriter *w, CkptKind kind, const char *path, Err *e);

/* Each adds a section of n values (names: [a-z0-9_.], 1..CKPT_NAME_MAX bytes, unique
 * within a file; the caller's constants; at most CKPT_MAX_SECTIONS). A failed write is
 * reported by the commit. */
void ckpt_put_i64(CkptWriter *w, const char *name, const int64_t *v, size_t n);
void ckpt_put_u64(CkptWriter *w, const char *name, const uint64_t *v, size_t n);
void ckpt_put_f64(CkptWriter *w, const char *name, const double *v, size_t n);
void ckpt_put_f32(CkptWriter *w, const char *name, const float *v, size_t n);
void ckpt_put_i32(CkptWriter *w, const char *name, const int *v, size_t n);
void ckpt_put_text(CkptWriter *w, const char *name, const char *s);
/* One value. */
void ckpt_put_long(CkptWriter *w, const char *name, long v);
void ckpt_put_double(CkptWriter *w, const char *name, double v);

/* Fills in the header, syncs and renames the file over path. 0, or -1 with e naming the
 * file and the system's reason (the temporary is removed). */
int ckpt_writer_commit(CkptWriter *w, Err *e);
/* Abandons the file; safe after a commit and on a zeroed writer. */
void ckpt_writer_abort(CkptWriter *w);

/* ---- reading ---- */

typedef struct {
    char name[CKPT_NAME_MAX + 1];
    CkptType type;
    uint64_t count;
    size_t offset;        /* of the first value in data */
} CkptSection;

typedef struct {
    char path[4096];      /* for messages */
    unsigned char *data;  /* the whole file, owned */
    size_t size;
    int n_sections;
    CkptSection *sections;
} CkptFile;

/* Reads and checks the file at path, which must be of the given kind. Errors (-1, f
 * zeroed) start with the path and say what is wrong: not a checkpoint or model file, an
 * unknown format version, truncated or longer than its header says, a CRC mismatch
 * (damaged), a malformed section table (more than CKPT_MAX_SECTIONS sections included). */
int ckpt_read(CkptFile *f, const char *path, CkptKind kind, Err *e);
/* The same checks on bytes in memory (copied); name stands for the path in messages. */
int ckpt_parse(CkptFile *f, const unsigned char *data, size_t size, const char *name,
               CkptKind kind, Err *e);
/* Safe on a zeroed CkptFile. */
void ckpt_file_free(CkptFile *f);

/* The section called name, or NULL. */
const CkptSection *ckpt_find(const CkptFile *f, const char *name);

/* Copy section name, which must exist with this type and exactly n values, into out.
 * -1 with e ("PATH: section 'name' is missing / holds 3 values (expected 5) / ..."). */
int ckpt_get_i64(const CkptFile *f, const char *name, int64_t *out, size_t n, Err *e);
int ckpt_get_u64(const CkptFile *f, const char *name, uint64_t *out, size_t n, Err *e);
int ckpt_get_f64(const CkptFile *f, const char *name, double *out, size_t n, Err *e);
int ckpt_get_f32(const CkptFile *f, const char *name, float *out, size_t n, Err *e);
int ckpt_get_i32(const CkptFile *f, const char *name, int *out, size_t n, Err *e);
/* One value; a long must also lie in [min, max]. */
int ckpt_get_long(const CkptFile *f, const char *name, long min, long max, long *out, Err *e);
int ckpt_get_double(const CkptFile *f, const char *name, double *out, Err *e);
/* Text of at most size - 1 bytes, without NUL bytes, NUL-terminated into buf. */
int ckpt_get_text(const CkptFile *f, const char *name, char *buf, size_t size, Err *e);
/* The number of values of section name with this type: -1 with e when absent or of
 * another type. */
long long ckpt_count(const CkptFile *f, const char *name, CkptType type, Err *e);

#endif
