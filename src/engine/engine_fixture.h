// The fixture of the engine's tests: a catalog with one dataset, "people"
// (100 rows of every kind of column), and a sandboxed QueryEngine over it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "common/files.h"
#include "common/names.h"
#include "engine/database.h"
#include "engine/query_engine.h"

namespace lakehouse::engine {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_engine_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    config_.data_dir = dir_ / "data";
    FinishBuckets(config_);
    buckets_ = std::make_unique<storage::BucketRegistry>(config_.buckets);
    catalog_ = std::make_unique<catalog::Catalog>(*buckets_);
    // A trusted database writes the Parquet file, as ingest does.
    auto db = Database::Open({});
    ASSERT_TRUE(db.ok());
    auto conn = (*db)->Connect();
    ASSERT_TRUE(conn.ok());
    fs::path file = config_.data_dir / "datasets" / "people" / "1-1.parquet";
    ASSERT_TRUE(EnsureDirectory(file.parent_path()).ok());
    ASSERT_TRUE((*conn)->Execute("COPY (SELECT range AS id, 'name ' || range AS name, "
                                 "CAST(range AS DOUBLE) * 1.5 AS score, [range, range + 1] AS pair, "
                                 "{'k': range} AS obj, CAST(range AS DECIMAL(10,2)) AS amount, "
                                 "DATE '2024-01-02' + CAST(range AS INTEGER) AS day "
                                 "FROM range(100)) TO " +
                                 QuoteLiteral(file.string()) + " (FORMAT parquet)")
                    .ok());
    auto stored = catalog_->Mutate("people", [&](std::optional<catalog::Manifest>) -> Result<catalog::Manifest> {
      catalog::Manifest m;
      catalog::DatasetVersion v;
      v.files.push_back({"datasets/people/1-1.parquet", 100, 0, "", Now()});
      v.row_count = 100;
      m.versions.push_back(v);
      return m;
    });
    ASSERT_TRUE(stored.ok());
    QueryEngineOptions options{50, 2000, 2, ""};
    options.export_directory = dir_ / "export";
    engine_ = std::make_unique<QueryEngine>(*catalog_, *buckets_, options);
    Status opened = engine_->Open();
    ASSERT_TRUE(opened.ok()) << opened.message();
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }
  Result<QueryResult> Run(const std::string& sql) { return engine_->Run({sql, -1, -1}); }

  fs::path dir_;
  Config config_;
  std::unique_ptr<storage::BucketRegistry> buckets_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<QueryEngine> engine_;
};

}  // namespace lakehouse::engine
