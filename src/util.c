/* util.c - see util.h. The POSIX calls live here, where ISO C has nothing: mkdir and stat
 * (directories, file kinds), link and fsync (files written whole), getpid (unique
 * temporary names). */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void util_escape_controls(char *out, size_t n, const char *in)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < n; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            if (o + 5 >= n)
                break;
            o += (size_t)snprintf(out + o, n - o, "\\x%02X", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

/* Formats into e->msg, control characters written as \xHH: a message stays one line,
 * whatever text from a file or an option it quotes. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
static void err_format(Err *e, const char *fmt, va_list ap)
{
    char raw[sizeof e->msg];
    vsnprintf(raw, sizeof raw, fmt, ap);
    util_escape_controls(e->msg, sizeof e->msg, raw);
}

int err_set(Err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        err_format(e, fmt, ap);
        va_end(ap);
        e->key[0] = '\0';
    }
    return -1;
}

int err_set_key(Err *e, const char *key, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        err_format(e, fmt, ap);
        va_end(ap);
        util_strlcpy(e->key, key, sizeof e->key);
    }
    return -1;
}

static void oom(double bytes)
{
    char b[32];
    util_format_bytes(b, sizeof b, bytes);
    fprintf(stderr, "mlptrain: out of memory (allocating %s)\n", b);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom((double)n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom((double)count * (double)size);
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static int only_blanks(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

int util_parse_long(const char *s, long *out)
{
    char *end;
    if (only_blanks(s))
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!only_blanks(end))
        return -1;
    if (errno == ERANGE)
        return -2;
    *out = v;
    return 0;
}

int util_parse_double(const char *s, double *out)
{
    char *end;
    if (only_blanks(s))
        return -1;
    /* strtod also reads hexadecimal ("0x10" = 16) and "inf"/"nan": none is a number a
     * config means, so only decimal notation is accepted. */
    if (strpbrk(s, "xXnN"))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (!only_blanks(end))
        return -1;
    /* strtod also sets ERANGE on underflow to a subnormal or zero; only overflow is an error. */
    if (errno == ERANGE && isinf(v))
        return -2;
    if (isnan(v) || isinf(v))
        return -1;
    *out = v;
    return 0;
}

int util_parse_ullong(const char *s, unsigned long long *out)
{
    while (isspace((unsigned char)*s))
        s++;
    long negative;
    if (*s == '-' && util_parse_long(s, &negative) == 0)
        return -2;
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    if (errno == ERANGE)
        return -2;
    *out = v;
    return 0;
}

uint32_t util_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

double util_now(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

long long util_peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            char *end;
            errno = 0;
            long long v = strtoll(line + 6, &end, 10);
            if (errno == 0 && end != line + 6)
                kb = v;
            break;
        }
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

int util_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (len >= n) {
        memcpy(dst, src, n - 1);
        dst[n - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, len + 1);
    return 0;
}

/* What a path is, for messages about something that is not a regular file. */
static const char *kind_of(mode_t m)
{
    if (S_ISREG(m))
        return "a regular file";
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a named pipe";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

int util_mkdir_new(const char *path, Err *e)
{
    if (mkdir(path, 0777) == 0)
        return 0;
    if (errno == EEXIST)
        return 1;
    return err_set(e, "cannot create directory '%s': %s", path, strerror(errno));
}

int util_mkdirs(const char *path, Err *e)
{
    char buf[4096];
    if (util_strlcpy(buf, path, sizeof buf) < 0)
        return err_set(e, "path too long: '%s'", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (util_mkdir_new(buf, e) < 0)
            return -1;
        *p = '/';
    }
    if (util_mkdir_new(buf, e) < 0)
        return -1;
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(e, "%s: is %s (expected a directory)", path, kind_of(st.st_mode));
    return 0;
}

int util_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

long long util_file_size(const char *path, Err *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int err = errno;
        err_set(e, "cannot open '%s': %s", path, strerror(err));
        errno = err;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(e, "%s: is %s (expected a regular file)", path, kind_of(st.st_mode));
        errno = EINVAL;
        return -1;
    }
    return (long long)st.st_size;
}

int util_is_dangling_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) != 0;
}

int util_is_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

FILE *util_open_regular(const char *path, Err *e)
{
    /* Checked before opening: fopen on a FIFO without a writer would block for ever. */
    if (util_file_size(path, e) < 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        err_set(e, "cannot open '%s': %s", path, strerror(errno));
    return f;
}

int util_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

int util_add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return -1;
    *out = a + b;
    return 0;
}

int util_atomic_open(AtomicFile *a, const char *path, Err *e)
{
    memset(a, 0, sizeof *a);
    if (util_strlcpy(a->path, path, sizeof a->path) < 0)
        return err_set(e, "path too long: '%.200s'", path);
    snprintf(a->tmp, sizeof a->tmp, "%s" UTIL_ATOMIC_TMP "%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        int err = errno;
        a->tmp[0] = '\0';
        return err_set(e, "cannot write '%s': %s", path, strerror(err));
    }
    return 0;
}

/* Flushes, syncs and closes a->f; the temporary stays. 0, or -1 with e and the temporary
 * removed. */
static int atomic_finish(AtomicFile *a, Err *e)
{
    int bad = ferror(a->f) || fflush(a->f) != 0;
    int err = bad ? errno : 0;
    if (!bad && fsync(fileno(a->f)) != 0 && errno != EINVAL && errno != EROFS) {
        bad = 1;
        err = errno;
    }
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    a->f = NULL;
    if (bad) {
        remove(a->tmp);
        a->tmp[0] = '\0';
        return err_set(e, "cannot write '%s': %s", a->path, err ? strerror(err) : "write error");
    }
    return 0;
}

int util_atomic_commit(AtomicFile *a, Err *e)
{
    if (atomic_finish(a, e) < 0)
        return -1;
    if (rename(a->tmp, a->path) != 0) {
        int err = errno;
        remove(a->tmp);
        a->tmp[0] = '\0';
        return err_set(e, "cannot write '%s': %s", a->path, strerror(err));
    }
    a->tmp[0] = '\0';
    return 0;
}

int util_atomic_commit_new(AtomicFile *a, Err *e)
{
    if (atomic_finish(a, e) < 0)
        return -1;
    int rc = 0;
    if (link(a->tmp, a->path) != 0) {
        int err = errno;
        rc = err == EEXIST ? 1 : err_set(e, "cannot create '%s': %s", a->path, strerror(err));
    }
    remove(a->tmp);
    a->tmp[0] = '\0';
    return rc;
}

void util_atomic_abort(AtomicFile *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp[0])
        remove(a->tmp);
    a->tmp[0] = '\0';
}

/* First "NAME: <number> kB" line of /proc/meminfo, in bytes; -1 if absent. */
static long long meminfo_bytes(const char *name)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1;
    char line[256];
    size_t n = strlen(name);
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            char *end;
            errno = 0;
            long long kb = strtoll(line + n + 1, &end, 10);
            if (errno == 0 && end != line + n + 1 && kb >= 0 && kb < LLONG_MAX / 1024)
                v = kb * 1024;
            break;
        }
    fclose(f);
    return v;
}

/* A cgroup v2 file holding one number or "max"; -1 for "max" or unreadable. */
static long long cgroup_number(const char *dir, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[64] = "";
    long long v = -1;
    if (fgets(buf, sizeof buf, f)) {
        char *end;
        errno = 0;
        long long x = strtoll(buf, &end, 10);
        if (errno == 0 && end != buf && x >= 0 && (*end == '\n' || *end == '\0'))
            v = x;
    }
    fclose(f);
    return v;
}

int util_cgroup_dir(char *dir, size_t n)
{
    dir[0] = '\0';
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return -1;
    char line[4096];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "0::/", 4) == 0) {
            line[strcspn(line, "\n")] = '\0';
            if (util_strlcpy(dir, line + 3, n) < 0)
                dir[0] = '\0';
            break;
        }
    fclose(f);
    return dir[0] ? 0 : -1;
}

int util_cgroup_parent(char *dir)
{
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return 1;
}

long long util_memory_available(const char **what)
{
    long long avail = meminfo_bytes("MemAvailable");
    *what = "MemAvailable";
    char dir[4096];
    if (util_cgroup_dir(dir, sizeof dir) < 0)
        return avail;
    do {
        long long max = cgroup_number(dir, "memory.max");
        if (max >= 0) {
            long long cur = cgroup_number(dir, "memory.current");
            long long left = cur >= 0 && cur < max ? max - cur : cur >= max ? 0 : max;
            if (avail < 0 || left < avail) {
                avail = left;
                *what = "the cgroup's memory.max";
            }
        }
    } while (util_cgroup_parent(dir));
    return avail;
}

void util_format_bytes(char *buf, size_t n, double bytes)
{
    static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (bytes >= 1000.0 && u < 5) {
        bytes /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%.0f bytes", bytes);
    else
        snprintf(buf, n, bytes < 10 ? "%.2f %s" : bytes < 100 ? "%.1f %s" : "%.0f %s", bytes,
                 units[u]);
}
