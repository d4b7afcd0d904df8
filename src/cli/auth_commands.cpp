#include "cli/auth_commands.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/key_store.h"
#include "cli/output.h"

namespace lakehouse::cli {

namespace {

// The key file sits in the primary bucket; no runtime is needed to reach it.
std::filesystem::path KeysPath(const Config& config) { return config.data_dir / "_catalog" / "auth" / "keys.json"; }

std::string When(const std::optional<TimePoint>& t) { return t ? FormatTime(*t) : "-"; }

}  // namespace

AuthCommands::AuthCommands(CLI::App& app) {
  CLI::App* auth = app.add_subcommand("auth", "API keys for the HTTP API: once one exists, every route but /health "
                                              "needs one");
  auth->require_subcommand(1);
  CLI::App* key = auth->add_subcommand("key", "Create, list and revoke API keys");
  key->require_subcommand(1);
  create_ = key->add_subcommand("create", "Make a key and print it (once: only its hash is kept)");
  create_->add_option("--role", role_, "reader (SQL, search, catalog reads), writer (also ingest, imports, index "
                                       "builds) or admin (also buckets, deletes, moves, metadata, keys, profiles)")
      ->required()
      ->check(CLI::IsMember({"reader", "writer", "admin"}));
  create_->add_option("--name", name_, "A label for it (default key_<id>)");
  create_->add_option("--expires", expires_, "When it stops working: 30d, 12h, 90m or a time (2027-01-31T00:00:00Z)");
  create_->add_flag("--json", json_, "Print as JSON");
  list_ = key->add_subcommand("list", "List keys (never the keys themselves)");
  list_->add_flag("--json", json_, "Print as JSON");
  revoke_ = key->add_subcommand("revoke", "Stop a key from working, at once");
  revoke_->add_option("key", which_, "Its id or name")->required();
}

int AuthCommands::Run(const Config& config) const {
  if (!create_->parsed() && !list_->parsed() && !revoke_->parsed()) return -1;
  auth::KeyStore keys(KeysPath(config));
  if (create_->parsed()) {
    std::optional<TimePoint> expires;
    if (!expires_.empty()) {
      auto t = auth::ParseExpiry(expires_, Now());
      if (!t.ok()) return Fail(t.status());
      expires = *t;
    }
    auto made = keys.Create(*auth::ParseRole(role_), name_, expires);  // CLI11 checked the role
    if (!made.ok()) return Fail(made.status());
    if (json_) {
      std::cout << nlohmann::json{{"id", made->record.id},
                                  {"name", made->record.name},
                                  {"role", auth::RoleName(made->record.role)},
                                  {"expires_at", expires ? nlohmann::json(FormatTime(*expires)) : nlohmann::json()},
                                  {"key", made->key}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << made->key << "\n";
      std::cerr << "key " << made->record.name << " (" << auth::RoleName(made->record.role)
                << "): shown once, keep it; send it as \"Authorization: Bearer KEY\"\n";
    }
    return 0;
  }
  if (list_->parsed()) {
    auto now = Now();
    nlohmann::json list = nlohmann::json::array();
    if (!json_) std::printf("%-10s %-24s %-7s %-8s %-25s %s\n", "ID", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES");
    for (const auto& k : keys.List()) {
      const char* state = k.revoked_at ? "revoked" : k.active(now) ? "active" : "expired";
      if (json_) {
        list.push_back({{"id", k.id},
                        {"name", k.name},
                        {"role", auth::RoleName(k.role)},
                        {"state", state},
                        {"created_at", FormatTime(k.created_at)},
                        {"expires_at", k.expires_at ? nlohmann::json(FormatTime(*k.expires_at)) : nlohmann::json()},
                        {"revoked_at", k.revoked_at ? nlohmann::json(FormatTime(*k.revoked_at)) : nlohmann::json()}});
      } else {
        std::printf("%-10s %-24s %-7s %-8s %-25s %s\n", k.id.c_str(), k.name.c_str(), auth::RoleName(k.role), state,
                    FormatTime(k.created_at).c_str(), When(k.expires_at).c_str());
      }
    }
    if (json_) std::cout << nlohmann::json{{"keys", list}}.dump(2) << "\n";
    return 0;
  }
  auto revoked = keys.Revoke(which_);
  if (!revoked.ok()) return Fail(revoked.status());
  std::printf("key %s (%s) revoked\n", revoked->name.c_str(), revoked->id.c_str());
  return 0;
}

}  // namespace lakehouse::cli
