/* params.c - name tables and per-dataset constants shared by config, data and output.
 * Holds data only: no parsing and no I/O. */
#include "params.h"

#include <stddef.h>

const char *const params_dataset_names[] = {"mnist", "fashion-mnist", "kmnist", "cifar10", NULL};
const char *const params_norm_names[] = {"standard", "scale", "none", NULL};
const char *const params_activation_names[] = {"relu", "sigmoid", "tanh", "leaky_relu", "gelu", NULL};
const char *const params_init_names[] = {"default", "xavier_uniform", "xavier_normal",
                                         "kaiming_uniform", "kaiming_normal", "normal", NULL};
const char *const params_bias_init_names[] = {"auto", "default", "zeros", NULL};
const char *const params_optim_names[] = {"sgd", "adam", "adamw", NULL};
const char *const params_sched_names[] = {
    "constant", "step", "multistep", "exponential", "lambda", "cosine", "cosine_warm_restarts",
    "linear", "plateau", "onecycle", "fixed", "caffe_step", "exp", "inv", "poly", "sigmoid",
    "caffe_multistep", NULL};
const char *const params_step_unit_names[] = {"epoch", "iteration", NULL};
const char *const params_plateau_mode_names[] = {"min", "max", NULL};
const char *const params_plateau_metric_names[] = {"val_loss", "val_acc", NULL};
const char *const params_threshold_mode_names[] = {"rel", "abs", NULL};

int params_channels(DatasetKind kind)
{
    return kind == DATASET_CIFAR10 ? 3 : 1;
}

int params_input_dim(DatasetKind kind)
{
    return kind == DATASET_CIFAR10 ? 3 * 32 * 32 : 28 * 28;
}

/* SEMANTICS §9.4: the constants torchvision examples use. KMNIST's are the ones its
 * authors publish (0.1918, 0.3483). */
void params_default_stats(DatasetKind kind, double *mean, double *std)
{
    switch (kind) {
    case DATASET_MNIST: mean[0] = 0.1307; std[0] = 0.3081; break;
    case DATASET_FASHION_MNIST: mean[0] = 0.2860; std[0] = 0.3530; break;
    case DATASET_KMNIST: mean[0] = 0.1918; std[0] = 0.3483; break;
    case DATASET_CIFAR10:
        mean[0] = 0.4914; mean[1] = 0.4822; mean[2] = 0.4465;
        std[0] = 0.2470; std[1] = 0.2435; std[2] = 0.2616;
        break;
    }
}
