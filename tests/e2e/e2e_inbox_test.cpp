#include <fstream>
#include <thread>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

class InboxE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    inbox_ = server_.dir() / "inbox";
  }
  // Polls the catalog until the dataset exists with `rows` rows.
  bool WaitForRows(const std::string& dataset, int64_t rows, int timeout_ms = 15000) {
    for (int waited = 0; waited < timeout_ms; waited += 100) {
      auto r = Get(server_, "/catalog/datasets/by-name/" + dataset);
      if (r.status == 200 && r.body["row_count"] == rows) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::vector<std::string> Names(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  bool WaitForFiles(const fs::path& dir, size_t count, int timeout_ms = 15000) {
    for (int waited = 0; waited < timeout_ms; waited += 100) {
      if (Names(dir).size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  ServerProcess server_{"[inbox]\ndir = \"inbox\"\npoll_interval_ms = 5000\nsettle_ms = 1000\n"};
  fs::path inbox_;
};

TEST_F(InboxE2E, DroppedFilesBecomeDatasets) {
  WriteFile(inbox_ / "drop_orders.csv", "id,amount\n1,10\n2,20\n3,30\n");
  WriteFile(inbox_ / "drop_people.json", R"([{"name":"ana"},{"name":"bo"}])");
  WriteFile(inbox_ / "drop_manual.pdf", MakePdf({"page one", "page two", "page three"}));
  WriteFile(inbox_ / "broken.csv", "a,b\n1,2\n3,4,5\n");
  EXPECT_TRUE(WaitForRows("drop_orders", 3)) << server_.log();
  EXPECT_TRUE(WaitForRows("drop_people", 2));
  EXPECT_TRUE(WaitForRows("drop_manual", 3));
  ASSERT_TRUE(WaitForFiles(inbox_ / "failed", 2)) << server_.log();
  auto failed = Names(inbox_ / "failed");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_NE(failed[0].find("broken.csv"), std::string::npos);
  std::ifstream reason(inbox_ / "failed" / failed[1]);
  std::string text((std::istreambuf_iterator<char>(reason)), {});
  EXPECT_NE(text.find("line 3 has 3 fields"), std::string::npos) << text;
  ASSERT_TRUE(WaitForFiles(inbox_ / "processed", 3));
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/drop_orders").body["lineage"]["source_system"], "inbox");
  EXPECT_EQ(Sql(server_, "SELECT sum(amount) FROM drop_orders").body["rows"][0][0], 60);

  // The same bytes again: a no-op, and the file still leaves the inbox.
  WriteFile(inbox_ / "drop_orders.csv", "id,amount\n1,10\n2,20\n3,30\n");
  ASSERT_TRUE(WaitForFiles(inbox_ / "processed", 4));
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/drop_orders").body["row_count"], 3);
  EXPECT_FALSE(fs::exists(inbox_ / "drop_orders.csv"));
}

TEST_F(InboxE2E, SymlinksAreNeverFollowed) {
  WriteFile(server_.dir() / "secret.csv", "user,password\nroot,hunter2\n");
  fs::create_symlink(server_.dir() / "secret.csv", inbox_ / "linked.csv");
  WriteFile(inbox_ / "real.csv", "a\n1\n");
  ASSERT_TRUE(WaitForRows("real", 1)) << server_.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/linked").status, 404);
  EXPECT_TRUE(fs::is_symlink(inbox_ / "linked.csv"));
}

TEST_F(InboxE2E, SubfoldersChooseDatasetAndBucket) {
  ASSERT_EQ(ToReply(server_.http().Post("/storage/buckets", R"({"name": "cold"})", "application/json")).status, 201);
  WriteFile(inbox_ / "sales" / "march.csv", "day,v\n1,5\n");
  WriteFile(inbox_ / "cold" / "archive" / "2019.csv", "y,v\n2019,1\n2019,2\n");
  ASSERT_TRUE(WaitForRows("sales", 1)) << server_.log();
  ASSERT_TRUE(WaitForRows("archive", 2)) << server_.log();
  EXPECT_EQ(Get(server_, "/catalog/datasets/by-name/archive").body["bucket"], "cold");
  WriteFile(inbox_ / "sales" / "april.csv", "day,v\n2,7\n");
  ASSERT_TRUE(WaitForRows("sales", 2));
}

TEST_F(InboxE2E, FileStillBeingWrittenIsNotIngestedHalf) {
  fs::path file = inbox_ / "slow.csv";
  std::ofstream out(file);
  out << "id,v\n";
  for (int i = 0; i < 100; ++i) out << i << "," << i << "\n";
  out.flush();
  // Keep writing for longer than the settle time, in small bursts.
  for (int burst = 1; burst <= 8; ++burst) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    for (int i = 0; i < 100; ++i) out << burst * 100 + i << "," << i << "\n";
    out.flush();
  }
  out.close();
  ASSERT_TRUE(WaitForRows("slow", 900)) << server_.log();
  auto versions = Get(server_, "/catalog/datasets/by-name/slow").body["versions"];
  EXPECT_EQ(versions[0]["files"].size(), 1u);  // one ingest, of the whole file
}

}  // namespace lakehouse::testing
