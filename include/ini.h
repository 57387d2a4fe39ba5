/* ini.h - an inih-style INI reader: it splits text into [section] headers and
 * key = value pairs and hands them to a callback, in file order. It knows nothing of
 * what the keys mean, does not store them, and has no global state.
 *
 * Syntax: `[section]`; `key = value` (split at the first '='); full-line comments starting
 * with ';' or '#'; inline comments starting with ';' or '#' only after a blank (so
 * `a#b` is a value, `a #b` is `a`); surrounding blanks trimmed; blank lines ignored;
 * a UTF-8 byte-order mark and CR of CRLF endings are skipped. Errors: a key before any
 * section, a line that is neither, an unterminated '[' or text after ']', an empty
 * section name or key. Lines may be of any length. */
#ifndef MLPTRAIN_INI_H
#define MLPTRAIN_INI_H

#include <stdio.h>

/* Whether c starts a comment (at the start of a line, or after a blank): ';' or '#'. The
 * one list of them: the parser and anything that writes INI text check against it. */
static inline int ini_is_comment_char(int c)
{
    return c == ';' || c == '#';
}
/* The same characters as messages name them. */
#define INI_COMMENT_CHARS_TEXT "';' or '#'"

/* Called for every key with its section, key, value (all trimmed, NUL-terminated,
 * valid only during the call) and 1-based line number; and once for every [section]
 * header with key and value NULL. Returns 0 to continue, a positive value to stop. */
typedef int (*IniHandler)(void *user, const char *section, const char *key,
                          const char *value, int line);

/* A syntax or read error: line is 1-based (0 for a read error), msg has no location. */
typedef struct {
    int line;
    char msg[256];
} IniError;

/* Parses text. Returns 0 when every line was read, -1 on a syntax error (err filled;
 * the handler is not called for that line or any later one), or the handler's positive
 * value when it stopped the parse. err may be NULL. */
int ini_parse_string(const char *text, IniHandler handler, void *user, IniError *err);

/* Reads f to its end and parses it as ini_parse_string does; -1 also on a read error
 * or a NUL byte in the text. Does not close f. */
int ini_parse_file(FILE *f, IniHandler handler, void *user, IniError *err);

#endif
