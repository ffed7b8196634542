// fuzz_main.cpp: libFuzzer's entry point for one target of tests/fuzz_targets.h, chosen when the
// binary is built (-DFUZZ_TARGET='"image"', a name of fuzz_targets()): tests/fuzz/fuzz.mk builds
// one binary per target, so each keeps its own corpus, coverage and crash artifacts.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tests/fuzz_targets.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"<name>\"', a name of sar::fuzz::fuzz_targets()"
#endif

namespace {

sar::fuzz::FuzzFunction target_named(const char* name) {
  for (const sar::fuzz::FuzzTarget& target : sar::fuzz::fuzz_targets())
    if (std::strcmp(target.name, name) == 0) return target.run;
  std::fprintf(stderr, "fuzz_main: no fuzz target is called '%s' (tests/fuzz_targets.cpp lists them)\n", name);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sar::fuzz::FuzzFunction run = target_named(FUZZ_TARGET);
  run(data, size);
  return 0;
}
