// Internal to connectors/: decodes the rows of Postgres's binary COPY format
// (a header, then per row a field count and, per field, a length and the
// type's binary send form, big-endian) into DuckDB's vectors, each column as
// its SourceColumn::wire type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "connectors/source.h"
#include "engine/row_stream.h"

namespace lakehouse::connectors {

class PgBinaryDecoder {
 public:
  explicit PgBinaryDecoder(std::vector<SourceColumn> columns) : columns_(std::move(columns)) {}

  // Decodes one CopyData message (Postgres sends one row per message; the
  // header shares the first) into row `row` of `sink`. Returns whether the
  // message held a row (false for the trailer). `row_number` (1-based) is
  // only for messages.
  Result<bool> Decode(const char* data, size_t len, engine::ChunkSink& sink, size_t row, int64_t row_number);

 private:
  struct Reader;
  Status DecodeField(size_t column, Reader value, engine::ChunkSink& sink, size_t row, int64_t row_number);

  std::vector<SourceColumn> columns_;
  bool header_read_ = false;
};

}  // namespace lakehouse::connectors
