/* test_sweep.c - sweeps below the command line: the [sweep] section and --sweep through
 * the config table (values checked per key, zip, seeds, variants, the run count and its
 * limit, the overrides and names of every run), and the helpers of sweep.c (Slurm array
 * syntax, the state of a run directory, clearing an unfinished run). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "rundir.h"
#include "sweep.h"
#include "test.h"

static const char *const study =
    "[data]\npath = data/mnist\n[model]\nhidden = 32\n[train]\nepochs = 2\n"
    "[sweep]\n"
    "model.hidden = 16 | 32 | 64\n"
    "optim.lr = 0.1 | 0.05\n"
    "schedule.type = constant | cosine\n"
    "zip = optim.lr, schedule.type\n"
    "seeds = 1, 2\n";

static int load(Config *c, const char *text, Err *e)
{
    config_init(c);
    return config_load_string(c, "study.ini", text, e);
}

static void test_points(void)
{
    Config c;
    Err e = {0};
    long n = 0;
    CHECK(load(&c, study, &e) == 0);
    CHECK(sweep_has(&c.sweep));
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == 0);
    CHECK(n == 12); /* 3 widths x 2 zipped (lr, schedule) x 2 seeds */
    SweepPoint pt;
    char text[1024];
    sweep_point(&c.sweep, 0, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("model.hidden=16, optim.lr=0.1, schedule.type=constant, train.seed=1", text);
    CHECK(pt.point == 0 && pt.seed == 0);
    sweep_point(&c.sweep, 3, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("model.hidden=16, optim.lr=0.05, schedule.type=cosine, train.seed=2", text);
    CHECK(pt.point == 1 && pt.seed == 1);
    sweep_point(&c.sweep, 11, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("model.hidden=64, optim.lr=0.05, schedule.type=cosine, train.seed=2", text);
    CHECK(pt.line[0] == 8 && pt.line[3] == 12); /* where each value came from */

    /* A run's config: the base file, the run's overrides, no [sweep] left, a derived name. */
    Config pc;
    CHECK(load(&pc, study, &e) == 0);
    CHECK(config_apply_point(&pc, &pt, &e) == 0);
    CHECK(!sweep_has(&pc.sweep));
    CHECK(config_finish(&pc, &e) == 0);
    CHECK(pc.run.model.hidden[0] == 64 && pc.run.optim.lr == 0.05 &&
          pc.run.sched.type == SCHED_COSINE && pc.run.train.seed == 2);
    CHECK_STR("study_hidden=64_lr=0.05_type=cosine_seed=2", pc.run.output.name);
    char where[256];
    config_locate(&pc, "model.hidden", where, sizeof where);
    CHECK_STR("study.ini:8", where);

    /* Two runs of one point differ only by the seed, which config_diff does not skip. */
    Config qc;
    SweepPoint q;
    sweep_point(&c.sweep, 10, &q);
    CHECK(load(&qc, study, &e) == 0);
    CHECK(config_apply_point(&qc, &q, &e) == 0);
    CHECK(config_finish(&qc, &e) == 0);
    char key[256] = "";
    CHECK(config_diff(&pc, &qc, key, sizeof key) == 1);
    CHECK_STR("train.seed = 2, not 1", key);
    CHECK(config_diff(&pc, &pc, key, sizeof key) == 0);
    config_free(&qc);
    config_free(&pc);
    config_free(&c);
}

/* Named variants: one more axis, slowest, whose values are sets of assignments over the
 * config's own values; crossed with a swept key and the seeds. */
static const char *const variants =
    "[data]\npath = data/mnist\n[model]\nhidden = 32, 32\nactivation = sigmoid\n"
    "[optim]\nlr = 0.1\n[train]\nepochs = 2\n"
    "[sweep]\n"
    "variant baseline =\n"
    "variant deep = model.hidden = 32, 32, 32, 32, 32, 32\n"
    "variant relu_adam = model.activation = relu & optim.optimizer=adam\n"
    "train.batch_size = 32 | 64\n"
    "seeds = 1, 2\n";

static void test_variants(void)
{
    Config c;
    Err e = {0};
    long n = 0;
    CHECK(load(&c, variants, &e) == 0);
    CHECK(sweep_has(&c.sweep) && c.sweep.n_variants == 3);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == 0);
    CHECK(n == 12); /* 3 variants x 2 batch sizes x 2 seeds */
    CHECK(config_sweep_check(&c, 11, &n, &e) == -1);
    CHECK_STR("study.ini: the sweep has 12 runs (3 variants x 2 x 2 seeds), more than 11 "
              "(expected fewer values, or --max-points to raise the limit)", e.msg);
    SweepPoint pt;
    char text[1024];
    sweep_point(&c.sweep, 0, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("variant=baseline, train.batch_size=32, train.seed=1", text);
    CHECK(pt.variant == 0 && pt.point == 0 && pt.n == 2 && !pt.of_variant[0]);
    sweep_point(&c.sweep, 5, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("variant=deep (model.hidden=32, 32, 32, 32, 32, 32), train.batch_size=32, "
              "train.seed=2", text);
    CHECK(pt.variant == 1 && pt.point == 2 && pt.seed == 1);
    sweep_point(&c.sweep, 11, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("variant=relu_adam (model.activation=relu & optim.optimizer=adam), "
              "train.batch_size=64, train.seed=2", text);
    CHECK(pt.variant == 2 && pt.point == 5 && pt.n == 4);
    CHECK(pt.of_variant[0] && pt.of_variant[1] && !pt.of_variant[2] && !pt.of_variant[3]);
    CHECK(pt.line[0] == 13 && pt.line[1] == 13 && pt.line[2] == 14 && pt.variant_line == 13);

    /* The run: the variant's values over the config's, named by the variant, which its
     * config records; the values it leaves alone are the config's. */
    Config pc;
    CHECK(load(&pc, variants, &e) == 0);
    CHECK(config_apply_point(&pc, &pt, &e) == 0);
    CHECK(!sweep_has(&pc.sweep));
    CHECK(config_finish(&pc, &e) == 0);
    CHECK(pc.run.model.activation == ACT_RELU && pc.run.optim.optimizer == OPTIM_ADAM &&
          pc.run.optim.lr == 0.1 && pc.run.model.n_hidden == 2 &&
          pc.run.train.batch_size == 64 && pc.run.train.seed == 2);
    CHECK_STR("study_variant=relu_adam_batch_size=64_seed=2", pc.run.output.name);
    CHECK_STR("relu_adam", pc.run.output.variant);
    char where[256];
    config_locate(&pc, "optim.optimizer", where, sizeof where);
    CHECK_STR("study.ini:13", where);
    /* Two variants' runs differ by their values and by the variant; the checkpoint's hash
     * sees only what is computed. */
    Config qc;
    SweepPoint q;
    sweep_point(&c.sweep, 0, &q);
    CHECK(load(&qc, variants, &e) == 0);
    CHECK(config_apply_point(&qc, &q, &e) == 0);
    CHECK(config_finish(&qc, &e) == 0);
    CHECK_STR("study_variant=baseline_batch_size=32_seed=1", qc.run.output.name);
    CHECK(qc.run.model.activation == ACT_SIGMOID && qc.run.optim.optimizer == OPTIM_SGD);
    char key[256] = "";
    CHECK(config_diff(&pc, &qc, key, sizeof key) == 1);
    config_free(&qc);
    CHECK(load(&qc, variants, &e) == 0);
    CHECK(config_apply_point(&qc, &pt, &e) == 0);
    CHECK(config_finish(&qc, &e) == 0);
    uint64_t h = config_result_hash(&qc);
    CHECK(config_set(&qc, "output.variant=other", &e) == 0);
    CHECK(config_result_hash(&qc) == h);
    CHECK(config_diff(&pc, &qc, key, sizeof key) == 1);
    CHECK_STR("output.variant = relu_adam, not other", key);
    config_free(&qc);
    config_free(&pc);
    config_free(&c);

    /* Variants alone, with seeds: the runs are named by variant and seed only. */
    CHECK(load(&c, "[model]\nhidden = 32\n[sweep]\nvariant wide = model.hidden = 512, 512\n"
               "variant base =\nseeds = 3, 4\n", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == 0 && n == 4);
    sweep_point(&c.sweep, 2, &pt);
    sweep_point_text(&pt, text, sizeof text);
    CHECK_STR("variant=base, train.seed=3", text);
    CHECK(load(&pc, "[model]\nhidden = 32\n[sweep]\nvariant wide = model.hidden = 512, 512\n"
               "variant base =\nseeds = 3, 4\n", &e) == 0);
    CHECK(config_apply_point(&pc, &pt, &e) == 0);
    CHECK(config_finish(&pc, &e) == 0);
    CHECK_STR("study_variant=base_seed=3", pc.run.output.name);
    CHECK(pc.run.model.n_hidden == 1 && pc.run.model.hidden[0] == 32);
    config_free(&pc);
    config_free(&c);
}

static void test_cli_sweep(void)
{
    Config c;
    Err e = {0};
    long n = 0;
    CHECK(load(&c, "[train]\nepochs = 1\n", &e) == 0);
    CHECK(!sweep_has(&c.sweep));
    CHECK(config_sweep_add(&c, "model.hidden=8|16|32", &e) == 0);
    CHECK(config_sweep_add(&c, "train.batch_size = 32 | 64", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == 0);
    CHECK(n == 6);
    CHECK(config_sweep_check(&c, 5, &n, &e) == -1);
    CHECK_STR("study.ini: the sweep has 6 runs (3 x 2), more than 5 (expected fewer values, or "
              "--max-points to raise the limit)", e.msg);
    SweepPoint pt;
    sweep_point(&c.sweep, 5, &pt);
    Config pc;
    CHECK(load(&pc, "[train]\nepochs = 1\n", &e) == 0);
    CHECK(config_apply_point(&pc, &pt, &e) == 0);
    CHECK(config_finish(&pc, &e) == 0);
    char where[256];
    config_locate(&pc, "train.batch_size", where, sizeof where);
    CHECK_STR("--sweep train.batch_size=64", where);
    config_free(&pc);
    config_free(&c);
}

/* Each bad sweep and its exact message. */
static void test_errors(void)
{
    static const struct {
        const char *sweep, *msg;
    } cases[] = {
        {"model.hiden = 1 | 2\n", "study.ini:2: unknown key 'hiden' in section [model]; did you "
                                  "mean 'hidden'?"},
        {"lr = 0.1 | 0.2\n", "study.ini:2: missing section (expected section.key=value); did you "
                             "mean optim.lr=v1 | v2?"},
        {"model.hidden =\n", "study.ini:2: sweep model.hidden: empty value list (expected v1 | "
                             "v2 | ...)"},
        {"model.hidden = 8 | | 16\n", "study.ini:2: sweep model.hidden: value 2 of 3 is empty "
                                      "(expected v1 | v2 | ...)"},
        {"model.hidden = 8 | 0\n", "study.ini:2: sweep model.hidden: value 2: '0' is out of range "
                                   "(expected a comma-separated list of at most 64 integers in "
                                   "[1, 1000000])"},
        {"model.hidden = 8 | 8\n", "study.ini:2: sweep model.hidden: '8' is listed twice"},
        /* the same value spelled differently would train the same run twice */
        {"model.hidden = 8 | 16 | 08\n", "study.ini:2: sweep model.hidden: '08' is the same value "
                                        "as '8' (listed twice)"},
        {"optim.lr = 0.1 | 0.2 | 1e-1\n", "study.ini:2: sweep optim.lr: '1e-1' is the same value "
                                         "as '0.1' (listed twice)"},
        {"optim.lr = 0.10 | 0.1\n", "study.ini:2: sweep optim.lr: '0.1' is the same value as "
                                   "'0.10' (listed twice)"},
        {"model.hidden = 8,8 | 8, 8\n", "study.ini:2: sweep model.hidden: '8, 8' is the same "
                                       "value as '8,8' (listed twice)"},
        {"model.batchnorm = true | yes\n", "study.ini:2: sweep model.batchnorm: 'yes' is the "
                                          "same value as 'true' (listed twice)"},
        {"model.hidden = 8\nmodel.hidden = 16\n", "study.ini:3: sweep model.hidden: swept twice "
                                                  "(first on line 2)"},
        {"train.seed = 1 | 2\n", "study.ini:2: train.seed is repeated with 'seeds = 1, 2, 3' in "
                                 "[sweep], not swept as a key"},
        {"train.threads = 1 | 2\n", "study.ini:2: train.threads does not change what a run "
                                    "computes, so it cannot be swept (expected a key of [data], "
                                    "[model], [optim], [schedule] or [train])"},
        {"seeds = 1, x\n", "study.ini:2: sweep seeds: 'x' is not a seed (expected integers in "
                           "[0, 18446744073709551615])"},
        {"seeds = 1, 1\n", "study.ini:2: sweep seeds: 1 is listed twice"},
        {"zip = optim.lr\n", "study.ini:2: sweep zip: 'optim.lr' names one key (expected two or "
                             "more keys to pair)"},
        /* variants */
        {"variant = model.hidden = 8\n", "study.ini:2: sweep variant: missing name (expected "
                                         "'variant NAME = section.key = value & section.key = "
                                         "value')"},
        {"variant a b = model.hidden = 8\n", "study.ini:2: sweep variant 'a b': the name may "
                                             "hold letters, digits, '.', '_' and '-', a letter or "
                                             "digit first (it names the runs' directories)"},
        {"variant .. = model.hidden = 8\n", "study.ini:2: sweep variant '..': the name may hold "
                                            "letters, digits, '.', '_' and '-', a letter or digit "
                                            "first (it names the runs' directories)"},
        {"varient a = model.hidden = 8\n", "study.ini:2: sweep: 'varient a' is not a [sweep] "
                                           "line (expected 'variant NAME = section.key = value & "
                                           "section.key = value', 'section.key = v1 | v2', 'zip = "
                                           "section.key, section.key' or 'seeds = 1, 2, 3')"},
        {"variant a = model.hiden = 8\n", "study.ini:2: unknown key 'hiden' in section [model]; "
                                          "did you mean 'hidden'?"},
        {"variant a = lr = 0.5\n", "study.ini:2: missing section (expected section.key=value); "
                                   "did you mean optim.lr=0.5?"},
        {"variant a = model.hidden\n", "study.ini:2: sweep variant a: 'model.hidden' is not an "
                                       "assignment (expected 'variant NAME = section.key = value "
                                       "& section.key = value')"},
        /* ';' after a blank starts a comment: '&' separates assignments */
        {"variant a = model.hidden = 8 &\n", "study.ini:2: sweep variant a: assignment 2 of 2 is "
                                             "empty (expected 'variant NAME = section.key = value "
                                             "& section.key = value')"},
        {"variant a = model.hidden =\n", "study.ini:2: sweep variant a: model.hidden: empty value "
                                         "(expected 'variant NAME = section.key = value & "
                                         "section.key = value')"},
        {"variant a = model.hidden = 8 & model.hidden = 16\n", "study.ini:2: sweep variant a: "
                                                               "model.hidden is set twice "
                                                               "(expected each key once)"},
        {"variant a = model.hidden = 8 & optim.lr = -1\n", "study.ini:2: sweep variant a: "
                                                           "optim.lr: '-1' is out of range "
                                                           "(expected a number in (0, 1000])"},
        {"variant a = train.seed = 2\n", "study.ini:2: train.seed is repeated with 'seeds = 1, "
                                         "2, 3' in [sweep], not swept as a key"},
        {"variant a = train.threads = 2\n", "study.ini:2: train.threads does not change what a "
                                            "run computes, so it cannot be swept (expected a key "
                                            "of [data], [model], [optim], [schedule] or [train])"},
        {"variant a = output.variant = b\n", "study.ini:2: output.variant is the name of a "
                                             "variant, given by its 'variant NAME = ...' line in "
                                             "[sweep]"},
        {"output.variant = a | b\n", "study.ini:2: output.variant is the name of a variant, given "
                                     "by its 'variant NAME = ...' line in [sweep]"},
        {"variant a =\nvariant a = optim.lr = 0.5\n", "study.ini:3: sweep variant a: named twice "
                                                     "(first on line 2)"},
        {"variant a =\nvariant b =\n", "study.ini:3: sweep variant b: the config's own values, "
                                       "as variant a (line 2) already is (expected variants that "
                                       "differ in at least one value)"},
        /* the same values in another order and spelling */
        {"variant a = optim.lr = 0.5 & model.hidden = 8\n"
         "variant b = model.hidden = 08 & optim.lr = 5e-1\n",
         "study.ini:3: sweep variant b: the same assignments as variant a (line 2) (expected "
         "variants that differ in at least one value)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Config c;
        Err e = {0};
        char text[512];
        snprintf(text, sizeof text, "[sweep]\n%s", cases[i].sweep);
        CHECK(load(&c, text, &e) == -1);
        CHECK_STR(cases[i].msg, e.msg);
        config_free(&c);
    }
    /* Errors only the whole section decides. */
    static const struct {
        const char *sweep, *msg;
    } later[] = {
        {"optim.lr = 0.1 | 0.2\nschedule.type = step | exponential | cosine\n"
         "zip = optim.lr, schedule.type\n",
         "study.ini:4: sweep zip: optim.lr has 2 values but schedule.type has 3 (expected lists "
         "of the same length)"},
        {"optim.lr = 0.1 | 0.2\nzip = optim.lr, model.hidden\n",
         "study.ini:3: sweep zip: model.hidden is not swept (expected keys with a 'section.key "
         "= v1 | v2' line)"},
        {"variant a = optim.lr = 0.5\nvariant b =\noptim.lr = 0.1 | 0.2\n",
         "study.ini:2: sweep variant a: optim.lr is also swept (study.ini:4); expected a key "
         "set by the variants or swept, not both"},
        /* the same run once the config fills what a variant leaves alone (lr 0.01 by
         * default, hidden 128) */
        {"variant a =\nvariant b = optim.lr = 0.01\n",
         "study.ini:3: sweep variant b: the same run as variant a (line 2): variant b sets "
         "optim.lr = 0.01, the config's own value (expected variants that differ in at least "
         "one value)"},
        {"variant a = optim.lr = 1e-2 & model.hidden = 64\nvariant b = model.hidden = 64\n",
         "study.ini:3: sweep variant b: the same run as variant a (line 2): variant a sets "
         "optim.lr = 1e-2, the config's own value (expected variants that differ in at least "
         "one value)"},
    };
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        Config c;
        Err e = {0};
        char text[512];
        long n;
        snprintf(text, sizeof text, "[sweep]\n%s", later[i].sweep);
        CHECK(load(&c, text, &e) == 0);
        CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == -1);
        CHECK_STR(later[i].msg, e.msg);
        config_free(&c);
    }
    Config c;
    Err e = {0};
    long n;
    CHECK(load(&c, "[sweep]\noptim.lr = 0.1 | 0.2\n", &e) == 0);
    CHECK(config_set(&c, "optim.lr=0.3", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == -1);
    CHECK_STR("--set optim.lr=0.3: optim.lr is swept (study.ini:2); change its values there "
              "instead", e.msg);
    config_free(&c);
    /* A variant's key, or the variants' names, from --set. */
    static const char *const with_variants = "[sweep]\nvariant a =\nvariant b = optim.lr = 0.5\n";
    CHECK(load(&c, with_variants, &e) == 0);
    CHECK(config_set(&c, "optim.lr=0.3", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == -1);
    CHECK_STR("--set optim.lr=0.3: optim.lr is set by variant b (study.ini:3); change it there "
              "instead", e.msg);
    config_free(&c);
    CHECK(load(&c, with_variants, &e) == 0);
    CHECK(config_set(&c, "output.variant=c", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == -1);
    CHECK_STR("--set output.variant=c: the variants name their runs (study.ini:2)", e.msg);
    config_free(&c);
    /* --sweep of a variant's key */
    CHECK(load(&c, with_variants, &e) == 0);
    CHECK(config_sweep_add(&c, "optim.lr=0.1|0.2", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == -1);
    CHECK_STR("study.ini:3: sweep variant b: optim.lr is also swept (--sweep optim.lr=0.1|0.2); "
              "expected a key set by the variants or swept, not both", e.msg);
    config_free(&c);
    /* another key set by --set is the baseline's, for every variant */
    CHECK(load(&c, with_variants, &e) == 0);
    CHECK(config_set(&c, "model.hidden=16", &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == 0 && n == 2);
    config_free(&c);
    /* --sweep compares values as the [sweep] section does; different values still pass. */
    CHECK(load(&c, "[train]\nepochs = 1\n", &e) == 0);
    CHECK(config_sweep_add(&c, "optim.lr=0.1|1E-1", &e) == -1);
    CHECK_STR("--sweep optim.lr=0.1|1E-1: sweep optim.lr: '1E-1' is the same value as '0.1' "
              "(listed twice)", e.msg);
    CHECK(config_sweep_add(&c, "optim.lr=0.1|0.01|0.010000001", &e) == 0);
    CHECK(config_sweep_add(&c, "model.hidden=8, 16|16, 8|8", &e) == 0);
    config_free(&c);
}

/* A sweep's run whose name (file name and swept values) is over 255 bytes: the message
 * says what makes it long and what helps, not output.name, which a sweep's runs ignore. */
static void test_long_run_name(void)
{
    char x[251], text[512];
    memset(x, 'x', 250);
    x[250] = '\0';
    snprintf(text, sizeof text, "[data]\npath = data/mnist\n[sweep]\ndata.path = data/mnist | "
             "data/%s\n", x);
    static const char *const sets[] = {NULL, "train.epochs=2"};
    for (int s = 0; s < 2; s++) {
        Config c, pc;
        Err e = {0};
        long n;
        CHECK(load(&c, text, &e) == 0);
        CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n, &e) == 0 && n == 2);
        SweepPoint pt;
        sweep_point(&c.sweep, 0, &pt);
        CHECK(load(&pc, text, &e) == 0);
        CHECK(!sets[s] || config_set(&pc, sets[s], &e) == 0);
        CHECK(config_apply_point(&pc, &pt, &e) == 0);
        CHECK(config_finish(&pc, &e) == 0); /* the short value */
        config_free(&pc);
        sweep_point(&c.sweep, 1, &pt);
        CHECK(load(&pc, text, &e) == 0);
        CHECK(!sets[s] || config_set(&pc, sets[s], &e) == 0);
        CHECK(config_apply_point(&pc, &pt, &e) == 0);
        CHECK(config_finish(&pc, &e) == -1);
        char want[1024];
        /* "study" "_path=data-xxx..." ("_epochs=2") */
        snprintf(want, sizeof want, "study.ini: the name of this sweep's run, made of the file "
                 "name%s and the swept values, is %d bytes (expected at most 255, the longest "
                 "file name most file systems allow); expected shorter values or fewer swept "
                 "keys (a sweep names its runs by their values, not by output.name, and another "
                 "-o does not help: the limit is on each name in a path)",
                 sets[s] ? ", the --set options" : "", 5 + 11 + 250 + (sets[s] ? 9 : 0));
        CHECK_STR(want, e.msg);
        config_free(&pc);
        config_free(&c);
    }
    /* a single run keeps its advice: output.name names it */
    Config c;
    Err e = {0};
    char set[300];
    snprintf(set, sizeof set, "data.path=data/%s", x);
    CHECK(load(&c, "[data]\npath = data/mnist\n", &e) == 0);
    CHECK(config_set(&c, set, &e) == 0);
    CHECK(config_finish(&c, &e) == -1);
    CHECK_STR("study.ini: the run name derived from the file name and --set options is 266 bytes "
              "(expected at most 255, the longest file name most file systems allow); set "
              "output.name", e.msg);
    config_free(&c);
}

static void test_print_round_trip(void)
{
    Config c, d;
    Err e = {0};
    CHECK(load(&c, study, &e) == 0);
    CHECK(config_finish(&c, &e) == 0);
    FILE *f = tmpfile();
    config_print(&c, f);
    long size = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)size + 1);
    CHECK(fread(text, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    CHECK(strstr(text, "\n[sweep]\nmodel.hidden = 16 | 32 | 64\noptim.lr = 0.1 | 0.05\n"
                       "schedule.type = constant | cosine\nzip = optim.lr, schedule.type\n"
                       "seeds = 1, 2\n") != NULL);
    long n1, n2;
    CHECK(load(&d, text, &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n1, &e) == 0);
    CHECK(config_sweep_check(&d, SWEEP_MAX_POINTS, &n2, &e) == 0);
    CHECK(n1 == n2);
    free(text);
    config_free(&d);
    config_free(&c);

    /* variants print as they are read */
    CHECK(load(&c, variants, &e) == 0);
    f = tmpfile();
    config_print(&c, f);
    size = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)size + 1);
    CHECK(fread(text, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    CHECK(strstr(text, "\n[sweep]\nvariant baseline =\nvariant deep = model.hidden = 32, 32, 32, "
                       "32, 32, 32\nvariant relu_adam = model.activation = relu & "
                       "optim.optimizer = adam\ntrain.batch_size = 32 | 64\nseeds = 1, 2\n") != NULL);
    CHECK(load(&d, text, &e) == 0);
    CHECK(config_sweep_check(&c, SWEEP_MAX_POINTS, &n1, &e) == 0);
    CHECK(config_sweep_check(&d, SWEEP_MAX_POINTS, &n2, &e) == 0);
    CHECK(n1 == 12 && n2 == 12);
    SweepPoint p1, p2;
    sweep_point(&c.sweep, 7, &p1);
    sweep_point(&d.sweep, 7, &p2);
    char t1[1024], t2[1024];
    sweep_point_text(&p1, t1, sizeof t1);
    sweep_point_text(&p2, t2, sizeof t2);
    CHECK_STR(t1, t2);
    free(text);
    config_free(&d);
    config_free(&c);
}

static void test_array_syntax(void)
{
    char buf[64];
    const long a[] = {3, 7, 8, 9};
    CHECK(sweep_array_syntax(a, 4, buf, sizeof buf) == 0);
    CHECK_STR("3,7-9", buf);
    const long b[] = {0, 1, 2, 5, 10, 11};
    CHECK(sweep_array_syntax(b, 6, buf, sizeof buf) == 0);
    CHECK_STR("0-2,5,10-11", buf);
    CHECK(sweep_array_syntax(b, 0, buf, sizeof buf) == 0);
    CHECK_STR("", buf);
    CHECK(sweep_array_syntax(b, 6, buf, 5) == -1);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static void test_dir_status(void)
{
    char dir[] = "/tmp/mlptrain-sweep-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char run[600];
    snprintf(run, sizeof run, "%s/run", dir);
    CHECK(rundir_status(run) == RUN_PENDING);
    mkdir(run, 0777);
    CHECK(rundir_status(run) == RUN_PENDING);
    put(run, "config.ini", "[train]\n");
    CHECK(rundir_status(run) == RUN_INCOMPLETE);
    put(run, "result.csv", "name,status\r\n");
    CHECK(rundir_status(run) == RUN_INCOMPLETE);
    put(run, "result.csv", "name,status\r\nrun,diverged\r\n");
    CHECK(rundir_status(run) == RUN_DIVERGED);
    put(run, "result.csv", "name,status\r\nrun,interrupted\r\n");
    CHECK(rundir_status(run) == RUN_INTERRUPTED);
    CHECK(!rundir_finished(RUN_INTERRUPTED) && rundir_finished(RUN_DIVERGED));
    put(run, "result.csv", "name,status\r\nrun,ok\r\n");
    CHECK(rundir_status(run) == RUN_OK);
    put(run, "epochs.csv.tmp.123", "x");
    put(run, "notes.txt", "mine");
    Err e = {0};
    CHECK(rundir_clear(run, &e) == 0);
    char path[700];
    snprintf(path, sizeof path, "%s/notes.txt", run);
    CHECK(access(path, F_OK) == 0); /* not a run's file: kept */
    snprintf(path, sizeof path, "%s/epochs.csv.tmp.123", run);
    CHECK(access(path, F_OK) != 0);
    CHECK(rundir_status(run) == RUN_PENDING);
    snprintf(path, sizeof path, "%s/notes.txt", run);
    remove(path);
    rmdir(run);
    rmdir(dir);
}

/* result.csv's status is read by its column's name, wherever the column stands: a column
 * added after it does not make finished runs look unfinished (and be run again). */
static void test_status_column(void)
{
    char run[] = "/tmp/mlptrain-sweep-XXXXXX";
    CHECK(mkdtemp(run) != NULL);
    put(run, "config.ini", "[train]\n");
    put(run, "result.csv", "name,status,later\r\nrun,diverged,1\r\n");
    CHECK(rundir_status(run) == RUN_DIVERGED);
    put(run, "result.csv", "status,name\r\n\"ok\",\"a,b\"\r\n");
    CHECK(rundir_status(run) == RUN_OK);
    /* No status column, no status in it, a ragged row, a status result.csv never holds:
     * not finished. */
    put(run, "result.csv", "name,state\r\nrun,ok\r\n");
    CHECK(rundir_status(run) == RUN_INCOMPLETE);
    put(run, "result.csv", "name,status\r\nrun,\r\n");
    CHECK(rundir_status(run) == RUN_INCOMPLETE);
    put(run, "result.csv", "name,status\r\nrun,ok,1\r\n");
    CHECK(rundir_status(run) == RUN_INCOMPLETE);
    put(run, "result.csv", "name,status\r\nrun,pending\r\n");
    CHECK(rundir_status(run) == RUN_INCOMPLETE);
    Err e = {0};
    CHECK(rundir_clear(run, &e) == 0);
    CHECK(rmdir(run) == 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_points);
    RUN(test_variants);
    RUN(test_cli_sweep);
    RUN(test_errors);
    RUN(test_long_run_name);
    RUN(test_print_round_trip);
    RUN(test_array_syntax);
    RUN(test_dir_status);
    RUN(test_status_column);
    return test_finish(argv[0]);
}
