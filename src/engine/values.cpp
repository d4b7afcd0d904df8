#include "engine/values.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace lakehouse::engine::internal {

namespace {

struct LogicalType {
  duckdb_logical_type handle;
  explicit LogicalType(duckdb_logical_type h) : handle(h) {}
  ~LogicalType() { duckdb_destroy_logical_type(&handle); }
  LogicalType(const LogicalType&) = delete;
  LogicalType& operator=(const LogicalType&) = delete;
};

std::string Alias(duckdb_logical_type type) {
  char* alias = duckdb_logical_type_get_alias(type);
  if (!alias) return "";
  std::string out(alias);
  duckdb_free(alias);
  return out;
}

std::string FormatDate(duckdb_date d) {
  duckdb_date_struct s = duckdb_from_date(d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", s.year, s.month, s.day);
  return buf;
}

std::string FormatTimeMicros(int64_t micros) {
  duckdb_time_struct t = duckdb_from_time(duckdb_time{micros});
  char buf[32];
  if (t.micros) {
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06d", t.hour, t.min, t.sec, t.micros);
  } else {
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", t.hour, t.min, t.sec);
  }
  return buf;
}

std::string FormatTimestampMicros(int64_t micros, bool utc_suffix) {
  constexpr int64_t kDay = 86400LL * 1000000;
  int64_t days = micros / kDay, rem = micros % kDay;
  if (rem < 0) {
    rem += kDay;
    --days;
  }
  std::string out = FormatDate(duckdb_date{static_cast<int32_t>(days)}) + "T" + FormatTimeMicros(rem);
  return utc_suffix ? out + "Z" : out;
}

// Nanoseconds kept: "2024-01-02T03:04:05.123456789".
std::string FormatTimestampNanos(int64_t nanos) {
  int64_t micros = nanos / 1000, extra = nanos % 1000;
  if (extra < 0) {
    extra += 1000;
    --micros;
  }
  std::string out = FormatTimestampMicros(micros, false);
  if (extra == 0) return out;
  if (out.find('.') == std::string::npos) out += ".000000";
  char digits[4];
  std::snprintf(digits, sizeof digits, "%03d", static_cast<int>(extra));
  return out + digits;
}

// The shortest text that reads back as the same float: 0.1, not
// 0.100000001490116 (its value as a double).
Cell FloatCell(float f) {
  if (!std::isfinite(f)) return static_cast<double>(f);
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, f).ptr;
  return RawJson{std::string(buf, end)};
}

// A struct field name as DuckDB would need it written: quoted unless plain.
std::string FieldName(const std::string& name) {
  bool plain = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Exact decimal text of a 128-bit integer scaled by 10^-scale.
std::string DecimalText(__int128 value, int scale) {
  bool negative = value < 0;
  unsigned __int128 magnitude = negative ? -static_cast<unsigned __int128>(value) : value;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) {
      digits.insert(0, scale - digits.size() + 1, '0');
    }
    digits.insert(digits.size() - scale, ".");
  }
  return negative ? "-" + digits : digits;
}

std::string UnsignedText(unsigned __int128 v) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v);
  return digits;
}

__int128 ToInt128(duckdb_hugeint h) {
  return (static_cast<__int128>(h.upper) << 64) | static_cast<__int128>(h.lower);
}

std::string UuidText(duckdb_hugeint h) {
  // DuckDB stores UUIDs with the top bit flipped so they sort as unsigned.
  uint64_t upper = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(upper >> 32),
                static_cast<unsigned long long>((upper >> 16) & 0xffff),
                static_cast<unsigned long long>(upper & 0xffff),
                static_cast<unsigned long long>(h.lower >> 48),
                static_cast<unsigned long long>(h.lower & 0xffffffffffffULL));
  return buf;
}

std::string StringAt(duckdb_vector vector, idx_t row) {
  auto* strings = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
  duckdb_string_t& s = strings[row];
  return std::string(duckdb_string_t_data(&s), duckdb_string_t_length(s));
}

std::string BlobText(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 32 && c < 127 && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

template <typename T>
T At(duckdb_vector vector, idx_t row) {
  return static_cast<T*>(duckdb_vector_get_data(vector))[row];
}

}  // namespace

namespace {

// TypeName, with FLOAT as `float_as`; *found says whether there was one,
// *castable turns false for a type a CAST cannot name.
std::string NameWith(duckdb_logical_type type, const std::string& float_as, bool* found, bool* castable) {
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_FLOAT:
      *found = true;
      return float_as;
    case DUCKDB_TYPE_ENUM:
    case DUCKDB_TYPE_UNION:
    case DUCKDB_TYPE_INVALID:
      *castable = false;
      return "";
    case DUCKDB_TYPE_LIST: {
      LogicalType child(duckdb_list_type_child_type(type));
      return NameWith(child.handle, float_as, found, castable) + "[]";
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalType child(duckdb_array_type_child_type(type));
      return NameWith(child.handle, float_as, found, castable) + "[" +
             std::to_string(duckdb_array_type_array_size(type)) + "]";
    }
    case DUCKDB_TYPE_MAP: {
      LogicalType key(duckdb_map_type_key_type(type));
      LogicalType value(duckdb_map_type_value_type(type));
      return "MAP(" + NameWith(key.handle, float_as, found, castable) + ", " +
             NameWith(value.handle, float_as, found, castable) + ")";
    }
    case DUCKDB_TYPE_STRUCT: {
      std::string out = "STRUCT(";
      idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        char* name = duckdb_struct_type_child_name(type, i);
        LogicalType child(duckdb_struct_type_child_type(type, i));
        std::string field = name ? name : "";
        duckdb_free(name);
        if (field.empty()) *castable = false;  // row(...) has unnamed fields no CAST can name
        // Always quoted: a field may be called like a keyword ("order", "select").
        std::string quoted = "\"";
        for (char ch : field) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        out += (i ? ", " : "") + quoted + "\" " + NameWith(child.handle, float_as, found, castable);
      }
      return out + ")";
    }
    default: {
      std::string name = TypeName(type);
      if (name == "UNKNOWN") *castable = false;
      return name;
    }
  }
}

}  // namespace

std::string NonFiniteAsNull(std::string json) {
  if (json.find_first_of("NI") == std::string::npos) return json;
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < json.size()) out += json[++i];
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    auto token = [&](std::string_view word) { return json.compare(i, word.size(), word) == 0; };
    if (token("-Infinity")) {
      out += "null";
      i += 8;
    } else if (token("Infinity")) {
      out += "null";
      i += 7;
    } else if (token("NaN")) {
      out += "null";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string NestedTypeWithFloatsAs(duckdb_logical_type type, const std::string& float_as) {
  bool found = false, castable = true;
  std::string name = NameWith(type, float_as, &found, &castable);
  return found && castable && duckdb_get_type_id(type) != DUCKDB_TYPE_FLOAT ? name : "";
}

std::string TypeName(duckdb_logical_type type) {
  std::string alias = Alias(type);
  if (!alias.empty()) return alias;
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_S: return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT: return "UHUGEINT";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_BIT: return "BIT";
    case DUCKDB_TYPE_BIGNUM: return "BIGNUM";
    case DUCKDB_TYPE_SQLNULL: return "NULL";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(duckdb_decimal_width(type)) + "," +
             std::to_string(duckdb_decimal_scale(type)) + ")";
    case DUCKDB_TYPE_LIST: {
      LogicalType child(duckdb_list_type_child_type(type));
      return TypeName(child.handle) + "[]";
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalType child(duckdb_array_type_child_type(type));
      return TypeName(child.handle) + "[" + std::to_string(duckdb_array_type_array_size(type)) + "]";
    }
    case DUCKDB_TYPE_MAP: {
      LogicalType key(duckdb_map_type_key_type(type));
      LogicalType value(duckdb_map_type_value_type(type));
      return "MAP(" + TypeName(key.handle) + ", " + TypeName(value.handle) + ")";
    }
    case DUCKDB_TYPE_STRUCT: {
      std::string out = "STRUCT(";
      idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        char* name = duckdb_struct_type_child_name(type, i);
        LogicalType child(duckdb_struct_type_child_type(type, i));
        out += (i ? ", " : "") + FieldName(name) + " " + TypeName(child.handle);
        duckdb_free(name);
      }
      return out + ")";
    }
    case DUCKDB_TYPE_UNION: return "UNION";
    default: return "UNKNOWN";
  }
}

Rendering RenderingFor(duckdb_logical_type type) {
  if (Alias(type) == "JSON") return Rendering::kDirect;
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_UNION:
      return Rendering::kAsJson;
    case DUCKDB_TYPE_ENUM:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_BIT:
    case DUCKDB_TYPE_TIME_TZ:
    case DUCKDB_TYPE_BIGNUM:
    case DUCKDB_TYPE_TIME_NS:
      return Rendering::kAsText;
    default:
      return Rendering::kDirect;
  }
}

Cell ReadCell(duckdb_vector vector, duckdb_logical_type type, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity && !duckdb_validity_row_is_valid(validity, row)) return std::monostate{};
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN: return At<bool>(vector, row);
    case DUCKDB_TYPE_TINYINT: return static_cast<int64_t>(At<int8_t>(vector, row));
    case DUCKDB_TYPE_SMALLINT: return static_cast<int64_t>(At<int16_t>(vector, row));
    case DUCKDB_TYPE_INTEGER: return static_cast<int64_t>(At<int32_t>(vector, row));
    case DUCKDB_TYPE_BIGINT: return At<int64_t>(vector, row);
    case DUCKDB_TYPE_UTINYINT: return static_cast<uint64_t>(At<uint8_t>(vector, row));
    case DUCKDB_TYPE_USMALLINT: return static_cast<uint64_t>(At<uint16_t>(vector, row));
    case DUCKDB_TYPE_UINTEGER: return static_cast<uint64_t>(At<uint32_t>(vector, row));
    case DUCKDB_TYPE_UBIGINT: return At<uint64_t>(vector, row);
    case DUCKDB_TYPE_FLOAT: return FloatCell(At<float>(vector, row));
    case DUCKDB_TYPE_DOUBLE: return At<double>(vector, row);
    case DUCKDB_TYPE_VARCHAR: {
      std::string s = StringAt(vector, row);
      if (Alias(type) == "JSON") return RawJson{std::move(s)};
      return s;
    }
    case DUCKDB_TYPE_BLOB: return BlobText(StringAt(vector, row));
    case DUCKDB_TYPE_DATE: return FormatDate(At<duckdb_date>(vector, row));
    case DUCKDB_TYPE_TIME: return FormatTimeMicros(At<int64_t>(vector, row));
    case DUCKDB_TYPE_TIMESTAMP: return FormatTimestampMicros(At<int64_t>(vector, row), false);
    case DUCKDB_TYPE_TIMESTAMP_TZ: return FormatTimestampMicros(At<int64_t>(vector, row), true);
    case DUCKDB_TYPE_TIMESTAMP_S:
      return FormatTimestampMicros(At<int64_t>(vector, row) * 1000000, false);
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return FormatTimestampMicros(At<int64_t>(vector, row) * 1000, false);
    case DUCKDB_TYPE_TIMESTAMP_NS: return FormatTimestampNanos(At<int64_t>(vector, row));
    case DUCKDB_TYPE_HUGEINT: return RawJson{DecimalText(ToInt128(At<duckdb_hugeint>(vector, row)), 0)};
    case DUCKDB_TYPE_UHUGEINT: {
      auto u = At<duckdb_uhugeint>(vector, row);
      return RawJson{UnsignedText((static_cast<unsigned __int128>(u.upper) << 64) | u.lower)};
    }
    case DUCKDB_TYPE_UUID: return UuidText(At<duckdb_hugeint>(vector, row));
    case DUCKDB_TYPE_DECIMAL: {
      int scale = duckdb_decimal_scale(type);
      __int128 raw = 0;
      switch (duckdb_decimal_internal_type(type)) {
        case DUCKDB_TYPE_SMALLINT: raw = At<int16_t>(vector, row); break;
        case DUCKDB_TYPE_INTEGER: raw = At<int32_t>(vector, row); break;
        case DUCKDB_TYPE_BIGINT: raw = At<int64_t>(vector, row); break;
        default: raw = ToInt128(At<duckdb_hugeint>(vector, row)); break;
      }
      return RawJson{DecimalText(raw, scale)};
    }
    default:
      return std::string("<unsupported type " + TypeName(type) + ">");
  }
}

}  // namespace lakehouse::engine::internal
