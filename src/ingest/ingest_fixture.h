// A throw-away data folder with the whole ingest stack over it (buckets,
// catalog, ingestor, query engine), for the ingest tests.
#pragma once

#include <gtest/gtest.h>

#include "engine/query_engine.h"
#include "fixtures.h"
#include "ingest/ingestor.h"

namespace lakehouse::ingest {

class IngestFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("ingest");
    config_.data_dir = dir_ / "data";
    FinishBuckets(config_);
    buckets_ = std::make_unique<storage::BucketRegistry>(config_.buckets);
    catalog_ = std::make_unique<catalog::Catalog>(*buckets_);
    ingestor_ = std::make_unique<Ingestor>(*catalog_, *buckets_, IngestOptions{100, 2});
    ASSERT_TRUE(ingestor_->Open().ok());
    engine_ = std::make_unique<engine::QueryEngine>(*catalog_, *buckets_,
                                                    engine::QueryEngineOptions{100000, 60000, 2, ""});
    ASSERT_TRUE(engine_->Open().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  Config config_;
  std::unique_ptr<storage::BucketRegistry> buckets_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<engine::QueryEngine> engine_;
};

}  // namespace lakehouse::ingest
