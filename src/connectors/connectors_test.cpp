#include <gtest/gtest.h>

#include <mysql.h>

#include <unistd.h>

#include <cstdlib>

#include "common/files.h"
#include "common/names.h"
#include "connectors/dsn.h"
#include "connectors/mysql_source.h"
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

// Runs an export into DuckDB as an import does and returns each row's
// values as text ("NULL" for NULL), in source order.
std::vector<std::vector<std::string>> ExportThroughDuckDb(Source& source, const ImportSpec& spec,
                                                          const std::vector<SourceColumn>& columns) {
  auto db = engine::Database::Open({});
  EXPECT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  EXPECT_TRUE(conn.ok());
  std::vector<engine::WireType> wire;
  std::string select, as_text;
  for (size_t i = 0; i < columns.size(); ++i) {
    std::string expr = columns[i].duck_expr;
    expr.replace(expr.find("{}"), 2, "c" + std::to_string(i));
    select += (i ? ", " : "") + expr + " AS v" + std::to_string(i);
    as_text += std::string(i ? ", " : "") + "coalesce(CAST(v" + std::to_string(i) + " AS VARCHAR), 'NULL')";
    wire.push_back(columns[i].wire);
  }
  fs::path file = fs::temp_directory_path() / ("lh_export_" + std::to_string(::getpid()) + ".parquet");
  auto exporter = source.Export(spec, columns);
  EXPECT_TRUE(exporter.ok()) << exporter.status().ToString();
  if (!exporter.ok()) return {};
  auto copied = (*conn)->CopyRowsToParquet(wire, **exporter, select, file, "");
  EXPECT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_TRUE((*exporter)->Finish().ok());
  auto r = (*conn)->Query("SELECT " + as_text + " FROM read_parquet(" + QuoteLiteral(file.string()) + ")");
  fs::remove(file);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::vector<std::string>> rows;
  for (size_t row = 0; r.ok() && row < r->rows.size(); ++row) {
    rows.emplace_back();
    for (size_t c = 0; c < columns.size(); ++c) rows.back().push_back(r->Text(row, c));
  }
  return rows;
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
  auto m = ParseDsn("mysql://root@localhost/x");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->EffectivePort(), 3306);
  EXPECT_EQ(m->Redacted(), "mysql://root@localhost:3306/x");
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
  EXPECT_EQ(MapPostgresType({"numeric", 'b', ((12 << 16) | 2) + 4}).source_expr, "{}::text");
  EXPECT_EQ(MapPostgresType({"numeric", 'b', ((12 << 16) | 2) + 4}).duck_expr, "CAST({} AS DECIMAL(12,2))");
  EXPECT_EQ(MapPostgresType({"_int4", 'b', -1, "int4", 'b'}).duck_expr, "CAST(CAST({} AS JSON) AS INTEGER[])");
  EXPECT_EQ(MapPostgresType({"mood", 'e'}).source_expr, "{}::text");
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

}  // namespace lakehouse::connectors
