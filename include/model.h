/* model.h - the MLP: a list of layers (Linear, BatchNorm1d, activation, Dropout) whose
 * parameters live in ONE float buffer and whose gradients live in another of the same
 * layout, plus the batch-norm running statistics (buffers, not parameters). Everything
 * is allocated by model_init for batches of up to max_batch rows; forward and backward
 * allocate nothing. */
#ifndef MLPTRAIN_MODEL_H
#define MLPTRAIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ckpt.h"
#include "params.h"
#include "gemm.h"
#include "pool.h"
#include "rng.h"
#include "util.h"

typedef enum { LAYER_LINEAR, LAYER_BATCHNORM, LAYER_ACT, LAYER_DROPOUT } LayerKind;

typedef struct {
    LayerKind kind;
    int in, out;          /* features in and out (equal except for Linear) */
    int index;            /* 1-based Linear / BatchNorm number, for tensor names */
    size_t w, b;          /* Linear: W (out,in), b (out); BN: gamma, beta; offsets into params */
    size_t rm, rv;        /* BN running mean and var: offsets into buffers */
    float *y;             /* (max_batch, out) output of the last forward */
    float *xhat;          /* BN: (max_batch, F) normalized input */
    float *mask;          /* Dropout: (max_batch, F) mask of the last training forward */
    float *stats;         /* BN: mean, var, rstd (3F) of the last training forward */
} Layer;

typedef struct {
    ModelParams p;
    int n_in, n_classes, max_batch;
    int widest;           /* widest layer, input and classes included */
    int n_layers;
    Layer *layers;
    size_t n_params;
    float *params;        /* every trainable value, layer by layer */
    float *grads;         /* same layout as params */
    size_t n_buffers;
    float *buffers;       /* BN running means and variances */
    long bn_batches;      /* num_batches_tracked, shared by all BN layers */
    float *dbuf[2];       /* ping-pong gradient buffers (max_batch, widest layer) */
    Gemm *gemm;           /* not owned; NULL = reference products */
    Pool *pool;           /* not owned; element-wise layers and batch norm run on it (and
                             the training loop's batch assembly); NULL = calling thread */
} Model;

/* Builds the layer list n_in -> hidden... -> n_classes and initializes parameters from
 * rng as p->init says (SEMANTICS §1). p->bias_init must be resolved (not AUTO). Products
 * go through gemm, the other layers run on pool (either may be NULL); results do not
 * depend on the pool's thread count. Errors (a batch x width beyond int range, a
 * parameter count beyond size_t) name their key. */
int model_init(Model *m, const ModelParams *p, int n_in, int n_classes, int max_batch,
               Gemm *gemm, Pool *pool, Rng *rng, Err *e);

/* The first half of model_init: the layer list, parameter offsets and counts, with the
 * same checks, and nothing else allocated. Enough for model_summary and model_memory;
 * free with model_free. */
int model_layout(Model *m, const ModelParams *p, int n_in, int n_classes, int max_batch,
                 Gemm *gemm, Err *e);

/* Bytes model_init allocates, by kind (doubles: estimates that cannot overflow). */
typedef struct {
    double params;        /* parameters and batch-norm buffers */
    double grads;
    double activations;   /* layer outputs, normalized inputs, masks, gradient buffers */
} ModelMemory;
void model_memory(const Model *m, ModelMemory *mm);
/* Safe on a zeroed Model. */
void model_free(Model *m);

/* Forward pass of n rows x (n, n_in), n <= max_batch. train: batch statistics (and their
 * running update) and dropout masks from dropout_rng; otherwise eval mode. Returns the
 * logits (n, n_classes), owned by the model and valid until the next forward.
 * Training mode with batch norm needs n >= 2 (the caller checks it; see
 * model_check_batch). */
const float *model_forward(Model *m, const float *x, int n, bool train, Rng *dropout_rng);

/* Backward pass after a training forward of the same x: writes every gradient (the
 * previous contents of grads are overwritten, so no separate zero step is needed).
 * dlogits (n, n_classes) is the loss gradient. */
void model_backward(Model *m, const float *x, const float *dlogits, int n);

/* Parameter tensors in PyTorch state_dict order: k = 0.. returns false past the end.
 * name e.g. "linear1.weight", "bn2.bias"; rows x cols (cols = 1 for vectors). */
bool model_tensor(const Model *m, int k, char *name, size_t name_size, size_t *offset,
                  int *rows, int *cols);
/* The bias of the k-th Linear layer (k = 0.., input side first): its offset in params and
 * its length; false past the last. Caffe's InnerProduct second blob, the one a prototxt
 * gives lr_mult 2 (the optimizer's OPTIM_GROUP_BIAS). Batch norm's beta is not one. */
bool model_linear_bias(const Model *m, int k, size_t *offset, int *count);
/* Batch-norm buffers in the same style ("bn1.running_mean", "bn1.running_var"). */
bool model_buffer(const Model *m, int k, char *name, size_t name_size, size_t *offset, int *count);

/* ---- checkpoint sections (ckpt.h): model.params (float32, as params holds them),
 * model.buffers (float32, as buffers holds them), model.bn_batches (one i64) ---- */

/* Adds m's sections to w. */
void model_ckpt_put(const Model *m, CkptWriter *w);
/* Reads m's sections from f into m, built with the shape of the run that wrote f: each
 * section of exactly m's size, bn_batches in 0..max_batches. -1 with e ("PATH: section
 * 'model.params' holds 3 values (expected 5)"); m's weights are then partly overwritten. */
int model_ckpt_get(Model *m, const CkptFile *f, long max_batches, Err *e);

/* ---- model.bin: the weights and the shape needed to build the model again ----
 * Sections (ckpt.h): model.inputs, model.classes, model.hidden (widths, input side first),
 * model.activation (its name), model.batchnorm (0/1), model.dropout; params (float32, in
 * model_tensor order, each tensor row-major), buffers (model_buffer order), tensors (text:
 * one "name rows cols offset" line per parameter tensor, then per buffer); origin.dataset,
 * origin.epoch (the epoch whose weights these are), origin.best (1 when they are the best
 * epoch's rather than the last), config_hash. */

typedef struct {
    char dataset[32];     /* the training data: params_dataset_names */
    long epoch;
    bool best;
    uint64_t config_hash;
} ModelOrigin;

/* Writes m to path whole or not at all. -1 with e naming the file and the reason. */
int model_save(const Model *m, const ModelOrigin *org, const char *path, Err *e);

/* The shape and origin recorded in model file f (ckpt_read with CKPT_MODEL): fills p (init
 * and bias_init set to fixed values: the weights come from the file), *n_in and
 * *n_classes, ready for model_init. -1 with e when a value is missing or out of range. */
int model_file_shape(const CkptFile *f, ModelParams *p, int *n_in, int *n_classes,
                     ModelOrigin *org, Err *e);
/* Copies f's parameters and buffers into m, built from model_file_shape's values. */
int model_file_weights(const CkptFile *f, Model *m, Err *e);

/* The torchsummary-style table: Layer (type) / Output Shape / Param #, then totals. */
void model_summary(const Model *m, FILE *f);

#endif
