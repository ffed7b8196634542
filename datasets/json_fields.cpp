// json_fields.cpp: reading a JSON file, and the checked field accessors of datasets/json_fields.h.
#include "datasets/json_fields.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/input_file.h"

namespace sar {

using json = nlohmann::json;

json read_json(const std::string& path) {
  std::ifstream in = open_input_file(path);
  std::ostringstream text;
  text << in.rdbuf();
  SAR_CHECK(!in.bad(), path, ": read failed (", std::strerror(errno), ")");
  const json::parser_callback_t drop_segmentation = [](int, json::parse_event_t event, json& parsed) {
    return !(event == json::parse_event_t::key && parsed == "segmentation");
  };
  try {
    return json::parse(text.str(), drop_segmentation);
  } catch (const json::parse_error& e) {
    SAR_THROW(path, ": not valid JSON (at byte ", e.byte, "): ", e.what());
  } catch (const json::exception& e) {  // out_of_range: a number past double's range (1e999)
    SAR_THROW(path, ": not valid JSON: ", e.what());
  }
}

std::string shown(const json& value) {
  std::string s = value.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

const json& member(const json& object, const std::string& where, const char* key) {
  SAR_CHECK(object.is_object(), where, " must be an object, got ", shown(object));
  SAR_CHECK(object.contains(key), where, " has no \"", key, "\"");
  return object[key];
}

int64_t int_member(const json& object, const std::string& where, const char* key) {
  const json& value = member(object, where, key);
  SAR_CHECK(value.is_number_integer(), where, ".", key, " must be an integer, got ", shown(value));
  return value.get<int64_t>();
}

double finite_number(const json& value, const std::string& where) {
  SAR_CHECK(value.is_number() && std::isfinite(value.get<double>()), where, " must be a finite number, got ",
            shown(value));
  return value.get<double>();
}

}  // namespace sar
