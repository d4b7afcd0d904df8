// Rendering query results and datasets for a terminal.
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"
#include "engine/database.h"
#include "engine/result.h"

namespace lakehouse::cli {

void PrintTable(std::ostream& out, const engine::QueryResult& result);
void PrintCsv(std::ostream& out, const engine::QueryResult& result);

// Rows written as they arrive (a query's RowSink): CSV with a header line,
// or the JSON of POST /query/sql (Finish writes its tail).
class CsvRowWriter : public engine::RowSink {
 public:
  explicit CsvRowWriter(std::ostream& out) : out_(out) {}
  Status Columns(const std::vector<engine::ResultColumn>& columns) override;
  Status Row(const std::vector<engine::Cell>& cells) override;

 private:
  std::ostream& out_;
};

class JsonRowWriter : public engine::RowSink {
 public:
  explicit JsonRowWriter(std::ostream& out) : out_(out) {}
  Status Columns(const std::vector<engine::ResultColumn>& columns) override;
  Status Row(const std::vector<engine::Cell>& cells) override;
  void Finish(const engine::QueryResult& result);

 private:
  std::ostream& out_;
  bool first_ = true;
  std::string buf_;
};
std::string CellText(const engine::Cell& cell);  // "NULL" for null
std::string HumanCount(int64_t n);               // 1234567 -> "1,234,567"
int Fail(const Status& status);                  // prints "error: ..." and returns 1

}  // namespace lakehouse::cli
