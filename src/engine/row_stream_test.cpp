// CopyRowsToParquet: values written in DuckDB's layout come back from the
// Parquet file as the same values; NULLs stay NULL; a producer's error is
// what the copy returns.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "common/files.h"
#include "engine/database.h"

namespace lakehouse::engine {

namespace {

// n rows: id, a string long enough to leave DuckDB's inline storage (every
// 7th NULL), a timestamp, a UUID and a BLOB.
class CountingProducer : public RowProducer {
 public:
  explicit CountingProducer(size_t rows, size_t fail_at = 0) : rows_(rows), fail_at_(fail_at) {}
  Result<size_t> Fill(ChunkSink& sink) override {
    size_t n = 0;
    for (; n < sink.capacity() && next_ < rows_; ++n, ++next_) {
      if (fail_at_ && next_ == fail_at_) return Unavailable("the source went away at row " + std::to_string(next_));
      sink.Values<int64_t>(0)[n] = static_cast<int64_t>(next_);
      std::string text = "row number " + std::to_string(next_) + " with text past twelve bytes";
      if (next_ % 7 == 0) {
        sink.SetNull(1, n);
      } else {
        sink.SetString(1, n, text.data(), text.size());
      }
      sink.Values<int64_t>(2)[n] = 1700000000000000LL + static_cast<int64_t>(next_);  // 2023-11-14 22:13:20 UTC
      unsigned char bytes[16];
      for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(i * 17 + (next_ & 0xF));
      sink.Values<Uuid128>(3)[n] = UuidFromBytes(bytes);
      sink.SetString(4, n, reinterpret_cast<const char*>(bytes), 3);
    }
    return n;
  }

 private:
  size_t rows_, fail_at_, next_ = 0;
};

class RowStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_row_stream_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    ASSERT_TRUE(EnsureDirectory(dir_).ok());
    auto db = Database::Open({});
    ASSERT_TRUE(db.ok());
    db_ = *db;
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
    ASSERT_TRUE(conn_->Execute("SET TimeZone = 'UTC'").ok());  // TIMESTAMPTZ renders in the session zone
  }
  void TearDown() override { fs::remove_all(dir_); }

  const std::vector<WireType> wire_ = {WireType::kBigint, WireType::kVarchar, WireType::kTimestampTz, WireType::kUuid,
                                       WireType::kBlob};
  fs::path dir_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(RowStreamTest, RowsComeBackAsWritten) {
  CountingProducer producer(10000);
  fs::path out = dir_ / "rows.parquet";
  auto rows = conn_->CopyRowsToParquet(wire_, producer, "c0 AS id, c1 AS text, c2 AS ts, c3 AS u, c4 AS b", out,
                                       "COMPRESSION zstd");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 10000);
  std::string file = "read_parquet('" + out.string() + "')";
  auto r = conn_->Query("SELECT count(*), sum(id), count(text), min(text), "
                        "CAST(max(ts) AS VARCHAR), typeof(any_value(ts)), CAST(min(u) AS VARCHAR), "
                        "hex(any_value(b) FILTER (WHERE id = 1)) FROM " + file);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Int(0, 0), 10000);
  EXPECT_EQ(r->Int(0, 1), 9999LL * 10000 / 2);
  EXPECT_EQ(r->Int(0, 2), 10000 - 1429);  // ids 0, 7, ... 9996 are NULL
  EXPECT_EQ(r->Text(0, 3), "row number 1 with text past twelve bytes");
  EXPECT_EQ(r->Text(0, 4), "2023-11-14 22:13:20.009999+00");
  EXPECT_EQ(r->Text(0, 5), "TIMESTAMP WITH TIME ZONE");
  // Byte i is i * 17 (+ id & 0xF); the smallest UUID is the one of id 0.
  EXPECT_EQ(r->Text(0, 6), "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(r->Text(0, 7), "011223");
}

TEST_F(RowStreamTest, StreamsOneAfterAnotherAndSideBySide) {
  auto other = db_->Connect();
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 2; ++i) {
    CountingProducer first(3000), second(5000);
    std::thread beside([&] {
      auto rows = (*other)->CopyRowsToParquet(wire_, second, "c0", dir_ / "b.parquet", "");
      EXPECT_TRUE(rows.ok() && *rows == 5000) << rows.status().ToString();
    });
    auto rows = conn_->CopyRowsToParquet(wire_, first, "c0", dir_ / "a.parquet", "");
    beside.join();
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, 3000);
  }
}

TEST_F(RowStreamTest, TrustedDatabasesHaveTheBulkFunctionsSandboxedOnesNot) {
  auto count = "SELECT count(DISTINCT function_name) FROM duckdb_functions() "
               "WHERE function_name IN ('lh_row_stream', 'lh_columnar_scan')";
  auto trusted = conn_->Query(count);  // before any bulk call
  ASSERT_TRUE(trusted.ok()) << trusted.status().ToString();
  EXPECT_EQ(trusted->Int(0, 0), 2);

  DatabaseOptions sandbox;
  sandbox.sandboxed = true;
  sandbox.allowed_directories = {dir_};
  auto db = Database::Open(sandbox);
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto sandboxed = (*conn)->Query(count);
  ASSERT_TRUE(sandboxed.ok());
  EXPECT_EQ(sandboxed->Int(0, 0), 0);
  CountingProducer producer(10);
  EXPECT_FALSE((*conn)->CopyRowsToParquet(wire_, producer, "*", dir_ / "no.parquet", "").ok());
  for (const char* sql : {"SELECT * FROM lh_row_stream(1)", "SELECT * FROM lh_columnar_scan(1)"}) {
    auto r = (*conn)->Query(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_NE(r.status().message().find("does not exist"), std::string::npos) << r.status().message();
  }
}

TEST_F(RowStreamTest, NoRowsStillWritesTheColumns) {
  CountingProducer producer(0);
  fs::path out = dir_ / "empty.parquet";
  auto rows = conn_->CopyRowsToParquet(wire_, producer, "c0 AS id, CAST(c1 AS JSON) AS j, c2, c3, c4", out, "");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 0);
  auto r = conn_->Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + out.string() +
                        "')) ORDER BY column_name");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 5u);
  EXPECT_EQ(r->Text(4, 0), "j");
  EXPECT_EQ(r->Text(4, 1), "JSON");
}

TEST_F(RowStreamTest, TheProducersErrorIsTheResult) {
  CountingProducer producer(100000, 5000);
  auto rows = conn_->CopyRowsToParquet(wire_, producer, "*", dir_ / "failed.parquet", "");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(rows.status().message(), "the source went away at row 5000");
}

TEST_F(RowStreamTest, ConversionErrorsComeFromDuckDb) {
  CountingProducer producer(100);
  auto rows = conn_->CopyRowsToParquet(wire_, producer, "CAST(c1 AS INTEGER)", dir_ / "bad.parquet", "");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("row number 1"), std::string::npos) << rows.status().message();
}

TEST(Utf8Test, AcceptsWellFormedAndRefusesTheRest) {
  auto valid = [](const std::string& s) { return IsValidUtf8(s.data(), s.size()); };
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(valid("plain ascii text longer than eight bytes"));
  EXPECT_TRUE(valid("h\xC3\xA9llo \xF0\x9F\x8C\x8D \xE2\x82\xAC and more ascii after"));
  EXPECT_FALSE(valid("\x80"));                   // continuation first
  EXPECT_FALSE(valid("abc\xC3"));                // cut off
  EXPECT_FALSE(valid("\xC0\xAF"));               // overlong '/'
  EXPECT_FALSE(valid("\xE0\x80\xAF"));           // overlong
  EXPECT_FALSE(valid("\xED\xA0\x80"));           // surrogate
  EXPECT_FALSE(valid("\xF4\x90\x80\x80"));       // past U+10FFFF
  EXPECT_FALSE(valid("12345678\xFF"));           // after an ASCII word
  EXPECT_FALSE(valid("\xC3\x28 not a continuation"));
}

}  // namespace

}  // namespace lakehouse::engine
