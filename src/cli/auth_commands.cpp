#include "cli/auth_commands.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/audit_log.h"
#include "auth/key_store.h"
#include "cli/output.h"
#include "server/audit_views.h"

namespace lakehouse::cli {

namespace {

// The key file sits in the primary bucket; no runtime is needed to reach it.
std::filesystem::path KeysPath(const Config& config) { return config.data_dir / "_catalog" / "auth" / "keys.json"; }

std::string When(const std::optional<TimePoint>& t) { return t ? FormatTime(*t) : "-"; }

// Permission changes made here are audited like the server's.
void AuditCli(const Config& config, const std::string& command, const std::string& target) {
  auth::AuditEntry e;
  e.at = Now();
  e.actor = "cli";
  e.method = command;
  e.route = "lakehouse " + command;
  e.target = target;
  if (Status s = auth::AuditLog(config.data_dir / "_audit", auth::AuditOptionsFrom(config)).Append(e); !s.ok()) {
    std::cerr << "warning: audit log: " << s.message() << "\n";
  }
}

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
  create_->add_option("--grant", grants_, "pii: PII and restricted columns as stored (in SQL, exports, search and doc "
                                         "fetch); without it they are masked (j***@example.org)")
      ->check(CLI::IsMember({"pii"}));
  create_->add_option("--expires", expires_, "When it stops working: 30d, 12h, 90m or a time (2027-01-31T00:00:00Z)");
  create_->add_flag("--json", json_, "Print as JSON");
  list_ = key->add_subcommand("list", "List keys (never the keys themselves)");
  list_->add_flag("--json", json_, "Print as JSON");
  revoke_ = key->add_subcommand("revoke", "Stop a key from working, at once");
  revoke_->add_option("key", which_, "Its id or name")->required();
  audit_ = auth->add_subcommand("audit", "Show the audit log: every write, delete, move, permission change, refused "
                                         "request and PII read, with the key's name");
  audit_->add_option("--since", since_, "Only entries from this time (2026-12-03T10:00:00Z)");
  audit_->add_option("--actor", actor_, "Only this key name (or cli)");
  audit_->add_option("--route", route_, "Only routes starting with this (/catalog)");
  audit_->add_option("--outcome", outcome_, "ok, refused or failed")->check(CLI::IsMember({"ok", "refused", "failed"}));
  audit_->add_option("--limit", limit_, "The newest N (default 100)")->check(CLI::Range(1, 10000));
  audit_->add_flag("--json", json_, "Print as JSON (as GET /admin/audit answers)");
}

int AuthCommands::Run(const Config& config) const {
  if (!create_->parsed() && !list_->parsed() && !revoke_->parsed() && !audit_->parsed()) return -1;
  if (audit_->parsed()) {
    std::map<std::string, std::string> params{{"limit", std::to_string(limit_)}};
    if (!since_.empty()) params["since"] = since_;
    if (!actor_.empty()) params["actor"] = actor_;
    if (!route_.empty()) params["route"] = route_;
    if (!outcome_.empty()) params["outcome"] = outcome_;
    auto filter = server::ParseAuditFilter(params);
    if (!filter.ok()) return Fail(filter.status());
    auto page = auth::AuditLog(config.data_dir / "_audit").Read(*filter);
    if (!page.ok()) return Fail(page.status());
    if (json_) {
      std::cout << server::AuditPageJson(*page).dump(2) << "\n";
      return 0;
    }
    std::printf("%-24s %-16s %-7s %-6s %-40s %-16s %-4s %s\n", "AT", "ACTOR", "ROLE", "METHOD", "ROUTE", "TARGET", "HTTP",
                "OUTCOME");
    for (const auto& e : page->entries) {
      std::printf("%-24s %-16s %-7s %-6s %-40s %-16s %-4d %s%s%s\n", FormatTime(e.at).c_str(), e.actor.c_str(),
                  e.role.c_str(), e.method.c_str(), e.route.c_str(), e.target.c_str(), e.status,
                  auth::AuditOutcomeName(e.outcome), e.detail.empty() ? "" : ": ", e.detail.c_str());
    }
    if (page->damaged_lines) std::printf("note: %zu damaged lines skipped\n", page->damaged_lines);
    return 0;
  }
  auth::KeyStore keys(KeysPath(config));
  if (create_->parsed()) {
    std::optional<TimePoint> expires;
    if (!expires_.empty()) {
      auto t = auth::ParseExpiry(expires_, Now());
      if (!t.ok()) return Fail(t.status());
      expires = *t;
    }
    bool pii = std::find(grants_.begin(), grants_.end(), "pii") != grants_.end();
    auto made = keys.Create(*auth::ParseRole(role_), name_, expires, pii);  // CLI11 checked the role
    if (!made.ok()) return Fail(made.status());
    AuditCli(config, "auth key create --role " + role_ + (pii ? " --grant pii" : ""), made->record.name);
    if (json_) {
      std::cout << nlohmann::json{{"id", made->record.id},
                                  {"name", made->record.name},
                                  {"role", auth::RoleName(made->record.role)},
                                  {"grants", auth::GrantNames(made->record)},
                                  {"expires_at", expires ? nlohmann::json(FormatTime(*expires)) : nlohmann::json()},
                                  {"key", made->key}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << made->key << "\n";
      std::cerr << "key " << made->record.name << " (" << auth::RoleName(made->record.role)
                << (made->record.pii ? ", pii" : "") << "): shown once, keep it; send it as \"Authorization: Bearer KEY\"\n";
    }
    return 0;
  }
  if (list_->parsed()) {
    auto now = Now();
    nlohmann::json list = nlohmann::json::array();
    if (!json_) {
      std::printf("%-10s %-24s %-7s %-6s %-8s %-25s %s\n", "ID", "NAME", "ROLE", "GRANTS", "STATE", "CREATED", "EXPIRES");
    }
    auto all = keys.List();
    if (!all.ok()) return Fail(all.status());
    for (const auto& k : *all) {
      const char* state = k.revoked_at ? "revoked" : k.active(now) ? "active" : "expired";
      if (json_) {
        list.push_back({{"id", k.id},
                        {"name", k.name},
                        {"role", auth::RoleName(k.role)},
                        {"grants", auth::GrantNames(k)},
                        {"state", state},
                        {"created_at", FormatTime(k.created_at)},
                        {"expires_at", k.expires_at ? nlohmann::json(FormatTime(*k.expires_at)) : nlohmann::json()},
                        {"revoked_at", k.revoked_at ? nlohmann::json(FormatTime(*k.revoked_at)) : nlohmann::json()}});
      } else {
        std::printf("%-10s %-24s %-7s %-6s %-8s %-25s %s\n", k.id.c_str(), k.name.c_str(), auth::RoleName(k.role),
                    k.pii ? "pii" : "-", state,
                    FormatTime(k.created_at).c_str(), When(k.expires_at).c_str());
      }
    }
    if (json_) std::cout << nlohmann::json{{"keys", list}}.dump(2) << "\n";
    return 0;
  }
  auto revoked = keys.Revoke(which_);
  if (!revoked.ok()) return Fail(revoked.status());
  AuditCli(config, "auth key revoke", revoked->name);
  std::printf("key %s (%s) revoked\n", revoked->name.c_str(), revoked->id.c_str());
  return 0;
}

}  // namespace lakehouse::cli
