/* config.h - the one table of configuration keys. From it come the defaults, INI and
 * --set parsing, range checks, cross-key validation, the resolved config that
 * --print-config and the run directory show, and --help-config. Its users are the ones
 * that read or write config files: main.c, run.c (a run's config.ini) and study.c (a
 * sweep's runs); everything below them takes the plain structs in params.h. */
#ifndef MLPTRAIN_CONFIG_H
#define MLPTRAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "params.h"
#include "sweep.h"
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
    char override_kind[CONFIG_MAX_OVERRIDES]; /* 's' --set, 't' --threads, 'w' a sweep's
                                            * value (--sweep or, applied by
                                            * config_apply_point, a [sweep] line), 'v'
                                            * a variant's assignment (not in the run's
                                            * name: output.variant names it) */
    Sweep sweep;                           /* [sweep] and --sweep (sweep.h); empty for a
                                            * single run */
} Config;

/* Fills every key with its default. */
void config_init(Config *c);
void config_free(Config *c);

/* Reads an INI file (one per run: source remembers the last one). Keys not in the file
 * keep their values. A key given twice in the file, an unknown section or key, or a value
 * that does not parse or is out of range is an error:
 * "PATH:LINE: section.key: what is wrong (expected ...)"; so is a file that sets no key
 * (empty, or only comments and section headers; a [sweep] line counts as a key):
 * "PATH: sets no key (...)". */
int config_load_file(Config *c, const char *path, Err *e);

/* As config_load_file, from text in memory; name stands for the path in messages and in
 * the derived run name. */
int config_load_string(Config *c, const char *name, const char *text, Err *e);

/* Applies one "section.key=value" override through the same table and checks. Errors name
 * the override: "--set section.key=value: ...". */
int config_set(Config *c, const char *assignment, Err *e);
/* --threads N: the same as config_set "train.threads=N", named "--threads N" in messages. */
int config_set_threads(Config *c, const char *count, Err *e);

/* An override from the command line, in the order given. */
typedef enum { CONFIG_SET, CONFIG_THREADS, CONFIG_SWEEP } ConfigOverrideKind;
typedef struct {
    ConfigOverrideKind kind;  /* --set section.key=value, --threads N, --sweep section.key=v1|v2 */
    const char *text;         /* the option's value as given */
} ConfigOverride;

/* Applies one override: config_set, config_set_threads or config_sweep_add. */
int config_override(Config *c, const ConfigOverride *o, Err *e);

/* Loads the file at path (none when NULL) into c (initialized), then applies the --set and
 * --threads overrides in order, then, when sweep is true, the --sweep ones. -1 with e on
 * the first error. */
int config_load(Config *c, const char *path, const ConfigOverride *ov, int n, bool sweep,
                Err *e);

/* After all files and overrides: resolves dependent defaults (AdamW weight decay 0.01
 * when not set, bias_init auto, dataset mean/std to params_channels() values with
 * n_mean = n_std = channels, schedule step_unit auto, plateau mode from metric, run name)
 * and checks the rules that span keys (nesterov needs momentum, plateau needs a
 * validation split, ...). Errors name the keys involved and where they were set.
 * Left as given, for the schedule module to resolve knowing the run length:
 * sched.T_max = 0 (the whole run), sched.max_iter = 0 (all iterations), sched.max_lr = 0
 * (optim.lr). Call once. */
int config_finish(Config *c, Err *e);

/* Adds a swept key from the command line: "section.key=v1|v2|v3" (--sweep). */
int config_sweep_add(Config *c, const char *assignment, Err *e);


/* After loading and --set/--sweep, before config_finish: checks the zip groups (known,
 * swept keys; lists of one length), that no --set overrides a swept key or a variant's
 * key, that no two variants make the same run with the config's values, and counts the
 * runs (variants x points x seeds) into *n_runs, refusing more than max_runs. */
int config_sweep_check(const Config *c, long max_runs, long *n_runs, Err *e);

/* Applies a point's overrides to c (loaded like the sweep's config, not finished) and
 * drops c's sweep, so that c is the single run of that point: its derived name carries
 * the overrides (a variant's as "variant=NAME", its output.variant) and its config.ini has
 * no [sweep]. Errors name the [sweep] line or --sweep option the value came from. */
int config_apply_point(Config *c, const SweepPoint *pt, Err *e);

/* The run's name: output.name when set, else the one config_finish would derive (the
 * file's base name and "_key=value" per override). */
int config_run_name(const Config *c, char *buf, size_t n, Err *e);

/* Whether a and b (both finished) describe runs with different results: 1 with the first
 * difference in what ("model.hidden = 32, not 16": a's value, then b's), else 0. Keys
 * that change no result (config_key_affects_results) are not compared. */
int config_diff(const Config *a, const Config *b, char *what, size_t n);

/* Whether key "section.key" changes a run's results (every key but [output] and
 * train.threads): for comparing runs and for the keys that name them. */
int config_key_affects_results(const char *full_key);

/* A hash of every value that changes a run's results (config_key_affects_results) and
 * differs from its key's default, as the resolved config spells it: equal for configs
 * config_diff finds no difference in (both finished). A checkpoint records it to recognise
 * its run. A key added later with a default that keeps the old behaviour leaves the hash
 * of every earlier run as it was, so their checkpoints still resume; a default changed
 * later does not (the run's config.ini spells the old value, now not the default). */
uint64_t config_result_hash(const Config *c);

/* Where key "section.key" got its value, for messages about it: "PATH:LINE" for a line of
 * the file, "--set section.key=value" for an override, else PATH (or "config" without a
 * file). Returns -1 (with PATH in buf) when no such key exists. */
int config_locate(const Config *c, const char *full_key, char *buf, size_t n);

/* The text of an error about c, as the command line prints it after "mlptrain: ":
 * "WHERE: section.key: message" when e names a key (WHERE is the line or option that gave
 * the key its value; an option names the key already), else the message; context, when
 * not NULL, is added in parentheses. Control characters are escaped (--set text is quoted
 * as given). */
void config_error_text(const Config *c, const Err *e, const char *context, char *buf, size_t n);

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
