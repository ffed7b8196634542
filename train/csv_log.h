// csv_log.h: a run's metrics as a CSV file (one header line, one row per record, flushed at
// once so a killed run keeps its log) and in memory (for the curve plots).
//
// Resuming: rows whose first column (the step) is past the checkpoint's step were written after
// the checkpoint by the run that died; they are dropped, so the continued log reads as one run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sar {

// A CSV file of numbers: its header's column names and its rows (NaN for an empty cell).
struct CsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // each as long as columns
  // The values of a column over all rows; throws naming `source` when there is no such column.
  std::vector<double> column(const std::string& name, const std::string& source) const;
};

// The cells of one line split at its commas (no quoting); a trailing comma gives an empty last cell.
std::vector<std::string> split_csv_line(const std::string& line);

// Throws naming the file when it cannot be opened or has no header line.
CsvTable read_csv(const std::string& path);

class CsvLog {
 public:
  // Creates `path` with `columns` as its header (first column: the step), or with
  // keep_up_to_step >= 0 reads the existing file, keeps its rows with step <= keep_up_to_step
  // and rewrites it. Throws naming the file when it cannot be written, or when the existing
  // header differs from `columns`.
  CsvLog(std::string path, std::vector<std::string> columns, int64_t keep_up_to_step = -1);

  void append(const std::vector<double>& row);  // one value per column
  // The values of a column over all rows (NaN where a row left it empty).
  std::vector<double> column(const std::string& name) const { return table_.column(name, path_); }
  const std::vector<std::vector<double>>& rows() const { return table_.rows; }

 private:
  void write_all() const;

  std::string path_;
  CsvTable table_;
};

}  // namespace sar
