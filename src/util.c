/* util.c - see util.h. Directory creation is the one POSIX call (mkdir): ISO C has none. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int err_set(Err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void oom(void)
{
    fputs("mlptrain: out of memory\n", stderr);
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom();
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
        return err_set(e, "'%s' exists and is not a directory", path);
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
