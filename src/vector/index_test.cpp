// Index lifecycle and search over real ingested datasets: build, search
// (filters, modes, PII), delta refresh, shadow re-embedding, reload after a
// restart, refresh policies, drop.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "fake_embedding_server.h"
#include "vector/index_fixture.h"
#include "vector/refresh_scheduler.h"
#include "vector/row_join.h"
#include "vector/searcher.h"

namespace lakehouse::vector {
namespace {

TEST_F(IndexTest, BuildsSearchesAndRedactsPiiInRows) {
  IngestDocs(0, 200, ingest::WriteMode::kAppend);
  IndexManifest m = Build("docs_idx");
  ASSERT_EQ(m.status, IndexStatus::kReady);
  ASSERT_TRUE(m.active);
  EXPECT_EQ(m.active->doc_count, 200);
  EXPECT_EQ(m.active->chunk_count, 200);
  EXPECT_EQ(m.active->dimension, 768);
  EXPECT_EQ(m.embedder.model, "hash-768");
  EXPECT_TRUE(Exists(m.active->backend_file) && Exists(m.active->text_file) && Exists(m.active->embedding_files[0]));

  SearchRequest q;
  q.text = "Marker word137";
  q.k = 3;
  auto r = Search("docs_idx", q);
  ASSERT_EQ(r.hits.size(), 3u);
  EXPECT_EQ(r.hits[0].doc_id, "137");
  EXPECT_NE(r.hits[0].text.find("word137"), std::string::npos);
  // The row came along; the e-mail column is PII and redacted.
  ASSERT_FALSE(r.hits[0].row.empty());
  EXPECT_EQ(r.redacted_columns, std::vector<std::string>{"contact"});
  size_t contact = 0;
  for (size_t c = 0; c < r.row_columns.size(); ++c) {
    if (r.row_columns[c].name == "contact") contact = c;
  }
  EXPECT_EQ(std::get<std::string>(r.hits[0].row[contact]), "[redacted]");

  // A filter naming a PII column would answer questions about its values.
  SearchRequest probe = q;
  probe.filter = "contact LIKE 'user13%'";
  EXPECT_EQ(searcher_->Search("docs_idx", probe).status().code(), StatusCode::kPermissionDenied);
  probe.filter = "\"CONTACT\" = 'x'";
  EXPECT_EQ(searcher_->Search("docs_idx", probe).status().code(), StatusCode::kPermissionDenied);
  probe.filter = "region = 'contact'";  // the word inside a string is no column
  EXPECT_TRUE(searcher_->Search("docs_idx", probe).ok());
  probe.filter = "contact LIKE 'user13%'";
  probe.may_see_pii = true;
  EXPECT_TRUE(searcher_->Search("docs_idx", probe).ok());

  q.include_pii = true;
  EXPECT_EQ(searcher_->Search("docs_idx", q).status().code(), StatusCode::kPermissionDenied);
  q.may_see_pii = true;
  r = Search("docs_idx", q);
  EXPECT_TRUE(r.redacted_columns.empty());
  EXPECT_EQ(std::get<std::string>(r.hits[0].row[contact]), "user137@example.com");

  // Text and hybrid modes find the exact word too.
  for (SearchMode mode : {SearchMode::kText, SearchMode::kHybrid}) {
    SearchRequest t;
    t.text = "word42";
    t.mode = mode;
    t.k = 5;
    auto hits = Search("docs_idx", t).hits;
    ASSERT_FALSE(hits.empty()) << SearchModeName(mode);
    EXPECT_EQ(hits[0].doc_id, "42") << SearchModeName(mode);
  }
  SearchRequest wrong;
  wrong.vector = std::vector<float>(10, 1.0f);
  EXPECT_EQ(searcher_->Search("docs_idx", wrong).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(searcher_->Search("nope", q).status().code(), StatusCode::kNotFound);
}

TEST_F(IndexTest, RefusesPiiColumnsUnlessAllowedAndValidatesTheRequest) {
  IngestDocs(0, 20, ingest::WriteMode::kAppend);
  IndexManifest request;
  request.name = "contacts";
  request.dataset = "docs";
  request.id_column = "id";
  request.text_column = "contact";
  auto refused = registry_->Prepare(request);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("allow_pii"), std::string::npos);
  EXPECT_FALSE(fs::exists(config_.data_dir / "_catalog/indexes/contacts.json"));
  request.allow_pii = true;
  ASSERT_TRUE(registry_->Prepare(request).ok());
  ASSERT_TRUE(registry_->BuildPrepared("contacts").ok());

  IndexManifest bad = request;
  bad.name = "bad";
  bad.text_column = "missing";
  EXPECT_EQ(registry_->Prepare(bad).status().code(), StatusCode::kInvalidArgument);
  bad.text_column = "body";
  bad.name = "../x";
  EXPECT_EQ(registry_->Prepare(bad).status().code(), StatusCode::kInvalidArgument);
  bad.name = "contacts";
  EXPECT_EQ(registry_->Prepare(bad).status().code(), StatusCode::kConflict);
  bad.name = "bad";
  bad.embedder.provider = "nonsense";
  EXPECT_EQ(registry_->Prepare(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IndexTest, FilteredSearchReturnsKMatchingHitsAtAnySelectivity) {
  IngestDocs(0, 1000, ingest::WriteMode::kAppend);
  Build("docs_idx");
  for (const char* filter : {"bucket < 50", "bucket < 10", "bucket < 1", "region = 'r3' AND bucket >= 90"}) {
    SearchRequest q;
    q.text = "invoice payment overdue";
    q.k = 10;
    q.filter = filter;
    auto r = Search("docs_idx", q);
    EXPECT_EQ(r.hits.size(), 10u) << filter;
    EXPECT_TRUE(r.filtered);
    for (const auto& hit : r.hits) {
      int id = std::stoi(hit.doc_id);
      if (std::string(filter) == "bucket < 1") EXPECT_EQ(id % 100, 0) << filter;
      if (std::string(filter) == "bucket < 10") EXPECT_LT(id % 100, 10) << filter;
    }
  }
  SearchRequest few;
  few.text = "anything";
  few.filter = "id IN (3, 7)";
  EXPECT_EQ(Search("docs_idx", few).hits.size(), 2u);
  few.filter = "no_such_column = 1";
  EXPECT_EQ(searcher_->Search("docs_idx", few).status().code(), StatusCode::kInvalidArgument);
  few.filter = "1=1; DROP TABLE docs";
  EXPECT_FALSE(searcher_->Search("docs_idx", few).ok());
}

TEST_F(IndexTest, RefreshEmbedsOnlyTheDeltaAndIsANoOpWhenNothingChanged) {
  IngestDocs(0, 100, ingest::WriteMode::kAppend);
  IndexManifest first = Build("docs_idx");
  auto dataset = catalog_->Get("docs");
  EXPECT_TRUE(dataset->last_embedded_at.has_value());
  EXPECT_FALSE(dataset->embedding_stale_since.has_value());

  auto noop = registry_->Refresh("docs_idx");
  ASSERT_TRUE(noop.ok());
  EXPECT_TRUE(noop->stats.no_op);
  EXPECT_EQ(noop->stats.chunks_embedded, 0);

  IngestDocs(100, 110, ingest::WriteMode::kAppend);
  EXPECT_TRUE(catalog_->Get("docs")->embedding_stale_since.has_value());
  EXPECT_TRUE(registry_->SourceChanged(*registry_->Get("docs_idx")));
  auto delta = registry_->Refresh("docs_idx");
  ASSERT_TRUE(delta.ok()) << delta.status().message();
  EXPECT_EQ(delta->stats.docs_added, 10);
  EXPECT_EQ(delta->stats.docs_changed, 0);
  EXPECT_EQ(delta->stats.chunks_embedded, 10);
  EXPECT_FALSE(catalog_->Get("docs")->embedding_stale_since.has_value());
  auto m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.active->doc_count, 110);
  EXPECT_EQ(m.active->embedding_files.size(), 2u);
  // An append: the graph is shared with the generation before, the new rows beside it.
  EXPECT_TRUE(delta->appended);
  EXPECT_EQ(m.active->backend_file, first.active->backend_file);
  EXPECT_EQ(m.active->delta_parts, 1);

  SearchRequest q;
  q.text = "Marker word105";
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "105");

  // A replace that changes docs 0..49's text and drops 50..109.
  IngestDocs(0, 50, ingest::WriteMode::kReplace, " Revised edition.");
  auto changed = registry_->Refresh("docs_idx");
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(changed->stats.docs_changed, 50);
  EXPECT_EQ(changed->stats.docs_removed, 60);
  EXPECT_EQ(changed->stats.docs_added, 0);
  m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.active->doc_count, 50);
  q.text = "Marker word105";
  for (const auto& hit : Search("docs_idx", q).hits) EXPECT_LT(std::stoi(hit.doc_id), 50);
  q.text = "word7 Revised edition";
  auto hit = Search("docs_idx", q).hits.at(0);
  EXPECT_NE(hit.text.find("Revised"), std::string::npos);
  // More tombstones than live chunks: the refresh compacted the generation.
  EXPECT_TRUE(changed->rebuilt);
  EXPECT_TRUE(m.active->deleted_labels.empty());

  // Compaction reuses the stored vectors of unchanged documents: keeping
  // 20 of the 50 (same text) embeds nothing.
  IngestDocs(0, 20, ingest::WriteMode::kReplace, " Revised edition.");
  auto compacted = registry_->Refresh("docs_idx");
  ASSERT_TRUE(compacted.ok()) << compacted.status().message();
  EXPECT_TRUE(compacted->rebuilt);
  EXPECT_EQ(compacted->stats.docs_removed, 30);
  EXPECT_EQ(compacted->stats.chunks_embedded, 0);
  m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.active->doc_count, 20);
  EXPECT_EQ(m.active->embedding_files.size(), 1u);
  EXPECT_TRUE(m.active->deleted_labels.empty());
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "7");
  // And after a restart, from the files alone.
  registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_, VectorOptions{2});
  ASSERT_TRUE(registry_->Open().ok());
  searcher_ = std::make_unique<Searcher>(*registry_, *catalog_, *engine_);
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "7");
}

TEST_F(IndexTest, ReloadsFromFilesAfterARestart) {
  IngestDocs(0, 60, ingest::WriteMode::kAppend);
  Build("docs_idx");
  SearchRequest q;
  q.text = "Marker word33 violin";
  q.mode = SearchMode::kHybrid;
  auto before = Search("docs_idx", q);
  registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_, VectorOptions{2});
  ASSERT_TRUE(registry_->Open().ok());
  searcher_ = std::make_unique<Searcher>(*registry_, *catalog_, *engine_);
  auto after = Search("docs_idx", q);
  ASSERT_EQ(before.hits.size(), after.hits.size());
  for (size_t i = 0; i < before.hits.size(); ++i) EXPECT_EQ(before.hits[i].doc_id, after.hits[i].doc_id);
  EXPECT_TRUE(registry_->Refresh("docs_idx")->stats.no_op);
}

TEST_F(IndexTest, AModelChangeBuildsAShadowAndSwitchesWhenDone) {
  IngestDocs(0, 50, ingest::WriteMode::kAppend);
  Build("docs_idx");
  IndexPatch patch;
  patch.embedder = ai::EmbedderSpec{"hash", "", 256};
  auto patched = registry_->Patch("docs_idx", patch);
  ASSERT_TRUE(patched.ok()) << patched.status().message();
  ASSERT_TRUE(patched->pending_embedder);
  EXPECT_EQ(patched->pending_embedder->model, "hash-256");
  // Until the shadow is built, searches use the old model.
  SearchRequest q;
  q.text = "word12";
  EXPECT_EQ(Search("docs_idx", q).model, "hash-768");
  auto switched = registry_->BuildShadow("docs_idx");
  ASSERT_TRUE(switched.ok()) << switched.status().message();
  EXPECT_FALSE(switched->pending_embedder);
  EXPECT_EQ(switched->embedder.model, "hash-256");
  EXPECT_EQ(switched->active->dimension, 256);
  auto r = Search("docs_idx", q);
  EXPECT_EQ(r.model, "hash-256");
  EXPECT_EQ(r.hits.at(0).doc_id, "12");
  EXPECT_EQ(registry_->Patch("docs_idx", patch).status().code(), StatusCode::kInvalidArgument);  // same model
}

TEST_F(IndexTest, OnAppendAndScheduledPoliciesRefreshByThemselves) {
  IngestDocs(0, 30, ingest::WriteMode::kAppend);
  Build("appended", {RefreshMode::kOnAppend, 0});
  Build("scheduled", {RefreshMode::kScheduled, 1});
  RefreshScheduler scheduler(*registry_, 50);
  ingestor_->SetOnCommitted([&](const std::string& dataset) { scheduler.OnDatasetChanged(dataset); });
  scheduler.Start();
  IngestDocs(30, 40, ingest::WriteMode::kAppend);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto docs_of = [&](const std::string& name) { return registry_->Get(name)->active->doc_count; };
  while ((docs_of("appended") != 40 || docs_of("scheduled") != 40) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  scheduler.Stop();
  EXPECT_EQ(docs_of("appended"), 40);
  EXPECT_EQ(docs_of("scheduled"), 40);
}

TEST_F(IndexTest, SearchesKeepWorkingWhileARefreshReplacesTheGeneration) {
  IngestDocs(0, 300, ingest::WriteMode::kAppend);
  Build("docs_idx");
  IngestDocs(300, 600, ingest::WriteMode::kAppend);
  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, failures{0};
  std::thread reader([&] {
    SearchRequest q;
    q.text = "word42";
    q.k = 5;
    q.mode = SearchMode::kHybrid;
    while (!done) {
      auto r = searcher_->Search("docs_idx", q);
      if (!r.ok() || r->hits.size() != 5 || r->hits[0].doc_id != "42") {
        if (failures++ == 0) ADD_FAILURE() << (r.ok() ? std::to_string(r->hits.size()) + " hits, first " + (r->hits.empty() ? "" : r->hits[0].doc_id) : r.status().message());
      }
      ++searches;
    }
  });
  auto refreshed = registry_->Refresh("docs_idx");
  done = true;
  reader.join();
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().message();
  EXPECT_EQ(refreshed->stats.docs_added, 300);
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(IndexTest, ABuildInterruptedByAStopResumesOnStart) {
  IngestDocs(0, 40, ingest::WriteMode::kAppend);
  IndexManifest request;
  request.name = "docs_idx";
  request.dataset = "docs";
  request.id_column = "id";
  request.text_column = "body";
  ASSERT_TRUE(registry_->Prepare(request).ok());  // stored as "building"; the process "stops" here
  registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_, VectorOptions{2});
  ASSERT_TRUE(registry_->Open().ok());
  EXPECT_EQ(registry_->Get("docs_idx")->status, IndexStatus::kBuilding);
  RefreshScheduler scheduler(*registry_, 50);
  scheduler.Start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (registry_->Get("docs_idx")->status == IndexStatus::kBuilding && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  scheduler.Stop();
  EXPECT_EQ(registry_->Get("docs_idx")->status, IndexStatus::kReady);
  EXPECT_EQ(registry_->Get("docs_idx")->active->doc_count, 40);
}

TEST(FilterTest, AFilterCannotLeaveItsWhereClause) {
  EXPECT_TRUE(ValidateFilter("region = 'EU' AND year >= 2020").ok());
  EXPECT_TRUE(ValidateFilter("name = ')' OR note = '--;' OR \"odd)col\" = 1").ok());
  EXPECT_TRUE(ValidateFilter("id IN (SELECT id FROM other WHERE (x > 1))").ok());
  EXPECT_FALSE(ValidateFilter("1=1) UNION ALL SELECT CAST(range AS VARCHAR) FROM range(100000000) --").ok());
  EXPECT_FALSE(ValidateFilter("1=1) UNION ALL SELECT 'x' FROM t WHERE (1=1").ok());
  EXPECT_FALSE(ValidateFilter("(a = 1").ok());
  EXPECT_FALSE(ValidateFilter("a = 1; DROP TABLE t").ok());
  EXPECT_FALSE(ValidateFilter("a = 1 /* x */").ok());
  EXPECT_FALSE(ValidateFilter("a = 'open").ok());
  // Strings whose quoting the scan cannot follow are refused.
  EXPECT_FALSE(ValidateFilter("a = $$'$$) UNION ALL SELECT 1 FROM range(100) WHERE ('1' = '1").ok());
  EXPECT_FALSE(ValidateFilter("a = E'\\'' ) UNION ALL SELECT 1 --'").ok());
  EXPECT_TRUE(ValidateFilter("name = 'O''Brien' AND type = 'E' AND price = '$5'").ok());
}

TEST_F(IndexTest, AnIndexAllowedToHoldPiiShowsItOnlyToCallersWhoMaySeeIt) {
  IngestDocs(0, 30, ingest::WriteMode::kAppend);
  IndexManifest request;
  request.name = "contacts";
  request.dataset = "docs";
  request.id_column = "contact";
  request.text_column = "contact";
  request.allow_pii = true;
  ASSERT_TRUE(registry_->Prepare(request).ok());
  ASSERT_TRUE(registry_->BuildPrepared("contacts").ok());
  SearchRequest q;
  q.text = "user7@example.com";
  q.k = 1;
  auto hidden = Search("contacts", q);
  ASSERT_EQ(hidden.hits.size(), 1u);
  EXPECT_EQ(hidden.hits[0].doc_id, "[redacted]");
  EXPECT_EQ(hidden.hits[0].text, "[redacted]");
  for (const auto& cell : hidden.hits[0].row) {
    if (auto* text = std::get_if<std::string>(&cell)) EXPECT_EQ(text->find("@example.com"), std::string::npos);
  }
  q.include_pii = q.may_see_pii = true;
  auto shown = Search("contacts", q);
  EXPECT_EQ(shown.hits.at(0).doc_id, "user7@example.com");
  EXPECT_EQ(shown.hits.at(0).text, "user7@example.com");
}

TEST_F(IndexTest, TheServersApiKeyGoesOnlyToTheConfiguredEndpoint) {
  IngestDocs(0, 10, ingest::WriteMode::kAppend);
  testing::FakeEmbeddingServer configured, elsewhere;
  for (auto* server : {&configured, &elsewhere}) server->model = "text-embedding-3-small";
  registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_,
                                              VectorOptions{2, "", configured.url(), "sk-server-key"});
  ASSERT_TRUE(registry_->Open().ok());
  IndexManifest request;
  request.name = "remote";
  request.dataset = "docs";
  request.id_column = "id";
  request.text_column = "body";
  request.embedder = {"openai", "text-embedding-3-small"};
  request.embedder.url = elsewhere.url();
  ASSERT_TRUE(registry_->Prepare(request).ok());
  ASSERT_FALSE(elsewhere.requests().empty());
  for (const auto& r : elsewhere.requests()) EXPECT_EQ(r.authorization, "");
  request.name = "configured";
  request.embedder.url = "";
  ASSERT_TRUE(registry_->Prepare(request).ok());
  ASSERT_TRUE(registry_->BuildPrepared("configured").ok());
  ASSERT_FALSE(configured.requests().empty());
  for (const auto& r : configured.requests()) EXPECT_EQ(r.authorization, "Bearer sk-server-key");
  std::string manifest = *buckets_->Primary()->Get("_catalog/indexes/configured.json");
  EXPECT_EQ(manifest.find("sk-server-key"), std::string::npos);
}

TEST_F(IndexTest, TaskPrefixesAreResolvedOnceAndStoredWithTheIndex) {
  IngestDocs(0, 10, ingest::WriteMode::kAppend);
  testing::FakeEmbeddingServer ollama;
  registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_, VectorOptions{2, ollama.url(), "", ""});
  ASSERT_TRUE(registry_->Open().ok());
  IndexManifest request;
  request.name = "nomic";
  request.dataset = "docs";
  request.id_column = "id";
  request.text_column = "body";
  request.embedder = {"ollama", "nomic-embed-text:latest"};
  ollama.model = "nomic-embed-text:latest";
  ASSERT_TRUE(registry_->Prepare(request).ok());
  ASSERT_TRUE(registry_->BuildPrepared("nomic").ok());
  auto seen = ollama.requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().body["input"][0].get<std::string>().rfind("search_document: ", 0), 0u);
  auto stored = nlohmann::json::parse(*buckets_->Primary()->Get("_catalog/indexes/nomic.json"));
  EXPECT_EQ(stored["embedder"]["query_prefix"], "search_query: ");
  EXPECT_EQ(stored["embedder"]["document_prefix"], "search_document: ");

  // Indexes from before prefixes were built without them, and stay so.
  stored["embedder"].erase("query_prefix");
  stored["embedder"].erase("document_prefix");
  auto old = IndexManifestFromJson(stored);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->embedder.query_prefix, "");
  EXPECT_EQ(old->embedder.document_prefix, "");
}

TEST_F(IndexTest, APatchDuringARefreshIsNotLost) {
  IngestDocs(0, 200, ingest::WriteMode::kAppend);
  Build("docs_idx");
  IngestDocs(200, 400, ingest::WriteMode::kAppend);
  std::thread refresh([&] { EXPECT_TRUE(registry_->Refresh("docs_idx").ok()); });
  IndexPatch patch;
  patch.search_defaults = {{"ef_search", 123}};
  patch.refresh = RefreshPolicy{RefreshMode::kOnAppend, 0};
  EXPECT_TRUE(registry_->Patch("docs_idx", patch).ok());
  refresh.join();
  auto m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.active->backend.options.at("ef_search"), 123);
  EXPECT_EQ(m.backend.options.at("ef_search"), 123);
  EXPECT_EQ(m.refresh.mode, RefreshMode::kOnAppend);
  EXPECT_EQ(m.active->doc_count, 400);
}

TEST_F(IndexTest, OrphanFilesAreSweptOnlyWhenNoProcessWorksOnTheIndex) {
  IngestDocs(0, 20, ingest::WriteMode::kAppend);
  Build("docs_idx");
  fs::path stray = config_.data_dir / "vectors/docs_idx/embeddings-9.parquet";
  testing::WriteFile(stray, "a part of a refresh still being written");
  {
    ProcessLock busy(config_.data_dir / "_catalog/indexes/docs_idx.lock");
    IndexRegistry other(*catalog_, *buckets_, VectorOptions{2});
    ASSERT_TRUE(other.Open().ok());
    EXPECT_TRUE(fs::exists(stray));
  }
  IndexRegistry other(*catalog_, *buckets_, VectorOptions{2});
  ASSERT_TRUE(other.Open().ok());
  EXPECT_FALSE(fs::exists(stray));
  SearchRequest q;
  q.text = "word3";
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "3");
}

TEST_F(IndexTest, DocumentsWithoutTextAreNotAddedOverAndOver) {
  IngestDocs(0, 10, ingest::WriteMode::kAppend);
  testing::WriteFile(dir_ / "blank.csv", "id,region,bucket,body,contact\n500,r0,0,\"   \",x@example.com\n");
  ingest::IngestRequest blank;
  blank.file = dir_ / "blank.csv";
  blank.file_name = "blank.csv";
  blank.dataset = "docs";
  ASSERT_TRUE(ingestor_->Ingest(blank).ok());
  Build("docs_idx");
  IngestDocs(10, 11, ingest::WriteMode::kAppend);
  auto refreshed = registry_->Refresh("docs_idx");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().message();
  EXPECT_EQ(refreshed->stats.docs_added, 1);
}

TEST_F(IndexTest, DropRemovesTheManifestAndEveryFile) {
  IngestDocs(0, 20, ingest::WriteMode::kAppend);
  IndexManifest m = Build("docs_idx");
  ASSERT_TRUE(fs::exists(config_.data_dir / "vectors/docs_idx"));
  ASSERT_TRUE(registry_->Drop("docs_idx").ok());
  EXPECT_FALSE(fs::exists(config_.data_dir / "vectors/docs_idx"));
  EXPECT_FALSE(fs::exists(config_.data_dir / "_catalog/indexes/docs_idx.json"));
  EXPECT_EQ(registry_->Get("docs_idx").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Drop("docs_idx").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lakehouse::vector

namespace lakehouse::vector {

TEST_F(IndexTest, HitRowsFollowTheDatasetWhetherKeptInMemoryOrJoinedByQuery) {
  IngestDocs(0, 30, ingest::WriteMode::kAppend);
  Build("docs_idx");
  auto region_of_hit = [&](const SearchResponse& r) {
    size_t c = 0;
    while (c < r.row_columns.size() && r.row_columns[c].name != "region") ++c;
    return c < r.row_columns.size() ? std::get<std::string>(r.hits.at(0).row.at(c)) : std::string("?");
  };
  SearchRequest q;
  q.text = "Marker word7";
  q.k = 1;
  EXPECT_EQ(region_of_hit(Search("docs_idx", q)), "r2");  // kept in memory from here on
  // The same ids, other values: a new version of the dataset is loaded again.
  std::string csv = "id,region,bucket,body,contact\n";
  fs::path file = dir_ / "moved.csv";
  for (int i = 0; i < 30; ++i) {
    csv += std::to_string(i) + ",moved," + std::to_string(i) + ",\"" + Doc(i) + "\",x@example.com\n";
  }
  testing::WriteFile(file, csv);
  ingest::IngestRequest replace;
  replace.file = file;
  replace.file_name = "docs.csv";
  replace.dataset = "docs";
  replace.mode = ingest::WriteMode::kReplace;
  ASSERT_TRUE(ingestor_->Ingest(replace).ok());
  EXPECT_EQ(region_of_hit(Search("docs_idx", q)), "moved");
  // Too big to keep: joined by a query, with the same answer.
  RowJoiner small(*engine_, *buckets_, 5);
  SearchResponse out;
  out.hits.push_back({"7", 0, "", 1.0f});
  out.hits.push_back({"not-there", 0, "", 0.5f});
  ASSERT_TRUE(small.Join(catalog_->Get("docs"), *registry_->Get("docs_idx"), out).ok());
  size_t c = 0;
  while (c < out.row_columns.size() && out.row_columns[c].name != "region") ++c;
  ASSERT_LT(c, out.row_columns.size());
  EXPECT_EQ(std::get<std::string>(out.hits[0].row.at(c)), "moved");
  EXPECT_TRUE(out.hits[1].row.empty());
  for (const auto& column : out.row_columns) EXPECT_NE(column.name, "body") << "the indexed text is the hit's";
  // An append is loaded as one more segment: new ids are found, and an id
  // the dataset already had keeps its first row, as in the index.
  csv = "id,region,bucket,body,contact\n7,dup,7,\"" + Doc(7) + "\",x@example.com\n";
  for (int i = 30; i < 35; ++i) csv += std::to_string(i) + ",late," + std::to_string(i) + ",\"" + Doc(i) + "\",x@example.com\n";
  testing::WriteFile(file, csv);
  replace.mode = ingest::WriteMode::kAppend;
  ASSERT_TRUE(ingestor_->Ingest(replace).ok());
  ASSERT_TRUE(registry_->Refresh("docs_idx").ok());
  EXPECT_EQ(region_of_hit(Search("docs_idx", q)), "moved");
  q.text = "Marker word33";
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "33");
  EXPECT_EQ(region_of_hit(Search("docs_idx", q)), "late");
}

}  // namespace lakehouse::vector
