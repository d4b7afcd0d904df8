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
#include "connectors/pg_binary.h"
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

  // Everything a source does runs in one repeatable-read transaction: the
  // export reads the snapshot Describe saw, and the lock Describe took on
  // the table keeps its columns' types from changing in between. A failed
  // statement aborts the transaction, so a new one replaces it. Where BEGIN
  // is refused (a pooler in statement mode) statements run on their own.
  void BeginSnapshot() {
    ResultPtr r = Wrap(PQexec(conn_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    in_snapshot_ = PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    snapshot_taken_ = false;
  }
  void RestartSnapshot() {
    if (!in_snapshot_) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
    BeginSnapshot();
  }

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
    if (PQresultStatus(r.get()) != expected) {
      Status error = Error("query failed");
      RestartSnapshot();
      return error;
    }
    return r;
  }
  std::string From(const ImportSpec& spec) const {
    if (!spec.query.empty()) return "(" + spec.query + "\n) AS lh_src";
    return QuoteIdent(spec.schema.empty() ? "public" : spec.schema) + "." + QuoteIdent(spec.table);
  }

  PGconn* conn_;
  ConnectionParams params_;
  bool in_snapshot_ = false;     // inside the repeatable-read transaction
  bool snapshot_taken_ = false;  // a query of it has run, fixing its snapshot
};

Result<std::vector<TableInfo>> PostgresSource::ListTables() {
  LH_ASSIGN_OR_RETURN(auto r, Exec("SELECT n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint "
                                   "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                                   "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                                   "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2",
                                   PGRES_TUPLES_OK));
  snapshot_taken_ = true;
  std::vector<TableInfo> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    out.push_back({PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1), std::stoll(PQgetvalue(r.get(), i, 2))});
  }
  return out;
}

Result<std::vector<SourceColumn>> PostgresSource::Describe(const ImportSpec& spec) {
  // A repeatable-read snapshot is fixed when the first query starts, before
  // that query waits for its table lock: behind a TRUNCATE and reload it
  // would see the table empty. LOCK takes no snapshot, so for a table the
  // lock comes first and the snapshot after the reload has committed. (A
  // query import cannot name its tables up front; docs/type-mapping.md.)
  if (in_snapshot_ && !snapshot_taken_ && spec.query.empty()) {
    // Best effort: some relations (a foreign table, a view before PostgreSQL 11) cannot be
    // locked; the failure restarts the transaction and Describe goes on.
    (void)Exec("LOCK TABLE " + From(spec) + " IN ACCESS SHARE MODE", PGRES_COMMAND_OK);
  }
  LH_ASSIGN_OR_RETURN(auto shape, Exec("SELECT * FROM " + From(spec) + " LIMIT 0", PGRES_TUPLES_OK));
  snapshot_taken_ = true;
  // Servers built before PostgreSQL 10 could keep times as doubles.
  const char* datetimes = PQparameterStatus(conn_, "integer_datetimes");
  const bool integer_datetimes = !datetimes || std::strcmp(datetimes, "on") == 0;
  std::vector<SourceColumn> columns;
  for (int i = 0; i < PQnfields(shape.get()); ++i) {
    std::string oid = std::to_string(PQftype(shape.get(), i));
    std::string mod = std::to_string(PQfmod(shape.get(), i));
    // Built-in types have OIDs below FirstNormalObjectId (16384); a user
    // type that happens to be called "text" or "int4" is not one of them.
    LH_ASSIGN_OR_RETURN(auto t, Exec("SELECT t.typname, t.typtype, pg_catalog.format_type(t.oid, " + mod +
                                         "), coalesce(e.typname, ''), coalesce(e.typtype, ''), t.oid < 16384, "
                                         "coalesce(e.oid < 16384, true) FROM pg_catalog.pg_type t "
                                         "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
                                         "WHERE t.oid = " + oid,
                                     PGRES_TUPLES_OK));
    PgType type{PQgetvalue(t.get(), 0, 0), PQgetvalue(t.get(), 0, 1)[0], PQfmod(shape.get(), i),
                PQgetvalue(t.get(), 0, 3), PQgetvalue(t.get(), 0, 4)[0]};
    type.builtin = PQgetvalue(t.get(), 0, 5)[0] == 't';
    type.element_builtin = PQgetvalue(t.get(), 0, 6)[0] == 't';
    type.integer_datetimes = integer_datetimes;
    SourceColumn c = MapPostgresType(type);
    c.name = PQfname(shape.get(), i);
    c.source_type = PQgetvalue(t.get(), 0, 2);
    columns.push_back(std::move(c));
  }
  return columns;
}

// A running COPY ... TO STDOUT (FORMAT binary), decoded as DuckDB pulls.
class PostgresExport final : public RowExport {
 public:
  PostgresExport(PostgresSource& source, std::vector<SourceColumn> columns)
      : source_(source), decoder_(std::move(columns)) {}
  ~PostgresExport() override { (void)Finish(); }

  Result<size_t> Fill(engine::ChunkSink& sink) override;
  int64_t rows() const override { return rows_; }
  Status Finish() override;

 private:
  Status CompleteCopy();

  PostgresSource& source_;
  PgBinaryDecoder decoder_;
  int64_t rows_ = 0;
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
    LH_ASSIGN_OR_RETURN(bool was_row, decoder_.Decode(buffer, static_cast<size_t>(len), sink, n, rows_ + 1));
    if (was_row) ++n, ++rows_;
  }
  return n;
}

// After the end of the data: the COPY's own result, whose row count must
// match what was decoded.
Status PostgresExport::CompleteCopy() {
  ResultPtr finished = Wrap(PQgetResult(source_.conn_));
  while (PGresult* extra = PQgetResult(source_.conn_)) PQclear(extra);
  if (PQresultStatus(finished.get()) != PGRES_COMMAND_OK) {
    Status error = source_.Error("export failed");
    source_.RestartSnapshot();
    return error;
  }
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
  // Stopped early: ask the server to stop sending rather than read the rest;
  // what it had already sent is read and dropped.
  bool cancel_sent = false;
  if (PGcancel* cancel = PQgetCancel(source_.conn_)) {
    char ignored[256];
    cancel_sent = PQcancel(cancel, ignored, sizeof ignored) == 1;
    PQfreeCancel(cancel);
  }
  while (true) {
    char* buffer = nullptr;
    int len = PQgetCopyData(source_.conn_, &buffer, 0);
    if (len < 0) break;
    PQfreemem(buffer);
  }
  bool cancelled = false;
  while (PGresult* result = PQgetResult(source_.conn_)) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    cancelled |= state && std::strcmp(state, "57014") == 0;  // query_canceled
    PQclear(result);
  }
  source_.RestartSnapshot();
  ended_ = true;
  outcome_ = Internal(cancelled     ? "the import stopped reading the export; postgres cancelled it"
                      : cancel_sent ? "the import stopped reading the export after postgres had sent every row"
                                    : "the import stopped reading the export; the cancel request failed, so the "
                                      "rest of its rows were read and dropped");
  return outcome_;
}

Result<std::unique_ptr<RowExport>> PostgresSource::Export(const ImportSpec& spec,
                                                          const std::vector<SourceColumn>& columns) {
  std::string select = SourceSelectList(columns, [](const std::string& name) { return QuoteIdent(name); });
  std::string where;
  if (!spec.incremental_column.empty() && spec.after_value) {
    char* literal = PQescapeLiteral(conn_, spec.after_value->c_str(), spec.after_value->size());
    if (!literal) return Error("cannot quote the incremental value");
    where = " WHERE " + QuoteIdent(spec.incremental_column) + " > " + literal;
    PQfreemem(literal);
  }
  std::string sql = "COPY (SELECT " + select + " FROM " + From(spec) + where + ") TO STDOUT WITH (FORMAT binary)";
  ResultPtr started = Wrap(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) {
    Status error = Error("export failed");
    RestartSnapshot();
    return error;
  }
  return std::unique_ptr<RowExport>(new PostgresExport(*this, columns));
}

}  // namespace

SourceColumn MapPostgresType(const PgType& type) {
  auto map_scalar = [](const std::string& name, char typtype, bool builtin, int typmod,
                       std::string* note) -> std::string {
    if (typtype == 'e') return "VARCHAR";  // enums keep their labels
    if (!builtin) {
      *note = name + " stored as its text form";
      return "VARCHAR";
    }
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
    std::string element = map_scalar(type.element_name, type.element_typtype, type.element_builtin, -1, &c.note);
    // JSON and BLOB elements have no text form DuckDB can cast from a JSON array.
    if (element == "JSON" || element == "BLOB") element = "VARCHAR";
    c.duck_type = element + "[]";
    c.source_expr = "pg_catalog.array_to_json({})::pg_catalog.text";
  } else {
    c.duck_type = map_scalar(type.name, type.typtype, type.builtin, type.typmod, &c.note);
    // Built-in types whose binary form is decoded here travel as themselves,
    // cast to themselves so that the server guarantees the layout even if
    // the column changed type since it was described; the rest (numeric,
    // json, enums, intervals...) travel as their text form.
    using engine::WireType;
    static const std::map<std::string, WireType> kBinary = {
        {"int2", WireType::kSmallint},   {"int4", WireType::kInteger},        {"int8", WireType::kBigint},
        {"oid", WireType::kUInteger},    {"float4", WireType::kFloat},        {"float8", WireType::kDouble},
        {"bool", WireType::kBoolean},    {"date", WireType::kDate},           {"time", WireType::kTime},
        {"timestamp", WireType::kTimestamp}, {"timestamptz", WireType::kTimestampTz}, {"uuid", WireType::kUuid},
        {"bytea", WireType::kBlob},      {"text", WireType::kVarchar},        {"varchar", WireType::kVarchar},
        {"bpchar", WireType::kVarchar},  {"name", WireType::kVarchar}};
    auto binary = type.builtin ? kBinary.find(type.name) : kBinary.end();
    bool float_datetimes = !type.integer_datetimes && (type.name == "time" || type.name == "timestamp" ||
                                                       type.name == "timestamptz");
    if (binary != kBinary.end() && !float_datetimes) {
      c.wire = binary->second;
      c.source_expr = "{}::pg_catalog." + type.name;
    } else {
      c.source_expr = "{}::pg_catalog.text";
    }
  }
  FinishMapping(c);
  return c;
}

Result<std::unique_ptr<Source>> ConnectPostgres(const ConnectionParams& params) {
  std::string port = std::to_string(params.EffectivePort());
  // TCP keepalives every 10 s after 30 s of silence, 3 unanswered probes:
  // an import from a server that vanished (a partition, a dead host) fails
  // after about a minute instead of waiting forever for its next row.
  // An empty sslmode is ignored by libpq (its default, prefer, applies).
  const char* keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", "client_encoding",
                        "application_name", "options", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "sslmode", nullptr};
  const char* values[] = {params.host.c_str(), port.c_str(), params.user.c_str(), params.password.c_str(),
                          params.database.c_str(), "10", "UTF8", "lakehouse",
                          "-c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3 -c IntervalStyle=iso_8601 "
                          "-c default_transaction_read_only=on",
                          "1", "30", "10", "3", params.sslmode.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = RedactSecret(conn ? PQerrorMessage(conn) : "out of memory", params.password);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(conn);
    return InvalidArgument("cannot connect to postgres at " + params.Endpoint() + " as '" + params.user +
                           "': " + message);
  }
  auto source = std::make_unique<PostgresSource>(conn, params);
  source->BeginSnapshot();
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace lakehouse::connectors
