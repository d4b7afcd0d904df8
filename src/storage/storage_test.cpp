#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/files.h"
#include "storage/bucket_registry.h"
#include "storage/local_store.h"

namespace lakehouse::storage {

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("lh_store_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(LocalStoreTest, PutGetListStatDelete) {
  LocalStore store(root_);
  ASSERT_TRUE(store.Put("datasets/a/1-1.parquet", "AAAA").ok());
  ASSERT_TRUE(store.Put("datasets/b/1-1.parquet", "B").ok());
  ASSERT_TRUE(store.Put("_catalog/datasets/a.json", "{}").ok());
  EXPECT_EQ(*store.Get("datasets/a/1-1.parquet"), "AAAA");
  auto listed = store.List("datasets/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "datasets/a/1-1.parquet");
  EXPECT_EQ((*listed)[0].size, 4u);
  EXPECT_EQ(store.List("datasets/a")->size(), 1u);
  EXPECT_EQ(store.Stat("datasets/b/1-1.parquet")->size, 1u);
  ASSERT_TRUE(store.Delete("datasets/a/1-1.parquet").ok());
  EXPECT_EQ(store.Get("datasets/a/1-1.parquet").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(root_ / "datasets" / "a"));  // emptied directory removed
  EXPECT_TRUE(store.Delete("datasets/a/never").ok());
}

TEST_F(LocalStoreTest, StagedFilesMoveInAndAreNeverListed) {
  LocalStore store(root_);
  fs::path staged = UniqueTempPath(store.StagingDir(), "upload");
  ASSERT_TRUE(AtomicWriteFile(staged, "data").ok());
  EXPECT_TRUE(store.List("")->empty());
  ASSERT_TRUE(store.PutStaged(staged, "datasets/x/1-1.parquet").ok());
  EXPECT_FALSE(fs::exists(staged));
  EXPECT_EQ(store.List("")->size(), 1u);
}

TEST_F(LocalStoreTest, RejectsEscapingKeys) {
  LocalStore store(root_);
  for (const char* key : {"../x", "/etc/passwd", "a/../../b", "a//b", "", "a/"}) {
    EXPECT_EQ(store.Put(key, "x").code(), StatusCode::kInvalidArgument) << key;
    EXPECT_FALSE(store.LocalPath(key).has_value()) << key;
  }
}

TEST(BucketRegistryTest, UnknownBucketNamesTheValidOnes) {
  Config config;
  config.data_dir = fs::temp_directory_path() / "lh_reg";
  FinishBuckets(config);
  BucketRegistry registry(config.buckets);
  EXPECT_TRUE(registry.Get("primary").ok());
  EXPECT_TRUE(registry.Get("rescue").ok());
  auto missing = registry.Get("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("primary, rescue"), std::string::npos);
  EXPECT_EQ(registry.List().size(), 2u);
}

}  // namespace lakehouse::storage

namespace lakehouse::storage {

TEST(BucketRegistryTest, RuntimeBucketsPersistAndProtectedOnesStay) {
  Config config;
  config.data_dir = fs::temp_directory_path() / ("lh_reg_rt_" + std::to_string(::getpid()));
  fs::remove_all(config.data_dir);
  FinishBuckets(config);
  fs::path outside_parent = fs::temp_directory_path() / ("lh_reg_out_" + std::to_string(::getpid()));
  fs::path outside = outside_parent / "archive";
  fs::remove_all(outside_parent);
  {
    BucketRegistry registry(config.buckets, {outside_parent});
    uint64_t gen = registry.Generation();
    EXPECT_EQ(registry.Add("etc", fs::path("/etc")).status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(registry.Add("sneaky", config.data_dir / "_buckets" / ".." / ".." / "x").status().code(),
              StatusCode::kPermissionDenied);
    auto cold = registry.Add("cold", std::nullopt);
    ASSERT_TRUE(cold.ok()) << cold.status().ToString();
    EXPECT_EQ(cold->root, config.data_dir / "_buckets" / "cold");
    EXPECT_TRUE(fs::is_directory(cold->root));
    EXPECT_NE(registry.Generation(), gen);
    ASSERT_TRUE(registry.Add("archive", outside).ok());
    EXPECT_EQ(registry.Add("cold", std::nullopt).status().code(), StatusCode::kConflict);
    for (const char* bad : {"../x", "a/b", "", "x y"}) {
      EXPECT_EQ(registry.Add(bad, std::nullopt).status().code(), StatusCode::kInvalidArgument) << bad;
    }
    EXPECT_EQ(registry.Add("nested", config.data_dir / "datasets").status().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(registry.Add("relative", fs::path("rel/dir")).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(registry.Remove("primary").code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(registry.Remove("rescue").code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(registry.Remove("ghost").code(), StatusCode::kNotFound);
  }
  {
    BucketRegistry again(config.buckets, {outside_parent});  // as after a restart
    again.LoadRuntimeBuckets();
    EXPECT_TRUE(again.Get("cold").ok());
    EXPECT_TRUE(again.Get("archive").ok());
    ASSERT_TRUE(again.Remove("cold").ok());
    EXPECT_FALSE(again.Get("cold").ok());
  }
  BucketRegistry third(config.buckets, {outside_parent});
  third.LoadRuntimeBuckets();
  EXPECT_FALSE(third.Get("cold").ok());
  EXPECT_TRUE(third.Get("archive").ok());
  EXPECT_TRUE(third.Problems().empty());
  fs::remove_all(config.data_dir);
  fs::remove_all(outside_parent);
}

TEST(BucketRegistryTest, NulInAPathIsRefusedAndBadStoredEntriesAreSkipped) {
  Config config;
  config.data_dir = fs::temp_directory_path() / ("lh_nul_" + std::to_string(::getpid()));
  fs::remove_all(config.data_dir);
  FinishBuckets(config);
  {
    BucketRegistry registry(config.buckets);
    fs::path nul(config.data_dir.string() + "/_buckets/a" + std::string(1, '\0') + "b");
    auto added = registry.Add("nul", nul);
    EXPECT_EQ(added.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(added.status().message().find("control character"), std::string::npos) << added.status().message();
    EXPECT_FALSE(fs::exists(config.data_dir / "_buckets" / "a"));
    ASSERT_TRUE(registry.Add("good", std::nullopt).ok());
  }
  // What an older version (or a hand edit) may have left behind: the good
  // bucket loads, each bad entry is skipped and reported.
  std::string good_root = (config.data_dir / "_buckets" / "good").string();
  nlohmann::json stored = nlohmann::json::array({
      {{"name", "good"}, {"root", good_root}},
      {{"name", "nul"}, {"root", config.data_dir.string() + "/_buckets/a" + std::string(1, '\0') + "b"}},
      {{"name", "etc"}, {"root", "/etc"}},
      {{"name", "bad name"}, {"root", good_root + "2"}},
      {{"name", 7}},
      "junk"});
  ASSERT_TRUE(AtomicWriteFile(config.data_dir / "_catalog" / "buckets.json", stored.dump()).ok());
  BucketRegistry reloaded(config.buckets);
  reloaded.LoadRuntimeBuckets();
  EXPECT_TRUE(reloaded.Get("good").ok());
  EXPECT_FALSE(reloaded.Get("nul").ok());
  EXPECT_FALSE(reloaded.Get("etc").ok());
  auto problems = reloaded.Problems();
  EXPECT_EQ(problems.size(), 5u);
  for (const auto& root : reloaded.Roots()) EXPECT_EQ(root.string().find('\0'), std::string::npos);
  // Not even an array: started without runtime buckets, and said so.
  ASSERT_TRUE(AtomicWriteFile(config.data_dir / "_catalog" / "buckets.json", "{\"oops\"").ok());
  BucketRegistry broken(config.buckets);
  broken.LoadRuntimeBuckets();
  EXPECT_FALSE(broken.Get("good").ok());
  EXPECT_EQ(broken.Problems().count("_catalog/buckets.json"), 1u);
  fs::remove_all(config.data_dir);
}

}  // namespace lakehouse::storage

namespace lakehouse::storage {
namespace {

TEST(BucketLockTest, MovesIntoABucketShareItsLockAndItsRemovalWaitsForThem) {
  Config config;
  config.data_dir = fs::temp_directory_path() / ("lh_bucket_lock_" + std::to_string(::getpid()));
  fs::remove_all(config.data_dir);
  FinishBuckets(config);
  BucketRegistry registry(config.buckets);
  ASSERT_TRUE(registry.Add("cold", std::nullopt).ok());
  {
    auto first = registry.LockForMoveInto("cold");
    auto second = registry.LockForMoveInto("cold");
    EXPECT_TRUE(first->held() && second->held()) << "two moves at once";
    // A removal cannot have it meanwhile (kTry stands in for the wait).
    ProcessLock removal(registry.Primary()->Root() / "_catalog/buckets/cold.lock", ProcessLock::Mode::kTry);
    EXPECT_FALSE(removal.held());
  }
  EXPECT_TRUE(registry.LockForRemoval("cold")->held());
  EXPECT_TRUE(registry.StillExists("cold"));
  EXPECT_TRUE(registry.StillExists("primary"));
  // Removed by another process: this one's list still has it, the stored one does not.
  BucketRegistry other(config.buckets);
  other.LoadRuntimeBuckets();
  ASSERT_TRUE(other.Remove("cold").ok());
  EXPECT_TRUE(registry.Get("cold").ok());
  EXPECT_FALSE(registry.StillExists("cold"));
  EXPECT_FALSE(registry.StillExists("nope"));
  fs::remove_all(config.data_dir);
}

}  // namespace
}  // namespace lakehouse::storage
