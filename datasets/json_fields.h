// json_fields.h: reading JSON files whose every field is checked, for the data set readers
// (datasets/coco_dataset.cpp) and the evaluator (eval/coco_eval.cpp). Each check throws a
// sar::Error that names where the field is, e.g. "ann.json: annotations[12].bbox must be an
// array, got null", so a user can find the broken line.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace sar {

// Parses the whole file. "segmentation" is dropped while parsing: no reader here uses it, and
// it is most of a COCO file (58% of coco_mini's bytes), so the parsed tree stays smaller.
nlohmann::json read_json(const std::string& path);

// A value as it appears in the file, shortened for messages.
std::string shown(const nlohmann::json& value);

// object[key], where `where` names the object ("file: annotations[3]").
const nlohmann::json& member(const nlohmann::json& object, const std::string& where, const char* key);
int64_t int_member(const nlohmann::json& object, const std::string& where, const char* key);
double finite_number(const nlohmann::json& value, const std::string& where);

}  // namespace sar
