// What user SQL reads, and the links it must not follow (a bucket's folder
// is the sandbox; DuckDB's own check compares path strings only).
#include "engine/sql_reads.h"

#include <gtest/gtest.h>

#include "engine/engine_fixture.h"

namespace lakehouse::engine {

class SqlReadsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    datasets_ = config_.data_dir / "datasets";
    outside_ = dir_ / "outside";
    fs::create_directories(outside_);
    auto db = Database::Open({});
    ASSERT_TRUE(db.ok());
    auto conn = (*db)->Connect();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Execute("COPY (SELECT 'hunter2' AS secret) TO " +
                                 QuoteLiteral((outside_ / "secret.parquet").string()) + " (FORMAT parquet)")
                    .ok());
  }
  std::string People() const { return (datasets_ / "people" / "1-1.parquet").string(); }

  fs::path datasets_, outside_;
};

TEST_F(SqlReadsTest, FindsEveryLiteralAndTableName) {
  auto db = Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto reads = (*conn)->ReadsOf(
      "WITH t AS (SELECT * FROM 'c.parquet') SELECT * FROM t, read_parquet(['/a/b.parquet', '/c'], union_by_name = "
      "true) JOIN (DESCRIBE '/d.json') USING (x) WHERE y = 'zz'");
  ASSERT_TRUE(reads.ok()) << reads.status().message();
  for (const char* literal : {"c.parquet", "/a/b.parquet", "/c", "/d.json", "zz"}) {
    EXPECT_NE(std::find(reads->literals.begin(), reads->literals.end(), literal), reads->literals.end()) << literal;
  }
  for (const char* table : {"c.parquet", "t", "/d.json"}) {
    EXPECT_NE(std::find(reads->tables.begin(), reads->tables.end(), table), reads->tables.end()) << table;
  }
  auto pragma = (*conn)->ReadsOf("PRAGMA table_info('it''s')");
  ASSERT_TRUE(pragma.ok());
  EXPECT_EQ(pragma->literals, std::vector<std::string>{"it's"});
}

TEST_F(SqlReadsTest, AComputedFileNameIsRefusedAndComputedNumbersAreNot) {
  auto computed = Run("SELECT * FROM read_parquet('" + datasets_.string() + "/people/' || '1-1.parquet')");
  ASSERT_FALSE(computed.ok());
  EXPECT_EQ(computed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(computed.status().message(),
            "the arguments of read_parquet() must be written out as literals ('path', ['a', 'b'], name = value): a "
            "computed file name cannot be checked before it is read");
  auto sql = Run("FROM query('SELECT 1')");
  ASSERT_FALSE(sql.ok());
  EXPECT_NE(sql.status().message().find("query() is not allowed"), std::string::npos) << sql.status().message();
  auto numbers = Run("SELECT count(*) AS n FROM range(2 * 3)");
  ASSERT_TRUE(numbers.ok()) << numbers.status().message();
  auto named = Run("SELECT count(*) AS n FROM read_parquet(['" + People() + "'], union_by_name = true)");
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ(std::get<int64_t>(named->rows[0][0]), 100);
}

TEST_F(SqlReadsTest, ALinkInsideABucketIsNeverFollowed) {
  ASSERT_TRUE(Run("SELECT count(*) FROM '" + People() + "'").ok());
  fs::create_symlink(outside_ / "secret.parquet", datasets_ / "people" / "evil.parquet");
  fs::create_directories(datasets_ / "other");
  fs::create_directory_symlink(outside_, datasets_ / "other" / "sub");
  for (const std::string& sql :
       {"SELECT * FROM read_parquet('" + (datasets_ / "people" / "evil.parquet").string() + "')",
        "SELECT * FROM '" + (datasets_ / "people" / "evil.parquet").string() + "'",
        "SELECT * FROM read_parquet('" + datasets_.string() + "/people/*.parquet')",
        "SELECT * FROM read_parquet('" + datasets_.string() + "/**/*.parquet')",
        "SELECT * FROM read_parquet('" + datasets_.string() + "/other/sub/secret.parquet')",
        "DESCRIBE '" + (datasets_ / "people" / "evil.parquet").string() + "'"}) {
    auto read = Run(sql);
    ASSERT_FALSE(read.ok()) << sql;
    EXPECT_EQ(read.status().code(), StatusCode::kPermissionDenied) << sql << ": " << read.status().message();
    EXPECT_NE(read.status().message().find("symbolic link inside a bucket"), std::string::npos)
        << read.status().message();
    EXPECT_EQ(read.status().message().find(outside_.string()), std::string::npos) << "where the link points stays unsaid";
  }
  auto url = Run("SELECT * FROM read_parquet('file://" + (datasets_ / "people" / "evil.parquet").string() + "')");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().code(), StatusCode::kPermissionDenied) << url.status().message();
  // The real file beside the link still reads.
  auto real = Run("SELECT count(*) AS n FROM read_parquet('" + People() + "')");
  ASSERT_TRUE(real.ok()) << real.status().message();
  EXPECT_EQ(std::get<int64_t>(real->rows[0][0]), 100);
}

TEST_F(SqlReadsTest, NamesThatReachALinkAnotherWayAreRefusedToo) {
  fs::create_directories(datasets_ / "good" / "evil");
  fs::create_directory_symlink("/", datasets_ / "good" / "evil" / "root");
  fs::create_symlink(outside_ / "secret.parquet", datasets_ / "good" / "evil" / "f.parquet");
  fs::create_symlink(outside_ / "secret.parquet", dir_ / "export" / "x.parquet");
  const std::string evil = (datasets_ / "good" / "evil").string();
  for (const std::string& sql : {
           // ".." applied after the link, as the kernel does
           "SELECT * FROM read_text('" + evil + "/root/../etc/hostname')",
           "SELECT count(*) FROM glob('" + evil + "/root/../etc/*')",
           // a qualified name is a file name joined by dots
           "SELECT * FROM \"" + evil + "/f\".\"parquet\"",
           // text cast to a list is a list of paths the check never saw
           "SELECT * FROM read_parquet('[" + evil + "/f.parquet]'::VARCHAR[])",
           // the export spool folder is readable by SQL: links there count too
           "SELECT * FROM '" + (dir_ / "export" / "x.parquet").string() + "'"}) {
    auto read = Run(sql);
    ASSERT_FALSE(read.ok()) << sql;
    EXPECT_NE(read.status().code(), StatusCode::kOk);
    EXPECT_EQ(read.status().message().find("hunter2"), std::string::npos) << sql;
    EXPECT_EQ(read.status().message().find("Permission Error"), std::string::npos) << read.status().message();
  }
  // A computed argument is refused before DuckDB opens anything: its
  // errors would tell what lies behind the link.
  auto oracle = Run("SELECT * FROM read_csv('" + evil + "/ro' || 'ot/etc/passwd', types = {'zz': 'INTEGER'})");
  ASSERT_FALSE(oracle.ok());
  EXPECT_NE(oracle.status().message().find("must be written out as literals"), std::string::npos)
      << oracle.status().message();
  // Table macros take columns.
  auto histogram = Run("SELECT count(*) AS n FROM histogram_values(people, id)");
  EXPECT_TRUE(histogram.ok()) << histogram.status().message();
  auto huge = Run("SELECT 1 WHERE 1 IN (" + std::string(1100000, ' ') + "1)");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kTooLarge);
}

TEST_F(SqlReadsTest, AScannedDatasetWhoseFileTurnsIntoALinkIsRefusedAtOnce) {
  engine_.reset();
  auto sized = catalog_->Mutate("people", [&](std::optional<catalog::Manifest> m) -> Result<catalog::Manifest> {
    m->versions.back().files[0].bytes = fs::file_size(People());
    return *m;
  });
  ASSERT_TRUE(sized.ok());
  QueryEngineOptions options{50, 2000, 2, ""};
  options.cache_dataset_max_bytes = 0;  // scanned on every query: no rebuild of views will notice
  engine_ = std::make_unique<QueryEngine>(*catalog_, *buckets_, options);
  ASSERT_TRUE(engine_->Open().ok());
  ASSERT_TRUE(Run("SELECT count(*) FROM people").ok());
  fs::remove(People());
  fs::create_symlink(outside_ / "secret.parquet", People());
  auto read = Run("SELECT * FROM people");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(read.status().message(),
            "dataset 'people' cannot be read: its data file 1-1.parquet is, or lies in, a symbolic link, which "
            "lakehouse never writes; remove the link and restore the file (the server also removes links when it "
            "starts)");
}

TEST(CheckNoLinksTest, JudgesOnlyWhatLiesBelowTheRoots) {
  fs::path dir = fs::temp_directory_path() / ("lh_links_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "root" / "a");
  fs::create_symlink("/etc/passwd", dir / "root" / "a" / "passwd");
  std::vector<fs::path> roots{dir / "root"};
  EXPECT_TRUE(CheckNoLinks({"/etc/passwd", "plain words", "", "orders"}, roots).ok());
  EXPECT_TRUE(CheckNoLinks({(dir / "root" / "a" / "missing.csv").string()}, roots).ok());
  EXPECT_FALSE(CheckNoLinks({(dir / "root" / "a" / "passwd").string()}, roots).ok());
  EXPECT_FALSE(CheckNoLinks({(dir / "root").string() + "/*/p*"}, roots).ok());
  EXPECT_FALSE(CheckNoLinks({(dir / "root").string() + "/a/{x,y}"}, roots).ok());
  fs::remove(dir / "root" / "a" / "passwd");
  EXPECT_TRUE(CheckNoLinks({(dir / "root").string() + "/**"}, roots).ok());
  fs::remove_all(dir);
}

TEST(QuotedLiteralsTest, ReadsDoubledQuotes) {
  EXPECT_EQ(QuotedLiterals("PRAGMA table_info('a''b')"), std::vector<std::string>{"a'b"});
  EXPECT_EQ(QuotedLiterals("PRAGMA show_tables"), std::vector<std::string>{});
  EXPECT_EQ(QuotedLiterals("x 'unterminated"), std::vector<std::string>{"unterminated"});
}

}  // namespace lakehouse::engine
