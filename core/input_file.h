// input_file.h: a file of outside input (config, annotations, checkpoint, ground truth) opened
// for reading, or refused naming the path: "PATH: cannot open (No such file or directory)",
// "PATH: is a folder, not a file". A folder opens as a stream on Linux and fails only at the
// first read, with an error that names neither the path nor the reason.
#pragma once

#include <fstream>
#include <string>

namespace sar {

std::ifstream open_input_file(const std::string& path, std::ios::openmode mode = std::ios::binary);

}  // namespace sar
