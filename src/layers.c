/* layers.c - see layers.h. Reductions (batch-norm statistics, softmax sums) accumulate in
 * double: deterministic and closer to the exact value than a float loop, within the
 * float32 tolerance PyTorch comparisons use. */
#include "layers.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gemm.h"
#include "simd.h"

/* The product's instantiation of the kernels: float, external, under their own names. */
#define REAL float
#define KERNEL SIMD_CLONES
#define GEMM gemm
#define GEMM_BIAS gemm_bias
#define R_EXP expf
#define R_TANH tanhf
#define R_SQRT sqrtf
#include "layers_impl.h"

/* Each 64-bit draw gives two 32-bit uniforms u; an element is dropped when
 * u < ceil(p * 2^32), i.e. with probability p to within 2^-32. */
void dropout_mask(float *mask, int n, float p, Rng *rng)
{
    if (p >= 1.0f) {
        for (int i = 0; i < n; i++)
            mask[i] = 0.0f;
        return;
    }
    float scale = 1.0f / (1.0f - p);
    uint64_t threshold = (uint64_t)ceil((double)p * 4294967296.0);
    int i = 0;
    for (; i + 1 < n; i += 2) {
        uint64_t r = rng_next(rng);
        mask[i] = (r & 0xffffffffu) < threshold ? 0.0f : scale;
        mask[i + 1] = (r >> 32) < threshold ? 0.0f : scale;
    }
    if (i < n)
        mask[i] = (rng_next(rng) & 0xffffffffu) < threshold ? 0.0f : scale;
}
