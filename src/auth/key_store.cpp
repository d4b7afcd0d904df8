#include "auth/key_store.h"

#include "common/json_fields.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::auth {

namespace {

using nlohmann::json;

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

constexpr int64_t kMaxExpiryMinutes = int64_t{36500} * 1440;

std::optional<TimePoint> TimeOf(const json& j, const char* f) {
  if (!j.contains(f) || !j[f].is_string()) return std::nullopt;
  auto t = ParseTime(j[f].get<std::string>());
  return t.ok() ? std::optional<TimePoint>(*t) : std::nullopt;
}

// The file's mtime, and whether it changed too recently for one mtime to
// tell two changes apart.
int64_t StampOf(const std::filesystem::path& path, bool* recent) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(path, ec);
  if (ec) {
    *recent = false;
    return 0;
  }
  *recent = std::filesystem::file_time_type::clock::now() - t < std::chrono::milliseconds(100);
  return static_cast<int64_t>(t.time_since_epoch().count());
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kReader: return "reader";
    case Role::kWriter: return "writer";
    case Role::kAdmin: return "admin";
  }
  return "reader";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "reader") return Role::kReader;
  if (name == "writer") return Role::kWriter;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::vector<KeyRecord> KeyStore::Load() const {
  bool recent = false;
  int64_t stamp = StampOf(path_, &recent);
  if (stamp == cache_.stamp && !recent) return cache_.keys;
  Cache fresh;
  fresh.stamp = stamp;
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec) && !ec) {
    cache_ = fresh;
    return {};
  }
  // From here a key is needed; what cannot be read closes the server
  // rather than opening it.
  fresh.state = KeyFileState::kDamaged;
  auto text = ReadFile(path_);
  json j = text.ok() ? json::parse(*text, nullptr, false) : json();
  if (!text.ok()) {
    fresh.damage = text.status().message();
  } else if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
    fresh.damage = "it is not {\"keys\": [...]}";
  } else {
    fresh.state = KeyFileState::kKeys;
    for (const json& k : j["keys"]) {
      if (!k.is_object()) continue;
      KeyRecord r;
      r.id = StringOr(k, "id");
      r.name = StringOr(k, "name");
      auto role = ParseRole(StringOr(k, "role"));
      r.salt = StringOr(k, "salt");
      r.hash = StringOr(k, "hash");
      r.created_at = TimeOf(k, "created_at").value_or(TimePoint{});
      r.expires_at = TimeOf(k, "expires_at");
      r.revoked_at = TimeOf(k, "revoked_at");
      // A time that does not read counts as passed: a damaged record never works.
      for (const char* f : {"expires_at", "revoked_at"}) {
        if (k.contains(f) && !k[f].is_null() && !TimeOf(k, f)) r.revoked_at = TimePoint{};
      }
      if (!role) r.revoked_at = TimePoint{};
      r.role = role.value_or(Role::kReader);
      if (auto grants = k.find("grants"); grants != k.end() && !grants->is_null()) {
        if (!grants->is_array()) r.revoked_at = TimePoint{};
        for (const json& g : grants->is_array() ? *grants : json::array()) {
          if (g == "pii") {
            r.pii = true;
          } else {
            r.revoked_at = TimePoint{};  // a grant this version does not know: never guess what it meant
          }
        }
      }
      if (!r.id.empty() && !r.hash.empty()) fresh.keys.push_back(std::move(r));
    }
  }
  cache_ = fresh;
  return cache_.keys;
}

std::vector<std::string> GrantNames(const KeyRecord& key) {
  return key.pii ? std::vector<std::string>{"pii"} : std::vector<std::string>{};
}

KeyFileState KeyStore::FileState() const {
  std::lock_guard lock(mutex_);
  Load();
  return cache_.state;
}

Status KeyStore::Save(const std::vector<KeyRecord>& keys) const {
  json list = json::array();
  for (const auto& k : keys) {
    list.push_back({{"id", k.id},
                    {"name", k.name},
                    {"role", RoleName(k.role)},
                    {"grants", GrantNames(k)},
                    {"salt", k.salt},
                    {"hash", k.hash},
                    {"created_at", FormatTime(k.created_at)},
                    {"expires_at", TimeJson(k.expires_at)},
                    {"revoked_at", TimeJson(k.revoked_at)}});
  }
  LH_RETURN_IF_ERROR(EnsureDirectory(path_.parent_path()));
  LH_RETURN_IF_ERROR(AtomicWriteFile(path_, json{{"keys", list}}.dump(2) + "\n"));
  // Only the owner reads the hashes.
  std::error_code ec;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  return Status::Ok();
}

Result<NewKey> KeyStore::Create(Role role, std::string name, std::optional<TimePoint> expires_at, bool pii) {
  std::lock_guard lock(mutex_);
  ProcessLock across(path_.parent_path().parent_path() / "auth.lock");
  std::vector<KeyRecord> keys = Load();
  if (cache_.state == KeyFileState::kDamaged) {
    return Conflict(path_.string() + " is damaged (" + cache_.damage +
                    "); repair or remove it first: a new key would overwrite the others");
  }
  NewKey out;
  out.record.id = RandomHex(4);
  std::string secret = RandomHex(24);
  out.record.salt = RandomHex(16);
  if (out.record.id.empty() || secret.empty() || out.record.salt.empty()) {
    return Internal("the system's random source failed; no key was made");
  }
  if (name.empty()) name = "key_" + out.record.id;
  if (name.size() > 64) return InvalidArgument("a key name is at most 64 characters");
  LH_RETURN_IF_ERROR(ValidateName(name, "key name"));
  for (const auto& k : keys) {
    if (k.name == name) return Conflict("a key named '" + name + "' exists; choose another --name");
    if (k.id == out.record.id) return Internal("key id collision; try again");
  }
  if (expires_at && *expires_at <= Now()) return InvalidArgument("the expiry is in the past");
  out.record.name = name;
  out.record.role = role;
  out.record.pii = pii;
  out.record.hash = Sha256Hex(out.record.salt + secret);
  out.record.created_at = Now();
  out.record.expires_at = expires_at;
  out.key = "lh_" + out.record.id + "_" + secret;
  keys.push_back(out.record);
  LH_RETURN_IF_ERROR(Save(keys));
  cache_.stamp = -1;
  return out;
}

Result<std::vector<KeyRecord>> KeyStore::List() const {
  std::lock_guard lock(mutex_);
  auto keys = Load();
  if (cache_.state == KeyFileState::kDamaged) {
    return Conflict(path_.string() + " is damaged (" + cache_.damage +
                    "); the server refuses every route but /health until it is repaired or removed");
  }
  return keys;
}

Result<KeyRecord> KeyStore::Revoke(const std::string& id_or_name) {
  std::lock_guard lock(mutex_);
  ProcessLock across(path_.parent_path().parent_path() / "auth.lock");
  std::vector<KeyRecord> keys = Load();
  if (cache_.state == KeyFileState::kDamaged) return Conflict(path_.string() + " is damaged (" + cache_.damage + ")");
  // An id first, then a name: a name may look like another key's id.
  auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.id == id_or_name; });
  if (it == keys.end()) it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.name == id_or_name; });
  if (it != keys.end()) {
    auto& k = *it;
    if (k.revoked_at) return Conflict("key '" + k.name + "' was revoked at " + FormatTime(*k.revoked_at));
    k.revoked_at = Now();
    LH_RETURN_IF_ERROR(Save(keys));
    cache_.stamp = -1;
    return k;
  }
  return NotFound("no key with id or name '" + id_or_name.substr(0, 64) + "'; `lakehouse auth key list` lists them");
}

bool KeyStore::AnyActive() const {
  std::lock_guard lock(mutex_);
  auto now = Now();
  for (const auto& k : Load()) {
    if (k.active(now)) return true;
  }
  return false;
}

Result<KeyRecord> KeyStore::Authenticate(const std::string& key) const {
  // lh_<8 hex>_<48 hex>
  if (key.size() != 3 + 8 + 1 + 48 || key.compare(0, 3, "lh_") != 0 || key[11] != '_') {
    return Unauthenticated("the API key is not a lakehouse key (lh_...); `lakehouse auth key create` makes one");
  }
  std::string id = key.substr(3, 8), secret = key.substr(12);
  std::lock_guard lock(mutex_);
  auto now = Now();
  auto keys = Load();
  if (cache_.state == KeyFileState::kDamaged) {
    return Unauthenticated("the server's key file is damaged, so no key can be checked; its owner must repair it "
                           "(`lakehouse auth key list` says what is wrong)");
  }
  for (const auto& k : keys) {
    if (k.id != id) continue;
    std::string hash = Sha256Hex(k.salt + secret);
    if (hash.size() != k.hash.size() || CRYPTO_memcmp(hash.data(), k.hash.data(), hash.size()) != 0) break;
    if (k.revoked_at) return Unauthenticated("API key '" + k.name + "' was revoked");
    if (k.expires_at && *k.expires_at <= now) return Unauthenticated("API key '" + k.name + "' has expired");
    return k;
  }
  return Unauthenticated("unknown API key");
}

Result<TimePoint> ParseExpiry(const std::string& text, TimePoint now) {
  if (text.size() >= 2 && text.size() <= 8) {
    char unit = text.back();
    std::string number = text.substr(0, text.size() - 1);
    if ((unit == 'd' || unit == 'h' || unit == 'm') && number.find_first_not_of("0123456789") == std::string::npos) {
      int64_t n = std::stoll(number);
      int64_t minutes = unit == 'd' ? n * 1440 : unit == 'h' ? n * 60 : n;
      if (n > 0 && minutes <= kMaxExpiryMinutes) return now + std::chrono::minutes(minutes);
      if (n > 0) return InvalidArgument("--expires is at most 100 years ahead (36500d)");
    }
  }
  // The year is checked as text: nanosecond time points end in 2262.
  if (text.size() >= 4 && std::isdigit(static_cast<unsigned char>(text[0])) && std::atoi(text.substr(0, 4).c_str()) > 2200) {
    return InvalidArgument("--expires is at most 100 years ahead");
  }
  auto t = ParseTime(text);
  if (!t.ok()) return InvalidArgument("--expires takes a duration (30d, 12h, 90m) or a time (2027-01-31T00:00:00Z)");
  if (*t > now + std::chrono::minutes(kMaxExpiryMinutes)) return InvalidArgument("--expires is at most 100 years ahead");
  return *t;
}

}  // namespace lakehouse::auth
