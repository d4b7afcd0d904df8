// The fixture of the index tests: a registry and searcher over a real
// ingested "docs" dataset (id, region, bucket, body, contact: PII).
#pragma once

#include <gtest/gtest.h>

#include <sstream>

#include "ingest/ingest_fixture.h"
#include "vector/index_registry.h"
#include "vector/searcher.h"

namespace lakehouse::vector {

inline const char* kTopics[] = {"invoice payment overdue", "rocket engine launch", "garden tomato harvest",
                                "database index query", "violin concerto orchestra"};

inline std::string Doc(int id) {
  std::ostringstream text;
  text << "Document " << id << " is about " << kTopics[id % 5] << ". Marker word" << id << " appears once.";
  return text.str();
}

class IndexTest : public ingest::IngestFixture {
 protected:
  void SetUp() override {
    IngestFixture::SetUp();
    registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_, VectorOptions{2});
    ASSERT_TRUE(registry_->Open().ok());
    searcher_ = std::make_unique<Searcher>(*registry_, *catalog_, *engine_);
  }

  // Rows [from, to): id, region (5 values), bucket (id % 100), body, contact (an e-mail: PII).
  void IngestDocs(int from, int to, ingest::WriteMode mode, const std::string& suffix = "") {
    std::string csv = "id,region,bucket,body,contact\n";
    for (int i = from; i < to; ++i) {
      csv += std::to_string(i) + ",r" + std::to_string(i % 5) + "," + std::to_string(i % 100) + ",\"" + Doc(i) +
             suffix + "\",user" + std::to_string(i) + "@example.com\n";
    }
    fs::path file = dir_ / ("docs" + std::to_string(from) + "_" + std::to_string(suffix.size()) + ".csv");
    testing::WriteFile(file, csv);
    ingest::IngestRequest request;
    request.file = file;
    request.file_name = "docs.csv";
    request.dataset = "docs";
    request.mode = mode;
    auto result = ingestor_->Ingest(request);
    ASSERT_TRUE(result.ok()) << result.status().message();
  }

  // `csv` ingested as dataset `dataset`.
  void IngestCsv(const std::string& dataset, const std::string& csv) {
    fs::path file = dir_ / (dataset + ".csv");
    testing::WriteFile(file, csv);
    ingest::IngestRequest request;
    request.file = file;
    request.file_name = dataset + ".csv";
    request.dataset = dataset;
    auto result = ingestor_->Ingest(request);
    ASSERT_TRUE(result.ok()) << result.status().message();
  }

  IndexManifest Build(const std::string& name, RefreshPolicy policy = {}) {
    IndexManifest request;
    request.name = name;
    request.dataset = "docs";
    request.id_column = "id";
    request.text_column = "body";
    request.chunking = {200, 30};
    request.refresh = policy;
    request.backend = backend_;
    request.embedder.provider = "hash";  // lexical and fast: these tests are about the index, not the model
    auto prepared = registry_->Prepare(request);
    EXPECT_TRUE(prepared.ok()) << prepared.status().message();
    auto built = registry_->BuildPrepared(name);
    EXPECT_TRUE(built.ok()) << built.status().message();
    return built.ok() ? *built : IndexManifest{};
  }

  SearchResponse Search(const std::string& index, SearchRequest request) {
    auto r = searcher_->Search(index, request);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : SearchResponse{};
  }

  // A new registry on the same files, as after a restart.
  void Restart() {
    registry_ = std::make_unique<IndexRegistry>(*catalog_, *buckets_, VectorOptions{2});
    ASSERT_TRUE(registry_->Open().ok());
    searcher_ = std::make_unique<Searcher>(*registry_, *catalog_, *engine_);
  }

  bool Exists(const std::string& key) { return fs::exists(config_.data_dir / key); }

  std::unique_ptr<IndexRegistry> registry_;
  std::unique_ptr<Searcher> searcher_;
  // What Build asks for: these tests were written against HNSW graphs.
  BackendSpec backend_{BackendKind::kHnsw, {}};
};

}  // namespace lakehouse::vector
