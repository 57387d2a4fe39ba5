/* test_sched.c - learning-rate schedules against PyTorch's values: every row of
 * tests/fixtures/lr_schedules.csv (a copy of ../shared/ref) and the worked values of
 * SEMANTICS §7, compared with ==. Run from the repository root, as `make test` does. */
#include "sched.h"
#include "test.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "tests/fixtures/lr_schedules.csv"
#define MAX_STEPS 20000
#define MAX_ROWS 1024

/* PyTorch's (and Caffe's usual) defaults, as a C caller would fill them. */
static SchedParams defaults(SchedKind type)
{
    SchedParams p;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.step_unit = STEP_UNIT_EPOCH;
    p.step_size = 1;
    p.gamma = 0.1;
    p.T_0 = 1;
    p.T_mult = 1;
    p.start_factor = 1.0 / 3;
    p.end_factor = 1.0;
    p.total_iters = 5;
    p.mode = PLATEAU_MIN;
    p.metric = METRIC_VAL_LOSS;
    p.factor = 0.1;
    p.patience = 10;
    p.threshold = 1e-4;
    p.threshold_mode = THRESH_REL;
    p.pct_start = 0.3;
    p.div_factor = 25;
    p.final_div_factor = 1e4;
    p.power = 1;
    p.stepsize = 1;
    p.warmup_start_factor = 1.0 / 3;
    return p;
}

/* Drives a schedule the way the training loop does (SEMANTICS §8): spe optimizer steps per
 * epoch, sched_after_iteration after each, sched_after_epoch after each epoch with
 * metrics[e] as the validation loss. Stores the LR of the first n steps (epochs, or
 * iterations when iter_unit) in out, and checks that the call of the other unit does not
 * move the LR. Returns -1 (with the message printed) if sched_init fails. */
static int drive(const SchedParams *p, double base, long n, bool iter_unit, long spe,
                 const double *metrics, double *out)
{
    Sched s;
    Err e;
    long epochs = iter_unit ? (n + spe - 1) / spe : n;
    if (sched_init(&s, p, base, epochs, spe, iter_unit ? n : 0, &e)) {
        fprintf(stderr, "%s: sched_init: %s\n", test_cur_name, e.msg);
        test_cur_failed = 1;
        return -1;
    }
    long k = 0;
    for (long ep = 0; ep < epochs; ep++) {
        double at_start = sched_lr(&s);
        if (!iter_unit)
            out[ep] = at_start;
        for (long i = 0; i < spe && k < epochs * spe; i++, k++) {
            if (iter_unit && k < n)
                out[k] = sched_lr(&s);
            else if (!iter_unit && sched_lr(&s) != at_start) {
                fprintf(stderr, "%s: LR moved inside epoch %ld\n", test_cur_name, ep);
                test_cur_failed = 1;
            }
            sched_after_iteration(&s);
        }
        double before = sched_lr(&s);
        sched_after_epoch(&s, metrics ? metrics[ep] : NAN, NAN);
        if (iter_unit && p->type != SCHED_PLATEAU && sched_lr(&s) != before) {
            fprintf(stderr, "%s: sched_after_epoch moved an iteration schedule\n", test_cur_name);
            test_cur_failed = 1;
        }
    }
    return 0;
}

/* Compares exactly; prints up to three mismatches with %.17g. Returns the number equal. */
static int check_exact(const char *what, const double *expected, const double *got, int n)
{
    int equal = 0, shown = 0;
    for (int i = 0; i < n; i++) {
        if (got[i] == expected[i]) {
            equal++;
        } else if (shown++ < 3) {
            fprintf(stderr, "%s: %s: step %d: got %.17g, expected %.17g\n", test_cur_name, what,
                    i, got[i], expected[i]);
        }
    }
    if (equal != n)
        test_cur_failed = 1;
    return equal;
}

static void expect_epochs(const char *what, const SchedParams *p, double base,
                          const double *expected, int n)
{
    double got[64];
    if (drive(p, base, n, false, 3, NULL, got) == 0)
        check_exact(what, expected, got, n);
}

/* ---- the PyTorch fixture ---- */

/* Splits one RFC 4180 line into at most max fields (quotes removed, in place). */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    char *r = line, *w = line;
    while (n < max) {
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else if (*r == '\0') {
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        while (*r && *r != ',')
            *w++ = *r++;
        int more = *r == ',';
        *w++ = '\0';
        if (!more)
            break;
        r++;
    }
    return n;
}

/* Applies "k=v;k=v" from the fixture's params column. */
static int apply_params(SchedParams *p, const char *scheduler, const char *text, bool *iter_unit)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *kv = strtok(buf, ";"); kv; kv = strtok(NULL, ";")) {
        char *v = strchr(kv, '=');
        if (!v)
            return -1;
        *v++ = '\0';
        double d = strtod(v, NULL);
        if (!strcmp(kv, "step_size")) p->step_size = (long)d;
        else if (!strcmp(kv, "gamma")) p->gamma = d;
        else if (!strcmp(kv, "T_max")) p->T_max = (long)d;
        else if (!strcmp(kv, "eta_min")) p->eta_min = d;
        else if (!strcmp(kv, "T_0")) p->T_0 = (long)d;
        else if (!strcmp(kv, "T_mult")) p->T_mult = (long)d;
        else if (!strcmp(kv, "lambda")) snprintf(p->lambda, sizeof p->lambda, "%s", v);
        else if (!strcmp(kv, "start_factor") && !strcmp(scheduler, "linear_warmup"))
            p->warmup_start_factor = d;
        else if (!strcmp(kv, "start_factor")) p->start_factor = d;
        else if (!strcmp(kv, "warmup_epochs")) p->warmup_epochs = (long)d;
        else if (!strcmp(kv, "mode")) p->mode = !strcmp(v, "max") ? PLATEAU_MAX : PLATEAU_MIN;
        else if (!strcmp(kv, "factor")) p->factor = d;
        else if (!strcmp(kv, "patience")) p->patience = (long)d;
        else if (!strcmp(kv, "threshold")) p->threshold = d;
        else if (!strcmp(kv, "cooldown")) p->cooldown = (long)d;
        else if (!strcmp(kv, "min_lr")) p->min_lr = d;
        else if (!strcmp(kv, "power")) p->power = d;
        else if (!strcmp(kv, "unit")) *iter_unit = !strcmp(v, "iteration");
        else if (!strcmp(kv, "milestones")) {
            char *end;
            p->n_milestones = 0;
            for (const char *m = v; *m && p->n_milestones < PARAMS_MAX_MILESTONES; m = end) {
                p->milestones[p->n_milestones++] = strtol(m, &end, 10);
                if (end == m)
                    return -1;
                end += *end == ',';
            }
        } else {
            fprintf(stderr, "%s: unknown fixture parameter '%s'\n", test_cur_name, kv);
            return -1;
        }
    }
    return 0;
}

static int kind_of(const char *scheduler, SchedKind *k)
{
    if (!strcmp(scheduler, "linear_warmup")) {
        *k = SCHED_CONSTANT; /* the fixture's warm-up is followed by a constant LR */
        return 0;
    }
    for (int i = 0; params_sched_names[i]; i++)
        if (!strcmp(params_sched_names[i], scheduler)) {
            *k = (SchedKind)i;
            return 0;
        }
    return -1;
}

typedef struct {
    char scheduler[64], params[256];
    double base;
    long n;
    long t[MAX_ROWS];
    double lr[MAX_ROWS];
} Group;

static double plateau_losses[64];
static int n_plateau_losses;

static int rows_checked, rows_exact;

static void check_group(const Group *g)
{
    SchedKind kind;
    bool iter_unit = false;
    if (kind_of(g->scheduler, &kind)) {
        fprintf(stderr, "%s: unknown scheduler '%s'\n", test_cur_name, g->scheduler);
        test_cur_failed = 1;
        return;
    }
    SchedParams p = defaults(kind);
    if (apply_params(&p, g->scheduler, g->params, &iter_unit)) {
        test_cur_failed = 1;
        return;
    }
    if (iter_unit)
        p.step_unit = STEP_UNIT_ITERATION;
    long n = 0;
    for (long i = 0; i < g->n; i++)
        if (g->t[i] + 1 > n)
            n = g->t[i] + 1;
    if (kind == SCHED_PLATEAU && n > n_plateau_losses) {
        fprintf(stderr, "%s: plateau needs %ld losses, the fixture lists %d\n", test_cur_name, n,
                n_plateau_losses);
        test_cur_failed = 1;
        return;
    }
    static double got[MAX_STEPS];
    if (n > MAX_STEPS || drive(&p, g->base, n, iter_unit, iter_unit ? 64 : 3,
                               kind == SCHED_PLATEAU ? plateau_losses : NULL, got)) {
        test_cur_failed = 1;
        return;
    }
    int shown = 0;
    for (long i = 0; i < g->n; i++) {
        rows_checked++;
        double v = got[g->t[i]];
        if (v == g->lr[i]) {
            rows_exact++;
        } else {
            test_cur_failed = 1;
            if (shown++ < 3)
                fprintf(stderr, "%s: %s \"%s\" t=%ld: got %.17g, expected %.17g\n",
                        test_cur_name, g->scheduler, g->params, g->t[i], v, g->lr[i]);
        }
    }
}

static void test_fixture(void)
{
    FILE *f = fopen(FIXTURE, "r");
    if (!f)
        fprintf(stderr, "%s: cannot open %s (run from the repository root)\n", test_cur_name,
                FIXTURE);
    CHECK(f != NULL);
    if (!f)
        return;
    static Group g;
    static char line[4096];
    int data_rows = 0, header_seen = 0;
    g.n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') {
            const char *w = strstr(line, "were: ");
            if (w) {
                char *end;
                for (const char *q = w + 6; *q && n_plateau_losses < 64; q = end + (*end == ',')) {
                    plateau_losses[n_plateau_losses++] = strtod(q, &end);
                    if (end == q)
                        break;
                }
            }
            continue;
        }
        if (line[0] == '\0')
            continue;
        if (!header_seen) {
            CHECK_STR("scheduler,params,base_lr,t,lr", line);
            header_seen = 1;
            continue;
        }
        data_rows++;
        char *fl[8];
        int nf = split_csv(line, fl, 8);
        CHECK(nf == 5);
        if (nf != 5)
            continue;
        double base = strtod(fl[2], NULL);
        if (g.n > 0 && (strcmp(g.scheduler, fl[0]) || strcmp(g.params, fl[1]) || g.base != base)) {
            check_group(&g);
            g.n = 0;
        }
        if (g.n == 0) {
            snprintf(g.scheduler, sizeof g.scheduler, "%s", fl[0]);
            snprintf(g.params, sizeof g.params, "%s", fl[1]);
            g.base = base;
        }
        CHECK(g.n < MAX_ROWS);
        if (g.n >= MAX_ROWS)
            break;
        g.t[g.n] = strtol(fl[3], NULL, 10);
        g.lr[g.n] = strtod(fl[4], NULL);
        g.n++;
    }
    if (g.n > 0)
        check_group(&g);
    fclose(f);
    printf("fixture: %d data rows, %d checked, %d exact\n", data_rows, rows_checked, rows_exact);
    CHECK(n_plateau_losses == 18);
    CHECK(data_rows == 400);
    CHECK(rows_checked == data_rows);
    CHECK(rows_exact == data_rows);
}

/* ---- SEMANTICS §7 worked values ---- */

static void test_cosine(void)
{
    SchedParams p = defaults(SCHED_COSINE);
    p.T_max = 5;
    const double e0[] = {0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263,
                         0.009549150281252633, 0.0, 0.009549150281252628, 0.03454915028125265,
                         0.06545084971874741, 0.09045084971874744, 0.10000000000000006};
    expect_epochs("cosine T_max=5", &p, 0.1, e0, 11);
    p.eta_min = 0.001;
    const double e1[] = {0.1, 0.0905463412215599, 0.06579634122155989, 0.035203658778440096,
                         0.010453658778440105, 0.001, 0.010453658778440102};
    expect_epochs("cosine T_max=5 eta_min=0.001", &p, 0.1, e1, 7);
    /* T_max = 0 means the whole run */
    SchedParams q = defaults(SCHED_COSINE), r = defaults(SCHED_COSINE);
    r.T_max = 10;
    double a[10], b[10];
    if (drive(&q, 0.1, 10, false, 2, NULL, a) == 0 && drive(&r, 0.1, 10, false, 2, NULL, b) == 0)
        check_exact("cosine T_max=0 = run length", b, a, 10);
}

static void test_warm_restarts(void)
{
    SchedParams p = defaults(SCHED_COSINE_WARM_RESTARTS);
    p.T_0 = 3;
    p.T_mult = 2;
    const double e[] = {0.1, 0.07500000000000001, 0.025000000000000012, 0.1, 0.09330127018922195,
                        0.07500000000000001, 0.05, 0.025000000000000012, 0.006698729810778065, 0.1};
    expect_epochs("warm restarts T_0=3 T_mult=2", &p, 0.1, e, 10);
    p.T_mult = 1;
    const double e1[] = {0.1, 0.07500000000000001, 0.025000000000000012, 0.1, 0.07500000000000001,
                         0.025000000000000012, 0.1, 0.07500000000000001, 0.025000000000000012};
    expect_epochs("warm restarts T_0=3 T_mult=1", &p, 0.1, e1, 9);

    /* per iteration: step(epoch + i/iters); whole epochs give the per-epoch values */
    for (long mult = 1; mult <= 2; mult++) {
        p.T_mult = mult;
        p.step_unit = STEP_UNIT_ITERATION;
        const long spe = 4;
        double it[40], whole[10];
        if (drive(&p, 0.1, 40, true, spe, NULL, it))
            return;
        for (int k = 0; k < 10; k++)
            whole[k] = it[k * spe];
        check_exact("warm restarts per iteration, whole epochs", mult == 2 ? e : e1, whole,
                    mult == 2 ? 10 : 9);
        /* iteration 1 is epoch 0.25 of the first cycle */
        double expect = 0 + (0.1 - 0) * (1 + cos(3.141592653589793 * 0.25 / 3.0)) / 2;
        CHECK(it[1] == expect);
        if (mult == 2) { /* epoch 4.5 = T_cur 1.5 of T_i 6 */
            double e45 = 0 + (0.1 - 0) * (1 + cos(3.141592653589793 * 1.5 / 6.0)) / 2;
            CHECK(it[18] == e45);
        }
    }
}

static void test_table_7_5(void)
{
    SchedParams p = defaults(SCHED_STEP);
    p.step_size = 2;
    const double step[] = {0.1, 0.1, 0.010000000000000002, 0.010000000000000002,
                           0.0010000000000000002, 0.0010000000000000002, 0.00010000000000000003,
                           0.00010000000000000003};
    expect_epochs("StepLR(2, 0.1)", &p, 0.1, step, 8);

    p = defaults(SCHED_MULTISTEP);
    p.n_milestones = 2;
    p.milestones[0] = 2;
    p.milestones[1] = 4;
    const double ms[] = {0.1, 0.1, 0.010000000000000002, 0.010000000000000002,
                         0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002,
                         0.0010000000000000002};
    expect_epochs("MultiStepLR([2,4])", &p, 0.1, ms, 8);

    p = defaults(SCHED_EXPONENTIAL);
    p.gamma = 0.9;
    const double ex[] = {0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002,
                         0.06561000000000002, 0.05904900000000002, 0.05314410000000002,
                         0.04782969000000002};
    expect_epochs("ExponentialLR(0.9)", &p, 0.1, ex, 8);

    p = defaults(SCHED_LAMBDA);
    snprintf(p.lambda, sizeof p.lambda, "0.95 ** epoch");
    const double la[] = {0.1, 0.095, 0.09025, 0.0857375, 0.081450625, 0.07737809374999999,
                         0.07350918906249998, 0.06983372960937498};
    expect_epochs("LambdaLR(0.95^e)", &p, 0.1, la, 8);

    p = defaults(SCHED_LINEAR);
    const double li[] = {0.03333333333333333, 0.04666666666666667, 0.060000000000000005,
                         0.07333333333333335, 0.08666666666666668, 0.1, 0.1, 0.1};
    expect_epochs("LinearLR() defaults", &p, 0.1, li, 8);

    p.start_factor = 0.5;
    p.total_iters = 4;
    const double l5[] = {0.025, 0.03125, 0.0375, 0.043750000000000004, 0.05, 0.05};
    expect_epochs("LinearLR(0.5, total_iters=4)", &p, 0.05, l5, 6);
}

static void test_warmup_then_cosine(void)
{
    SchedParams p = defaults(SCHED_COSINE);
    p.T_max = 5;
    p.warmup_epochs = 3;
    p.warmup_start_factor = 0.1;
    const double e[] = {0.010000000000000002, 0.04, 0.07, 0.1, 0.09045084971874738,
                        0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.0};
    expect_epochs("warm-up 3 then cosine 5", &p, 0.1, e, 9);

    /* warmup_iterations: per iteration; T_max = 0 resolves to the run's 12 iterations */
    p = defaults(SCHED_COSINE);
    p.warmup_iterations = 4;
    p.warmup_start_factor = 0.25;
    double got[12];
    if (drive(&p, 0.1, 12, true, 3, NULL, got))
        return;
    CHECK(got[0] == 0.1 * 0.25);
    CHECK(got[1] == got[0] * (1. + (1.0 - 0.25) / (4 * 0.25 + 0 * (1.0 - 0.25))));
    CHECK(got[3] < 0.1);
    CHECK(got[4] == 0.1);
    CHECK(got[5] == (1 + cos(3.141592653589793 * 1 / 12)) / (1 + cos(0.0)) * (0.1 - 0) + 0);
    CHECK(got[11] < got[10]);
}

static void test_onecycle(void)
{
    const double e[] = {0.0040000000000000036, 0.052000000000000005, 0.1, 0.09504846320134738,
                        0.0811745653949763, 0.06112620219362893, 0.03887419780637107,
                        0.0188258346050237, 0.004951936798652629, 4e-07};
    SchedParams p = defaults(SCHED_ONECYCLE);
    p.max_lr = 0.1;
    double got[10];
    if (drive(&p, 0.5, 10, true, 5, NULL, got) == 0)
        check_exact("onecycle max_lr 0.1 total 10", e, got, 10);
    p.max_lr = 0; /* = base lr */
    if (drive(&p, 0.1, 10, true, 3, NULL, got) == 0)
        check_exact("onecycle max_lr = base", e, got, 10);

    /* stepping past total_steps holds the last value instead of failing */
    Sched s;
    Err err;
    CHECK(sched_init(&s, &p, 0.1, 2, 5, 0, &err) == 0);
    for (int k = 0; k < 15; k++)
        sched_after_iteration(&s);
    CHECK(sched_lr(&s) == 4e-07);
}

static void test_plateau(void)
{
    const double m[] = {1.0, 0.9, 0.9, 0.9, 0.9, 0.8999, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85};
    SchedParams p = defaults(SCHED_PLATEAU);
    p.patience = 2;
    double got[12];
    const double e[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002,
                        0.010000000000000002, 0.010000000000000002, 0.010000000000000002,
                        0.0010000000000000002, 0.0010000000000000002};
    if (drive(&p, 0.1, 12, false, 2, m, got) == 0)
        check_exact("plateau patience 2", e, got, 12);

    p.min_lr = 0.005;
    p.cooldown = 1;
    const double ec[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002,
                         0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.005,
                         0.005};
    if (drive(&p, 0.1, 12, false, 2, m, got) == 0)
        check_exact("plateau min_lr 0.005 cooldown 1", ec, got, 12);

    p = defaults(SCHED_PLATEAU);
    p.factor = 0.5;
    p.patience = 1;
    p.cooldown = 2;
    const double five[10] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    const double cd[] = {1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25};
    if (drive(&p, 1.0, 10, false, 1, five, got) == 0)
        check_exact("plateau cooldown trace", cd, got, 10);

    /* max mode on accuracy, abs threshold */
    p = defaults(SCHED_PLATEAU);
    p.mode = PLATEAU_MAX;
    p.metric = METRIC_VAL_ACC;
    p.threshold_mode = THRESH_ABS;
    p.threshold = 0.01;
    p.patience = 0;
    Sched s;
    Err err;
    CHECK(sched_init(&s, &p, 0.1, 5, 1, 0, &err) == 0);
    sched_after_epoch(&s, 9.0, 0.5);
    CHECK(sched_lr(&s) == 0.1);
    sched_after_epoch(&s, 9.0, 0.505); /* not better by more than 0.01: cut */
    CHECK(sched_lr(&s) == 0.1 * 0.1);

    /* warm-up in front: the warm-up epochs' metrics are not seen */
    p = defaults(SCHED_PLATEAU);
    p.patience = 0;
    p.warmup_epochs = 2;
    p.warmup_start_factor = 0.5;
    const double wm[] = {1, 1, 1, 1, 1};
    const double we[] = {0.05, 0.07500000000000001, 0.1, 0.1, 0.010000000000000002};
    if (drive(&p, 0.1, 5, false, 2, wm, got) == 0)
        check_exact("warm-up then plateau", we, got, 5);
}

/* Advances a per-iteration schedule to each iteration in its[] and compares. */
static void expect_iters(const char *what, const SchedParams *p, double base, const long *its,
                         const double *expected, int n)
{
    Sched s;
    Err e;
    long last = its[n - 1];
    if (sched_init(&s, p, base, 1, last + 1, 0, &e)) {
        fprintf(stderr, "%s: %s: %s\n", test_cur_name, what, e.msg);
        test_cur_failed = 1;
        return;
    }
    double got[16];
    long k = 0;
    for (int i = 0; i < n; i++) {
        for (; k < its[i]; k++)
            sched_after_iteration(&s);
        got[i] = sched_lr(&s);
    }
    check_exact(what, expected, got, n);
}

static void test_caffe(void)
{
    const long its[] = {0, 1, 100, 500, 1000, 5000, 10000};
    SchedParams p = defaults(SCHED_INV);
    p.gamma = 1e-4;
    p.power = 0.75;
    const double lenet[] = {0.01, 0.009999250065618985, 0.009925650290240803, 0.00964068794694323,
                            0.009310124446222227, 0.007377879464668811, 0.005946035575013605};
    expect_iters("inv 1e-4", &p, 0.01, its, lenet, 7);
    p.gamma = 1e-3;
    const double inv3[] = {0.01, 0.00999250655649001, 0.009310124446222227, 0.007377879464668811,
                           0.005946035575013605, 0.0026084743001221454, 0.0016556002607617019};
    expect_iters("inv 1e-3", &p, 0.01, its, inv3, 7);

    p = defaults(SCHED_CAFFE_STEP);
    p.stepsize = 1000;
    const long sits[] = {0, 999, 1000, 2500};
    /* SEMANTICS writes 1e-4 for iter 2500; the double is 0.01 * 0.1^2 */
    const double st[] = {0.01, 0.01, 0.001, 0.00010000000000000002};
    expect_iters("caffe step", &p, 0.01, sits, st, 4);

    p = defaults(SCHED_POLY);
    p.max_iter = 10000;
    const long pits[] = {0, 5000};
    const double po[] = {0.01, 0.005};
    expect_iters("poly", &p, 0.01, pits, po, 2);

    p = defaults(SCHED_SIGMOID);
    p.gamma = 0.001;
    p.stepsize = 5000;
    const long gits[] = {0, 5000, 10000};
    /* Caffe computes base * (1 / (1 + exp(...))); SEMANTICS' 0.009933071490757152 at 10000
     * is base / (1 + exp(...)), one ulp lower: the exact value at 10000 tells them apart. */
    const double sg[] = {6.692850924284855e-05, 0.005, 0.009933071490757154};
    expect_iters("sigmoid", &p, 0.01, gits, sg, 3);

    p = defaults(SCHED_EXP);
    p.gamma = 0.5;
    const long eits[] = {0, 1, 3};
    const double ee[] = {1, 0.5, 0.125};
    expect_iters("exp", &p, 1.0, eits, ee, 3);

    p = defaults(SCHED_CAFFE_MULTISTEP);
    p.gamma = 0.5;
    p.n_milestones = 2;
    p.milestones[0] = 2;
    p.milestones[1] = 5;
    const long mits[] = {0, 1, 2, 4, 5, 9};
    const double me[] = {1, 1, 0.5, 0.5, 0.25, 0.25};
    expect_iters("caffe multistep", &p, 1.0, mits, me, 6);

    p = defaults(SCHED_FIXED);
    const long fits[] = {0, 7};
    const double fe[] = {0.25, 0.25};
    expect_iters("fixed", &p, 0.25, fits, fe, 2);
}

static void test_units(void)
{
    /* an epoch schedule ignores iterations; an iteration schedule ignores epochs */
    SchedParams p = defaults(SCHED_EXPONENTIAL);
    p.gamma = 0.5;
    Sched s;
    Err e;
    CHECK(sched_init(&s, &p, 1.0, 4, 10, 0, &e) == 0);
    sched_after_iteration(&s);
    CHECK(sched_lr(&s) == 1.0);
    sched_after_epoch(&s, NAN, NAN);
    CHECK(sched_lr(&s) == 0.5);
    p.step_unit = STEP_UNIT_ITERATION;
    CHECK(sched_init(&s, &p, 1.0, 4, 10, 0, &e) == 0);
    sched_after_epoch(&s, NAN, NAN);
    CHECK(sched_lr(&s) == 1.0);
    sched_after_iteration(&s);
    CHECK(sched_lr(&s) == 0.5);

    /* lambda variables in iteration units: iteration = t, epoch = whole epochs */
    p = defaults(SCHED_LAMBDA);
    p.step_unit = STEP_UNIT_ITERATION;
    snprintf(p.lambda, sizeof p.lambda, "1 / (1 + epoch + iteration / 1000)");
    CHECK(sched_init(&s, &p, 1.0, 2, 4, 0, &e) == 0);
    for (int k = 0; k < 5; k++)
        sched_after_iteration(&s);
    CHECK(sched_lr(&s) == 1.0 * (1 / (1 + 1.0 + 5.0 / 1000)));
}

static void test_errors(void)
{
    Sched s;
    Err e;
    SchedParams p = defaults(SCHED_LAMBDA);
    snprintf(p.lambda, sizeof p.lambda, "0.95 ^ ^ epoch");
    CHECK(sched_init(&s, &p, 0.1, 10, 5, 0, &e) == -1);
    CHECK_STR("schedule.lambda", e.key);
    CHECK(strncmp(e.msg, "column ", 7) == 0);

    snprintf(p.lambda, sizeof p.lambda, "1 / (2 - epoch)");
    CHECK(sched_init(&s, &p, 0.1, 10, 5, 0, &e) == -1);
    CHECK_STR("schedule.lambda", e.key);
    CHECK_STR("the learning rate would be inf at epoch 2 (expected a finite learning rate >= 0 "
              "at every step)", e.msg);

    snprintf(p.lambda, sizeof p.lambda, "0 * epoch");
    CHECK(sched_init(&s, &p, 0.1, 10, 5, 0, &e) == -1);
    CHECK_STR("the learning rate would be 0 at every step, so nothing would train (expected a "
              "schedule with a learning rate > 0 at some step)", e.msg);
    snprintf(p.lambda, sizeof p.lambda, "epoch / 5"); /* a warm-up from 0 is a choice */
    CHECK(sched_init(&s, &p, 0.1, 10, 5, 0, &e) == 0);

    p = defaults(SCHED_ONECYCLE);
    CHECK(sched_init(&s, &p, 0.1, 1, 1, 0, &e) == -1);
    CHECK(strstr(e.msg, "at least 2 iterations") != NULL);
    p.pct_start = 0.5;
    CHECK(sched_init(&s, &p, 0.1, 1, 2, 0, &e) == -1); /* 0.5 * 2 - 1 = 0 */
    CHECK_STR("schedule.pct_start", e.key);
    p = defaults(SCHED_ONECYCLE);
    p.warmup_epochs = 1;
    CHECK(sched_init(&s, &p, 0.1, 3, 10, 0, &e) == -1);

    p = defaults(SCHED_COSINE);
    CHECK(sched_init(&s, &p, 0.1, 0, 10, 0, &e) == -1);
    CHECK_STR("schedule.T_max", e.key);
    CHECK(strncmp(e.msg, "resolves to 0", 13) == 0);

    p = defaults(SCHED_STEP);
    p.step_size = 0;
    CHECK(sched_init(&s, &p, 0.1, 5, 10, 0, &e) == -1);
    p = defaults(SCHED_POLY);
    p.power = 0.5;
    CHECK(sched_init(&s, &p, 0.1, 5, 0, 0, &e) == -1); /* no steps per epoch */
    CHECK(sched_init(&s, &p, 0.1, 2, 3, 0, &e) == 0);  /* max_iter = 6 */
    p.max_iter = 3;                                   /* past max_iter the LR holds 0 */
    CHECK(sched_init(&s, &p, 0.1, 2, 3, 0, &e) == 0);
}

static void test_table(void)
{
    char buf[512];
    Err e;
    SchedParams p = defaults(SCHED_STEP);
    p.step_size = 2;
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(sched_write_table(f, &p, 0.1, 5, 100, 0, &e) == 0);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    CHECK_STR("epoch,lr\r\n0,0.10000000000000001\r\n1,0.10000000000000001\r\n"
              "2,0.010000000000000002\r\n3,0.010000000000000002\r\n4,0.0010000000000000002\r\n",
              buf);
    fclose(f);

    p = defaults(SCHED_CAFFE_STEP);
    p.gamma = 0.5;
    p.stepsize = 2;
    f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(sched_write_table(f, &p, 1.0, 2, 2, 3, &e) == 0); /* capped at 3 iterations */
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    CHECK_STR("iteration,lr\r\n0,1\r\n1,1\r\n2,0.5\r\n", buf);

    p = defaults(SCHED_PLATEAU);
    rewind(f);
    CHECK(sched_write_table(f, &p, 0.1, 5, 100, 0, &e) == -1);
    CHECK_STR("schedule.type = plateau: its learning rate depends on the validation results of "
              "each epoch, so it cannot be printed ahead of training", e.msg);
    fclose(f);
}

/* Every state a run passes through is one sched_check_state accepts, so a checkpoint at
 * any step loads; a run of 6 epochs of 4 steps, stepped as the training loop steps it
 * (no epoch step after the last epoch), with a validation loss that stops improving. */
static void check_every_state(const char *what, const SchedParams *p)
{
    Sched s;
    Err e;
    SchedState st;
    if (sched_init(&s, p, 0.1, 6, 4, 0, &e)) {
        fprintf(stderr, "%s: %s: sched_init: %s\n", test_cur_name, what, e.msg);
        test_cur_failed = 1;
        return;
    }
    long iterations = 0, ends = 0;
    for (int epoch = 0; epoch < 6; epoch++) {
        for (int k = 0; k < 4; k++) {
            sched_after_iteration(&s);
            iterations++;
            sched_get_state(&s, &st);
            if (sched_check_state(&s, &st, iterations, ends, &e) < 0)
                fprintf(stderr, "%s: %s: after iteration %d of epoch %d: %s\n", test_cur_name,
                        what, k + 1, epoch + 1, e.msg), test_cur_failed = 1;
        }
        if (epoch < 5) {
            sched_after_epoch(&s, epoch < 2 ? 1.0 - epoch * 0.1 : 0.9, 0.5);
            ends++;
        }
        sched_get_state(&s, &st);
        if (sched_check_state(&s, &st, iterations, ends, &e) < 0)
            fprintf(stderr, "%s: %s: after epoch %d: %s\n", test_cur_name, what, epoch + 1,
                    e.msg), test_cur_failed = 1;
    }
}

static void test_check_state(void)
{
    SchedParams p = defaults(SCHED_COSINE_WARM_RESTARTS);
    p.T_0 = 1;
    p.T_mult = 2;
    check_every_state("warm restarts per epoch", &p);
    p.warmup_epochs = 2;
    p.warmup_start_factor = 0.5;
    check_every_state("warm-up then warm restarts", &p);
    p = defaults(SCHED_COSINE_WARM_RESTARTS);
    p.step_unit = STEP_UNIT_ITERATION;
    p.T_0 = 2;
    p.T_mult = 3;
    check_every_state("warm restarts per iteration", &p);
    p = defaults(SCHED_CAFFE_MULTISTEP);
    p.n_milestones = 3;
    p.milestones[0] = 3;
    p.milestones[1] = 7;
    p.milestones[2] = 20;
    p.warmup_iterations = 2;
    check_every_state("warm-up then caffe_multistep", &p);
    p = defaults(SCHED_PLATEAU);
    p.patience = 1;
    p.cooldown = 2;
    p.factor = 0.5;
    check_every_state("plateau", &p);
    p.warmup_iterations = 3;
    check_every_state("warm-up iterations then plateau", &p);
    p = defaults(SCHED_ONECYCLE);
    check_every_state("onecycle", &p);
    p = defaults(SCHED_STEP);
    p.warmup_epochs = 1;
    check_every_state("warm-up then step", &p);
    p = defaults(SCHED_COSINE);
    check_every_state("cosine", &p);

    /* and the values just beyond are refused, each named */
    p = defaults(SCHED_COSINE_WARM_RESTARTS);
    p.T_0 = 1;
    p.T_mult = 2;
    Sched s;
    Err e;
    CHECK(sched_init(&s, &p, 0.1, 6, 4, 0, &e) == 0);
    sched_after_epoch(&s, NAN, NAN); /* T_cur 0, T_i 2 */
    SchedState good, st;
    sched_get_state(&s, &good);
    CHECK(good.t == 1 && good.T_cur == 0 && good.T_i == 2);
    CHECK(sched_check_state(&s, &good, 4, 1, &e) == 0);
    CHECK(sched_check_state(&s, &good, 8, 2, &e) < 0 &&
          strstr(e.msg, "t = 1 (expected 2: 8 iterations and 2 epoch ends, stepped per epoch)"));
    st = good, st.t = 7;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "t = 7 (expected 1:"));
    st = good, st.T_cur = 2;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 &&
          strstr(e.msg, "T_cur = 2 (expected 0..1: below T_i = 2)"));
    st = good, st.T_i = 3;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "T_i = 3 (expected 1..2)"));
    st = good, st.T_i = 0; /* only before a warm-up's end */
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "T_i = 0 (expected 1..2)"));
    st = good, st.caffe_step = 1;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "caffe_step = 1"));
    st = good, st.num_bad = 11;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "num_bad = 11 (expected 0..10"));
    st = good, st.cooldown_counter = -1;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "cooldown_counter = -1"));
    st = good, st.lr = INFINITY;
    CHECK(sched_check_state(&s, &st, 4, 1, &e) < 0 && strstr(e.msg, "lr = inf"));
    /* plateau counts only its warm-up's steps */
    p = defaults(SCHED_PLATEAU);
    p.warmup_epochs = 2;
    CHECK(sched_init(&s, &p, 0.1, 6, 4, 0, &e) == 0);
    for (int k = 0; k < 4; k++)
        sched_after_epoch(&s, 1.0, 0.5);
    sched_get_state(&s, &st);
    CHECK(st.t == 2 && sched_check_state(&s, &st, 16, 4, &e) == 0);
    st.t = 4;
    CHECK(sched_check_state(&s, &st, 16, 4, &e) < 0 &&
          strstr(e.msg, "t = 4 (expected 2: 16 iterations and 4 epoch ends, stepped per epoch, "
                 "plateau counting only its warm-up)"));
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_fixture);
    RUN(test_cosine);
    RUN(test_warm_restarts);
    RUN(test_table_7_5);
    RUN(test_warmup_then_cosine);
    RUN(test_onecycle);
    RUN(test_plateau);
    RUN(test_caffe);
    RUN(test_units);
    RUN(test_errors);
    RUN(test_table);
    RUN(test_check_state);
    return test_finish(argv[0]);
}
