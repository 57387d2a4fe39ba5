/* sched.c - see sched.h. PyTorch schedules are the chainable get_lr of
 * torch/optim/lr_scheduler.py (1.13) in the same operation order; Caffe policies are
 * SGDSolver::GetLearningRate of BVLC caffe src/caffe/solvers/sgd_solver.cpp; SEMANTICS §7
 * gives both. Not here: when to call what (train.c, SEMANTICS §8), parameter ranges (config.c). */
#include "sched.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Python's math.pi; strict C11 has no M_PI. */
#define SCHED_PI 3.141592653589793
/* ReduceLROnPlateau's eps: smaller LR changes are ignored. */
#define PLATEAU_EPS 1e-8

static long count_milestones(const SchedParams *p, long m, bool up_to)
{
    long c = 0;
    for (int i = 0; i < p->n_milestones; i++)
        if (up_to ? p->milestones[i] <= m : p->milestones[i] == m)
            c++;
    return c;
}

/* CosineAnnealingWarmRestarts.get_lr: computed from base, not recursively. */
static double warm_restarts_lr(const Sched *s, double T_cur, double T_i)
{
    double eta = s->p.eta_min;
    return eta + (s->base_lr - eta) * (1 + cos(SCHED_PI * T_cur / T_i)) / 2;
}

/* CosineAnnealingWarmRestarts.step(epoch) with PyTorch's fractional epoch e + i/iters
 * for main step m (SEMANTICS §7.4); T_0 still counts epochs. */
static double warm_restarts_fractional(const Sched *s, long m)
{
    long spe = s->steps_per_epoch, T_0 = s->p.T_0, T_mult = s->p.T_mult;
    double epoch = (double)(m / spe) + (double)(m % spe) / (double)spe;
    double T_cur = epoch, T_i = (double)T_0;
    if (epoch >= (double)T_0) {
        if (T_mult == 1) {
            T_cur = fmod(epoch, (double)T_0);
        } else {
            /* math.log(x, b) is log(x) / log(b); int() truncates */
            long n = (long)(log(epoch / (double)T_0 * (double)(T_mult - 1) + 1) /
                            log((double)T_mult));
            long pw = 1;
            for (long k = 0; k < n; k++)
                pw *= T_mult;
            T_cur = epoch - (double)(T_0 * (pw - 1)) / (double)(T_mult - 1);
            T_i = (double)(T_0 * pw);
        }
    }
    return warm_restarts_lr(s, T_cur, T_i);
}

/* LambdaLR: base * f. The variables are the main schedule's own: in epoch units epoch = m
 * and iteration = m * steps_per_epoch; in iteration units iteration = m and epoch is the
 * number of whole epochs in m. */
static double lambda_lr(const Sched *s, long m)
{
    double epoch, iteration;
    if (s->unit == STEP_UNIT_EPOCH) {
        epoch = (double)m;
        iteration = (double)m * (double)s->steps_per_epoch;
    } else {
        epoch = (double)(m / s->steps_per_epoch);
        iteration = (double)m;
    }
    return s->base_lr * expr_eval(&s->lambda, epoch, iteration, s->base_lr);
}

/* OneCycleLR._annealing_cos */
static double anneal_cos(double start, double end, double pct)
{
    double cos_out = cos(SCHED_PI * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
}

/* OneCycleLR.get_lr at step k, two phases, anneal cos (SEMANTICS §7.6). */
static double onecycle_lr(const Sched *s, long k)
{
    const SchedParams *p = &s->p;
    long total = s->total_steps;
    if (k > total - 1) /* PyTorch raises past total_steps; the run never gets there */
        k = total - 1;
    double initial = p->max_lr / p->div_factor;
    double min_lr = initial / p->final_div_factor;
    double end1 = p->pct_start * (double)total - 1;
    double end2 = (double)(total - 1);
    if ((double)k <= end1)
        return anneal_cos(initial, p->max_lr, (double)k / end1);
    return anneal_cos(p->max_lr, min_lr, ((double)k - end1) / (end2 - end1));
}

static double main_step(Sched *s, long m);

/* The main schedule's LR at its own step 0, and its state reset. At construction PyTorch's
 * initial step returns get_lr() at last_epoch 0; after a warm-up SequentialLR restarts it
 * with step(0), which uses _get_closed_form_lr where the class has one (restart). */
static double main_first(Sched *s, bool restart)
{
    const SchedParams *p = &s->p;
    double base = s->base_lr;
    s->T_cur = 0;
    s->T_i = p->T_0;
    s->caffe_step = 0;
    s->best = p->mode == PLATEAU_MIN ? INFINITY : -INFINITY;
    s->num_bad = 0;
    s->cooldown_counter = 0;
    switch (p->type) {
    case SCHED_MULTISTEP: {
        /* get_lr: milestone multiplicity at 0; closed form: bisect_right(sorted, 0) */
        long c = count_milestones(p, 0, restart);
        if (restart)
            return base * pow(p->gamma, (double)c);
        return c ? base * pow(p->gamma, (double)c) : base;
    }
    case SCHED_LAMBDA:
        return lambda_lr(s, 0);
    case SCHED_COSINE:
        if (restart)
            return p->eta_min +
                   (base - p->eta_min) * (1 + cos(SCHED_PI * 0 / (double)p->T_max)) / 2;
        return base;
    case SCHED_COSINE_WARM_RESTARTS:
        return warm_restarts_lr(s, 0, (double)p->T_0);
    case SCHED_LINEAR:
        return base * p->start_factor;
    case SCHED_ONECYCLE:
        return onecycle_lr(s, 0);
    case SCHED_FIXED: case SCHED_CAFFE_STEP: case SCHED_EXP: case SCHED_INV: case SCHED_POLY:
    case SCHED_SIGMOID: case SCHED_CAFFE_MULTISTEP:
        return main_step(s, 0);
    case SCHED_CONSTANT: case SCHED_PLATEAU:
    case SCHED_STEP: case SCHED_EXPONENTIAL: /* base * gamma^0 = base */
        return base;
    }
    return NAN; /* not reached: sched_init refuses a type outside SchedKind */
}

/* The main schedule's LR at its own step m >= 1; s->lr is the previous value (lr_prev).
 * The Caffe policies are closed forms in the iteration m (SEMANTICS §7.8), also at m = 0;
 * caffe_multistep keeps Caffe's current_step_, which advances at most once per call, so
 * it is called once per iteration in order. */
static double main_step(Sched *s, long m)
{
    const SchedParams *p = &s->p;
    double base = s->base_lr, lr = s->lr;
    switch (p->type) {
    case SCHED_STEP:
        return m % p->step_size == 0 ? lr * p->gamma : lr;
    case SCHED_MULTISTEP: {
        long c = count_milestones(p, m, false);
        return c ? lr * pow(p->gamma, (double)c) : lr;
    }
    case SCHED_EXPONENTIAL:
        return lr * p->gamma;
    case SCHED_LAMBDA:
        return lambda_lr(s, m);
    case SCHED_COSINE: {
        /* SEMANTICS §7.3; Python's % is non-negative */
        long T = p->T_max;
        double eta = p->eta_min;
        if (((m - 1 - T) % (2 * T) + 2 * T) % (2 * T) == 0)
            return lr + (base - eta) * (1 - cos(SCHED_PI / (double)T)) / 2;
        return (1 + cos(SCHED_PI * (double)m / (double)T)) /
               (1 + cos(SCHED_PI * (double)(m - 1) / (double)T)) * (lr - eta) + eta;
    }
    case SCHED_COSINE_WARM_RESTARTS:
        if (s->unit == STEP_UNIT_ITERATION)
            return warm_restarts_fractional(s, m);
        s->T_cur++;
        if (s->T_cur >= s->T_i) {
            s->T_cur -= s->T_i;
            s->T_i *= p->T_mult;
        }
        return warm_restarts_lr(s, (double)s->T_cur, (double)s->T_i);
    case SCHED_LINEAR: {
        double sf = p->start_factor, ef = p->end_factor;
        if (m > p->total_iters)
            return lr;
        return lr * (1. + (ef - sf) / ((double)p->total_iters * sf + (double)(m - 1) * (ef - sf)));
    }
    case SCHED_ONECYCLE:
        return onecycle_lr(s, m);
    case SCHED_FIXED:
        return base;
    case SCHED_CAFFE_STEP:
        return base * pow(p->gamma, (double)(m / p->stepsize));
    case SCHED_EXP:
        return base * pow(p->gamma, (double)m);
    case SCHED_INV:
        return base * pow(1.0 + p->gamma * (double)m, -p->power);
    case SCHED_POLY:
        /* Caffe stops at max_iter; past it, hold 0 instead of pow(negative, power) */
        if (m > p->max_iter)
            m = p->max_iter;
        return base * pow(1.0 - ((double)m / (double)p->max_iter), p->power);
    case SCHED_SIGMOID:
        return base * (1.0 / (1.0 + exp(-p->gamma * ((double)m - (double)p->stepsize))));
    case SCHED_CAFFE_MULTISTEP:
        if (s->caffe_step < p->n_milestones && m >= p->milestones[s->caffe_step])
            s->caffe_step++;
        return base * pow(p->gamma, (double)s->caffe_step);
    case SCHED_CONSTANT:
    case SCHED_PLATEAU: /* moves only in plateau_step */
        return lr;
    }
    return NAN; /* not reached: sched_init refuses a type outside SchedKind */
}

/* One scheduler step: SequentialLR([LinearLR(sf, 1, W), main], milestones=[W]).step(). */
static void advance(Sched *s)
{
    long t = ++s->t, W = s->warmup;
    if (t < W) {
        double sf = s->p.warmup_start_factor, ef = 1.0;
        s->lr = s->lr * (1. + (ef - sf) / ((double)W * sf + (double)(t - 1) * (ef - sf)));
    } else if (t == W) {
        s->lr = main_first(s, true);
    } else {
        s->lr = main_step(s, t - W);
    }
}

/* ReduceLROnPlateau.step(x) (SEMANTICS §7.7). */
static void plateau_step(Sched *s, double x)
{
    const SchedParams *p = &s->p;
    bool rel = p->threshold_mode == THRESH_REL, better;
    if (p->mode == PLATEAU_MIN)
        better = rel ? x < s->best * (1. - p->threshold) : x < s->best - p->threshold;
    else
        better = rel ? x > s->best * (p->threshold + 1.) : x > s->best + p->threshold;
    if (better) {
        s->best = x;
        s->num_bad = 0;
    } else {
        s->num_bad++;
    }
    if (s->cooldown_counter > 0) {
        s->cooldown_counter--;
        s->num_bad = 0;
    }
    if (s->num_bad > p->patience) {
        double old = s->lr, lr = old * p->factor;
        if (p->min_lr > lr) /* Python max(lr, min_lr) keeps the first on ties */
            lr = p->min_lr;
        if (old - lr > PLATEAU_EPS)
            s->lr = lr;
        s->cooldown_counter = p->cooldown;
        s->num_bad = 0;
    }
}

void sched_after_iteration(Sched *s)
{
    if (s->unit != STEP_UNIT_ITERATION)
        return;
    if (s->p.type == SCHED_PLATEAU && s->t >= s->warmup)
        return;
    advance(s);
}

/* The validation result that plateau watches. */
static double watched(const Sched *s, double val_loss, double val_acc)
{
    switch (s->p.metric) {
    case METRIC_VAL_LOSS: return val_loss;
    case METRIC_VAL_ACC: return val_acc;
    }
    return NAN; /* not reached: config.c parses the metric from its names */
}

void sched_after_epoch(Sched *s, double val_loss, double val_acc)
{
    if (s->p.type == SCHED_PLATEAU) {
        if (s->t >= s->warmup)
            plateau_step(s, watched(s, val_loss, val_acc));
        else if (s->unit == STEP_UNIT_EPOCH)
            advance(s);
        return;
    }
    if (s->unit == STEP_UNIT_EPOCH)
        advance(s);
}

/* "nan", "inf" or %g: the same on every platform (printf may write "-nan"). */
static const char *lr_text(double v, char buf[32])
{
    if (isnan(v))
        return "nan";
    if (isinf(v))
        return v > 0 ? "inf" : "-inf";
    snprintf(buf, 32, "%g", v);
    return buf;
}

void sched_get_state(const Sched *s, SchedState *st)
{
    *st = (SchedState){.lr = s->lr, .best = s->best, .t = s->t, .T_cur = s->T_cur, .T_i = s->T_i,
                       .caffe_step = s->caffe_step, .num_bad = s->num_bad,
                       .cooldown_counter = s->cooldown_counter};
}

void sched_set_state(Sched *s, const SchedState *st)
{
    s->lr = st->lr;
    s->best = st->best;
    s->t = st->t;
    s->T_cur = st->T_cur;
    s->T_i = st->T_i;
    s->caffe_step = st->caffe_step;
    s->num_bad = st->num_bad;
    s->cooldown_counter = st->cooldown_counter;
}

int sched_check_state(const Sched *s, const SchedState *st, long iterations, long epoch_ends,
                      Err *e)
{
    const SchedParams *p = &s->p;
    char text[32];
    if (!(st->lr >= 0 && st->lr <= DBL_MAX))
        return err_set(e, "lr = %s (expected a finite learning rate >= 0)", lr_text(st->lr, text));
    /* One step per iteration or per epoch end; plateau counts only its warm-up's. */
    long t = s->unit == STEP_UNIT_ITERATION ? iterations : epoch_ends;
    if (p->type == SCHED_PLATEAU && t > s->warmup)
        t = s->warmup;
    if (st->t != t)
        return err_set(e, "t = %ld (expected %ld: %ld iterations and %ld epoch ends, stepped "
                       "per %s%s)", st->t, t, iterations, epoch_ends,
                       params_step_unit_names[s->unit],
                       p->type == SCHED_PLATEAU ? ", plateau counting only its warm-up" : "");
    /* Before a warm-up ends the main schedule has not begun: T_i = T_cur = 0. Then T_i
     * starts at T_0 and grows by T_mult at a restart, which needs T_i steps first: at most
     * T_mult times the steps taken. */
    bool begun = t >= s->warmup;
    double t_i_min = begun ? (double)p->T_0 : 0,
           t_i_max = begun ? fmax((double)p->T_0, (double)p->T_mult * (double)t) : 0;
    if ((double)st->T_i < t_i_min || (double)st->T_i > t_i_max)
        return err_set(e, "T_i = %ld (expected %.0f..%.0f)", st->T_i, t_i_min, t_i_max);
    if (st->T_cur < 0 || (st->T_cur >= st->T_i && (st->T_cur | st->T_i) != 0))
        return err_set(e, "T_cur = %ld (expected 0..%ld: below T_i = %ld)", st->T_cur,
                       st->T_i > 0 ? st->T_i - 1 : 0, st->T_i);
    if (st->caffe_step < 0 || st->caffe_step > p->n_milestones)
        return err_set(e, "caffe_step = %ld (expected 0..%d: the milestones passed)",
                       st->caffe_step, p->n_milestones);
    /* plateau: a bad epoch beyond patience cuts the LR and starts the count again */
    if (st->num_bad < 0 || st->num_bad > p->patience)
        return err_set(e, "num_bad = %ld (expected 0..%ld: at most patience)", st->num_bad,
                       p->patience);
    if (st->cooldown_counter < 0 || st->cooldown_counter > p->cooldown)
        return err_set(e, "cooldown_counter = %ld (expected 0..%ld: at most cooldown)",
                       st->cooldown_counter, p->cooldown);
    return 0;
}

/* The entries of the section sched.counts (sched.h). */
enum { SC_T, SC_T_CUR, SC_T_I, SC_CAFFE_STEP, SC_NUM_BAD, SC_COOLDOWN, SC_N };

void sched_ckpt_put(const Sched *s, CkptWriter *w)
{
    SchedState st;
    sched_get_state(s, &st);
    double lr_best[] = {st.lr, st.best};
    int64_t counts[SC_N] = {[SC_T] = st.t, [SC_T_CUR] = st.T_cur, [SC_T_I] = st.T_i,
                            [SC_CAFFE_STEP] = st.caffe_step, [SC_NUM_BAD] = st.num_bad,
                            [SC_COOLDOWN] = st.cooldown_counter};
    ckpt_put_f64(w, "sched.lr_best", lr_best, 2);
    ckpt_put_i64(w, "sched.counts", counts, SC_N);
}

int sched_ckpt_get(Sched *s, const CkptFile *f, long iterations, long epoch_ends, Err *e)
{
    double lr_best[2];
    int64_t c[SC_N];
    if (ckpt_get_f64(f, "sched.lr_best", lr_best, 2, e) < 0 ||
        ckpt_get_i64(f, "sched.counts", c, SC_N, e) < 0)
        return -1;
    for (int k = 0; k < SC_N; k++)
        if (c[k] < 0 || c[k] > LONG_MAX)
            return err_set(e, "%s: damaged: entry %d of section 'sched.counts' is %lld "
                           "(expected 0..%ld)", f->path, k, (long long)c[k], LONG_MAX);
    SchedState st = {.lr = lr_best[0], .best = lr_best[1], .t = (long)c[SC_T],
                     .T_cur = (long)c[SC_T_CUR], .T_i = (long)c[SC_T_I],
                     .caffe_step = (long)c[SC_CAFFE_STEP], .num_bad = (long)c[SC_NUM_BAD],
                     .cooldown_counter = (long)c[SC_COOLDOWN]};
    Err se;
    if (sched_check_state(s, &st, iterations, epoch_ends, &se) < 0)
        return err_set(e, "%s: damaged: the schedule's state in sections 'sched.lr_best' and "
                       "'sched.counts': %s", f->path, se.msg);
    sched_set_state(s, &st);
    return 0;
}

/* Steps through the whole run on a copy, so an LR that turns negative, infinite or NaN
 * (a lambda dividing by zero, inv with 1 + gamma*iter < 0, ...) is an error now rather
 * than a diverged run later. A schedule that follows validation results (plateau) is
 * not known ahead and is not checked. */
static int check_run(const Sched *s0, Err *e)
{
    if (!params_scheds[s0->p.type].printable)
        return 0;
    Sched s = *s0;
    const char *key = s.p.type == SCHED_LAMBDA ? "schedule.lambda" : "schedule.type";
    char text[32];
    bool trains = false;
    for (long k = 0; k < s.total_steps; k++) {
        if (k > 0)
            advance(&s);
        if (!(s.lr >= 0 && s.lr <= DBL_MAX))
            return err_set_key(e, key, "the learning rate would be %s at %s %ld (expected a "
                               "finite learning rate >= 0 at every step)", lr_text(s.lr, text),
                               params_step_unit_names[s.unit], k);
        trains |= s.lr > 0;
    }
    /* A zero LR at some steps is a choice (a warm-up from 0); at every step, a mistake. */
    if (!trains && s.total_steps > 0)
        return err_set_key(e, key, "the learning rate would be 0 at every step, so nothing would "
                           "train (expected a schedule with a learning rate > 0 at some step)");
    return 0;
}

int sched_init(Sched *s, const SchedParams *p, double base_lr, long total_epochs,
               long steps_per_epoch, long total_iterations, Err *e)
{
    memset(s, 0, sizeof *s);
    s->p = *p;
    s->base_lr = base_lr;
    s->steps_per_epoch = steps_per_epoch;
    if ((unsigned)p->type >= SCHED_COUNT)
        return err_set(e, "schedule.type: unknown kind %d", (int)p->type);
    if ((unsigned)p->step_unit >= STEP_UNIT_COUNT)
        return err_set(e, "schedule.step_unit: must be resolved to epoch or iteration (got %d)",
                       (int)p->step_unit);
    if (steps_per_epoch < 1)
        return err_set(e, "schedule: an epoch must have at least one optimizer step (got %ld)",
                       steps_per_epoch);

    long iters = total_epochs > 0 ? total_epochs * steps_per_epoch : 0;
    long epochs = total_epochs > 0 ? total_epochs : 0;
    if (total_iterations > 0 && (iters == 0 || total_iterations < iters)) {
        iters = total_iterations;
        epochs = (iters + steps_per_epoch - 1) / steps_per_epoch;
    }

    s->unit = p->step_unit;
    if (params_scheds[p->type].per_iteration || p->warmup_iterations > 0)
        s->unit = STEP_UNIT_ITERATION;
    s->total_steps = s->unit == STEP_UNIT_ITERATION ? iters : epochs;
    if (p->warmup_iterations > 0)
        s->warmup = p->warmup_iterations;
    else if (p->warmup_epochs > 0)
        s->warmup = s->unit == STEP_UNIT_ITERATION ? p->warmup_epochs * steps_per_epoch
                                                   : p->warmup_epochs;

    if (s->warmup > 0 && p->warmup_start_factor <= 0)
        return err_set_key(e, "schedule.warmup_start_factor", "must be > 0 (got %g)",
                       p->warmup_start_factor);
    switch (p->type) {
    case SCHED_LAMBDA: {
        Err ex;
        if (expr_compile(&s->lambda, p->lambda, &ex))
            return err_set_key(e, "schedule.lambda", "%s", ex.msg);
        break;
    }
    case SCHED_STEP:
        if (p->step_size < 1)
            return err_set_key(e, "schedule.step_size", "must be >= 1 (got %ld)", p->step_size);
        break;
    case SCHED_CAFFE_STEP:
        if (p->stepsize < 1)
            return err_set_key(e, "schedule.stepsize", "must be >= 1 (got %ld)", p->stepsize);
        break;
    case SCHED_COSINE:
        if (p->T_max == 0)
            s->p.T_max = s->total_steps;
        if (s->p.T_max <= 0)
            return err_set_key(e, "schedule.T_max", "resolves to %ld (0 means the run's %ss, and "
                           "the run has none); set T_max > 0",
                           s->p.T_max, params_step_unit_names[s->unit]);
        break;
    case SCHED_COSINE_WARM_RESTARTS:
        if (p->T_0 < 1 || p->T_mult < 1)
            return err_set_key(e, "schedule.T_0", "T_0 and T_mult must be >= 1 (got %ld and %ld)", p->T_0,
                           p->T_mult);
        break;
    case SCHED_LINEAR:
        if (p->start_factor <= 0 && p->total_iters > 0)
            return err_set_key(e, "schedule.start_factor", "must be > 0 (got %g)", p->start_factor);
        break;
    case SCHED_POLY:
        if (p->max_iter == 0)
            s->p.max_iter = s->total_steps;
        if (s->p.max_iter <= 0)
            return err_set_key(e, "schedule.max_iter", "resolves to %ld (0 means the run's "
                           "iterations, and the run has none); set max_iter > 0", s->p.max_iter);
        break;
    case SCHED_ONECYCLE:
        if (s->warmup > 0)
            return err_set_key(e, "schedule.type", "onecycle has its own warm-up (pct_start); "
                           "set warmup_epochs and warmup_iterations to 0");
        if (p->max_lr == 0)
            s->p.max_lr = base_lr;
        if (s->total_steps < 2)
            return err_set_key(e, "schedule.type", "onecycle needs at least 2 iterations in the run "
                           "(got %ld)", s->total_steps);
        if (p->pct_start * (double)s->total_steps - 1 == 0)
            return err_set_key(e, "schedule.pct_start", "pct_start * total_steps = 1 leaves the rising "
                           "phase with no length (PyTorch divides by zero); change pct_start");
        break;
    case SCHED_CONSTANT: case SCHED_MULTISTEP: case SCHED_EXPONENTIAL: case SCHED_PLATEAU:
    case SCHED_FIXED: case SCHED_EXP: case SCHED_INV: case SCHED_SIGMOID:
    case SCHED_CAFFE_MULTISTEP:
        break; /* nothing to resolve; config.c has checked their keys */
    }

    if (s->warmup > 0)
        s->lr = base_lr * p->warmup_start_factor;
    else
        s->lr = main_first(s, false);
    return check_run(s, e);
}

int sched_write_table(FILE *f, const SchedParams *p, double base_lr, long total_epochs,
                      long steps_per_epoch, long total_iterations, Err *e)
{
    if ((unsigned)p->type < SCHED_COUNT && !params_scheds[p->type].printable)
        return err_set(e, "schedule.type = %s: its learning rate depends on the validation "
                       "results of each epoch, so it cannot be printed ahead of training",
                       params_sched_names[p->type]);
    Sched s;
    if (sched_init(&s, p, base_lr, total_epochs, steps_per_epoch, total_iterations, e))
        return -1;
    fprintf(f, "%s,lr\r\n", params_step_unit_names[s.unit]);
    for (long k = 0; k < s.total_steps; k++) {
        if (k > 0)
            advance(&s);
        fprintf(f, "%ld,%.17g\r\n", k, s.lr);
    }
    if (ferror(f))
        return err_set(e, "schedule table: write failed");
    return 0;
}
