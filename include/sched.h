/* sched.h - learning-rate schedules (SEMANTICS §7): PyTorch's schedulers in their recursive
 * (chainable) forms, bit-exact in double, Caffe's per-iteration policies, and a linear
 * warm-up composed in front of any of them with SequentialLR semantics.
 * The LR is a function of the step count plus the explicit state in Sched; nothing here
 * knows about models, data or files. */
#ifndef MLPTRAIN_SCHED_H
#define MLPTRAIN_SCHED_H

#include "expr.h"
#include "params.h"
#include "util.h"

#include <stdio.h>

typedef struct {
    SchedParams p;
    double base_lr;
    long steps_per_epoch;     /* optimizer steps per epoch */
    long total_steps;         /* of the whole run, in p.step_unit */
    double lr;                /* LR in force now */
    long t;                   /* scheduler steps taken (epochs or iterations per step_unit) */
    /* per-schedule state (recursive forms, plateau, warm restarts) lives below */
    double inner_lr;
    long inner_t;
    long T_cur, T_i;
    double best;
    long num_bad, cooldown_counter;
    Expr lambda;
} Sched;

/* Sets up the schedule for a run of total_epochs epochs of steps_per_epoch optimizer
 * steps each (total_iterations > 0 caps the run) and puts lr(0) in force. Fails with a
 * clear message on parameters that cannot work (bad lambda, OneCycle over too few steps). */
int sched_init(Sched *s, const SchedParams *p, double base_lr, long total_epochs,
               long steps_per_epoch, long total_iterations, Err *e);

/* The LR to use for the next optimizer step. */
static inline double sched_lr(const Sched *s) { return s->lr; }

/* Call after every optimizer step. Advances per-iteration schedules. */
void sched_after_iteration(Sched *s);

/* Call after each epoch's evaluation with the validation loss and accuracy (NaN when
 * there is no validation set). Advances per-epoch schedules, including plateau. */
void sched_after_epoch(Sched *s, double val_loss, double val_acc);

/* Writes the LR of every epoch (or every iteration with step_unit = iteration) of the
 * run described by the arguments as CSV ("epoch,lr" or "iteration,lr", %.17g) to f.
 * Fails for plateau, whose LR depends on validation results. */
int sched_write_table(FILE *f, const SchedParams *p, double base_lr, long total_epochs,
                      long steps_per_epoch, long total_iterations, Err *e);

#endif
