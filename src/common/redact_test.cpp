#include "common/redact.h"

#include <gtest/gtest.h>

namespace lakehouse {

TEST(RedactTest, HidesPasswordForAnyScheme) {
  EXPECT_EQ(RedactDsn("postgresql://bob:s3cret@db:5432/shop"), "postgresql://bob:***@db:5432/shop");
  EXPECT_EQ(RedactDsn("mysql://root:p@ss@h/x"), "mysql://root:***@h/x");
  EXPECT_EQ(RedactDsn("failed for postgres://a:b@h/d: refused"), "failed for postgres://a:***@h/d: refused");
  EXPECT_EQ(RedactDsn("postgresql://bob@db/shop"), "postgresql://bob@db/shop");
  EXPECT_EQ(RedactDsn("no dsn here"), "no dsn here");
  EXPECT_EQ(RedactDsn("postgresql://alice:s3cr/et@db:5432/prod"), "postgresql://alice:***@db:5432/prod");
  EXPECT_EQ(RedactDsn("mysql://u:a?b#c@h/x"), "mysql://u:***@h/x");
}

TEST(RedactTest, HidesSecretEverywhere) {
  EXPECT_EQ(RedactSecret("pw hunter2 and hunter2", "hunter2"), "pw *** and ***");
  EXPECT_EQ(RedactSecret("text", ""), "text");
}

}  // namespace lakehouse
