#include "common/config.h"

#include <gtest/gtest.h>

#include "common/files.h"

namespace lakehouse {

TEST(ConfigTest, DefaultsNeedNoFile) {
  Config c;
  FinishBuckets(c);
  EXPECT_EQ(c.port, 3100);
  EXPECT_EQ(c.host, "127.0.0.1");
  ASSERT_EQ(c.buckets.size(), 2u);
  EXPECT_EQ(c.buckets[0].name, "primary");
  EXPECT_EQ(c.buckets[1].name, "rescue");
  EXPECT_TRUE(c.buckets[0].root.is_absolute());
}

TEST(ConfigTest, ReadsFileAndResolvesRelativePaths) {
  fs::path dir = fs::temp_directory_path() / ("lh_config_" + std::to_string(::getpid()));
  ASSERT_TRUE(AtomicWriteFile(dir / "lakehouse.toml",
                              "[server]\nport = 4000\n[storage]\ndata_dir = \"d\"\n"
                              "[[storage.buckets]]\nname = \"cold\"\npath = \"/tmp/cold\"\n"
                              "[query]\nmax_result_rows = 5\n")
                  .ok());
  auto c = LoadConfig(dir / "lakehouse.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 4000);
  EXPECT_EQ(c->max_result_rows, 5);
  EXPECT_EQ(c->data_dir, dir / "d");
  ASSERT_EQ(c->buckets.size(), 3u);
  EXPECT_EQ(c->buckets[0].root, dir / "d");
  EXPECT_EQ(c->buckets[1].name, "cold");
  fs::remove_all(dir);
}

TEST(ConfigTest, ReportsSyntaxErrorsWithLine) {
  fs::path dir = fs::temp_directory_path() / ("lh_config_bad_" + std::to_string(::getpid()));
  ASSERT_TRUE(AtomicWriteFile(dir / "bad.toml", "[server]\nport = = 1\n").ok());
  auto c = LoadConfig(dir / "bad.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("line 2"), std::string::npos) << c.status().message();
  EXPECT_EQ(LoadConfig(dir / "missing.toml").status().code(), StatusCode::kNotFound);
  fs::remove_all(dir);
}

TEST(ConfigTest, WrongTypesAndRangesAreErrorsNotDefaults) {
  fs::path dir = fs::temp_directory_path() / ("lh_config_types_" + std::to_string(::getpid()));
  for (const auto& [toml, message] : std::vector<std::pair<std::string, std::string>>{
           {"[server]\nport = \"3100\"\n", "server.port must be an integer"},
           {"[server]\nport = 99999999\n", "server.port must be between 0 and 65535"},
           // Found by the config fuzzer: toml++ turned this into an integer by undefined behaviour.
           {"[ingest]\ntimeout_ms = 3044444444444444444444444444444444444.0\n", "ingest.timeout_ms must be an integer"},
           {"[inbox]\nenabled = \"yes\"\n", "inbox.enabled must be true or false"},
           {"[query]\nduckdb_memory_limit = 4\n", "query.duckdb_memory_limit must be a string"},
           {"[inbox]\npoll_interval_ms = 9999999999999\n", "inbox.poll_interval_ms must be positive"},
       }) {
    ASSERT_TRUE(AtomicWriteFile(dir / "c.toml", toml).ok());
    auto c = LoadConfig(dir / "c.toml");
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << toml;
    EXPECT_NE(c.status().message().find(message), std::string::npos) << c.status().message();
  }
  fs::remove_all(dir);
}

}  // namespace lakehouse
