// MySQL and MariaDB through MariaDB Connector/C: an unbuffered result
// (mysql_use_result) streams rows, handed to DuckDB as they arrive.
#include <mysql.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/redact.h"
#include "connectors/mysql_source.h"

namespace lakehouse::connectors {

namespace {

std::string QuoteMyIdent(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

// A new connection with the session settings every import relies on.
// io_timeout_seconds > 0 bounds every read and write (for short helper
// connections; an export may legitimately wait long for its first row).
Result<MYSQL*> OpenMysql(const ConnectionParams& params, unsigned io_timeout_seconds = 0) {
  MYSQL* conn = mysql_init(nullptr);
  if (!conn) return Internal("mysql_init failed");
  unsigned timeout = 10;
  mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  if (io_timeout_seconds > 0) {
    mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &io_timeout_seconds);
    mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout_seconds);
  }
  mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  // A hostile server must not be able to ask for local files (LOAD DATA LOCAL).
  unsigned local_infile = 0;
  mysql_options(conn, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  if (!mysql_real_connect(conn, params.host.c_str(), params.user.c_str(), params.password.c_str(),
                          params.database.c_str(), static_cast<unsigned>(params.EffectivePort()), nullptr, 0)) {
    std::string message = RedactSecret(mysql_error(conn), params.password);
    mysql_close(conn);
    return InvalidArgument("cannot connect to mysql at " + params.Endpoint() + " as '" + params.user + "': " + message);
  }
  // As for Postgres: a server that vanishes mid-export is noticed after
  // about a minute (TCP keepalives; a Unix socket ignores them).
  int fd = static_cast<int>(mysql_get_socket(conn));
  int on = 1, idle = 30, interval = 10, count = 3;
  (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  return conn;
}

class MysqlExport;

class MysqlSource final : public Source {
 public:
  MysqlSource(MYSQL* conn, ConnectionParams params) : conn_(conn), params_(std::move(params)) {}
  ~MysqlSource() override { mysql_close(conn_); }

  Result<std::vector<TableInfo>> ListTables() override;
  Result<std::vector<SourceColumn>> Describe(const ImportSpec& spec) override;
  Result<std::unique_ptr<RowExport>> Export(const ImportSpec& spec, const std::vector<SourceColumn>& columns) override;

  Status Error(const std::string& what) const {
    return InvalidArgument(what + " on mysql " + params_.Endpoint() + ": " +
                           RedactSecret(mysql_error(conn_), params_.password));
  }

 private:
  friend class MysqlExport;
  std::string From(const ImportSpec& spec) const {
    if (!spec.query.empty()) return "(" + spec.query + "\n) AS lh_src";
    std::string schema = spec.schema.empty() ? params_.database : spec.schema;
    return QuoteMyIdent(schema) + "." + QuoteMyIdent(spec.table);
  }
  std::string Literal(const std::string& value) const {
    std::string escaped(value.size() * 2 + 1, '\0');
    unsigned long n = mysql_real_escape_string(conn_, escaped.data(), value.data(), value.size());
    escaped.resize(n);
    return "'" + escaped + "'";
  }

  // Asks the server, over a second connection, to stop the query this
  // one is running, so that an abandoned export is not read to its end.
  // Only when the second connection reached the same server (behind a load
  // balancer the same id may be another session); false when not sent.
  bool KillRunningQuery() {
    if (export_identity_.empty()) return false;
    auto killer = OpenMysql(params_, /*io_timeout_seconds=*/5);
    if (!killer.ok()) return false;
    std::string identity = ServerIdentity(*killer);
    bool sent = false;
    if (!identity.empty() && identity == export_identity_) {
      std::string sql = "KILL QUERY " + std::to_string(export_connection_id_);
      sent = mysql_query(*killer, sql.c_str()) == 0;
    }
    mysql_close(*killer);
    return sent;
  }
  // The server's id, host name and port, and this connection's id on it.
  static std::string ServerIdentity(MYSQL* conn, unsigned long long* connection_id = nullptr) {
    if (mysql_query(conn, "SELECT CONNECTION_ID(), @@server_id, @@hostname, @@port") != 0) return "";
    MYSQL_RES* res = mysql_store_result(conn);
    if (!res) return "";
    std::string identity;
    if (MYSQL_ROW row = mysql_fetch_row(res); row && row[0] && row[1] && row[2] && row[3]) {
      identity = std::string(row[1]) + "/" + row[2] + ":" + row[3];
      if (connection_id) *connection_id = std::stoull(row[0]);
    }
    mysql_free_result(res);
    return identity;
  }

  std::string export_identity_;  // ServerIdentity of conn_, taken when an export starts
  unsigned long long export_connection_id_ = 0;

  MYSQL* conn_;
  ConnectionParams params_;
};

Result<std::vector<TableInfo>> MysqlSource::ListTables() {
  std::string sql =
      "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES "
      "WHERE TABLE_SCHEMA = " + Literal(params_.database) + " ORDER BY 1, 2";
  if (mysql_query(conn_, sql.c_str()) != 0) return Error("listing tables failed");
  MYSQL_RES* res = mysql_store_result(conn_);
  if (!res) return Error("listing tables failed");
  std::vector<TableInfo> out;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    out.push_back({row[0], row[1], row[2] ? std::stoll(row[2]) : 0});
  }
  mysql_free_result(res);
  return out;
}

Result<std::vector<SourceColumn>> MysqlSource::Describe(const ImportSpec& spec) {
  std::string sql = "SELECT * FROM " + From(spec) + " LIMIT 0";
  if (mysql_query(conn_, sql.c_str()) != 0) return Error("query failed");
  MYSQL_RES* res = mysql_store_result(conn_);
  if (!res) return Error("query failed");
  std::vector<SourceColumn> columns;
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned i = 0; i < n; ++i) {
    MyType t;
    t.type = fields[i].type;
    t.length = fields[i].length;
    t.decimals = fields[i].decimals;
    t.is_unsigned = fields[i].flags & UNSIGNED_FLAG;
    t.is_binary = fields[i].charsetnr == 63;  // the "binary" character set
    MARIADB_CONST_STRING format{};
    if (mariadb_field_attr(&format, &fields[i], MARIADB_FIELD_ATTR_FORMAT_NAME) == 0 && format.str) {
      t.format.assign(format.str, format.length);
    }
    SourceColumn c = MapMysqlType(t);
    c.name = fields[i].name;
    columns.push_back(std::move(c));
  }
  mysql_free_result(res);
  return columns;
}

// Rows of an unbuffered result, as the text protocol sends them: DuckDB
// casts each wire VARCHAR to its column's type (MySQL's text forms are the
// ones DuckDB reads), BLOBs arrive as their bytes.
class MysqlExport final : public RowExport {
 public:
  MysqlExport(MysqlSource& source, MYSQL_RES* result, std::vector<SourceColumn> columns)
      : source_(source), result_(result), columns_(std::move(columns)) {}
  ~MysqlExport() override { (void)Finish(); }

  Result<size_t> Fill(engine::ChunkSink& sink) override {
    size_t n = 0;
    while (n < sink.capacity() && !ended_) {
      MYSQL_ROW row = mysql_fetch_row(result_);
      if (!row) {
        ended_ = true;
        if (mysql_errno(source_.conn_) != 0) outcome_ = source_.Error("export failed");
        LH_RETURN_IF_ERROR(outcome_);
        break;
      }
      unsigned long* lengths = mysql_fetch_lengths(result_);
      for (size_t c = 0; c < columns_.size(); ++c) {
        if (!row[c]) {
          sink.SetNull(c, n);
          continue;
        }
        if (columns_[c].wire == engine::WireType::kVarchar && !engine::IsValidUtf8(row[c], lengths[c])) {
          return InvalidArgument("column '" + columns_[c].name + "' row " + std::to_string(rows_ + 1) +
                                 " holds text that is not valid UTF-8");
        }
        sink.SetString(c, n, row[c], lengths[c]);
      }
      ++n, ++rows_;
    }
    return n;
  }
  int64_t rows() const override { return rows_; }
  Status Finish() override {
    if (!result_) return outcome_;
    if (ended_) {
      mysql_free_result(result_);
      result_ = nullptr;
      return outcome_;
    }
    // Stopped early: stop the query, then read and drop what was already
    // sent (freeing an unbuffered result reads it to its end).
    bool kill_sent = source_.KillRunningQuery();
    mysql_free_result(result_);
    result_ = nullptr;
    bool killed = mysql_errno(source_.conn_) == 1317;  // ER_QUERY_INTERRUPTED
    outcome_ = Internal(killed       ? "the import stopped reading the export; mysql stopped the query"
                        : kill_sent ? "the import stopped reading the export after mysql had sent every row"
                                    : "the import stopped reading the export; the query could not be stopped, "
                                      "so the rest of its rows were read and dropped");
    return outcome_;
  }

 private:
  MysqlSource& source_;
  MYSQL_RES* result_;
  std::vector<SourceColumn> columns_;
  int64_t rows_ = 0;
  bool ended_ = false;
  Status outcome_;
};

Result<std::unique_ptr<RowExport>> MysqlSource::Export(const ImportSpec& spec,
                                                       const std::vector<SourceColumn>& columns) {
  std::string select = SourceSelectList(columns, [](const std::string& name) { return QuoteMyIdent(name); });
  std::string where;
  if (!spec.incremental_column.empty() && spec.after_value) {
    where = " WHERE " + QuoteMyIdent(spec.incremental_column) + " > " + Literal(*spec.after_value);
  }
  std::string sql = "SELECT " + select + " FROM " + From(spec) + where;
  export_identity_ = ServerIdentity(conn_, &export_connection_id_);
  if (mysql_query(conn_, sql.c_str()) != 0) return Error("export failed");
  MYSQL_RES* result = mysql_use_result(conn_);
  if (!result) return Error("export failed");
  return std::unique_ptr<RowExport>(new MysqlExport(*this, result, columns));
}

}  // namespace

SourceColumn MapMysqlType(const MyType& t) {
  SourceColumn c;
  auto integer = [&](const char* sign, const char* unsign) { return std::string(t.is_unsigned ? unsign : sign); };
  switch (t.type) {
    case MYSQL_TYPE_TINY:
      if (t.length == 1 && !t.is_unsigned) {
        c.source_type = "tinyint(1)";
        c.duck_type = "BOOLEAN";
      } else {
        c.source_type = "tinyint";
        c.duck_type = integer("TINYINT", "UTINYINT");
      }
      break;
    case MYSQL_TYPE_SHORT: c.source_type = "smallint"; c.duck_type = integer("SMALLINT", "USMALLINT"); break;
    case MYSQL_TYPE_INT24: c.source_type = "mediumint"; c.duck_type = integer("INTEGER", "UINTEGER"); break;
    case MYSQL_TYPE_LONG: c.source_type = "int"; c.duck_type = integer("INTEGER", "UINTEGER"); break;
    case MYSQL_TYPE_LONGLONG: c.source_type = "bigint"; c.duck_type = integer("BIGINT", "UBIGINT"); break;
    case MYSQL_TYPE_YEAR: c.source_type = "year"; c.duck_type = "SMALLINT"; break;
    case MYSQL_TYPE_FLOAT: c.source_type = "float"; c.duck_type = "FLOAT"; break;
    case MYSQL_TYPE_DOUBLE: c.source_type = "double"; c.duck_type = "DOUBLE"; break;
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_DECIMAL: {
      // The protocol's length counts digits plus sign and point.
      int scale = static_cast<int>(t.decimals);
      int precision = static_cast<int>(t.length) - (scale > 0 ? 1 : 0) - (t.is_unsigned ? 0 : 1);
      c.source_type = "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
      if (precision <= 38 && precision > 0) {
        c.duck_type = "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
      } else {
        c.duck_type = "DOUBLE";
        c.note = c.source_type + " is wider than DECIMAL(38): stored as DOUBLE";
      }
      break;
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: c.source_type = "date"; c.duck_type = "DATE"; break;
    case MYSQL_TYPE_TIME: c.source_type = "time"; c.duck_type = "TIME"; break;
    case MYSQL_TYPE_DATETIME: c.source_type = "datetime"; c.duck_type = "TIMESTAMP"; break;
    case MYSQL_TYPE_TIMESTAMP:
      c.source_type = "timestamp";
      c.duck_type = "TIMESTAMP";
      c.note = "in the session time zone of the import (UTC)";
      break;
    case MYSQL_TYPE_JSON: c.source_type = "json"; c.duck_type = "JSON"; break;
    case MYSQL_TYPE_BIT:
      c.source_type = "bit";
      c.duck_type = "UBIGINT";
      c.source_expr = "({} + 0)";  // as a number, not its raw bytes
      break;
    case MYSQL_TYPE_ENUM: c.source_type = "enum"; c.duck_type = "VARCHAR"; break;
    case MYSQL_TYPE_SET: c.source_type = "set"; c.duck_type = "VARCHAR"; break;
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VARCHAR:
      if (t.format == "json") {
        c.source_type = "json";
        c.duck_type = "JSON";
      } else if (t.is_binary) {
        c.source_type = t.type == MYSQL_TYPE_STRING || t.type == MYSQL_TYPE_VAR_STRING ? "varbinary" : "blob";
        c.duck_type = "BLOB";
        c.wire = engine::WireType::kBlob;
      } else {
        c.source_type = t.type == MYSQL_TYPE_BLOB || t.type >= MYSQL_TYPE_TINY_BLOB ? "text" : "varchar";
        c.duck_type = "VARCHAR";
      }
      break;
    default:
      c.source_type = "type " + std::to_string(t.type);
      c.duck_type = "VARCHAR";
      c.note = "unrecognised MySQL type stored as its text form";
  }
  FinishMapping(c);
  return c;
}

Result<std::unique_ptr<Source>> ConnectMysql(const ConnectionParams& params) {
  LH_ASSIGN_OR_RETURN(MYSQL * conn, OpenMysql(params));
  auto source = std::make_unique<MysqlSource>(conn, params);
  // As for Postgres: the export reads the snapshot Describe saw (InnoDB),
  // and the metadata lock Describe takes keeps the table's columns as
  // described until the source is closed.
  // (READ ONLY needs MySQL 5.6 or MariaDB 10.0; older servers get the snapshot without it.)
  // The snapshot exists only under REPEATABLE READ, which a server may not default to.
  if (mysql_query(conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ") != 0) {
    return source->Error("cannot choose the isolation level");
  }
  if (mysql_query(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY") != 0 &&
      mysql_query(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT") != 0) {
    return source->Error("cannot start a transaction");
  }
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace lakehouse::connectors
