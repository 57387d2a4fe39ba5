/* fuzz_config.c - libFuzzer harness for the INI parser with the config key table. The
 * input is INI text, then optionally a NUL byte and --set assignments, one per line:
 *
 *   config_init; config_load_string(text); config_set(line) for each line; config_finish
 *   (stopping at the first error, as main does); then the round trip: config_print,
 *   load that text into a fresh Config, config_finish, config_print again.
 *
 * Asserts: no crash or sanitizer report; an error is a non-empty one-line message with no
 * control character but tab (a CR or an escape quoted raw garbles the terminal); and a
 * config that was accepted prints as INI that loads back without error and prints exactly
 * the same text (config.h: "loads back ... and prints identically again", and the README's
 * promise that RUN/config.ini repeats the run). A mismatch traps and shows both texts. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.ini"

static const uint8_t *input;
static size_t input_size;

/* Shows the input (the INI text, then each --set line) and the detail, and traps. */
static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s\n---- input\n", what);
    size_t i = 0;
    while (i < input_size && input[i])
        fputc(input[i++], stderr);
    if (i < input_size) {
        fputs("\n--set ", stderr);
        for (i++; i < input_size; i++) {
            fputc(input[i], stderr);
            if (input[i] == '\n')
                fputs("--set ", stderr);
        }
    }
    fprintf(stderr, "\n---- detail\n%s\n----\n", detail);
    __builtin_trap();
}

static void check_error(const Err *e)
{
    if (e->msg[0] == '\0' || strchr(e->msg, '\n'))
        fail("error message empty or not one line", e->msg);
    /* A CR, a tab or an escape sequence quoted raw garbles the terminal line. */
    for (const char *m = e->msg; *m; m++)
        if ((unsigned char)*m < 0x20 || *m == 0x7f)
            fail("control character in the error message", e->msg);
}

/* config_print into a malloc'ed string. */
static char *print_to_string(const Config *c)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f)
        abort();
    config_print(c, f);
    if (fclose(f) != 0)
        abort();
    return s;
}

/* Loads `text` (and the --set lines in `sets`, "\n"-separated, empty lines skipped, may be
 * NULL) and finishes; 0 when accepted. */
static int load(Config *c, const char *text, char *sets, Err *e)
{
    config_init(c);
    if (config_load_string(c, FUZZ_NAME, text, e))
        return -1;
    for (char *line = sets; line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (*line && config_set(c, line, e))
            return -1;
        line = nl ? nl + 1 : NULL;
    }
    return config_finish(c, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input = data;
    input_size = size;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);
    char *sets = len < size ? text + len + 1 : NULL;

    static Config c1, c2;
    Err e = {0};
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    int rc = load(&c1, text, sets, &e);
    if (verbose)
        fprintf(stderr, "fuzz: %s\n", rc ? e.msg : "accepted");
    if (rc) {
        check_error(&e);
        config_free(&c1);
        free(text);
        return 0;
    }
    char *printed = print_to_string(&c1);
    if (load(&c2, printed, NULL, &e))
        fail("accepted config does not load back", e.msg);
    char *again = print_to_string(&c2);
    if (strcmp(printed, again) != 0) {
        size_t k = 0;
        while (printed[k] == again[k])
            k++;
        while (k > 0 && printed[k - 1] != '\n')
            k--;
        char detail[1200];
        snprintf(detail, sizeof detail, "first print, from the differing line:\n%.500s\n"
                 "second print:\n%.500s", printed + k, again + k);
        fail("config does not print identically after loading back", detail);
    }
    free(again);
    free(printed);
    config_free(&c2);
    config_free(&c1);
    free(text);
    return 0;
}
