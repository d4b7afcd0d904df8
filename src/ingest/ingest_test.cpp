#include <gtest/gtest.h>

#include "common/files.h"
#include "common/names.h"
#include "engine/query_engine.h"
#include "fixtures.h"
#include "ingest/compactor.h"
#include "ingest/inbox_watcher.h"
#include "ingest/ingest_fixture.h"

#include <unistd.h>

#include <thread>

namespace lakehouse::ingest {

class IngestTest : public IngestFixture {
 protected:

  Result<IngestResult> IngestText(const std::string& file_name, const std::string& bytes,
                                  WriteMode mode = WriteMode::kAppend, const std::string& dataset = "") {
    fs::path file = dir_ / "in" / file_name;
    testing::WriteFile(file, bytes);
    IngestRequest req;
    req.file = file;
    req.file_name = file_name;
    req.dataset = dataset;
    req.mode = mode;
    return ingestor_->Ingest(req);
  }
  int64_t Count(const std::string& view) {
    auto r = engine_->Run({"SELECT count(*) FROM \"" + view + "\"", -1, -1});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->Int(0, 0) : -1;
  }
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    auto listed = buckets_->Primary()->List("");
    for (const auto& o : *listed) out.push_back(o.key);
    return out;
  }
};

TEST_F(IngestTest, CsvBecomesParquetWithColumnsPiiAndLineage) {
  auto r = IngestText("Customers 2024.csv",
                      "id,customer_email,notes,amount\n"
                      "1,ana@example.com,hello,10.5\n2,bo@example.org,call 555,20\n"
                      "3,cy@example.net,,30.25\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->manifest.name, "customers_2024");
  EXPECT_EQ(r->rows_written, 3);
  EXPECT_EQ(r->format, Format::kCsv);
  EXPECT_EQ(r->file_key, "datasets/customers_2024/1-1.parquet");
  const auto& m = r->manifest;
  EXPECT_EQ(m.row_count(), 3);
  EXPECT_EQ(m.lineage.source, "Customers 2024.csv");
  EXPECT_EQ(m.lineage.ingest_job_id, r->job_id);
  ASSERT_EQ(m.columns.size(), 4u);
  EXPECT_EQ(m.columns[0].type, "BIGINT");
  const auto* email = m.FindColumn("customer_email");
  ASSERT_NE(email, nullptr);
  EXPECT_TRUE(email->is_pii);
  EXPECT_FALSE(email->pii_name_reason.empty());
  EXPECT_FALSE(email->pii_value_reason.empty());
  EXPECT_EQ(m.sensitivity, catalog::Sensitivity::kConfidential);
  EXPECT_FALSE(m.FindColumn("notes")->is_pii);
  EXPECT_EQ(Count("customers_2024"), 3);
  auto head = ReadFile(config_.data_dir / r->file_key);
  EXPECT_EQ(head->substr(0, 4), "PAR1");
}

TEST_F(IngestTest, PiiFoundByValuesAlone) {
  std::string csv = "id,contact\n";
  for (int i = 0; i < 10; ++i) csv += std::to_string(i) + ",user" + std::to_string(i) + "@mail.com\n";
  auto r = IngestText("contacts.csv", csv);
  ASSERT_TRUE(r.ok());
  const auto* contact = r->manifest.FindColumn("contact");
  EXPECT_TRUE(contact->is_pii);
  EXPECT_TRUE(contact->pii_name_reason.empty());
  EXPECT_NE(contact->pii_value_reason.find("10 of 10"), std::string::npos) << contact->pii_value_reason;
}

TEST_F(IngestTest, JsonNdjsonTextAndPdf) {
  auto json = IngestText("items.json", R"([{"sku":"a","qty":1,"tags":["x"]},{"sku":"b","qty":2,"tags":[]}])");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->format, Format::kJsonArray);
  EXPECT_EQ(Count("items"), 2);
  auto nd = IngestText("events.ndjson", "{\"e\":\"click\",\"t\":1}\n{\"e\":\"view\",\"t\":2}\n{\"e\":\"buy\",\"t\":3}\n");
  ASSERT_TRUE(nd.ok()) << nd.status().ToString();
  EXPECT_EQ(nd->format, Format::kNdjson);
  EXPECT_EQ(Count("events"), 3);
  auto txt = IngestText("notes.txt", "First paragraph.\n\nSecond one\nspans lines.\n\nThird.\n");
  ASSERT_TRUE(txt.ok()) << txt.status().ToString();
  EXPECT_EQ(txt->format, Format::kText);
  auto paras = engine_->Run({"SELECT doc_id, paragraph, text FROM notes ORDER BY paragraph", -1, -1});
  ASSERT_TRUE(paras.ok());
  ASSERT_EQ(paras->rows.size(), 3u);
  EXPECT_EQ(paras->Text(0, 0), "notes.txt");
  EXPECT_EQ(paras->Text(1, 2), "Second one\nspans lines.");
  auto pdf = IngestText("report.pdf", testing::MakePdf({"Quarterly revenue grew", "Costs fell (slightly)"}));
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->format, Format::kPdf);
  auto pages = engine_->Run({"SELECT page, text FROM report ORDER BY page", -1, -1});
  ASSERT_TRUE(pages.ok());
  ASSERT_EQ(pages->rows.size(), 2u);
  EXPECT_NE(pages->Text(0, 1).find("Quarterly revenue grew"), std::string::npos);
  EXPECT_NE(pages->Text(1, 1).find("Costs fell (slightly)"), std::string::npos);
}

TEST_F(IngestTest, TsvAndParquetInputs) {
  auto tsv = IngestText("metrics.tsv", "host\tcpu\nweb1\t0.5\nweb2\t0.75\n");
  ASSERT_TRUE(tsv.ok()) << tsv.status().ToString();
  EXPECT_EQ(tsv->manifest.columns.size(), 2u);
  EXPECT_EQ(tsv->manifest.columns[1].type, "DOUBLE");
  // A Parquet input written by DuckDB itself, under a misleading name.
  fs::path parquet = dir_ / "in" / "export.bin";
  fs::create_directories(parquet.parent_path());
  auto db = engine::Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE((*conn)->Execute("COPY (SELECT range AS id, range::VARCHAR AS label FROM range(1234)) TO '" +
                               parquet.string() + "' (FORMAT parquet)").ok());
  IngestRequest req;
  req.file = parquet;
  req.file_name = "export.bin";
  auto r = ingestor_->Ingest(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, Format::kParquet);
  EXPECT_EQ(r->rows_written, 1234);
  EXPECT_EQ(Count("export"), 1234);
}

TEST_F(IngestTest, AppendReplaceAndSameBytesNoOp) {
  ASSERT_TRUE(IngestText("sales.csv", "id,v\n1,10\n2,20\n").ok());
  auto same = IngestText("sales.csv", "id,v\n1,10\n2,20\n");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->no_op);
  EXPECT_NE(same->message.find("no change"), std::string::npos);
  auto appended = IngestText("sales.csv", "id,v\n3,30\n");
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->manifest.versions.size(), 1u);
  EXPECT_EQ(appended->manifest.current().files.size(), 2u);
  EXPECT_EQ(Count("sales"), 3);
  auto replaced = IngestText("sales.csv", "id,v\n9,90\n", WriteMode::kReplace);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->manifest.versions.size(), 2u);
  EXPECT_EQ(replaced->manifest.row_count(), 1);
  EXPECT_EQ(Count("sales"), 1);
  EXPECT_EQ(Count("sales@v1"), 3);  // the previous version stays readable
}

TEST_F(IngestTest, BadInputChangesNothing) {
  ASSERT_TRUE(IngestText("good.csv", "id,v\n1,10\n").ok());
  auto before_files = Files();
  auto before_manifest = ReadFile(config_.data_dir / "_catalog/datasets/good.json");
  // A malformed CSV: a row with too many fields, far enough down to pass the sniffer.
  std::string bad = "id,v\n";
  for (int i = 0; i < 30000; ++i) bad += std::to_string(i) + "," + std::to_string(i) + "\n";
  bad += "30000,1,extra,fields\n";
  auto r = IngestText("bad.csv", bad, WriteMode::kAppend, "good");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad.csv"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("30002"), std::string::npos) << r.status().message();
  // Ragged near the top: DuckDB's sniffer alone would skip the first lines.
  std::string ragged = "id,v\n";
  for (int i = 0; i < 100; ++i) ragged += std::to_string(i) + ",1\n";
  ragged += "x,1,2,3\n";
  auto short_bad = IngestText("ragged.csv", ragged, WriteMode::kAppend, "good");
  ASSERT_FALSE(short_bad.ok());
  EXPECT_NE(short_bad.status().message().find("line 102 has 4 fields but the first line, the header, has 2"), std::string::npos)
      << short_bad.status().message();
  auto tiny = IngestText("tiny.csv", "a,b\n1,2\n3,4,5\n");
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("line 3 has 3 fields"), std::string::npos) << tiny.status().message();
  auto mismatch = IngestText("typed.csv", "id,v\nx,notanumber\n", WriteMode::kAppend, "good");
  EXPECT_EQ(mismatch.status().code(), StatusCode::kConflict);
  EXPECT_EQ(IngestText("empty.csv", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IngestText("x.bin", std::string("\0\1\2\3", 4)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IngestText("broken.pdf", "%PDF-1.4 garbage").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IngestText("x.csv", "a\n1\n", WriteMode::kAppend, "../etc").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Files(), before_files);
  EXPECT_EQ(*ReadFile(config_.data_dir / "_catalog/datasets/good.json"), *before_manifest);
  EXPECT_TRUE(fs::is_empty(config_.data_dir / "_staging"));
}

TEST_F(IngestTest, HostileNestingIsRefusedOrReadSafely) {
  ASSERT_TRUE(IngestText("good.csv", "id,v\n1,10\n").ok());
  auto before_files = Files();
  auto before_manifest = ReadFile(config_.data_dir / "_catalog/datasets/good.json");
  auto refusal = [](const std::string& name) {
    return "cannot read " + name + ": its JSON nests deeper than 64 levels (line " +
           (name == "deep.ndjson" ? "2" : "1") + "); lakehouse reads JSON nested up to 64 levels ([ingest] max_json_depth)";
  };
  // 20 KB nested 10,000 deep exhausted the stack; 2 KB of [ x1000 ] x1000
  // was stored and then broke every query.
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"deep.json", std::string(10000, '[') + std::string(10000, ']')},
           {"brackets.json", std::string(1000, '[') + std::string(1000, ']')},
           {"deep.ndjson", "{\"a\": 1}\n{\"a\": " + std::string(5000, '[') + std::string(5000, ']') + "}\n"},
           {"objects.json", [] {
              std::string s;
              for (int i = 0; i < 3000; ++i) s += "{\"a\":";
              return s + "1" + std::string(3000, '}');
            }()}}) {
    auto r = IngestText(name, bytes);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(r.status().message(), refusal(name));
  }
  EXPECT_EQ(Files(), before_files);
  EXPECT_EQ(*ReadFile(config_.data_dir / "_catalog/datasets/good.json"), *before_manifest);
  EXPECT_TRUE(fs::is_empty(config_.data_dir / "_staging"));

  // 102 bytes nested 50 deep made every later query spin for minutes: its
  // deep part is now kept as JSON text, and queries stay fast.
  auto deep = IngestText("fifty.json", std::string(50, '[') + "1" + std::string(50, ']'));
  ASSERT_TRUE(deep.ok()) << deep.status().ToString();
  EXPECT_LE(TypeNestingDepth(deep->manifest.columns.at(0).type), kTypedJsonDepth) << deep->manifest.columns.at(0).type;
  EXPECT_EQ(Count("fifty"), 1);
  auto text = engine_->Run({"SELECT CAST(json AS VARCHAR) FROM fifty", -1, -1});
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->Text(0, 0), std::string(49, '[') + "1" + std::string(49, ']'));
  EXPECT_EQ(Count("good"), 1);
}

TEST_F(IngestTest, DeepParquetIsRefusedBeforeARowIsRead) {
  auto db = engine::Database::Open({});
  ASSERT_TRUE(db.ok());
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  for (int depth : {30, 1000}) {
    fs::path json = dir_ / "in" / "deep.json", parquet = dir_ / "in" / ("deep" + std::to_string(depth) + ".parquet");
    testing::WriteFile(json, std::string(depth, '[') + std::string(depth, ']'));
    ASSERT_TRUE((*conn)->Execute("COPY (SELECT * FROM read_json(" + QuoteLiteral(json.string()) + ")) TO " +
                                 QuoteLiteral(parquet.string()) + " (FORMAT parquet)").ok());
    IngestRequest req;
    req.file = parquet;
    req.file_name = parquet.filename().string();
    auto r = ingestor_->Ingest(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "cannot read " + req.file_name + ": its columns nest deeper than 16 levels, "
                                    "the most lakehouse stores");
  }
  EXPECT_TRUE(catalog_->List().empty());
  // The ingest engine is still whole.
  EXPECT_TRUE(IngestText("after.csv", "id\n1\n").ok());
}

}  // namespace lakehouse::ingest

namespace lakehouse::ingest {

class InboxTest : public IngestFixture {
 protected:
  fs::path Inbox() { return dir_ / "inbox"; }
  // Runs `fn` without root's power to read any folder, when we have it.
  template <typename Fn>
  void AsUnprivileged(Fn fn) {
    if (::geteuid() != 0) return fn();
    fs::permissions(dir_, fs::perms::all);
    for (auto& e : fs::recursive_directory_iterator(dir_)) {
      if (e.path().filename() != "locked") fs::permissions(e.path(), fs::perms::all);
    }
    ASSERT_EQ(::seteuid(65534), 0);
    fn();
    ASSERT_EQ(::seteuid(0), 0);
  }
};

TEST_F(InboxTest, AnUnreadableFolderIsSkippedNotFatal) {
  InboxWatcher watcher(*ingestor_, {Inbox(), 60000, 0});
  ASSERT_TRUE(watcher.Start().ok());
  watcher.Stop();  // scanned by hand below
  testing::WriteFile(Inbox() / "locked" / "hidden.csv", "a\n1\n");
  fs::permissions(Inbox() / "locked", fs::perms::none);
  // Sorted after "locked", so the old walk never got to it.
  testing::WriteFile(Inbox() / "zeta.csv", "a\n1\n2\n");
  testing::WriteFile(Inbox() / "sales" / "march.csv", "a\n3\n");
  AsUnprivileged([&] {
    watcher.ScanOnce();
    watcher.ScanOnce();
  });
  fs::permissions(Inbox() / "locked", fs::perms::owner_all);
  EXPECT_TRUE(catalog_->Get("zeta").ok());
  EXPECT_TRUE(catalog_->Get("sales").ok());
  EXPECT_FALSE(catalog_->Get("hidden").ok());
  EXPECT_TRUE(fs::exists(Inbox() / "locked" / "hidden.csv"));
}

TEST_F(InboxTest, AFileThatCannotBeMovedIsNotIngestedAgainAndAgain) {
  InboxWatcher watcher(*ingestor_, {Inbox(), 60000, 0});
  ASSERT_TRUE(watcher.Start().ok());
  watcher.Stop();
  // processed/ replaced by a file: every move into it fails, even for root.
  fs::remove_all(Inbox() / "processed");
  testing::WriteFile(Inbox() / "processed", "not a folder");
  testing::WriteFile(Inbox() / "events" / "a.csv", "id\n1\n");
  EXPECT_EQ(watcher.ScanOnce(), 1);
  auto first = catalog_->Get("events");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(watcher.Stuck().size(), 1u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(watcher.ScanOnce(), 0);  // no new ingest while it waits
  EXPECT_EQ(catalog_->Get("events")->updated_at, first->updated_at);
  // Once the folder is back, the retried move gets it out.
  fs::remove(Inbox() / "processed");
  fs::create_directories(Inbox() / "processed");
  for (int i = 0; i < 40 && fs::exists(Inbox() / "events" / "a.csv"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    watcher.ScanOnce();
  }
  EXPECT_FALSE(fs::exists(Inbox() / "events" / "a.csv"));
  EXPECT_TRUE(watcher.Stuck().empty());
  EXPECT_EQ(std::distance(fs::directory_iterator(Inbox() / "processed"), fs::directory_iterator()), 1);
}

}  // namespace lakehouse::ingest

namespace lakehouse::ingest {

TEST_F(IngestTest, CompactionMergesSmallFilesKeepsRowsAndRemovesTheOldFilesLater) {
  for (int i = 0; i < 20; ++i) {
    auto r = IngestText("part" + std::to_string(i) + ".csv",
                        "id,v\n" + std::to_string(2 * i) + ",1\n" + std::to_string(2 * i + 1) + ",2\n",
                        WriteMode::kAppend, "events");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  auto sum = [&] {
    auto r = engine_->Run({"SELECT count(*), sum(id), sum(v) FROM events", -1, -1});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->Text(0, 0) + "/" + r->Text(0, 1) + "/" + r->Text(0, 2) : "";
  };
  std::string before = sum();
  EXPECT_EQ(before, "40/780/60");
  CompactionOptions options;
  options.delete_grace = std::chrono::milliseconds(0);
  Compactor compactor(*catalog_, *buckets_, options);
  auto done = compactor.Compact("events");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->new_version, 2);
  EXPECT_EQ(done->files_merged, 20);
  auto m = catalog_->Get("events");
  ASSERT_EQ(m->current().files.size(), 1u);
  EXPECT_EQ(m->current().compacted_from, 1);
  EXPECT_EQ(m->current().compacted_file_count, 20);
  EXPECT_EQ(m->versions.front().compacted_into, 2);
  EXPECT_EQ(m->row_count(), 40);
  EXPECT_EQ(sum(), before);
  EXPECT_EQ(m->pending_deletes.size(), 20u);
  // Sending one of the merged inputs again is still a no-op.
  auto again = IngestText("part3.csv", "id,v\n6,1\n7,2\n", WriteMode::kAppend, "events");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->no_op);
  // Appends go on into the new version; nothing to compact below the threshold.
  ASSERT_TRUE(IngestText("late.csv", "id,v\n100,5\n", WriteMode::kAppend, "events").ok());
  EXPECT_EQ(catalog_->Get("events")->current().files.size(), 2u);
  EXPECT_EQ(compactor.Compact("events")->new_version, 0);
  ASSERT_TRUE(compactor.RemoveExpiredFiles("events").ok());
  EXPECT_TRUE(catalog_->Get("events")->pending_deletes.empty());
  std::vector<std::string> data_files;
  for (const auto& key : Files()) {
    if (key.rfind("datasets/events/", 0) == 0) data_files.push_back(key);
  }
  EXPECT_EQ(data_files, (std::vector<std::string>{"datasets/events/2-1.parquet", "datasets/events/2-2.parquet"}));
  EXPECT_EQ(Count("events"), 41);
}

TEST_F(IngestTest, CompactionKeepsNewColumnsOfLaterAppends) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(IngestText("a" + std::to_string(i) + ".csv", "id\n" + std::to_string(i) + "\n", WriteMode::kAppend, "wide").ok());
  ASSERT_TRUE(IngestText("b.csv", "id,extra\n9,hello\n", WriteMode::kAppend, "wide").ok());
  Compactor compactor(*catalog_, *buckets_, {});
  auto done = compactor.Compact("wide", /*force=*/true);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->files_merged, 4);
  auto r = engine_->Run({"SELECT count(*), count(extra), max(extra) FROM wide", -1, -1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Text(0, 0) + "/" + r->Text(0, 1) + "/" + r->Text(0, 2), "4/1/hello");
}

}  // namespace lakehouse::ingest

namespace lakehouse::ingest {

TEST_F(IngestTest, QueriesBetweenAppendsSeeEveryRowAndNewColumns) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(IngestText("p" + std::to_string(i) + ".csv", "id,v\n" + std::to_string(i) + ",1\n", WriteMode::kAppend, "log").ok());
    EXPECT_EQ(Count("log"), i + 1);
  }
  ASSERT_TRUE(IngestText("wider.csv", "id,v,note\n9,1,new\n", WriteMode::kAppend, "log").ok());
  auto r = engine_->Run({"SELECT count(*), count(note), sum(v) FROM log", -1, -1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Text(0, 0) + "/" + r->Text(0, 1) + "/" + r->Text(0, 2), "6/1/6");
  ASSERT_TRUE(IngestText("narrow.csv", "id\n10\n", WriteMode::kAppend, "log").ok());
  r = engine_->Run({"SELECT count(*), count(note), count(v) FROM log", -1, -1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Text(0, 0) + "/" + r->Text(0, 1) + "/" + r->Text(0, 2), "7/1/6");
}

}  // namespace lakehouse::ingest
