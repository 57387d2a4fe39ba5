/* layers_impl.h - the layer kernels written once over a scalar type REAL, under their real
 * names. layers.c instantiates them for float (the product, layers.h); the gradient-check
 * test instantiates them for double, so finite differences check the same source the
 * product runs. Before including, define REAL; KERNEL (storage class: empty, or static
 * inline); GEMM and GEMM_BIAS (gemm and gemm_bias with the gemm.h contracts, for REAL); and
 * R_EXP, R_TANH, R_SQRT (libm for REAL). An instantiation for another type renames the
 * kernels with #define first (tests/test_gradcheck.c: linear_forward -> linear_forward_f64,
 * ...). */

/* Each output starts from its bias and adds the products onto it (gemm_bias). */
KERNEL void linear_forward(Gemm *g, REAL *y, const REAL *x, const REAL *W, const REAL *b,
                           int N, int in, int out)
{
    GEMM_BIAS(g, false, true, N, out, in, x, in, W, in, b, y, out);
}

KERNEL void linear_backward(Gemm *g, REAL *dx, REAL *dW, const REAL *dy, const REAL *x,
                            const REAL *W, int N, int in, int out)
{
    GEMM(g, true, false, out, in, N, dy, out, x, in, dW, in, false);
    if (dx)
        GEMM(g, false, false, N, in, out, dy, out, W, in, dx, in, false);
}

KERNEL void linear_bias_backward(REAL *db, const REAL *dy, int N, int F, int ld)
{
    for (int j = 0; j < F; j++)
        db[j] = (REAL)0;
    for (int n = 0; n < N; n++) {
        const REAL *row = dy + (size_t)n * ld;
        for (int j = 0; j < F; j++)
            db[j] += row[j];
    }
}

static REAL gelu(REAL x)
{
    return (REAL)(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
}

static REAL gelu_grad(REAL x)
{
    double cdf = 0.5 * (1.0 + erf(x / sqrt(2.0)));
    double pdf = exp(-0.5 * (double)x * x) / sqrt(2.0 * 3.14159265358979323846);
    return (REAL)(cdf + x * pdf);
}

KERNEL void act_forward(Activation a, REAL *y, const REAL *x, int n)
{
    switch (a) {
    case ACT_RELU:
        for (int i = 0; i < n; i++)
            y[i] = x[i] > (REAL)0 ? x[i] : (REAL)0;
        break;
    case ACT_SIGMOID:
        /* Branch form: no overflow for large |x| (SEMANTICS §2). */
        for (int i = 0; i < n; i++) {
            if (x[i] >= (REAL)0)
                y[i] = (REAL)1 / ((REAL)1 + R_EXP(-x[i]));
            else {
                REAL z = R_EXP(x[i]);
                y[i] = z / ((REAL)1 + z);
            }
        }
        break;
    case ACT_TANH:
        for (int i = 0; i < n; i++)
            y[i] = R_TANH(x[i]);
        break;
    case ACT_LEAKY_RELU:
        for (int i = 0; i < n; i++)
            y[i] = x[i] > (REAL)0 ? x[i] : ((REAL)0.01) * x[i];
        break;
    case ACT_GELU:
        for (int i = 0; i < n; i++)
            y[i] = gelu(x[i]);
        break;
    }
}

KERNEL void act_backward(Activation a, REAL *dx, const REAL *dy, const REAL *x, const REAL *y,
                         int n)
{
    switch (a) {
    case ACT_RELU:
        for (int i = 0; i < n; i++) {
            REAL g = dy[i]; /* loaded unconditionally, so the loop vectorizes (30x) */
            dx[i] = y[i] > (REAL)0 ? g : (REAL)0;
        }
        break;
    case ACT_SIGMOID:
        for (int i = 0; i < n; i++)
            dx[i] = dy[i] * y[i] * ((REAL)1 - y[i]);
        break;
    case ACT_TANH:
        for (int i = 0; i < n; i++)
            dx[i] = dy[i] * ((REAL)1 - y[i] * y[i]);
        break;
    case ACT_LEAKY_RELU:
        for (int i = 0; i < n; i++)
            dx[i] = x[i] > (REAL)0 ? dy[i] : ((REAL)0.01) * dy[i];
        break;
    case ACT_GELU:
        for (int i = 0; i < n; i++)
            dx[i] = dy[i] * gelu_grad(x[i]);
        break;
    }
}

/* Features are taken in blocks of BN_BLOCK so the inner loops run along rows (unit
 * stride) with per-feature sums kept in double; each feature's sums still add its rows in
 * order. A block is wide so each row's part is a long contiguous run: narrow blocks of a
 * wide layer read runs of a few cache lines a power of two apart, which the caches and
 * prefetchers serve poorly (512 x 2048, one thread: forward 0.89 -> 0.59 ms, backward
 * 0.94 -> 0.70 ms with 1024 instead of 64 on an AMD EPYC Zen 4). */
#ifndef BN_BLOCK
#define BN_BLOCK 1024
#endif

KERNEL void batchnorm_forward_train(REAL *y, REAL *xhat, REAL *mean, REAL *var, REAL *rstd,
                                    const REAL *x, const REAL *gamma, const REAL *beta,
                                    int N, int F, int ld, REAL eps)
{
    double s[BN_BLOCK], ss[BN_BLOCK];
    for (int f0 = 0; f0 < F; f0 += BN_BLOCK) {
        int nf = F - f0 < BN_BLOCK ? F - f0 : BN_BLOCK;
        for (int f = 0; f < nf; f++)
            s[f] = ss[f] = 0.0;
        for (int n = 0; n < N; n++) {
            const REAL *row = x + (size_t)n * ld + f0;
            for (int f = 0; f < nf; f++)
                s[f] += row[f];
        }
        for (int f = 0; f < nf; f++)
            s[f] = s[f] / N; /* now the mean */
        for (int n = 0; n < N; n++) {
            const REAL *row = x + (size_t)n * ld + f0;
            for (int f = 0; f < nf; f++) {
                double d = row[f] - s[f];
                ss[f] += d * d;
            }
        }
        for (int f = 0; f < nf; f++) {
            double v = ss[f] / N;
            double r = 1.0 / sqrt(v + eps);
            mean[f0 + f] = (REAL)s[f];
            var[f0 + f] = (REAL)v;
            rstd[f0 + f] = (REAL)r;
            ss[f] = r; /* now 1/std */
        }
        for (int n = 0; n < N; n++) {
            size_t i = (size_t)n * ld + f0;
            for (int f = 0; f < nf; f++) {
                REAL h = (REAL)((x[i + f] - s[f]) * ss[f]);
                xhat[i + f] = h;
                y[i + f] = gamma[f0 + f] * h + beta[f0 + f];
            }
        }
    }
}

KERNEL void batchnorm_update_running(REAL *running_mean, REAL *running_var, const REAL *mean,
                                     const REAL *var, int N, int F, REAL momentum)
{
    for (int f = 0; f < F; f++) {
        REAL unbiased = (REAL)((double)var[f] * N / (N - 1));
        running_mean[f] = ((REAL)1 - momentum) * running_mean[f] + momentum * mean[f];
        running_var[f] = ((REAL)1 - momentum) * running_var[f] + momentum * unbiased;
    }
}

KERNEL void batchnorm_forward_eval(REAL *y, const REAL *x, const REAL *gamma, const REAL *beta,
                                   const REAL *running_mean, const REAL *running_var,
                                   int N, int F, int ld, REAL eps)
{
    REAL r[BN_BLOCK];
    for (int f0 = 0; f0 < F; f0 += BN_BLOCK) {
        int nf = F - f0 < BN_BLOCK ? F - f0 : BN_BLOCK;
        for (int f = 0; f < nf; f++)
            r[f] = (REAL)1 / R_SQRT(running_var[f0 + f] + eps);
        for (int n = 0; n < N; n++) {
            size_t i = (size_t)n * ld + f0;
            for (int f = 0; f < nf; f++)
                y[i + f] = gamma[f0 + f] * ((x[i + f] - running_mean[f0 + f]) * r[f]) + beta[f0 + f];
        }
    }
}

KERNEL void batchnorm_backward(REAL *dx, REAL *dgamma, REAL *dbeta, const REAL *dy,
                               const REAL *xhat, const REAL *gamma, const REAL *rstd,
                               int N, int F, int ld)
{
    double sdy[BN_BLOCK], sdyx[BN_BLOCK], k[BN_BLOCK];
    for (int f0 = 0; f0 < F; f0 += BN_BLOCK) {
        int nf = F - f0 < BN_BLOCK ? F - f0 : BN_BLOCK;
        for (int f = 0; f < nf; f++)
            sdy[f] = sdyx[f] = 0.0;
        for (int n = 0; n < N; n++) {
            size_t i = (size_t)n * ld + f0;
            for (int f = 0; f < nf; f++) {
                sdy[f] += dy[i + f];
                sdyx[f] += (double)dy[i + f] * xhat[i + f];
            }
        }
        for (int f = 0; f < nf; f++) {
            dbeta[f0 + f] = (REAL)sdy[f];
            dgamma[f0 + f] = (REAL)sdyx[f];
            k[f] = (double)gamma[f0 + f] * rstd[f0 + f] / N;
        }
        for (int n = 0; n < N; n++) {
            size_t i = (size_t)n * ld + f0;
            for (int f = 0; f < nf; f++)
                dx[i + f] = (REAL)(k[f] * ((double)N * dy[i + f] - sdy[f] - xhat[i + f] * sdyx[f]));
        }
    }
}

KERNEL void dropout_apply(REAL *y, const REAL *x, const REAL *mask, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = x[i] * mask[i];
}

KERNEL void softmax_xent_rows(const REAL *logits, const int *labels, int r0, int r1, int N, int C,
                              REAL smoothing, REAL *dlogits, double *row_loss, int *row_pred)
{
    for (int n = r0; n < r1; n++) {
        const REAL *z = logits + (size_t)n * C;
        int y = labels[n];
        int arg = 0;
        for (int c = 1; c < C; c++)
            if (!(z[c] <= z[arg]) && !isnan(z[arg]))
                arg = c; /* strictly greater, or NaN: first maximum wins, NaN is the max */
        row_pred[n - r0] = arg;
        double m = z[0];
        for (int c = 1; c < C; c++)
            if (z[c] > m)
                m = z[c];
        double se = 0.0;
        for (int c = 0; c < C; c++)
            se += exp(z[c] - m);
        double lse = m + log(se);
        double nll = lse - z[y];
        double loss = nll;
        if (smoothing > (REAL)0) {
            double sum_nlp = 0.0;
            for (int c = 0; c < C; c++)
                sum_nlp += lse - z[c];
            loss = (1.0 - smoothing) * nll + smoothing / C * sum_nlp;
        }
        row_loss[n - r0] = loss;
        if (dlogits) {
            REAL *dz = dlogits + (size_t)n * C;
            double q_off = (double)smoothing / C;
            for (int c = 0; c < C; c++) {
                double q = q_off + (c == y ? 1.0 - smoothing : 0.0);
                dz[c] = (REAL)((exp(z[c] - lse) - q) / N);
            }
        }
    }
}

KERNEL double softmax_xent(const REAL *logits, const int *labels, int N, int C, REAL smoothing,
                           REAL *dlogits, long *correct)
{
    double total = 0.0;
    long hits = 0;
    for (int n = 0; n < N; n++) {
        double loss;
        int pred;
        softmax_xent_rows(logits, labels, n, n + 1, N, C, smoothing, dlogits, &loss, &pred);
        total += loss;
        hits += pred == labels[n];
    }
    if (correct)
        *correct = hits;
    return total;
}
