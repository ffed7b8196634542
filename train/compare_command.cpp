// compare_command.cpp: see compare_command.h. Each run is read from what `sar train` leaves in
// its folder: config.json (backbone, head, input, epochs), eval_log.csv (one row per evaluation:
// step, epoch, then the metric's numbers, the first being the one the best checkpoint is chosen
// by, higher is better) and report.md (written when the run finished).
#include "train/compare_command.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/image_io.h"
#include "eval/plot.h"
#include "train/arg_parser.h"
#include "train/command_setup.h"
#include "train/csv_log.h"
#include "train/run_config.h"

namespace sar {

namespace {

struct RunSummary {
  std::string name;  // the folder's name
  RunConfig config;
  bool finished = false;
  CsvTable evals;    // empty rows: not evaluated yet
  size_t best = 0;   // the row with the highest primary number (the first of equals)
};

RunSummary read_run(const std::string& dir) {
  namespace fs = std::filesystem;
  check_run_folder("sar compare", dir);
  RunSummary run;
  run.name = fs::path(dir).lexically_normal().filename().string();
  if (run.name.empty()) run.name = fs::path(dir).lexically_normal().parent_path().filename().string();
  run.config = load_run_config((fs::path(dir) / "config.json").string());
  run.finished = fs::exists(fs::path(dir) / "report.md");
  const fs::path log = fs::path(dir) / "eval_log.csv";
  if (!fs::exists(log)) return run;
  run.evals = read_csv(log.string());
  SAR_CHECK(run.evals.columns.size() >= 3 && run.evals.columns[0] == "step" && run.evals.columns[1] == "epoch",
            log.string(), ": expected the columns step, epoch, then the metric's numbers");
  for (size_t r = 1; r < run.evals.rows.size(); ++r)
    if (run.evals.rows[r][2] > run.evals.rows[run.best][2]) run.best = r;
  return run;
}

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", x);
  return text;
}

// One markdown table: a row per run; the metric's other numbers at the best evaluation.
void print_table(const std::vector<RunSummary>& runs, const std::vector<std::string>& columns) {
  const std::string& metric = columns[2];
  std::string head = "| run | backbone | head | input | epochs | best " + metric + " | at epoch |";
  std::string rule = "|---|---|---|---|---|---:|---:|";
  for (size_t c = 3; c < columns.size(); ++c) {
    head += " " + columns[c] + " at best |";
    rule += "---:|";
  }
  head += " last " + metric + " |";
  rule += "---:|";
  std::printf("%s\n%s\n", head.c_str(), rule.c_str());
  for (const RunSummary& run : runs) {
    const ModelConfig& m = run.config.model;
    std::string line = cat("| ", run.name, " | ", m.backbone, " | ", m.head, " | ", m.head_config.input_h, "x",
                           m.head_config.input_w, " | ");
    // without report.md: still training, or stopped (a signal, --stop-at-step, a crash) to resume
    const char* running = run.finished ? "" : " (unfinished)";
    if (run.evals.rows.empty()) {  // the remaining cells left empty, so the row has every column
      line += cat("0 of ", run.config.train.epochs, running, " | no evaluation yet |", std::string(columns.size() - 1, '|'));
      std::printf("%s\n", line.c_str());
      continue;
    }
    const auto& best = run.evals.rows[run.best];
    const auto& last = run.evals.rows.back();
    line += cat(int(last[1]), " of ", run.config.train.epochs, running, " | ", number(best[2]), " | ", int(best[1]), " |");
    for (size_t c = 3; c < columns.size(); ++c) line += " " + number(best[c]) + " |";
    line += " " + number(last[2]) + " |";
    std::printf("%s\n", line.c_str());
  }
}

// Numbers compare only over the same people: a note where the runs' val sets differ.
void note_different_val_sets(const std::vector<RunSummary>& runs) {
  const auto val_set = [](const RunConfig& c) {
    return cat(c.data.dataset, " ", c.data.val.ann, " ", c.data.val.dets, " ", c.eval.max_images);
  };
  for (const RunSummary& run : runs)
    if (val_set(run.config) != val_set(runs.front().config)) {
      std::printf("\nnote: the runs were not evaluated on the same people (val ann, dets, eval.max_images):\n");
      for (const RunSummary& r : runs)
        std::printf("  %s: %s%s%s, eval.max_images=%d\n", r.name.c_str(),
                    r.config.data.dataset == "synthetic" ? "synthetic" : r.config.data.val.ann.c_str(),
                    r.config.data.val.dets.empty() ? "" : ", dets ", r.config.data.val.dets.c_str(),
                    r.config.eval.max_images);
      return;
    }
}

}  // namespace

int compare_main(int argc, char** argv) {
  const char* usage =
      "usage: sar compare RUN [RUN ...] [--out CURVES.png]\n"
      "\n"
      "  Training runs side by side (folders written by sar train, finished or not).\n"
      "  Prints a markdown table with a row per run: backbone, head and input (config.json), the\n"
      "  epochs evaluated of those configured ('unfinished': no report.md yet, so training or\n"
      "  stopped), and from eval_log.csv the metric the run keeps its best checkpoint by (PCK, AP,\n"
      "  ...) at its best evaluation, the metric's other numbers there, and the metric at the last\n"
      "  evaluation. --out also draws the metric over epochs, a line per run, named by its folder.\n"
      "  The runs must share the metric.\n"
      "\n"
      "  example: sar compare runs/lspet_sar runs/lspet_heatmap --out lspet_pck.png\n";
  ArgParser args("sar compare", usage);
  std::vector<std::string> dirs;
  std::string out;
  args.positional(&dirs);
  args.value("--out", &out);
  if (!args.parse(argc, argv)) return 0;
  SAR_CHECK(!dirs.empty(), "sar compare: no run folders given; see sar compare --help");
  if (!out.empty()) check_png_output_path("sar compare", out, {});

  std::vector<RunSummary> runs;
  std::vector<std::string> columns;  // of the first run with evaluations
  for (const std::string& dir : dirs) {
    runs.push_back(read_run(dir));
    const CsvTable& evals = runs.back().evals;
    if (evals.rows.empty()) continue;
    if (columns.empty()) columns = evals.columns;
    SAR_CHECK(evals.columns == columns, dir, "/eval_log.csv: its numbers (", evals.columns[2], ", ...) are not those of ",
              runs.front().name, " (", columns[2], ", ...): compare runs evaluated with the same metric");
  }
  SAR_CHECK(!columns.empty(), "sar compare: none of the runs has been evaluated yet (no eval_log.csv rows)");
  print_table(runs, columns);
  note_different_val_sets(runs);

  if (!out.empty()) {
    std::vector<Series> series;
    for (const RunSummary& run : runs)
      if (!run.evals.rows.empty())
        series.push_back(Series{run.name, run.evals.column("epoch", run.name), run.evals.column(columns[2], run.name)});
    write_png(out, plot_lines("validation " + columns[2], "epoch", columns[2], series, 720, 440));
    std::printf("\ncurves: %s\n", out.c_str());
  }
  return 0;
}

}  // namespace sar
