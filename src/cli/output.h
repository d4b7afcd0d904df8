// Rendering query results and datasets for a terminal.
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"
#include "engine/result.h"

namespace lakehouse::cli {

void PrintTable(std::ostream& out, const engine::QueryResult& result);
void PrintCsv(std::ostream& out, const engine::QueryResult& result);
std::string CellText(const engine::Cell& cell);  // "NULL" for null
std::string HumanCount(int64_t n);               // 1234567 -> "1,234,567"
int Fail(const Status& status);                  // prints "error: ..." and returns 1

}  // namespace lakehouse::cli
