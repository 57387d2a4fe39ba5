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
    char source[PARAMS_PATH_MAX];          /* config file path, "" when none */
    int n_overrides;
    char *overrides[CONFIG_MAX_OVERRIDES]; /* "section.key=value" as given, owned */
} Config;

/* Fills every key with its default. */
void config_init(Config *c);
void config_free(Config *c);

/* Reads an INI file. Errors: "PATH:LINE: section.key: what is wrong (expected ...)". */
int config_load_file(Config *c, const char *path, Err *e);

/* Applies one "section.key=value" override through the same table and checks. Errors name
 * the override: "--set section.key=value: ...". */
int config_set(Config *c, const char *assignment, Err *e);

/* After all files and overrides: resolves dependent defaults (AdamW weight decay, bias
 * init, dataset mean/std, schedule step unit, plateau mode, T_max, run name) and checks
 * the rules that span keys (nesterov needs momentum, plateau needs a validation split,
 * ...). Errors name the keys involved. */
int config_finish(Config *c, Err *e);

/* Writes the resolved configuration as INI that config_load_file accepts. */
void config_print(const Config *c, FILE *f);

/* Writes the key reference: section, key, type, default, range, help. */
void config_print_help(FILE *f);

#endif
