/* ckpt.c - see ckpt.h. Values are encoded byte by byte (shifts, not memcpy of host
 * integers), so files are the same on any host; floats travel as their IEEE bit patterns,
 * NaN payloads included. */
#include "ckpt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

static const char *const magics[] = {"MLPTCKPT", "MLPTMODL"};
_Static_assert(sizeof magics / sizeof magics[0] == CKPT_KIND_COUNT, "one magic per kind");
static const char *const kind_names[] = {"checkpoint", "model file"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == CKPT_KIND_COUNT, "one name per kind");

/* Bytes per value of each type; 0 = not a type. */
static size_t type_size(unsigned t)
{
    switch (t) {
    case CKPT_I64: case CKPT_U64: case CKPT_F64: return 8;
    case CKPT_F32: case CKPT_I32: return 4;
    case CKPT_TEXT: return 1;
    }
    return 0;
}

static const char *type_name(unsigned t)
{
    switch (t) {
    case CKPT_I64: return "int64";
    case CKPT_U64: return "uint64";
    case CKPT_F64: return "float64";
    case CKPT_F32: return "float32";
    case CKPT_I32: return "int32";
    case CKPT_TEXT: return "text";
    }
    return "unknown";
}

/* ---- CRC-32: the table of the reflected IEEE polynomial, built once ---- */

static uint32_t crc_table[256];
static once_flag crc_once = ONCE_FLAG_INIT; /* runs of a sweep write checkpoints at once */

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t ckpt_crc32(uint32_t crc, const void *data, size_t n)
{
    call_once(&crc_once, crc_init);
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- little-endian encoding ---- */

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int name_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '.'))
            return 0;
    return 1;
}

/* ---- writing ---- */

int ckpt_writer_open(CkptWriter *w, CkptKind kind, const char *path, Err *e)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    if (util_atomic_open(&w->af, path, e) < 0)
        return -1;
    static const unsigned char zero[CKPT_HEADER_BYTES];
    fwrite(zero, 1, sizeof zero, w->af.f);
    return 0;
}

static void emit(CkptWriter *w, const unsigned char *p, size_t n)
{
    w->crc = ckpt_crc32(w->crc, p, n);
    w->payload += n;
    fwrite(p, 1, n, w->af.f); /* a short write sets the error flag the commit reports */
}

static void section(CkptWriter *w, const char *name, CkptType type, size_t n)
{
    size_t len = strlen(name);
    if (len < 1 || len > CKPT_NAME_MAX || !name_ok((const unsigned char *)name, len) ||
        w->n_sections == CKPT_MAX_SECTIONS) {
        fprintf(stderr, "mlptrain: internal error: bad section name '%s' or too many sections\n",
                name);
        abort();
    }
    unsigned char h[2 + CKPT_NAME_MAX + 8];
    h[0] = (unsigned char)type;
    h[1] = (unsigned char)len;
    memcpy(h + 2, name, len);
    put_le(h + 2 + len, (uint64_t)n, 8);
    emit(w, h, 2 + len + 8);
    w->n_sections++;
}

/* Values go out in blocks of this many bytes. */
#define BLOCK 8192

/* Value i of array v of type t as the bits the file holds: integers in two's complement,
 * floats as their IEEE bit patterns. */
static uint64_t bits_of(CkptType t, const void *v, size_t i)
{
    switch (t) {
    case CKPT_I64: return (uint64_t)((const int64_t *)v)[i];
    case CKPT_U64: return ((const uint64_t *)v)[i];
    case CKPT_F64: {
        uint64_t bits;
        memcpy(&bits, (const double *)v + i, 8);
        return bits;
    }
    case CKPT_F32: {
        uint32_t bits;
        memcpy(&bits, (const float *)v + i, 4);
        return bits;
    }
    case CKPT_I32: return (uint32_t)((const int *)v)[i];
    case CKPT_TEXT: return ((const unsigned char *)v)[i];
    }
    return 0;
}

/* A section of n values of type t, little-endian, in blocks. */
static void put_values(CkptWriter *w, const char *name, CkptType t, const void *v, size_t n)
{
    unsigned char b[BLOCK];
    size_t width = type_size(t);
    section(w, name, t, n);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k < BLOCK; i++, k += width)
            put_le(b + k, bits_of(t, v, i), (int)width);
        emit(w, b, k);
    }
}

void ckpt_put_i64(CkptWriter *w, const char *name, const int64_t *v, size_t n)
{
    put_values(w, name, CKPT_I64, v, n);
}

void ckpt_put_u64(CkptWriter *w, const char *name, const uint64_t *v, size_t n)
{
    put_values(w, name, CKPT_U64, v, n);
}

void ckpt_put_f64(CkptWriter *w, const char *name, const double *v, size_t n)
{
    put_values(w, name, CKPT_F64, v, n);
}

void ckpt_put_f32(CkptWriter *w, const char *name, const float *v, size_t n)
{
    put_values(w, name, CKPT_F32, v, n);
}

void ckpt_put_i32(CkptWriter *w, const char *name, const int *v, size_t n)
{
    put_values(w, name, CKPT_I32, v, n);
}

void ckpt_put_text(CkptWriter *w, const char *name, const char *s)
{
    size_t n = strlen(s);
    section(w, name, CKPT_TEXT, n);
    emit(w, (const unsigned char *)s, n);
}

void ckpt_put_long(CkptWriter *w, const char *name, long v)
{
    int64_t x = v;
    ckpt_put_i64(w, name, &x, 1);
}

void ckpt_put_double(CkptWriter *w, const char *name, double v)
{
    ckpt_put_f64(w, name, &v, 1);
}

int ckpt_writer_commit(CkptWriter *w, Err *e)
{
    unsigned char h[CKPT_HEADER_BYTES];
    memcpy(h, magics[w->kind], 8);
    put_le(h + 8, CKPT_VERSION, 4);
    put_le(h + 12, CKPT_HEADER_BYTES, 4);
    put_le(h + 16, w->payload, 8);
    put_le(h + 24, w->crc, 4);
    put_le(h + 28, w->n_sections, 4);
    if (fseek(w->af.f, 0, SEEK_SET) != 0) {
        int err = errno;
        util_atomic_abort(&w->af);
        return err_set(e, "cannot write '%s': %s", w->af.path, strerror(err));
    }
    fwrite(h, 1, sizeof h, w->af.f);
    return util_atomic_commit(&w->af, e);
}

void ckpt_writer_abort(CkptWriter *w)
{
    util_atomic_abort(&w->af);
}

/* ---- reading ---- */

void ckpt_file_free(CkptFile *f)
{
    free(f->data);
    free(f->sections);
    memset(f, 0, sizeof *f);
}

/* Checks f->data[0..size) as a file of kind and builds the section table. */
static int check(CkptFile *f, CkptKind kind, Err *e)
{
    const unsigned char *d = f->data;
    size_t size = f->size;
    const char *what = kind_names[kind];
    if (size < 8 || memcmp(d, magics[kind], 8) != 0) {
        for (int k = 0; k < CKPT_KIND_COUNT; k++)
            if (size >= 8 && memcmp(d, magics[k], 8) == 0)
                return err_set(e, "%s: is a %s, not a %s", f->path, kind_names[k], what);
        return err_set(e, "%s: not an mlptrain %s (it does not start with '%s')", f->path, what,
                       magics[kind]);
    }
    if (size < CKPT_HEADER_BYTES)
        return err_set(e, "%s: truncated: %zu bytes, shorter than the %d-byte header (expected "
                       "a whole %s)", f->path, size, CKPT_HEADER_BYTES, what);
    uint64_t version = get_le(d + 8, 4);
    if (version != CKPT_VERSION)
        return err_set(e, "%s: format version %llu, which this mlptrain does not read (expected "
                       "version %d)", f->path, (unsigned long long)version, CKPT_VERSION);
    uint64_t header = get_le(d + 12, 4), payload = get_le(d + 16, 8);
    if (header != CKPT_HEADER_BYTES)
        return err_set(e, "%s: damaged: header size %llu (expected %d)", f->path,
                       (unsigned long long)header, CKPT_HEADER_BYTES);
    size_t have = size - CKPT_HEADER_BYTES;
    if (payload > have)
        return err_set(e, "%s: truncated: the header says %llu bytes of data follow, the file "
                       "holds %zu", f->path, (unsigned long long)payload, have);
    if (payload < have)
        return err_set(e, "%s: damaged: %zu bytes after the %llu bytes of data the header "
                       "announces", f->path, have - (size_t)payload, (unsigned long long)payload);
    uint32_t crc = (uint32_t)get_le(d + 24, 4), real = ckpt_crc32(0, d + CKPT_HEADER_BYTES, have);
    if (crc != real)
        return err_set(e, "%s: damaged: the CRC-32 of its data is %08lx, the header says %08lx "
                       "(the file was changed or corrupted after it was written)", f->path,
                       (unsigned long)real, (unsigned long)crc);
    uint64_t n = get_le(d + 28, 4);
    /* Every section takes at least 11 bytes: no more sections than that allows. The
     * duplicate check below compares every pair: it needs the bound on their number. */
    if (n > have / 11)
        return err_set(e, "%s: damaged: %llu sections in %zu bytes", f->path,
                       (unsigned long long)n, have);
    if (n > CKPT_MAX_SECTIONS)
        return err_set(e, "%s: damaged: %llu sections (expected at most %d)", f->path,
                       (unsigned long long)n, CKPT_MAX_SECTIONS);
    f->sections = xcalloc(n ? (size_t)n : 1, sizeof *f->sections);
    size_t pos = CKPT_HEADER_BYTES;
    for (uint64_t i = 0; i < n; i++) {
        CkptSection *s = &f->sections[i];
        if (size - pos < 2)
            return err_set(e, "%s: damaged: section %llu is cut off", f->path,
                           (unsigned long long)i + 1);
        unsigned type = d[pos], len = d[pos + 1];
        size_t elem = type_size(type);
        if (elem == 0)
            return err_set(e, "%s: damaged: section %llu has unknown type %u", f->path,
                           (unsigned long long)i + 1, type);
        if (len < 1 || len > CKPT_NAME_MAX || size - pos - 2 < (size_t)len + 8 ||
            !name_ok(d + pos + 2, len))
            return err_set(e, "%s: damaged: section %llu has a bad name", f->path,
                           (unsigned long long)i + 1);
        memcpy(s->name, d + pos + 2, len);
        s->name[len] = '\0';
        pos += 2 + (size_t)len;
        uint64_t count = get_le(d + pos, 8);
        pos += 8;
        if (count > (size - pos) / elem)
            return err_set(e, "%s: damaged: section '%s' says it holds %llu values, more than "
                           "the %zu bytes left", f->path, s->name, (unsigned long long)count,
                           size - pos);
        s->type = (CkptType)type;
        s->count = count;
        s->offset = pos;
        pos += (size_t)count * elem;
        for (uint64_t j = 0; j < i; j++)
            if (strcmp(f->sections[j].name, s->name) == 0)
                return err_set(e, "%s: damaged: section '%s' appears twice", f->path, s->name);
        f->n_sections++;
    }
    if (pos != size)
        return err_set(e, "%s: damaged: %zu bytes after the last section", f->path, size - pos);
    return 0;
}

int ckpt_parse(CkptFile *f, const unsigned char *data, size_t size, const char *name,
               CkptKind kind, Err *e)
{
    memset(f, 0, sizeof *f);
    util_strlcpy(f->path, name, sizeof f->path);
    f->data = xmalloc(size ? size : 1);
    if (size)
        memcpy(f->data, data, size);
    f->size = size;
    if (check(f, kind, e) < 0) {
        ckpt_file_free(f);
        return -1;
    }
    return 0;
}

int ckpt_read(CkptFile *f, const char *path, CkptKind kind, Err *e)
{
    memset(f, 0, sizeof *f);
    util_strlcpy(f->path, path, sizeof f->path);
    long long size = util_file_size(path, e);
    if (size < 0)
        return -1;
    if ((unsigned long long)size > SIZE_MAX)
        return err_set(e, "%s: too large to read (%lld bytes)", path, size);
    FILE *in = util_open_regular(path, e);
    if (!in)
        return -1;
    /* The size was the file system's word: read exactly that, and nothing may follow. */
    f->size = (size_t)size;
    f->data = xmalloc(f->size ? f->size : 1);
    size_t got = fread(f->data, 1, f->size, in);
    int extra = got == f->size && getc(in) != EOF;
    int bad = ferror(in);
    int err = errno;
    fclose(in);
    if (bad || got != f->size || extra) {
        ckpt_file_free(f);
        return err_set(e, "%s: cannot read: %s", path,
                       bad ? strerror(err) : "the file changed size while being read");
    }
    if (check(f, kind, e) < 0) {
        ckpt_file_free(f);
        return -1;
    }
    return 0;
}

const CkptSection *ckpt_find(const CkptFile *f, const char *name)
{
    for (int i = 0; i < f->n_sections; i++)
        if (strcmp(f->sections[i].name, name) == 0)
            return &f->sections[i];
    return NULL;
}

/* The section, of this type; NULL with e otherwise. */
static const CkptSection *typed(const CkptFile *f, const char *name, CkptType type, Err *e)
{
    const CkptSection *s = ckpt_find(f, name);
    if (!s) {
        err_set(e, "%s: section '%s' is missing", f->path, name);
        return NULL;
    }
    if (s->type != type) {
        err_set(e, "%s: section '%s' holds %s values (expected %s)", f->path, name,
                type_name(s->type), type_name(type));
        return NULL;
    }
    return s;
}

long long ckpt_count(const CkptFile *f, const char *name, CkptType type, Err *e)
{
    const CkptSection *s = typed(f, name, type, e);
    return s ? (long long)s->count : -1;
}

/* The first of exactly n values of section name of this type; NULL with e otherwise. */
static const unsigned char *values(const CkptFile *f, const char *name, CkptType type, size_t n,
                                   Err *e)
{
    const CkptSection *s = typed(f, name, type, e);
    if (!s)
        return NULL;
    if (s->count != (uint64_t)n) {
        err_set(e, "%s: section '%s' holds %llu values (expected %zu)", f->path, name,
                (unsigned long long)s->count, n);
        return NULL;
    }
    return f->data + s->offset;
}

/* Stores the file's bits u as value i of array out of type t (the inverse of bits_of);
 * signed values come back from two's complement without implementation-defined
 * conversions. */
static void store(CkptType t, void *out, size_t i, uint64_t u)
{
    switch (t) {
    case CKPT_I64:
        ((int64_t *)out)[i] = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
        break;
    case CKPT_U64: ((uint64_t *)out)[i] = u; break;
    case CKPT_F64: memcpy((double *)out + i, &u, 8); break;
    case CKPT_F32: {
        uint32_t bits = (uint32_t)u;
        memcpy((float *)out + i, &bits, 4);
        break;
    }
    case CKPT_I32: {
        uint32_t bits = (uint32_t)u;
        ((int *)out)[i] = bits <= (uint32_t)INT32_MAX ? (int)bits : -(int)(~bits) - 1;
        break;
    }
    case CKPT_TEXT: ((unsigned char *)out)[i] = (unsigned char)u; break;
    }
}

/* Copies section name (type t, exactly n values) into out. */
static int get_values(const CkptFile *f, const char *name, CkptType t, void *out, size_t n,
                      Err *e)
{
    const unsigned char *p = values(f, name, t, n, e);
    if (!p)
        return -1;
    size_t width = type_size(t);
    for (size_t i = 0; i < n; i++)
        store(t, out, i, get_le(p + width * i, (int)width));
    return 0;
}

int ckpt_get_i64(const CkptFile *f, const char *name, int64_t *out, size_t n, Err *e)
{
    return get_values(f, name, CKPT_I64, out, n, e);
}

int ckpt_get_u64(const CkptFile *f, const char *name, uint64_t *out, size_t n, Err *e)
{
    return get_values(f, name, CKPT_U64, out, n, e);
}

int ckpt_get_f64(const CkptFile *f, const char *name, double *out, size_t n, Err *e)
{
    return get_values(f, name, CKPT_F64, out, n, e);
}

int ckpt_get_f32(const CkptFile *f, const char *name, float *out, size_t n, Err *e)
{
    return get_values(f, name, CKPT_F32, out, n, e);
}

int ckpt_get_i32(const CkptFile *f, const char *name, int *out, size_t n, Err *e)
{
    return get_values(f, name, CKPT_I32, out, n, e);
}

int ckpt_get_long(const CkptFile *f, const char *name, long min, long max, long *out, Err *e)
{
    int64_t v;
    if (ckpt_get_i64(f, name, &v, 1, e) < 0)
        return -1;
    if (v < min || v > max)
        return err_set(e, "%s: section '%s' holds %lld (expected %ld..%ld)", f->path, name,
                       (long long)v, min, max);
    *out = (long)v;
    return 0;
}

int ckpt_get_double(const CkptFile *f, const char *name, double *out, Err *e)
{
    return ckpt_get_f64(f, name, out, 1, e);
}

int ckpt_get_text(const CkptFile *f, const char *name, char *buf, size_t size, Err *e)
{
    const CkptSection *s = typed(f, name, CKPT_TEXT, e);
    if (!s)
        return -1;
    if (s->count >= (uint64_t)size)
        return err_set(e, "%s: section '%s' holds %llu bytes of text (expected at most %zu)",
                       f->path, name, (unsigned long long)s->count, size - 1);
    const unsigned char *p = f->data + s->offset;
    if (memchr(p, 0, (size_t)s->count))
        return err_set(e, "%s: section '%s' holds a NUL byte", f->path, name);
    memcpy(buf, p, (size_t)s->count);
    buf[s->count] = '\0';
    return 0;
}
