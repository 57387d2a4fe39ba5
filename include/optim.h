/* optim.h - SGD (momentum, dampening, nesterov, weight decay), Adam (amsgrad) and AdamW
 * over the model's flat parameter and gradient buffers, with optional L1 and gradient
 * clipping, in PyTorch's order (SEMANTICS §6). The LR is passed to every step, so a
 * schedule changes it without touching optimizer state. Which state buffers each optimizer
 * keeps is its params_optims row; this module allocates, counts and checkpoints them. */
#ifndef MLPTRAIN_OPTIM_H
#define MLPTRAIN_OPTIM_H

#include <stddef.h>

#include "ckpt.h"
#include "params.h"
#include "pool.h"
#include "util.h"

typedef struct {
    OptimParams p;
    size_t n;
    long t;              /* steps taken */
    /* n floats each, indexed by OptimState (params.h): the SGD momentum buffer or Adam's
     * first moment, Adam's second moment, AMSGrad's running max of it. NULL where the
     * optimizer's params_optims row does not keep the buffer with these parameters. */
    float *state[OPTIM_STATE_COUNT];
    double *partial;     /* per-chunk sums of squared gradients (clipping) */
    Pool *pool;          /* not owned; NULL = one thread */
} Optim;

/* Allocates state for n parameters (zeroed, as PyTorch's lazy state starts); steps run on
 * pool (NULL = the calling thread), with the same results for any thread count. */
void optim_init(Optim *o, const OptimParams *p, size_t n, Pool *pool);
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
 * global L2 norm to clip_grad_norm; then the optimizer's own rule. grads is modified.
 * Returns the gradient norm before clipping when clipping is on, else 0. */
double optim_step(Optim *o, float *params, float *grads, double lr);

#endif
