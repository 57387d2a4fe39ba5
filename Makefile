# mlptrain - build, test, sanitize.
#   make            ./mlptrain
#   make demo       trains on the bundled MNIST subset and prints the result row
#   make test       builds and runs every test; last line "N passed, N failed, N skipped"
#   make sanitize   the same tests under -fsanitize=address,undefined
#   make fuzz       libFuzzer harnesses (clang), each run FUZZ_SECONDS; see tests/fuzz/README.md
#   make studies-smoke  every configs/studies/ config on the bundled data, cut to seconds

CC      ?= cc
OPT     ?= -O3
WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?=
ALL_CFLAGS = -std=c11 $(OPT) -fno-math-errno -g $(WARN) -Iinclude -MMD -MP -pthread $(CFLAGS)
LDLIBS  = -lm -pthread
BUILD   ?= build

CLI_SRC  = src/main.c
LIB_SRC  = $(filter-out $(CLI_SRC),$(wildcard src/*.c))
LIB_OBJ  = $(LIB_SRC:src/%.c=$(BUILD)/src/%.o)
MAIN_OBJ = $(CLI_SRC:src/%.c=$(BUILD)/src/%.o)
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BIN      = $(if $(filter build,$(BUILD)),mlptrain,$(BUILD)/mlptrain)

.PHONY: all test test-kernels sanitize tsan demo bench bench-gemm bench-load bench-pytorch fuzz fuzz-build \
        studies-smoke clean
all: $(BIN)

$(BIN): $(MAIN_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/src/%.o: src/%.c | $(BUILD)/src
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIB_OBJ) $(LDLIBS)

$(BUILD)/bench/%: tests/%.c $(LIB_OBJ) | $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIB_OBJ) $(LDLIBS)

# Benchmarks: never part of `make test`. ARGS passes options, e.g.
#   make bench ARGS="--threads 1,2,4 --split A4"   make bench-gemm ARGS="--path avx2"
bench: $(BUILD)/bench/bench_train
	./$(BUILD)/bench/bench_train $(ARGS)

bench-gemm: $(BUILD)/bench/bench_gemm
	./$(BUILD)/bench/bench_gemm $(ARGS)

# Under load: other runs and busy loops beside a run (minutes); CONFIGS, KS, THREADS,
# RUN_SECONDS and REPS choose the table (scripts/bench-load.sh).
bench-load: $(BUILD)/bench/bench_train
	CONFIGS="$(CONFIGS)" KS="$(KS)" THREADS="$(THREADS)" RUN_SECONDS="$(RUN_SECONDS)" REPS="$(REPS)" \
	    sh scripts/bench-load.sh ./$(BUILD)/bench/bench_train

# Side by side with PyTorch (python3-torch); PYTHON, ROUNDS and IDS as in the script.
bench-pytorch: $(BUILD)/bench/bench_train
	PYTHON="$(PYTHON)" ROUNDS="$(ROUNDS)" sh scripts/bench-vs-pytorch.sh ./$(BUILD)/bench/bench_train $(IDS)

$(BUILD)/src $(BUILD)/tests $(BUILD)/bench:
	mkdir -p $@

test: $(BIN) $(TEST_BIN)
	@sh tests/run.sh $(BUILD) $(BIN)

# The whole suite once per kernel path this CPU can run (MLPTRAIN_KERNEL), less the suites
# that train nothing a kernel path could change (Slurm and GNU parallel plumbing, cgroup
# limits, the study page in a browser, the download script): make test runs those.
# TEST_KERNELS_EXCEPT=default leaves out the path a plain run uses here (what --version
# says is in use), for a caller that runs make test as well (.ci/run).
KERNEL_FREE_SUITES = cluster_test cgroup_test report_test dataset_test
TEST_KERNELS_EXCEPT ?=
test-kernels: $(BIN) $(TEST_BIN)
	@default=$$(./$(BIN) --version | sed -n 's/.*(in use: \([a-z0-9]*\)).*/\1/p'); \
	for k in generic avx2 avx512; do \
	    if [ "$(TEST_KERNELS_EXCEPT)" = default ] && [ "$$k" = "$$default" ]; then \
	        echo "== MLPTRAIN_KERNEL=$$k: the default here, left to make test"; \
	    elif MLPTRAIN_KERNEL=$$k ./$(BIN) --version >/dev/null 2>&1; then \
	        echo "== MLPTRAIN_KERNEL=$$k"; MLPTRAIN_KERNEL=$$k SUITES_ELSEWHERE="$(KERNEL_FREE_SUITES)" \
	            sh tests/run.sh $(BUILD) $(BIN) || exit 1; \
	    else echo "== MLPTRAIN_KERNEL=$$k: this CPU cannot run it, skipped"; fi; \
	done
	@echo "== SIMD clones against the plain loops"
	@$(MAKE) -s BUILD=$(BUILD)/plain CFLAGS="$(CFLAGS) -DSIMD_CLONES=" $(BUILD)/plain/mlptrain
	@MLPTRAIN=./$(BIN) PLAIN=$(BUILD)/plain/mlptrain sh tests/clones.sh

sanitize:
	SANITIZED=1 $(MAKE) BUILD=build-san OPT=-O1 CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

# ThreadSanitizer over the suite but the plumbing suites (KERNEL_FREE_SUITES: their threads
# are the sweep and run code the other suites run; make sanitize and make test run them).
# C11 thread calls reach pthreads through tests/tsan_threads.c (ThreadSanitizer intercepts
# pthreads only); no SIMD clones (their load-time resolvers run before ThreadSanitizer is
# set up). SANITIZED tells the suites to repeat their statistical trials fewer times.
TSAN_WRAP = $(foreach f,call_once thrd_create thrd_join mtx_init mtx_lock mtx_unlock mtx_destroy \
                cnd_init cnd_wait cnd_signal cnd_broadcast cnd_destroy,-Wl,--wrap=$(f))
tsan:
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" MLPTRAIN_TSAN=1 SANITIZED=1 \
	    SUITES_ELSEWHERE="$(KERNEL_FREE_SUITES)" $(MAKE) BUILD=build-tsan OPT=-O1 \
	    CFLAGS="-fsanitize=thread -DSIMD_CLONES=" \
	    LDLIBS="tests/tsan_threads.c $(TSAN_WRAP) -lm -pthread" test

# Fuzzing: clang + libFuzzer, ASan and UBSan; never part of `make test`. The library is
# built with coverage instrumentation into build-fuzz/, one binary per harness
# tests/fuzz/fuzz_TARGET.c. SIMD_CLONES is left empty: the sanitizers and clang need no
# load-time clone resolvers (include/simd.h).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= config expr idx cifar ckpt
FUZZ_DIR      = build-fuzz
FUZZ_CFLAGS   = -std=c11 -O1 -g -fno-omit-frame-pointer $(WARN) -Iinclude -MMD -MP -pthread \
                -DSIMD_CLONES= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJ  = $(LIB_SRC:src/%.c=$(FUZZ_DIR)/src/%.o)
FUZZ_BIN      = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_DIR)/src/%.o: src/%.c | $(FUZZ_DIR)/src
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< $(FUZZ_LIB_OBJ) \
	    $(FUZZ_LDFLAGS) $(LDLIBS)

# The checkpoint harness's synthetic runs read a counter as their clock, so the epochs.csv
# they write (whose CRC every checkpoint records) is the same in every process.
$(FUZZ_DIR)/fuzz_ckpt: FUZZ_LDFLAGS = -Wl,--wrap=util_now

$(FUZZ_DIR)/src:
	mkdir -p $@

.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# runs/demo is the demo's own scratch directory: replaced on every `make demo`.
demo: $(BIN)
	rm -rf runs/demo
	./$(BIN) configs/demo.ini -o runs/demo
	@echo
	@echo "runs/demo/result.csv:"
	@cat runs/demo/result.csv

# The published studies (configs/studies/, README "Published studies") on the bundled subsets
# of data/: the same sweeps, variants and seeds, on a few hundred records for one epoch (or
# 20 iterations), since a --set may not change what the sweep varies. Each into a scratch
# directory, removed after; each must exit 0 and write summary_by_point.csv with its
# protocol's points, and sweep.csv with its runs. NAME:POINTS:RUNS for every config there.
STUDIES_SMOKE = mnist-hparams:8:24 cifar10-width-bn:8:8 cifar10-lr:8:8 mnist-caffe-batch-lr:9:9 \
                mnist-numpy:1:1
studies-smoke: $(BIN)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && fail=0 && start=$$(date +%s) && \
	for f in configs/studies/*.ini; do \
	    name=$$(basename "$$f" .ini); want=; \
	    for s in $(STUDIES_SMOKE); do [ "$${s%%:*}" = "$$name" ] && want=$${s#*:}; done; \
	    if [ -z "$$want" ]; then echo "studies-smoke: $$f: not in STUDIES_SMOKE (Makefile)"; fail=1; continue; fi; \
	    points=$${want%:*}; runs=$${want#*:}; \
	    dataset=$$(sed -n 's/^dataset *= *//p' "$$f"); \
	    if grep -q '^max_iterations *= *[1-9]' "$$f"; then len="--set train.max_iterations=20 --set train.eval_every=10"; \
	    else len="--set train.epochs=1"; fi; \
	    t0=$$(date +%s); \
	    if ./$(BIN) sweep "$$f" -o "$$tmp/$$name" -q --jobs 2 --set data.path=data/$$dataset \
	        --set data.train_limit=400 --set data.test_limit=100 $$len; then \
	        got=$$(($$(tr -d '\r' <"$$tmp/$$name/summary_by_point.csv" | wc -l) - 1)); \
	        ran=$$(($$(tr -d '\r' <"$$tmp/$$name/sweep.csv" | grep -c ',ok$$'))); \
	        if [ "$$got" -eq "$$points" ] && [ "$$ran" -eq "$$runs" ]; then \
	            echo "studies-smoke: $$name: $$runs runs ok, $$points points ($$(($$(date +%s) - t0)) s)"; \
	        else echo "studies-smoke: $$name: runs ok: $$ran (expected $$runs), points: $$got (expected $$points)"; fail=1; fi; \
	    else echo "studies-smoke: $$name: mlptrain sweep failed"; fail=1; fi; \
	    rm -rf "$$tmp/$$name"; \
	done; \
	for s in $(STUDIES_SMOKE); do [ -f "configs/studies/$${s%%:*}.ini" ] || \
	    { echo "studies-smoke: configs/studies/$${s%%:*}.ini: missing"; fail=1; }; done; \
	echo "studies-smoke: $$(($$(date +%s) - start)) s"; exit $$fail

# Build outputs only: runs/ holds users' results and is never removed here.
clean:
	rm -rf build build-san build-tsan build-fuzz mlptrain

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
-include $(wildcard $(FUZZ_DIR)/src/*.d $(FUZZ_DIR)/*.d)
