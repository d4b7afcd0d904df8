#include <gtest/gtest.h>

#include <mysql.h>

#include <cstdlib>

#include "connectors/dsn.h"
#include "connectors/mysql_source.h"
#include "connectors/postgres_source.h"
#include "connectors/source.h"
#include "fixtures.h"

namespace lakehouse::connectors {

// The DSNs of the real servers scripts/services.sh starts. Outside CI a
// missing server skips the test; in CI it fails it.
#define REQUIRE_SERVER(var, env)            \
  LH_REQUIRE_ENV(var##_dsn, env);           \
  auto var##_parsed = ParseDsn(var##_dsn);  \
  ASSERT_TRUE(var##_parsed.ok());           \
  auto var = std::optional(*var##_parsed)

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
  EXPECT_EQ(MapPostgresType({"bytea"}).duck_expr, "unhex({})");
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
  spec.query = "SELECT 1::int AS a, 'x,\"y\"'::text AS b, NULL::text AS c, ''::text AS d, ARRAY[1,2] AS e";
  auto columns = (*src)->Describe(spec);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ASSERT_EQ(columns->size(), 5u);
  EXPECT_EQ((*columns)[0].duck_type, "INTEGER");
  EXPECT_EQ((*columns)[4].duck_type, "INTEGER[]");
  std::string csv;
  auto rows = (*src)->ExportCsv(spec, *columns, [&](const char* d, size_t n) {
    csv.append(d, n);
    return true;
  });
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 1);
  EXPECT_EQ(csv, "1,\"x,\"\"y\"\"\",,\"\",\"[1,2]\"\n");
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
  std::string csv;
  auto rows = (*src)->ExportCsv(spec, *columns, [&](const char* d, size_t n) {
    csv.append(d, n);
    return true;
  });
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(csv, "\"1\",\"x,\"\"y\"\"\",,\"\"\n");
  ConnectionParams wrong = *server;
  wrong.password = "not-the-password-42";
  auto bad = Connect(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("not-the-password-42"), std::string::npos);
  EXPECT_NE(bad.status().message().find(wrong.Endpoint()), std::string::npos);
}

}  // namespace lakehouse::connectors
