// The `sar` binary as a user runs it: output, exit codes, refusals. It is found through
// $SAR_BIN (make test sets it) or at build/sar; without it these tests fail, not pass.

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/safetensors.h"
#include "tests/test_util.h"

using namespace sar;
using sar::test::CliResult;
using sar::test::run_sar;

TEST_CASE("sar cli: help and unknown commands") {
  CliResult help = run_sar("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("usage: sar <command>") != std::string::npos);
  CliResult bad = run_sar("frobnicate");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("unknown command 'frobnicate'") != std::string::npos);
}

TEST_CASE("sar cli: every verb answers --help with its usage") {
  for (const char* verb : {"info", "score", "data", "data show", "bench", "bench layers", "bench sar", "bench model",
                           "bench data",
                           "train", "eval", "infer", "gradcheck", "compare"}) {
    const CliResult help = run_sar(std::string(verb) + " --help");
    INFO(verb, ": ", help.output);
    CHECK(help.exit_code == 0);
    CHECK(help.output.find(std::string("usage: sar ") + verb) != std::string::npos);
  }
}

TEST_CASE("sar cli: an option given twice, or a number out of its range, is refused naming the option") {
  const struct {
    const char* command;
    int exit_code;
    const char* says;
  } cases[] = {
      {"train --config configs/synthetic_demo.json --config configs/lspet_sar.json --out x", 1,
       "sar train --config: given twice ('configs/lspet_sar.json' the second time)"},
      {"data show --seed -1 --out x.png", 1, "sar data show --seed: must be >= 0, got -1"},
      {"gradcheck --model resnet18 --head sar --deconv-channels 0", 1,
       "sar gradcheck --deconv-channels: must be >= 1, got 0"},
      {"gradcheck --op add --rtol 0", 1, "sar gradcheck --rtol: must be > 0, got 0"},
      {"data show --json a.json --out x.png", 1, "--json and --images read a COCO data set: add --dataset coco"},
      {"bench", 2, "usage: sar bench layers|sar|model|data"},
      {"score --gt a.json --results b.json --metric coco --alpha 0.1", 1,
       "--alpha and --norm belong to --metric pck or pckh, not coco"},
      {"score --gt a.json --results b.json --metric pckh --norm bbox", 1, "PCKh's scale is the head segment"},
  };
  for (const auto& c : cases) {
    const CliResult r = run_sar(c.command);
    INFO(c.command, ": ", r.output);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.output.find(c.says) != std::string::npos);
  }
}

TEST_CASE("sar cli: a folder given where a file belongs is named as such") {
  for (const char* command : {"train --config configs --out x", "eval --checkpoint configs --out x.json",
                              "info --weights configs", "score --gt configs --results x.json --metric coco"}) {
    const CliResult r = run_sar(command);
    INFO(command, ": ", r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("configs: is a folder, not a file") != std::string::npos);
  }
}

TEST_CASE("sar cli: an output that cannot be written, or a PNG under another name, is refused before any work") {
  // The checkpoints and runs named do not exist: the output is checked first.
  const CliResult jpg = run_sar("infer --checkpoint none.safetensors --image none.png --out pose.jpg");
  CHECK(jpg.exit_code == 1);
  CHECK(jpg.output.find("sar infer --out pose.jpg: writes a PNG; give a name ending in .png") != std::string::npos);
  // /proc takes no new file, whoever asks (access() would say yes to root)
  const CliResult proc = run_sar("compare nowhere --out /proc/curves.png");
  CHECK(proc.exit_code == 1);
  CHECK(proc.output.find("sar compare --out /proc/curves.png: cannot write into the folder /proc") != std::string::npos);
  const CliResult into_file = run_sar("train --config configs/synthetic_demo.json --out README.md");
  CHECK(into_file.exit_code == 1);
  CHECK(into_file.output.find("README.md: is a file, not a folder; give --out a folder for the run") !=
        std::string::npos);
  const CliResult bench = run_sar("bench data --images /nonexistent");
  CHECK(bench.exit_code == 1);  // a folder asked for is no reason to skip
  CHECK(bench.output.find("sar bench data --images /nonexistent: no LSPET annotations") != std::string::npos);
}

TEST_CASE("sar cli: info says which device auto picks") {
  CliResult info = run_sar("info --device auto");
  CHECK(info.exit_code == 0);
  CHECK(info.output.find(cuda_device_count() > 0 ? "device: cuda (auto)" : "device: cpu (auto: ") != std::string::npos);
  CliResult bad = run_sar("info --device tpu");
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("--device: expected auto, cpu or cuda, got 'tpu'") != std::string::npos);
}

TEST_CASE("sar cli: info --weights lists a safetensors file and refuses a bad one") {
  std::string path = test::temp_path("info_weights.safetensors");
  save_safetensors(path, {{"conv1.weight", Tensor::zeros({64, 3, 7, 7})}, {"bn1.running_mean", Tensor::zeros({64})}});
  CliResult ok = run_sar("info --weights " + path);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("conv1.weight") != std::string::npos);
  CHECK(ok.output.find("[64, 3, 7, 7]") != std::string::npos);
  CHECK(ok.output.find("2 tensors, 37888 bytes") != std::string::npos);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "garbage!garbage";
  CliResult bad = run_sar("info --weights " + path);
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("sar: error: " + path + ": header length") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("sar cli: info --model counts HRNet-W32's multiply-adds as its official table does (7.1 at 256x192)") {
  const CliResult w32 = run_sar("info --model hrnet_w32 --head heatmap --input 256x192");
  INFO(w32.output);
  CHECK(w32.exit_code == 0);
  CHECK(w32.output.find("total: 7.645 G multiply-adds per image") != std::string::npos);
  // the HRNet repository divides by 2^30 and calls it GFLOPs: 7.645e9 / 2^30 = 7.12, its "7.1"
  CHECK(w32.output.find("the same in the HRNet tables' unit (/ 2^30): 7.12\n") != std::string::npos);
}

TEST_CASE("sar cli: info --config describes the model a run config builds; --set changes it first") {
  const std::string demo = "info --config configs/synthetic_demo.json";
  const CliResult ok = run_sar(demo);
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  // the config's deconv channels and input, and the synthetic set's 15 keypoints
  CHECK(ok.output.find("model: resnet18 + 3 deconvs + sar head; input 64x64, 15 keypoints; "
                       "features: 64 channels at stride 4") != std::string::npos);
  // ResNet-18 without fc 11,176,512 + deconvs 655,744 + head 3,900 (docs/WALKTHROUGH.md, section 4)
  CHECK(ok.output.find("parameters: 11836156\n") != std::string::npos);
  // 128 channels: deconvs 512*128*16 + 2 * 128*128*16 + 3 BNs of 2*128 = 1,573,632; head 60*128 + 60 = 7,740
  const CliResult wider = run_sar(demo + " --set model.deconv_channels=128");
  CHECK(wider.exit_code == 0);
  CHECK(wider.output.find("parameters: 12757884\n") != std::string::npos);

  // A config whose data is not here: its keypoint count from --keypoints, or a hint to give it.
  const CliResult coco = run_sar("info --config configs/coco_r50_256x192_sar.json --set data.root=/nonexistent");
  CHECK(coco.exit_code == 1);
  CHECK(coco.output.find("data.val.ann: /nonexistent/annotations/person_keypoints_val2017.json does not exist") !=
        std::string::npos);
  CHECK(coco.output.find("give its keypoint count: sar info --config configs/coco_r50_256x192_sar.json --keypoints K") !=
        std::string::npos);
  const CliResult counted = run_sar("info --config configs/coco_r50_256x192_sar.json --keypoints 17");
  CHECK(counted.exit_code == 0);
  CHECK(counted.output.find("input 256x192, 17 keypoints") != std::string::npos);

  const CliResult mixed = run_sar(demo + " --model resnet50");
  CHECK(mixed.exit_code == 1);
  CHECK(mixed.output.find("--config builds the config's model; change it with --set") != std::string::npos);
  const CliResult orphan = run_sar("info --set model.deconv_channels=128");
  CHECK(orphan.exit_code == 1);
  CHECK(orphan.output.find("sar info: --set needs --config") != std::string::npos);
  const CliResult typo = run_sar(demo + " --set model.deconv_chanels=128");
  CHECK(typo.exit_code == 1);
  CHECK(typo.output.find("model.deconv_chanels") != std::string::npos);
}
