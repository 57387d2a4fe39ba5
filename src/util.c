/* util.c - see util.h. The POSIX calls live here, where ISO C has nothing: mkdir and stat
 * (directories, file kinds), link and fsync (files written whole), getpid (unique
 * temporary names). */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom((double)n);
    return q;
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
    struct stat st;
    return stat(path, &st) == 0; /* never opened: a FIFO would block */
}

long long util_file_size(const char *path, Err *e)
{
    return util_file_size_of(path, "a regular file", e);
}

long long util_file_size_of(const char *path, const char *expected, Err *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int err = errno;
        err_set(e, "cannot open '%s': %s", path, strerror(err));
        errno = err;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(e, "%s: is %s (expected %s)", path, kind_of(st.st_mode), expected);
        errno = EINVAL;
        return -1;
    }
    return (long long)st.st_size;
}

int util_read_file(const char *path, long long max, char **out, size_t *len, Err *e)
{
    long long size = util_file_size(path, e);
    if (size < 0)
        return -1;
    if (size > max)
        return err_set(e, "%s: %lld bytes (expected at most %lld)", path, size, max);
    FILE *f = util_open_regular(path, e);
    if (!f)
        return -1;
    char *s = xmalloc((size_t)size + 1);
    size_t n = fread(s, 1, (size_t)size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(s);
        return err_set(e, "cannot read '%s'", path);
    }
    s[n] = '\0';
    *out = s;
    *len = n;
    return 0;
}

char *util_shell_word(const char *s)
{
    bool plain = *s != '\0';
    size_t quotes = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("-._/=,+@%:", *p)))
            plain = false;
        quotes += *p == '\'';
    }
    if (plain)
        return xstrdup(s);
    char *w = xmalloc(strlen(s) + 3 * quotes + 3), *q = w;
    *q++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(q, "'\\''", 4);
            q += 4;
        } else {
            *q++ = *p;
        }
    }
    *q++ = '\'';
    *q = '\0';
    return w;
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

/* The whole of a small system file (/proc/self/cgroup, /proc/self/mountinfo) as a string
 * for free(), or NULL when unreadable. /proc reports these files as size 0, so it reads to
 * the end into a growing buffer, up to 16 MB (a host with thousands of mounts). malloc, not
 * xmalloc: the memory check is advice, and a figure it cannot read is a figure it skips. */
char *util_read_small_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (len < cap - 1 || cap >= ((size_t)16 << 20))
            break;
        char *more = realloc(buf, cap * 2);
        if (!more)
            free(buf);
        buf = more;
        cap *= 2;
    }
    if (buf && (ferror(f) || len == cap - 1)) { /* a read error, or longer than 16 MB */
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* True when the comma-separated list (len bytes) holds name as one of its items. */
static bool list_has(const char *list, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list, *end = list + len; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t item = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (item == n && memcmp(p, name, n) == 0)
            return true;
        p += item + 1;
    }
    return false;
}

/* The cgroup path of one hierarchy in a /proc/self/cgroup text ("ID:CONTROLLERS:PATH" per
 * line, cgroups(7)) into out: the v1 line whose controller list holds controller, or the
 * v2 line "0::PATH" when controller is NULL. -1 (out "") when absent or too long. */
static int cgroup_line(const char *text, const char *controller, char *out, size_t n)
{
    out[0] = '\0';
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(eol - line));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
        bool match = false;
        if (c2 && c2[1] == '/')
            match = controller ? list_has(c1 + 1, (size_t)(c2 - c1 - 1), controller)
                               : c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
        if (match) {
            size_t len = (size_t)(eol - c2 - 1);
            if (len >= n)
                return -1;
            memcpy(out, c2 + 1, len);
            out[len] = '\0';
            return 0;
        }
        line = *eol ? eol + 1 : eol;
    }
    return -1;
}

/* The next blank-separated field of a mountinfo line at *s (before end) into out, its octal
 * escapes ("\040" for a space, proc(5)) decoded; advances *s past it. 0 when read whole, 1
 * when cut to fit n, -1 when the line has no more fields. */
static int mount_field(const char **s, const char *end, char *out, size_t n)
{
    const char *p = *s;
    while (p < end && *p == ' ')
        p++;
    if (p == end)
        return -1;
    size_t o = 0;
    int cut = 0;
    for (; p < end && *p != ' '; p++) {
        char c = *p;
        if (c == '\\' && end - p >= 4 && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
            p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            c = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        }
        if (o + 1 < n)
            out[o++] = c;
        else
            cut = 1;
    }
    out[o] = '\0';
    *s = p;
    return cut;
}

/* path relative to a mount whose root (within the cgroup file system) is root: "/a/b"
 * under root "/" is "/a/b", under root "/a" is "/b", and root itself is "/"; NULL when
 * path lies outside root. */
static const char *below_root(const char *path, const char *root)
{
    if (strcmp(root, "/") == 0)
        return path;
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return path[n] ? path + n : "/";
}

int util_cgroup_locate(const char *cgroup, const char *mountinfo, const char *controller,
                       char *mount, size_t mount_n, char *dir, size_t dir_n)
{
    mount[0] = dir[0] = '\0';
    char path[4096];
    if (cgroup_line(cgroup, controller, path, sizeof path) < 0)
        return -1;
    /* A path outside this cgroup namespace ("/../x") has no directory under the mount. */
    for (const char *p = strstr(path, "/.."); p; p = strstr(p + 1, "/.."))
        if (p[3] == '/' || p[3] == '\0')
            return -1;
    bool listed = false; /* mountinfo names a mount of this hierarchy */
    for (const char *line = mountinfo; line && *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        /* "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
        const char *s = line;
        char root[4096], point[4096], fstype[32], super[1024], skip[256];
        bool ok = mount_field(&s, eol, skip, sizeof skip) == 0 &&
                  mount_field(&s, eol, skip, sizeof skip) == 0 &&
                  mount_field(&s, eol, skip, sizeof skip) == 0 &&
                  mount_field(&s, eol, root, sizeof root) == 0 &&
                  mount_field(&s, eol, point, sizeof point) == 0;
        while (ok && (ok = mount_field(&s, eol, skip, sizeof skip) >= 0) && strcmp(skip, "-") != 0)
            ; /* the optional fields, up to the "-" that ends them */
        ok = ok && mount_field(&s, eol, fstype, sizeof fstype) == 0 &&
             mount_field(&s, eol, skip, sizeof skip) >= 0 &&
             mount_field(&s, eol, super, sizeof super) == 0;
        if (ok && (controller ? strcmp(fstype, "cgroup") == 0 &&
                                    list_has(super, strlen(super), controller)
                              : strcmp(fstype, "cgroup2") == 0)) {
            listed = true;
            const char *rel = below_root(path, root);
            if (rel) {
                if (util_strlcpy(mount, point, mount_n) == 0 && util_strlcpy(dir, rel, dir_n) == 0)
                    return 0;
                mount[0] = dir[0] = '\0';
                return -1;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    if (listed) /* mounted, but only parts that do not hold this process's cgroup */
        return -1;
    int n = controller ? snprintf(mount, mount_n, "/sys/fs/cgroup/%s", controller)
                       : snprintf(mount, mount_n, "/sys/fs/cgroup");
    if (n < 0 || (size_t)n >= mount_n || util_strlcpy(dir, path, dir_n) < 0) {
        mount[0] = dir[0] = '\0';
        return -1;
    }
    return 0;
}

void util_cgroup_file(char *path, size_t n, const char *mount, const char *dir, const char *file)
{
    snprintf(path, n, "%s%s/%s", mount, strcmp(dir, "/") == 0 ? "" : dir, file);
}

/* The number s holds: decimal, not negative, nothing after it but a newline; else -1. */
static long long count_text(const char *s)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    return errno == 0 && end != s && x >= 0 && (*end == '\n' || *end == '\0') ? x : -1;
}

/* A cgroup file holding one number; -1 for anything else ("max") or when unreadable. */
static long long cgroup_number(const char *mount, const char *dir, const char *file)
{
    char path[8400];
    util_cgroup_file(path, sizeof path, mount, dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[64] = "";
    long long v = fgets(buf, sizeof buf, f) ? count_text(buf) : -1;
    fclose(f);
    return v;
}

int util_cgroup_dir(char *dir, size_t n)
{
    char *text = util_read_small_file("/proc/self/cgroup");
    int rc = cgroup_line(text, NULL, dir, n);
    free(text);
    return rc;
}

int util_cgroup_parent(char *dir)
{
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return 1;
}

/* The value of "key N" in memory.stat of cgroup dir below mount; -1 when absent. */
static long long cgroup_stat(const char *mount, const char *dir, const char *key)
{
    char path[8400], line[256];
    util_cgroup_file(path, sizeof path, mount, dir, "memory.stat");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long long v = -1;
    size_t n = strlen(key);
    while (v < 0 && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            v = count_text(line + n + 1);
    fclose(f);
    return v;
}

/* The memory files of the two cgroup versions (Documentation/admin-guide/cgroup-v2.rst,
 * "memory.max"; cgroup-v1/memory.rst, "memory.limit_in_bytes"). The usage counts the page
 * cache, much of it the data files just read; the kernel reclaims the inactive part of it
 * before it fails an allocation, so what a run can still have is limit - (usage -
 * inactive file pages), the "working set" container tools report. */
static const struct {
    const char *controller; /* NULL: the v2 hierarchy */
    const char *limit, *usage, *reclaimable, *what;
} cgroup_memory[] = {
    {NULL, "memory.max", "memory.current", "inactive_file", "the cgroup's memory.max"},
    {"memory", "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file",
     "the cgroup's memory.limit_in_bytes"},
};

/* The least memory left under a limit on cgroup dir (below mount) or an ancestor: limit
 * minus the usage less its inactive page cache, 0 when over; -1 when none has a limit. v2 writes "max" for no limit; v1
 * writes a page-rounded LLONG_MAX (9223372036854771712), so a v1 limit of 2^62 or more is
 * none. A v1 ancestor with memory.use_hierarchy 0 does not count its children's usage, so
 * its limit does not bind them (the v1 memory.rst, "Hierarchy support"). */
static long long hierarchy_memory_left(const char *mount, char *dir, size_t kind)
{
    bool v1 = cgroup_memory[kind].controller != NULL, self = true;
    long long least = -1;
    do {
        long long max = cgroup_number(mount, dir, cgroup_memory[kind].limit);
        if (max >= 0 && !(v1 && max >= (1LL << 62)) &&
            (!v1 || self || cgroup_number(mount, dir, "memory.use_hierarchy") != 0)) {
            long long cur = cgroup_number(mount, dir, cgroup_memory[kind].usage);
            long long cache = cgroup_stat(mount, dir, cgroup_memory[kind].reclaimable);
            if (cur > 0 && cache > 0)
                cur = cache < cur ? cur - cache : 0;
            long long left = cur < 0 ? max : cur < max ? max - cur : 0;
            if (least < 0 || left < least)
                least = left;
        }
        self = false;
    } while (util_cgroup_parent(dir));
    return least;
}

long long util_cgroup_memory_left(const char *cgroup, const char *mountinfo, const char **what)
{
    long long least = -1;
    for (size_t k = 0; k < ARRAY_LEN(cgroup_memory); k++) {
        char mount[4096], dir[4096];
        if (util_cgroup_locate(cgroup, mountinfo, cgroup_memory[k].controller, mount,
                               sizeof mount, dir, sizeof dir) < 0)
            continue;
        long long left = hierarchy_memory_left(mount, dir, k);
        if (left >= 0 && (least < 0 || left < least)) {
            least = left;
            *what = cgroup_memory[k].what;
        }
    }
    return least;
}

long long util_memory_available(const char **what)
{
    long long avail = meminfo_bytes("MemAvailable");
    *what = "MemAvailable";
    char *cgroup = util_read_small_file("/proc/self/cgroup");
    char *mountinfo = util_read_small_file("/proc/self/mountinfo");
    const char *limit;
    long long left = util_cgroup_memory_left(cgroup, mountinfo, &limit);
    if (left >= 0 && (avail < 0 || left < avail)) {
        avail = left;
        *what = limit;
    }
    free(cgroup);
    free(mountinfo);
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

const char *util_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

char *util_next_item(char **cursor, char sep)
{
    char *p = *cursor;
    if (!p)
        return NULL;
    char *end = strchr(p, sep);
    if (end)
        *end = '\0';
    *cursor = end ? end + 1 : NULL;
    return (char *)util_trim(p);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int util_list_dir(const char *dir, char ***names)
{
    *names = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            *names = xrealloc(*names, (size_t)cap * sizeof **names);
        }
        (*names)[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(*names, (size_t)n, sizeof **names, compare_names);
    return n;
}

void util_free_list(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
