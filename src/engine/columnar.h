// Columnar tables for bulk data that row-at-a-time Cells would make slow:
// embedding vectors above all (100k rows x 768 floats). Text, 64-bit integer
// and fixed-size float-array columns; written to Parquet and read back from
// any SELECT through DuckDB's vectors, without a per-value copy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lakehouse::engine {

struct ColumnarColumn {
  enum class Kind { kText, kInt64, kFloatArray };
  std::string name;
  Kind kind = Kind::kText;
  std::vector<std::string> text;  // kText
  std::vector<int64_t> ints;      // kInt64 (NULL reads as 0)
  int dimension = 0;              // kFloatArray: floats per row
  std::vector<float> floats;      // kFloatArray: rows x dimension, row-major

  static ColumnarColumn Text(std::string name) { return {std::move(name), Kind::kText}; }
  static ColumnarColumn Int64(std::string name) { return {std::move(name), Kind::kInt64}; }
  static ColumnarColumn FloatArray(std::string name, int dimension) {
    ColumnarColumn c{std::move(name), Kind::kFloatArray};
    c.dimension = dimension;
    return c;
  }
  size_t rows() const;
};

struct ColumnarTable {
  std::vector<ColumnarColumn> columns;
  size_t rows() const { return columns.empty() ? 0 : columns.front().rows(); }
  // The column of that name; nullptr when absent.
  const ColumnarColumn* Find(const std::string& name) const;
  ColumnarColumn* Find(const std::string& name);
};

}  // namespace lakehouse::engine
