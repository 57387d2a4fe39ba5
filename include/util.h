/* util.h - small helpers every module uses: user-facing errors as values, allocation
 * that reports and exits, strict number parsing, big-endian reads, clocks, memory use.
 * Nothing here knows about MLPs or config files. */
#ifndef MLPTRAIN_UTIL_H
#define MLPTRAIN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A user's mistake travels up as an Err filled by err_set and is printed once by main
 * as "mlptrain: <msg>". msg already carries "file:line: key: " where that applies. */
typedef struct {
    char msg[2048];
} Err;

/* Formats into e->msg (when e is not NULL) and returns -1, so callers can
 * `return err_set(e, ...)`. */
int err_set(Err *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Out of memory is not a user error: these print "mlptrain: out of memory" and exit(1). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *s);

/* Strict parsers: the whole of s (surrounding blanks allowed) must be one number.
 * Return 0 on success, -1 when s is not a number, -2 when it is out of the type's range. */
int util_parse_long(const char *s, long *out);
int util_parse_double(const char *s, double *out);
/* Unsigned 64-bit, same contract; a minus sign is out of range (strtoull would wrap it). */
int util_parse_ullong(const char *s, unsigned long long *out);

/* Big-endian 32-bit unsigned from 4 bytes. */
uint32_t util_be32(const unsigned char *p);

/* Monotonic wall-clock seconds (C11 timespec_get with TIME_UTC). */
double util_now(void);

/* Peak resident set size in bytes (VmHWM from /proc/self/status), or -1 when unreadable. */
long long util_peak_rss_bytes(void);

/* Copies src into dst of size n, always NUL-terminated. Returns -1 if it did not fit. */
int util_strlcpy(char *dst, const char *src, size_t n);

/* Creates directory path and any missing parents (like mkdir -p). */
int util_mkdirs(const char *path, Err *e);

/* Creates directory path, which must not exist yet: returns 0 when created, 1 when it
 * already exists, -1 (with e) on any other failure. Parents must exist. */
int util_mkdir_new(const char *path, Err *e);

/* True when a file (or directory) at path can be opened for reading. */
int util_exists(const char *path);

#endif
