// Appends as a delta beside the served backend: searchable at once by
// meaning and by words, kept across a restart, merged into the backend
// later, for every backend; and an append torn by a crash.
#include <gtest/gtest.h>

#include "vector/doc_fetch.h"
#include "vector/index_fixture.h"
#include "vector/index_stats.h"

namespace lakehouse::vector {
namespace {

class AppendTest : public IndexTest, public ::testing::WithParamInterface<BackendKind> {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    backend_ = {GetParam(), {}};
  }
  std::string Top(const std::string& text, SearchMode mode) {
    SearchRequest q;
    q.text = text;
    q.mode = mode;
    q.k = 3;
    auto r = Search("docs_idx", q);
    return r.hits.empty() ? "" : r.hits[0].doc_id;
  }
  void ExpectFound(int id) {
    std::string words = "Marker word" + std::to_string(id);
    EXPECT_EQ(Top(words, SearchMode::kVector), std::to_string(id)) << "by meaning";
    EXPECT_EQ(Top(words, SearchMode::kText), std::to_string(id)) << "by words";
    auto doc = FetchDoc(*registry_, *catalog_, "docs_idx", std::to_string(id), {true, false, false});
    ASSERT_TRUE(doc.ok()) << doc.status().message();
    ASSERT_EQ(doc->chunks.size(), 1u);
    EXPECT_EQ(doc->chunks[0].vector.size(), 768u) << "the vector of an appended chunk is fetched from the delta";
  }
};

TEST_P(AppendTest, AppendedRowsAreSearchedBesideTheBackendThenMergedIntoIt) {
  IngestDocs(0, 400, ingest::WriteMode::kAppend);  // enough for ivf_pq to train on
  IndexManifest first = Build("docs_idx");
  ASSERT_TRUE(first.active);

  IngestDocs(400, 410, ingest::WriteMode::kAppend);
  auto appended = registry_->Refresh("docs_idx");
  ASSERT_TRUE(appended.ok()) << appended.status().message();
  EXPECT_TRUE(appended->appended);
  EXPECT_EQ(appended->stats.docs_added, 10);
  IndexManifest m = *registry_->Get("docs_idx");
  // Nothing of the generation before was rewritten: its backend file and
  // full-text file serve on, and one embeddings part holds the new rows.
  EXPECT_EQ(m.active->backend_file, first.active->backend_file);
  EXPECT_EQ(m.active->text_file, first.active->text_file);
  EXPECT_EQ(m.active->delta_parts, 1);
  EXPECT_EQ(m.active->embedding_files.size(), 2u);
  EXPECT_EQ(m.active->doc_count, 410);
  ExpectFound(405);
  ExpectFound(17);
  auto stats = ComputeStats(*registry_, *buckets_, "docs_idx");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->vectors, 410u);
  EXPECT_EQ(stats->delta_vectors, 10u);

  // A later file repeating an id adds nothing: the dataset's first row wins.
  IngestDocs(405, 406, ingest::WriteMode::kAppend, " Repeated.");
  auto repeated = registry_->Refresh("docs_idx");
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(repeated->stats.docs_added, 0);
  EXPECT_EQ(repeated->stats.duplicate_ids, 1);

  // The delta is read back from its part after a restart.
  Restart();
  ExpectFound(405);
  EXPECT_EQ(ComputeStats(*registry_, *buckets_, "docs_idx")->delta_vectors, 10u);

  auto merged = registry_->MergeDelta("docs_idx");
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  EXPECT_EQ(merged->active->delta_parts, 0);
  EXPECT_EQ(merged->active->doc_count, 410);
  EXPECT_EQ(merged->active->text_file, first.active->text_file);
  if (GetParam() != BackendKind::kFlat) {
    EXPECT_NE(merged->active->backend_file, first.active->backend_file);
    EXPECT_TRUE(Exists(merged->active->backend_file));
    EXPECT_FALSE(Exists(first.active->backend_file)) << "the file the merge replaced is removed";
  }
  EXPECT_EQ(ComputeStats(*registry_, *buckets_, "docs_idx")->delta_vectors, 0u);
  ExpectFound(405);
  Restart();
  ExpectFound(405);
  ExpectFound(3);
}

TEST_P(AppendTest, ManyAppendsMergeByThemselvesAndAReplaceFoldsTheDeltaIn) {
  IngestDocs(0, 400, ingest::WriteMode::kAppend);
  Build("docs_idx");
  int merges = 0;
  for (int i = 0; i < kMaxDeltaParts + 2; ++i) {
    IngestDocs(400 + i, 401 + i, ingest::WriteMode::kAppend);
    auto r = registry_->Refresh("docs_idx");
    ASSERT_TRUE(r.ok()) << r.status().message();
    if (registry_->Get("docs_idx")->active->delta_parts == 0) ++merges;
  }
  EXPECT_EQ(merges, 1) << "merged once the delta had " << kMaxDeltaParts << " parts";
  ExpectFound(400 + kMaxDeltaParts + 1);
  ExpectFound(401);

  // A replace is not an append: it rewrites the backend with the delta in it.
  IngestDocs(0, 380, ingest::WriteMode::kReplace);
  auto replaced = registry_->Refresh("docs_idx");
  ASSERT_TRUE(replaced.ok()) << replaced.status().message();
  EXPECT_FALSE(replaced->appended);
  IndexManifest m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.active->delta_parts, 0);
  EXPECT_EQ(m.active->doc_count, 380);
  ExpectFound(379);
  EXPECT_NE(Top("Marker word401", SearchMode::kText), "401");
}

INSTANTIATE_TEST_SUITE_P(AllBackends, AppendTest,
                         ::testing::Values(BackendKind::kFlat, BackendKind::kHnsw, BackendKind::kIvfPq),
                         [](const auto& info) { return std::string(BackendKindName(info.param)); });

TEST_F(IndexTest, AnAppendTornByACrashLeavesRowsTheNextAppendReplaces) {
  IngestDocs(0, 100, ingest::WriteMode::kAppend);
  IndexManifest m = Build("docs_idx");
  // What a crash between the full-text commit and the manifest leaves: rows
  // under labels the manifest has not handed out yet.
  auto path = config_.data_dir / m.active->text_file;
  ASSERT_TRUE(TextIndex::AppendInPlace(path, m.active->next_label, {m.active->next_label, m.active->next_label + 1},
                                       {"phantom zebra", "phantom zebra"})
                  .ok());
  SearchRequest q;
  q.text = "phantom zebra";
  q.mode = SearchMode::kText;
  EXPECT_TRUE(Search("docs_idx", q).hits.empty()) << "rows no generation knows are never shown";

  IngestDocs(100, 102, ingest::WriteMode::kAppend);
  auto r = registry_->Refresh("docs_idx");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(Search("docs_idx", q).hits.empty());
  q.text = "Marker word101";
  ASSERT_FALSE(Search("docs_idx", q).hits.empty());
  EXPECT_EQ(Search("docs_idx", q).hits[0].doc_id, "101");
  // And a refresh that copies the file drops them too.
  ASSERT_TRUE(TextIndex::AppendInPlace(path, registry_->Get("docs_idx")->active->next_label,
                                       {registry_->Get("docs_idx")->active->next_label}, {"phantom zebra"})
                  .ok());
  IngestDocs(0, 102, ingest::WriteMode::kReplace, " Revised.");
  ASSERT_TRUE(registry_->Refresh("docs_idx").ok());
  q.text = "phantom zebra";
  EXPECT_TRUE(Search("docs_idx", q).hits.empty());
}

}  // namespace
}  // namespace lakehouse::vector

namespace lakehouse::vector {
namespace {

TEST_F(IndexTest, AnAppendThatCannotBeStoredIsTakenBackFromSearches) {
  IngestDocs(0, 100, ingest::WriteMode::kAppend);
  IndexManifest m = Build("docs_idx");
  // The embeddings part cannot be written (a folder holds its name): the
  // append fails after its rows were already served.
  std::string part = EmbeddingPartKey("docs_idx", m.active->number + 1);
  fs::create_directories(config_.data_dir / part);
  IngestDocs(100, 105, ingest::WriteMode::kAppend);
  auto failed = registry_->Refresh("docs_idx");
  EXPECT_FALSE(failed.ok());
  SearchRequest q;
  q.text = "Marker word103";
  q.mode = SearchMode::kText;
  for (const auto& hit : Search("docs_idx", q).hits) EXPECT_NE(hit.doc_id, "103") << "taken back";
  EXPECT_EQ(registry_->Get("docs_idx")->active->number, m.active->number);
  EXPECT_EQ(registry_->Acquire("docs_idx").value()->generation.number, m.active->number);
  EXPECT_TRUE(registry_->SourceChanged(*registry_->Get("docs_idx")));
  // Once it can be stored, the same append goes through.
  fs::remove_all(config_.data_dir / part);
  auto retried = registry_->Refresh("docs_idx");
  ASSERT_TRUE(retried.ok()) << retried.status().message();
  EXPECT_TRUE(retried->appended);
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "103");
}

}  // namespace
}  // namespace lakehouse::vector

namespace lakehouse::vector {
namespace {

TEST_F(IndexTest, AnAppendedRowRepeatingAnIdWhoseFirstRowWasBlankAddsNothing) {
  std::string csv = "id,region,bucket,body,contact\n1,r1,1,\"" + Doc(1) + "\",a@example.com\n2,r2,2,,b@example.com\n";
  IngestCsv("docs", csv);
  Build("docs_idx");
  IngestDocs(2, 4, ingest::WriteMode::kAppend);  // ids 2 (again, now with text) and 3
  auto r = registry_->Refresh("docs_idx");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->stats.docs_added, 1);
  EXPECT_EQ(r->stats.duplicate_ids, 1);
  EXPECT_EQ(FetchDoc(*registry_, *catalog_, "docs_idx", "2", {}).status().code(), StatusCode::kNotFound)
      << "the dataset's first row of id 2 has no text, as a full build would say";
  EXPECT_TRUE(FetchDoc(*registry_, *catalog_, "docs_idx", "3", {}).ok());
}

TEST_F(IndexTest, PartsDoNotPileUpOverManyAppends) {
  IngestDocs(0, 20, ingest::WriteMode::kAppend);
  Build("docs_idx");
  size_t most = 0;
  for (int i = 0; i < static_cast<int>(kMaxEmbeddingParts) + 6; ++i) {
    IngestDocs(20 + i, 21 + i, ingest::WriteMode::kAppend);
    ASSERT_TRUE(registry_->Refresh("docs_idx").ok());
    most = std::max(most, registry_->Get("docs_idx")->active->embedding_files.size());
  }
  EXPECT_LE(most, kMaxEmbeddingParts + 1);
  EXPECT_LT(registry_->Get("docs_idx")->active->embedding_files.size(), 10u);
  SearchRequest q;
  q.text = "Marker word85";
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "85");
}

}  // namespace
}  // namespace lakehouse::vector
