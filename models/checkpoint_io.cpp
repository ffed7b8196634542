// checkpoint_io.cpp: save_model / load_model: Module::state() to and from one safetensors file.
#include "models/checkpoint_io.h"

#include "core/safetensors.h"

namespace sar {

void save_model(const std::string& path, const Module& module, const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, module.state(), metadata);
}

LoadReport load_model(const std::string& path, Module& module, bool allow_partial) {
  NamedTensors state = load_safetensors(path);
  try {
    return module.load_state(state, allow_partial);
  } catch (const Error& e) {
    SAR_THROW(path, ": ", e.message());  // which file did not match the model
  }
}

}  // namespace sar
