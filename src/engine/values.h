// Conversion of DuckDB vectors into Cells and of logical types into names.
// Internal to engine/.
#pragma once

#include <duckdb.h>

#include <string>

#include "engine/result.h"

namespace lakehouse::engine::internal {

std::string TypeName(duckdb_logical_type type);
// For a nested type holding FLOAT values, the same type with each FLOAT
// written as `float_as` ("VARCHAR", "DOUBLE"): to_json widens FLOAT to
// 0.10000000149011612, so such values go through their shortest text first.
// Empty when there is no FLOAT, or the type cannot be named in a CAST (ENUM, UNION).
std::string NestedTypeWithFloatsAs(duckdb_logical_type type, const std::string& float_as);

// True for types the chunk reader does not decode itself; the query is then
// rewritten so DuckDB renders them (nested types as JSON, others as text).
enum class Rendering { kDirect, kAsJson, kAsText };
Rendering RenderingFor(duckdb_logical_type type);

// DuckDB's to_json writes NaN and Infinity bare, which is not JSON: as
// null, as top-level FLOAT and DOUBLE values are (outside strings only).
std::string NonFiniteAsNull(std::string json);

// Reads row `row` of `vector` (of logical type `type`) into a Cell.
Cell ReadCell(duckdb_vector vector, duckdb_logical_type type, idx_t row);

}  // namespace lakehouse::engine::internal
