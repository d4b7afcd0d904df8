#include <gtest/gtest.h>

#include <libpq-fe.h>
#include <mysql.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/files.h"
#include "common/names.h"
#include "connectors/dsn.h"
#include "connectors/mysql_source.h"
#include "connectors/pg_binary.h"
#include "connectors/postgres_source.h"
#include "connectors/source.h"
#include "engine/database.h"
#include "fixtures.h"

namespace lakehouse::connectors {

// The DSNs of the real servers scripts/services.sh starts. Outside CI a
// missing server skips the test; in CI it fails it.
#define REQUIRE_SERVER(var, env)            \
  LH_REQUIRE_ENV(var##_dsn, env);           \
  auto var##_parsed = ParseDsn(var##_dsn);  \
  ASSERT_TRUE(var##_parsed.ok());           \
  auto var = std::optional(*var##_parsed)

namespace {

// An export run into DuckDB as an import runs it: the copy's status, the
// export's Finish, and each row's values as text ("NULL" for NULL).
struct ExportRun {
  Status copied;
  Status finished;
  std::vector<std::vector<std::string>> rows;
};

ExportRun RunExport(Source& source, const ImportSpec& spec, const std::vector<SourceColumn>& columns) {
  ExportRun run;
  auto db = engine::Database::Open({});
  EXPECT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  EXPECT_TRUE(conn.ok());
  std::string as_text;
  for (size_t i = 0; i < columns.size(); ++i) {
    as_text += std::string(i ? ", " : "") + "coalesce(CAST(" + QuoteIdent(columns[i].name) + " AS VARCHAR), 'NULL')";
  }
  fs::path file = fs::temp_directory_path() / ("lh_export_" + std::to_string(::getpid()) + ".parquet");
  auto exporter = source.Export(spec, columns);
  EXPECT_TRUE(exporter.ok()) << exporter.status().ToString();
  if (!exporter.ok()) return run;
  auto copied = (*conn)->CopyRowsToParquet(WireTypes(columns), **exporter, DuckSelectList(columns), file, "");
  run.copied = copied.status();
  run.finished = (*exporter)->Finish();
  if (copied.ok()) {
    auto r = (*conn)->Query("SELECT " + as_text + " FROM read_parquet(" + QuoteLiteral(file.string()) + ")");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    for (size_t row = 0; r.ok() && row < r->rows.size(); ++row) {
      run.rows.emplace_back();
      for (size_t c = 0; c < columns.size(); ++c) run.rows.back().push_back(r->Text(row, c));
    }
  }
  fs::remove(file);
  return run;
}

std::vector<std::vector<std::string>> ExportThroughDuckDb(Source& source, const ImportSpec& spec,
                                                          const std::vector<SourceColumn>& columns) {
  ExportRun run = RunExport(source, spec, columns);
  EXPECT_TRUE(run.copied.ok()) << run.copied.ToString();
  EXPECT_TRUE(run.finished.ok()) << run.finished.ToString();
  return run.rows;
}

}  // namespace

TEST(DsnTest, ParsesAndRedacts) {
  auto p = ParseDsn("postgresql://bob:p%40ss@db.example:6543/shop?sslmode=disable");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->system, "postgres");
  EXPECT_EQ(p->user, "bob");
  EXPECT_EQ(p->password, "p@ss");
  EXPECT_EQ(p->host, "db.example");
  EXPECT_EQ(p->port, 6543);
  EXPECT_EQ(p->database, "shop");
  EXPECT_EQ(p->Redacted(), "postgresql://bob:***@db.example:6543/shop");
  EXPECT_EQ(p->sslmode, "disable");
  auto m = ParseDsn("mysql://root@localhost/x");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->EffectivePort(), 3306);
  EXPECT_EQ(m->Redacted(), "mysql://root@localhost:3306/x");
}

TEST(DsnTest, QueryParametersAreUsedOrRefusedNeverIgnored) {
  auto p = ParseDsn("postgresql://h:5432/db?user=ann&password=top%26secret");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user, "ann");
  EXPECT_EQ(p->password, "top&secret");
  auto m = ParseDsn("mysql://bob@h/db?password=pw");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->password, "pw");
  for (const char* bad : {"postgresql://h/db?connect_timeout=1&password=topsecret", "mysql://h/db?sslmode=require",
                          "postgresql://h/db?sslmode=sometimes"}) {
    auto r = ParseDsn(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().find("topsecret"), std::string::npos);
  }
  EXPECT_NE(ParseDsn("mysql://h/db?charset=x").status().message().find("user and password only"), std::string::npos);
}

TEST(DsnTest, PasswordsFromAFileOrTheEnvironment) {
  fs::path file = fs::temp_directory_path() / ("lh_pw_" + std::to_string(::getpid()));
  { std::ofstream(file) << "from-file\r\nsecond line\n"; }
  auto p = ParseDsn("postgresql://ann@h/db");
  ASSERT_TRUE(FillPassword(*p, file.string()).ok());
  EXPECT_EQ(p->password, "from-file");
  auto twice = ParseDsn("postgresql://ann:pw@h/db");
  EXPECT_EQ(FillPassword(*twice, file.string()).code(), StatusCode::kInvalidArgument);
  auto missing = ParseDsn("postgresql://ann@h/db");
  EXPECT_EQ(FillPassword(*missing, "/nonexistent/pw").code(), StatusCode::kInvalidArgument);
  ::setenv("LAKEHOUSE_SOURCE_PASSWORD", "from-env", 1);
  auto env = ParseDsn("mysql://ann@h/db");
  ASSERT_TRUE(FillPassword(*env, "").ok());
  EXPECT_EQ(env->password, "from-env");
  ::unsetenv("LAKEHOUSE_SOURCE_PASSWORD");
  fs::remove(file);
}

TEST(DsnTest, RejectsBadDsnsWithoutEchoingPasswords) {
  auto odd = ParseDsn("postgresql://alice:s3cr/et?x#y@db.example:5432/prod");
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  EXPECT_EQ(odd->password, "s3cr/et?x#y");
  EXPECT_EQ(odd->host, "db.example");
  EXPECT_EQ(odd->database, "prod");
  for (const char* bad : {"postgresql://u:topsecret@h:99999/db", "postgresql://u:top/secret@h:0/db", "ftp://u:topsecret@h/db", "u:topsecret@h/db",
                          "postgresql://u:topsecret@h:5432"}) {
    auto p = ParseDsn(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().message().find("topsecret"), std::string::npos) << p.status().message();
  }
}

TEST(TypeMapTest, Postgres) {
  EXPECT_EQ(MapPostgresType({"int8"}).duck_type, "BIGINT");
  EXPECT_EQ(MapPostgresType({"numeric", 'b', ((12 << 16) | 2) + 4}).duck_type, "DECIMAL(12,2)");
  auto wide = MapPostgresType({"numeric", 'b', ((50 << 16) | 2) + 4});
  EXPECT_EQ(wide.duck_type, "DOUBLE");
  EXPECT_FALSE(wide.note.empty());
  EXPECT_EQ(MapPostgresType({"numeric"}).duck_type, "DOUBLE");
  EXPECT_EQ(MapPostgresType({"_int4", 'b', -1, "int4", 'b'}).duck_type, "INTEGER[]");
  EXPECT_EQ(MapPostgresType({"mood", 'e'}).duck_type, "VARCHAR");
  EXPECT_EQ(MapPostgresType({"jsonb"}).duck_type, "JSON");
  EXPECT_EQ(MapPostgresType({"bytea"}).wire, engine::WireType::kBlob);
  EXPECT_EQ(MapPostgresType({"bytea"}).duck_expr, "{}");
  EXPECT_EQ(MapPostgresType({"numeric", 'b', ((12 << 16) | 2) + 4}).source_expr, "{}::pg_catalog.text");
  EXPECT_EQ(MapPostgresType({"numeric", 'b', ((12 << 16) | 2) + 4}).duck_expr, "CAST({} AS DECIMAL(12,2))");
  EXPECT_EQ(MapPostgresType({"_int4", 'b', -1, "int4", 'b'}).duck_expr, "CAST(CAST({} AS JSON) AS INTEGER[])");
  EXPECT_EQ(MapPostgresType({"mood", 'e'}).source_expr, "{}::pg_catalog.text");
  EXPECT_EQ(MapPostgresType({"int8"}).source_expr, "{}::pg_catalog.int8");
  EXPECT_EQ(MapPostgresType({"bpchar"}).source_expr, "{}::pg_catalog.bpchar");
  EXPECT_EQ(MapPostgresType({"char"}).wire, engine::WireType::kVarchar);  // the one-byte "char": as text
  EXPECT_EQ(MapPostgresType({"char"}).source_expr, "{}::pg_catalog.text");
  // A user type that shares a built-in's name is not decoded as the built-in.
  PgType impostor{"int4", 'c'};
  impostor.builtin = false;
  EXPECT_EQ(MapPostgresType(impostor).duck_type, "VARCHAR");
  EXPECT_EQ(MapPostgresType(impostor).wire, engine::WireType::kVarchar);
  EXPECT_EQ(MapPostgresType(impostor).source_expr, "{}::pg_catalog.text");
  EXPECT_FALSE(MapPostgresType(impostor).note.empty());
  PgType impostor_elements{"_int4", 'b', -1, "int4", 'c'};
  impostor_elements.element_builtin = false;
  EXPECT_EQ(MapPostgresType(impostor_elements).duck_type, "VARCHAR[]");
  // Servers built with floating-point datetimes send times as text.
  PgType float_times{"timestamp"};
  float_times.integer_datetimes = false;
  EXPECT_EQ(MapPostgresType(float_times).wire, engine::WireType::kVarchar);
  EXPECT_EQ(MapPostgresType(float_times).source_expr, "{}::pg_catalog.text");
  EXPECT_EQ(MapPostgresType(float_times).duck_expr, "CAST({} AS TIMESTAMP)");
  EXPECT_EQ(MapPostgresType({"timestamptz"}).duck_type, "TIMESTAMP WITH TIME ZONE");
}

TEST(TypeMapTest, Mysql) {
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_TINY, 1}).duck_type, "BOOLEAN");
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_TINY, 4}).duck_type, "TINYINT");
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_LONGLONG, 20, 0, true}).duck_type, "UBIGINT");
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_NEWDECIMAL, 14, 2}).duck_type, "DECIMAL(12,2)");
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_BLOB, 65535, 0, false, true}).duck_type, "BLOB");
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_BLOB, 65535, 0, false, false}).duck_type, "VARCHAR");
  EXPECT_EQ(MapMysqlType({MYSQL_TYPE_BLOB, 65535, 0, false, false, "json"}).duck_type, "JSON");
}

TEST(SourceTest, PostgresConnectFailuresNameHostAndHideSecrets) {
  REQUIRE_SERVER(server, "LAKEHOUSE_TEST_PG_DSN");
  ConnectionParams wrong = *server;
  wrong.password = "not-the-password-42";
  auto r = Connect(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(wrong.Endpoint()), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("not-the-password-42"), std::string::npos);
  ConnectionParams closed = *server;
  closed.port = 1;
  auto refused = Connect(closed);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("127.0.0.1:1"), std::string::npos) << refused.status().message();
}

TEST(SourceTest, PostgresDescribeAndExport) {
  REQUIRE_SERVER(server, "LAKEHOUSE_TEST_PG_DSN");
  auto src = Connect(*server);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.query = "SELECT 1::int AS a, 'x,\"y\"'::text AS b, NULL::text AS c, ''::text AS d, ARRAY[1,2] AS e, "
               "DATE 'infinity' AS f, TIMESTAMP '1999-12-31 23:59:59.5' AS g, 2.50::numeric(5,2) AS h, "
               "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS i, '\\x00ff'::bytea AS j, -1.5::float4 AS k";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ASSERT_EQ(columns->size(), 11u);
  EXPECT_EQ((*columns)[0].duck_type, "INTEGER");
  EXPECT_EQ((*columns)[4].duck_type, "INTEGER[]");
  auto rows = ExportThroughDuckDb(**src, spec, *columns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "x,\"y\"", "NULL", "", "[1, 2]", "infinity", "1999-12-31 23:59:59.5",
                                               "2.50", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\\x00\\xFF", "-1.5"}));
}

TEST(SourceTest, PostgresTimestampsAtTheEdges) {
  REQUIRE_SERVER(server, "LAKEHOUSE_TEST_PG_DSN");
  auto src = Connect(*server);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.query = "SELECT TIMESTAMP 'infinity' AS a, TIMESTAMPTZ '-infinity' AS b, DATE '-infinity' AS c, "
               "TIMESTAMP '0001-01-01 00:00:00' AS d, TIMESTAMP '4713-01-01 BC' AS e";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  auto rows = ExportThroughDuckDb(**src, spec, *columns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"infinity", "-infinity", "-infinity", "0001-01-01 00:00:00",
                                               "4713-01-01 (BC) 00:00:00"}));

  // Postgres reaches a few decades further than DuckDB: such a value fails, naming its column.
  spec.query = "SELECT 1 AS id, TIMESTAMP '294270-01-01' AS far";
  columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok());
  auto db = engine::Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto exporter = (*src)->Export(spec, *columns);
  ASSERT_TRUE(exporter.ok());
  auto copied = (*conn)->CopyRowsToParquet({engine::WireType::kInteger, engine::WireType::kTimestamp}, **exporter,
                                           "*", fs::temp_directory_path() / "lh_far.parquet", "");
  ASSERT_FALSE(copied.ok());
  EXPECT_NE(copied.status().message().find("'far'"), std::string::npos) << copied.status().message();
  EXPECT_FALSE((*exporter)->Finish().ok());  // cancelled mid-stream; the connection stays usable
  EXPECT_TRUE((*src)->Describe(spec).ok());
  fs::remove(fs::temp_directory_path() / "lh_far.parquet");
}

// A bad value in the first of five million rows: DuckDB stops at once, and
// the server is told to stop instead of sending the rest to be dropped.
TEST(SourceTest, PostgresEarlyStopCancelsTheQuery) {
  REQUIRE_SERVER(server, "LAKEHOUSE_TEST_PG_DSN");
  auto src = Connect(*server);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.query = "SELECT g AS id, (CASE WHEN g = 1 THEN 'NaN' ELSE g::text END)::numeric(10,2) AS amount "
               "FROM generate_series(1, 5000000) g";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ExportRun run = RunExport(**src, spec, *columns);
  EXPECT_FALSE(run.copied.ok());
  EXPECT_NE(run.copied.message().find("NaN"), std::string::npos) << run.copied.message();
  EXPECT_NE(run.finished.message().find("postgres cancelled it"), std::string::npos) << run.finished.message();
  EXPECT_TRUE((*src)->Describe(spec).ok());  // the connection is still usable
}

TEST(SourceTest, MysqlEarlyStopKillsTheQuery) {
  REQUIRE_SERVER(server, "LAKEHOUSE_TEST_MYSQL_DSN");
  auto src = Connect(*server);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.query = "SELECT seq AS id, IF(seq = 1, TIME '838:00:00', TIME '01:00:00') AS t FROM seq_1_to_5000000";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ASSERT_EQ((*columns)[1].duck_type, "TIME");
  ExportRun run = RunExport(**src, spec, *columns);
  EXPECT_FALSE(run.copied.ok());
  EXPECT_NE(run.copied.message().find("838:00:00"), std::string::npos) << run.copied.message();
  EXPECT_NE(run.finished.message().find("mysql stopped the query"), std::string::npos) << run.finished.message();
  EXPECT_TRUE((*src)->Describe(spec).ok());
}

// The TCP keepalive settings (enabled, idle seconds) of this process's
// socket connected to `port` on the loopback; {-1, -1} when there is none.
std::pair<int, int> KeepaliveToPort(int port) {
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 || peer.sin_family != AF_INET ||
        ntohs(peer.sin_port) != port) {
      continue;
    }
    int on = 0, idle = 0;
    socklen_t size = sizeof on;
    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &size);
    size = sizeof idle;
    getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &size);
    return {on, idle};
  }
  return {-1, -1};
}

TEST(SourceTest, ConnectionsProbeAVanishedServer) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  REQUIRE_SERVER(my, "LAKEHOUSE_TEST_MYSQL_DSN");
  for (const auto& params : {*pg, *my}) {
    if (params.host != "127.0.0.1") GTEST_SKIP() << "needs the test servers on 127.0.0.1";
    auto src = Connect(params);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    EXPECT_EQ(KeepaliveToPort(params.EffectivePort()), std::make_pair(1, 30)) << params.system;
  }
}

// Runs SQL on its own Postgres connection; the error message, or "" on success.
std::string PgExec(const ConnectionParams& p, const std::string& sql) {
  std::string conninfo = "host=" + p.host + " port=" + std::to_string(p.EffectivePort()) + " user=" + p.user +
                         " password=" + p.password + " dbname=" + p.database;
  PGconn* conn = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(r);
  std::string error = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? "" : PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  return error;
}

// The export reads the snapshot Describe saw, and the table's column types
// cannot change in between.
TEST(SourceTest, PostgresDescribeAndExportShareOneSnapshot) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  ASSERT_EQ(PgExec(*pg, "DROP TABLE IF EXISTS snap_t; CREATE TABLE snap_t (id int, v int); "
                        "INSERT INTO snap_t SELECT g, g FROM generate_series(1, 3) g"), "");
  auto src = Connect(*pg);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.table = "snap_t";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ(PgExec(*pg, "INSERT INTO snap_t VALUES (4, 4)"), "");
  std::string altered = PgExec(*pg, "SET lock_timeout = '200ms'; ALTER TABLE snap_t ALTER COLUMN v TYPE text");
  EXPECT_NE(altered.find("lock timeout"), std::string::npos) << altered;
  auto rows = ExportThroughDuckDb(**src, spec, *columns);
  EXPECT_EQ(rows.size(), 3u);  // the row inserted after Describe is not in its snapshot
  src->reset();
  EXPECT_EQ(PgExec(*pg, "DROP TABLE snap_t"), "");
}

// A table import that waits behind a TRUNCATE and reload (one transaction
// on the source) must export the reloaded rows, not an empty table: its
// snapshot is taken after the lock, not before.
TEST(SourceTest, PostgresImportBehindATruncateAndReloadSeesTheNewRows) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  ASSERT_EQ(PgExec(*pg, "DROP TABLE IF EXISTS reload_t; CREATE TABLE reload_t AS SELECT g AS id FROM "
                        "generate_series(1, 3) g"), "");
  std::string conninfo = "host=" + pg->host + " port=" + std::to_string(pg->EffectivePort()) + " user=" + pg->user +
                         " password=" + pg->password + " dbname=" + pg->database;
  PGconn* loader = PQconnectdb(conninfo.c_str());
  ASSERT_EQ(PQstatus(loader), CONNECTION_OK);
  PQclear(PQexec(loader, "BEGIN; TRUNCATE reload_t; INSERT INTO reload_t SELECT g FROM generate_series(1, 5) g"));
  auto src = Connect(*pg);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.table = "reload_t";
  std::vector<std::vector<std::string>> rows;
  std::thread import([&] {
    auto columns = (*src)->Describe(spec);  // waits for the loader's lock
    ASSERT_TRUE(columns.ok()) << columns.status().ToString();
    rows = ExportThroughDuckDb(**src, spec, *columns);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  PQclear(PQexec(loader, "COMMIT"));
  import.join();
  PQfinish(loader);
  EXPECT_EQ(rows.size(), 5u);
  src->reset();
  EXPECT_EQ(PgExec(*pg, "DROP TABLE reload_t"), "");
}

TEST(SourceTest, MysqlDescribeAndExportShareOneSnapshot) {
  REQUIRE_SERVER(my, "LAKEHOUSE_TEST_MYSQL_DSN");
  auto exec = [&](const std::string& sql) {
    MYSQL* conn = mysql_init(nullptr);
    EXPECT_TRUE(mysql_real_connect(conn, my->host.c_str(), my->user.c_str(), my->password.c_str(),
                                   my->database.c_str(), my->EffectivePort(), nullptr, CLIENT_MULTI_STATEMENTS));
    std::string error = mysql_query(conn, sql.c_str()) == 0 ? "" : mysql_error(conn);
    do {
      if (MYSQL_RES* res = mysql_store_result(conn)) mysql_free_result(res);
    } while (mysql_next_result(conn) == 0);
    if (error.empty() && mysql_errno(conn) != 0) error = mysql_error(conn);
    mysql_close(conn);
    return error;
  };
  ASSERT_EQ(exec("DROP TABLE IF EXISTS snap_t; CREATE TABLE snap_t (id int, v int) ENGINE=InnoDB; "
                 "INSERT INTO snap_t VALUES (1, 1), (2, 2), (3, 3)"), "");
  auto src = Connect(*my);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.table = "snap_t";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_EQ(exec("INSERT INTO snap_t VALUES (4, 4)"), "");
  std::string altered = exec("SET SESSION lock_wait_timeout = 1; ALTER TABLE snap_t MODIFY v text");
  EXPECT_NE(altered.find("Lock wait timeout"), std::string::npos) << altered;
  auto rows = ExportThroughDuckDb(**src, spec, *columns);
  EXPECT_EQ(rows.size(), 3u);
  src->reset();
  EXPECT_EQ(exec("DROP TABLE snap_t"), "");
}

TEST(SourceTest, MysqlDescribeAndExport) {
  REQUIRE_SERVER(server, "LAKEHOUSE_TEST_MYSQL_DSN");
  auto src = Connect(*server);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ImportSpec spec;
  spec.query = "SELECT CAST(1 AS SIGNED) AS a, 'x,\"y\"' AS b, NULL AS c, '' AS d";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  EXPECT_TRUE((*columns)[0].duck_type == "BIGINT" || (*columns)[0].duck_type == "INTEGER");
  auto rows = ExportThroughDuckDb(**src, spec, *columns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "x,\"y\"", "NULL", ""}));
  ConnectionParams wrong = *server;
  wrong.password = "not-the-password-42";
  auto bad = Connect(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("not-the-password-42"), std::string::npos);
  EXPECT_NE(bad.status().message().find(wrong.Endpoint()), std::string::npos);
}

namespace {

// Binary COPY messages built by hand, fed to the decoder the way an export
// feeds it, so that the decoding and every malformed case run without a server.
class MessageBuilder {
 public:
  MessageBuilder& Header() {
    bytes_.append("PGCOPY\n\377\r\n", 11);
    U32(0);
    U32(0);
    return *this;
  }
  MessageBuilder& Fields(int16_t n) { return U16(static_cast<uint16_t>(n)); }
  MessageBuilder& Null() { return U32(0xFFFFFFFFu); }
  MessageBuilder& Int16(int16_t v) { U32(2); return U16(static_cast<uint16_t>(v)); }
  MessageBuilder& Int32(int32_t v) { U32(4); return U32(static_cast<uint32_t>(v)); }
  MessageBuilder& Int64(int64_t v) {
    U32(8);
    U32(static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
    return U32(static_cast<uint32_t>(v));
  }
  MessageBuilder& Bytes(const std::string& v) {
    U32(static_cast<uint32_t>(v.size()));
    bytes_ += v;
    return *this;
  }
  MessageBuilder& Raw(const std::string& v) {
    bytes_ += v;
    return *this;
  }
  std::string Take() { return std::move(bytes_); }

 private:
  MessageBuilder& U16(uint16_t v) {
    bytes_ += static_cast<char>(v >> 8);
    bytes_ += static_cast<char>(v & 0xFF);
    return *this;
  }
  MessageBuilder& U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    return U16(static_cast<uint16_t>(v & 0xFFFF));
  }
  std::string bytes_;
};

class MessageProducer : public engine::RowProducer {
 public:
  MessageProducer(std::vector<SourceColumn> columns, std::vector<std::string> messages)
      : decoder_(std::move(columns)), messages_(std::move(messages)) {}
  Result<size_t> Fill(engine::ChunkSink& sink) override {
    size_t n = 0;
    for (; next_ < messages_.size() && n < sink.capacity(); ++next_) {
      const std::string& m = messages_[next_];
      LH_ASSIGN_OR_RETURN(bool row, decoder_.Decode(m.data(), m.size(), sink, n, rows_ + 1));
      if (row) ++n, ++rows_;
    }
    return n;
  }

 private:
  PgBinaryDecoder decoder_;
  std::vector<std::string> messages_;
  size_t next_ = 0;
  int64_t rows_ = 0;
};

SourceColumn Column(const std::string& name, engine::WireType wire) {
  SourceColumn c;
  c.name = name;
  c.wire = wire;
  return c;
}

// Decodes `messages` through DuckDB; the rows as text, or the error.
Result<std::vector<std::string>> DecodeThroughDuckDb(const std::vector<SourceColumn>& columns,
                                                     std::vector<std::string> messages) {
  auto db = engine::Database::Open({});
  if (!db.ok()) return db.status();
  LH_ASSIGN_OR_RETURN(auto conn, (*db)->Connect());
  LH_RETURN_IF_ERROR(conn->Execute("SET TimeZone = 'UTC'"));
  std::vector<engine::WireType> wire;
  std::string select;
  for (size_t i = 0; i < columns.size(); ++i) {
    wire.push_back(columns[i].wire);
    select += std::string(i ? " || '|' || " : "") + "coalesce(CAST(c" + std::to_string(i) + " AS VARCHAR), 'NULL')";
  }
  MessageProducer producer(columns, std::move(messages));
  fs::path file = fs::temp_directory_path() / ("lh_decode_" + std::to_string(::getpid()) + ".parquet");
  auto copied = conn->CopyRowsToParquet(wire, producer, select + " AS line", file, "");
  if (!copied.ok()) return copied.status();
  LH_ASSIGN_OR_RETURN(auto r, conn->Query("SELECT line FROM read_parquet(" + QuoteLiteral(file.string()) + ")"));
  fs::remove(file);
  std::vector<std::string> lines;
  for (size_t i = 0; i < r.rows.size(); ++i) lines.push_back(r.Text(i, 0));
  return lines;
}

}  // namespace

TEST(PgBinaryTest, DecodesValuesIntoDuckDbsLayout) {
  using engine::WireType;
  std::vector<SourceColumn> columns = {Column("s", WireType::kSmallint), Column("i", WireType::kInteger),
                                       Column("b", WireType::kBigint),   Column("o", WireType::kUInteger),
                                       Column("d", WireType::kDate),     Column("ts", WireType::kTimestamp),
                                       Column("tz", WireType::kTimestampTz), Column("t", WireType::kVarchar)};
  std::vector<std::string> messages;
  // The header shares the first row's message, as Postgres sends it.
  messages.push_back(MessageBuilder()
                         .Header()
                         .Fields(8)
                         .Int16(-2)
                         .Int32(-70000)
                         .Int64(-5000000000LL)
                         .Int32(static_cast<int32_t>(4000000000u))
                         .Int32(-10958)                    // 1969-12-31
                         .Int64(-946684800000001LL)        // 1969-12-31 23:59:59.999999
                         .Int64(0)                         // 2000-01-01 00:00:00 UTC
                         .Bytes("h\xC3\xA9llo")
                         .Take());
  messages.push_back(MessageBuilder().Fields(8).Null().Null().Null().Null().Null().Null().Null().Null().Take());
  messages.push_back(MessageBuilder().Fields(-1).Take());  // the trailer
  auto lines = DecodeThroughDuckDb(columns, messages);
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[0], "-2|-70000|-5000000000|4000000000|1969-12-31|1969-12-31 23:59:59.999999|"
                         "2000-01-01 00:00:00+00|h\xC3\xA9llo");
  EXPECT_EQ((*lines)[1], "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
}

TEST(PgBinaryTest, DecodesTheOtherFixedWidthTypesAndInfinity) {
  using engine::WireType;
  std::vector<SourceColumn> columns = {Column("b", WireType::kBoolean), Column("f", WireType::kFloat),
                                       Column("g", WireType::kDouble),  Column("u", WireType::kUuid),
                                       Column("t", WireType::kTime),    Column("x", WireType::kBlob),
                                       Column("d", WireType::kDate),    Column("ts", WireType::kTimestamp)};
  auto float_bits = [](float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return static_cast<int32_t>(bits);
  };
  auto double_bits = [](double v) {
    int64_t bits;
    std::memcpy(&bits, &v, 8);
    return bits;
  };
  std::string uuid("\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11", 16);
  auto row = [&](bool b, int32_t days, int64_t micros) {
    return MessageBuilder()
        .Fields(8)
        .Bytes(std::string(1, b ? '\1' : '\0'))
        .Int32(float_bits(-1.5f))
        .Int64(double_bits(0.1))
        .Bytes(uuid)
        .Int64(45296000001LL)  // 12:34:56.000001
        .Bytes(std::string("\0\xff", 2))
        .Int32(days)
        .Int64(micros)
        .Take();
  };
  auto lines = DecodeThroughDuckDb(columns, {MessageBuilder().Header().Take(), row(true, 2147483647, INT64_MAX),
                                             row(false, INT32_MIN, INT64_MIN), MessageBuilder().Fields(-1).Take()});
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 2u);
  std::string fixed = "-1.5|0.1|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|12:34:56.000001|\\x00\\xFF|";
  EXPECT_EQ((*lines)[0], "true|" + fixed + "infinity|infinity");
  EXPECT_EQ((*lines)[1], "false|" + fixed + "-infinity|-infinity");

  // A header and a trailer in one message: no rows. Bytes after the trailer are refused.
  auto empty = DecodeThroughDuckDb(columns, {MessageBuilder().Header().Fields(-1).Take()});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  auto trailing = DecodeThroughDuckDb(columns, {MessageBuilder().Header().Fields(-1).Raw("x").Take()});
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("after the trailer"), std::string::npos);
}

TEST(PgBinaryTest, RefusesMalformedStreamsAndBadText) {
  using engine::WireType;
  std::vector<SourceColumn> columns = {Column("id", WireType::kInteger), Column("name", WireType::kVarchar)};
  auto header = [] { return MessageBuilder().Header().Take(); };
  auto fails_with = [&](std::vector<std::string> messages, const std::string& expected) {
    auto lines = DecodeThroughDuckDb(columns, std::move(messages));
    ASSERT_FALSE(lines.ok()) << expected;
    EXPECT_NE(lines.status().message().find(expected), std::string::npos) << lines.status().message();
  };
  fails_with({MessageBuilder().Raw("PGCOPX\n\377\r\n").Raw(std::string(8, '\0')).Take()}, "no header");
  fails_with({header(), MessageBuilder().Fields(3).Int32(1).Bytes("a").Null().Take()}, "3 fields for 2 columns");
  fails_with({header(), MessageBuilder().Fields(2).Int32(1).Take()}, "short row");
  fails_with({header(), MessageBuilder().Fields(2).Int32(1).Raw(std::string("\0\0\0\x09ab", 6)).Take()},
             "field length");
  fails_with({header(), MessageBuilder().Fields(2).Int16(1).Bytes("a").Take()}, "2 bytes for a INTEGER in column id");
  fails_with({header(), MessageBuilder().Fields(2).Int32(1).Bytes("a").Raw("x").Take()}, "bytes after the last field");
  fails_with({header(), MessageBuilder().Fields(2).Int32(1).Bytes("ok").Take(),
              MessageBuilder().Fields(2).Int32(2).Bytes("bad \xC3\x28").Take()},
             "column 'name' row 2 holds text that is not valid UTF-8");
}

}  // namespace lakehouse::connectors
