#include "auth/audit_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fixtures.h"

namespace lakehouse::auth {

TEST(AuditLogTest, EntriesAppendRotateAndFilterAndATornLineIsSkipped) {
  auto dir = testing::MakeTempDir("audit");
  {
    AuditLog log(dir / "_audit", 600);  // rotates every few entries
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
