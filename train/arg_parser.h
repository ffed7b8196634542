// arg_parser.h: the options of one `sar` command, declared once and parsed with uniform errors:
//   sar eval: unknown option '--flipp'; see sar eval --help
//   sar eval --batch: expected an integer, got 'x'
//   sar eval --out: given twice; see sar eval --help
//
//   ArgParser args("sar eval", kUsage);
//   args.value("--config", &config_path);      // --config FILE
//   args.flag("--json", &as_json);             // --json
//   args.toggle("flip", &flip);                // --flip / --no-flip
//   args.repeated("--set", &overrides);        // --set k=v, any number of times
//   args.positional(&run_dirs);                // the words that are not options (else refused)
//   if (!args.parse(argc, argv)) return 0;     // --help printed the usage
//   args.require("--config");                  // after parse: throws when it was not given
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sar {

class ArgParser {
 public:
  ArgParser(std::string command, const char* usage) : command_(std::move(command)), usage_(usage) {}

  // An option that takes a value takes it once ("--out a --out b" is refused, not resolved).
  void value(const std::string& name, std::string* out);
  void value(const std::string& name, int* out, int min = INT32_MIN);  // refused below min
  void value(const std::string& name, double* out);
  void positive(const std::string& name, double* out);                  // refused unless > 0
  void flag(const std::string& name, bool* out);                         // present -> true
  void toggle(const std::string& name, bool* out);                       // --name -> true, --no-name -> false
  void repeated(const std::string& name, std::vector<std::string>* out);  // each occurrence appended
  void positional(std::vector<std::string>* out);  // arguments not starting with '-', in order

  // Parses argv (after the command's own words). Returns false after printing the usage for
  // --help or -h. Throws sar::Error for an unknown option, a missing or malformed value.
  bool parse(int argc, char** argv);
  bool given(const std::string& name) const { return given_.count(name) > 0; }
  void require(const std::string& name) const;  // throws "sar eval: --config is required; see ..."

 private:
  double number(const std::string& name, const std::string& v) const;  // v as a number, or refused

  std::string command_;
  const char* usage_;
  std::map<std::string, std::function<void(const std::string&)>> takes_value_;
  std::map<std::string, std::function<void()>> takes_none_;
  std::set<std::string> given_;
  std::set<std::string> repeatable_;  // the repeated() options
  std::vector<std::string>* positional_ = nullptr;
};

}  // namespace sar
