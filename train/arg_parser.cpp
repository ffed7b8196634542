// arg_parser.cpp: see arg_parser.h.
#include "train/arg_parser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace sar {

void ArgParser::value(const std::string& name, std::string* out) {
  takes_value_[name] = [out](const std::string& v) { *out = v; };
}

void ArgParser::value(const std::string& name, int* out, int min) {
  takes_value_[name] = [this, name, out, min](const std::string& v) {
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    SAR_CHECK(!v.empty() && *end == '\0' && n >= INT32_MIN && n <= INT32_MAX, command_, " ", name,
              ": expected an integer, got '", v, "'");
    SAR_CHECK(n >= min, command_, " ", name, ": must be >= ", min, ", got ", n);
    *out = int(n);
  };
}

double ArgParser::number(const std::string& name, const std::string& v) const {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  SAR_CHECK(!v.empty() && *end == '\0', command_, " ", name, ": expected a number, got '", v, "'");
  return x;
}

void ArgParser::value(const std::string& name, double* out) {
  takes_value_[name] = [this, name, out](const std::string& v) { *out = number(name, v); };
}

void ArgParser::positive(const std::string& name, double* out) {
  takes_value_[name] = [this, name, out](const std::string& v) {
    *out = number(name, v);
    SAR_CHECK(*out > 0, command_, " ", name, ": must be > 0, got ", v);
  };
}

void ArgParser::flag(const std::string& name, bool* out) {
  takes_none_[name] = [out] { *out = true; };
}

void ArgParser::toggle(const std::string& name, bool* out) {
  takes_none_["--" + name] = [out] { *out = true; };
  takes_none_["--no-" + name] = [out] { *out = false; };
}

void ArgParser::repeated(const std::string& name, std::vector<std::string>* out) {
  takes_value_[name] = [out](const std::string& v) { out->push_back(v); };
  repeatable_.insert(name);
}

void ArgParser::positional(std::vector<std::string>* out) { positional_ = out; }

bool ArgParser::parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_, stdout);
      return false;
    }
    if (auto it = takes_none_.find(arg); it != takes_none_.end()) {
      it->second();
    } else if (auto v = takes_value_.find(arg); v != takes_value_.end()) {
      SAR_CHECK(i + 1 < argc, command_, " ", arg, ": missing value; see ", command_, " --help");
      SAR_CHECK(!given(arg) || repeatable_.count(arg), command_, " ", arg, ": given twice ('", argv[i + 1],
                "' the second time); see ", command_, " --help");
      v->second(argv[++i]);
    } else if (positional_ && !arg.empty() && arg[0] != '-') {
      positional_->push_back(arg);
      continue;
    } else {
      SAR_THROW(command_, ": unknown option '", arg, "'; see ", command_, " --help");
    }
    given_.insert(arg);
  }
  return true;
}

void ArgParser::require(const std::string& name) const {
  SAR_CHECK(given(name), command_, ": ", name, " is required; see ", command_, " --help");
}

}  // namespace sar
