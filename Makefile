# sar: the only build entry.
#   make               library + the `sar` binary into build/
#   make test          builds and runs the test suite (CPU tests; CUDA tests skip without a GPU)
#   make CUDA=0 ...    CPU-only build, even where nvcc exists
#   make gpu-check     on a GPU machine: CUDA parity tests (gpu-parity), then compute-sanitizer (gpu-sanitize);
#                      fails when no GPU answers; writes build/gpu-check.log
#   make bench         speed against PyTorch on the same shapes, same run (BENCH_DEVICE=cuda on a GPU)
#   make demo          trains and evaluates SAR on synthetic data into runs/demo/ (the main job)
#   make train CONFIG=configs/X.json [OUT=runs/X] [ARGS="--set k=v ..."]   trains (or resumes) a run
#   make gradcheck     float64 gradient checks of every op, layer and head loss, and of every backbone x head
#   make asan-test     the test suite under AddressSanitizer + UndefinedBehaviorSanitizer (CPU build, build-asan/)
# Missing Debian packages are installed here when running as root (apt-get), so a fresh
# machine needs only `make test`.

BUILD ?= build
SHELL := /bin/bash
# Build on every core unless -j was given (make >= 4.3 honours -j set here).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
  MAKEFLAGS += -j$(shell nproc)
endif

# ---- CUDA: on when nvcc exists, unless CUDA=0 ----
NVCC ?= $(or $(shell command -v nvcc 2>/dev/null),$(wildcard /usr/local/cuda/bin/nvcc))
ifeq ($(CUDA),)
  CUDA := $(if $(NVCC),1,0)
endif
ifeq ($(CUDA),1)
  ifeq ($(NVCC),)
    $(error CUDA=1 but nvcc was not found (looked on PATH and in /usr/local/cuda/bin))
  endif
  CUDA_HOME ?= $(abspath $(dir $(NVCC))..)
  # cuDNN: in the CUDA folder, in $(CUDNN_HOME), or in the pip package nvidia-cudnn-cu13.
  PIP_CUDNN := $(shell python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0])" 2>/dev/null)
  CUDNN_DIR := $(firstword $(foreach d,$(CUDA_HOME) $(CUDNN_HOME) $(PIP_CUDNN),$(if $(wildcard $(d)/include/cudnn.h),$(d))))
  # (NOBUILD=1 runs binaries built elsewhere: no headers needed)
  ifeq ($(CUDNN_DIR)$(NOBUILD),)
    $(error cuDNN not found: no cudnn.h in $(CUDA_HOME)/include, $$CUDNN_HOME or pip nvidia-cudnn-cu13; install it or build with CUDA=0)
  endif
  # Linked by its path: pip's wheel has only the versioned libcudnn.so.9, which -lcudnn misses.
  CUDNN_LIB := $(firstword $(wildcard $(CUDNN_DIR)/lib64/libcudnn.so $(CUDNN_DIR)/lib/libcudnn.so*))
  CUDA_LIBDIRS := $(CUDA_HOME)/lib64 $(dir $(CUDNN_LIB))
endif

# ---- Debian packages the build needs: header -> package ----
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
DEB_NEEDS := /usr/include/stb/stb_image.h=libstb-dev \
             /usr/include/nlohmann/json.hpp=nlohmann-json3-dev \
             /usr/include/doctest/doctest.h=doctest-dev \
             /usr/include/$(MULTIARCH)/cblas.h=libopenblas-dev \
             /usr/lib/$(MULTIARCH)/openblas-openmp/libopenblas.so=libopenblas-openmp-dev
MISSING_DEBS := $(strip $(foreach need,$(DEB_NEEDS),$(if $(wildcard $(word 1,$(subst =, ,$(need)))),,$(word 2,$(subst =, ,$(need))))))

# ---- flags ----
CXX ?= g++
# -fvect-cost-model=dynamic: GCC 12's -O2 vectorizes only loops that need no run-time alias
# check, which left the element-wise, ReLU, BN and pooling loops scalar; with it they vectorize
# (same values: no FP reassociation) and a ResNet-18 64x64 training step is 5-7% faster.
CXXFLAGS ?= -O2 -g -fvect-cost-model=dynamic
CXXFLAGS += -std=c++17 -Wall -Wextra -fopenmp -I. -DSAR_WITH_CUDA=$(CUDA) -MMD -MP
# -lineinfo: compute-sanitizer's reports name the source line (no effect on the code's speed).
NVCCFLAGS ?= -O3
NVCCFLAGS += -std=c++17 -I. -DSAR_WITH_CUDA=1 -MMD -MP -Xcompiler -Wall -lineinfo \
             -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90
# OpenBLAS's OpenMP build, named explicitly: Debian's default is the pthreads build, whose
# threads fight our OpenMP ones for the cores (conv forward+backward ran 2x slower with it).
# STATIC_BLAS=1 links it statically, for a build carried to a machine without it; such a
# binary also looks for libraries beside itself first ($ORIGIN), where gpu-bundle puts libgomp.
OPENBLAS_DIR := /usr/lib/$(MULTIARCH)/openblas-openmp
ifeq ($(STATIC_BLAS),1)
  LDLIBS := $(OPENBLAS_DIR)/libopenblas.a -Wl,-Bstatic -lgfortran -lquadmath -Wl,-Bdynamic -fopenmp -lpthread \
            -Wl,-rpath,'$$ORIGIN'
else
  LDLIBS := -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas -fopenmp -lpthread
endif
# ASAN=1: AddressSanitizer + UndefinedBehaviorSanitizer, any undefined behaviour fatal (make asan-test).
# GCC's "undefined" leaves out float-cast-overflow (a double past an int's range converted: clang's
# make fuzz found one in the config parser), so it is named too.
ifeq ($(ASAN),1)
  SANITIZE := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow \
              -fno-omit-frame-pointer
  CXXFLAGS += $(SANITIZE)
  LDLIBS += $(SANITIZE)
endif
ifeq ($(CUDA),1)
  CXXFLAGS += -I$(CUDA_HOME)/include -I$(CUDNN_DIR)/include
  NVCCFLAGS += -I$(CUDNN_DIR)/include
  LDLIBS += $(foreach d,$(CUDA_LIBDIRS),-L$(d) -Wl,-rpath,$(d)) -lcudart -lcublas $(CUDNN_LIB)
endif

# ---- sources ----
LIB_DIRS := core core/ops core/cpu layers layers/heads models datasets eval train
LIB_SRCS := $(filter-out train/main.cpp,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cpp)))
CU_SRCS := $(if $(filter 1,$(CUDA)),$(wildcard cuda/*.cu))
TEST_SRCS := $(wildcard tests/*.cpp)

LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/obj/%.o) $(CU_SRCS:%.cu=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.cpp=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libsar.a
SAR_BIN := $(BUILD)/sar
TEST_BIN := $(BUILD)/sar_tests
TEST_ARGS ?=

.PHONY: all test asan-test gpu-check gpu-parity gpu-sanitize gpu-bundle bench demo train clean install-deps gradcheck
all: $(SAR_BIN)

# A change of configuration (CUDA on/off, flags) rebuilds everything: objects depend on
# this file, which is rewritten only when its contents change.
FLAGS_FILE := $(BUILD)/flags.txt
# The flags of single objects (their reasons are at their rules below) count too.
WRAPV_FLAGS := -fwrapv
SELECT_LOOP_FLAGS := -fno-trapping-math
OPTIM_FLAGS := -fno-math-errno -fno-trapping-math
FLAGS_NOW := CUDA=$(CUDA) CXX=$(CXX) CXXFLAGS=$(CXXFLAGS) NVCCFLAGS=$(NVCCFLAGS) \
             WRAPV=$(WRAPV_FLAGS) SELECT_LOOP=$(SELECT_LOOP_FLAGS) OPTIM=$(OPTIM_FLAGS)
$(shell mkdir -p $(BUILD); [ "$$(cat $(FLAGS_FILE) 2>/dev/null)" = "$(FLAGS_NOW)" ] || echo "$(FLAGS_NOW)" > $(FLAGS_FILE))

# Packages first (order-only: installing them does not rebuild anything).
$(LIB_OBJS) $(TEST_OBJS): | $(if $(MISSING_DEBS),install-deps)
# Two makes started together on a fresh machine (make demo beside make test, or make fuzz) share
# apt's locks: the second waits for the first instead of failing on dpkg's lock.
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600
install-deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "installing missing Debian packages: $(MISSING_DEBS)"; \
	  $(APT_GET) update && $(APT_GET) install -y $(MISSING_DEBS) >/dev/null; \
	else \
	  echo "missing Debian packages: $(MISSING_DEBS); run: sudo apt-get install -y $(MISSING_DEBS)"; exit 1; \
	fi

# stb_image (Debian's 2.27, compiled into image_io.o) multiplies JPEG coefficients in int, which
# a crafted file overflows (found by make fuzz): -fwrapv makes that wrap as the hardware does
# instead of being undefined behaviour; such a file decodes to garbage pixels, never a crash.
$(BUILD)/obj/datasets/image_io.o: CXXFLAGS += $(WRAPV_FLAGS)

# Loops with a select per element (ReLU's backward dy * (y > 0 ? 1 : 0), Adam's weight decay
# g + wd p) vectorize only when the compiler may compute both sides for every element and then
# pick one: -fno-trapping-math (no FP exception flags are read anywhere). The optimizer's also
# need sqrt to skip setting errno (for negative inputs, which Adam's v never is). The same
# values, 4 at a time; scalar, the ReLU backward took 6.6% of an R50 step benchmark's profile.
$(BUILD)/obj/core/cpu/elementwise.o: CXXFLAGS += $(SELECT_LOOP_FLAGS)
$(BUILD)/obj/core/cpu/optim.o: CXXFLAGS += $(OPTIM_FLAGS)

$(BUILD)/obj/%.o: %.cpp $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cu $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SAR_BIN): $(BUILD)/obj/train/main.o $(LIB)
	$(CXX) $^ -o $@ $(LDLIBS)

$(TEST_BIN): $(TEST_OBJS) $(LIB)
	$(CXX) $^ -o $@ $(LDLIBS)

# OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning (see train/main.cpp).
test: $(TEST_BIN) $(SAR_BIN)
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-PASSIVE} SAR_BIN=$(SAR_BIN) $(TEST_BIN) $(TEST_ARGS)

# The whole suite under ASan + UBSan, CPU-only, in its own folder (~3x slower than make test).
asan-test:
	$(MAKE) BUILD=build-asan CUDA=0 ASAN=1 test

# A build to carry to a GPU machine that has no Debian -dev packages (tools/gpu_session.sh):
# OpenBLAS linked statically, binaries stripped and packed (the device tool's `carry` takes
# 64 MiB at most; the two binaries were 58 MB on 2026-11-28, each with sm_80 + sm_90 + PTX
# code; 17 MB packed). gzip, not xz, which that machine's image may lack; GNU make itself, in
# case the image has none (it needs only glibc 2.27); and the OpenMP runtime the binaries link.
gpu-bundle:
	$(MAKE) BUILD=build-gpu STATIC_BLAS=1 build-gpu/sar_tests build-gpu/sar
	@mkdir -p build-gpu/bundle
	strip -o build-gpu/bundle/sar_tests build-gpu/sar_tests
	strip -o build-gpu/bundle/sar build-gpu/sar
	cp "$$(command -v make)" build-gpu/bundle/make
	cp -L "$$($(CXX) -print-file-name=libgomp.so.1)" build-gpu/bundle/libgomp.so.1
	{ git rev-parse HEAD; git diff --quiet HEAD -- || echo "with uncommitted changes"; } > build-gpu/bundle/COMMIT
	tar -C build-gpu -czf build-gpu/bundle.tar.gz bundle/sar bundle/sar_tests bundle/make bundle/libgomp.so.1 \
	  bundle/COMMIT
	@du -sh build-gpu/bundle.tar.gz

# cuDNN/cuBLAS from pip (nvidia-* wheels), where a GPU machine has them only there: every
# program a recipe starts finds them (the binaries load libcudnn even for --print-shapes).
PIP_NVIDIA_LIBS := $(shell python3 -c "import nvidia, glob, os; print(':'.join(sorted({os.path.dirname(p) for d in nvidia.__path__ for p in glob.glob(os.path.join(d, '**', 'lib*.so*'), recursive=True)})))" 2>/dev/null)
ifneq ($(PIP_NVIDIA_LIBS),)
export LD_LIBRARY_PATH := $(PIP_NVIDIA_LIBS)$(if $(LD_LIBRARY_PATH),:$(LD_LIBRARY_PATH))
endif

SANITIZER := $(or $(shell command -v compute-sanitizer 2>/dev/null),$(wildcard $(CUDA_HOME)/bin/compute-sanitizer),$(wildcard $(CUDA_HOME)/compute-sanitizer/compute-sanitizer))
# racecheck (shared-memory hazards) on the tests of the kernels that use shared memory
# (grep -l __shared__ cuda/*.cu*: optim, reduce, sar_decode, sar_loss, and block_reduce.cuh's
# users batch_norm, softmax, sar_selector_norm); on everything it takes too long.
RACECHECK_TESTS := optimizer: fused*,sum/mean/max: CUDA*,sar_decode_topm: CUDA*,sar_loss: CUDA*,batch_norm2d: CUDA*,softmax: CUDA*,sar_selector_norm: CUDA*

# memcheck runs every CUDA test but these: the whole-model and training ones, which mostly
# drive cuDNN and take minutes under the sanitizer, and the one that counts on a copy still
# being queued when its block is released (the sanitizer makes launches wait). API calls that
# return an error are not reported: ours are all checked (CUDA_CHECK), and some fail on purpose
# (the 4 TiB allocation of the out-of-memory test, cudaEventQuery's "not ready").
MEMCHECK_EXCLUDE := model fixtures: *,caching allocator: a training step*,train: *,pinned memory: a block freed*
# memcheck instruments only our kernels (every one is in namespace sar, so its name holds "sar")
# where this compute-sanitizer has --kernel-name: cuDNN's and cuBLAS's kernels, which the conv,
# layer and head tests launch by the hundred, then run uninstrumented, at full speed.
MEMCHECK_KERNELS := $(if $(SANITIZER),$(shell $(SANITIZER) --help 2>/dev/null | grep -q -e '--kernel-name' && echo '--kernel-name kns=sar'))

# On a GPU machine: every CUDA test must run (SAR_REQUIRE_CUDA makes a missing device an
# error, not a skip), then the sanitizers, when compute-sanitizer is installed: racecheck on
# the shared-memory kernels first (quick), then memcheck. --duration=true logs every finished
# test (in gpu-check.log), so a run stopped at a time limit still says how far it got.
# NOBUILD=1 runs a build/ carried over from another machine as it is.
gpu-check: $(if $(NOBUILD),,$(TEST_BIN) $(SAR_BIN))
	$(MAKE) gpu-parity
	$(MAKE) gpu-sanitize

gpu-parity: $(if $(NOBUILD),,$(TEST_BIN) $(SAR_BIN))
	@test -n "$(NOBUILD)" -o "$(CUDA)" = 1 || { echo "gpu-parity: needs a CUDA build, but nvcc was not found"; exit 1; }
	$(SAR_BIN) info | tee $(BUILD)/gpu-check.log
	set -o pipefail; SAR_REQUIRE_CUDA=1 $(TEST_BIN) --test-suite=cuda 2>&1 | tee -a $(BUILD)/gpu-check.log

gpu-sanitize: $(if $(NOBUILD),,$(TEST_BIN))
ifeq ($(SANITIZER),)
	@echo "gpu-sanitize: compute-sanitizer not found, racecheck and memcheck skipped" | tee -a $(BUILD)/gpu-check.log
else
	@echo "gpu-sanitize: $(SANITIZER) (memcheck filter: $(or $(MEMCHECK_KERNELS),none))" | tee -a $(BUILD)/gpu-check.log
	set -o pipefail; SAR_REQUIRE_CUDA=1 $(SANITIZER) --tool racecheck --report-api-errors no --error-exitcode 1 \
	  $(TEST_BIN) --test-suite=cuda --duration=true \
	  --test-case="$(RACECHECK_TESTS)" 2>&1 | tee -a $(BUILD)/gpu-check.log | tail -3
	set -o pipefail; SAR_REQUIRE_CUDA=1 $(SANITIZER) --tool memcheck $(MEMCHECK_KERNELS) --report-api-errors no --error-exitcode 1 \
	  $(TEST_BIN) --test-suite=cuda --duration=true \
	  --test-case-exclude="$(MEMCHECK_EXCLUDE)" 2>&1 | tee -a $(BUILD)/gpu-check.log | tail -3
endif

# Speed against PyTorch on the same shapes in the same run (ratios, never bare times).
# BENCH_DEVICE=cuda on a GPU machine. PyTorch: Debian's python3-torch (/usr/bin/python3).
BENCH_DEVICE ?= cpu
BENCH_PYTHON ?= /usr/bin/python3
# The train step of R50+SAR 256x192 (BENCH_MODEL=hrnet_w32 for HRNet-W32+SAR): batch 8 on the
# CPU, 64 on a GPU (issue 9), where a step takes milliseconds and more repetitions steady the median.
BENCH_MODEL ?= resnet50
# BENCH_PROFILE=1: the whole-model table is followed by the step's time by op (--profile).
BENCH_PROFILE ?=
BENCH_BATCH ?= $(if $(filter cuda,$(BENCH_DEVICE)),64,8)
BENCH_REPS ?= $(if $(filter cuda,$(BENCH_DEVICE)),20,3)
# BENCH_TF32=1: both sides' convolutions and matmuls on TF32 tensor cores (sar --tf32, PyTorch's
# allow_tf32); by default both multiply in float32 (PyTorch's own default would be TF32 convs).
# The SAR kernels and the input pipeline have no TF32 math: only the float32 run times them.
# The whole-model step, the figure that matters most, goes first; the folder starts empty, so
# tables left by an earlier run cannot pass for this one's.
BENCH_MATH := $(if $(BENCH_TF32),--tf32)
BENCH_DIR := $(BUILD)/bench$(if $(BENCH_TF32),-tf32)
# The input pipeline is timed on LSPET from the shared data folder; skipped where it is absent.
LSPET := $(or $(SAR_DATA),../shared/data)/lspet
bench: $(if $(NOBUILD),,$(SAR_BIN))
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	$(BENCH_PYTHON) tools/bench_model_torch.py --model $(BENCH_MODEL) --device $(BENCH_DEVICE) $(BENCH_MATH) \
	  --batch $(BENCH_BATCH) --reps $(BENCH_REPS) > $(BENCH_DIR)/model_torch.json
	set -o pipefail; $(SAR_BIN) bench model --model $(BENCH_MODEL) --device $(BENCH_DEVICE) $(BENCH_MATH) \
	  --batch $(BENCH_BATCH) --reps $(BENCH_REPS) $(if $(BENCH_PROFILE),--profile) \
	  --baseline $(BENCH_DIR)/model_torch.json \
	  | tee $(BENCH_DIR)/model.txt
	$(SAR_BIN) bench layers --print-shapes > $(BENCH_DIR)/layer_shapes.json
	$(BENCH_PYTHON) tools/bench_layers_torch.py $(BENCH_DIR)/layer_shapes.json --device $(BENCH_DEVICE) $(BENCH_MATH) \
	  > $(BENCH_DIR)/layers_torch.json 2> $(BENCH_DIR)/layers_torch.log
	set -o pipefail; $(SAR_BIN) bench layers --device $(BENCH_DEVICE) $(BENCH_MATH) --baseline $(BENCH_DIR)/layers_torch.json \
	  | tee $(BENCH_DIR)/layers.txt
ifeq ($(BENCH_TF32),)
	$(BENCH_PYTHON) tools/bench_sar_torch.py --device $(BENCH_DEVICE) > $(BENCH_DIR)/sar_torch.json
	set -o pipefail; $(SAR_BIN) bench sar --device $(BENCH_DEVICE) --baseline $(BENCH_DIR)/sar_torch.json \
	  | tee $(BENCH_DIR)/sar.txt
	@if [ -f $(LSPET)/annotations/lspet_train.json ]; then set -eo pipefail; \
	  $(SAR_BIN) bench data --images $(LSPET) --print-samples > $(BENCH_DIR)/data_samples.json; \
	  $(BENCH_PYTHON) tools/bench_data_torch.py $(BENCH_DIR)/data_samples.json \
	    > $(BENCH_DIR)/data_torch.json 2> $(BENCH_DIR)/data_torch.log; \
	  $(SAR_BIN) bench data --images $(LSPET) --baseline $(BENCH_DIR)/data_torch.json | tee $(BENCH_DIR)/data.txt; \
	else echo "bench data: skipped: no LSPET at $(LSPET) (set SAR_DATA to the shared data folder)"; fi
endif

# The main job: SAR trained and evaluated on the built-in synthetic data set (no files needed),
# on a GPU when one answers, else on the CPU (2.5 minutes on 2 quiet cores). DEMO_OUT is the run
# folder; a second `make demo` starts it afresh, but removes only an earlier demo run (its
# config.json says "make demo"), never a folder holding anything else.
DEMO_OUT ?= runs/demo
demo: $(if $(NOBUILD),,$(SAR_BIN))
	@if [ -n "$$(ls -A "$(DEMO_OUT)" 2>/dev/null)" ] && \
	  ! grep -qs '"description": "make demo' "$(DEMO_OUT)/config.json"; then \
	  echo "make demo: $(DEMO_OUT) holds something other than an earlier make demo run; remove it or set DEMO_OUT"; \
	  exit 1; fi
	rm -rf $(DEMO_OUT)
	$(SAR_BIN) train --config configs/synthetic_demo.json --out $(DEMO_OUT) --device auto
	@echo
	@echo "make demo: done. In $(DEMO_OUT)/: report.md (numbers), curves.png (loss and AP),"
	@echo "  predictions.png (val crops: predicted skeletons, the truth as white crosses), confidence_maps.png (c_t),"
	@echo "  val_results.json + val_gt.json (sar score --gt ... --results ... --metric coco), checkpoints/."

# A training run of any config: make train CONFIG=configs/lspet_sar.json [OUT=runs/lspet_sar]
# [ARGS="--set data.root=/data/lspet --device cuda"]. OUT defaults to runs/<config's name>; where
# OUT already holds a run, it is resumed (sar train --resume OUT ARGS), so the same command picks
# up a run that was stopped (Ctrl-C, SIGTERM, a crash) where it left off.
CONFIG ?= configs/synthetic_demo.json
OUT ?= runs/$(basename $(notdir $(CONFIG)))
ARGS ?=
train: $(if $(NOBUILD),,$(SAR_BIN))
	@if [ -f $(OUT)/checkpoints/last.safetensors ]; then \
	  echo "make train: $(OUT) holds a run; resuming it"; \
	  echo "$(SAR_BIN) train --resume $(OUT) $(ARGS)"; $(SAR_BIN) train --resume $(OUT) $(ARGS); \
	else \
	  echo "$(SAR_BIN) train --config $(CONFIG) --out $(OUT) $(ARGS)"; $(SAR_BIN) train --config $(CONFIG) --out $(OUT) $(ARGS); \
	fi

# Central differences against backward(), in float64 on the CPU (sar gradcheck --help): every op,
# layer and head loss of the catalog, then every backbone with every head on a 2-image batch, the
# big backbones with one entry per parameter group so the whole run stays within minutes.
gradcheck: $(if $(NOBUILD),,$(SAR_BIN))
	$(SAR_BIN) gradcheck --op all
	$(SAR_BIN) gradcheck --model resnet18,resnet34,resnet50 --head all --samples 2
	$(SAR_BIN) gradcheck --model resnet101,resnet152,hrnet_w32,hrnet_w48 --head all --samples 1

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(BUILD)/obj/train/main.d
include tests/fuzz/fuzz.mk
