/* config.h - the one table of configuration keys. From it come the defaults, INI and
 * --set parsing, range checks, cross-key validation, the resolved config that
 * --print-config and the run directory show, and --help-config. Only main.c uses this
 * module; everything else reads the plain structs in params.h. */
#ifndef MLPTRAIN_CONFIG_H
#define MLPTRAIN_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "params.h"
#include "util.h"

#define CONFIG_MAX_KEYS 128
#define CONFIG_MAX_OVERRIDES 64

typedef struct {
    RunParams run;
    bool is_set[CONFIG_MAX_KEYS];          /* per table row: given in the file or by --set */
    int line[CONFIG_MAX_KEYS];             /* per table row, where it was set: > 0 line in
                                            * source, -n the n-th override, 0 not set */
    char source[PARAMS_PATH_MAX];          /* config file path, "" when none */
    int n_overrides;
    char *overrides[CONFIG_MAX_OVERRIDES]; /* "section.key=value" as given, owned */
} Config;

/* Fills every key with its default. */
void config_init(Config *c);
void config_free(Config *c);

/* Reads an INI file (one per run: source remembers the last one). Keys not in the file
 * keep their values. A key given twice in the file, an unknown section or key, or a value
 * that does not parse or is out of range is an error:
 * "PATH:LINE: section.key: what is wrong (expected ...)". */
int config_load_file(Config *c, const char *path, Err *e);

/* As config_load_file, from text in memory; name stands for the path in messages and in
 * the derived run name. */
int config_load_string(Config *c, const char *name, const char *text, Err *e);

/* Applies one "section.key=value" override through the same table and checks. Errors name
 * the override: "--set section.key=value: ...". */
int config_set(Config *c, const char *assignment, Err *e);

/* After all files and overrides: resolves dependent defaults (AdamW weight decay 0.01
 * when not set, bias_init auto, dataset mean/std to params_channels() values with
 * n_mean = n_std = channels, schedule step_unit auto, plateau mode from metric, run name)
 * and checks the rules that span keys (nesterov needs momentum, plateau needs a
 * validation split, ...). Errors name the keys involved and where they were set.
 * Left as given, for the schedule module to resolve knowing the run length:
 * sched.T_max = 0 (the whole run), sched.max_iter = 0 (all iterations), sched.max_lr = 0
 * (optim.lr). Call once. */
int config_finish(Config *c, Err *e);

/* Where key "section.key" got its value, for messages about it: "PATH:LINE" for a line of
 * the file, "--set section.key=value" for an override, else PATH (or "config" without a
 * file). Returns -1 (with PATH in buf) when no such key exists. */
int config_locate(const Config *c, const char *full_key, char *buf, size_t n);

/* Writes the resolved configuration (after config_finish) as INI that config_load_file
 * accepts and that prints identically again: every key in table order. The one exception:
 * with train.max_iterations > 0, epochs is written as a comment, since giving both is
 * an error. */
void config_print(const Config *c, FILE *f);

/* Writes the key reference: section.key, type, default, range or choices and help for
 * every key, then the formula of every schedule type. */
void config_print_help(FILE *f);

/* The table, for tests and tools: for 0 <= i < number of keys sets the section, key name
 * and default text of row i and returns 0; returns -1 past the end. */
int config_key_info(int i, const char **section, const char **key, const char **def);

#endif
