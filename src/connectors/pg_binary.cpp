#include "connectors/pg_binary.h"

#include <cstring>
#include <limits>
#include <string>

namespace lakehouse::connectors {

namespace {

Status Malformed(const std::string& what) {
  return Internal("postgres sent a binary COPY stream lakehouse cannot read (" + what + ")");
}

// Moves a Postgres date or timestamp (counted from 2000-01-01) to DuckDB's
// epoch (1970-01-01), keeping +/- infinity; false when DuckDB cannot hold it.
template <typename T>
bool ShiftEpoch(T pg_value, T shift, T duck_infinity, T* out) {
  if (pg_value == std::numeric_limits<T>::max()) {
    *out = duck_infinity;
  } else if (pg_value == std::numeric_limits<T>::min()) {
    *out = -duck_infinity;
  } else if (__builtin_add_overflow(pg_value, shift, out) || *out >= duck_infinity || *out <= -duck_infinity) {
    return false;
  }
  return true;
}

}  // namespace

struct PgBinaryDecoder::Reader {
  const unsigned char* at;
  const unsigned char* end;
  size_t left() const { return static_cast<size_t>(end - at); }
  uint16_t U16() {
    uint16_t v = static_cast<uint16_t>(at[0] << 8 | at[1]);
    at += 2;
    return v;
  }
  uint32_t U32() {
    uint32_t v;
    std::memcpy(&v, at, 4);
    at += 4;
    return __builtin_bswap32(v);
  }
  uint64_t U64() {
    uint64_t v;
    std::memcpy(&v, at, 8);
    at += 8;
    return __builtin_bswap64(v);
  }
};

Result<bool> PgBinaryDecoder::Decode(const char* data, size_t len, engine::ChunkSink& sink, size_t row,
                                     int64_t row_number) {
  Reader in{reinterpret_cast<const unsigned char*>(data), reinterpret_cast<const unsigned char*>(data) + len};
  if (!header_read_) {
    static const char kSignature[] = "PGCOPY\n\377\r\n";  // and its terminating NUL: 11 bytes
    if (in.left() < 19 || std::memcmp(in.at, kSignature, 11) != 0) return Malformed("no header");
    in.at += 11;
    (void)in.U32();  // flags: none that change the row format are defined
    uint32_t extension = in.U32();
    if (extension > in.left()) return Malformed("header extension");
    in.at += extension;
    header_read_ = true;
    if (in.left() == 0) return false;
  }
  if (in.left() < 2) return Malformed("short row");
  auto fields = static_cast<int16_t>(in.U16());
  if (fields == -1) {  // the trailer
    if (in.left() != 0) return Malformed("bytes after the trailer");
    return false;
  }
  if (fields < 0 || static_cast<size_t>(fields) != columns_.size()) {
    return Malformed(std::to_string(fields) + " fields for " + std::to_string(columns_.size()) + " columns");
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (in.left() < 4) return Malformed("short row");
    auto field_len = static_cast<int32_t>(in.U32());
    if (field_len == -1) {
      sink.SetNull(c, row);
      continue;
    }
    if (field_len < 0 || static_cast<size_t>(field_len) > in.left()) return Malformed("field length");
    LH_RETURN_IF_ERROR(DecodeField(c, Reader{in.at, in.at + field_len}, sink, row, row_number));
    in.at += field_len;
  }
  if (in.left() != 0) return Malformed("bytes after the last field of a row");
  return true;
}

Status PgBinaryDecoder::DecodeField(size_t column, Reader value, engine::ChunkSink& sink, size_t row,
                                    int64_t row_number) {
  using engine::WireType;
  constexpr int32_t kEpochDays = 10957;
  constexpr int64_t kEpochMicros = 946684800000000LL;
  WireType wire = columns_[column].wire;
  auto expect = [&](size_t width) -> Status {
    if (value.left() == width) return Status::Ok();
    return Malformed(std::to_string(value.left()) + " bytes for a " + engine::WireTypeName(wire) + " in column " +
                     columns_[column].name);
  };
  auto refuse = [&](const std::string& what) {
    return InvalidArgument("column '" + columns_[column].name + "' row " + std::to_string(row_number) + " " + what);
  };
  switch (wire) {
    case WireType::kBoolean:
      LH_RETURN_IF_ERROR(expect(1));
      sink.Values<bool>(column)[row] = value.at[0] != 0;
      break;
    case WireType::kSmallint:
      LH_RETURN_IF_ERROR(expect(2));
      sink.Values<int16_t>(column)[row] = static_cast<int16_t>(value.U16());
      break;
    case WireType::kInteger:
      LH_RETURN_IF_ERROR(expect(4));
      sink.Values<int32_t>(column)[row] = static_cast<int32_t>(value.U32());
      break;
    case WireType::kUInteger:
      LH_RETURN_IF_ERROR(expect(4));
      sink.Values<uint32_t>(column)[row] = value.U32();
      break;
    case WireType::kBigint:
    case WireType::kTime:
      LH_RETURN_IF_ERROR(expect(8));
      sink.Values<int64_t>(column)[row] = static_cast<int64_t>(value.U64());
      break;
    case WireType::kFloat: {
      LH_RETURN_IF_ERROR(expect(4));
      uint32_t bits = value.U32();
      std::memcpy(&sink.Values<float>(column)[row], &bits, 4);
      break;
    }
    case WireType::kDouble: {
      LH_RETURN_IF_ERROR(expect(8));
      uint64_t bits = value.U64();
      std::memcpy(&sink.Values<double>(column)[row], &bits, 8);
      break;
    }
    case WireType::kDate:
      LH_RETURN_IF_ERROR(expect(4));
      if (!ShiftEpoch(static_cast<int32_t>(value.U32()), kEpochDays, engine::kDateInfinity,
                      &sink.Values<int32_t>(column)[row])) {
        return refuse("holds a date outside DuckDB's range");
      }
      break;
    case WireType::kTimestamp:
    case WireType::kTimestampTz:
      LH_RETURN_IF_ERROR(expect(8));
      if (!ShiftEpoch(static_cast<int64_t>(value.U64()), kEpochMicros, engine::kTimestampInfinity,
                      &sink.Values<int64_t>(column)[row])) {
        return refuse("holds a timestamp outside DuckDB's range (years up to 294246)");
      }
      break;
    case WireType::kUuid:
      LH_RETURN_IF_ERROR(expect(16));
      sink.Values<engine::Uuid128>(column)[row] = engine::UuidFromBytes(value.at);
      break;
    case WireType::kVarchar:
      if (!engine::IsValidUtf8(reinterpret_cast<const char*>(value.at), value.left())) {
        return refuse("holds text that is not valid UTF-8; is the database's encoding SQL_ASCII?");
      }
      sink.SetString(column, row, reinterpret_cast<const char*>(value.at), value.left());
      break;
    case WireType::kBlob:
      sink.SetString(column, row, reinterpret_cast<const char*>(value.at), value.left());
      break;
  }
  return Status::Ok();
}

}  // namespace lakehouse::connectors
