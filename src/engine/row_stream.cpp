#include "engine/row_stream.h"

#include <duckdb.h>

#include <cstring>

#include "common/names.h"
#include "engine/connection_impl.h"

namespace lakehouse::engine {

const char* WireTypeName(WireType type) {
  switch (type) {
    case WireType::kBoolean: return "BOOLEAN";
    case WireType::kSmallint: return "SMALLINT";
    case WireType::kInteger: return "INTEGER";
    case WireType::kBigint: return "BIGINT";
    case WireType::kUInteger: return "UINTEGER";
    case WireType::kFloat: return "FLOAT";
    case WireType::kDouble: return "DOUBLE";
    case WireType::kDate: return "DATE";
    case WireType::kTime: return "TIME";
    case WireType::kTimestamp: return "TIMESTAMP";
    case WireType::kTimestampTz: return "TIMESTAMP WITH TIME ZONE";
    case WireType::kUuid: return "UUID";
    case WireType::kVarchar: return "VARCHAR";
    case WireType::kBlob: return "BLOB";
  }
  return "VARCHAR";
}

Uuid128 UuidFromBytes(const unsigned char bytes[16]) {
  uint64_t high = 0, low = 0;
  for (int i = 0; i < 8; ++i) high = (high << 8) | bytes[i];
  for (int i = 8; i < 16; ++i) low = (low << 8) | bytes[i];
  return {low, static_cast<int64_t>(high ^ (uint64_t{1} << 63))};
}

bool IsValidUtf8(const char* data, size_t len) {
  const auto* s = reinterpret_cast<const unsigned char*>(data);
  size_t i = 0;
  while (i < len) {
    // Most text is ASCII: step over it eight bytes at a time.
    if (i + 8 <= len) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3, cp = c & 0x07;
    } else {
      return false;  // a continuation byte first, an overlong lead, or past U+10FFFF
    }
    if (i + need >= len) return false;  // cut off
    for (size_t k = 1; k <= need; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;  // overlong, out of range, or a UTF-16 surrogate
    }
    i += need + 1;
  }
  return true;
}

void ChunkSink::SetNull(size_t column, size_t row) {
  if (!validity_[column]) {
    auto vector = static_cast<duckdb_vector>(vectors_[column]);
    duckdb_vector_ensure_validity_writable(vector);
    validity_[column] = duckdb_vector_get_validity(vector);
  }
  duckdb_validity_set_row_invalid(validity_[column], row);
}

void ChunkSink::SetString(size_t column, size_t row, const char* data, size_t len) {
  duckdb_vector_assign_string_element_len(static_cast<duckdb_vector>(vectors_[column]), row, data, len);
}

namespace {

duckdb_type DuckTypeId(WireType type) {
  switch (type) {
    case WireType::kBoolean: return DUCKDB_TYPE_BOOLEAN;
    case WireType::kSmallint: return DUCKDB_TYPE_SMALLINT;
    case WireType::kInteger: return DUCKDB_TYPE_INTEGER;
    case WireType::kBigint: return DUCKDB_TYPE_BIGINT;
    case WireType::kUInteger: return DUCKDB_TYPE_UINTEGER;
    case WireType::kFloat: return DUCKDB_TYPE_FLOAT;
    case WireType::kDouble: return DUCKDB_TYPE_DOUBLE;
    case WireType::kDate: return DUCKDB_TYPE_DATE;
    case WireType::kTime: return DUCKDB_TYPE_TIME;
    case WireType::kTimestamp: return DUCKDB_TYPE_TIMESTAMP;
    case WireType::kTimestampTz: return DUCKDB_TYPE_TIMESTAMP_TZ;
    case WireType::kUuid: return DUCKDB_TYPE_UUID;
    case WireType::kVarchar: return DUCKDB_TYPE_VARCHAR;
    case WireType::kBlob: return DUCKDB_TYPE_BLOB;
  }
  return DUCKDB_TYPE_VARCHAR;
}

// What one COPY shares with its table function: the producer, the column
// types, and the producer's error, which is more useful than DuckDB's
// rewording of it.
struct Stream {
  RowProducer* producer = nullptr;
  const std::vector<WireType>* wire = nullptr;
  Status error;
};
internal::HandleRegistry<Stream> streams;

void StreamBind(duckdb_bind_info info) {
  Stream* stream = streams.Find(internal::BindHandle(info));
  if (!stream) {
    duckdb_bind_set_error(info, "no row stream with this handle");
    return;
  }
  for (size_t i = 0; i < stream->wire->size(); ++i) {
    internal::OwnedType type{duckdb_create_logical_type(DuckTypeId((*stream->wire)[i]))};
    duckdb_bind_add_result_column(info, ("c" + std::to_string(i)).c_str(), type.handle);
  }
  duckdb_bind_set_bind_data(info, stream, nullptr);
}

// The producer reads one connection in order: one thread only.
void StreamInit(duckdb_init_info info) { duckdb_init_set_max_threads(info, 1); }

}  // namespace

struct RowStreamAccess {
  static void Run(duckdb_function_info info, duckdb_data_chunk output) {
    auto* stream = static_cast<Stream*>(duckdb_function_get_bind_data(info));
    ChunkSink sink;
    size_t columns = stream->wire->size();
    sink.capacity_ = duckdb_vector_size();
    sink.vectors_.resize(columns);
    sink.data_.resize(columns);
    sink.validity_.assign(columns, nullptr);
    for (size_t c = 0; c < columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(output, c);
      sink.vectors_[c] = vector;
      sink.data_[c] = duckdb_vector_get_data(vector);
    }
    Result<size_t> filled = stream->producer->Fill(sink);
    if (!filled.ok()) {
      stream->error = filled.status();
      duckdb_function_set_error(info, filled.status().message().c_str());
      return;
    }
    duckdb_data_chunk_set_size(output, *filled);
  }
};

bool internal::RegisterRowStream(duckdb_connection conn) {
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "lh_row_stream");
  internal::OwnedType bigint{duckdb_create_logical_type(DUCKDB_TYPE_BIGINT)};
  duckdb_table_function_add_parameter(f, bigint.handle);
  duckdb_table_function_set_bind(f, StreamBind);
  duckdb_table_function_set_init(f, StreamInit);
  duckdb_table_function_set_function(f, RowStreamAccess::Run);
  bool registered = duckdb_register_table_function(conn, f) == DuckDBSuccess;
  duckdb_destroy_table_function(&f);
  return registered;
}

Result<int64_t> Connection::CopyRowsToParquet(const std::vector<WireType>& wire, RowProducer& producer,
                                              const std::string& select_list, const std::filesystem::path& path,
                                              const std::string& parquet_options) {
  if (wire.empty()) return InvalidArgument("a row stream needs at least one column");
  Stream stream{&producer, &wire, Status::Ok()};
  int64_t handle = streams.Add(&stream);
  auto copied = Query("COPY (SELECT " + select_list + " FROM lh_row_stream(" + std::to_string(handle) + ")) TO " +
                      QuoteLiteral(path.string()) + " (FORMAT parquet" +
                      (parquet_options.empty() ? "" : ", " + parquet_options) + ")");
  streams.Remove(handle);
  if (!stream.error.ok()) return stream.error;
  if (!copied.ok()) return copied.status();
  return copied->rows.empty() ? int64_t{0} : copied->Int(0, 0);
}

}  // namespace lakehouse::engine
