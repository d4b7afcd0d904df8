#include <gtest/gtest.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "common/files.h"
#include "common/names.h"
#include "engine/database.h"
#include "engine/engine_fixture.h"
#include "engine/query_engine.h"

namespace lakehouse::engine {

TEST_F(EngineTest, DatasetsAreViews) {
  auto r = Run("SELECT count(*) AS n, sum(id) AS s FROM people");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns.size(), 2u);
  EXPECT_EQ(r->columns[0].name, "n");
  EXPECT_EQ(r->columns[0].type, "BIGINT");
  EXPECT_EQ(r->Int(0, 0), 100);
  EXPECT_EQ(r->Int(0, 1), 4950);
}

TEST_F(EngineTest, ConvertsTypes) {
  auto r = Run("SELECT name, score, pair, obj, amount, day FROM people WHERE id = 3;");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Text(0, 0), "name 3");
  EXPECT_DOUBLE_EQ(std::get<double>(r->rows[0][1]), 4.5);
  EXPECT_EQ(r->columns[2].type, "BIGINT[]");
  EXPECT_EQ(std::get<RawJson>(r->rows[0][2]).text, "[3,4]");
  EXPECT_EQ(std::get<RawJson>(r->rows[0][3]).text, "{\"k\":3}");
  EXPECT_EQ(r->columns[4].type, "DECIMAL(10,2)");
  EXPECT_EQ(std::get<RawJson>(r->rows[0][4]).text, "3.00");
  EXPECT_EQ(r->Text(0, 5), "2024-01-05");
  auto nulls = Run("SELECT NULL::INTEGER AS x, TIMESTAMP '2024-03-04 05:06:07.5' AS t, "
                   "'4a0b3e3c-0f1e-4d2b-9c1a-2b3c4d5e6f70'::UUID AS u, -12.345::DECIMAL(8,3) AS d");
  ASSERT_TRUE(nulls.ok()) << nulls.status().ToString();
  EXPECT_TRUE(std::holds_alternative<std::monostate>(nulls->rows[0][0]));
  EXPECT_EQ(nulls->Text(0, 1), "2024-03-04T05:06:07.500000");
  EXPECT_EQ(nulls->Text(0, 2), "4a0b3e3c-0f1e-4d2b-9c1a-2b3c4d5e6f70");
  EXPECT_EQ(nulls->Text(0, 3), "-12.345");
}

TEST_F(EngineTest, CapsRowsAndSaysSo) {
  auto r = Run("SELECT * FROM people");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.size(), 50u);
  EXPECT_TRUE(r->truncated);
  auto small = engine_->Run({"SELECT * FROM people", 10, -1});
  EXPECT_EQ(small->rows.size(), 10u);
  auto exact = Run("SELECT * FROM people LIMIT 50");
  EXPECT_FALSE(exact->truncated);
}

TEST_F(EngineTest, TimesOutLongQueries) {
  auto r = engine_->Run({"SELECT count(*) FROM range(10000000000) a, range(1000) b", -1, 200});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  // The connection is usable again afterwards.
  EXPECT_TRUE(Run("SELECT 1").ok());
}

TEST_F(EngineTest, RefusesWritesAndFilesOutsideBuckets) {
  struct Case {
    const char* sql;
    StatusCode code;
  };
  std::string outside = (dir_ / "out.parquet").string();
  for (const Case& c : std::vector<Case>{
           {"COPY (SELECT 1) TO '/tmp/lh_evil.csv'", StatusCode::kPermissionDenied},
           {"CREATE TABLE t AS SELECT 1", StatusCode::kPermissionDenied},
           {"DROP VIEW people", StatusCode::kPermissionDenied},
           {"ATTACH '/tmp/lh_evil.db' AS evil", StatusCode::kPermissionDenied},
           {"INSTALL httpfs", StatusCode::kPermissionDenied},
           {"LOAD httpfs", StatusCode::kPermissionDenied},
           {"SET enable_external_access = true", StatusCode::kPermissionDenied},
           {"SELECT * FROM read_csv('/etc/passwd')", StatusCode::kPermissionDenied},
           {"SELECT * FROM read_text('/etc/hostname')", StatusCode::kPermissionDenied},
           {"SELECT 1; SELECT 2", StatusCode::kInvalidArgument},
           {"EXPLAIN ANALYZE DROP VIEW people", StatusCode::kPermissionDenied},
           {"EXPLAIN SELECT 1", StatusCode::kPermissionDenied},
           {"PRAGMA enable_profiling", StatusCode::kPermissionDenied},
           {"PRAGMA threads=1", StatusCode::kPermissionDenied},
           {"pragma   memory_limit='1GB'", StatusCode::kPermissionDenied},
           {"CALL pragma_version()", StatusCode::kPermissionDenied},
       }) {
    auto r = Run(c.sql);
    ASSERT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.status().code(), c.code) << c.sql << " -> " << r.status().ToString();
  }
  EXPECT_FALSE(fs::exists("/tmp/lh_evil.csv"));
  EXPECT_FALSE(fs::exists("/tmp/lh_evil.db"));
  // Inside the bucket, reading is allowed.
  auto inside = Run("SELECT count(*) FROM read_parquet(" +
                    QuoteLiteral((config_.data_dir / "datasets/people/1-1.parquet").string()) + ")");
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  EXPECT_EQ(inside->Int(0, 0), 100);
}

TEST_F(EngineTest, ReadOnlyIntrospectionRuns) {
  for (const char* sql : {"PRAGMA table_info('people')", "PRAGMA show_tables", "pragma version", "DESCRIBE people",
                          "SHOW TABLES", "SUMMARIZE people", "SELECT * FROM pragma_version()",
                          "PIVOT people ON (id % 2) IN (0, 1) USING count(*)",
                          "UNPIVOT (SELECT id, score FROM people) ON score INTO NAME k VALUE v"}) {
    auto r = Run(sql);
    EXPECT_TRUE(r.ok()) << sql << " -> " << r.status().ToString();
  }
  auto pivot = Run("PIVOT people ON (id % 2) USING count(*)");
  ASSERT_FALSE(pivot.ok());
  EXPECT_EQ(pivot.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pivot.status().message().find("IN ("), std::string::npos) << pivot.status().message();
  auto pragma = Run("PRAGMA enable_profiling");
  EXPECT_NE(pragma.status().message().find("allowed: table_info"), std::string::npos) << pragma.status().message();
}

TEST_F(EngineTest, ReportsSqlErrorsClearly) {
  auto r = Run("SELECT nope FROM people");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(Run("   ;").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, UncachedDatasetsGiveTheSameAnswers) {
  QueryEngine scanning(*catalog_, *buckets_, QueryEngineOptions{50, 2000, 2, "", 0, 0});
  ASSERT_TRUE(scanning.Open().ok());
  const std::string sql = "SELECT count(*), sum(id), max(name) FROM people";
  auto cached = Run(sql);
  auto scanned = scanning.Run({sql, -1, -1});
  ASSERT_TRUE(cached.ok() && scanned.ok());
  EXPECT_EQ(cached->rows, scanned->rows);
}

TEST_F(EngineTest, ViewsFollowTheCatalog) {
  ASSERT_TRUE(catalog_->Delete("people").ok());
  auto r = Run("SELECT count(*) FROM people");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("people"), std::string::npos);
}

}  // namespace lakehouse::engine

namespace lakehouse::engine {

TEST(ColumnarTest, RoundTripsTextIntegersAndVectorsThroughParquet) {
  fs::path dir = fs::temp_directory_path() / ("lh_columnar_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(EnsureDirectory(dir).ok());
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());

  // More rows than one DuckDB vector (2048), so chunking is exercised.
  const int rows = 5000, dim = 7;
  ColumnarTable table;
  table.columns = {ColumnarColumn::Text("doc_id"), ColumnarColumn::Int64("label"),
                   ColumnarColumn::FloatArray("vector", dim)};
  for (int i = 0; i < rows; ++i) {
    table.columns[0].text.push_back(i % 3 == 0 ? "a long document id that is not inlined #" + std::to_string(i)
                                               : "d" + std::to_string(i));
    table.columns[1].ints.push_back(int64_t{1} << 40 | i);
    for (int d = 0; d < dim; ++d) table.columns[2].floats.push_back(static_cast<float>(i) + d / 10.0f);
  }
  fs::path file = dir / "t.parquet";
  ASSERT_TRUE((*conn)->WriteParquet(table, file).ok());

  auto back = (*conn)->QueryColumnar("SELECT * FROM read_parquet(" + QuoteLiteral(file.string()) + ") ORDER BY label");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->rows(), static_cast<size_t>(rows));
  EXPECT_EQ(back->Find("doc_id")->text, table.columns[0].text);
  EXPECT_EQ(back->Find("label")->ints, table.columns[1].ints);
  EXPECT_EQ(back->Find("vector")->dimension, dim);
  EXPECT_EQ(back->Find("vector")->floats, table.columns[2].floats);

  // Vectors as float32 BLOBs (how indexes store them) come back as floats.
  ColumnarTable blobs;
  blobs.columns = {ColumnarColumn::Int64("label"), ColumnarColumn::FloatArray("vector", dim, true)};
  blobs.columns[0].ints = table.columns[1].ints;
  blobs.columns[1].floats = table.columns[2].floats;
  ASSERT_TRUE((*conn)->WriteParquet(blobs, dir / "b.parquet").ok());
  auto blob_back = (*conn)->QueryColumnar("SELECT label, vector FROM read_parquet(" +
                                          QuoteLiteral((dir / "b.parquet").string()) + ") ORDER BY label");
  ASSERT_TRUE(blob_back.ok()) << blob_back.status().message();
  EXPECT_EQ(blob_back->Find("vector")->dimension, dim);
  EXPECT_EQ(blob_back->Find("vector")->floats, table.columns[2].floats);
  EXPECT_FALSE((*conn)->QueryColumnar("SELECT 'abc'::BLOB AS v").ok());  // 3 bytes: not float32s

  auto bad = (*conn)->QueryColumnar("SELECT 1.5::DOUBLE AS x");
  EXPECT_FALSE(bad.ok());
  fs::remove_all(dir);
}

}  // namespace lakehouse::engine

namespace lakehouse::engine {

TEST(QueryStringsTest, FirstColumnValuesWithoutNullsUpToTheCap) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  QueryLimits limits{-1, -1, StatementPolicy::kReadOnly, true};
  auto all = (*conn)->Query("SELECT CASE WHEN range % 10 = 0 THEN NULL ELSE 'id-' || range END, range "
                            "FROM range(5000) ORDER BY range",
                            limits);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->rows.empty());
  ASSERT_EQ(all->strings.size(), 4500u);
  EXPECT_EQ(all->strings.front(), "id-1");
  EXPECT_EQ(all->strings.back(), "id-4999");
  EXPECT_FALSE(all->truncated);
  limits.max_rows = 3000;
  auto capped = (*conn)->Query("SELECT 'id-' || range FROM range(5000)", limits);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->strings.size(), 3000u);
  EXPECT_TRUE(capped->truncated);
  // Exactly the cap in values followed by NULLs is not "more than the cap".
  auto at_cap = (*conn)->Query("SELECT CASE WHEN range < 3000 THEN 'id-' || range END FROM range(5000) ORDER BY range",
                               limits);
  ASSERT_TRUE(at_cap.ok());
  EXPECT_EQ(at_cap->strings.size(), 3000u);
  EXPECT_FALSE(at_cap->truncated);
  EXPECT_FALSE((*conn)->Query("SELECT range FROM range(3)", limits).ok());  // not VARCHAR
  EXPECT_FALSE((*conn)->Query("SELECT range FROM range(0)", limits).ok());  // not VARCHAR, even with no rows
  EXPECT_FALSE((*conn)->Query("CREATE TABLE t (x VARCHAR)", limits).ok());  // still read-only
}

}  // namespace lakehouse::engine

namespace lakehouse::engine {

// A Parquet file that DuckDB writes but cannot read back: a list nested 1,000
// deep has definition levels past the byte DuckDB keeps them in, and reading
// it fails with an INTERNAL error that invalidates the database.
void WritePoisonedParquet(const fs::path& file) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  fs::path json = file.parent_path() / "deep.json";
  ASSERT_TRUE(AtomicWriteFile(json, std::string(1000, '[') + std::string(1000, ']')).ok());
  ASSERT_TRUE((*conn)->Execute("COPY (SELECT * FROM read_json(" + QuoteLiteral(json.string()) + ")) TO " +
                               QuoteLiteral(file.string()) + " (FORMAT parquet)").ok());
  fs::remove(json);
}

TEST(DatabaseTest, AnInternalErrorReplacesTheDatabase) {
  fs::path dir = fs::temp_directory_path() / ("lh_db_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  WritePoisonedParquet(dir / "bad.parquet");
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto read = (*conn)->Query("SELECT * FROM read_parquet(" + QuoteLiteral((dir / "bad.parquet").string()) + ")");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInternal);
  // Our words, not DuckDB's assertion and stack trace.
  EXPECT_EQ(read.status().message().find("Stack Trace"), std::string::npos) << read.status().message();
  EXPECT_NE(read.status().message().find("failed internally"), std::string::npos);
  EXPECT_TRUE((*db)->Invalidated());
  EXPECT_FALSE((*conn)->Query("SELECT 1").ok());  // the old database is lost for good
  auto fresh = (*db)->Connect();
  ASSERT_TRUE(fresh.ok());
  auto one = (*fresh)->Query("SELECT 41 + 1");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->Int(0, 0), 42);
  EXPECT_FALSE((*db)->Invalidated());
  EXPECT_EQ((*db)->Reopens(), 1u);
  fs::remove_all(dir);
}

TEST_F(EngineTest, ADatasetThatBreaksTheEngineIsQuarantinedAndTheOthersStayQueryable) {
  fs::path file = config_.data_dir / "datasets" / "bad" / "1-1.parquet";
  ASSERT_TRUE(EnsureDirectory(file.parent_path()).ok());
  WritePoisonedParquet(file);
  auto stored = catalog_->Mutate("bad", [&](std::optional<catalog::Manifest>) -> Result<catalog::Manifest> {
    catalog::Manifest m;
    catalog::DatasetVersion v;
    v.files.push_back({"datasets/bad/1-1.parquet", 1, 0, "", Now()});
    m.versions.push_back(v);
    return m;
  });
  ASSERT_TRUE(stored.ok());
  // Whatever the first query meets, every later one on other datasets works,
  // here and in a fresh engine over the same files (a restart).
  (void)Run("SELECT count(*) FROM people");
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      auto r = Run("SELECT count(*) FROM people");
      ASSERT_TRUE(r.ok()) << round << ": " << r.status().ToString();
      EXPECT_EQ(r->Int(0, 0), 100);
    }
    auto bad = Run("SELECT * FROM bad");
    EXPECT_FALSE(bad.ok());
    auto quarantined = engine_->Quarantined();
    ASSERT_EQ(quarantined.count("bad"), 1u) << round;
    EXPECT_NE(quarantined["bad"].find("fail"), std::string::npos) << quarantined["bad"];
    engine_ = std::make_unique<QueryEngine>(*catalog_, *buckets_, QueryEngineOptions{50, 2000, 2, ""});
    (void)Run("SELECT 1");
  }
}

TEST(DatabaseTest, AFullDiskIsStorageFullInOurWords) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  // /dev/full answers every write with ENOSPC.
  Status s = (*conn)->Execute("COPY (SELECT range AS i FROM range(100000)) TO '/dev/full' (FORMAT csv)");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kStorageFull) << s.ToString();
  EXPECT_EQ(s.message(), "the disk holding the data folder is full; nothing was stored. Free space and try again");
  EXPECT_FALSE((*db)->Invalidated());
}

}  // namespace lakehouse::engine
