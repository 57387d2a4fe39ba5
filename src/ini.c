/* ini.c - see ini.h. Works on a private copy of the text, one line at a time, so a
 * line can be of any length; it never interprets keys or values. */
#include "ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int ini_fail(IniError *err, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int ini_fail(IniError *err, int line, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->line = line;
    }
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims blanks in place; returns the new start. */
static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* The first 60 bytes of s for a message, control characters written as \xHH so that an
 * escape sequence cannot garble the terminal line. Returns buf. */
static const char *quote(const char *s, char *buf, size_t n)
{
    char cut[61];
    snprintf(cut, sizeof cut, "%s", s);
    util_escape_controls(buf, n, cut);
    return buf;
}

/* Cuts s (not empty) at the first comment character that follows a blank. */
static void strip_inline_comment(char *s)
{
    for (char *p = s + 1; *p; p++) {
        if (ini_is_comment_char(*p) && is_blank(p[-1])) {
            *p = '\0';
            return;
        }
    }
}

/* Parses one line (already NUL-terminated, modifiable). section is the current
 * section name buffer (a pointer into the caller's copy), updated on headers. */
static int parse_line(char *raw, int line, char **section, IniHandler handler, void *user,
                      IniError *err)
{
    char q[256];
    char *s = trim(raw);
    if (*s == '\0' || ini_is_comment_char(*s))
        return 0;
    strip_inline_comment(s);
    s = trim(s);
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close)
            return ini_fail(err, line, "unterminated section header '%s' (expected ']')",
                            quote(s, q, sizeof q));
        if (close[1] != '\0')
            return ini_fail(err, line, "unexpected text '%s' after section header",
                            quote(close + 1, q, sizeof q));
        *close = '\0';
        char *name = trim(s + 1);
        if (*name == '\0')
            return ini_fail(err, line, "empty section name");
        *section = name;
        return handler(user, name, NULL, NULL, line);
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return ini_fail(err, line, "'%s' is neither '[section]' nor 'key = value' (missing '=')",
                        quote(s, q, sizeof q));
    *eq = '\0';
    char *key = trim(s);
    char *value = trim(eq + 1);
    if (*key == '\0')
        return ini_fail(err, line, "missing key before '='");
    if (!*section)
        return ini_fail(err, line, "key '%s' outside any section (add a [section] line above it)",
                        quote(key, q, sizeof q));
    return handler(user, *section, key, value, line);
}

/* Parses buf[0..n) in place; buf[n] must be writable. */
static int parse_buffer(char *buf, size_t n, IniHandler handler, void *user, IniError *err)
{
    char *section = NULL;
    size_t i = 0;
    int line = 0;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n) {
        line++;
        char *start = buf + i;
        /* A line ends at LF, CRLF or a lone CR (old Mac files), whichever comes first. */
        size_t len = strcspn(start, "\r\n");
        if (start + len < buf + n && start[len] == '\0')
            return ini_fail(err, line, "NUL byte in the text (is this a binary file?)");
        size_t skip = len < n - i ? 1 : 0;
        if (start[len] == '\r' && len + 1 < n - i && start[len + 1] == '\n')
            skip = 2;
        start[len] = '\0';
        i += len + skip;
        /* The section name points into an earlier line of buf, which stays intact. */
        int rc = parse_line(start, line, &section, handler, user, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int ini_parse_string(const char *text, IniHandler handler, void *user, IniError *err)
{
    size_t n = strlen(text);
    char *buf = xmalloc(n + 1);
    memcpy(buf, text, n + 1);
    int rc = parse_buffer(buf, n, handler, user, err);
    free(buf);
    return rc;
}

int ini_parse_file(FILE *f, IniHandler handler, void *user, IniError *err)
{
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - n < 2) {
            char *bigger = xmalloc(cap * 2);
            memcpy(bigger, buf, n);
            free(buf);
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return ini_fail(err, 0, "read error: %s", strerror(errno));
    }
    buf[n] = '\0';
    int rc = parse_buffer(buf, n, handler, user, err);
    free(buf);
    return rc;
}
