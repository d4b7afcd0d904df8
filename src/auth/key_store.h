// API keys: made by the CLI (the owner of the data folder), printed once,
// stored only as a salted SHA-256 in _catalog/auth/keys.json (written
// atomically). A key reads "lh_<id>_<secret>": the id finds the record, the
// secret is compared by hash in constant time. Thread-safe; the file is
// read again when another process changed it.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "common/clock.h"
#include "common/status.h"

namespace lakehouse::auth {

struct KeyRecord {
  std::string id;    // 8 hex digits, public (in the key and in listings)
  std::string name;  // a label for people and for the audit log
  Role role = Role::kReader;
  // The pii grant: PII and restricted columns shown as stored, in SQL,
  // exports, search hits and doc fetch (without it they are masked).
  bool pii = false;
  std::string salt, hash;  // hex; the secret itself is never stored
  TimePoint created_at{};
  std::optional<TimePoint> expires_at, revoked_at;
  bool active(TimePoint now) const { return !revoked_at && (!expires_at || *expires_at > now); }
};

// kNone: no key file (loopback stays open); kKeys: a key file, whatever
// its keys' states (a key is then needed, even when all are revoked);
// kDamaged: a key file that cannot be read (every route refuses: the
// server fails closed).
enum class KeyFileState { kNone, kKeys, kDamaged };

struct NewKey {
  KeyRecord record;
  std::string key;  // the whole key, to show once
};

class KeyStore {
 public:
  // `path` is <primary>/_catalog/auth/keys.json.
  explicit KeyStore(std::filesystem::path path) : path_(std::move(path)) {}

  // `name` defaults to "key_<id>"; Conflict when a key has that name.
  Result<NewKey> Create(Role role, std::string name, std::optional<TimePoint> expires_at, bool pii = false);
  // Conflict for a damaged file (what is wrong with it, and what to do).
  Result<std::vector<KeyRecord>> List() const;
  KeyFileState FileState() const;
  // By id or name; NotFound when none, Conflict when already revoked.
  Result<KeyRecord> Revoke(const std::string& id_or_name);
  // Whether any key is usable now: from then on every route but /health needs one.
  bool AnyActive() const;
  // Unauthenticated for an unknown, malformed, revoked or expired key (the
  // message never repeats the key).
  Result<KeyRecord> Authenticate(const std::string& key) const;

 private:
  struct Cache {
    int64_t stamp = -1;
    KeyFileState state = KeyFileState::kNone;
    std::string damage;  // why, when kDamaged
    std::vector<KeyRecord> keys;
  };
  std::vector<KeyRecord> Load() const;  // requires mutex_
  Status Save(const std::vector<KeyRecord>& keys) const;

  std::filesystem::path path_;
  mutable std::mutex mutex_;
  mutable Cache cache_;  // GUARDED_BY(mutex_)
};

// The key's grants as listed and stored: ["pii"] or [].
std::vector<std::string> GrantNames(const KeyRecord& key);

// Parses a --expires value: "30d", "12h", "90m" from now, or an ISO time.
Result<TimePoint> ParseExpiry(const std::string& text, TimePoint now);

}  // namespace lakehouse::auth
