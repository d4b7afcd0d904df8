#include "cli/profile_commands.h"

#include <cstdio>
#include <iostream>

#include "ai/slot_records.h"
#include "app/runtime.h"
#include "cli/index_commands.h"
#include "cli/output.h"
#include "server/profile_views.h"

namespace lakehouse::cli {

namespace {

using nlohmann::json;

void PrintSwitch(const ai::SwitchReport& r) {
  auto name = [](const std::optional<std::string>& id) { return id ? *id : std::string("(none)"); };
  std::printf("GPU slot: %s -> %s in %.0f ms (unloading %.0f ms, loading %.0f ms)\n", name(r.from).c_str(),
              name(r.to).c_str(), r.total_ms, r.unload_ms, r.preload_ms);
  for (const auto& u : r.unloaded) {
    std::printf("  unloaded %-32s %6lld MiB freed on the GPU, gone after %.0f ms\n", u.name.c_str(),
                static_cast<long long>(u.freed_mib), u.verify_ms);
  }
  for (const auto& k : r.kept) std::printf("  kept     %s (both profiles use it)\n", k.c_str());
  for (const auto& p : r.preloaded) {
    std::printf("  loaded   %-32s %-9s %.0f ms%s\n", p.name.c_str(), ai::ModelKindName(p.kind), p.load_ms,
                p.already_loaded ? " (was loaded)" : "");
  }
  for (const auto& w : r.warnings) std::printf("  warning: %s\n", w.c_str());
}

void PrintProfile(const json& p) {
  std::string llm = p["llm"].is_object() ? p["llm"]["model"].get<std::string>() : "-";
  std::string bucket = p["bucket"].is_string() ? p["bucket"].get<std::string>() : "-";
  std::printf("%-20s %-6s %-14s %-26s %-20s %-8s %s\n", p["id"].get<std::string>().c_str(),
              p["active"].get<bool>() ? "yes" : "", p["embedder"]["provider"].get<std::string>().c_str(),
              p["embedder"]["model"].get<std::string>().c_str(), llm.c_str(),
              p["backend"]["kind"].get<std::string>().c_str(), bucket.c_str());
}

}  // namespace

ProfileCommands::ProfileCommands(CLI::App& app) {
  CLI::App* profile = app.add_subcommand("profile", "Model profiles: which models a kind of work uses, and which "
                                                    "profile holds the GPU (one at a time)");
  profile->require_subcommand(1);
  create_ = profile->add_subcommand("create", "Create a model profile (stored in _catalog/profiles)");
  create_->add_option("id", id_, "Profile id")->required();
  create_->add_option("--description", description_, "What the profile is for");
  create_->add_option("--embedder", embedder_, "Embedding provider: use-lite+hash (default), use-lite, hash, ollama, openai")
      ->check(CLI::IsMember({"use-lite+hash", "use-lite", "hash", "ollama", "openai"}));
  create_->add_option("--embedder-model", embedder_model_, "Embedding model (required for ollama and openai)");
  create_->add_option("--embedder-url", embedder_url_, "The embedding server, when not the configured one");
  create_->add_option("--dimension", dimension_, "hash only: vector dimension")->check(CLI::Range(8, 8192));
  create_->add_option("--llm-model", llm_model_, "Ollama LLM for generated text (schema migration rules)");
  create_->add_option("--backend", backend_, "Default vector backend of its indexes: auto, flat, hnsw, ivf_pq")
      ->check(CLI::IsMember({"auto", "flat", "hnsw", "ivf_pq"}));
  create_->add_option("--option", options_, "A backend setting KEY=VALUE, repeatable");
  create_->add_option("--bucket", bucket_, "Bucket for its indexes (made under [storage] profile_root when missing)");
  create_->add_option("--vram-budget-mib", vram_budget_mib_, "What its models may take on the GPU together")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  create_->add_flag("--json", json_, "Print as JSON");
  list_ = profile->add_subcommand("list", "List the profiles and which one holds the GPU slot");
  list_->add_flag("--json", json_, "Print as JSON (as GET /vectors/profiles answers)");
  show_ = profile->add_subcommand("show", "Show a profile, or with no id the GPU slot and what is loaded");
  show_->add_option("id", id_, "Profile id");
  show_->add_flag("--json", json_, "Print as JSON");
  activate_ = profile->add_subcommand("activate", "Give the GPU to a profile: unload the previous profile's models "
                                                  "it does not use (verified), then load its models");
  activate_->add_option("id", id_, "Profile id")->required();
  activate_->add_flag("--json", json_, "Print as JSON");
  deactivate_ = profile->add_subcommand("deactivate", "Unload the active profile's models (verified) and empty the slot");
  deactivate_->add_option("id", id_, "Profile id (must be the active one)");
  deactivate_->add_flag("--json", json_, "Print as JSON");
  drop_ = profile->add_subcommand("drop", "Delete a profile (not while active or while indexes use it)");
  drop_->add_option("id", id_, "Profile id")->required();
}

int ProfileCommands::Run(const Config& config) const {
  if (!create_->parsed() && !list_->parsed() && !show_->parsed() && !activate_->parsed() && !deactivate_->parsed() &&
      !drop_->parsed()) {
    return -1;
  }
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto& rt = **runtime;
  if (create_->parsed()) {
    json body = {{"id", id_}, {"description", description_}, {"embedder", {{"provider", embedder_}}}};
    if (!embedder_model_.empty()) body["embedder"]["model"] = embedder_model_;
    if (!embedder_url_.empty()) body["embedder"]["url"] = embedder_url_;
    if (dimension_ > 0) body["embedder"]["dimension"] = dimension_;
    if (!llm_model_.empty()) body["llm"] = {{"provider", "ollama"}, {"model", llm_model_}};
    auto options = ParseOptionFlags(options_);
    if (!options.ok()) return Fail(options.status());
    body["backend"] = {{"kind", backend_}, {"options", *options}};
    if (!bucket_.empty()) body["bucket"] = bucket_;
    if (vram_budget_mib_ > 0) body["vram_budget_mib"] = vram_budget_mib_;
    auto parsed = server::ParseNewProfile(body);
    if (!parsed.ok()) return Fail(parsed.status());
    auto made = rt.profiles().Create(*parsed);
    if (!made.ok()) return Fail(made.status());
    if (json_) {
      std::cout << server::ProfileJson(*made, rt.slot().State().active, {}).dump(2) << "\n";
    } else {
      std::printf("profile %s created; `lakehouse profile activate %s` gives it the GPU\n", made->id.c_str(),
                  made->id.c_str());
    }
    return 0;
  }
  if (list_->parsed()) {
    auto active = rt.slot().State().active;
    json list = json::array();
    for (const auto& p : rt.profiles().List()) list.push_back(server::ProfileJson(p, active, server::IndexesUnder(rt, p.id)));
    if (json_) {
      std::cout << json{{"profiles", list}, {"active", active ? json(*active) : json(nullptr)}}.dump(2) << "\n";
      return 0;
    }
    std::printf("%-20s %-6s %-14s %-26s %-20s %-8s %s\n", "ID", "ACTIVE", "EMBEDDER", "MODEL", "LLM", "BACKEND", "BUCKET");
    for (const auto& p : list) PrintProfile(p);
    return 0;
  }
  if (show_->parsed()) {
    json doc;
    if (id_.empty()) {
      doc = server::ActiveProfileJson(rt);
      doc["vram"] = server::VramJson(rt.slot().Vram());
    } else {
      auto p = rt.profiles().Get(id_);
      if (!p.ok()) return Fail(p.status());
      doc = server::ProfileJson(*p, rt.slot().State().active, server::IndexesUnder(rt, id_));
    }
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  if (activate_->parsed() || deactivate_->parsed()) {
    std::optional<std::string> expected;
    if (!id_.empty()) expected = id_;
    auto report = activate_->parsed() ? rt.slot().Activate(id_) : rt.slot().Deactivate(expected);
    if (!report.ok()) return Fail(report.status());
    if (json_) {
      std::cout << ai::SwitchReportToJson(*report).dump(2) << "\n";
    } else {
      PrintSwitch(*report);
    }
    return 0;
  }
  Status dropped = rt.DropProfile(id_);
  if (!dropped.ok()) return Fail(dropped);
  std::printf("profile %s dropped\n", id_.c_str());
  return 0;
}

}  // namespace lakehouse::cli
