# fuzz.mk: `make fuzz`: every fuzz target of tests/fuzz_targets.h under libFuzzer + ASan + UBSan.
#   make fuzz FUZZ_SECONDS=60                  each target for 60 s (the default)
#   make fuzz FUZZ_TARGETS="image safetensors" only those
# The library is built CPU-only with clang++ into build-fuzz/ (instrumented for coverage and the
# sanitizers), then one binary per target. Each runs on build-fuzz/corpus/<target>/, seeded from
# tests/fuzz/corpus/<target>/ (so the committed corpus never grows), plus the committed crash
# regressions tests/data/fuzz/<target>/ read-only. Prints per target the executions run and
# whether it crashed (artifacts in build-fuzz/crashes/<target>/, log in build-fuzz/logs/);
# fails when any target crashed. Included by the top-level Makefile.

FUZZ_SECONDS ?= 60
FUZZ_CXX ?= clang++
FUZZ_BUILD := build-fuzz
FUZZ_TARGETS ?= coco_annotations mpii detections coco_results run_config set_override safetensors image
# Every undefined behaviour is fatal (UBSan would otherwise print and go on, unseen by libFuzzer).
FUZZ_SANITIZE := address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CXXFLAGS := -O1 -g -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZE)
FUZZ_LDLIBS := -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas -fopenmp -lpthread
# Per target: -max_len (a little above its largest seed: room to grow, while each run stays fast)
# and its dictionary (tokens libFuzzer splices in: JSON syntax and the field names the parsers read).
FUZZ_MAX_LEN_coco_annotations := 16384
FUZZ_MAX_LEN_mpii := 8192
FUZZ_MAX_LEN_detections := 4096
FUZZ_MAX_LEN_coco_results := 4096
FUZZ_MAX_LEN_run_config := 4096
FUZZ_MAX_LEN_set_override := 256
FUZZ_MAX_LEN_safetensors := 8192
FUZZ_MAX_LEN_image := 16384
FUZZ_DICT_set_override := tests/fuzz/set_override.dict
FUZZ_DICT_image := none
# "target:max_len:dictionary" for the run loop; JSON is every other target's dictionary.
FUZZ_SPECS := $(foreach t,$(FUZZ_TARGETS),\
                $(t):$(or $(FUZZ_MAX_LEN_$(t)),4096):$(or $(FUZZ_DICT_$(t)),tests/fuzz/json.dict))

.PHONY: fuzz fuzz-tools fuzz-build

# clang++ with libFuzzer and libomp, installed when running as root (as install-deps does).
FUZZ_PROBE := extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }
FUZZ_OMP_PROBE := \#include <omp.h>\nint main() { return omp_get_max_threads() > 0 ? 0 : 1; }
fuzz-tools:
	@fuzzer_ok() { echo '$(FUZZ_PROBE)' | $(FUZZ_CXX) -x c++ -fsanitize=fuzzer,address - -o /dev/null 2>/dev/null; }; \
	omp_ok() { printf '$(FUZZ_OMP_PROBE)\n' | $(FUZZ_CXX) -x c++ -fopenmp - -o /dev/null 2>/dev/null; }; \
	missing=""; fuzzer_ok || missing="clang"; omp_ok || missing="$$missing libomp-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "fuzz: $(FUZZ_CXX) with libFuzzer and OpenMP needed; installing:$$missing"; \
	    $(APT_GET) update && $(APT_GET) install -y $$missing >/dev/null; \
	    fuzzer_ok && omp_ok || { echo "fuzz: $(FUZZ_CXX) still cannot build a libFuzzer + OpenMP binary"; exit 1; }; \
	  else \
	    echo "fuzz: $(FUZZ_CXX) cannot build a libFuzzer + OpenMP binary; run: sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

# The library, and the targets' object, as the top-level rules build them, with clang's flags.
fuzz-build: fuzz-tools
	CXXFLAGS='$(FUZZ_CXXFLAGS)' $(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CUDA=0 CXX=$(FUZZ_CXX) \
	  $(FUZZ_BUILD)/libsar.a $(FUZZ_BUILD)/obj/tests/fuzz_targets.o
	@for t in $(FUZZ_TARGETS); do \
	  echo "$(FUZZ_CXX) ... -DFUZZ_TARGET='\"$$t\"' -o $(FUZZ_BUILD)/fuzz_$$t"; \
	  $(FUZZ_CXX) -std=c++17 -I. -O1 -g -fsanitize=fuzzer,$(FUZZ_SANITIZE) -DFUZZ_TARGET="\"$$t\"" \
	    tests/fuzz/fuzz_main.cpp $(FUZZ_BUILD)/obj/tests/fuzz_targets.o $(FUZZ_BUILD)/libsar.a $(FUZZ_LDLIBS) \
	    -o $(FUZZ_BUILD)/fuzz_$$t || exit 1; \
	done

fuzz: fuzz-build
	@failed=0; \
	for spec in $(FUZZ_SPECS); do \
	  IFS=: read -r t maxlen dict <<< "$$spec"; \
	  corpus=$(FUZZ_BUILD)/corpus/$$t crashes=$(FUZZ_BUILD)/crashes/$$t/ log=$(FUZZ_BUILD)/logs/$$t.log; \
	  mkdir -p $$corpus $$crashes $(FUZZ_BUILD)/logs; \
	  cp -n tests/fuzz/corpus/$$t/* $$corpus/; \
	  regressions=$$([ -d tests/data/fuzz/$$t ] && echo tests/data/fuzz/$$t); \
	  echo "fuzz $$t: $(FUZZ_SECONDS) s, -max_len=$$maxlen (log: $$log)"; \
	  OMP_NUM_THREADS=1 $(FUZZ_BUILD)/fuzz_$$t $$corpus $$regressions -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$$maxlen -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix=$$crashes \
	    $$([ $$dict = none ] || echo -dict=$$dict) > $$log 2>&1; \
	  rc=$$?; \
	  runs=$$(grep -o 'stat::number_of_executed_units: *[0-9]*' $$log | grep -o '[0-9]*$$'); \
	  if [ $$rc = 0 ]; then echo "fuzz $$t: $${runs:-?} executions, no crash"; \
	  else failed=1; echo "fuzz $$t: CRASH (exit $$rc) after $${runs:-?} executions:"; \
	    grep -E '^==[0-9]+==ERROR|runtime error|terminate called|what\(\)|Test unit written' $$log | head -5; fi; \
	done; \
	exit $$failed
