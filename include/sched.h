/* sched.h - learning-rate schedules (SEMANTICS §7): PyTorch's schedulers in their recursive
 * (chainable) forms, bit-exact in double, Caffe's per-iteration policies, and a linear
 * warm-up composed in front of any of them with SequentialLR semantics.
 * The LR is a function of the step count plus the explicit state in Sched; nothing here
 * knows about models or data, and of files only its own sections in a checkpoint (ckpt.h)
 * and the CSV table sched_write_table writes. */
#ifndef MLPTRAIN_SCHED_H
#define MLPTRAIN_SCHED_H

#include "ckpt.h"
#include "expr.h"
#include "params.h"
#include "util.h"

#include <stdio.h>

/* Everything below is private to sched.c; read the LR with sched_lr. */
typedef struct {
    SchedParams p;            /* copy; T_max, max_iter and max_lr hold resolved values */
    double base_lr;
    long steps_per_epoch;     /* optimizer steps per epoch */
    StepUnit unit;            /* unit of t: p.step_unit, or iteration for onecycle and Caffe */
    long total_steps;         /* of the whole run, in unit */
    long warmup;              /* warm-up length W in unit, 0 = none */
    double lr;                /* LR in force now */
    long t;                   /* steps taken in unit (plateau: only warm-up steps count) */
    /* main-schedule state; the main schedule's own step count is t - warmup */
    long T_cur, T_i;          /* cosine_warm_restarts, per-epoch integer stepping */
    long caffe_step;          /* caffe_multistep: stepvalues passed (Caffe's current_step_) */
    double best;              /* plateau */
    long num_bad, cooldown_counter;
    Expr lambda;
} Sched;

/* Sets up the schedule for a run of total_epochs epochs of steps_per_epoch optimizer
 * steps each (total_iterations > 0 caps the run) and puts lr(0) in force. Fails with a
 * clear message on parameters that cannot work (bad lambda, OneCycle over too few steps,
 * T_max resolving to 0, an LR that would become negative or not finite). */
int sched_init(Sched *s, const SchedParams *p, double base_lr, long total_epochs,
               long steps_per_epoch, long total_iterations, Err *e);

/* The LR to use for the next optimizer step. */
static inline double sched_lr(const Sched *s) { return s->lr; }

/* Call after every optimizer step. Advances per-iteration schedules (and a per-iteration
 * warm-up in front of plateau); does nothing for per-epoch ones. */
void sched_after_iteration(Sched *s);

/* Call after each epoch's evaluation with the validation loss and accuracy (NaN when
 * there is no validation set). Advances per-epoch schedules, and plateau always (it sees
 * the metric only once its warm-up, if any, is over). Does nothing for per-iteration ones. */
void sched_after_epoch(Sched *s, double val_loss, double val_acc);

/* What a schedule carries from one step to the next (what a checkpoint saves): with the
 * parameters given to sched_init, it decides every later LR. */
typedef struct {
    double lr, best;
    long t, T_cur, T_i, caffe_step, num_bad, cooldown_counter;
} SchedState;
void sched_get_state(const Sched *s, SchedState *st);
/* Puts st back into s, which sched_init set up with the same parameters. */
void sched_set_state(Sched *s, const SchedState *st);
/* Whether st is a state s (as sched_init set it up) reaches after the training loop has
 * called sched_after_iteration `iterations` times and sched_after_epoch `epoch_ends`
 * times: the LR finite and >= 0, t the steps those calls take, T_i from T_0 to T_mult
 * times t (0 before a warm-up ends) with T_cur below it, caffe_step at most the
 * milestones, num_bad at most patience, the cooldown at most cooldown. Then stepping on
 * from it cannot overflow, and t stays within the run. -1 with e naming the value and
 * what was expected ("T_cur = 12 (expected 0..1: below T_i = 2)"). */
int sched_check_state(const Sched *s, const SchedState *st, long iterations, long epoch_ends,
                      Err *e);

/* ---- checkpoint sections (ckpt.h): sched.lr_best (two f64: lr, best) and sched.counts
 * (six i64: t, T_cur, T_i, caffe_step, num_bad, cooldown_counter) ---- */

/* Adds s's state to w. */
void sched_ckpt_put(const Sched *s, CkptWriter *w);
/* Reads the state from f and puts it into s (set up by sched_init with the parameters of
 * the run that wrote f) once sched_check_state accepts it for the loop's `iterations` and
 * `epoch_ends`. -1 with e, s unchanged ("PATH: damaged: the schedule's state in sections
 * 'sched.lr_best' and 'sched.counts': T_cur = 12 (expected 0..1: below T_i = 2)"). */
int sched_ckpt_get(Sched *s, const CkptFile *f, long iterations, long epoch_ends, Err *e);

/* Writes the LR of every epoch (or every iteration with step_unit = iteration) of the
 * run described by the arguments as CSV ("epoch,lr" or "iteration,lr", %.17g, rows end
 * in "\r\n") to f. Fails for plateau, whose LR depends on validation results, for the
 * errors of sched_init, and when writing fails. */
int sched_write_table(FILE *f, const SchedParams *p, double base_lr, long total_epochs,
                      long steps_per_epoch, long total_iterations, Err *e);

#endif
