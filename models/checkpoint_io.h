// checkpoint_io.h: a whole model's weights to and from one safetensors file.
//
// The file holds Module::state(): every parameter and buffer under its PyTorch-style name
// (backbone.layer1.0.conv1.weight, head.deconv_layers.1.running_mean, ...), in the module's
// dtype, so a file written here loads into the same model exactly, and a torchvision or
// official checkpoint converted by tools/torch2safetensors.py loads by name.
#pragma once

#include <map>
#include <string>

#include "layers/module.h"

namespace sar {

// Writes the module's state atomically (any device; copied to the CPU), with metadata.
void save_model(const std::string& path, const Module& module, const std::map<std::string, std::string>& metadata = {});

// Loads a file written by save_model (or converted from PyTorch) into the module, converting
// dtype and keeping the module's device. Strict (allow_partial = false): every name and shape
// must match, else it throws naming the path and the first mismatches, and nothing is copied.
// allow_partial: copies what matches and reports the rest. A corrupt file is refused by the
// safetensors reader with the path and what is wrong.
LoadReport load_model(const std::string& path, Module& module, bool allow_partial = false);

}  // namespace sar
