#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/engine_fixture.h"
#include "engine/export.h"

namespace lakehouse::engine {

namespace {

std::string ReadAll(ExportJob& job) {
  std::string out, buf(7, '\0');  // small reads: the file is followed in many steps
  while (true) {
    auto got = job.Read(buf.data(), buf.size());
    EXPECT_TRUE(got.ok()) << got.status().message();
    if (!got.ok() || *got == 0) return out;
    out.append(buf.data(), *got);
  }
}

size_t Lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST(ExportFormatTest, NamesRoundTripAndUnknownOnesSayWhatExists) {
  for (auto f : {ExportFormat::kCsv, ExportFormat::kTsv, ExportFormat::kParquet, ExportFormat::kJson,
                 ExportFormat::kNdjson}) {
    auto parsed = ParseExportFormat(ExportFormatName(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_EQ(*ParseExportFormat("jsonl"), ExportFormat::kNdjson);
  auto bad = ParseExportFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("csv, tsv, parquet, json or ndjson"), std::string::npos);
}

TEST_F(EngineTest, AnExportHasEveryRowPastTheQueryCaps) {
  // The engine's row cap is 50; an export is the whole result.
  auto job = engine_->StartExport("SELECT range AS i, 'x' || range AS s FROM range(100000)", ExportFormat::kCsv);
  ASSERT_TRUE(job.ok()) << job.status().message();
  std::string csv = ReadAll(**job);
  EXPECT_EQ(Lines(csv), 100001u);
  EXPECT_EQ(csv.substr(0, 9), "i,s\n0,x0\n");
  EXPECT_EQ((*job)->rows(), 100000);
}

TEST_F(EngineTest, ExportsEachFormatWholeAndReadable) {
  auto ndjson = engine_->StartExport(*engine_->SelectAllOf("people"), ExportFormat::kNdjson);
  ASSERT_TRUE(ndjson.ok()) << ndjson.status().message();
  std::string text = ReadAll(**ndjson);
  EXPECT_EQ(Lines(text), 100u);
  EXPECT_NE(text.find("\"obj\":{\"k\":0}"), std::string::npos) << text.substr(0, 200);

  auto json = engine_->StartExport("SELECT id FROM people WHERE id < 3", ExportFormat::kJson);
  ASSERT_TRUE(json.ok());
  std::string array = ReadAll(**json);
  EXPECT_EQ(array.front(), '[');
  EXPECT_NE(array.find("{\"id\":2}"), std::string::npos) << array;

  auto tsv = engine_->StartExport("SELECT id, name FROM people WHERE id = 7", ExportFormat::kTsv);
  ASSERT_TRUE(tsv.ok());
  EXPECT_EQ(ReadAll(**tsv), "id\tname\n7\tname 7\n");

  // Parquet, moved into place and read back through the same engine's files.
  fs::path out = dir_ / "data" / "datasets" / "people.parquet";
  auto parquet = engine_->StartExport("SELECT * FROM people", ExportFormat::kParquet);
  ASSERT_TRUE(parquet.ok());
  ASSERT_TRUE((*parquet)->MoveTo(out).ok());
  auto back = Run("SELECT count(*), sum(id), any_value(typeof(pair)) FROM read_parquet(" + QuoteLiteral(out.string()) + ")");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Int(0, 0), 100);
  EXPECT_EQ(back->Int(0, 1), 4950);
  EXPECT_EQ(back->Text(0, 2), "BIGINT[]");
}

TEST_F(EngineTest, AnExportRefusesWritesAndBadSqlBeforeWritingAnything) {
  auto write = engine_->StartExport("DELETE FROM people", ExportFormat::kCsv);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(write.status().message(), "DELETE statements are not allowed: queries are read-only (use SELECT)");
  EXPECT_EQ(engine_->StartExport("SELECT 1; SELECT 2", ExportFormat::kCsv).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->StartExport("SELECT * FROM nowhere", ExportFormat::kCsv).status().code(),
            StatusCode::kInvalidArgument);
  // The wrapping COPY is ours: a statement crafted to close it early does not parse on its own.
  auto sneaky = engine_->StartExport("SELECT 1) TO '/tmp/lh_sneaky.csv' (FORMAT csv); SELECT (1", ExportFormat::kCsv);
  EXPECT_FALSE(sneaky.ok());
  EXPECT_FALSE(fs::exists("/tmp/lh_sneaky.csv"));
  for (const char* empty : {"-- only a comment", "/* x */", "  ;  "}) {
    auto none = engine_->StartExport(empty, ExportFormat::kCsv);
    EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument) << empty;
    EXPECT_EQ(Run(empty).status().code(), StatusCode::kInvalidArgument) << empty;
  }
  EXPECT_EQ(engine_->StartExport("PRAGMA show_tables", ExportFormat::kCsv).status().code(),
            StatusCode::kInvalidArgument);
  // Files outside the buckets stay out of reach.
  EXPECT_EQ(engine_->StartExport("SELECT * FROM read_csv('/etc/passwd')", ExportFormat::kCsv).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(fs::is_empty(dir_ / "export"));
}

TEST_F(EngineTest, AnErrorInTheMiddleFailsTheReaderAndLeavesNoFile) {
  auto job = engine_->StartExport(
      "SELECT CAST(CASE WHEN range = 150000 THEN 'x' ELSE '1' END AS INTEGER) AS n FROM range(200000)",
      ExportFormat::kCsv);
  ASSERT_TRUE(job.ok()) << job.status().message();
  Status failed;
  std::string buf(1 << 16, '\0');
  while (true) {
    auto got = (*job)->Read(buf.data(), buf.size());
    if (!got.ok()) {
      failed = got.status();
      break;
    }
    ASSERT_NE(*got, 0u) << "the export ended without its error";
  }
  EXPECT_EQ(failed.code(), StatusCode::kInvalidArgument);
  fs::path dest = dir_ / "never.csv";
  EXPECT_FALSE((*job)->MoveTo(dest).ok());
  EXPECT_FALSE(fs::exists(dest));
  job->reset();
  EXPECT_TRUE(fs::is_empty(dir_ / "export"));
  // The engine's slot and connection came back.
  EXPECT_TRUE(Run("SELECT 1").ok());
}

TEST_F(EngineTest, DroppingARunningExportCancelsItAndFreesItsSlot) {
  for (int i = 0; i < 12; ++i) {  // more than the engine's slots: each must come back
    auto job = engine_->StartExport("SELECT a.range * b.range FROM range(100000) a, range(100000) b",
                                    ExportFormat::kCsv);
    ASSERT_TRUE(job.ok()) << job.status().message();
    std::string buf(1024, '\0');
    ASSERT_TRUE((*job)->Read(buf.data(), buf.size()).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "export"));
  EXPECT_TRUE(Run("SELECT 1").ok());
}

TEST_F(EngineTest, DatasetsAndVersionsByName) {
  EXPECT_EQ(*engine_->SelectAllOf("people"), "SELECT * FROM \"people\"");
  EXPECT_EQ(*engine_->SelectAllOf("people@v1"), "SELECT * FROM \"people\"");  // the current version
  EXPECT_EQ(engine_->SelectAllOf("people@v9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->SelectAllOf("people@vx").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->SelectAllOf("nobody").status().code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, RowsStreamToASinkWithoutBeingHeld) {
  struct Counter : RowSink {
    size_t columns = 0;
    int64_t rows = 0, sum = 0;
    Status Columns(const std::vector<ResultColumn>& c) override {
      columns = c.size();
      return Status::Ok();
    }
    Status Row(const std::vector<Cell>& cells) override {
      ++rows;
      sum += std::get<int64_t>(cells[0]);
      return Status::Ok();
    }
  } counter;
  QueryRequest request{"SELECT range AS i, 'x' AS s FROM range(70000)", -1, -1};
  request.uncapped = true;
  request.sink = &counter;
  auto result = engine_->Run(request);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->rows.empty());
  EXPECT_EQ(result->row_count, 70000);
  EXPECT_EQ(counter.rows, 70000);
  EXPECT_EQ(counter.columns, 2u);
  EXPECT_EQ(counter.sum, 69999ll * 70000 / 2);
  EXPECT_FALSE(result->truncated);
}

}  // namespace lakehouse::engine

namespace lakehouse::engine {

TEST_F(EngineTest, ValuesPrintAsStored) {
  auto r = Run("SELECT 0.1::FLOAT AS f, 'nan'::FLOAT AS n, TIMESTAMP_NS '2024-01-02 03:04:05.123456789' AS ns, "
               "TIMESTAMP_NS '1969-12-31 23:59:59.999999999' AS before_epoch, {'csv-parse': 'x', 'ok': 1} AS s");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->Text(0, 0), "0.1");
  EXPECT_TRUE(std::isnan(std::get<double>(r->rows[0][1])));
  EXPECT_EQ(r->Text(0, 2), "2024-01-02T03:04:05.123456789");
  EXPECT_EQ(r->Text(0, 3), "1969-12-31T23:59:59.999999999");
  EXPECT_EQ(r->columns[4].type, "STRUCT(\"csv-parse\" VARCHAR, ok INTEGER)");
  // FLOATs inside lists, arrays, structs and maps too, and the types still say FLOAT.
  auto nested = Run("SELECT [0.1::FLOAT, 'inf'::FLOAT, NULL] AS l, [0.1::FLOAT, 2.5]::FLOAT[2] AS a, "
                    "{'v': 0.1::FLOAT, 'w': [0.3::FLOAT], 'x': 'y'} AS s, MAP {'k': 0.7::FLOAT} AS m");
  ASSERT_TRUE(nested.ok()) << nested.status().message();
  EXPECT_EQ(std::get<RawJson>(nested->rows[0][0]).text, "[0.1,null,null]");  // JSON has no Infinity
  auto strange = Run("SELECT ['NaN'::DOUBLE, '-inf'::DOUBLE] AS l, {'k': 'NaN and Infinity'} AS s");
  ASSERT_TRUE(strange.ok()) << strange.status().message();
  EXPECT_EQ(std::get<RawJson>(strange->rows[0][0]).text, "[null,null]");
  EXPECT_EQ(std::get<RawJson>(strange->rows[0][1]).text, "{\"k\":\"NaN and Infinity\"}");
  EXPECT_EQ(std::get<RawJson>(nested->rows[0][1]).text, "[0.1,2.5]");
  EXPECT_EQ(std::get<RawJson>(nested->rows[0][2]).text, "{\"v\":0.1,\"w\":[0.3],\"x\":\"y\"}");
  EXPECT_EQ(std::get<RawJson>(nested->rows[0][3]).text, "{\"k\":0.7}");
  EXPECT_EQ(nested->columns[0].type, "FLOAT[]");
  EXPECT_EQ(nested->columns[2].type, "STRUCT(v FLOAT, w FLOAT[], x VARCHAR)");
  auto job = engine_->StartExport("SELECT 0.1::FLOAT AS f, [0.1::FLOAT] AS l", ExportFormat::kNdjson);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(ReadAll(**job), "{\"f\":0.1,\"l\":[0.1]}\n");
  // Fields named like keywords, and unnamed ones (widened then, never failing).
  auto odd = Run("SELECT struct_pack(\"select\" := 0.3::FLOAT) AS s, row(0.5::FLOAT, 2) AS r");
  ASSERT_TRUE(odd.ok()) << odd.status().message();
  EXPECT_EQ(std::get<RawJson>(odd->rows[0][0]).text, "{\"select\":0.3}");
  // Two columns of one name: written as they are, never one changed for the other.
  auto same = engine_->StartExport("SELECT 2 AS f, 0.1::FLOAT AS \"F\"", ExportFormat::kCsv);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(ReadAll(**same), "f,F_1\n2,0.1\n");  // DuckDB renames the second
}

}  // namespace lakehouse::engine

namespace lakehouse::engine {

TEST_F(EngineTest, LazyViewsAreBuiltForWhatAStatementNames) {
  QueryEngineOptions options{50, 2000, 2, ""};
  options.export_directory = dir_ / "export";
  QueryEngine lazy(*catalog_, *buckets_, options);
  lazy.UseLazyViews();
  auto one = lazy.Run({"SELECT 1", -1, -1});
  ASSERT_TRUE(one.ok()) << one.status().message();
  auto people = lazy.Run({"SELECT count(*) FROM PEOPLE a JOIN \"people\" b USING (id)", -1, -1});
  ASSERT_TRUE(people.ok()) << people.status().message();
  EXPECT_EQ(people->Int(0, 0), 100);
  auto missing = lazy.Run({"SELECT * FROM nobody", -1, -1});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "no dataset named 'nobody' (GET /catalog/datasets or `lakehouse catalog list` lists them)");
  auto job = lazy.StartExport("SELECT id FROM people WHERE id < 2", ExportFormat::kCsv);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(ReadAll(**job), "id\n0\n1\n");
}


TEST_F(EngineTest, AnExportNeverReadsThroughALinkPutAtItsSpoolName) {
  fs::create_directories(dir_ / "export");
  fs::path secret = dir_ / "secret.txt";
  std::ofstream(secret) << "TOPSECRET";
  fs::path spool = dir_ / "export" / ".export.csv.1.tmp";
  fs::create_symlink(secret, spool);
  bool ran = false;
  ExportJob job(spool, ExportFormat::kCsv, nullptr, nullptr, [&]() -> Result<int64_t> {
    ran = true;
    return int64_t{0};
  });
  std::string buf(64, '\0');
  auto got = job.Read(buf.data(), buf.size());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kConflict) << got.status().message();
  EXPECT_FALSE(ran);
  EXPECT_TRUE(fs::is_symlink(spool)) << "what someone else put there is left alone";
  std::ifstream in(secret);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "TOPSECRET");
}

}  // namespace lakehouse::engine
