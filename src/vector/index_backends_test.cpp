// An index on each backend through the registry and the searcher: build,
// needle search, filter, delta refresh, reload after a restart; auto's
// choice; a manifest naming an unknown backend.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "vector/doc_fetch.h"
#include "vector/index_fixture.h"
#include "vector/index_stats.h"

namespace lakehouse::vector {
namespace {

class IndexBackendTest : public IndexTest, public ::testing::WithParamInterface<BackendKind> {
 protected:
  // The document a query naming its marker word ranks first.
  void ExpectNeedleFirst(int doc, const std::string& expected_strategy) {
    SearchRequest q;
    q.text = "Marker word" + std::to_string(doc);
    q.k = 5;
    auto r = Search("docs_idx", q);
    ASSERT_FALSE(r.hits.empty());
    EXPECT_EQ(r.hits[0].doc_id, std::to_string(doc));
    EXPECT_EQ(r.strategy, expected_strategy);
  }
};

TEST_P(IndexBackendTest, BuildsSearchesFiltersRefreshesAndReloads) {
  const std::string kind = BackendKindName(GetParam());
  IngestDocs(0, 400, ingest::WriteMode::kAppend);  // 400 chunks: ivf_pq trains on them
  backend_ = {GetParam(), {}};
  IndexManifest m = Build("docs_idx");
  ASSERT_EQ(m.status, IndexStatus::kReady) << m.error;
  EXPECT_EQ(m.active->backend.kind, GetParam());
  EXPECT_EQ(m.active->backend_file.empty(), GetParam() == BackendKind::kFlat);
  if (!m.active->backend_file.empty()) EXPECT_TRUE(Exists(m.active->backend_file));
  for (int doc : {0, 137, 399}) ExpectNeedleFirst(doc, kind);

  SearchRequest filtered;
  filtered.text = "rocket engine";
  filtered.filter = "region = 'r2'";
  auto f = Search("docs_idx", filtered);
  ASSERT_EQ(f.hits.size(), 10u);
  for (const auto& h : f.hits) EXPECT_EQ(std::stoi(h.doc_id) % 5, 2) << h.doc_id;

  // Appended documents are searchable after the refresh, without a retrain.
  IngestDocs(400, 450, ingest::WriteMode::kAppend);
  auto refreshed = registry_->Refresh("docs_idx");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_FALSE(refreshed->rebuilt);
  EXPECT_EQ(refreshed->stats.chunks_embedded, 50);
  ExpectNeedleFirst(437, kind);
  ExpectNeedleFirst(12, kind);
  auto after = *registry_->Get("docs_idx");
  EXPECT_EQ(after.active->backend, m.active->backend);

  // From the files alone, as after a restart.
  Restart();
  ExpectNeedleFirst(437, kind);
  ExpectNeedleFirst(200, kind);

  // A document by id: its chunks and, on request, the vectors searched.
  DocRequest with_vectors;
  with_vectors.include_vectors = true;
  auto doc = FetchDoc(*registry_, *catalog_, "docs_idx", "437", with_vectors);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->chunks.size(), 1u);
  EXPECT_EQ(doc->chunks[0].text, Doc(437));
  EXPECT_EQ(doc->chunks[0].begin, 0);
  ASSERT_EQ(doc->chunks[0].vector.size(), 768u);
  SearchRequest by_vector;
  by_vector.vector = doc->chunks[0].vector;
  by_vector.k = 1;
  EXPECT_EQ(Search("docs_idx", by_vector).hits.at(0).doc_id, "437");
  EXPECT_TRUE(doc->redacted.empty());
  auto missing = FetchDoc(*registry_, *catalog_, "docs_idx", "nope", {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto stats = ComputeStats(*registry_, *buckets_, "docs_idx");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->vectors, 450u);
  EXPECT_EQ(stats->documents, 450u);
  EXPECT_EQ(stats->backend_file_bytes > 0, GetParam() != BackendKind::kFlat);
  EXPECT_GT(stats->embeddings_bytes, 0u);
  EXPECT_GT(stats->text_index_bytes, 0u);
  EXPECT_GT(stats->memory_bytes, 0u);

  // Knobs of another backend are refused, naming the knob.
  SearchRequest wrong;
  wrong.text = "x";
  wrong.knobs = {{GetParam() == BackendKind::kIvfPq ? "ef_search" : "nprobe", 4}};
  auto refused = searcher_->Search("docs_idx", wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("does not apply to this index's backend, " + kind), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, IndexBackendTest,
                         ::testing::Values(BackendKind::kFlat, BackendKind::kHnsw, BackendKind::kIvfPq),
                         [](const auto& info) { return std::string(BackendKindName(info.param)); });

TEST_F(IndexTest, AutoSearchesASmallIndexExactly) {
  IngestDocs(0, 300, ingest::WriteMode::kAppend);
  backend_ = {};
  IndexManifest m = Build("docs_idx");
  EXPECT_EQ(m.backend.kind, BackendKind::kAuto);
  EXPECT_EQ(m.active->backend.kind, BackendKind::kFlat);
  EXPECT_TRUE(m.active->backend_file.empty());
  // Every marker word finds its document first: an exact scan never misses.
  for (int doc = 0; doc < 300; doc += 7) {
    SearchRequest q;
    q.text = "word" + std::to_string(doc);
    q.k = 1;
    auto r = Search("docs_idx", q);
    ASSERT_EQ(r.hits.size(), 1u);
    EXPECT_EQ(r.hits[0].doc_id, std::to_string(doc));
    EXPECT_EQ(r.strategy, "flat");
  }
}

TEST_F(IndexTest, AManifestNamingAnUnknownBackendIsSkippedAndReported) {
  IngestDocs(0, 30, ingest::WriteMode::kAppend);
  Build("docs_idx");
  std::string good = *buckets_->Primary()->Get("_catalog/indexes/docs_idx.json");
  std::string bad = good;
  bad.replace(bad.find("docs_idx"), 8, "bad_idx");
  auto at = bad.find("\"kind\": \"hnsw\"");
  ASSERT_NE(at, std::string::npos) << bad;
  bad.replace(at, 14, "\"kind\": \"annoy\"");
  ASSERT_TRUE(buckets_->Primary()->Put("_catalog/indexes/bad_idx.json", bad).ok());
  Restart();
  EXPECT_EQ(registry_->List().size(), 1u);
  auto problems = registry_->Problems();
  ASSERT_EQ(problems.count("_catalog/indexes/bad_idx.json"), 1u);
  EXPECT_NE(problems["_catalog/indexes/bad_idx.json"].find("backend must be auto, flat, hnsw or ivf_pq"),
            std::string::npos)
      << problems["_catalog/indexes/bad_idx.json"];
  SearchRequest q;
  q.text = "Marker word3";
  EXPECT_EQ(Search("docs_idx", q).hits[0].doc_id, "3");
  // It can still be dropped, and its name used again.
  auto dropped = registry_->Drop("bad_idx");
  ASSERT_TRUE(dropped.ok()) << dropped.ToString();
  EXPECT_EQ(registry_->Problems().count("_catalog/indexes/bad_idx.json"), 0u);
  EXPECT_FALSE(buckets_->Primary()->Stat("_catalog/indexes/bad_idx.json").ok());
  EXPECT_EQ(registry_->Drop("bad_idx").code(), StatusCode::kNotFound);
}

TEST_F(IndexTest, AManifestWrittenBeforeBackendsLoadsAsHnsw) {
  IngestDocs(0, 30, ingest::WriteMode::kAppend);
  Build("docs_idx");
  auto json = nlohmann::json::parse(*buckets_->Primary()->Get("_catalog/indexes/docs_idx.json"));
  // What the previous release wrote: hnsw settings, hnsw_file, no backend.
  json["hnsw"] = {{"m", 16}, {"ef_construction", 200}, {"ef_search", 77}};
  json.erase("backend");
  json["active"]["hnsw_file"] = json["active"]["backend_file"];
  json["active"].erase("backend");
  json["active"].erase("backend_file");
  ASSERT_TRUE(buckets_->Primary()->Put("_catalog/indexes/docs_idx.json", json.dump()).ok());
  Restart();
  auto m = registry_->Get("docs_idx");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->backend.kind, BackendKind::kHnsw);
  EXPECT_EQ(m->active->backend.kind, BackendKind::kHnsw);
  EXPECT_EQ(m->active->backend.options.at("ef_search"), 77);
  EXPECT_FALSE(m->active->backend_file.empty());
  SearchRequest q;
  q.text = "Marker word21";
  auto r = Search("docs_idx", q);
  EXPECT_EQ(r.hits[0].doc_id, "21");
  EXPECT_EQ(r.strategy, "hnsw");
}

TEST_F(IndexTest, AFetchedDocumentOfAPiiColumnIsRedactedUnlessAskedWithTheToken) {
  IngestDocs(0, 30, ingest::WriteMode::kAppend);
  IndexManifest request;
  request.name = "contact_idx";
  request.dataset = "docs";
  request.id_column = "id";
  request.text_column = "contact";
  request.allow_pii = true;
  request.embedder.provider = "hash";
  ASSERT_TRUE(registry_->Prepare(request).ok());
  ASSERT_TRUE(registry_->BuildPrepared("contact_idx").ok());
  auto hidden = FetchDoc(*registry_, *catalog_, "contact_idx", "7", {});
  ASSERT_TRUE(hidden.ok()) << hidden.status().ToString();
  EXPECT_EQ(hidden->chunks.at(0).text, "[redacted]");
  EXPECT_EQ(hidden->redacted, std::vector<std::string>{"text"});
  DocRequest asked;
  asked.include_pii = true;
  EXPECT_EQ(FetchDoc(*registry_, *catalog_, "contact_idx", "7", asked).status().code(), StatusCode::kPermissionDenied);
  asked.may_see_pii = true;
  auto shown = FetchDoc(*registry_, *catalog_, "contact_idx", "7", asked);
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->chunks.at(0).text, "user7@example.com");
  // The vector of redacted text is withheld too: guesses could be checked against it.
  DocRequest vectors;
  vectors.include_vectors = true;
  auto no_vector = FetchDoc(*registry_, *catalog_, "contact_idx", "7", vectors);
  ASSERT_TRUE(no_vector.ok());
  EXPECT_TRUE(no_vector->chunks.at(0).vector.empty());
  EXPECT_EQ(no_vector->redacted, (std::vector<std::string>{"text", "vector"}));
}

TEST_F(IndexTest, TheEmbedderSeesPiiSpansAsTheirKindUnlessTheIndexAllowsPii) {
  std::string csv = "id,note\n";
  const std::string secret = "Write to carol@example.org about the invoice, card 4111 1111 1111 1111";
  for (int i = 0; i < 40; ++i) csv += std::to_string(i) + ",\"" + (i == 3 ? secret : "plain note " + std::to_string(i)) + "\"\n";
  IngestCsv("contacts", csv);
  ai::EmbedderSpec hash_spec;
  hash_spec.provider = "hash";
  auto hash = ai::MakeEmbedder(hash_spec);
  ASSERT_TRUE(hash.ok());
  for (bool allow : {false, true}) {
    IndexManifest request;
    request.name = allow ? "allowed" : "guarded";
    request.dataset = "contacts";
    request.id_column = "id";
    request.text_column = "note";
    request.allow_pii = allow;
    request.embedder.provider = "hash";
    ASSERT_TRUE(registry_->Prepare(request).ok());
    ASSERT_TRUE(registry_->BuildPrepared(request.name).ok());
    DocRequest asked;
    asked.include_pii = asked.may_see_pii = true;
    asked.include_vectors = true;
    auto doc = FetchDoc(*registry_, *catalog_, request.name, "3", asked);
    ASSERT_TRUE(doc.ok()) << doc.status().message();
    EXPECT_EQ(doc->chunks.at(0).text, secret) << "the chunk keeps its text for words and for those who may see it";
    const std::string sent = allow ? secret : "Write to [EMAIL] about the invoice, card [CARD]";
    auto expected = (*hash)->Embed({sent});
    ASSERT_TRUE(expected.ok());
    const auto& got = doc->chunks.at(0).vector;
    ASSERT_EQ(got.size(), (*expected)[0].size());
    double dot = 0;
    for (size_t i = 0; i < got.size(); ++i) dot += static_cast<double>(got[i]) * (*expected)[0][i];
    EXPECT_NEAR(dot, 1.0, 1e-5) << request.name << ": the vector is of what the embedder was sent";
    SearchRequest words;
    words.text = "carol";
    words.mode = SearchMode::kText;
    words.k = 1;
    auto found = Search(request.name, words);
    ASSERT_EQ(found.hits.size(), 1u) << "full text still finds the address's words";
    EXPECT_EQ(found.hits[0].doc_id, "3");
  }
}

TEST_F(IndexTest, PiiInsideTextShowsAsItsKindAndCanBeKeptOutOfTheIndex) {
  // One note of forty holds contact details: too few to flag the column, so it is indexed.
  std::string csv = "id,note,who\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(i) + ",\"" +
           (i == 7 ? std::string("Call Alice at alice@example.org or card 4111 1111 1111 1111 about the kiwi")
                   : "note number " + std::to_string(i) + " about the weather") +
           "\"," + (i == 7 ? "ask bob@example.net" : "nobody") + "\n";
  }
  IngestCsv("notes", csv);
  for (bool redact_at_build : {false, true}) {
    IndexManifest request;
    request.name = redact_at_build ? "kept_out" : "shown_as_kind";
    request.dataset = "notes";
    request.id_column = "id";
    request.text_column = "note";
    request.chunking.redact_pii_spans = redact_at_build;
    request.embedder.provider = "hash";
    ASSERT_TRUE(registry_->Prepare(request).ok());
    ASSERT_TRUE(registry_->BuildPrepared(request.name).ok());
    SearchRequest q;
    q.text = "kiwi Alice";
    q.k = 1;
    auto hit = Search(request.name, q);
    ASSERT_EQ(hit.hits.size(), 1u);
    EXPECT_EQ(hit.hits[0].doc_id, "7");
    EXPECT_EQ(hit.hits[0].text, "Call Alice at [EMAIL] or card [CARD] about the kiwi") << request.name;
    ASSERT_EQ(hit.hits[0].row.size(), 2u);  // id and who: the indexed text is the hit's
    EXPECT_EQ(std::get<std::string>(hit.hits[0].row[1]), "ask [EMAIL]") << "other text columns too";
    DocRequest asked;
    asked.include_pii = asked.may_see_pii = true;
    asked.include_vectors = true;
    auto doc = FetchDoc(*registry_, *catalog_, request.name, "7", asked);
    ASSERT_TRUE(doc.ok()) << doc.status().message();
    // Asked with the right to see PII: shown as stored, which for kept_out never held it.
    EXPECT_EQ(doc->chunks.at(0).text, redact_at_build
                                          ? "Call Alice at [EMAIL] or card [CARD] about the kiwi"
                                          : "Call Alice at alice@example.org or card 4111 1111 1111 1111 about the kiwi");
    EXPECT_FALSE(doc->chunks.at(0).vector.empty());
    DocRequest plain;
    plain.include_vectors = true;
    auto hidden = FetchDoc(*registry_, *catalog_, request.name, "7", plain);
    ASSERT_TRUE(hidden.ok());
    EXPECT_EQ(hidden->chunks.at(0).text, "Call Alice at [EMAIL] or card [CARD] about the kiwi");
    EXPECT_EQ(hidden->chunks.at(0).vector.empty(), !redact_at_build) << "the vector of text with PII in it is withheld";
  }
  // Small chunks cut the card number apart; the spans were found in the whole text first.
  IndexManifest small;
  small.name = "small_chunks";
  small.dataset = "notes";
  small.id_column = "id";
  small.text_column = "note";
  small.chunking = {16, 0, true};
  ASSERT_TRUE(registry_->Prepare(small).ok());
  ASSERT_TRUE(registry_->BuildPrepared("small_chunks").ok());
  DocRequest everything;
  everything.include_pii = everything.may_see_pii = true;
  auto pieces = FetchDoc(*registry_, *catalog_, "small_chunks", "7", everything);
  ASSERT_TRUE(pieces.ok());
  ASSERT_GT(pieces->chunks.size(), 2u);
  for (const auto& chunk : pieces->chunks) {
    EXPECT_EQ(chunk.text.find("1111"), std::string::npos) << chunk.text;
    EXPECT_EQ(chunk.text.find("example.org"), std::string::npos) << chunk.text;
  }
  auto stored = registry_->Get("kept_out");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->chunking.redact_pii_spans);
}

TEST_F(IndexTest, AnIvfPqIndexWhoseDataShrankIsSearchedExactlyUntilItGrows) {
  IngestDocs(0, 400, ingest::WriteMode::kAppend);
  backend_ = {BackendKind::kIvfPq, {}};
  Build("docs_idx");
  IngestDocs(0, 100, ingest::WriteMode::kReplace);  // 100 chunks: too few to train codes on
  auto refreshed = registry_->Refresh("docs_idx");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_TRUE(refreshed->rebuilt);
  auto m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.backend.kind, BackendKind::kIvfPq);
  EXPECT_EQ(m.active->backend.kind, BackendKind::kFlat);
  EXPECT_EQ(m.active->chunk_count, 100);
  SearchRequest q;
  q.text = "Marker word42";
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "42");
  SearchRequest gone;
  gone.text = "Marker word342";
  for (const auto& h : Search("docs_idx", gone).hits) EXPECT_LT(std::stoi(h.doc_id), 100);
  // Knobs are checked in every mode.
  SearchRequest text;
  text.text = "x";
  text.mode = SearchMode::kText;
  text.knobs = {{"nprobe", -5}};
  EXPECT_EQ(searcher_->Search("docs_idx", text).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IndexTest, ABackendChangeBuildsFromStoredVectorsWhileSearchesGoOn) {
  IngestDocs(0, 400, ingest::WriteMode::kAppend);
  IndexManifest m = Build("docs_idx");  // hnsw
  const int64_t embedded = m.last_build.chunks_embedded;
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0}, failures{0}, wrong{0};
  std::thread reader([&] {
    while (!stop) {
      SearchRequest q;
      q.text = "Marker word123";
      q.k = 3;
      auto r = searcher_->Search("docs_idx", q);
      if (!r.ok()) {
        ++failures;
      } else if (r->hits.empty() || r->hits[0].doc_id != "123") {
        ++wrong;
      }
      ++searches;
    }
  });
  for (BackendKind target : {BackendKind::kIvfPq, BackendKind::kFlat, BackendKind::kHnsw}) {
    IndexPatch patch;
    patch.backend = BackendSpec{target, {}};
    auto patched = registry_->Patch("docs_idx", patch);
    ASSERT_TRUE(patched.ok()) << patched.status().ToString();
    EXPECT_TRUE(patched->pending_backend);
    auto switched = registry_->BuildShadow("docs_idx");
    ASSERT_TRUE(switched.ok()) << switched.status().ToString();
    EXPECT_EQ(switched->active->backend.kind, target);
    EXPECT_EQ(switched->backend.kind, target);
    EXPECT_FALSE(switched->pending_backend);
    EXPECT_EQ(switched->last_build.chunks_embedded, 0);  // nothing re-embedded
    EXPECT_EQ(switched->active->chunk_count, 400);
  }
  stop = true;
  reader.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(embedded, 0);
  // The replaced generations' files are gone; only the served one's remain.
  auto current = *registry_->Get("docs_idx");
  auto files = buckets_->Primary()->List("vectors/docs_idx/");
  ASSERT_TRUE(files.ok());
  for (const auto& f : *files) {
    bool used = f.key == current.active->backend_file || f.key == current.active->text_file;
    for (const auto& e : current.active->embedding_files) used = used || f.key == e;
    EXPECT_TRUE(used) << f.key;
  }
  // Still up to date with the dataset, and refreshable.
  IngestDocs(400, 410, ingest::WriteMode::kAppend);
  auto refreshed = registry_->Refresh("docs_idx");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().ToString();
  EXPECT_EQ(refreshed->stats.chunks_embedded, 10);
}

TEST_F(IndexTest, AFailedBackendChangeLeavesTheOldOneServing) {
  IngestDocs(0, 300, ingest::WriteMode::kAppend);
  Build("docs_idx");
  IndexPatch patch;
  patch.backend = BackendSpec{BackendKind::kIvfPq, {{"nlist", 200}}};  // needs 7,800 chunks to train on
  // Refused before anything is queued: it would only fail in the background.
  auto refused = registry_->Patch("docs_idx", patch);
  ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("lower it to"), std::string::npos) << refused.status().message();
  auto m = *registry_->Get("docs_idx");
  EXPECT_EQ(m.status, IndexStatus::kReady);
  EXPECT_EQ(m.active->backend.kind, BackendKind::kHnsw);
  EXPECT_FALSE(m.pending_backend);
  SearchRequest q;
  q.text = "Marker word42";
  EXPECT_EQ(Search("docs_idx", q).hits.at(0).doc_id, "42");
  // The same backend again is no change; an embedder and a backend at once are refused.
  patch.backend = BackendSpec{BackendKind::kHnsw, {}};
  EXPECT_EQ(registry_->Patch("docs_idx", patch).status().code(), StatusCode::kInvalidArgument);
  patch.embedder = ai::EmbedderSpec{"hash", "", 256};
  EXPECT_EQ(registry_->Patch("docs_idx", patch).status().code(), StatusCode::kInvalidArgument);
}

// Bytes changed in place, as a bad disk or a hand edit leaves them.
void Overwrite(const std::filesystem::path& file, size_t at, const std::string& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(IndexTest, ADamagedBackendFileIsAnErrorNeverACrash) {
  IngestDocs(0, 300, ingest::WriteMode::kAppend);
  for (BackendKind kind : {BackendKind::kHnsw, BackendKind::kIvfPq}) {
    backend_ = {kind, {}};
    std::string name = std::string(BackendKindName(kind)) + "_idx";
    IndexManifest m = Build(name);
    std::filesystem::path file = config_.data_dir / m.active->backend_file;
    std::string pristine = *ReadFile(file);
    const std::string manifest_key = "_catalog/indexes/" + name + ".json";
    std::string pristine_manifest = *buckets_->Primary()->Get(manifest_key);
    // Header fields hnswlib 0.6 follows without checking (label offset,
    // top level, entry point, M), a link inside the graph, and a byte anywhere.
    for (size_t at : {size_t{32}, size_t{49}, size_t{52}, size_t{60}, size_t{100}, pristine.size() / 2}) {
      for (bool with_checksum : {true, false}) {
        testing::WriteFile(file, pristine);
        ASSERT_TRUE(buckets_->Primary()->Put(manifest_key, pristine_manifest).ok());
        Overwrite(file, at, std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
        if (!with_checksum) {
          auto json = nlohmann::json::parse(pristine_manifest);
          json["active"]["backend_file_crc32"] = nullptr;  // as written before checksums
          ASSERT_TRUE(buckets_->Primary()->Put(manifest_key, json.dump()).ok());
        }
        Restart();
        SearchRequest q;
        q.text = "Marker word7";
        auto r = searcher_->Search(name, q);
        // Without a checksum a changed vector value loads as it is (FAISS,
        // too, reads what it can): not crashing is the test.
        if (!with_checksum && r.ok()) continue;
        ASSERT_FALSE(r.ok()) << BackendKindName(kind) << " byte " << at << " checksum " << with_checksum;
        EXPECT_EQ(r.status().code(), StatusCode::kInternal);
        EXPECT_NE(r.status().message().find("cannot be loaded"), std::string::npos)
            << BackendKindName(kind) << " byte " << at << ": " << r.status().message();
        EXPECT_EQ(r.status().message().find(config_.data_dir.string()), std::string::npos) << r.status().message();
      }
    }
    testing::WriteFile(file, pristine);
    ASSERT_TRUE(buckets_->Primary()->Put(manifest_key, pristine_manifest).ok());
  }
}

}  // namespace
}  // namespace lakehouse::vector
