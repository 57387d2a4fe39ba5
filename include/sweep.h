/* sweep.h - a sweep's syntax and its runs: the lines of a [sweep] section and --sweep
 * options ("section.key = v1 | v2", "zip = a.b, c.d", "seeds = 1, 2, 3",
 * "variant NAME = a.b = v & c.d = w"), checked as they are read; the runs they make (the
 * cartesian product of the swept keys, zipped keys advancing together, the variants one
 * more axis whose values are sets of assignments, each point repeated for every seed) and
 * each run's overrides;
 * Slurm's array syntax for a list of run indices; and a few worker threads that take runs
 * one after another. Keys and their values are the config's to know: it hands them in as
 * SweepKeys. The study itself (which runs, their configs, their directories) is study.c's. */
#ifndef MLPTRAIN_SWEEP_H
#define MLPTRAIN_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "params.h"
#include "util.h"

#define SWEEP_MAX_AXES 32      /* swept keys */
#define SWEEP_MAX_ZIPS 16
#define SWEEP_MAX_SEEDS 1000
#define SWEEP_MAX_POINTS 10000 /* runs in a sweep unless the caller raises it */
#define SWEEP_VALUE_MAX 4096   /* a value's canonical text (SweepKeys.canon), with its NUL */
#define SWEEP_MAX_VARIANTS 1000
#define SWEEP_MAX_VARIANT_KEYS 32 /* assignments of one variant */
#define SWEEP_NAME_MAX 64      /* a variant's name, with its NUL */
#define SWEEP_MAX_ASSIGNMENTS (SWEEP_MAX_AXES + SWEEP_MAX_VARIANT_KEYS + 1) /* of a run */

/* One swept key of a [sweep] section ("section.key = v1 | v2 | v3") or a --sweep option. */
typedef struct {
    int key;              /* the key's row in the caller's key table (SweepKeys) */
    char name[64];        /* "section.key" */
    int n_values;
    char **values;        /* owned; each checked as a value of the key */
    int line;             /* line in the source, or -n for the n-th --sweep (cli[n-1]) */
    int zip;              /* zip group (paired with other axes), -1 = crossed with the rest */
} SweepAxis;

/* One assignment of a variant: "section.key = value". */
typedef struct {
    int key;              /* the key's row (SweepKeys) */
    char name[64];        /* "section.key" */
    char *value;          /* as written, owned; checked as a value of the key */
    char *canon;          /* its canonical text (SweepKeys.canon), owned */
} SweepAssign;

/* A named variant of the config ("variant NAME = a.b = v & c.d = w"): its assignments
 * replace the config's own values of those keys; none = the config as it is. */
typedef struct {
    char name[SWEEP_NAME_MAX]; /* letters, digits, '.', '_', '-'; a letter or digit first */
    int line;             /* line in the source */
    int n;
    SweepAssign *set;     /* [n], owned */
} SweepVariant;

/* A study: the runs are the cartesian product of the variants (when there are any: they
 * vary slowest) and the axes (zipped axes advance together), each repeated for every seed.
 * Zeroed = no sweep. */
typedef struct {
    int n_variants;
    SweepVariant *variants; /* [n_variants], owned */
    int n_axes;
    SweepAxis axes[SWEEP_MAX_AXES];
    int n_zips;
    int zip_line[SWEEP_MAX_ZIPS];         /* line in the source of each zip */
    int zip_n[SWEEP_MAX_ZIPS];
    int zip_keys[SWEEP_MAX_ZIPS][SWEEP_MAX_AXES]; /* key rows of each zip */
    char zip_names[SWEEP_MAX_ZIPS][SWEEP_MAX_AXES][64];
    int n_seeds;          /* 0 = the config's own train.seed only */
    unsigned long long seeds[SWEEP_MAX_SEEDS];
    int seeds_line;
    int n_cli;
    char *cli[SWEEP_MAX_AXES]; /* --sweep options as given, owned */
} Sweep;

/* The overrides that make run `index` of a sweep (sweep_point). */
typedef struct {
    long index;           /* = point * n_seeds + seed */
    long point, seed;     /* the point (variant and values of the axes) and the seed's position */
    int variant;          /* index into Sweep.variants, -1 = the sweep has none */
    char variant_name[SWEEP_NAME_MAX]; /* "" when variant = -1 */
    int variant_line;     /* its line in the source */
    int n;
    char assignment[SWEEP_MAX_ASSIGNMENTS][PARAMS_EXPR_MAX + 96]; /* "section.key=value" */
    int line[SWEEP_MAX_ASSIGNMENTS]; /* where each came from, as SweepAxis.line */
    bool of_variant[SWEEP_MAX_ASSIGNMENTS]; /* one of the variant's assignments (the caller
                                             * names the run by the variant's name instead) */
} SweepPoint;

/* The config's keys, as a sweep needs them. */
typedef struct {
    void *ctx;
    /* The row of key "section.key" (section NULL when the name has no dot) that a sweep may
     * vary, or -1 with e: unknown (with a did-you-mean showing value after the key), or one
     * that changes no result; what prefixes messages ("FILE:LINE" or "--sweep TEXT"). */
    int (*find)(void *ctx, const char *what, const char *section, const char *key,
                const char *value, Err *e);
    /* Checks text as a value of row k: 0, or -1 with why in msg. */
    int (*check)(void *ctx, int k, const char *text, char *msg, size_t n);
    /* The value text (which check accepted) of row k as the resolved config spells it, into
     * buf (SWEEP_VALUE_MAX holds any): one text for every spelling of a value ("8" and
     * "08", "0.1" and "1e-1", "true" and "yes"), so a sweep can refuse a value twice. */
    void (*canon)(void *ctx, int k, const char *text, char *buf, size_t n);
    /* "section.key" of row k into buf. */
    void (*name)(void *ctx, int k, char *buf, size_t n);
    /* The value of row k in the config being swept (ctx), as canon spells it; NULL when
     * there is none to compare with (sweep_check_variants then compares assignments only). */
    void (*current)(void *ctx, int k, char *buf, size_t n);
} SweepKeys;

/* Frees what sw owns and zeroes it. */
void sweep_free(Sweep *sw);

/* Whether sw describes a sweep (any axis, variant or seed list). */
bool sweep_has(const Sweep *sw);

/* One line of a [sweep] section: "seeds", "zip", "variant NAME" or a swept key; line > 0.
 * -1 with e, whose message starts with what ("FILE:LINE"). A variant's value is its
 * assignments, "section.key = value" separated by '&' (';' starts an INI comment after a
 * blank, and ',' separates list items), or nothing for the config's own values; each key
 * known, sweepable and given once, each value checked; no name given twice; no two
 * variants with the same assignments. */
int sweep_line(Sweep *sw, const SweepKeys *k, const char *what, const char *key,
               const char *value, int line, Err *e);

/* A --sweep option: "section.key=v1|v2|v3". -1 with e. */
int sweep_option(Sweep *sw, const SweepKeys *k, const char *assignment, Err *e);

/* After every line and option: pairs the zip groups (known, swept keys; lists of one
 * length), refuses a key that is both in a variant and swept, and counts the runs
 * (variants x points of the axes x seeds) into *n_runs, refusing more than max_runs.
 * source names the config in messages (lines are "source:LINE"). -1 with e. */
int sweep_check(Sweep *sw, const char *source, long max_runs, long *n_runs, Err *e);

/* After sweep_check, with the config's values at hand (k->current): refuses two variants
 * that make the same run, a key a variant leaves alone taking the config's own value
 * ("variant a = optim.lr = 0.1" is "variant b =" when the config says lr = 0.1). -1 with
 * e naming both lines. */
int sweep_check_variants(const Sweep *sw, const SweepKeys *k, const char *source, Err *e);

/* Where axis ax was given, for messages: "SOURCE:LINE" or "--sweep TEXT". */
void sweep_axis_where(const Sweep *sw, const SweepAxis *ax, const char *source, char *buf,
                      size_t n);

/* The overrides of run index (0 <= index < n_runs, after sweep_check): the variant's
 * assignments (of_variant), then the axes, slowest first, then train.seed when seeds are
 * listed. */
void sweep_point(const Sweep *sw, long index, SweepPoint *pt);

/* "model.hidden=64, optim.lr=0.1, train.seed=2": a point's overrides for messages and
 * listings; a variant comes first as "variant=NAME (a.b=v & c.d=w)", or "variant=NAME"
 * when it has no assignments. */
void sweep_point_text(const SweepPoint *pt, char *buf, size_t n);

/* Writes sw as a [sweep] section that sweep_line reads back the same (nothing when sw is
 * empty). */
void sweep_print(const Sweep *sw, FILE *f);

/* Writes indices idx[0..n) (ascending) in Slurm --array syntax, e.g. "3,7-9", into buf;
 * "" for none. Returns -1 if buf is too small. */
int sweep_array_syntax(const long *idx, long n, char *buf, size_t size);

/* Runs fn(ctx, item, slot) for item = 0..n_items-1 on n_jobs threads (slot = 0..n_jobs-1
 * says which), each thread taking the next item when it finishes one, until all are done
 * or *stop becomes non-zero (no new item starts then). n_jobs = 1 runs on the caller.
 * Returns -1 if the threads cannot start. */
typedef void (*SweepJob)(void *ctx, long item, int slot);
int sweep_run_jobs(int n_jobs, long n_items, SweepJob fn, void *ctx,
                   volatile sig_atomic_t *stop);

#endif
