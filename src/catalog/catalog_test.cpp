#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/files.h"

namespace lakehouse::catalog {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_catalog_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    config_.data_dir = dir_;
    FinishBuckets(config_);
    buckets_ = std::make_unique<storage::BucketRegistry>(config_.buckets);
    catalog_ = std::make_unique<Catalog>(*buckets_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<Manifest> CreateWithFile(const std::string& name, const std::string& key) {
    EXPECT_TRUE(buckets_->Primary()->Put(key, "parquet bytes").ok());
    return catalog_->Mutate(name, [&](std::optional<Manifest> existing) -> Result<Manifest> {
      Manifest m = existing.value_or(Manifest{});
      DatasetVersion v;
      v.files.push_back({key, 3, 13, "abc", Now()});
      v.row_count = 3;
      m.versions.push_back(v);
      m.columns.push_back({"email", "VARCHAR"});
      m.updated_at = Now();
      return m;
    });
  }

  fs::path dir_;
  Config config_;
  std::unique_ptr<storage::BucketRegistry> buckets_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogTest, ManifestRoundTripsThroughJson) {
  Manifest m;
  m.id = NewId("ds");
  m.name = "orders";
  m.owner = "ana";
  m.sensitivity = Sensitivity::kConfidential;
  m.tags = {"sales", "eu"};
  m.versions.push_back({1, {{"datasets/orders/1-1.parquet", 10, 99, "h", Now()}}, 10, Now(), {}});
  m.columns.push_back({"email", "VARCHAR", Sensitivity::kConfidential, false, true, PiiKind::kPii,
                       "name matches 'email'", ""});
  m.lineage.source_system = "upload";
  m.expected_update_interval_s = 3600;
  m.embedding_stale_since = Now();
  auto back = ManifestFromJson(ManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ManifestToJson(*back), ManifestToJson(m));
  EXPECT_EQ(back->row_count(), 10);
  EXPECT_TRUE(back->columns[0].is_pii);
}

TEST_F(CatalogTest, OldManifestsLoadWithDefaults) {
  auto m = ManifestFromJson(nlohmann::json{{"name", "legacy"}, {"bucket", ""}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->bucket, "primary");
  EXPECT_EQ(m->sensitivity, Sensitivity::kInternal);
  EXPECT_FALSE(m->embedding_stale_since.has_value());
  EXPECT_EQ(m->row_count(), 0);
  EXPECT_FALSE(ManifestFromJson(nlohmann::json{{"name", 5}}).ok());
  EXPECT_FALSE(ManifestFromJson(nlohmann::json::array()).ok());
}

TEST_F(CatalogTest, MutateStoresAtomicallyAndAnotherInstanceSeesIt) {
  ASSERT_TRUE(CreateWithFile("orders", "datasets/orders/1-1.parquet").ok());
  EXPECT_TRUE(fs::exists(dir_ / "_catalog/datasets/orders.json"));
  Catalog other(*buckets_);  // as a second process would
  auto seen = other.Get("orders");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->row_count(), 3);
  uint64_t gen = other.Generation();
  ASSERT_TRUE(CreateWithFile("orders", "datasets/orders/2-1.parquet").ok());
  EXPECT_NE(other.Generation(), gen);
  EXPECT_EQ(other.Get("orders")->versions.size(), 2u);
}

TEST_F(CatalogTest, FailedMutationChangesNothing) {
  ASSERT_TRUE(CreateWithFile("orders", "datasets/orders/1-1.parquet").ok());
  std::string before = *ReadFile(dir_ / "_catalog/datasets/orders.json");
  auto r = catalog_->Mutate("orders", [](std::optional<Manifest>) -> Result<Manifest> {
    return InvalidArgument("bad input");
  });
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ReadFile(dir_ / "_catalog/datasets/orders.json"), before);
}

TEST_F(CatalogTest, PatchMetadataValidatesAndApplies) {
  ASSERT_TRUE(CreateWithFile("orders", "datasets/orders/1-1.parquet").ok());
  MetadataPatch patch;
  patch.owner = "ana";
  patch.tags = std::vector<std::string>{"eu"};
  patch.expected_update_interval_s = 60;
  patch.column_sensitivity["email"] = Sensitivity::kRestricted;
  auto m = catalog_->PatchMetadata("orders", patch);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->owner, "ana");
  EXPECT_EQ(m->columns[0].sensitivity, Sensitivity::kRestricted);
  EXPECT_TRUE(m->columns[0].sensitivity_overridden);
  EXPECT_FALSE(m->IsOverdue(Now()));
  EXPECT_TRUE(m->IsOverdue(Now() + std::chrono::seconds(61)));

  MetadataPatch bad_column;
  bad_column.column_sensitivity["nope"] = Sensitivity::kPublic;
  EXPECT_EQ(catalog_->PatchMetadata("orders", bad_column).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->PatchMetadata("missing", patch).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->Get("orders")->owner, "ana");
}

TEST_F(CatalogTest, DeleteRemovesManifestAndFiles) {
  ASSERT_TRUE(CreateWithFile("orders", "datasets/orders/1-1.parquet").ok());
  ASSERT_TRUE(CreateWithFile("orders", "datasets/orders/2-1.parquet").ok());
  auto deleted = catalog_->Delete("orders");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(catalog_->Get("orders").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "datasets/orders"));
  EXPECT_EQ(catalog_->Delete("orders").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->Get("../x").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace lakehouse::catalog

namespace lakehouse::catalog {

// Found by the manifest fuzzer: a float too big for an integer field was
// cast to one (undefined behaviour). Now the file is refused as unreadable.
TEST(ManifestJsonTest, OutOfRangeNumbersAreRefusedNotCast) {
  for (const char* field : {"row_count", "number"}) {
    auto j = nlohmann::json::parse(std::string(R"({"number": 1, "row_count": 5, "files": []})"));
    j[field] = 2.04e60;
    EXPECT_FALSE(VersionFromJson(j).ok()) << field;
    j[field] = 0.5;
    EXPECT_FALSE(VersionFromJson(j).ok()) << field;
    j[field] = 3.0;  // a whole number written as a float is still that number
    EXPECT_TRUE(VersionFromJson(j).ok()) << field;
  }
  auto file = nlohmann::json::parse(R"({"key": "datasets/x/1-1.parquet", "rows": 1e300})");
  EXPECT_FALSE(DataFileFromJson(file).ok());
}

}  // namespace lakehouse::catalog
