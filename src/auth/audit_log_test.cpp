#include "auth/audit_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fixtures.h"

namespace lakehouse::auth {

TEST(AuditLogTest, EntriesAppendRotateAndFilterAndATornLineIsSkipped) {
  auto dir = testing::MakeTempDir("audit");
  {
    AuditLog log(dir / "_audit", AuditOptions{600, 0, 600});  // rotates every few entries
    for (int i = 0; i < 10; ++i) {
      AuditEntry e;
      e.actor = i % 2 ? "ingest_bot" : "admin_me";
      e.role = i % 2 ? "writer" : "admin";
      e.method = "POST";
      e.route = i < 5 ? "/ingest/file" : "/storage/buckets";
      e.target = "sales";
      e.status = i == 9 ? 403 : 201;
      e.outcome = i == 9 ? AuditOutcome::kRefused : AuditOutcome::kOk;
      ASSERT_TRUE(log.Append(e).ok());
    }
    auto all = log.Read({});
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->entries.size(), 10u);
    EXPECT_GT(all->files, 1u);  // rotated
    EXPECT_EQ(all->entries.front().route, "/ingest/file");  // oldest first, across files
    EXPECT_EQ(all->entries.back().outcome, AuditOutcome::kRefused);

    AuditFilter only;
    only.actor = "ingest_bot";
    only.route_prefix = "/storage";
    EXPECT_EQ(log.Read(only)->entries.size(), 3u);
    AuditFilter refused;
    refused.outcome = AuditOutcome::kRefused;
    EXPECT_EQ(log.Read(refused)->entries.size(), 1u);
    AuditFilter last;
    last.limit = 3;
    auto page = log.Read(last);
    ASSERT_EQ(page->entries.size(), 3u);
    EXPECT_EQ(page->entries.back().status, 403);
  }
  {
    // A crash mid-line leaves a torn tail: skipped and counted.
    std::ofstream(dir / "_audit" / "audit.jsonl", std::ios::app) << "{\"at\":\"2026-12-03T";
  }
  AuditLog again(dir / "_audit");
  auto read = again.Read({});
  EXPECT_EQ(read->entries.size(), 10u);
  EXPECT_EQ(read->damaged_lines, 1u);
  // The next entry starts a line of its own, not the torn one's tail.
  AuditEntry next;
  next.actor = "after_crash";
  ASSERT_TRUE(again.Append(next).ok());
  read = again.Read({});
  EXPECT_EQ(read->entries.size(), 11u);
  EXPECT_EQ(read->entries.back().actor, "after_crash");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace lakehouse::auth

namespace lakehouse::auth {

TEST(AuditLogTest, AFloodOfRefusalsIsCountedAndOldFilesGo) {
  auto dir = testing::MakeTempDir("audit_flood");
  TimePoint t0 = Now();
  {
    AuditLog log(dir / "_audit", AuditOptions{400, 3, 5});
    for (int i = 0; i < 50; ++i) {
      AuditEntry e;
      e.at = t0 + std::chrono::milliseconds(i);
      e.actor = "anonymous";
      e.route = "/query/sql";
      e.status = 401;
      e.outcome = AuditOutcome::kRefused;
      ASSERT_TRUE(log.Append(e).ok());
    }
    // Writes are never dropped, refusals only past the rate.
    for (int i = 0; i < 20; ++i) {
      AuditEntry write;
      write.at = t0 + std::chrono::milliseconds(60 + i);
      write.actor = "admin";
      write.route = "/ingest/file";
      ASSERT_TRUE(log.Append(write).ok());
    }
    // The next minute: the count of what was dropped comes first.
    AuditEntry later;
    later.at = t0 + std::chrono::seconds(61);
    later.actor = "anonymous";
    later.outcome = AuditOutcome::kRefused;
    ASSERT_TRUE(log.Append(later).ok());
  }
  AuditLog reader(dir / "_audit");
  AuditFilter all;
  all.limit = 100000;
  auto page = reader.Read(all);
  ASSERT_TRUE(page.ok());
  // Rotated every few entries, only the newest 3 rotated files are kept.
  EXPECT_LE(page->files, 4u);
  std::error_code ec;
  size_t rotated = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir / "_audit", ec)) {
    rotated += f.path().filename().string().rfind("audit-", 0) == 0;
  }
  EXPECT_EQ(rotated, 3u);
  ASSERT_GE(page->entries.size(), 3u);
  const auto& n = page->entries.size();
  EXPECT_EQ(page->entries[n - 3].actor, "admin");
  EXPECT_NE(page->entries[n - 2].detail.find("45 more refused requests"), std::string::npos) << page->entries[n - 2].detail;
  EXPECT_EQ(page->entries[n - 1].actor, "anonymous");
}

}  // namespace lakehouse::auth
