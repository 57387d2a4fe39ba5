/* test_config.c - unit tests for ini, expr and config: the key table's defaults, INI
 * syntax, --set, dependent defaults, cross-key rules, the print / re-load round trip,
 * and the lambda expression language. The golden error texts live in config_test.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "expr.h"
#include "ini.h"
#include "test.h"

/* ---- helpers ---- */

/* config_init + load text (name "exp.ini") + sets + finish; returns 0 or -1 with e. */
static int load(Config *c, const char *text, const char *const *sets, Err *e)
{
    config_init(c);
    if (text && config_load_string(c, "configs/exp.ini", text, e))
        return -1;
    for (int i = 0; sets && sets[i]; i++)
        if (config_set(c, sets[i], e))
            return -1;
    return config_finish(c, e);
}

/* config_print into a malloc'ed string. */
static char *print_to_string(const Config *c)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    config_print(c, f);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static int n_keys(void)
{
    const char *s, *k, *d;
    int n = 0;
    while (config_key_info(n, &s, &k, &d) == 0)
        n++;
    return n;
}

/* ---- the table ---- */

static void test_every_default_passes_its_own_validation(void)
{
    const char *sec, *key, *def;
    int n = n_keys();
    CHECK(n == 82 && n <= CONFIG_MAX_KEYS);
    for (int i = 0; i < n; i++) {
        config_key_info(i, &sec, &key, &def);
        Config c;
        Err e = {0};
        char set[256];
        snprintf(set, sizeof set, "%s.%s=%s", sec, key, def);
        config_init(&c);
        int rc = config_set(&c, set, &e);
        if (rc)
            fprintf(stderr, "default rejected: %s\n", e.msg);
        CHECK(rc == 0);
        config_free(&c);
    }
    CHECK(config_key_info(n, &sec, &key, &def) == -1);
    CHECK(config_key_info(-1, &sec, &key, &def) == -1);
}

static void test_defaults(void)
{
    Config c;
    Err e;
    CHECK(load(&c, NULL, NULL, &e) == 0);
    const RunParams *r = &c.run;
    CHECK(r->data.dataset == DATASET_MNIST);
    CHECK_STR("data/mnist", r->data.path);
    CHECK(r->data.n_mean == 1 && r->data.mean[0] == 0.1307 && r->data.std[0] == 0.3081);
    CHECK(r->model.n_hidden == 1 && r->model.hidden[0] == 128);
    CHECK(r->model.activation == ACT_RELU && r->model.bias_init == BIAS_INIT_DEFAULT);
    CHECK(r->optim.optimizer == OPTIM_SGD && r->optim.lr == 0.01 && r->optim.weight_decay == 0);
    CHECK(r->optim.beta1 == 0.9 && r->optim.beta2 == 0.999 && r->optim.eps == 1e-8);
    CHECK(r->sched.type == SCHED_CONSTANT && r->sched.step_size == 10 && r->sched.gamma == 0.1);
    CHECK(r->sched.start_factor == 1.0 / 3.0);
    CHECK(r->sched.final_div_factor == 1e4 && r->sched.threshold == 1e-4);
    CHECK(r->sched.T_max == 0 && r->sched.T_0 == 10 && r->sched.T_mult == 1);
    CHECK(r->sched.step_unit == STEP_UNIT_EPOCH && r->sched.mode == PLATEAU_MIN);
    CHECK(r->sched.stepsize == 1000 && r->sched.warmup_start_factor == 0.1);
    CHECK(r->train.epochs == 10 && r->train.batch_size == 64 && r->train.eval_batch_size == 1000);
    CHECK(r->train.eval_test_every_epoch && r->train.seed == 1 && r->train.threads == 0);
    /* Caffe's conventions are off: PyTorch's numerics */
    CHECK(r->optim.momentum_form == MOMENTUM_PYTORCH);
    CHECK(r->optim.bias_lr_mult == 1 && r->optim.bias_decay_mult == 1);
    CHECK(r->data.normalize == NORM_STANDARD && r->data.scale == 0);
    CHECK(r->model.init == INIT_DEFAULT && r->model.bias_value == 0);
    CHECK(r->train.shuffle && r->train.test_iter == 0);
    CHECK_STR("runs", r->output.dir);
    CHECK_STR("run", r->output.name);
    for (int i = 0; i < n_keys(); i++)
        CHECK(!c.is_set[i] && c.line[i] == 0);
    config_free(&c);
}

/* ---- ini ---- */

typedef struct {
    char log[2048];
    int calls, stop_at;
} IniLog;

static int log_handler(void *user, const char *section, const char *key, const char *value,
                       int line)
{
    IniLog *L = user;
    size_t n = strlen(L->log);
    if (key)
        snprintf(L->log + n, sizeof L->log - n, "%d:%s.%s=<%s>|", line, section, key, value);
    else
        snprintf(L->log + n, sizeof L->log - n, "%d:[%s]|", line, section);
    return ++L->calls == L->stop_at ? 7 : 0;
}

/* Lines may end in LF, CR LF or CR alone (old Mac files): each a line of its own, never
 * one long comment. */
static void test_ini_line_ends(void)
{
    IniLog L = {{0}, 0, 0};
    IniError err;
    CHECK(ini_parse_string("; demo\r[data]\rpath = x\r", log_handler, &L, &err) == 0);
    CHECK_STR("2:[data]|3:data.path=<x>|", L.log);
    IniLog M = {{0}, 0, 0};
    CHECK(ini_parse_string("[a]\nx = 1\r\r\ny = 2\rz = 3\n", log_handler, &M, &err) == 0);
    CHECK_STR("1:[a]|2:a.x=<1>|4:a.y=<2>|5:a.z=<3>|", M.log);
}

static void test_ini_syntax(void)
{
    IniLog L = {{0}, 0, 0};
    IniError err;
    const char *text = "\xEF\xBB\xBF; comment\r\n"
                       "# another\n"
                       "\n"
                       "  [ sec one ]  ; trailing comment\n"
                       "a=1\n"
                       "  b   =   two words   \r\n"
                       "c = x#y ; z\n"
                       "d = v # w\n"
                       "e =\n"
                       "f = g = h\n"
                       "[s2]#not a comment after ]\n";
    CHECK(ini_parse_string(text, log_handler, &L, &err) == -1);
    CHECK_STR("4:[sec one]|5:sec one.a=<1>|6:sec one.b=<two words>|7:sec one.c=<x#y>|"
              "8:sec one.d=<v>|9:sec one.e=<>|10:sec one.f=<g = h>|",
              L.log);
    CHECK(err.line == 11);
    CHECK_STR("unexpected text '#not a comment after ]' after section header", err.msg);

    memset(&L, 0, sizeof L);
    CHECK(ini_parse_string("[a]\nx = 1\n", log_handler, &L, &err) == 0);
    CHECK_STR("1:[a]|2:a.x=<1>|", L.log);
    CHECK(ini_parse_string("", log_handler, &L, &err) == 0);
    CHECK(ini_parse_string("[a]\nx = 1", log_handler, &L, NULL) == 0); /* no final newline */
}

static void test_ini_errors(void)
{
    static const struct {
        const char *text;
        int line;
        const char *msg;
    } cases[] = {
        {"x = 1\n", 1, "key 'x' outside any section (add a [section] line above it)"},
        {"[a]\n\nnot a pair\n", 3, "'not a pair' is neither '[section]' nor 'key = value' (missing '=')"},
        {"[a]\n[b\n", 2, "unterminated section header '[b' (expected ']')"},
        {"[a]\n[]\n", 2, "empty section name"},
        {"[a]\n = 3\n", 2, "missing key before '='"},
        {"[a]\nk ; = 3\n", 2, "'k' is neither '[section]' nor 'key = value' (missing '=')"},
        /* control characters are shown by their escape, never raw */
        {"\x05\n", 1, "'\\x05' is neither '[section]' nor 'key = value' (missing '=')"},
        {"[a\x1b[2J\n", 1, "unterminated section header '[a\\x1B[2J' (expected ']')"},
        {"[a]\tx\n", 1, "unexpected text '\\x09x' after section header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        IniLog L = {{0}, 0, 0};
        IniError err = {0, ""};
        CHECK(ini_parse_string(cases[i].text, log_handler, &L, &err) == -1);
        CHECK(err.line == cases[i].line);
        CHECK_STR(cases[i].msg, err.msg);
    }
    /* the handler's stop value comes back, and nothing after it is read */
    IniLog L = {{0}, 0, 2};
    CHECK(ini_parse_string("[a]\nx = 1\ny = 2\n[b\n", log_handler, &L, NULL) == 7);
    CHECK_STR("1:[a]|2:a.x=<1>|", L.log);
    /* a file with a NUL byte is refused */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        fwrite("[a]\nx = 1\0\n", 1, 11, f);
        rewind(f);
        IniError err;
        memset(&L, 0, sizeof L);
        CHECK(ini_parse_file(f, log_handler, &L, &err) == -1);
        CHECK(err.line == 2);
        fclose(f);
    }
}

/* ---- loading ---- */

static void test_load_values(void)
{
    Config c;
    Err e;
    const char *text = "[data]\n"
                       "dataset = cifar10\n"
                       "mean = 0.5\n"
                       "std = 0.1, 0.2, 0.3\n"
                       "[model]\n"
                       "hidden = 512 ,256,  10\n"
                       "batchnorm = YES\n"
                       "[optim]\n"
                       "lr = .5\n"
                       "nesterov = On\n"
                       "momentum = 0.9\n"
                       "[schedule]\n"
                       "type = multistep\n"
                       "milestones = 30, 60, 90\n"
                       "[train]\n"
                       "seed = 12345678901234567890\n";
    CHECK(load(&c, text, NULL, &e) == 0);
    const RunParams *r = &c.run;
    CHECK(r->data.dataset == DATASET_CIFAR10);
    CHECK(r->data.n_mean == 3 && r->data.mean[0] == 0.5 && r->data.mean[2] == 0.5);
    CHECK(r->data.n_std == 3 && r->data.std[1] == 0.2 && r->data.std[2] == 0.3);
    CHECK(r->model.n_hidden == 3 && r->model.hidden[0] == 512 && r->model.hidden[2] == 10);
    CHECK(r->model.batchnorm);
    CHECK(r->optim.lr == 0.5 && r->optim.nesterov);
    CHECK(r->sched.n_milestones == 3 && r->sched.milestones[2] == 90);
    CHECK(r->train.seed == 12345678901234567890ULL);
    /* where keys were set: line numbers of the file */
    const char *s, *k, *d;
    for (int i = 0; config_key_info(i, &s, &k, &d) == 0; i++) {
        if (strcmp(k, "lr") == 0)
            CHECK(c.is_set[i] && c.line[i] == 9);
        if (strcmp(k, "epochs") == 0)
            CHECK(!c.is_set[i] && c.line[i] == 0);
    }
    config_free(&c);

    /* empty list value = empty list; every bool spelling */
    static const char *const yes[] = {"true", "TRUE", "yes", "on", "1"};
    static const char *const no[] = {"false", "No", "off", "OFF", "0"};
    for (int i = 0; i < 5; i++) {
        char t[128];
        snprintf(t, sizeof t, "[model]\nhidden =\nbatchnorm = %s\n", yes[i]);
        CHECK(load(&c, t, NULL, &e) == 0 && c.run.model.batchnorm && c.run.model.n_hidden == 0);
        config_free(&c);
        snprintf(t, sizeof t, "[model]\nbatchnorm = %s\n", no[i]);
        CHECK(load(&c, t, NULL, &e) == 0 && !c.run.model.batchnorm);
        config_free(&c);
    }
}

static void test_load_errors(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"[optim]\nlr = 1e-3x\n", "configs/exp.ini:2: optim.lr: '1e-3x' is not a number (expected a number in (0, 1000])"},
        {"[modle]\n", "configs/exp.ini:1: unknown section [modle]; did you mean [model]?"},
        {"[zzz]\n", "configs/exp.ini:1: unknown section [zzz] (expected data, model, optim, schedule, train, output or sweep)"},
        {"[optim]\nlearning_rate = 1\n", "configs/exp.ini:2: unknown key 'learning_rate' in section [optim]; did you mean 'lr'?"},
        {"[train]\nlr = 1\n", "configs/exp.ini:2: unknown key 'lr' in section [train]; did you mean [optim] lr?"},
        {"[train]\nepcohs = 1\n", "configs/exp.ini:2: unknown key 'epcohs' in section [train]; did you mean 'epochs'?"},
        {"[train]\nxyz = 1\n", "configs/exp.ini:2: unknown key 'xyz' in section [train]"},
        {"[train]\nepochs = 1\n[model]\n[train]\nepochs = 2\n", "configs/exp.ini:5: train.epochs: duplicate key (first set on line 2)"},
        {"[model]\nactivation = rleu\n", "configs/exp.ini:2: model.activation: unknown value 'rleu' (expected relu, sigmoid, tanh, leaky_relu or gelu); did you mean 'relu'?"},
        {"[model]\nactivation = RELU\n", "configs/exp.ini:2: model.activation: unknown value 'RELU' (expected relu, sigmoid, tanh, leaky_relu or gelu); did you mean 'relu'?"},
        {"[model]\nhidden = 1,,2\n", "configs/exp.ini:2: model.hidden: empty item in '1,,2' (expected a comma-separated list of at most 64 integers in [1, 1000000])"},
        {"[model]\nhidden = 1.5\n", "configs/exp.ini:2: model.hidden: '1.5' is not an integer (expected a comma-separated list of at most 64 integers in [1, 1000000])"},
        {"[data]\nval_split = 1\n", "configs/exp.ini:2: data.val_split: '1' is out of range (expected a number in [0, 1))"},
        {"[schedule]\nfactor = 1\n", "configs/exp.ini:2: schedule.factor: '1' is out of range (expected a number in (0, 1))"},
        {"[schedule]\nstart_factor = 0\n", "configs/exp.ini:2: schedule.start_factor: '0' is out of range (expected a number in (0, 1])"},
        {"[train]\nepochs = 99999999999999999999\n", "configs/exp.ini:2: train.epochs: '99999999999999999999' is out of range (expected an integer in [0, 1000000])"},
        {"[schedule]\nlambda = 0.95 ^ epcoh\n", "configs/exp.ini:2: schedule.lambda: column 8: unknown name 'epcoh' (expected epoch, iteration, base_lr or a function: exp, log, sqrt, sin, cos, floor, min, max)"},
        {"x = 1\n", "configs/exp.ini:1: key 'x' outside any section (add a [section] line above it)"},
        /* a file that sets nothing would train every default on data/mnist */
        {"", "configs/exp.ini: sets no key (an empty or comments-only config; expected at least a [data] section with path = DIR, see configs/example.ini or mlptrain --help-config)"},
        {"; [data]\n; path = data/cifar\n\n[model]\n# hidden = 8\n", "configs/exp.ini: sets no key (an empty or comments-only config; expected at least a [data] section with path = DIR, see configs/example.ini or mlptrain --help-config)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Config c;
        Err e = {0};
        config_init(&c);
        CHECK(config_load_string(&c, "configs/exp.ini", cases[i].text, &e) == -1);
        CHECK_STR(cases[i].msg, e.msg);
        config_free(&c);
    }
    Config c;
    Err e;
    config_init(&c);
    CHECK(config_load_file(&c, "/nonexistent/x.ini", &e) == -1);
    CHECK_STR("cannot open config file '/nonexistent/x.ini': No such file or directory", e.msg);
    config_free(&c);
}

static void test_set(void)
{
    Config c;
    Err e;
    const char *sets[] = {" optim.lr = 0.5 ", "model.hidden=", "schedule.type=step", NULL};
    CHECK(load(&c, "[optim]\nlr = 0.1\n", sets, &e) == 0);
    CHECK(c.run.optim.lr == 0.5);           /* --set wins over the file */
    CHECK(c.run.model.n_hidden == 0);
    CHECK(c.run.sched.type == SCHED_STEP);
    CHECK(c.n_overrides == 3);
    CHECK_STR("exp_lr=0.5_hidden=_type=step", c.run.output.name);
    config_free(&c);

    static const struct {
        const char *set, *msg;
    } cases[] = {
        {"optim.lr=abc", "--set optim.lr=abc: 'abc' is not a number (expected a number in (0, 1000])"},
        {"optim.learning_rate=0.1", "--set optim.learning_rate=0.1: unknown key 'learning_rate' in section [optim]; did you mean 'lr'?"},
        {"optim.lr", "--set optim.lr: missing '=' (expected section.key=value)"},
        {"lr=0.1", "--set lr=0.1: missing section (expected section.key=value); did you mean optim.lr=0.1?"},
        {"foo=1", "--set foo=1: missing section (expected section.key=value, e.g. optim.lr=0.1)"},
        {"optim.=1", "--set optim.=1: missing key (expected section.key=value)"},
        {"modle.hidden=1", "--set modle.hidden=1: unknown section [modle]; did you mean [model]?"},
        {"output.name=a/b", "--set output.name=a/b: 'a/b' is not a valid name (expected a name without '/', not '.' or '..')"},
        {"output.dir=a ;b", "--set output.dir=a ;b: 'a ;b' cannot be written back as INI (expected no control character, and no ';' or '#' at the start or after a blank)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Err e2 = {0};
        config_init(&c);
        CHECK(config_set(&c, cases[i].set, &e2) == -1);
        CHECK_STR(cases[i].msg, e2.msg);
        CHECK(c.n_overrides == 0);
        config_free(&c);
    }
}

/* ---- finish: dependent defaults and cross-key rules ---- */

static void test_dependent_defaults(void)
{
    Config c;
    Err e;
    /* AdamW's own weight decay unless given, even as 0 */
    CHECK(load(&c, "[optim]\noptimizer = adamw\n", NULL, &e) == 0);
    CHECK(c.run.optim.weight_decay == 0.01);
    config_free(&c);
    CHECK(load(&c, "[optim]\noptimizer = adamw\nweight_decay = 0\n", NULL, &e) == 0);
    CHECK(c.run.optim.weight_decay == 0);
    config_free(&c);
    CHECK(load(&c, "[optim]\noptimizer = adam\n", NULL, &e) == 0);
    CHECK(c.run.optim.weight_decay == 0);
    config_free(&c);

    /* bias_init auto */
    CHECK(load(&c, "[model]\ninit = xavier_uniform\n", NULL, &e) == 0);
    CHECK(c.run.model.bias_init == BIAS_INIT_ZEROS);
    config_free(&c);
    CHECK(load(&c, "[model]\ninit = xavier_uniform\nbias_init = default\n", NULL, &e) == 0);
    CHECK(c.run.model.bias_init == BIAS_INIT_DEFAULT);
    config_free(&c);

    /* mean/std: dataset defaults, broadcast of one value */
    CHECK(load(&c, "[data]\ndataset = cifar10\nstd = 0.25\n", NULL, &e) == 0);
    CHECK(c.run.data.n_mean == 3 && c.run.data.n_std == 3);
    CHECK(c.run.data.mean[0] == 0.4914 && c.run.data.mean[1] == 0.4822 && c.run.data.mean[2] == 0.4465);
    CHECK(c.run.data.std[0] == 0.25 && c.run.data.std[2] == 0.25);
    config_free(&c);

    /* step_unit */
    static const struct {
        const char *text;
        StepUnit unit;
    } units[] = {
        {"[schedule]\ntype = cosine\n", STEP_UNIT_EPOCH},
        {"[schedule]\ntype = onecycle\n", STEP_UNIT_ITERATION},
        {"[schedule]\ntype = fixed\n", STEP_UNIT_ITERATION},
        {"[schedule]\ntype = inv\n", STEP_UNIT_ITERATION},
        {"[schedule]\ntype = caffe_multistep\nmilestones = 5\n", STEP_UNIT_ITERATION},
        {"[schedule]\ntype = step\nwarmup_iterations = 10\n", STEP_UNIT_ITERATION},
        {"[schedule]\ntype = step\nwarmup_epochs = 2\n", STEP_UNIT_EPOCH},
        {"[schedule]\ntype = inv\nstep_unit = epoch\n", STEP_UNIT_EPOCH},
        {"[schedule]\ntype = step\nstep_unit = iteration\n", STEP_UNIT_ITERATION},
        {"[schedule]\ntype = onecycle\nstep_unit = auto\n", STEP_UNIT_ITERATION},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        CHECK(load(&c, units[i].text, NULL, &e) == 0);
        CHECK(c.run.sched.step_unit == units[i].unit);
        config_free(&c);
    }

    /* plateau mode follows the metric unless given */
    const char *val = "[data]\nval_split = 0.1\n[schedule]\ntype = plateau\n";
    const char *acc[] = {"schedule.metric=val_acc", NULL};
    const char *acc_min[] = {"schedule.metric=val_acc", "schedule.mode=min", NULL};
    CHECK(load(&c, val, acc, &e) == 0 && c.run.sched.mode == PLATEAU_MAX);
    config_free(&c);
    CHECK(load(&c, val, acc_min, &e) == 0 && c.run.sched.mode == PLATEAU_MIN);
    config_free(&c);
    CHECK(load(&c, val, NULL, &e) == 0 && c.run.sched.mode == PLATEAU_MIN);
    config_free(&c);

    /* T_max 0 is left for the schedule module */
    CHECK(load(&c, "[schedule]\ntype = cosine\n", NULL, &e) == 0 && c.run.sched.T_max == 0);
    config_free(&c);

    /* run names */
    const char *sets[] = {"model.hidden=128", "optim.lr=0.1", NULL};
    CHECK(load(&c, "[data]\npath = data/mnist\n", sets, &e) == 0);
    CHECK_STR("exp_hidden=128_lr=0.1", c.run.output.name);
    config_free(&c);
    const char *odd[] = {"model.hidden=128, 64", "data.path=/tmp/d x", NULL};
    CHECK(load(&c, "[train]\nepochs = 10\n", odd, &e) == 0);
    CHECK_STR("exp_hidden=128--64_path=-tmp-d-x", c.run.output.name);
    config_free(&c);
    CHECK(load(&c, "[output]\nname = mine\n", sets, &e) == 0);
    CHECK_STR("mine", c.run.output.name);
    config_free(&c);
    config_init(&c);
    CHECK(config_finish(&c, &e) == 0);
    CHECK_STR("run", c.run.output.name);
    config_free(&c);
}

static void test_cross_key_rules(void)
{
    static const struct {
        const char *text, *set, *msg;
    } cases[] = {
        {"[optim]\nnesterov = true\n", NULL, "configs/exp.ini:2: optim.nesterov = true requires optim.momentum > 0 and optim.dampening = 0, as in PyTorch (momentum is 0, dampening is 0)"},
        {"[optim]\nmomentum = 0.9\n", "optim.nesterov=true", NULL},
        {"[optim]\nmomentum = 0.9\ndampening = 0.5\n", "optim.nesterov=1", "--set optim.nesterov=1: optim.nesterov = true requires optim.momentum > 0 and optim.dampening = 0, as in PyTorch (momentum is 0.9, dampening is 0.5)"},
        {"[schedule]\ntype = plateau\n", NULL, "configs/exp.ini:2: schedule.type = plateau requires data.val_split > 0 (it watches a validation metric); set data.val_split, e.g. 0.1"},
        {"[schedule]\ntype = multistep\n", NULL, "configs/exp.ini:2: schedule.type = multistep requires schedule.milestones (e.g. milestones = 30, 60)"},
        {NULL, "schedule.type=lambda", "--set schedule.type=lambda: schedule.type = lambda requires schedule.lambda (e.g. lambda = 0.95 ^ epoch)"},
        {"[data]\nmean = 1, 2\n", NULL, "configs/exp.ini:2: data.mean: 2 values given, but mnist has 1 channel (expected 1 value, or none for the dataset default)"},
        {"[data]\nstd = 1, 2, 3\n", "data.dataset=cifar10", NULL},
        {"[train]\nepochs = 3\nmax_iterations = 10\n", NULL, "configs/exp.ini:3: set either train.epochs or train.max_iterations, not both (train.epochs is set on line 2; train.epochs = 0 leaves the count to max_iterations)"},
        {"[train]\nepochs = 3\nmax_iterations = 0\n", NULL, NULL},
        {"[train]\nepochs = 0\n", NULL, "configs/exp.ini:2: train.epochs = 0 needs train.max_iterations > 0 (expected epochs >= 1, or a number of iterations)"},
        {"[train]\nmax_iterations = 10\n", "train.epochs=2", "configs/exp.ini:2: set either train.epochs or train.max_iterations, not both (train.epochs is set by --set train.epochs=2; train.epochs = 0 leaves the count to max_iterations)"},
        {"[schedule]\nwarmup_epochs = 1\nwarmup_iterations = 5\n", NULL, "configs/exp.ini:3: set either schedule.warmup_epochs or schedule.warmup_iterations, not both (schedule.warmup_epochs is set on line 2)"},
        /* Caffe's conventions: what Caffe has no meaning for, and values that would be
         * ignored */
        {"[optim]\noptimizer = adam\nmomentum_form = caffe\n", NULL, "configs/exp.ini:3: optim.momentum_form = caffe applies to optim.optimizer = sgd only (Caffe's SGDSolver), but optim.optimizer is adam"},
        {"[optim]\nmomentum_form = caffe\n", "optim.optimizer=adamw", "configs/exp.ini:2: optim.momentum_form = caffe applies to optim.optimizer = sgd only (Caffe's SGDSolver), but optim.optimizer is adamw"},
        {"[optim]\nmomentum = 0.9\nnesterov = true\nmomentum_form = caffe\n", NULL, "configs/exp.ini:4: optim.momentum_form = caffe cannot take optim.nesterov = true (Caffe's SGDSolver has no Nesterov term; Nesterov is its own solver type there)"},
        {"[optim]\nmomentum = 0.9\ndampening = 0.1\n", "optim.momentum_form=caffe", "--set optim.momentum_form=caffe: optim.momentum_form = caffe cannot take optim.dampening = 0.1 (Caffe's SGDSolver has no dampening; expected 0)"},
        {"[optim]\nmomentum = 0.9\nmomentum_form = caffe\nweight_decay = 0.0005\nbias_lr_mult = 2\n", NULL, NULL},
        {"[optim]\noptimizer = adamw\nbias_lr_mult = 2\nbias_decay_mult = 0\n", NULL, NULL},
        {"[data]\nscale = 0.00390625\n", NULL, "configs/exp.ini:2: data.scale = 0.00390625 applies only with data.normalize = scale (it is standard)"},
        {"[data]\nnormalize = scale\nscale = 0.00390625\n", NULL, NULL},
        {"[model]\nbias_value = 0.1\n", "model.init=caffe_xavier", "configs/exp.ini:2: model.bias_value = 0.1 applies only with model.bias_init = constant (it is auto)"},
        {"[model]\ninit = caffe_xavier\nbias_init = constant\nbias_value = -0.5\n", NULL, NULL},
        {"[train]\ntest_iter = 2147484\n", NULL, "configs/exp.ini:2: train.test_iter = 2147484 batches of train.eval_batch_size = 1000 are more than 2147483647 records in one test pass (expected fewer)"},
        {"[train]\ntest_iter = 2147483\nshuffle = false\n", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Config c;
        Err e = {0};
        const char *sets[] = {cases[i].set, NULL};
        int rc = load(&c, cases[i].text, sets, &e);
        if (cases[i].msg) {
            CHECK(rc == -1);
            CHECK_STR(cases[i].msg, e.msg);
        } else {
            CHECK(rc == 0);
        }
        config_free(&c);
    }
}

/* ---- print ---- */

static void test_print_round_trip(void)
{
    static const char *const texts[] = {
        NULL, /* every default */
        "[data]\ndataset = cifar10\nmean = 0.1, 0.2, 0.30000000000000004\nval_split = 0.1\n"
        "[model]\nhidden = 1000000, 3, 64\nactivation = leaky_relu\ndropout = 0.1\n"
        "[optim]\noptimizer = sgd\nlr = 0.1\nmomentum = 0.9\nnesterov = true\n"
        "[schedule]\ntype = multistep\nmilestones = 1, 2, 3\ngamma = 0.7\neta_min = 1e-300\n"
        "lambda = min(1, epoch / 5) * 0.5 ^ floor(epoch / 10)\n"
        "[train]\nseed = 0\nlabel_smoothing = 0.1\nthreads = 0\n[output]\ndir = /tmp/some dir\n",
        "[train]\nmax_iterations = 500\n[schedule]\ntype = onecycle\nmax_lr = 0.3\n",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        Config c;
        Err e;
        CHECK(load(&c, texts[t], NULL, &e) == 0);
        char *p1 = print_to_string(&c);
        config_free(&c);
        CHECK(p1 != NULL);
        if (!p1)
            continue;
        /* every key appears once as "name =" (epochs may be a comment) */
        const char *s, *k, *d;
        for (int i = 0; config_key_info(i, &s, &k, &d) == 0; i++) {
            char pat[96];
            snprintf(pat, sizeof pat, "\n%s =", k);
            char pat2[96];
            snprintf(pat2, sizeof pat2, "\n; %s =", k);
            CHECK(strstr(p1, pat) != NULL || strstr(p1, pat2) != NULL);
        }
        CHECK(load(&c, p1, NULL, &e) == 0);
        char *p2 = print_to_string(&c);
        config_free(&c);
        CHECK(p2 != NULL);
        if (p2) {
            CHECK_STR(p1, p2);
            if (t == 1) {
                CHECK(strstr(p2, "\nmean = 0.1, 0.2, 0.30000000000000004\n") != NULL);
                CHECK(strstr(p2, "\neta_min = 1e-300\n") != NULL);
                CHECK(strstr(p2, "\nhidden = 1000000, 3, 64\n") != NULL);
                CHECK(strstr(p2, "\nmilestones = 1, 2, 3\n") != NULL);
            }
            if (t == 2)
                CHECK(strstr(p2, "\nepochs = 0\n") != NULL);
        }
        free(p1);
        free(p2);
    }
}

static void test_help_mentions_every_key(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    config_print_help(f);
    long n = ftell(f);
    rewind(f);
    char *h = malloc((size_t)n + 1);
    h[fread(h, 1, (size_t)n, f)] = '\0';
    fclose(f);
    const char *s, *k, *d;
    for (int i = 0; config_key_info(i, &s, &k, &d) == 0; i++) {
        char full[96];
        snprintf(full, sizeof full, "  %s.%s ", s, k);
        CHECK(strstr(h, full) != NULL);
    }
    for (int i = 0; params_sched_names[i]; i++) {
        char line[96];
        snprintf(line, sizeof line, "\n  %s:", params_sched_names[i]);
        CHECK(strstr(h, line) != NULL);
    }
    CHECK(strstr(h, "inv:       lr = base * (1 + gamma * iter)^(-power)") != NULL);
    free(h);
}

/* ---- expr ---- */

static double ev(const char *text, double epoch)
{
    Expr x;
    Err e;
    if (expr_compile(&x, text, &e)) {
        fprintf(stderr, "expr '%s': %s\n", text, e.msg);
        return NAN;
    }
    return expr_eval(&x, epoch, 1000, 0.1);
}

static void test_expr_values(void)
{
    CHECK(ev("1 + 2 * 3", 0) == 7);
    CHECK(ev("(1 + 2) * 3", 0) == 9);
    CHECK(ev("10 - 4 - 3", 0) == 3);
    CHECK(ev("8 / 4 / 2", 0) == 1);
    CHECK(ev("2 ^ 3 ^ 2", 0) == 512);
    CHECK(ev("2 ** 3 ** 2", 0) == 512);
    CHECK(ev("-2 ^ 2", 0) == -4);
    CHECK(ev("(-2) ^ 2", 0) == 4);
    CHECK(ev("2 ^ -1", 0) == 0.5);
    CHECK(ev("-+-3", 0) == 3);
    CHECK(ev("2 * -3", 0) == -6);
    CHECK(ev("1e-3 * 1000", 0) == 1);
    CHECK(ev(".5 + 5.", 0) == 5.5);
    CHECK(ev("0.95 ^ epoch", 3) == pow(0.95, 3));
    CHECK(ev("0.95 ** epoch", 7) == pow(0.95, 7));
    CHECK(ev("1 / (1 + 0.5 * epoch)", 3) == 1 / (1 + 0.5 * 3));
    CHECK(ev("iteration / 100 + base_lr", 0) == 1000.0 / 100 + 0.1);
    CHECK(ev("exp(0) + log(1) + sqrt(16) + sin(0) + cos(0)", 0) == 6);
    CHECK(ev("floor(2.7) + floor(-2.5)", 0) == -1);
    CHECK(ev("min(epoch, 2) + max(epoch, 2)", 5) == 7);
    CHECK(ev("min(1, epoch / 5) * 0.5 ^ floor(epoch / 10)", 25) == 0.25);
    CHECK(ev("exp(-0.1 * epoch)", 4) == exp(-0.1 * 4));
    /* the compiled program is reusable and pure */
    Expr x;
    Err e;
    CHECK(expr_compile(&x, "epoch * 2", &e) == 0);
    CHECK(expr_eval(&x, 1, 0, 0) == 2 && expr_eval(&x, 4, 0, 0) == 8);
}

static void test_expr_errors(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"0.95 ^ epcoh", "column 8: unknown name 'epcoh' (expected epoch, iteration, base_lr or a function: exp, log, sqrt, sin, cos, floor, min, max)"},
        {"1 +", "column 4: unexpected end of expression, expected a number, name or '('"},
        {"", "column 1: unexpected end of expression, expected a number, name or '('"},
        {"(1 + 2", "column 7: unexpected end of expression, expected ')' or an operator"},
        {"1 + 2)", "column 6: unexpected ')', expected an operator or end of expression (unbalanced ')')"},
        {"2 epoch", "column 3: unexpected 'epoch', expected an operator or end of expression"},
        {"1 * * 2", "column 5: unexpected '*', expected a number, name or '('"},
        {"exp 2", "column 5: unexpected '2', expected '(' after function 'exp'"},
        {"min(1)", "column 6: unexpected ')', expected ',' (min takes 2 arguments)"},
        {"exp(1, 2)", "column 6: unexpected ',', expected ')' (exp takes 1 argument)"},
        {"1e", "column 1: malformed number '1e', expected a number such as 0.5, 2 or 1e-3"},
        {"3x", "column 1: malformed number '3x', expected a number such as 0.5, 2 or 1e-3"},
        {"1 $ 2", "column 3: unexpected character '$', expected a number, name, operator or parenthesis"},
        {"(\n", "column 2: unexpected control character 0x0A, expected a number, name, operator or parenthesis"},
        {"1 +\x1b[2J", "column 4: unexpected control character 0x1B, expected a number, name, operator or parenthesis"},
        {"2 * \xc3\xa9", "column 5: unexpected character '\xc3\xa9', expected a number, name, operator or parenthesis"},
        {"\xff", "column 1: unexpected byte 0xFF (not UTF-8 text), expected a number, name, operator or parenthesis"},
        {"1 + \xc3(", "column 5: unexpected byte 0xC3 (not UTF-8 text), expected a number, name, operator or parenthesis"},
        {"1e999", "column 1: number '1e999' is out of range, expected a finite double"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Expr x;
        Err e = {0};
        CHECK(expr_compile(&x, cases[i].text, &e) == -1);
        CHECK_STR(cases[i].msg, e.msg);
    }

    /* nesting and length are bounded */
    char buf[1024];
    size_t n = 0;
    /* so is the message: a run of stray UTF-8 continuation bytes is one bad byte */
    memset(buf, 0x80, 300);
    buf[300] = '\0';
    {
        Expr x;
        Err e;
        CHECK(expr_compile(&x, buf, &e) == -1);
        CHECK_STR("column 1: unexpected byte 0x80 (not UTF-8 text), expected a number, name, "
                  "operator or parenthesis", e.msg);
    }
    for (int i = 0; i < 64; i++)
        buf[n++] = '(';
    buf[n++] = '1';
    for (int i = 0; i < 64; i++)
        buf[n++] = ')';
    buf[n] = '\0';
    Expr x;
    Err e;
    CHECK(expr_compile(&x, buf, &e) == 0 && expr_eval(&x, 0, 0, 0) == 1);
    memmove(buf + 1, buf, n + 1);
    buf[0] = '(';
    strcat(buf, ")");
    CHECK(expr_compile(&x, buf, &e) == -1);
    CHECK_STR("column 65: expression too deeply nested (at most 64 levels)", e.msg);
    n = 0;
    for (int i = 0; i < 200; i++) {
        buf[n++] = '1';
        buf[n++] = '+';
    }
    buf[n++] = '1';
    buf[n] = '\0';
    CHECK(expr_compile(&x, buf, &e) == -1);
    CHECK(strstr(e.msg, "expression too long (at most 256 operations)") != NULL);
    n = 0;
    for (int i = 0; i < 100; i++)
        buf[n++] = '-';
    buf[n++] = '1';
    buf[n] = '\0';
    CHECK(expr_compile(&x, buf, &e) == -1);
    CHECK(strstr(e.msg, "too deeply nested") != NULL);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_every_default_passes_its_own_validation);
    RUN(test_defaults);
    RUN(test_ini_syntax);
    RUN(test_ini_line_ends);
    RUN(test_ini_errors);
    RUN(test_load_values);
    RUN(test_load_errors);
    RUN(test_set);
    RUN(test_dependent_defaults);
    RUN(test_cross_key_rules);
    RUN(test_print_round_trip);
    RUN(test_help_mentions_every_key);
    RUN(test_expr_values);
    RUN(test_expr_errors);
    return test_finish(argv[0]);
}
