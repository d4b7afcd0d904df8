// Bulk path for rows that C++ code decodes itself, such as a database export:
// Connection::CopyRowsToParquet runs
//   COPY (SELECT <select list> FROM lh_row_stream(handle)) TO '<file>' (FORMAT parquet)
// and DuckDB pulls one vector of rows at a time from a RowProducer. Values go
// into DuckDB's vectors in its own layout, so nothing is printed as text and
// parsed again, and only one vector of rows (plus the Parquet row group being
// built) is in memory at a time, whatever the number of rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace lakehouse::engine {

// How a value travels into DuckDB. Fixed-width values are written in DuckDB's
// layout: kBoolean as bool, kDate as int32 days since 1970-01-01, kTime as
// int64 microseconds since midnight, kTimestamp and kTimestampTz as int64
// microseconds since 1970-01-01 UTC, kUuid as a Uuid128.
enum class WireType {
  kBoolean,
  kSmallint,
  kInteger,
  kBigint,
  kUInteger,
  kFloat,
  kDouble,
  kDate,
  kTime,
  kTimestamp,
  kTimestampTz,
  kUuid,
  kVarchar,
  kBlob,
};

// DuckDB's name of the type (INTEGER, TIMESTAMP WITH TIME ZONE...).
const char* WireTypeName(WireType type);

// DuckDB's UUID: a 128-bit integer whose top bit is flipped, so that ordering
// the integers orders the UUIDs as their bytes do.
struct Uuid128 {
  uint64_t lower;
  int64_t upper;
};
Uuid128 UuidFromBytes(const unsigned char bytes[16]);

// Days and microseconds DuckDB uses for +/- infinity.
inline constexpr int32_t kDateInfinity = 2147483647;
inline constexpr int64_t kTimestampInfinity = 9223372036854775807LL;

// True when [data, data + len) is well-formed UTF-8 (DuckDB's VARCHAR
// requires it; the vector API does not check).
bool IsValidUtf8(const char* data, size_t len);

// The vector of rows a producer fills; valid during one Fill call.
class ChunkSink {
 public:
  size_t capacity() const { return capacity_; }
  // The column's values, to be written at [0, n); T matches the wire type
  // (bool, int16_t, int32_t, int64_t, uint32_t, float, double, Uuid128).
  template <typename T>
  T* Values(size_t column) const {
    return static_cast<T*>(data_[column]);
  }
  void SetNull(size_t column, size_t row);
  // For kVarchar (the producer checks UTF-8) and kBlob columns; copies.
  void SetString(size_t column, size_t row, const char* data, size_t len);

 private:
  friend struct RowStreamAccess;
  ChunkSink() = default;
  std::vector<void*> vectors_;
  std::vector<void*> data_;
  std::vector<uint64_t*> validity_;
  size_t capacity_ = 0;
};

class RowProducer {
 public:
  virtual ~RowProducer() = default;
  // Writes rows [0, n) of `sink`, n <= capacity, and returns n: 0 once every
  // row has been given. An error stops the COPY and is what it returns.
  virtual Result<size_t> Fill(ChunkSink& sink) = 0;
};

}  // namespace lakehouse::engine
