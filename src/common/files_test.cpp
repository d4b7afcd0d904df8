#include "common/files.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace lakehouse {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_files_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FilesTest, AtomicWriteCreatesDirectoriesAndLeavesNoTemp) {
  fs::path target = dir_ / "a" / "b" / "m.json";
  ASSERT_TRUE(AtomicWriteFile(target, "{\"v\":1}").ok());
  ASSERT_TRUE(AtomicWriteFile(target, "{\"v\":2}").ok());
  EXPECT_EQ(*ReadFile(target), "{\"v\":2}");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(target.parent_path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, WriteIntoUnwritablePlaceFailsWithoutTouchingTarget) {
  ASSERT_TRUE(AtomicWriteFile(dir_ / "f", "x").ok());
  // A directory where the file's parent should be: the write must fail cleanly.
  Status s = AtomicWriteFile(dir_ / "f" / "child", "y");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*ReadFile(dir_ / "f"), "x");
}

TEST_F(FilesTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(AtomicWriteFile(dir_ / "abc", "abc").ok());
  EXPECT_EQ(*Sha256File(dir_ / "abc"), Sha256Hex("abc"));
  EXPECT_FALSE(Sha256File(dir_ / "missing").ok());
}

// The pump follows a file that appears after it starts, never changes what
// the writer wrote, and stops at once (not after its interval) when done.
TEST_F(FilesTest, WritebackPumpLeavesTheFileAsWrittenAndStopsPromptly) {
  ASSERT_TRUE(EnsureDirectory(dir_).ok());
  fs::path file = dir_ / "growing.bin";
  std::string written;
  auto started = std::chrono::steady_clock::now();
  {
    WritebackPump pump(file, std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a few rounds with no file yet
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 50; ++i) {
      std::string block(64 * 1024, static_cast<char>('a' + i % 26));
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      out.flush();
      written += block;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  auto read = ReadFile(file);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(*read == written);
  WritebackPump idle(dir_ / "never-created", std::chrono::hours(1));  // destroyed without waiting an hour
}

TEST_F(FilesTest, BackgroundSha256HashesTheWholeFile) {
  ASSERT_TRUE(EnsureDirectory(dir_).ok());
  std::string bytes;
  for (int i = 0; bytes.size() < (5u << 20) + 123; ++i) bytes += "line " + std::to_string(i) + "\n";
  ASSERT_TRUE(AtomicWriteFile(dir_ / "big.txt", bytes).ok());
  BackgroundSha256 early(dir_ / "big.txt");  // taken over before the worker got far
  auto early_hash = early.Finish();
  ASSERT_TRUE(early_hash.ok());
  EXPECT_EQ(*early_hash, Sha256Hex(bytes));
  BackgroundSha256 late(dir_ / "big.txt");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the worker may have finished
  EXPECT_EQ(*late.Finish(), Sha256Hex(bytes));
  { BackgroundSha256 abandoned(dir_ / "big.txt"); }  // destroyed without Finish: no hang, no crash
  BackgroundSha256 missing(dir_ / "missing.txt");
  EXPECT_FALSE(missing.Finish().ok());
}

TEST_F(FilesTest, TempGuardRemovesUnlessReleased) {
  ASSERT_TRUE(EnsureDirectory(dir_).ok());
  fs::path p = UniqueTempPath(dir_, "x");
  { TempFileGuard g(p); ASSERT_TRUE(AtomicWriteFile(p, "1").ok()); }
  EXPECT_FALSE(fs::exists(p));
  EXPECT_NE(UniqueTempPath(dir_, "x"), UniqueTempPath(dir_, "x"));
}

TEST_F(FilesTest, SweepRemovesOnlyFilesOfDeadProcesses) {
  ASSERT_TRUE(EnsureDirectory(dir_ / "staging").ok());
  ASSERT_TRUE(AtomicWriteFile(dir_ / "staging" / ".upload.999999999.0.tmp", "x").ok());  // no such pid
  fs::path mine_now = UniqueTempPath(dir_ / "staging", "live");
  ASSERT_TRUE(AtomicWriteFile(dir_ / "staging" / ".live.1.0.tmp", "x").ok());  // pid 1 is alive
  ASSERT_TRUE(AtomicWriteFile(dir_ / "staging" / "keep.parquet", "x").ok());
  EXPECT_EQ(SweepStaleTempFiles(dir_ / "staging"), 1);
  EXPECT_FALSE(fs::exists(dir_ / "staging" / ".upload.999999999.0.tmp"));
  EXPECT_TRUE(fs::exists(dir_ / "staging" / ".live.1.0.tmp"));
  EXPECT_TRUE(fs::exists(dir_ / "staging" / "keep.parquet"));
  (void)mine_now;
}

TEST_F(FilesTest, SecureDataFolderRemovesLinksAndWriteAccessOfOthers) {
  fs::path data = dir_ / "datasets";
  ASSERT_TRUE(AtomicWriteFile(data / "sales" / "1-1.parquet", "PAR1").ok());
  fs::create_symlink("/etc/passwd", data / "sales" / "2-1.parquet");
  fs::create_directory_symlink("/etc", data / "etc");
  fs::permissions(data / "sales", fs::perms::all);
  fs::permissions(data / "sales" / "1-1.parquet", fs::perms::all);
  auto report = SecureDataFolder(data);
  EXPECT_EQ(report.links_removed.size(), 2u);
  EXPECT_FALSE(fs::exists(fs::symlink_status(data / "sales" / "2-1.parquet")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(data / "etc")));
  EXPECT_TRUE(fs::exists("/etc/passwd"));  // the target is left alone
  EXPECT_EQ(report.tightened.size(), 2u);
  for (const auto& p : {data / "sales", data / "sales" / "1-1.parquet"}) {
    auto perms = fs::status(p).permissions();
    EXPECT_EQ(perms & (fs::perms::group_write | fs::perms::others_write), fs::perms::none) << p;
    EXPECT_NE(perms & fs::perms::owner_write, fs::perms::none) << p;
  }
  EXPECT_TRUE(report.not_ours.empty());
  EXPECT_TRUE(SecureDataFolder(dir_ / "missing").links_removed.empty());
}

TEST_F(FilesTest, ADataFolderThatIsALinkIsReportedAndNotWalked) {
  ASSERT_TRUE(AtomicWriteFile(dir_ / "outside" / "secret.txt", "x").ok());
  fs::create_symlink("/etc/passwd", dir_ / "outside" / "link");
  fs::permissions(dir_ / "outside" / "secret.txt", fs::perms::all);
  fs::create_directory_symlink(dir_ / "outside", dir_ / "datasets");
  auto report = SecureDataFolder(dir_ / "datasets");
  EXPECT_TRUE(report.is_link);
  EXPECT_TRUE(report.links_removed.empty());
  EXPECT_TRUE(fs::is_symlink(dir_ / "outside" / "link"));  // nothing outside was touched
  EXPECT_NE(fs::status(dir_ / "outside" / "secret.txt").permissions() & fs::perms::others_write, fs::perms::none);
}

TEST_F(FilesTest, FirstLinkBelowFindsALinkedFolderOnTheWay) {
  ASSERT_TRUE(AtomicWriteFile(dir_ / "real" / "1-1.parquet", "x").ok());
  ASSERT_TRUE(EnsureDirectory(dir_ / "root" / "datasets").ok());
  fs::create_directory_symlink(dir_ / "real", dir_ / "root" / "datasets" / "sales");
  EXPECT_EQ(FirstLinkBelow(dir_ / "root", dir_ / "root" / "datasets" / "sales" / "1-1.parquet"),
            dir_ / "root" / "datasets" / "sales");
  EXPECT_TRUE(FirstLinkBelow(dir_, dir_ / "real" / "1-1.parquet").empty());
  EXPECT_TRUE(FirstLinkBelow(dir_ / "root", "/etc/passwd").empty());  // not below the root: not ours to judge
}

TEST_F(FilesTest, SecureDataFolderReportsAFolderAnotherUserOwns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a folder to another user";
  fs::path data = dir_ / "datasets";
  ASSERT_TRUE(EnsureDirectory(data / "theirs").ok());
  ASSERT_EQ(::chown((data / "theirs").c_str(), 54321, 54321), 0);
  auto report = SecureDataFolder(data);
  ASSERT_EQ(report.not_ours.size(), 1u);
  EXPECT_EQ(report.not_ours[0], data / "theirs");
}

}  // namespace lakehouse
