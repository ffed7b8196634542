// fuzz_targets.h: one fuzz target per parser of outside input, shared by the libFuzzer binaries
// (tests/fuzz/fuzz_main.cpp, `make fuzz`) and the regression test that replays their corpora
// (tests/test_fuzz_regressions.cpp, `make test`).
//
// The rule every target checks: for ANY bytes the parser returns or throws a sar::Error (which
// names the file and the field). A target catches sar::Error and lets everything else escape,
// so libFuzzer reports a crash, a sanitizer finding, a foreign exception, a hang or a huge
// allocation as a bug of the parser.
//
//   coco_annotations  load_coco_keypoints, load_coco_wholebody, load_coco_gt; the gt scored against itself
//   mpii              load_mpii_json
//   detections        load_detections over a small fixed data set
//   coco_results      load_coco_results against a small fixed ground truth, then scored
//   run_config        load_run_config (a config file)
//   set_override      the bytes as one `--set key=value` applied to a valid config, then parsed
//   safetensors       load_safetensors (index and tensors)
//   image             decode_image_memory (stb_image behind the PNG CRC check)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sar::fuzz {

using FuzzFunction = void (*)(const uint8_t* data, size_t size);

struct FuzzTarget {
  const char* name;  // also the folder of its seed corpus: tests/fuzz/corpus/<name>/
  FuzzFunction run;
};

void fuzz_coco_annotations(const uint8_t* data, size_t size);
void fuzz_mpii(const uint8_t* data, size_t size);
void fuzz_detections(const uint8_t* data, size_t size);
void fuzz_coco_results(const uint8_t* data, size_t size);
void fuzz_run_config(const uint8_t* data, size_t size);
void fuzz_set_override(const uint8_t* data, size_t size);
void fuzz_safetensors(const uint8_t* data, size_t size);
void fuzz_image(const uint8_t* data, size_t size);

// Every target above, in that order.
const std::vector<FuzzTarget>& fuzz_targets();

}  // namespace sar::fuzz
