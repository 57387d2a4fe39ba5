/* test_tables.c - the choice tables of params.c: every kind has one non-empty name, the
 * names are unique and NULL-terminated at the count, every descriptor row is filled in
 * (a designated initializer that misses a kind leaves a zeroed row, which the
 * _Static_asserts on length cannot see), and each row's flags agree with each other. */
#include <stdbool.h>
#include <string.h>

#include "params.h"
#include "test.h"

/* names[0..count) non-empty and unique, names[count] the NULL terminator. */
static void check_names(const char *const *names, int count)
{
    for (int i = 0; i < count; i++) {
        CHECK(names[i] != NULL && names[i][0] != '\0');
        if (!names[i])
            continue;
        for (int j = 0; j < i; j++)
            CHECK(names[j] == NULL || strcmp(names[i], names[j]) != 0);
    }
    CHECK(names[count] == NULL);
}

static void check_help(const char *help)
{
    CHECK(help != NULL && help[0] != '\0' && strchr(help, '\n') == NULL);
}

static void test_names(void)
{
    check_names(params_dataset_names, DATASET_COUNT);
    check_names(params_norm_names, NORM_COUNT);
    check_names(params_activation_names, ACT_COUNT);
    check_names(params_init_names, INIT_COUNT);
    check_names(params_bias_init_names, BIAS_INIT_COUNT);
    check_names(params_optim_names, OPTIM_COUNT);
    check_names(params_sched_names, SCHED_COUNT);
    check_names(params_step_unit_names, STEP_UNIT_COUNT);
    check_names(params_plateau_mode_names, PLATEAU_MODE_COUNT);
    check_names(params_plateau_metric_names, METRIC_COUNT);
    check_names(params_threshold_mode_names, THRESH_COUNT);
}

static void test_datasets(void)
{
    for (int k = 0; k < DATASET_COUNT; k++) {
        const DatasetDesc *d = &params_datasets[k];
        check_help(d->help);
        CHECK(d->channels >= 1 && d->channels <= PARAMS_MAX_CHANNELS);
        CHECK(d->input_dim > 0 && d->input_dim % d->channels == 0);
        CHECK(d->classes >= 2);
        CHECK(d->standard_train_size > 0);
        CHECK(params_channels((DatasetKind)k) == d->channels);
        CHECK(params_input_dim((DatasetKind)k) == d->input_dim);
        double mean[PARAMS_MAX_CHANNELS], std[PARAMS_MAX_CHANNELS];
        params_default_stats((DatasetKind)k, mean, std);
        for (int c = 0; c < d->channels; c++) {
            CHECK(mean[c] > 0 && mean[c] < 1 && mean[c] == d->mean[c]);
            CHECK(std[c] > 0 && std[c] < 1 && std[c] == d->std[c]);
        }
        switch (d->layout) {
        case DATA_LAYOUT_IDX:
            CHECK(d->channels == 1 && d->input_dim == 28 * 28);
            break;
        case DATA_LAYOUT_CIFAR:
            CHECK(d->channels == 3 && d->input_dim == 3 * 32 * 32);
            break;
        }
    }
    /* The values the loaders, the model input and --print-schedule used before the table. */
    CHECK(params_input_dim(DATASET_MNIST) == 784 && params_input_dim(DATASET_CIFAR10) == 3072);
    CHECK(params_datasets[DATASET_KMNIST].standard_train_size == 60000);
    CHECK(params_datasets[DATASET_CIFAR10].standard_train_size == 50000);
}

static void test_schedules(void)
{
    int caffe = 0;
    for (int k = 0; k < SCHED_COUNT; k++) {
        const SchedDesc *d = &params_scheds[k];
        check_help(d->help);
        CHECK(d->formula != NULL && d->formula[0] != '\0');
        /* every formula line fits 100 columns of --help-config after its 13-column indent */
        for (const char *line = d->formula, *end; line; line = end ? end + 1 : NULL) {
            end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            CHECK(len > 0 && len <= 87 && line[0] != ' ');
        }
        /* Caffe policies are defined per iteration (SEMANTICS §7.8). */
        if (d->caffe) {
            CHECK(d->per_iteration);
            caffe++;
        }
        /* An LR that follows validation results cannot be printed or checked ahead, and
         * that is the only reason a schedule cannot be (sched_write_table says so). */
        CHECK(d->printable == !d->needs_validation);
        /* Per-iteration stepping and per-epoch validation do not mix. */
        CHECK(!(d->per_iteration && d->needs_validation));
    }
    CHECK(caffe == 7);
    CHECK(params_scheds[SCHED_ONECYCLE].per_iteration && !params_scheds[SCHED_ONECYCLE].caffe);
    CHECK(params_scheds[SCHED_PLATEAU].needs_validation);
    CHECK(params_scheds[SCHED_MULTISTEP].uses_milestones);
    CHECK(params_scheds[SCHED_CAFFE_MULTISTEP].uses_milestones);
    CHECK(!params_scheds[SCHED_STEP].uses_milestones);
    CHECK(!params_scheds[SCHED_COSINE].per_iteration && params_scheds[SCHED_COSINE].printable);
}

static void test_optimizers(void)
{
    for (int k = 0; k < OPTIM_COUNT; k++) {
        const OptimDesc *d = &params_optims[k];
        check_help(d->help);
        /* every optimizer keeps a first buffer (SGD's momentum, Adam's first moment) at
         * least sometimes, and vmax only beside v, whose running max it is */
        CHECK(d->state[OPTIM_STATE_M] != KEPT_NEVER);
        CHECK(d->state[OPTIM_STATE_VMAX] == KEPT_NEVER || d->state[OPTIM_STATE_V] == KEPT_ALWAYS);
        /* decoupled decay is an Adam-family variant here (SEMANTICS §6.3) */
        CHECK(!d->decoupled_weight_decay || d->state[OPTIM_STATE_V] == KEPT_ALWAYS);
        CHECK(d->default_weight_decay >= 0.0 && d->default_weight_decay < 1.0);
    }
    /* SGD: a momentum buffer with momentum; Adam, AdamW: m and v, vmax with amsgrad */
    const OptimKept sgd[] = {KEPT_WITH_MOMENTUM, KEPT_NEVER, KEPT_NEVER},
                    adam[] = {KEPT_ALWAYS, KEPT_ALWAYS, KEPT_WITH_AMSGRAD};
    CHECK(memcmp(params_optims[OPTIM_SGD].state, sgd, sizeof sgd) == 0);
    CHECK(memcmp(params_optims[OPTIM_ADAM].state, adam, sizeof adam) == 0);
    CHECK(memcmp(params_optims[OPTIM_ADAMW].state, adam, sizeof adam) == 0);
    CHECK(!params_optims[OPTIM_ADAM].decoupled_weight_decay);
    CHECK(params_optims[OPTIM_ADAMW].decoupled_weight_decay);
    CHECK(params_optims[OPTIM_SGD].default_weight_decay == 0.0);
    CHECK(params_optims[OPTIM_ADAM].default_weight_decay == 0.0);
    CHECK(params_optims[OPTIM_ADAMW].default_weight_decay == 0.01);
}

static void test_activations(void)
{
    for (int k = 0; k < ACT_COUNT; k++) {
        check_help(params_activations[k].help);
        CHECK(params_activations[k].module != NULL && params_activations[k].module[0] != '\0');
    }
    CHECK_STR("ReLU", params_activations[ACT_RELU].module);
    CHECK_STR("LeakyReLU", params_activations[ACT_LEAKY_RELU].module);
    CHECK_STR("GELU", params_activations[ACT_GELU].module);
}

static void test_plateau_metrics(void)
{
    for (int k = 0; k < METRIC_COUNT; k++) {
        check_help(params_plateau_metrics[k].help);
        CHECK((unsigned)params_plateau_metrics[k].mode < PLATEAU_MODE_COUNT);
    }
    CHECK(params_plateau_metrics[METRIC_VAL_LOSS].mode == PLATEAU_MIN);
    CHECK(params_plateau_metrics[METRIC_VAL_ACC].mode == PLATEAU_MAX);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_names);
    RUN(test_datasets);
    RUN(test_schedules);
    RUN(test_optimizers);
    RUN(test_activations);
    RUN(test_plateau_metrics);
    return test_finish(argv[0]);
}
