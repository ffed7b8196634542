// test_walkthrough.cpp: keeps docs/WALKTHROUGH.md true to the code. The guide names files,
// functions and tests; when the code moves, these checks name the reference that went stale.
//
// What the guide's markup means (its first section states the same rules for its editors):
//   [text](target)                 a relative link: target, relative to docs/, must exist
//   [f](../f) · `name` · `A::b`    a stop: each backticked name after a "·" must be found in f
//                                  as `name(` at a word boundary (a definition, declaration or
//                                  call: good enough to catch a rename), or as `struct name` /
//                                  `class name` for a type
//   **Proved by:** `test name`     (at the start of a line) each backticked name in that
//                                  paragraph, up to the next blank line, must be the exact
//                                  string of a TEST_CASE (or CUDA_TEST_CASE, ...) in tests/*.cpp
//   `dir/file.ext` or `dir/`       a repository path in backticks (relative to the repository
//                                  root) must exist; runs/ (what `make demo` writes) is skipped
//   "N tape nodes in all",         the node count of one demo step: what SAR_TRACE=1 prints
//   "One demo step records N nodes"  for a step of configs/synthetic_demo.json
// Fenced code blocks (the diagram, quoted lines) are not parsed.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fs = std::filesystem;

namespace {

const char* kGuidePath = "docs/WALKTHROUGH.md";
const char* kMadeByDemo = "runs/";  // paths under it are what `make demo` writes: not checked

struct Stop {
  std::string file;                // the link target, relative to docs/
  std::vector<std::string> names;  // functions or types that file must hold
};

struct GuideRefs {
  std::vector<std::string> links;  // relative link targets, anchors removed
  std::vector<Stop> stops;
  std::vector<std::string> tests;  // "Proved by" test names
  std::vector<std::string> paths;  // backticked repository paths
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path, ": cannot be read (tests run from the repository root)");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_relative_link(const std::string& target) {
  return !target.empty() && target[0] != '#' && target.rfind("http://", 0) != 0 && target.rfind("https://", 0) != 0 &&
         target.rfind("mailto:", 0) != 0;
}

// A backticked token that reads as a repository path: a folder ("core/ops/") or a file with an
// extension the repository uses.
bool looks_like_path(const std::string& token) {
  static const std::regex path(R"(^[A-Za-z0-9_][A-Za-z0-9_./-]*/([A-Za-z0-9_.-]+\.(h|cpp|cu|cuh|json|py|md))?$)");
  return std::regex_match(token, path) && token.find("..") == std::string::npos;
}

// The references of a guide's text, fenced code blocks left out.
GuideRefs parse_guide(const std::string& text) {
  static const std::regex link(R"(\[[^\]\n]*\]\(([^)\s]+)\))");
  static const std::regex stop(R"(\[[^\]\n]*\]\(([^)\s]+)\)((?:[ \t]*·[ \t]*`[^`\n]+`)+))");
  static const std::regex backticked("`([^`\n]+)`");
  GuideRefs refs;
  std::istringstream lines(text);
  std::string line;
  bool in_fence = false, in_proved_by = false;
  while (std::getline(lines, line)) {
    if (line.rfind("```", 0) == 0) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    if (line.rfind("**Proved by:**", 0) == 0) in_proved_by = true;
    if (line.find_first_not_of(" \t") == std::string::npos) in_proved_by = false;

    // Code spans: test names in a "Proved by" paragraph, else maybe paths. They are text, not
    // links: `[text](target)` in backticks shows the markup.
    std::vector<std::pair<long, long>> code_spans;
    for (std::sregex_iterator m(line.begin(), line.end(), backticked), end; m != end; ++m) {
      code_spans.emplace_back(m->position(), m->position() + m->length());
      const std::string token = (*m)[1].str();
      if (in_proved_by) refs.tests.push_back(token);
      else if (looks_like_path(token) && token.rfind(kMadeByDemo, 0) != 0) refs.paths.push_back(token);
    }
    auto in_code_span = [&](long position) {
      for (const auto& [open, close] : code_spans)
        if (position > open && position < close) return true;
      return false;
    };
    for (std::sregex_iterator m(line.begin(), line.end(), link), end; m != end; ++m) {
      const std::string target = (*m)[1].str();
      if (is_relative_link(target) && !in_code_span(m->position()))
        refs.links.push_back(target.substr(0, target.find('#')));
    }
    for (std::sregex_iterator m(line.begin(), line.end(), stop), end; m != end; ++m) {
      if (in_code_span(m->position())) continue;
      Stop s{(*m)[1].str(), {}};
      const std::string names = (*m)[2].str();
      for (std::sregex_iterator n(names.begin(), names.end(), backticked); n != end; ++n) s.names.push_back((*n)[1]);
      refs.stops.push_back(s);
    }
  }
  return refs;
}

std::string escaped_for_regex(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

// `name(` at a word boundary, or `struct name` / `class name`.
bool names_function_or_type(const std::string& source, const std::string& name) {
  const std::string n = escaped_for_regex(name);
  const std::regex use("(^|[^A-Za-z0-9_:])" + n + R"(\s*\()");
  const std::regex type(R"((struct|class)\s+)" + n + "([^A-Za-z0-9_]|$)");
  return std::regex_search(source, use) || std::regex_search(source, type);
}

// Every tests/*.cpp, concatenated: where the TEST_CASE strings live.
std::string all_test_sources() {
  std::string all;
  for (const auto& entry : fs::directory_iterator("tests"))
    if (entry.path().extension() == ".cpp") all += read_file(entry.path().string());
  return all;
}

bool has_test_case(const std::string& sources, const std::string& name) {
  return sources.find("TEST_CASE(\"" + name + "\"") != std::string::npos;
}

const GuideRefs& guide() {
  static const GuideRefs refs = parse_guide(read_file(kGuidePath));
  return refs;
}

}  // namespace

TEST_CASE("walkthrough: the checker finds links, stops, tests and paths, and catches a stale name") {
  const std::string sample =
      "See `core/tape.h` and [the tape](../core/tape.cpp#L1), but not `[markup](../nowhere)`.\n"
      "[core/tape.cpp](../core/tape.cpp) · `Tape::backward` · `Tape::no_such_function`\n"
      "```\n[ignored](../nowhere) `no/such/file.h`\n```\n"
      "**Proved by:** `tape: diamond graph (float64, cpu)`,\n"
      "`tape: no such test`\n"
      "\n"
      "`runs/demo/report.md` is written by make demo.\n";
  const GuideRefs refs = parse_guide(sample);
  CHECK(refs.links == std::vector<std::string>{"../core/tape.cpp", "../core/tape.cpp"});
  REQUIRE(refs.stops.size() == 1);
  CHECK(refs.stops[0].file == "../core/tape.cpp");
  CHECK(refs.stops[0].names == std::vector<std::string>{"Tape::backward", "Tape::no_such_function"});
  CHECK(refs.tests == std::vector<std::string>{"tape: diamond graph (float64, cpu)", "tape: no such test"});
  CHECK(refs.paths == std::vector<std::string>{"core/tape.h"});

  const std::string tape = read_file("core/tape.cpp");
  CHECK(names_function_or_type(tape, "Tape::backward"));
  CHECK_FALSE(names_function_or_type(tape, "Tape::no_such_function"));
  CHECK_FALSE(names_function_or_type(tape, "backwar"));  // a prefix is not the name
  CHECK(names_function_or_type(read_file("core/tape.h"), "TensorRef"));
  const std::string tests = all_test_sources();
  CHECK(has_test_case(tests, refs.tests[0]));
  CHECK_FALSE(has_test_case(tests, refs.tests[1]));
}

TEST_CASE("walkthrough: every relative link of docs/WALKTHROUGH.md names a file or folder that exists") {
  const GuideRefs& refs = guide();
  CHECK(refs.links.size() >= 40);  // an empty or unparsable guide fails here
  for (const std::string& target : refs.links) {
    INFO("docs/WALKTHROUGH.md links to ", target);
    CHECK(fs::exists(fs::path("docs") / target));
  }
}

TEST_CASE("walkthrough: every function a stop of docs/WALKTHROUGH.md names is in that stop's file") {
  const GuideRefs& refs = guide();
  size_t names = 0;
  for (const Stop& stop : refs.stops) {
    const fs::path file = fs::path("docs") / stop.file;
    INFO("docs/WALKTHROUGH.md stop ", stop.file);
    CHECK(fs::is_regular_file(file));
    if (!fs::is_regular_file(file)) continue;  // the link test names it too; check the other stops
    const std::string source = read_file(file.string());
    for (const std::string& name : stop.names) {
      INFO("names `", name, "`");
      CHECK(names_function_or_type(source, name));
      ++names;
    }
  }
  CHECK(refs.stops.size() >= 25);
  CHECK(names >= 50);
}

TEST_CASE("walkthrough: every \"Proved by\" test of docs/WALKTHROUGH.md is a TEST_CASE in tests/") {
  const GuideRefs& refs = guide();
  CHECK(refs.tests.size() >= 25);
  const std::string sources = all_test_sources();
  for (const std::string& name : refs.tests) {
    INFO("docs/WALKTHROUGH.md proves a step by \"", name, "\"");
    CHECK(has_test_case(sources, name));
  }
}

TEST_CASE("walkthrough: every repository path docs/WALKTHROUGH.md writes in backticks exists") {
  const GuideRefs& refs = guide();
  CHECK(refs.paths.size() >= 10);
  for (const std::string& path : refs.paths) {
    INFO("docs/WALKTHROUGH.md names `", path, "`");
    CHECK(fs::exists(path));
  }
}

// The guide follows one demo step through the tape and counts its nodes; the count goes stale
// silently when an op is composed differently (the quality focal loss once took 17 nodes, now 11).
TEST_CASE("walkthrough: one demo step records as many tape nodes as docs/WALKTHROUGH.md says") {
  const std::string text = read_file(kGuidePath);
  std::smatch in_all, records;
  REQUIRE(std::regex_search(text, in_all, std::regex(R"((\d+) tape nodes in all)")));
  REQUIRE(std::regex_search(text, records, std::regex(R"(One demo step records (\d+) nodes)")));
  CHECK(in_all[1].str() == records[1].str());

  // The demo's model and batch on a few samples; evaluation runs under NoGrad and records nothing.
  const std::string run = sar::test::temp_path("walkthrough_trace");
  const sar::test::CliResult r = sar::test::run_command(
      "SAR_TRACE=1 " + sar::test::sar_binary() + " train --config configs/synthetic_demo.json --device cpu --out " +
      run + " --set train.max_steps=1 --set data.synthetic.train_samples=16 --set data.synthetic.val_samples=2");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  size_t nodes = 0;
  for (size_t at = r.output.find("[tape] #"); at != std::string::npos; at = r.output.find("[tape] #", at + 1)) ++nodes;
  CHECK(std::to_string(nodes) == records[1].str());
}
