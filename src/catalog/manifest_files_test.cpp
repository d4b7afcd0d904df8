#include "catalog/manifest_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "common/files.h"

namespace lakehouse::catalog {

class AppendLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_applog_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    config_.data_dir = dir_;
    FinishBuckets(config_);
    buckets_ = std::make_unique<storage::BucketRegistry>(config_.buckets);
    catalog_ = std::make_unique<Catalog>(*buckets_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Appends one file to the current version (creating version 1 first).
  Result<Manifest> AppendFile(Catalog& catalog, int n) {
    return catalog.Mutate(
        "events",
        [&](std::optional<Manifest> existing) -> Result<Manifest> {
          Manifest m = existing.value_or(Manifest{});
          if (m.versions.empty()) m.versions.push_back({});
          auto& v = m.current();
          v.files.push_back({"datasets/events/1-" + std::to_string(n) + ".parquet", 10, 100, "sha" + std::to_string(n), Now()});
          v.row_count += 10;
          m.description = "after " + std::to_string(n);
          return m;
        },
        Catalog::WriteKind::kAppend);
  }
  fs::path Dir() { return dir_ / "_catalog" / "datasets"; }
  uint64_t Size(const fs::path& p) { return fs::exists(p) ? fs::file_size(p) : 0; }

  fs::path dir_;
  Config config_;
  std::unique_ptr<storage::BucketRegistry> buckets_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(AppendLogTest, AppendsGoToTheLogAndEveryReaderSeesThem) {
  ASSERT_TRUE(AppendFile(*catalog_, 1).ok());  // creates: a checkpoint
  uint64_t checkpoint_size = Size(Dir() / "events.json");
  uint64_t line = 0;
  for (int n = 2; n <= 200; ++n) {
    uint64_t before = Size(Dir() / "events.log");
    ASSERT_TRUE(AppendFile(*catalog_, n).ok()) << n;
    uint64_t grew = Size(Dir() / "events.log") - before;
    if (n == 2) line = grew;
    // One line per append, of the same size whatever came before.
    EXPECT_LE(grew, line + 32) << n;  // a few more digits
  }
  EXPECT_EQ(Size(Dir() / "events.json"), checkpoint_size);
  // Another process (a fresh catalog) reads checkpoint plus log.
  Catalog other(*buckets_);
  auto m = other.Get("events");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->current().files.size(), 200u);
  EXPECT_EQ(m->current().files.back().key, "datasets/events/1-200.parquet");
  EXPECT_EQ(m->row_count(), 2000);
  EXPECT_EQ(m->description, "after 200");
  // And sees appends made after it first read.
  ASSERT_TRUE(AppendFile(*catalog_, 201).ok());
  EXPECT_EQ(other.Get("events")->current().files.size(), 201u);
  // It can append too: each writer reads what the other wrote.
  ASSERT_TRUE(AppendFile(other, 202).ok());
  ASSERT_TRUE(AppendFile(*catalog_, 203).ok());
  EXPECT_EQ(Catalog(*buckets_).Get("events")->current().files.size(), 203u);
}

TEST_F(AppendLogTest, ACheckpointFoldsTheLogAndLeftoverLinesAreSkipped) {
  for (int n = 1; n <= 5; ++n) ASSERT_TRUE(AppendFile(*catalog_, n).ok());
  std::string log_before = *ReadFile(Dir() / "events.log");
  ASSERT_TRUE(catalog_->PatchMetadata("events", MetadataPatch{.owner = "ops"}).ok());
  EXPECT_FALSE(fs::exists(Dir() / "events.log"));
  auto folded = nlohmann::json::parse(*ReadFile(Dir() / "events.json"));
  EXPECT_EQ(folded["log_seq"], 4);
  EXPECT_EQ(folded["versions"][0]["files"].size(), 5u);
  // A crash between the checkpoint and removing the log leaves the old
  // lines: they are already in the checkpoint and must not count twice.
  ASSERT_TRUE(AtomicWriteFile(Dir() / "events.log", log_before).ok());
  auto m = Catalog(*buckets_).Get("events");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->current().files.size(), 5u);
  EXPECT_EQ(m->owner, "ops");
  ASSERT_TRUE(AppendFile(*catalog_, 6).ok());
  EXPECT_EQ(Catalog(*buckets_).Get("events")->current().files.size(), 6u);
}

TEST_F(AppendLogTest, ATornLastLineIsIgnoredAndCutOffByTheNextAppend) {
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(AppendFile(*catalog_, n).ok());
  std::string good = *ReadFile(Dir() / "events.log");
  {
    std::ofstream out(Dir() / "events.log", std::ios::app);
    out << R"({"seq": 3, "head": {"name": "events")";  // a crash mid-write
  }
  Catalog reader(*buckets_);
  EXPECT_EQ(reader.Get("events")->current().files.size(), 3u);
  EXPECT_TRUE(reader.Problems().empty());
  Catalog writer(*buckets_);
  ASSERT_TRUE(AppendFile(writer, 4).ok());
  std::string now = *ReadFile(Dir() / "events.log");
  EXPECT_EQ(now.substr(0, good.size()), good);
  EXPECT_EQ(now.find("\"seq\": 3, \"head\": {\"name\": \"events\"\n"), std::string::npos);
  EXPECT_EQ(Catalog(*buckets_).Get("events")->current().files.size(), 4u);
}

TEST_F(AppendLogTest, ABadLineEndsTheLogAndIsReported) {
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(AppendFile(*catalog_, n).ok());
  {
    std::ofstream out(Dir() / "events.log", std::ios::app);
    out << R"({"seq": "x", "head": 7})" << "\n";
  }
  Catalog reader(*buckets_);
  auto m = reader.Get("events");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->current().files.size(), 3u);
  EXPECT_EQ(reader.Problems().count("_catalog/datasets/events.log"), 1u);
}

TEST_F(AppendLogTest, PendingDeletesSurviveAppendsWithoutGrowingThem) {
  ASSERT_TRUE(AppendFile(*catalog_, 1).ok());
  ASSERT_TRUE(catalog_->Mutate("events", [](std::optional<Manifest> m) -> Result<Manifest> {
    for (int i = 0; i < 500; ++i) m->pending_deletes.mutate().push_back({"datasets/events/0-" + std::to_string(i) + ".parquet", Now()});
    return std::move(*m);
  }).ok());
  ASSERT_TRUE(AppendFile(*catalog_, 2).ok());
  EXPECT_LT(Size(Dir() / "events.log"), 2000u);
  auto m = Catalog(*buckets_).Get("events");
  EXPECT_EQ(m->pending_deletes.size(), 500u);
  EXPECT_EQ(m->current().files.size(), 2u);
}

TEST_F(AppendLogTest, DeleteRemovesCheckpointAndLog) {
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(AppendFile(*catalog_, n).ok());
  ASSERT_TRUE(catalog_->Delete("events").ok());
  EXPECT_FALSE(fs::exists(Dir() / "events.json"));
  EXPECT_FALSE(fs::exists(Dir() / "events.log"));
  EXPECT_FALSE(Catalog(*buckets_).Get("events").ok());
  ASSERT_TRUE(AppendFile(*catalog_, 1).ok());  // the name starts afresh
  EXPECT_EQ(catalog_->Get("events")->current().files.size(), 1u);
}

}  // namespace lakehouse::catalog
