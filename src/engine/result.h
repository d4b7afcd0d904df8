// Query results as plain C++ values: what the engine returns and what the
// HTTP and CLI layers render. No DuckDB types leak past engine/.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace lakehouse::engine {

// Text to be emitted as-is in JSON: an exact decimal or hugeint ("12.50"),
// or a nested value DuckDB already rendered as JSON ({"a":[1,2]}).
struct RawJson {
  std::string text;
  bool operator==(const RawJson&) const = default;
};

// NULL, BOOLEAN, signed and unsigned integers, floating point, text (VARCHAR,
// dates and times in ISO 8601, UUID, escaped BLOB), or RawJson.
using Cell = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, RawJson>;

struct ResultColumn {
  std::string name;
  std::string type;  // DuckDB's type name: INTEGER, DECIMAL(18,2), VARCHAR[]...
};

struct QueryResult {
  std::vector<ResultColumn> columns;
  std::vector<std::vector<Cell>> rows;
  // Instead of rows, when asked for (QueryLimits::first_column_strings): the
  // first column's non-NULL values, which must be VARCHAR. A large id set is
  // several times cheaper this way than as rows of Cells.
  std::vector<std::string> strings;
  bool truncated = false;  // more rows existed than the caps allowed
  bool truncated_by_bytes = false;  // ...and the byte cap, not the row cap, stopped them
  int64_t bytes = 0;  // about what the rows take as JSON
  int64_t row_count = 0;  // rows returned (held in `rows`, or given to a RowSink)
  double elapsed_ms = 0;

  // Convenience for tests and internal callers: the cell as text ("" for NULL).
  std::string Text(size_t row, size_t column) const;
  int64_t Int(size_t row, size_t column) const;  // 0 when NULL or not integral
};

}  // namespace lakehouse::engine
