#include "engine/masking.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "catalog/catalog.h"
#include "common/files.h"
#include "common/names.h"
#include "engine/database.h"
#include "engine/query_engine.h"

namespace lakehouse::engine {
namespace {

TEST(MaskValueTest, KeepsOnlyTheShapeOfWhatItRecognises) {
  EXPECT_EQ(MaskValue("jane.doe@example.org"), "j***@example.org");
  EXPECT_EQ(MaskValue("4111 1111 1111 1111"), "**** **** **** 1111");
  EXPECT_EQ(MaskValue("4111111111111111"), "************1111");
  EXPECT_EQ(MaskValue("123-45-6789"), "***-**-6789");
  EXPECT_EQ(MaskValue("+1 (555) 123-4567"), "+* (***) ***-**67");
  EXPECT_EQ(MaskValue("DE89 3704 0044 0532 0130 00"), "DE** **** **** **** **30 00");
  EXPECT_EQ(MaskValue("Jane Doe"), "***");
  EXPECT_EQ(MaskValue("\xc3\xa9lise@example.org"), "***");  // not recognised: all hidden
  EXPECT_EQ(MaskValue(""), "");
}

TEST(MaskedReadsTest, NamesOtherThanDatasetsAreRefused) {
  auto refused = [](SqlReads reads) { return CheckMaskedReads(reads).code() == StatusCode::kPermissionDenied; };
  EXPECT_FALSE(refused(SqlReads{{}, {"customers"}, {{"", "", "customers"}}, {}, {}, ""}));
  EXPECT_FALSE(refused(SqlReads{{}, {}, {{"", "information_schema", "columns"}}, {}, {}, ""}));
  EXPECT_FALSE(refused(SqlReads{{}, {}, {}, {"range"}, {}, ""}));
  EXPECT_FALSE(refused(SqlReads{{}, {}, {{"", "", "recent"}}, {}, {"recent"}, ""}));  // a CTE
  // A CTE named like a file: out of its scope DuckDB scans the file.
  EXPECT_TRUE(refused(SqlReads{{}, {}, {{"", "", "x.parquet"}}, {}, {"x.parquet"}, ""}));
  EXPECT_TRUE(refused(SqlReads{{}, {}, {{"", "lh_raw", "customers"}}, {}, {}, ""}));
  EXPECT_TRUE(refused(SqlReads{{}, {}, {{"memory", "lh_cache", "customers"}}, {}, {}, ""}));
  EXPECT_TRUE(refused(SqlReads{{}, {}, {{"", "", "/d/datasets/customers/1-1.parquet"}}, {}, {}, ""}));
  EXPECT_TRUE(refused(SqlReads{{}, {}, {}, {"read_parquet"}, {}, ""}));
  EXPECT_TRUE(refused(SqlReads{{}, {}, {}, {"parquet_metadata"}, {}, ""}));
  EXPECT_TRUE(refused(SqlReads{{}, {}, {}, {}, {}, "storage_info"}));
  EXPECT_FALSE(refused(SqlReads{{}, {}, {}, {}, {}, "table_info"}));
}

// A dataset with PII of every kind, queried by a caller without the pii
// grant through every way SQL can reach a column.
class MaskingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_masking_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    config_.data_dir = dir_ / "data";
    FinishBuckets(config_);
    buckets_ = std::make_unique<storage::BucketRegistry>(config_.buckets);
    catalog_ = std::make_unique<catalog::Catalog>(*buckets_);
    auto db = Database::Open({});
    ASSERT_TRUE(db.ok());
    auto conn = (*db)->Connect();
    ASSERT_TRUE(conn.ok());
    file_ = config_.data_dir / "datasets" / "customers" / "1-1.parquet";
    ASSERT_TRUE(EnsureDirectory(file_.parent_path()).ok());
    ASSERT_TRUE((*conn)->Execute("COPY (SELECT * FROM (VALUES "
                                 "(1, 'jane.doe@example.org', '4111 1111 1111 1111', 90000, 'likes tea', 'hunter2'), "
                                 "(2, 'john.roe@example.org', '5555 5555 5555 4444', 85000, 'likes coffee', 's3cret')) "
                                 "AS t(id, email, card, salary, notes, password)) TO " +
                                 QuoteLiteral(file_.string()) + " (FORMAT parquet)")
                    .ok());
    ASSERT_TRUE(SetFlags(true).ok());
    QueryEngineOptions options{50, 5000, 2, ""};
    options.export_directory = dir_ / "export";
    if (!GetParam()) options.cache_dataset_max_bytes = 0;  // scanned from its files, not cached
    engine_ = std::make_unique<QueryEngine>(*catalog_, *buckets_, options);
    ASSERT_TRUE(engine_->Open().ok());
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }
  Status SetFlags(bool pii) {
    return catalog_
        ->Mutate("customers",
                 [&](std::optional<catalog::Manifest> old) -> Result<catalog::Manifest> {
                   catalog::Manifest m = old.value_or(catalog::Manifest{});
                   if (m.versions.empty()) {
                     catalog::DatasetVersion v;
                     v.files.push_back({"datasets/customers/1-1.parquet", 2, 0, "", Now()});
                     v.row_count = 2;
                     m.versions.push_back(v);
                   }
                   m.columns.clear();
                   for (const char* name : {"id", "email", "card", "salary", "notes", "password"}) {
                     catalog::ColumnMeta c;
                     c.name = name;
                     std::string n = name;
                     c.is_pii = pii && (n == "email" || n == "card" || n == "salary");
                     if (n == "password") c.sensitivity = catalog::Sensitivity::kRestricted;
                     m.columns.push_back(c);
                   }
                   return m;
                 })
        .status();
  }
  Result<QueryResult> Masked(const std::string& sql) {
    QueryRequest r{sql, -1, -1};
    r.masked = true;
    return engine_->Run(r);
  }
  // Every value of every row, as one string.
  static std::string AllText(const QueryResult& r) {
    std::string out;
    for (size_t i = 0; i < r.rows.size(); ++i) {
      for (size_t c = 0; c < r.columns.size(); ++c) out += r.Text(i, c) + "|";
    }
    return out;
  }

  fs::path dir_, file_;
  Config config_;
  std::unique_ptr<storage::BucketRegistry> buckets_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<QueryEngine> engine_;
};

constexpr const char* kSecrets[] = {"jane", "john", "doe@", "roe@", "4111 1111", "5555 5555", "90000", "85000", "hunter2", "s3cret"};

TEST_P(MaskingTest, NoFunctionOverAMaskedColumnRevealsIt) {
  const char* queries[] = {
      "SELECT * FROM customers",
      "SELECT lower(email), upper(email), email || '', CAST(email AS VARCHAR), CAST(email AS BLOB) FROM customers",
      "SELECT regexp_extract(email, '^(.*)@', 1), split_part(email, '@', 1), substr(email, 2, 3) FROM customers",
      "SELECT email, count(*) FROM customers GROUP BY email",
      "SELECT string_agg(email, ','), min(email), max(card), list(card), sum(salary), max(salary) FROM customers",
      "SELECT a.email, b.card FROM customers a JOIN customers b ON a.email = b.email",
      "SELECT * FROM (SELECT email AS e, card, salary, password FROM customers) s",
      "WITH c AS (SELECT * FROM customers) SELECT email, password FROM c",
      "SELECT (SELECT max(email) FROM customers), (SELECT max(password) FROM customers)",
      "SELECT to_json(c) FROM customers c",
      "SELECT COLUMNS(*) FROM customers",
      "SUMMARIZE customers",
      "SELECT * FROM customers UNPIVOT (v FOR k IN (email, card, notes))",
      "SELECT hash(email) = hash('jane.doe@example.org') AS same FROM customers WHERE false",
  };
  for (const char* sql : queries) {
    auto r = Masked(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status().message();
    std::string all = AllText(*r);
    for (const char* secret : kSecrets) EXPECT_EQ(all.find(secret), std::string::npos) << sql << " showed " << secret << ": " << all;
  }
  auto shown = Masked("SELECT email, card, salary, notes, password FROM customers ORDER BY id");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->Text(0, 0), "j***@example.org");
  EXPECT_EQ(shown->Text(0, 1), "**** **** **** 1111");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(shown->rows[0][2]));  // a number: NULL
  EXPECT_EQ(shown->Text(0, 3), "likes tea");  // not PII: as stored
  EXPECT_EQ(shown->Text(0, 4), "***");        // restricted
  // Filtering compares the masked value: the real one matches nothing.
  auto probe = Masked("SELECT count(*) FROM customers WHERE email = 'jane.doe@example.org' OR salary > 0");
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->Int(0, 0), 0);
  // A caller with the grant sees the values.
  auto raw = engine_->Run({"SELECT email, salary FROM customers ORDER BY id", -1, -1});
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->Text(0, 0), "jane.doe@example.org");
}

TEST_P(MaskingTest, EveryWayAroundTheViewsIsRefused) {
  std::string path = QuoteLiteral(file_.string());
  std::string folder = QuoteLiteral((file_.parent_path() / "*.parquet").string());
  std::string folder_ident = QuoteIdent((file_.parent_path() / "*.parquet").string());
  std::string queries[] = {
      "SELECT * FROM lh_raw.customers",
      "SELECT * FROM memory.lh_raw.customers",
      "SELECT * FROM lh_cache.customers",
      "SELECT * FROM read_parquet(" + path + ")",
      "SELECT * FROM " + path,
      "SELECT * FROM " + folder,
      "SELECT * FROM parquet_metadata(" + path + ")",
      "SELECT * FROM parquet_scan([" + path + "])",
      "SELECT * FROM glob(" + folder + ")",
      "SELECT * FROM read_text(" + path + ")",
      "SELECT (SELECT max(email) FROM lh_raw.customers)",
      "WITH x AS (SELECT * FROM lh_raw.customers) SELECT * FROM x",
      "SELECT * FROM customers WHERE email IN (SELECT email FROM lh_raw.customers)",
      "SUMMARIZE lh_raw.customers",
      "PRAGMA storage_info('customers')",
      "SELECT * FROM pragma_storage_info('lh_cache.customers')",
      "SELECT * FROM query('SELECT * FROM lh_raw.customers')",
      "SELECT * FROM histogram('lh_raw.customers', email)",
      "SELECT (WITH " + folder_ident + " AS (SELECT 1) SELECT 1) AS x, * FROM " + folder_ident,
      "WITH " + folder_ident + " AS (FROM " + folder_ident + ") FROM " + folder_ident,
      "SELECT * FROM duckdb_settings()",
  };
  for (const auto& sql : queries) {
    auto r = Masked(sql);
    EXPECT_FALSE(r.ok()) << sql << " ran: " << (r.ok() ? AllText(*r) : "");
    if (!r.ok()) {
      EXPECT_NE(r.status().code(), StatusCode::kInternal) << sql;
    }
  }
  EXPECT_TRUE(Masked("SELECT count(*) FROM range(3)").ok());
  EXPECT_TRUE(Masked("SELECT column_name FROM information_schema.columns").ok());
  EXPECT_TRUE(Masked("PRAGMA table_info('customers')").ok());
  for (const char* listing : {"SHOW TABLES", "SHOW ALL TABLES", "DESCRIBE customers", "SHOW customers"}) {
    auto r = Masked(listing);
    EXPECT_TRUE(r.ok()) << listing << ": " << r.status().message();
  }
}

TEST_P(MaskingTest, ExportsAreMaskedAndFlagChangesTakeEffectAtOnce) {
  auto job = engine_->StartExport("SELECT * FROM customers", ExportFormat::kCsv, true);
  ASSERT_TRUE(job.ok()) << job.status().message();
  std::string csv, buf(4096, '\0');
  for (;;) {
    auto got = (*job)->Read(buf.data(), buf.size());
    ASSERT_TRUE(got.ok());
    if (*got == 0) break;
    csv.append(buf.data(), *got);
  }
  EXPECT_NE(csv.find("j***@example.org"), std::string::npos) << csv;
  for (const char* secret : kSecrets) EXPECT_EQ(csv.find(secret), std::string::npos) << secret << " in " << csv;
  EXPECT_FALSE(engine_->StartExport("SELECT * FROM lh_raw.customers", ExportFormat::kCsv, true).ok());

  // Clearing a flag shows the column; setting it again hides it.
  ASSERT_TRUE(SetFlags(false).ok());
  auto shown = Masked("SELECT email FROM customers ORDER BY id");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->Text(0, 0), "jane.doe@example.org");
  ASSERT_TRUE(SetFlags(true).ok());
  shown = Masked("SELECT email FROM customers ORDER BY id");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->Text(0, 0), "j***@example.org");
}

INSTANTIATE_TEST_SUITE_P(CachedAndScanned, MaskingTest, ::testing::Bool());

}  // namespace
}  // namespace lakehouse::engine
