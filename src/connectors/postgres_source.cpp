// Postgres through libpq: rows leave the server by COPY ... TO STDOUT (CSV),
// a stream, so memory stays flat whatever the table size.
#include <libpq-fe.h>

#include <memory>

#include "common/names.h"
#include "common/redact.h"
#include "connectors/postgres_source.h"

namespace lakehouse::connectors {

namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

ResultPtr Wrap(PGresult* r) { return ResultPtr(r, &PQclear); }

class PostgresSource final : public Source {
 public:
  PostgresSource(PGconn* conn, ConnectionParams params) : conn_(conn), params_(std::move(params)) {}
  ~PostgresSource() override { PQfinish(conn_); }

  Result<std::vector<TableInfo>> ListTables() override;
  Result<std::vector<SourceColumn>> Describe(const ImportSpec& spec) override;
  Result<int64_t> ExportCsv(const ImportSpec& spec, const std::vector<SourceColumn>& columns,
                            const CsvSink& sink) override;

 private:
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

Result<int64_t> PostgresSource::ExportCsv(const ImportSpec& spec, const std::vector<SourceColumn>& columns,
                                          const CsvSink& sink) {
  std::string select;
  for (const auto& c : columns) {
    std::string col = QuoteIdent(c.name);
    std::string expr = col;
    if (c.duck_type.size() > 2 && c.duck_type.compare(c.duck_type.size() - 2, 2, "[]") == 0) {
      expr = "array_to_json(" + col + ")::text";
    } else if (c.duck_type == "BLOB") {
      expr = "encode(" + col + ", 'hex')";
    }
    select += (select.empty() ? "" : ", ") + expr;
  }
  std::string where;
  if (!spec.incremental_column.empty() && spec.after_value) {
    char* literal = PQescapeLiteral(conn_, spec.after_value->c_str(), spec.after_value->size());
    if (!literal) return Error("cannot quote the incremental value");
    where = " WHERE " + QuoteIdent(spec.incremental_column) + " > " + literal;
    PQfreemem(literal);
  }
  std::string sql = "COPY (SELECT " + select + " FROM " + From(spec) + where + ") TO STDOUT WITH (FORMAT csv)";
  ResultPtr started = Wrap(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) return Error("export failed");
  bool stopped = false;
  while (true) {
    char* buffer = nullptr;
    int len = PQgetCopyData(conn_, &buffer, 0);
    if (len == -1) break;  // done
    if (len == -2) return Error("export failed");
    if (!stopped && !sink(buffer, static_cast<size_t>(len))) {
      stopped = true;
      // Ask the server to stop sending instead of draining the whole table.
      if (PGcancel* cancel = PQgetCancel(conn_)) {
        char ignored[256];
        PQcancel(cancel, ignored, sizeof ignored);
        PQfreeCancel(cancel);
      }
    }
    PQfreemem(buffer);
  }
  ResultPtr finished = Wrap(PQgetResult(conn_));
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  if (stopped) return Internal("the import stopped reading the export");
  if (PQresultStatus(finished.get()) != PGRES_COMMAND_OK) return Error("export failed");
  return static_cast<int64_t>(std::stoll(PQcmdTuples(finished.get())));
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
  } else {
    c.duck_type = map_scalar(type.name, type.typtype, type.typmod, &c.note);
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
