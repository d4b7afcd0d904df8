// Postgres through libpq: rows leave the server by COPY ... TO STDOUT in the
// binary format, a stream, so memory stays flat whatever the table size, and
// values arrive as numbers, not text to parse.
#include <libpq-fe.h>

#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include "common/names.h"
#include "common/redact.h"
#include "connectors/postgres_source.h"

namespace lakehouse::connectors {

namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr Wrap(PGresult* r) { return ResultPtr(r, &PQclear); }

class PostgresExport;

class PostgresSource final : public Source {
 public:
  PostgresSource(PGconn* conn, ConnectionParams params) : conn_(conn), params_(std::move(params)) {}
  ~PostgresSource() override { PQfinish(conn_); }

  Result<std::vector<TableInfo>> ListTables() override;
  Result<std::vector<SourceColumn>> Describe(const ImportSpec& spec) override;
  Result<std::unique_ptr<RowExport>> Export(const ImportSpec& spec, const std::vector<SourceColumn>& columns) override;

 private:
  friend class PostgresExport;
  Status Error(const std::string& what) const {
    std::string message = RedactSecret(PQerrorMessage(conn_), params_.password);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return InvalidArgument(what + " on postgres " + params_.Endpoint() + ": " + message);
  }
  Result<ResultPtr> Exec(const std::string& sql, ExecStatusType expected) {
    ResultPtr r = Wrap(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(r.get()) != expected) return Error("query failed");
    return r;
  }
  std::string From(const ImportSpec& spec) const {
    if (!spec.query.empty()) return "(" + spec.query + "\n) AS lh_src";
    return QuoteIdent(spec.schema.empty() ? "public" : spec.schema) + "." + QuoteIdent(spec.table);
  }

  PGconn* conn_;
  ConnectionParams params_;
};

Result<std::vector<TableInfo>> PostgresSource::ListTables() {
  LH_ASSIGN_OR_RETURN(auto r, Exec("SELECT n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint "
                                   "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                                   "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                                   "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2",
                                   PGRES_TUPLES_OK));
  std::vector<TableInfo> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1), std::stoll(PQgetvalue(r.get(), i, 2))});
  }
  return out;
}

Result<std::vector<SourceColumn>> PostgresSource::Describe(const ImportSpec& spec) {
  LH_ASSIGN_OR_RETURN(auto shape, Exec("SELECT * FROM " + From(spec) + " LIMIT 0", PGRES_TUPLES_OK));
  std::vector<SourceColumn> columns;
  for (int i = 0; i < PQnfields(shape.get()); ++i) {
    std::string oid = std::to_string(PQftype(shape.get(), i));
    std::string mod = std::to_string(PQfmod(shape.get(), i));
    LH_ASSIGN_OR_RETURN(auto t, Exec("SELECT t.typname, t.typtype, format_type(t.oid, " + mod +
                                         "), coalesce(e.typname, ''), coalesce(e.typtype, '') FROM pg_type t "
                                         "LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
                                         "WHERE t.oid = " + oid,
                                     PGRES_TUPLES_OK));
    PgType type{PQgetvalue(t.get(), 0, 0), PQgetvalue(t.get(), 0, 1)[0], PQfmod(shape.get(), i),
                PQgetvalue(t.get(), 0, 3), PQgetvalue(t.get(), 0, 4)[0]};
    SourceColumn c = MapPostgresType(type);
    c.name = PQfname(shape.get(), i);
    c.source_type = PQgetvalue(t.get(), 0, 2);
    columns.push_back(std::move(c));
  }
  return columns;
}

// Decodes COPY's binary format (a header, then per row a field count and
// each field as a length and the type's binary send form, big-endian) into
// DuckDB's vectors.
class PostgresExport final : public RowExport {
 public:
  PostgresExport(PostgresSource& source, std::vector<SourceColumn> columns)
      : source_(source), columns_(std::move(columns)) {}
  ~PostgresExport() override { (void)Finish(); }

  Result<size_t> Fill(engine::ChunkSink& sink) override;
  int64_t rows() const override { return rows_; }
  Status Finish() override;

 private:
  struct Reader {
    const unsigned char* at;
    const unsigned char* end;
    size_t left() const { return static_cast<size_t>(end - at); }
    uint16_t U16() { uint16_t v = static_cast<uint16_t>(at[0] << 8 | at[1]); at += 2; return v; }
    uint32_t U32() { uint32_t v; std::memcpy(&v, at, 4); at += 4; return __builtin_bswap32(v); }
    uint64_t U64() { uint64_t v; std::memcpy(&v, at, 8); at += 8; return __builtin_bswap64(v); }
  };
  // Decodes one CopyData message; false when it held no row (the trailer).
  Result<bool> DecodeMessage(const char* data, size_t len, engine::ChunkSink& sink, size_t row);
  Status DecodeField(size_t column, Reader value, engine::ChunkSink& sink, size_t row);
  Status Malformed(const std::string& what) const {
    return Internal("postgres sent a binary COPY stream lakehouse cannot read (" + what + ")");
  }
  Status CompleteCopy();

  PostgresSource& source_;
  std::vector<SourceColumn> columns_;
  int64_t rows_ = 0;
  bool header_read_ = false;
  bool ended_ = false;     // the server ended the COPY
  bool finished_ = false;  // Finish ran
  Status outcome_;         // the server's verdict once ended_
};

Result<size_t> PostgresExport::Fill(engine::ChunkSink& sink) {
  size_t n = 0;
  while (n < sink.capacity() && !ended_) {
    char* buffer = nullptr;
    int len = PQgetCopyData(source_.conn_, &buffer, 0);
    if (len == -1) {
      ended_ = true;
      outcome_ = CompleteCopy();
      LH_RETURN_IF_ERROR(outcome_);
      break;
    }
    if (len < 0) return source_.Error("export failed");
    std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, &PQfreemem);
    LH_ASSIGN_OR_RETURN(bool was_row, DecodeMessage(buffer, static_cast<size_t>(len), sink, n));
    if (was_row) ++n, ++rows_;
  }
  return n;
}

Result<bool> PostgresExport::DecodeMessage(const char* data, size_t len, engine::ChunkSink& sink, size_t row) {
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
  if (fields == -1) return false;  // the trailer
  if (static_cast<size_t>(fields) != columns_.size()) {
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
    LH_RETURN_IF_ERROR(DecodeField(c, Reader{in.at, in.at + field_len}, sink, row));
    in.at += field_len;
  }
  return true;
}

// Moves a Postgres date or timestamp (counted from 2000-01-01) to DuckDB's
// epoch (1970-01-01), keeping +/- infinity; false when DuckDB cannot hold it.
template <typename T>
bool ShiftEpoch(T pg_value, T shift, T duck_infinity, T* out) {
  if (pg_value == std::numeric_limits<T>::max()) {
    *out = duck_infinity;
  } else if (pg_value == std::numeric_limits<T>::min()) {
    *out = -duck_infinity;
  } else if (__builtin_add_overflow(pg_value, shift, out) || *out >= duck_infinity) {
    return false;
  }
  return true;
}

Status PostgresExport::DecodeField(size_t column, Reader value, engine::ChunkSink& sink, size_t row) {
  using engine::WireType;
  // Postgres counts days and microseconds from 2000-01-01, DuckDB from 1970.
  constexpr int32_t kEpochDays = 10957;
  constexpr int64_t kEpochMicros = 946684800000000LL;
  WireType wire = columns_[column].wire;
  auto expect = [&](size_t width) -> Status {
    if (value.left() == width) return Status::Ok();
    return Malformed(std::to_string(value.left()) + " bytes for a " + engine::WireTypeName(wire) + " in column " +
                     columns_[column].name);
  };
  auto out_of_range = [&] {
    return InvalidArgument("column '" + columns_[column].name + "' row " + std::to_string(rows_ + 1) +
                           " holds a value outside DuckDB's range for " + engine::WireTypeName(wire));
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
        return out_of_range();
      }
      break;
    case WireType::kTimestamp:
    case WireType::kTimestampTz:
      LH_RETURN_IF_ERROR(expect(8));
      if (!ShiftEpoch(static_cast<int64_t>(value.U64()), kEpochMicros, engine::kTimestampInfinity,
                      &sink.Values<int64_t>(column)[row])) {
        return out_of_range();
      }
      break;
    case WireType::kUuid:
      LH_RETURN_IF_ERROR(expect(16));
      sink.Values<engine::Uuid128>(column)[row] = engine::UuidFromBytes(value.at);
      break;
    case WireType::kVarchar:
      if (!engine::IsValidUtf8(reinterpret_cast<const char*>(value.at), value.left())) {
        return InvalidArgument("column '" + columns_[column].name + "' row " + std::to_string(rows_ + 1) +
                               " holds text that is not valid UTF-8; is the database's encoding SQL_ASCII?");
      }
      sink.SetString(column, row, reinterpret_cast<const char*>(value.at), value.left());
      break;
    case WireType::kBlob:
      sink.SetString(column, row, reinterpret_cast<const char*>(value.at), value.left());
      break;
  }
  return Status::Ok();
}

// After the end of the data: the COPY's own result, whose row count must
// match what was decoded.
Status PostgresExport::CompleteCopy() {
  ResultPtr finished = Wrap(PQgetResult(source_.conn_));
  while (PGresult* extra = PQgetResult(source_.conn_)) PQclear(extra);
  if (PQresultStatus(finished.get()) != PGRES_COMMAND_OK) return source_.Error("export failed");
  int64_t sent = std::strtoll(PQcmdTuples(finished.get()), nullptr, 10);
  if (sent != rows_) {
    return Internal("postgres reported " + std::to_string(sent) + " rows but sent " + std::to_string(rows_));
  }
  return Status::Ok();
}

Status PostgresExport::Finish() {
  if (finished_) return outcome_;
  finished_ = true;
  if (ended_) return outcome_;
  // Stopped early: ask the server to stop sending rather than read the rest.
  if (PGcancel* cancel = PQgetCancel(source_.conn_)) {
    char ignored[256];
    PQcancel(cancel, ignored, sizeof ignored);
    PQfreeCancel(cancel);
  }
  while (true) {
    char* buffer = nullptr;
    int len = PQgetCopyData(source_.conn_, &buffer, 0);
    if (len < 0) break;
    PQfreemem(buffer);
  }
  while (PGresult* extra = PQgetResult(source_.conn_)) PQclear(extra);
  ended_ = true;
  outcome_ = Internal("the import stopped reading the export");
  return outcome_;
}

Result<std::unique_ptr<RowExport>> PostgresSource::Export(const ImportSpec& spec,
                                                          const std::vector<SourceColumn>& columns) {
  std::string select;
  for (const auto& c : columns) {
    std::string expr = c.source_expr;
    expr.replace(expr.find("{}"), 2, QuoteIdent(c.name));
    select += (select.empty() ? "" : ", ") + expr;
  }
  std::string where;
  if (!spec.incremental_column.empty() && spec.after_value) {
    char* literal = PQescapeLiteral(conn_, spec.after_value->c_str(), spec.after_value->size());
    if (!literal) return Error("cannot quote the incremental value");
    where = " WHERE " + QuoteIdent(spec.incremental_column) + " > " + literal;
    PQfreemem(literal);
  }
  std::string sql = "COPY (SELECT " + select + " FROM " + From(spec) + where + ") TO STDOUT WITH (FORMAT binary)";
  ResultPtr started = Wrap(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) return Error("export failed");
  return std::unique_ptr<RowExport>(new PostgresExport(*this, columns));
}

}  // namespace

SourceColumn MapPostgresType(const PgType& type) {
  auto map_scalar = [](const std::string& name, char typtype, int typmod, std::string* note) -> std::string {
    if (typtype == 'e') return "VARCHAR";  // enums keep their labels
    if (name == "int2") return "SMALLINT";
    if (name == "int4") return "INTEGER";
    if (name == "int8") return "BIGINT";
    if (name == "oid") return "UINTEGER";
    if (name == "float4") return "FLOAT";
    if (name == "float8") return "DOUBLE";
    if (name == "bool") return "BOOLEAN";
    if (name == "date") return "DATE";
    if (name == "time") return "TIME";
    if (name == "timestamp") return "TIMESTAMP";
    if (name == "timestamptz") return "TIMESTAMP WITH TIME ZONE";
    if (name == "uuid") return "UUID";
    if (name == "json" || name == "jsonb") return "JSON";
    if (name == "bytea") return "BLOB";
    if (name == "numeric") {
      if (typmod < 4) {
        *note = "numeric without precision: stored as DOUBLE";
        return "DOUBLE";
      }
      int precision = ((typmod - 4) >> 16) & 0xffff, scale = (typmod - 4) & 0xffff;
      if (precision > 38 || scale > precision) {
        *note = "numeric(" + std::to_string(precision) + "," + std::to_string(scale) +
                ") is wider than DECIMAL(38): stored as DOUBLE";
        return "DOUBLE";
      }
      return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    }
    if (name != "text" && name != "varchar" && name != "bpchar" && name != "name" && name != "char") {
      *note = name + " stored as its text form";
    }
    return "VARCHAR";
  };
  SourceColumn c;
  if (!type.element_name.empty()) {
    std::string element = map_scalar(type.element_name, type.element_typtype, -1, &c.note);
    // JSON and BLOB elements have no text form DuckDB can cast from a JSON array.
    if (element == "JSON" || element == "BLOB") element = "VARCHAR";
    c.duck_type = element + "[]";
    c.source_expr = "array_to_json({})::text";
  } else {
    c.duck_type = map_scalar(type.name, type.typtype, type.typmod, &c.note);
    // Types whose binary form is decoded here travel as themselves; the
    // rest (numeric, json, enums, intervals...) as their text form.
    using engine::WireType;
    static const std::map<std::string, WireType> kBinary = {
        {"int2", WireType::kSmallint},   {"int4", WireType::kInteger},        {"int8", WireType::kBigint},
        {"oid", WireType::kUInteger},    {"float4", WireType::kFloat},        {"float8", WireType::kDouble},
        {"bool", WireType::kBoolean},    {"date", WireType::kDate},           {"time", WireType::kTime},
        {"timestamp", WireType::kTimestamp}, {"timestamptz", WireType::kTimestampTz}, {"uuid", WireType::kUuid},
        {"bytea", WireType::kBlob},      {"text", WireType::kVarchar},        {"varchar", WireType::kVarchar},
        {"bpchar", WireType::kVarchar},  {"name", WireType::kVarchar}};
    auto binary = kBinary.find(type.name);
    if (binary != kBinary.end() && type.typtype != 'e') {
      c.wire = binary->second;
    } else {
      c.source_expr = "{}::text";
    }
  }
  FinishMapping(c);
  return c;
}

Result<std::unique_ptr<Source>> ConnectPostgres(const ConnectionParams& params) {
  std::string port = std::to_string(params.EffectivePort());
  const char* keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", "client_encoding",
                        "application_name", "options", nullptr};
  const char* values[] = {params.host.c_str(), port.c_str(), params.user.c_str(), params.password.c_str(),
                          params.database.c_str(), "10", "UTF8", "lakehouse",
                          "-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3 -c IntervalStyle=iso_8601 "
                          "-c default_transaction_read_only=on",
                          nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = RedactSecret(conn ? PQerrorMessage(conn) : "out of memory", params.password);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(conn);
    return InvalidArgument("cannot connect to postgres at " + params.Endpoint() + " as '" + params.user +
                           "': " + message);
  }
  return std::unique_ptr<Source>(new PostgresSource(conn, params));
}

}  // namespace lakehouse::connectors
