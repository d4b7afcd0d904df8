// Rendering query results and datasets for a terminal.
#pragma once

#include <ostream>
#include <string>

#include "engine/result.h"

namespace lakehouse::cli {

void PrintTable(std::ostream& out, const engine::QueryResult& result);
void PrintCsv(std::ostream& out, const engine::QueryResult& result);
std::string CellText(const engine::Cell& cell);  // "NULL" for null

}  // namespace lakehouse::cli
