#include "ai/slot_records.h"

#include "common/json_fields.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace lakehouse::ai {

namespace {

using nlohmann::json;

json Opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
double Ms(double ms) { return std::round(ms * 10) / 10; }

std::optional<std::string> OptString(const json& j, const char* f) {
  if (!j.contains(f) || !j[f].is_string()) return std::nullopt;
  return j[f].get<std::string>();
}
TimePoint TimeOf(const json& j, const char* f) {
  if (!j.contains(f) || !j[f].is_string()) return {};
  auto t = ParseTime(j[f].get<std::string>());
  return t.ok() ? *t : TimePoint{};
}
double Num(const json& j, const char* f) { return j.contains(f) && j[f].is_number() ? j[f].get<double>() : 0; }
int64_t Int(const json& j, const char* f) {
  return j.contains(f) && j[f].is_number_integer() ? j[f].get<int64_t>() : 0;
}
std::optional<int64_t> OptInt(const json& j, const char* f) {
  if (!j.contains(f) || !j[f].is_number_integer()) return std::nullopt;
  return j[f].get<int64_t>();
}
// Every read checks the type: a hand-edited or damaged file must read as
// defaults, never throw.
bool Bool(const json& j, const char* f) { return j.contains(f) && j[f].is_boolean() && j[f].get<bool>(); }
const json& List(const json& j, const char* f) {
  static const json kEmpty = json::array();
  return j.contains(f) && j[f].is_array() ? j[f] : kEmpty;
}
SwitchPhase PhaseOf(const json& j) {
  return StringOr(j, "phase") == "preloading" ? SwitchPhase::kPreloading : SwitchPhase::kUnloading;
}
double Share(int64_t part, int64_t whole) { return whole > 0 ? std::round(1000.0 * part / whole) / 1000 : 0; }

SwitchReport ReportFromJson(const json& j) {
  SwitchReport r;
  r.from = OptString(j, "from");
  r.to = OptString(j, "to");
  for (const json& u : List(j, "unloaded")) {
    if (!u.is_object()) continue;
    r.unloaded.push_back({StringOr(u, "model"), Int(u, "size_vram"), Int(u, "freed_mib"), Num(u, "verify_ms")});
  }
  for (const json& k : List(j, "kept")) {
    if (k.is_string()) r.kept.push_back(k);
  }
  for (const json& p : List(j, "preloaded")) {
    if (!p.is_object()) continue;
    PreloadedModel m;
    m.name = StringOr(p, "model");
    m.kind = StringOr(p, "kind") == "llm" ? ModelKind::kLlm : ModelKind::kEmbedding;
    m.load_ms = Num(p, "load_ms");
    m.size = Int(p, "size");
    m.size_vram = Int(p, "size_vram");
    m.already_loaded = Bool(p, "already_loaded");
    r.preloaded.push_back(m);
  }
  for (const json& w : List(j, "warnings")) {
    if (w.is_string()) r.warnings.push_back(w);
  }
  r.total_ms = Num(j, "total_ms");
  r.unload_ms = Num(j, "unload_ms");
  r.preload_ms = Num(j, "preload_ms");
  r.gpu_used_before_mib = OptInt(j, "gpu_used_before_mib");
  r.gpu_used_after_mib = OptInt(j, "gpu_used_after_mib");
  r.at = TimeOf(j, "at");
  return r;
}

}  // namespace

json UnloadedModelToJson(const UnloadedModel& m) {
  return {{"model", m.name}, {"size_vram", m.size_vram}, {"freed_mib", m.freed_mib}, {"verify_ms", Ms(m.verify_ms)}};
}

json PreloadedModelToJson(const PreloadedModel& m) {
  return {{"model", m.name},           {"kind", ModelKindName(m.kind)}, {"load_ms", Ms(m.load_ms)},
          {"size", m.size},            {"size_vram", m.size_vram},      {"gpu_share", Share(m.size_vram, m.size)},
          {"already_loaded", m.already_loaded}};
}

json SwitchReportToJson(const SwitchReport& r) {
  json unloaded = json::array(), preloaded = json::array();
  for (const auto& u : r.unloaded) unloaded.push_back(UnloadedModelToJson(u));
  for (const auto& p : r.preloaded) preloaded.push_back(PreloadedModelToJson(p));
  auto opt_int = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
  return {{"from", Opt(r.from)},
          {"to", Opt(r.to)},
          {"unloaded", unloaded},
          {"kept", r.kept},
          {"preloaded", preloaded},
          {"warnings", r.warnings},
          {"total_ms", Ms(r.total_ms)},
          {"unload_ms", Ms(r.unload_ms)},
          {"preload_ms", Ms(r.preload_ms)},
          {"gpu_used_before_mib", opt_int(r.gpu_used_before_mib)},
          {"gpu_used_after_mib", opt_int(r.gpu_used_after_mib)},
          {"at", TimeJson(r.at)}};
}

json ReconciliationToJson(const Reconciliation& r) {
  return {{"at", TimeJson(r.at)},
          {"from", Opt(r.from)},
          {"to", Opt(r.to)},
          {"phase", SwitchPhaseName(r.phase)},
          {"active", Opt(r.active)},
          {"outcome", r.outcome}};
}

namespace {

json ModelsJson(const std::optional<std::vector<ProfileModel>>& models) {
  if (!models) return nullptr;
  json out = json::array();
  for (const auto& m : *models) out.push_back({{"model", m.name}, {"kind", ModelKindName(m.kind)}});
  return out;
}

}  // namespace

json SlotStateToJson(const SlotState& s) {
  json switching = nullptr;
  if (s.switching) {
    switching = {{"from", Opt(s.switching->from)},
                 {"to", Opt(s.switching->to)},
                 {"phase", SwitchPhaseName(s.switching->phase)},
                 {"started_at", TimeJson(s.switching->started_at)}};
  }
  return {{"active", Opt(s.active)},
          {"since", TimeJson(s.since)},
          {"switching", switching},
          {"last_switch", s.last_switch ? SwitchReportToJson(*s.last_switch) : json(nullptr)},
          {"reconciled", s.reconciled ? ReconciliationToJson(*s.reconciled) : json(nullptr)},
          {"last_error", s.last_error},
          {"active_models", ModelsJson(s.active_models)}};
}

Result<SlotState> SlotStateFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("not a JSON object");
  SlotState s;
  s.active = OptString(j, "active");
  s.since = TimeOf(j, "since");
  if (j.contains("switching") && j["switching"].is_object()) {
    const json& w = j["switching"];
    s.switching = SlotState::Switching{OptString(w, "from"), OptString(w, "to"), PhaseOf(w), TimeOf(w, "started_at")};
  }
  if (j.contains("last_switch") && j["last_switch"].is_object()) s.last_switch = ReportFromJson(j["last_switch"]);
  if (j.contains("reconciled") && j["reconciled"].is_object()) {
    const json& r = j["reconciled"];
    s.reconciled = Reconciliation{TimeOf(r, "at"), OptString(r, "from"), OptString(r, "to"), PhaseOf(r),
                                  OptString(r, "active"), StringOr(r, "outcome")};
  }
  if (j.contains("last_error") && j["last_error"].is_string()) s.last_error = j["last_error"];
  if (j.contains("active_models") && j["active_models"].is_array()) {
    s.active_models.emplace();
    for (const json& m : j["active_models"]) {
      if (!m.is_object() || StringOr(m, "model").empty()) continue;
      s.active_models->push_back({StringOr(m, "model"), StringOr(m, "kind") == "llm" ? ModelKind::kLlm : ModelKind::kEmbedding});
    }
  }
  return s;
}

}  // namespace lakehouse::ai
