/* layers.h - pure forward/backward kernels for the MLP: linear, activations, batch norm,
 * dropout and softmax cross-entropy, exactly as SEMANTICS §1-§5 state them. float* in,
 * float* out, sizes as ints; no allocation, no I/O, no hidden state. */
#ifndef MLPTRAIN_LAYERS_H
#define MLPTRAIN_LAYERS_H

#include <stdbool.h>

#include "params.h"
#include "gemm.h"
#include "rng.h"

/* y (N,out) = x (N,in) . W^T + b;  W is (out,in), b is (out). SEMANTICS §1. */
void linear_forward(Gemm *g, float *y, const float *x, const float *W, const float *b,
                    int N, int in, int out);

/* dW (out,in) = dy^T . x; dx (N,in) = dy . W unless dx is NULL (the first layer needs no
 * input gradient). dy (N,out) already carries 1/N. */
void linear_backward(Gemm *g, float *dx, float *dW, const float *dy, const float *x,
                     const float *W, int N, int in, int out);

/* db (F) = column sums of dy (N rows, row stride ld >= F), each adding its rows in order,
 * so a caller can hand a block of columns to each thread. */
void linear_bias_backward(float *db, const float *dy, int N, int F, int ld);

/* y = act(x) over n elements (SEMANTICS §2; leaky slope 0.01, exact erf GELU). */
void act_forward(Activation a, float *y, const float *x, int n);

/* dx = dy * act'(.) using x (the input) and y (the output) as PyTorch does: relu from y,
 * sigmoid/tanh from y, leaky_relu and gelu from x. dx may alias dy. */
void act_backward(Activation a, float *dx, const float *dy, const float *x, const float *y, int n);

/* The batch-norm kernels work on F features of (N, .) matrices with row stride ld >= F,
 * so a caller can hand a block of features to each thread. */

/* Training-mode BatchNorm1d forward over x (N,F), N >= 2 (SEMANTICS §3):
 * xhat (N,F) normalized input, y (N,F) = gamma*xhat + beta, mean (F) and var (F) the
 * biased batch statistics, rstd (F) = 1/sqrt(var + eps). Running stats are updated by
 * batchnorm_update_running. */
void batchnorm_forward_train(float *y, float *xhat, float *mean, float *var, float *rstd,
                             const float *x, const float *gamma, const float *beta,
                             int N, int F, int ld, float eps);

/* running = (1-m)*running + m*stat, with the unbiased variance var*N/(N-1). */
void batchnorm_update_running(float *running_mean, float *running_var, const float *mean,
                              const float *var, int N, int F, float momentum);

/* Eval-mode forward: y = gamma*(x - running_mean)/sqrt(running_var + eps) + beta. */
void batchnorm_forward_eval(float *y, const float *x, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var,
                            int N, int F, int ld, float eps);

/* Training-mode backward: dgamma, dbeta (F) and dx (N,F) from dy (N,F). */
void batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                        const float *xhat, const float *gamma, const float *rstd, int N, int F, int ld);

/* Inverted dropout mask for n elements from rng: each entry 0 with probability p (to
 * within 2^-32), else 1/(1-p);
 * p = 1 gives all zeros (SEMANTICS §4). */
void dropout_mask(float *mask, int n, float p, Rng *rng);
/* y = x * mask (also the backward: dx = dy * mask). y may alias x. */
void dropout_apply(float *y, const float *x, const float *mask, int n);

/* Mean softmax cross-entropy with label smoothing eps over logits (N,C) and labels (N)
 * (SEMANTICS §5.1). Returns the SUM of per-sample losses (divide by N for the mean);
 * *correct receives the number of rows whose argmax (first maximum, NaN counts as the
 * maximum) equals the label. When dlogits (N,C) is not NULL it receives
 * (softmax - q) / N. */
double softmax_xent(const float *logits, const int *labels, int N, int C, float smoothing,
                    float *dlogits, long *correct);

/* Rows r0..r1-1 of softmax_xent's batch of N rows: row r0 + i's loss into row_loss[i] and
 * its predicted class (softmax_xent's argmax) into row_pred[i], dlogits (N,C) as above for
 * those rows. Threads can take blocks of rows; the losses added in row order give
 * softmax_xent's sum. */
void softmax_xent_rows(const float *logits, const int *labels, int r0, int r1, int N, int C,
                       float smoothing, float *dlogits, double *row_loss, int *row_pred);

#endif
