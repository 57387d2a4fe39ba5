/* layers.c - see layers.h. Reductions (batch-norm statistics, softmax sums) accumulate in
 * double: deterministic and closer to the exact value than a float loop, within the
 * float32 tolerance PyTorch comparisons use. */
#include "layers.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "gemm.h"

#define REAL float
#define KERNEL
#define FN(name) name
#define GEMM gemm
#define R_EXP expf
#define R_TANH tanhf
#define R_SQRT sqrtf
#include "layers_impl.h"

void dropout_mask(float *mask, int n, float p, Rng *rng)
{
    if (p >= 1.0f) {
        for (int i = 0; i < n; i++)
            mask[i] = 0.0f;
        return;
    }
    float scale = 1.0f / (1.0f - p);
    for (int i = 0; i < n; i++)
        mask[i] = rng_uniform(rng) < (double)p ? 0.0f : scale;
}

