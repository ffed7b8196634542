// csv_log.cpp: see csv_log.h.
#include "train/csv_log.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/atomic_write.h"
#include "core/error.h"

namespace sar {

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::string format_row(const std::vector<double>& row) {
  std::string line;
  char cell[32];
  for (size_t i = 0; i < row.size(); ++i) {
    if (std::isnan(row[i])) cell[0] = '\0';
    else std::snprintf(cell, sizeof cell, "%.10g", row[i]);
    line += (i ? "," : "") + std::string(cell);
  }
  return line + "\n";
}

std::string header(const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) line += (i ? "," : "") + columns[i];
  return line + "\n";
}

}  // namespace

CsvLog::CsvLog(std::string path, std::vector<std::string> columns, int64_t keep_up_to_step)
    : path_(std::move(path)), columns_(std::move(columns)) {
  SAR_CHECK(!columns_.empty(), path_, ": a CSV log needs columns");
  if (keep_up_to_step >= 0) {
    std::ifstream in(path_);
    std::string line;
    if (in && std::getline(in, line)) {
      SAR_CHECK(line + "\n" == header(columns_), path_, ": its header '", line, "' is not this run's '",
                header(columns_).substr(0, header(columns_).size() - 1), "'");
      while (std::getline(in, line)) {
        std::vector<std::string> cells = split(line);
        std::vector<double> row(columns_.size(), NAN);
        for (size_t i = 0; i < cells.size() && i < row.size(); ++i)
          if (!cells[i].empty()) row[i] = std::strtod(cells[i].c_str(), nullptr);
        if (!std::isnan(row[0]) && row[0] <= double(keep_up_to_step)) rows_.push_back(row);
      }
    }
  }
  write_all();
}

void CsvLog::write_all() const {
  std::string text = header(columns_);
  for (const auto& row : rows_) text += format_row(row);
  write_text_atomically(path_, text);
}

void CsvLog::append(const std::vector<double>& row) {
  SAR_CHECK(row.size() == columns_.size(), path_, ": a row of ", row.size(), " values for ", columns_.size(),
            " columns");
  rows_.push_back(row);
  std::FILE* f = std::fopen(path_.c_str(), "a");
  SAR_CHECK(f, path_, ": cannot append to the log");
  const std::string line = format_row(row);
  const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  SAR_CHECK(std::fclose(f) == 0 && ok, path_, ": cannot append to the log (disk full?)");
}

std::vector<double> CsvLog::column(const std::string& name) const {
  size_t c = 0;
  while (c < columns_.size() && columns_[c] != name) ++c;
  SAR_CHECK(c < columns_.size(), path_, ": no column '", name, "'");
  std::vector<double> out;
  for (const auto& row : rows_) out.push_back(row[c]);
  return out;
}

}  // namespace sar
