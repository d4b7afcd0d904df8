// Imports from the real PostgreSQL and MariaDB servers that scripts/services.sh
// starts, and checks the dataset against the source column by column:
// non-null counts, sums, min/max and an MD5 over every value's text form.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <mysql.h>

#include <cstdlib>

#include "engine/query_engine.h"
#include "fixtures.h"
#include "ingest/ingest_fixture.h"

namespace lakehouse::ingest {

namespace {

#define REQUIRE_SERVER(var, env)                    \
  LH_REQUIRE_ENV(var##_dsn, env);                   \
  auto var##_parsed = connectors::ParseDsn(var##_dsn); \
  ASSERT_TRUE(var##_parsed.ok());                   \
  auto var = std::optional(*var##_parsed)

// Runs SQL on the source and returns the first row's cells as text.
std::vector<std::string> PgRun(const connectors::ConnectionParams& p, const std::string& sql) {
  std::string conninfo = "host=" + p.host + " port=" + std::to_string(p.port) + " user=" + p.user +
                         " password=" + p.password + " dbname=" + p.database + " options='-c TimeZone=UTC -c extra_float_digits=3'";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) << PQerrorMessage(conn) << sql;
  std::vector<std::string> row;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
    for (int i = 0; i < PQnfields(r); ++i) row.push_back(PQgetisnull(r, 0, i) ? "NULL" : PQgetvalue(r, 0, i));
  }
  PQclear(r);
  PQfinish(conn);
  return row;
}

std::vector<std::string> MyRun(const connectors::ConnectionParams& p, const std::string& sql) {
  MYSQL* conn = mysql_init(nullptr);
  mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  EXPECT_TRUE(mysql_real_connect(conn, p.host.c_str(), p.user.c_str(), p.password.c_str(), p.database.c_str(),
                                 p.port, nullptr, CLIENT_MULTI_STATEMENTS));
  std::vector<std::string> row;
  mysql_query(conn, "SET SESSION group_concat_max_len = 1073741824");
  EXPECT_EQ(mysql_query(conn, sql.c_str()), 0) << mysql_error(conn) << sql;
  do {
    MYSQL_RES* res = mysql_store_result(conn);
    if (res) {
      if (MYSQL_ROW r = mysql_fetch_row(res); r && row.empty()) {
        for (unsigned i = 0; i < mysql_num_fields(res); ++i) row.push_back(r[i] ? r[i] : "NULL");
      }
      mysql_free_result(res);
    }
  } while (mysql_next_result(conn) == 0);
  mysql_close(conn);
  return row;
}

// One column's fingerprint, as SQL for the source and for DuckDB.
struct Check {
  std::string column, source_expr, duck_expr;
  bool numeric = false;
};

}  // namespace

class DbImportTest : public IngestFixture {
 protected:

  Result<IngestResult> Import(const connectors::ConnectionParams& p, const std::string& table,
                              const std::string& incremental = "", const std::string& name = "") {
    DbImportRequest req;
    req.connection = p;
    req.spec.table = table;
    req.spec.incremental_column = incremental;
    req.dataset = name;
    return ingestor_->ImportDatabase(req);
  }
  std::vector<std::string> Duck(const std::string& sql) {
    auto r = engine_->Run({sql, -1, -1});
    EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n" << sql;
    std::vector<std::string> row;
    if (r.ok() && !r->rows.empty()) {
      for (size_t i = 0; i < r->columns.size(); ++i) {
        row.push_back(std::holds_alternative<std::monostate>(r->rows[0][i]) ? "NULL" : r->Text(0, i));
      }
    }
    return row;
  }
  // Compares count, sum/min/max (numeric) and an MD5 of all values in id order.
  void ExpectSameData(const std::function<std::vector<std::string>(const std::string&)>& source,
                      const std::string& source_table, const std::string& dataset, const std::vector<Check>& checks,
                      bool mysql = false) {
    EXPECT_EQ(source("SELECT count(*) FROM " + source_table), Duck("SELECT count(*) FROM " + dataset));
    for (const auto& c : checks) {
      std::string agg_src = "count(" + c.column + "), md5(" +
                            (mysql ? "GROUP_CONCAT(coalesce(" + c.source_expr + ", 'NULL') ORDER BY id SEPARATOR '|')"
                                   : "string_agg(coalesce(" + c.source_expr + ", 'NULL'), '|' ORDER BY id)") + ")";
      std::string agg_duck = "count(\"" + c.column + "\"), md5(string_agg(coalesce(" + c.duck_expr +
                             ", 'NULL'), '|' ORDER BY id))";
      if (c.numeric) {
        auto text = [&](const std::string& e) { return mysql ? "CAST(" + e + " AS CHAR)" : "(" + e + ")::text"; };
        agg_src += ", " + text("sum(" + c.column + ")") + ", " + text("min(" + c.column + ")") + ", " +
                   text("max(" + c.column + ")");
        agg_duck += ", CAST(sum(\"" + c.column + "\") AS VARCHAR), CAST(min(\"" + c.column +
                    "\") AS VARCHAR), CAST(max(\"" + c.column + "\") AS VARCHAR)";
      }
      EXPECT_EQ(source("SELECT " + agg_src + " FROM " + source_table), Duck("SELECT " + agg_duck + " FROM " + dataset))
          << "column " << c.column;
    }
  }
};

TEST_F(DbImportTest, PostgresEveryMappedTypeMatchesTheSource) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  auto run = [&](const std::string& sql) { return PgRun(*pg, sql); };
  run("DROP TABLE IF EXISTS it_types; DROP TYPE IF EXISTS it_mood");
  run("CREATE TYPE it_mood AS ENUM ('sad', 'ok', 'happy')");
  run("CREATE TABLE it_types (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(12,2), "
      "nu numeric, b bool, d date, t time, ts timestamp, tz timestamptz, u uuid, j jsonb, by bytea, ai int[], "
      "at text[], m it_mood, tx text)");
  run("INSERT INTO it_types SELECT g, (g % 30000)::int2, g * 7, g::int8 * 1000000007, g / 3.0, g / 7.0, "
      "(g * 13 % 100000) / 100.0, g / 9.0, g % 2 = 0, DATE '2020-01-01' + g, TIME '00:00' + g * INTERVAL '1 second', "
      "TIMESTAMP '2020-01-01' + g * INTERVAL '1 minute', TIMESTAMPTZ '2020-01-01 00:00+02' + g * INTERVAL '1 hour', "
      "md5(g::text)::uuid, jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g)), decode(md5(g::text), 'hex'), "
      "ARRAY[g, g + 1], ARRAY['t' || g, 'ü,\"' || g], (ARRAY['sad','ok','happy'])[1 + g % 3]::it_mood, "
      "CASE WHEN g % 5 = 0 THEN '' ELSE 'row ' || g || ' héllo 🌍, \"q\"\nline' END FROM generate_series(1, 5000) g");
  run("INSERT INTO it_types (id) VALUES (5001)");  // a row of NULLs
  auto r = Import(*pg, "it_types");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_written, 5001);
  std::map<std::string, std::string> types;
  for (const auto& c : r->manifest.columns) types[c.name] = c.type;
  EXPECT_EQ(types["i2"], "SMALLINT");
  EXPECT_EQ(types["i8"], "BIGINT");
  EXPECT_EQ(types["n"], "DECIMAL(12,2)");
  EXPECT_EQ(types["nu"], "DOUBLE");
  EXPECT_EQ(types["tz"], "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(types["u"], "UUID");
  EXPECT_EQ(types["j"], "JSON");
  EXPECT_EQ(types["by"], "BLOB");
  EXPECT_EQ(types["ai"], "INTEGER[]");
  EXPECT_EQ(types["at"], "VARCHAR[]");
  EXPECT_EQ(r->manifest.lineage.source_system, "postgres");
  EXPECT_EQ(r->manifest.lineage.source_database, pg->database);
  ExpectSameData(run, "it_types", "it_types",
                 {{"i2", "i2::text", "CAST(i2 AS VARCHAR)", true},
                  {"i4", "i4::text", "CAST(i4 AS VARCHAR)", true},
                  {"i8", "i8::text", "CAST(i8 AS VARCHAR)", true},
                  // Float text forms differ between systems; compare at a fixed scale.
                  {"f4", "((f4::float8 * 1000)::bigint)::text", "CAST(CAST(CAST(f4 AS DOUBLE) * 1000 AS BIGINT) AS VARCHAR)"},
                  {"f8", "((f8 * 1000000)::bigint)::text", "CAST(CAST(f8 * 1000000 AS BIGINT) AS VARCHAR)"},
                  {"n", "n::text", "CAST(n AS VARCHAR)", true},
                  {"b", "b::text", "CAST(b AS VARCHAR)"},
                  {"d", "d::text", "CAST(d AS VARCHAR)"},
                  {"t", "t::text", "CAST(t AS VARCHAR)"},
                  {"ts", "ts::text", "CAST(ts AS VARCHAR)"},
                  {"tz", "to_char(tz, 'YYYY-MM-DD HH24:MI:SS')", "strftime(tz AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S')"},
                  {"u", "u::text", "CAST(u AS VARCHAR)"},
                  {"j", "(j->>'g') || (j->'tags'->>1)", "(j->>'g') || (j->'tags'->>1)"},
                  {"by", "encode(by, 'hex')", "lower(hex(\"by\"))"},
                  {"ai", "array_to_json(ai)::text", "CAST(to_json(\"ai\") AS VARCHAR)"},
                  {"at", "array_to_json(at)::text", "CAST(to_json(\"at\") AS VARCHAR)"},
                  {"m", "m::text", "m"},
                  {"tx", "tx", "tx"}});
}

TEST_F(DbImportTest, PostgresEmptyWideAndIncremental) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  auto run = [&](const std::string& sql) { return PgRun(*pg, sql); };
  run("DROP TABLE IF EXISTS it_empty; CREATE TABLE it_empty (id int, name text)");
  auto empty = Import(*pg, "it_empty");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->rows_written, 0);
  EXPECT_EQ(Duck("SELECT count(*) FROM it_empty")[0], "0");

  std::string cols, values;
  for (int i = 0; i < 200; ++i) {
    cols += ", c" + std::to_string(i) + (i % 2 ? " text" : " int");
    values += i % 2 ? ", 'v' || g" : ", g + " + std::to_string(i);
  }
  run("DROP TABLE IF EXISTS it_wide; CREATE TABLE it_wide (id int" + cols + ")");
  run("INSERT INTO it_wide SELECT g" + values + " FROM generate_series(1, 300) g");
  auto wide = Import(*pg, "it_wide");
  ASSERT_TRUE(wide.ok()) << wide.status().ToString();
  EXPECT_EQ(wide->manifest.columns.size(), 201u);
  EXPECT_EQ(Duck("SELECT sum(c198) FROM it_wide"), run("SELECT sum(c198)::text FROM it_wide"));

  run("DROP TABLE IF EXISTS it_events; CREATE TABLE it_events (id int PRIMARY KEY, at timestamp, v text)");
  run("INSERT INTO it_events SELECT g, TIMESTAMP '2024-01-01' + g * INTERVAL '1 hour', 'a' || g FROM generate_series(1, 100) g");
  auto first = Import(*pg, "it_events", "id");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->manifest.incremental_last_value, std::optional<std::string>("100"));
  auto nothing = Import(*pg, "it_events", "id");
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->no_op);
  run("INSERT INTO it_events SELECT g, TIMESTAMP '2024-01-01' + g * INTERVAL '1 hour', 'b' || g FROM generate_series(101, 130) g");
  auto delta = Import(*pg, "it_events", "id");
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  EXPECT_EQ(delta->rows_written, 30);
  EXPECT_EQ(delta->manifest.versions.size(), 1u);
  EXPECT_EQ(delta->manifest.current().files.size(), 2u);
  EXPECT_EQ(Duck("SELECT count(*), sum(id), max(\"at\")::VARCHAR FROM it_events"),
            run("SELECT count(*), sum(id), max(at)::text FROM it_events"));
  // By timestamp too; a plain re-import replaces as a new version.
  auto by_time = Import(*pg, "it_events", "at", "events_by_time");
  ASSERT_TRUE(by_time.ok());
  EXPECT_EQ(by_time->manifest.incremental_last_value, std::optional<std::string>("2024-01-06 10:00:00"));
  auto full = Import(*pg, "it_events");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->manifest.versions.size(), 2u);
  EXPECT_EQ(full->manifest.row_count(), 130);
  EXPECT_FALSE(full->manifest.incremental_last_value.has_value());
  EXPECT_EQ(Import(*pg, "it_events", "nope").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Import(*pg, "no_such_table").status().code(), StatusCode::kInvalidArgument);
}

// A type created in the database under a built-in's name is read as its
// text form, never decoded as the built-in's binary layout.
TEST_F(DbImportTest, PostgresUserTypeNamedLikeABuiltInIsText) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  auto run = [&](const std::string& sql) { return PgRun(*pg, sql); };
  run("DROP TABLE IF EXISTS it_impostor; DROP TYPE IF EXISTS public.int4");
  run("CREATE TYPE public.int4 AS (x text)");
  run("CREATE TABLE it_impostor (id int, v public.int4)");
  run("INSERT INTO it_impostor VALUES (1, ROW('abcd')), (2, NULL)");
  auto r = Import(*pg, "it_impostor");
  run("DROP TABLE IF EXISTS it_impostor; DROP TYPE IF EXISTS public.int4");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, std::string> types;
  for (const auto& c : r->manifest.columns) types[c.name] = c.type;
  EXPECT_EQ(types["id"], "INTEGER");
  EXPECT_EQ(types["v"], "VARCHAR");
  EXPECT_EQ(Duck("SELECT v FROM it_impostor WHERE id = 1")[0], "(abcd)");
  EXPECT_EQ(Duck("SELECT count(v) FROM it_impostor")[0], "1");
}

// When the Parquet file cannot be written, the failure is ours (500), not
// the source's data (4xx), and nothing is stored.
TEST_F(DbImportTest, AFailureToWriteIsNotBlamedOnTheSource) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  auto run = [&](const std::string& sql) { return PgRun(*pg, sql); };
  run("DROP TABLE IF EXISTS it_small; CREATE TABLE it_small AS SELECT g AS id FROM generate_series(1, 10) g");
  fs::path staging = config_.data_dir / "_staging";
  fs::remove_all(staging);
  ASSERT_TRUE(AtomicWriteFile(staging, "not a directory").ok());  // every staged write now fails
  auto r = Import(*pg, "it_small");
  fs::remove(staging);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cannot write the import of it_small"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(catalog_->Get("it_small").status().code(), StatusCode::kNotFound);
  auto retried = Import(*pg, "it_small");  // the staging folder comes back on its own
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->rows_written, 10);
}

TEST_F(DbImportTest, UnconvertibleValueFailsWholeAndStoresNothing) {
  REQUIRE_SERVER(pg, "LAKEHOUSE_TEST_PG_DSN");
  auto run = [&](const std::string& sql) { return PgRun(*pg, sql); };
  run("DROP TABLE IF EXISTS it_nan; CREATE TABLE it_nan (id int, amount numeric(10,2))");
  run("INSERT INTO it_nan SELECT g, g / 10.0 FROM generate_series(1, 200000) g");
  run("INSERT INTO it_nan VALUES (200001, 'NaN')");
  auto r = Import(*pg, "it_nan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("NaN"), std::string::npos) << r.status().message();
  EXPECT_EQ(catalog_->Get("it_nan").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs::is_empty(config_.data_dir / "_staging"));
  EXPECT_FALSE(fs::exists(config_.data_dir / "datasets" / "it_nan"));
}

TEST_F(DbImportTest, MysqlEveryMappedTypeMatchesTheSource) {
  REQUIRE_SERVER(my, "LAKEHOUSE_TEST_MYSQL_DSN");
  auto run = [&](const std::string& sql) { return MyRun(*my, sql); };
  run("DROP TABLE IF EXISTS it_types");
  run("CREATE TABLE it_types (id int PRIMARY KEY, ti tinyint, flag tinyint(1), si smallint unsigned, bi bigint, "
      "ubi bigint unsigned, de decimal(12,2), fl float, db double, d date, dt datetime(6), ts timestamp NULL, tm time, "
      "j json, bl blob, en enum('a','b','c'), vc varchar(100), tx text) CHARACTER SET utf8mb4");
  run("INSERT INTO it_types SELECT g, g % 100 - 50, g % 2, g * 3, g * 1000000007, 18446744073709551615 - g, (g * 13 % 100000) / 100, "
      "g / 4, g / 7, DATE '2020-01-01' + INTERVAL g DAY, TIMESTAMP '2020-01-01 00:00:00' + INTERVAL g MINUTE + INTERVAL g MICROSECOND, "
      "TIMESTAMP '2020-01-01 00:00:00' + INTERVAL g HOUR, SEC_TO_TIME(g * 7), JSON_OBJECT('g', g), UNHEX(MD5(g)), "
      "ELT(1 + g % 3, 'a', 'b', 'c'), CONCAT('héllo 🌍 \"', g, '\", x'), IF(g % 5 = 0, '', CONCAT('multi\\nline ', g)) "
      "FROM (SELECT CAST(seq AS SIGNED) AS g FROM seq_1_to_3000) s");
  run("INSERT INTO it_types (id) VALUES (3001)");
  auto r = Import(*my, "it_types");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_written, 3001);
  std::map<std::string, std::string> types;
  for (const auto& c : r->manifest.columns) types[c.name] = c.type;
  EXPECT_EQ(types["flag"], "BOOLEAN");
  EXPECT_EQ(types["ubi"], "UBIGINT");
  EXPECT_EQ(types["de"], "DECIMAL(12,2)");
  EXPECT_EQ(types["dt"], "TIMESTAMP");
  EXPECT_EQ(types["j"], "JSON");
  EXPECT_EQ(types["bl"], "BLOB");
  EXPECT_EQ(r->manifest.lineage.source_system, "mysql");
  ExpectSameData(run, "it_types", "it_types",
                 {{"ti", "CAST(ti AS CHAR)", "CAST(ti AS VARCHAR)", true},
                  {"flag", "IF(flag IS NULL, NULL, IF(flag, 'true', 'false'))", "CAST(flag AS VARCHAR)"},
                  {"si", "CAST(si AS CHAR)", "CAST(si AS VARCHAR)", true},
                  {"bi", "CAST(bi AS CHAR)", "CAST(bi AS VARCHAR)", true},
                  {"ubi", "CAST(ubi AS CHAR)", "CAST(ubi AS VARCHAR)", true},
                  {"de", "CAST(de AS CHAR)", "CAST(de AS VARCHAR)", true},
                  {"db", "CAST(ROUND(db * 1000000) AS CHAR)", "CAST(CAST(round(db * 1000000) AS BIGINT) AS VARCHAR)"},
                  {"d", "CAST(d AS CHAR)", "CAST(d AS VARCHAR)"},
                  {"dt", "DATE_FORMAT(dt, '%Y-%m-%d %H:%i:%s.%f')", "strftime(dt, '%Y-%m-%d %H:%M:%S.%f')"},
                  {"ts", "CAST(ts AS CHAR)", "CAST(ts AS VARCHAR)"},
                  {"tm", "CAST(tm AS CHAR)", "CAST(tm AS VARCHAR)"},
                  {"j", "JSON_VALUE(j, '$.g')", "j->>'g'"},
                  {"bl", "LOWER(HEX(bl))", "lower(hex(bl))"},
                  {"en", "en", "en"},
                  {"vc", "vc", "vc"},
                  {"tx", "tx", "tx"}},
                 true);
}

TEST_F(DbImportTest, MysqlIncrementalAndEmpty) {
  REQUIRE_SERVER(my, "LAKEHOUSE_TEST_MYSQL_DSN");
  auto run = [&](const std::string& sql) { return MyRun(*my, sql); };
  run("DROP TABLE IF EXISTS it_empty; CREATE TABLE it_empty (id int, name text)");
  auto empty = Import(*my, "it_empty");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(Duck("SELECT count(*) FROM it_empty")[0], "0");
  run("DROP TABLE IF EXISTS it_log; CREATE TABLE it_log (id int PRIMARY KEY, v varchar(10))");
  run("INSERT INTO it_log VALUES (1, 'a'), (2, 'b')");
  ASSERT_TRUE(Import(*my, "it_log", "id").ok());
  run("INSERT INTO it_log VALUES (3, 'c')");
  run("UPDATE it_log SET v = 'changed' WHERE id = 1");  // not past the mark: an append-only import keeps the old row
  auto delta = Import(*my, "it_log", "id");
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  EXPECT_EQ(delta->rows_written, 1);
  EXPECT_EQ(Duck("SELECT count(*), string_agg(v, ',' ORDER BY id) FROM it_log"),
            (std::vector<std::string>{"3", "a,b,c"}));
}

}  // namespace lakehouse::ingest
