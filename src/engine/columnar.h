// Columnar tables for bulk data that row-at-a-time Cells would make slow:
// embedding vectors above all (100k rows x 768 floats). Text, 64-bit integer
// and fixed-size float-array columns (FLOAT[n], FLOAT[] or float32 BLOBs);
// written to Parquet and read back from any SELECT through DuckDB's vectors.
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
  // kFloatArray only: stored as a BLOB of `dimension` little-endian float32
  // values instead of FLOAT[n]. DuckDB's Parquet writer takes ~10 s for
  // 100k x 768 floats as a list and a fraction of that as BLOBs.
  bool as_blob = false;

  static ColumnarColumn Text(std::string name) { return {std::move(name), Kind::kText}; }
  static ColumnarColumn Int64(std::string name) { return {std::move(name), Kind::kInt64}; }
  static ColumnarColumn FloatArray(std::string name, int dimension, bool as_blob = false) {
    ColumnarColumn c{std::move(name), Kind::kFloatArray};
    c.dimension = dimension;
    c.as_blob = as_blob;
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
