// The kernel's part of the SQL sandbox: threads that read only the data
// folders, refuse a link out of them at open, and pass that on to the DuckDB
// threads they start.
#include "engine/confined_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "engine/engine_fixture.h"

namespace lakehouse::engine {

namespace {

bool CanRead(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  return static_cast<bool>(std::getline(in, line));
}

// Threads of this process marked no_new_privs: the pool's, and every thread started from one.
int ConfinedThreads() {
  int n = 0;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) n += line == "NoNewPrivs:\t1";
  }
  return n;
}

}  // namespace

class ConfinedPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_confined_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    fs::create_directories(dir_ / "spill");
    fs::create_directories(dir_ / "outside");
    std::ofstream(dir_ / "data" / "in.csv") << "a\n1\n";
    std::ofstream(dir_ / "outside" / "secret.csv") << "pin\n4321\n";
    fs::create_symlink(dir_ / "outside" / "secret.csv", dir_ / "data" / "link.csv");
    fs::create_directory_symlink(dir_ / "outside", dir_ / "data" / "dir");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ConfinedPoolTest, ReadsTheDataFoldersAndNothingElse) {
  ConfinedPool pool({{dir_ / "data"}, {dir_ / "spill"}}, 2);
  if (pool.why_not().rfind("the kernel offers no Landlock", 0) == 0) GTEST_SKIP() << pool.why_not();
  ASSERT_TRUE(pool.confined()) << pool.why_not();
  EXPECT_TRUE(pool.Run([&] { return CanRead(dir_ / "data" / "in.csv"); }));
  EXPECT_FALSE(pool.Run([&] { return CanRead(dir_ / "data" / "link.csv"); }));
  EXPECT_FALSE(pool.Run([&] { return CanRead(dir_ / "data" / "dir" / "secret.csv"); }));
  EXPECT_FALSE(pool.Run([&] { return CanRead(dir_ / "data" / ".." / "outside" / "secret.csv"); }));
  EXPECT_FALSE(pool.Run([&] { return CanRead("/etc/passwd"); }));
  EXPECT_FALSE(pool.Run([&] { return static_cast<bool>(std::ofstream(dir_ / "data" / "new.csv")); }));
  EXPECT_TRUE(pool.Run([&] { return static_cast<bool>(std::ofstream(dir_ / "spill" / "x.tmp") << "x"); }));
  EXPECT_TRUE(CanRead(dir_ / "data" / "link.csv")) << "the rest of the process is not confined";
}

TEST_F(ConfinedPoolTest, DuckDBOpenedThereReadsThroughNoLinkAndItsThreadsAreConfinedToo) {
  int before = ConfinedThreads();
  ConfinedPool pool({{dir_ / "data"}, {dir_ / "spill"}}, 1);
  if (pool.why_not().rfind("the kernel offers no Landlock", 0) == 0) GTEST_SKIP() << pool.why_not();
  ASSERT_TRUE(pool.confined()) << pool.why_not();
  DatabaseOptions options;
  options.threads = 3;
  options.memory_limit = "256MB";
  // Not sandboxed: only the kernel stands between the query and the link.
  auto db = pool.Run([&] { return Database::Open(options); });
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_GE(ConfinedThreads() - before, 3) << "the pool's thread and DuckDB's two workers";
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok());
  auto read = [&](const fs::path& file) {
    return pool.Run([&] { return (*conn)->Query("SELECT * FROM read_csv(" + QuoteLiteral(file.string()) + ")"); });
  };
  auto inside = read(dir_ / "data" / "in.csv");
  ASSERT_TRUE(inside.ok()) << inside.status().message();
  for (const fs::path& file : {dir_ / "data" / "link.csv", dir_ / "data" / "dir" / "secret.csv",
                               dir_ / "data" / "dir" / ".." / "outside" / "secret.csv"}) {
    auto out = read(file);
    ASSERT_FALSE(out.ok()) << file;
    EXPECT_EQ(out.status().message().find("4321"), std::string::npos);
  }
}

}  // namespace lakehouse::engine
