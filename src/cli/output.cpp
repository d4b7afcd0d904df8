#include "cli/output.h"

#include "common/names.h"
#include "server/json_views.h"

#include <iostream>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace lakehouse::cli {

namespace {

constexpr size_t kMaxCellWidth = 48;

// Display width in code points (good enough for a terminal table).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Clip(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  if (Width(s) <= kMaxCellWidth) return s;
  size_t points = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++points > kMaxCellWidth - 1) break;
  }
  return s.substr(0, i) + "…";
}

}  // namespace

std::string CellText(const engine::Cell& cell) {
  if (std::holds_alternative<std::monostate>(cell)) return "NULL";
  if (auto* b = std::get_if<bool>(&cell)) return *b ? "true" : "false";
  if (auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  if (auto* u = std::get_if<uint64_t>(&cell)) return std::to_string(*u);
  if (auto* d = std::get_if<double>(&cell)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", *d);
    return buf;
  }
  if (auto* s = std::get_if<std::string>(&cell)) return *s;
  return std::get<engine::RawJson>(cell).text;
}

void PrintTable(std::ostream& out, const engine::QueryResult& result) {
  size_t ncols = result.columns.size();
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths(ncols, 0);
  for (size_t c = 0; c < ncols; ++c) widths[c] = std::max(Width(result.columns[c].name), Width(result.columns[c].type));
  for (const auto& row : result.rows) {
    std::vector<std::string> texts;
    for (size_t c = 0; c < ncols; ++c) {
      texts.push_back(Clip(CellText(row[c])));
      widths[c] = std::max(widths[c], Width(texts.back()));
    }
    cells.push_back(std::move(texts));
  }
  auto rule = [&] {
    for (size_t c = 0; c < ncols; ++c) out << "+" << std::string(widths[c] + 2, '-');
    out << "+\n";
  };
  auto line = [&](const std::vector<std::string>& texts) {
    for (size_t c = 0; c < ncols; ++c) out << "| " << texts[c] << std::string(widths[c] - Width(texts[c]) + 1, ' ');
    out << "|\n";
  };
  std::vector<std::string> names, types;
  for (const auto& col : result.columns) {
    names.push_back(col.name);
    types.push_back(col.type);
  }
  rule();
  line(names);
  line(types);
  rule();
  for (const auto& texts : cells) line(texts);
  rule();
  out << result.rows.size() << (result.rows.size() == 1 ? " row" : " rows");
  if (result.truncated) {
    out << (result.truncated_by_bytes ? " (truncated at the size cap, query.max_result_bytes; select fewer columns or rows)"
                                      : " (truncated at the row cap; use --max-rows or a LIMIT)");
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, " in %.1f ms", result.elapsed_ms);
  out << elapsed << "\n";
}

namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

Status CsvRowWriter::Columns(const std::vector<engine::ResultColumn>& columns) {
  for (size_t c = 0; c < columns.size(); ++c) out_ << (c ? "," : "") << CsvField(columns[c].name);
  out_ << "\n";
  return Status::Ok();
}

Status CsvRowWriter::Row(const std::vector<engine::Cell>& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    out_ << (c ? "," : "") << (std::holds_alternative<std::monostate>(cells[c]) ? "" : CsvField(CellText(cells[c])));
  }
  out_ << "\n";
  // A reader that went away (head, a closed pipe) ends the query.
  return out_ ? Status::Ok() : Unavailable("the output was closed");
}

Status JsonRowWriter::Columns(const std::vector<engine::ResultColumn>& columns) {
  out_ << server::QueryJsonHead(columns);
  return Status::Ok();
}

Status JsonRowWriter::Row(const std::vector<engine::Cell>& cells) {
  buf_.clear();
  server::AppendQueryJsonRow(buf_, cells, first_);
  first_ = false;
  out_ << buf_;
  return out_ ? Status::Ok() : Unavailable("the output was closed");
}

void JsonRowWriter::Finish(const engine::QueryResult& result) { out_ << server::QueryJsonTail(result) << "\n"; }

void PrintCsv(std::ostream& out, const engine::QueryResult& result) {
  CsvRowWriter writer(out);
  (void)writer.Columns(result.columns);
  for (const auto& row : result.rows) (void)writer.Row(row);
}

std::string HumanCount(int64_t n) { return GroupThousands(n); }

int Fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return 1;
}

}  // namespace lakehouse::cli
