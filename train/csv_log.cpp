// csv_log.cpp: see csv_log.h.
#include "train/csv_log.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_write.h"
#include "core/error.h"
#include "core/input_file.h"

namespace sar {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

namespace {

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

std::string joined(const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) line += (i ? "," : "") + columns[i];
  return line;
}

}  // namespace

std::vector<double> CsvTable::column(const std::string& name, const std::string& source) const {
  size_t c = 0;
  while (c < columns.size() && columns[c] != name) ++c;
  SAR_CHECK(c < columns.size(), source, ": no column '", name, "'");
  std::vector<double> out;
  for (const auto& row : rows) out.push_back(row[c]);
  return out;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in = open_input_file(path, std::ios::in);
  CsvTable table;
  std::string line;
  SAR_CHECK(std::getline(in, line) && !line.empty(), path, ": no header line");
  table.columns = split_csv_line(line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells = split_csv_line(line);
    std::vector<double> row(table.columns.size(), NAN);
    for (size_t i = 0; i < cells.size() && i < row.size(); ++i)
      if (!cells[i].empty()) row[i] = std::strtod(cells[i].c_str(), nullptr);
    table.rows.push_back(row);
  }
  return table;
}

CsvLog::CsvLog(std::string path, std::vector<std::string> columns, int64_t keep_up_to_step) : path_(std::move(path)) {
  SAR_CHECK(!columns.empty(), path_, ": a CSV log needs columns");
  table_.columns = std::move(columns);
  std::error_code missing;
  const auto existing_bytes = std::filesystem::file_size(path_, missing);
  if (keep_up_to_step >= 0 && !missing && existing_bytes > 0) {
    const CsvTable old = read_csv(path_);
    SAR_CHECK(old.columns == table_.columns, path_, ": its header '", joined(old.columns), "' is not this run's '",
              joined(table_.columns), "'");
    for (const auto& row : old.rows)
      if (!std::isnan(row[0]) && row[0] <= double(keep_up_to_step)) table_.rows.push_back(row);
  }
  write_all();
}

void CsvLog::write_all() const {
  std::string text = joined(table_.columns) + "\n";
  for (const auto& row : table_.rows) text += format_row(row);
  write_text_atomically(path_, text);
}

void CsvLog::append(const std::vector<double>& row) {
  SAR_CHECK(row.size() == table_.columns.size(), path_, ": a row of ", row.size(), " values for ",
            table_.columns.size(), " columns");
  table_.rows.push_back(row);
  std::FILE* f = std::fopen(path_.c_str(), "a");
  SAR_CHECK(f, path_, ": cannot append to the log");
  const std::string line = format_row(row);
  const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  SAR_CHECK(std::fclose(f) == 0 && ok, path_, ": cannot append to the log (disk full?)");
}

}  // namespace sar
