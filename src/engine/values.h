// Conversion of DuckDB vectors into Cells and of logical types into names.
// Internal to engine/.
#pragma once

#include <duckdb.h>

#include <string>

#include "engine/result.h"

namespace lakehouse::engine::internal {

std::string TypeName(duckdb_logical_type type);

// True for types the chunk reader does not decode itself; the query is then
// rewritten so DuckDB renders them (nested types as JSON, others as text).
enum class Rendering { kDirect, kAsJson, kAsText };
Rendering RenderingFor(duckdb_logical_type type);

// Reads row `row` of `vector` (of logical type `type`) into a Cell.
Cell ReadCell(duckdb_vector vector, duckdb_logical_type type, idx_t row);

}  // namespace lakehouse::engine::internal
