/* optim.h - SGD (momentum, dampening, nesterov, weight decay; momentum in PyTorch's form
 * or Caffe's), Adam (amsgrad) and AdamW over the model's flat parameter and gradient
 * buffers, with optional L1 and gradient clipping, in PyTorch's order (SEMANTICS §6). The
 * LR is passed to every step, so a schedule changes it without touching optimizer state.
 * Parameters fall into groups whose LR and weight decay are scaled (PyTorch param groups,
 * Caffe's lr_mult / decay_mult). Which state buffers each optimizer keeps is its
 * params_optims row; this module allocates, counts and checkpoints them. */
#ifndef MLPTRAIN_OPTIM_H
#define MLPTRAIN_OPTIM_H

#include <stddef.h>

#include "ckpt.h"
#include "params.h"
#include "pool.h"
#include "util.h"

/* The parameter groups. MAIN has multipliers 1; BIAS has OptimParams.bias_lr_mult and
 * bias_decay_mult. */
typedef enum { OPTIM_GROUP_MAIN, OPTIM_GROUP_BIAS } OptimGroup;
enum { OPTIM_GROUP_COUNT = OPTIM_GROUP_BIAS + 1 };

/* A run of parameters of one group: from the previous span's end (0 for the first) up to
 * end. */
typedef struct {
    size_t end;
    OptimGroup group;
} OptimSpan;

typedef struct {
    OptimParams p;
    size_t n;
    int n_spans;
    OptimSpan *spans;    /* cover 0..n in order, neighbours of different groups */
    long t;              /* steps taken */
    /* n floats each, indexed by OptimState (params.h): the SGD momentum buffer or Adam's
     * first moment, Adam's second moment, AMSGrad's running max of it. NULL where the
     * optimizer's params_optims row does not keep the buffer with these parameters. */
    float *state[OPTIM_STATE_COUNT];
    double *partial;     /* per-chunk sums of squared gradients (clipping) */
    Pool *pool;          /* not owned; NULL = one thread */
} Optim;

/* Allocates state for n parameters (zeroed, as PyTorch's lazy state starts), all in
 * OPTIM_GROUP_MAIN; steps run on pool (NULL = the calling thread), with the same results
 * for any thread count. */
void optim_init(Optim *o, const OptimParams *p, size_t n, Pool *pool);

/* Puts parameters begin..end (end exclusive, at most n) in group g. Allocates: call it
 * while setting up, not between steps. With the multipliers 1 and 1 the steps are
 * bit-identical to those without groups. */
void optim_set_group(Optim *o, size_t begin, size_t end, OptimGroup g);
/* Bytes optim_init allocates for n parameters. */
double optim_state_bytes(const OptimParams *p, size_t n);

/* ---- checkpoint sections (ckpt.h): optim.t (one i64: steps taken), then one float32
 * section of n values per buffer kept, in OptimState order: optim.m, optim.v, optim.vmax ---- */

/* Adds o's sections to w. */
void optim_ckpt_put(const Optim *o, CkptWriter *w);
/* Reads o's sections from f into o, which optim_init set up with the parameters of the run
 * that wrote f: t must lie in 0..max_steps, and every buffer o keeps must have a section
 * of o->n values (sections of buffers o does not keep are not looked at). -1 with e
 * ("PATH: section 'optim.v' holds 3 values (expected 5)"); o is then partly overwritten. */
int optim_ckpt_get(Optim *o, const CkptFile *f, long max_steps, Err *e);

/* Safe on a zeroed Optim. */
void optim_free(Optim *o);

/* The L1 term l1 * sum |p| that the reported loss includes (0 when l1 = 0). */
double optim_l1_penalty(const Optim *o, const float *params);

/* One update with learning rate lr. In order: g += l1*sign(p) (sign(0) = 0); clip the
 * global L2 norm to clip_grad_norm; then the optimizer's own rule, with each group's LR
 * and weight decay. grads is modified. Returns the gradient norm before clipping when
 * clipping is on, else 0. */
double optim_step(Optim *o, float *params, float *grads, double lr);

#endif
