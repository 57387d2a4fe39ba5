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
    char key[64];   /* "section.key" the error is about, "" if none: main prefixes the
                     * place that key was set (FILE:LINE) */
} Err;

/* Formats into e->msg (when e is not NULL) and returns -1, so callers can
 * `return err_set(e, ...)`. */
int err_set(Err *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* As err_set, and records which config key ("section.key") the error is about, so the
 * caller that knows the config can say where it was set. msg does not repeat the key. */
int err_set_key(Err *e, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The names in directory dir (without "." and ".."), sorted bytewise, into *names (free
 * with util_free_list); 0 names when dir cannot be read. */
int util_list_dir(const char *dir, char ***names);
void util_free_list(char **names, int n);

/* s (modifiable) without the blanks at its ends: trailing ones are cut, the result points
 * past leading ones. */
const char *util_trim(char *s);

/* Cuts the next item, up to sep or the end, off *cursor (which points into a modifiable
 * copy of a list) and returns it without surrounding blanks; NULL once the list is used
 * up. An empty list still yields one (empty) item, so callers report it. */
char *util_next_item(char **cursor, char sep);

/* Copies in to out (size n, always terminated) with control characters written
 * as \xHH, so quoted text cannot break a message's line. */
void util_escape_controls(char *out, size_t n, const char *in);

/* Out of memory is not a user error: these print "mlptrain: out of memory" and exit(1). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
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

/* True when something (a file, a directory, a FIFO, ...) is at path; nothing is opened. */
int util_exists(const char *path);

/* Opens path for reading in binary mode, refusing what is not a regular file (a directory,
 * a FIFO that would block, a device) with a message saying what it is. NULL with e set. */
FILE *util_open_regular(const char *path, Err *e);

/* The size of regular file path in bytes; -1 with e set (as util_open_regular) if it is
 * missing (errno kept, e.g. ENOENT) or not a regular file (errno = EINVAL). */
long long util_file_size(const char *path, Err *e);
/* As util_file_size, naming what path should be instead of "a regular file":
 * "PATH: is a directory (expected EXPECTED)", e.g. "a checkpoint file". */
long long util_file_size_of(const char *path, const char *expected, Err *e);

/* The whole of regular file path, at most max bytes, NUL-terminated in *out (caller
 * frees), its length in *len. 0, or -1 with e: missing, not a regular file, larger than
 * max, unreadable. */
int util_read_file(const char *path, long long max, char **out, size_t *len, Err *e);

/* The text of a small file whose size stat cannot tell (/proc, /sys), NUL-terminated
 * (caller frees); NULL when it cannot be read or holds 16 MB or more. */
char *util_read_small_file(const char *path);

/* s as one word of a POSIX shell command: itself when it holds nothing the shell reads,
 * else in single quotes ('it'\''s'). Caller frees. */
char *util_shell_word(const char *s);

/* 1 when path is a directory, 0 when it is something else, -1 when it does not exist or
 * cannot be examined (errno says why). */
int util_is_dir(const char *path);

/* True when path is a symbolic link whose target does not exist. */
int util_is_dangling_link(const char *path);

/* size_t products and sums that report overflow: 0 with *out set, -1 on overflow. */
int util_mul_size(size_t a, size_t b, size_t *out);
int util_add_size(size_t a, size_t b, size_t *out);

/* A file a user keeps, written whole or not at all (STYLE.md "Files a user keeps"):
 * written to "PATH.tmp.PID", then flushed, synced, closed and renamed over PATH. A crash
 * or kill at any moment leaves PATH as it was (absent or the previous version), at worst
 * with a stray .tmp file beside it. */
/* What stands between PATH and PID in the temporary's name. */
#define UTIL_ATOMIC_TMP ".tmp."
typedef struct {
    FILE *f;                 /* write here between open and commit */
    char path[4096];
    char tmp[4128];
} AtomicFile;

int util_atomic_open(AtomicFile *a, const char *path, Err *e);
/* Renames the finished file over path. Returns 0, or -1 with e naming the file and the
 * system's reason (a failed write earlier included); the temporary file is removed. */
int util_atomic_commit(AtomicFile *a, Err *e);
/* As util_atomic_commit, but only if path does not exist yet (a hard link, which fails
 * when the name is taken): 0 when created, 1 when path already existed (nothing is
 * changed), -1 with e on failure. This both writes the file whole and claims the name. */
int util_atomic_commit_new(AtomicFile *a, Err *e);
/* Abandons the file: closes and removes the temporary. Safe on a zeroed AtomicFile and
 * after a commit. */
void util_atomic_abort(AtomicFile *a);

/* The process's cgroup v2 directory relative to /sys/fs/cgroup ("/a/b", from the "0::"
 * line of /proc/self/cgroup) into dir; -1 (dir "") when there is none. A limit may sit on
 * the directory or any ancestor: util_cgroup_parent cuts dir to its parent, and returns 0
 * (dir unchanged) at the root's children, since the root holds no limit (v2 has no limit
 * files there; v1's say "unlimited"). */
int util_cgroup_dir(char *dir, size_t n);
int util_cgroup_parent(char *dir);

/* Where this process's cgroup of one hierarchy is, from the texts of /proc/self/cgroup and
 * /proc/self/mountinfo (the parsing behind util_memory_available, exposed for tests; either
 * text may be NULL, as when unreadable). controller "memory" (any v1 controller name) takes
 * the v1 line "ID:CONTROLLERS:PATH" whose comma-separated CONTROLLERS hold it and the mount
 * of a "cgroup" file system whose super options hold it; NULL takes the v2 line "0::PATH"
 * and the "cgroup2" mount. mount receives the mount point ("/sys/fs/cgroup/memory"), dir
 * the cgroup below it ("/a/b", "/" for the mount's root; the mount's root is cut from PATH
 * where a container mounts only its part of the hierarchy), ready for util_cgroup_parent.
 * When mountinfo names no such mount, mount is "/sys/fs/cgroup/CONTROLLER" (v2:
 * "/sys/fs/cgroup") and dir is PATH. Returns 0, or -1 (both "") when the text has no such
 * line, no mount holds PATH (or PATH lies outside this cgroup namespace, "/../x"), or a
 * name does not fit. */
int util_cgroup_locate(const char *cgroup, const char *mountinfo, const char *controller,
                       char *mount, size_t mount_n, char *dir, size_t dir_n);

/* The path of file in cgroup dir below mount, as util_cgroup_locate gives them, into
 * path (n bytes). */
void util_cgroup_file(char *path, size_t n, const char *mount, const char *dir, const char *file);

/* The least memory left under a cgroup memory limit, in bytes, for the process whose
 * /proc/self/cgroup and /proc/self/mountinfo texts these are (util_cgroup_locate finds the
 * cgroups): v2 memory.max minus memory.current and v1 memory.limit_in_bytes minus
 * memory.usage_in_bytes, 0 when over, on the cgroup and each ancestor up to the root's
 * children. v1's "unlimited" (any limit of 2^62 or more) is none, and so is the limit of
 * a v1 ancestor whose memory.use_hierarchy is 0 (it does not count its children's usage).
 * -1 when no limit is readable; otherwise *what receives "the cgroup's memory.max" or "the
 * cgroup's memory.limit_in_bytes", a static string. */
long long util_cgroup_memory_left(const char *cgroup, const char *mountinfo, const char **what);

/* Memory this process can still use, in bytes: MemAvailable from /proc/meminfo, lowered to
 * util_cgroup_memory_left of this process when that is lower (a v1 limit is what Slurm's
 * --mem sets on cgroup v1 nodes). -1 when nothing is readable. *what receives a short
 * description of the limiting figure ("MemAvailable", "the cgroup's memory.max", "the
 * cgroup's memory.limit_in_bytes"), a static string. */
long long util_memory_available(const char **what);

/* "1.5 GB", "820 MB", "12 KB", "512 bytes": for messages. */
void util_format_bytes(char *buf, size_t n, double bytes);

#endif
