#include "auth/key_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "fixtures.h"

namespace lakehouse::auth {

namespace {

struct TempStore {
  std::filesystem::path dir = testing::MakeTempDir("keys");
  KeyStore store{dir / "_catalog" / "auth" / "keys.json"};
  ~TempStore() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string FileText() const {
    std::ifstream in(dir / "_catalog" / "auth" / "keys.json");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

}  // namespace

TEST(KeyStoreTest, AKeyIsShownOnceAndStoredOnlyAsASaltedHash) {
  TempStore t;
  EXPECT_FALSE(t.store.AnyActive());
  auto made = t.store.Create(Role::kWriter, "ingest_bot", std::nullopt);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->key.rfind("lh_" + made->record.id + "_", 0), 0u);
  EXPECT_TRUE(t.store.AnyActive());
  std::string secret = made->key.substr(12);
  EXPECT_EQ(t.FileText().find(secret), std::string::npos);  // the canary never reaches the file
  EXPECT_NE(t.FileText().find("ingest_bot"), std::string::npos);
  auto who = t.store.Authenticate(made->key);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kWriter);
  EXPECT_EQ(who->name, "ingest_bot");

  // One character off, another id, garbage: all unknown, none echoed.
  std::string wrong = made->key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  for (const std::string& bad : {wrong, std::string("lh_00000000_") + secret, std::string("hunter2"), std::string()}) {
    auto r = t.store.Authenticate(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << bad;
    EXPECT_EQ(r.status().message().find(secret), std::string::npos);
  }
  EXPECT_EQ(t.store.Create(Role::kReader, "ingest_bot", std::nullopt).status().code(), StatusCode::kConflict);
  EXPECT_FALSE(t.store.Create(Role::kReader, "bad name!", std::nullopt).ok());
}

TEST(KeyStoreTest, RevokedAndExpiredKeysStopWorking) {
  TempStore t;
  auto a = t.store.Create(Role::kAdmin, "", std::nullopt);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->record.name, "key_" + a->record.id);
  auto soon = t.store.Create(Role::kReader, "soon", Now() + std::chrono::milliseconds(300));
  ASSERT_TRUE(soon.ok());
  EXPECT_TRUE(t.store.Authenticate(soon->key).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  auto expired = t.store.Authenticate(soon->key);
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);

  ASSERT_TRUE(t.store.Revoke(a->record.name).ok());
  EXPECT_EQ(t.store.Revoke(a->record.id).status().code(), StatusCode::kConflict);
  EXPECT_EQ(t.store.Revoke("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.store.Authenticate(a->key).status().message().find("revoked"), std::string::npos);
  EXPECT_FALSE(t.store.AnyActive());  // back to open on loopback
  EXPECT_EQ(t.store.List()->size(), 2u);
  // Every key revoked is not "no keys": the file still says a key is needed.
  EXPECT_EQ(t.store.FileState(), KeyFileState::kKeys);

  // Another process's change is seen (a second store on the same file).
  KeyStore other(t.dir / "_catalog" / "auth" / "keys.json");
  auto b = other.Create(Role::kReader, "b", std::nullopt);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(t.store.Authenticate(b->key).ok());
}

TEST(KeyStoreTest, ADamagedKeyFileFailsClosed) {
  TempStore t;
  EXPECT_EQ(t.store.FileState(), KeyFileState::kNone);
  auto good = t.store.Create(Role::kAdmin, "admin", std::nullopt);
  ASSERT_TRUE(good.ok());
  auto path = t.dir / "_catalog" / "auth" / "keys.json";
  for (const char* damaged : {"", "{\"keys\": [", "[]", "{\"keys\": {}}"}) {
    { std::ofstream(path, std::ios::trunc) << damaged; }
    KeyStore fresh(path);
    EXPECT_EQ(fresh.FileState(), KeyFileState::kDamaged) << damaged;
    auto r = fresh.Authenticate(good->key);
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << damaged;
    EXPECT_NE(r.status().message().find("damaged"), std::string::npos);
    EXPECT_EQ(fresh.Create(Role::kReader, "x", std::nullopt).status().code(), StatusCode::kConflict);
    EXPECT_FALSE(fresh.List().ok());
  }
  // A record whose times or role do not read never works.
  std::string text = R"({"keys":[{"id":"ID","name":"n","role":"admin","salt":"S","hash":"H","revoked_at":"yesterday"}]})";
  { std::ofstream(path, std::ios::trunc) << text; }
  KeyStore odd(path);
  EXPECT_FALSE(odd.AnyActive());
  EXPECT_EQ(odd.FileState(), KeyFileState::kKeys);
}

TEST(KeyStoreTest, NamesAndExpiriesAreBounded) {
  TempStore t;
  EXPECT_FALSE(t.store.Create(Role::kReader, std::string(65, 'a'), std::nullopt).ok());
  EXPECT_FALSE(t.store.Create(Role::kReader, std::string(70, 'a') + "\ninjected", std::nullopt).ok());
  EXPECT_TRUE(t.store.Create(Role::kReader, std::string(64, 'a'), std::nullopt).ok());
  auto now = Now();
  EXPECT_FALSE(ParseExpiry("213504d", now).ok());
  EXPECT_FALSE(ParseExpiry("9999-12-31T00:00:00Z", now).ok());
  EXPECT_TRUE(ParseExpiry("36500d", now).ok());
}

TEST(KeyStoreTest, ExpiriesAreDurationsOrTimes) {
  TimePoint now = *ParseTime("2026-12-03T00:00:00Z");
  EXPECT_EQ(*ParseExpiry("30d", now), now + std::chrono::hours(24 * 30));
  EXPECT_EQ(*ParseExpiry("12h", now), now + std::chrono::hours(12));
  EXPECT_EQ(*ParseExpiry("2027-01-31T00:00:00Z", now), *ParseTime("2027-01-31T00:00:00Z"));
  for (const char* bad : {"", "0d", "soon", "-3d", "12x"}) EXPECT_FALSE(ParseExpiry(bad, now).ok()) << bad;
  EXPECT_EQ(*ParseRole("writer"), Role::kWriter);
  EXPECT_FALSE(ParseRole("root").has_value());
  EXPECT_TRUE(Allows(Role::kAdmin, Role::kReader));
  EXPECT_FALSE(Allows(Role::kReader, Role::kWriter));
}

}  // namespace lakehouse::auth

namespace lakehouse::auth {

TEST(KeyStoreTest, ThePiiGrantIsKeptAndAnUnknownGrantNeverWorks) {
  TempStore t;
  auto plain = t.store.Create(Role::kReader, "analyst", std::nullopt);
  auto granted = t.store.Create(Role::kReader, "auditor", std::nullopt, true);
  ASSERT_TRUE(plain.ok() && granted.ok());
  KeyStore again(t.dir / "_catalog" / "auth" / "keys.json");
  EXPECT_FALSE(again.Authenticate(plain->key)->pii);
  EXPECT_TRUE(again.Authenticate(granted->key)->pii);
  // A grant this version does not know (written by hand, or by a newer one)
  // is not guessed at: the key stops working.
  std::string text = t.FileText();
  auto at = text.find("\"pii\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 5, "\"all_buckets\"");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(t.dir / "_catalog" / "auth" / "keys.json") << text;
  EXPECT_EQ(again.Authenticate(granted->key).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(again.Authenticate(plain->key).ok());
}

}  // namespace lakehouse::auth
