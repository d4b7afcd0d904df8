#include "server/profile_views.h"

#include "common/json_fields.h"

#include <cmath>

#include "ai/slot_records.h"
#include "vector/profile_scope.h"

namespace lakehouse::server {

namespace {

using nlohmann::json;

double Share(int64_t part, int64_t whole) { return whole > 0 ? std::round(1000.0 * part / whole) / 1000 : 0; }

// The stored times are the store's to set, never a request's.
Status NoStoredFields(const json& body) {
  for (const char* f : {"created_at", "updated_at"}) {
    if (body.contains(f)) return InvalidArgument(std::string("field '") + f + "' is set by the server");
  }
  return Status::Ok();
}

Status CheckBackend(const ai::ModelProfile& p) { return vector::ProfileBackend(p).status(); }

}  // namespace

Result<ai::ModelProfile> ParseNewProfile(const json& body) {
  LH_RETURN_IF_ERROR(NoStoredFields(body));
  if (!body.contains("id")) return InvalidArgument("field 'id' is required (the profile's name, e.g. \"docs\")");
  LH_ASSIGN_OR_RETURN(auto p, ai::ProfileFromJson(body));
  LH_RETURN_IF_ERROR(ai::ValidateProfile(p));
  LH_RETURN_IF_ERROR(CheckBackend(p));
  return p;
}

Result<ai::ModelProfile> PatchProfile(ai::ModelProfile p, const json& body,
                                      const std::vector<std::string>& indexes_under) {
  LH_RETURN_IF_ERROR(NoStoredFields(body));
  if (body.contains("id") && (!body["id"].is_string() || body["id"].get<std::string>() != p.id)) {
    return InvalidArgument("a profile's id cannot change; create a new profile instead");
  }
  // Read the patch as a whole profile over the stored one, so each field
  // is parsed and checked exactly as on create.
  json merged = ai::ProfileToJson(p);
  merged.erase("created_at");
  merged.erase("updated_at");
  for (const auto& [key, value] : body.items()) merged[key] = value;
  LH_ASSIGN_OR_RETURN(auto next, ai::ProfileFromJson(merged));
  bool embedder_changed = next.embedder.provider != p.embedder.provider || next.embedder.model != p.embedder.model ||
                          next.embedder.dimension != p.embedder.dimension;
  if (embedder_changed && !indexes_under.empty()) {
    std::string names;
    for (const auto& n : indexes_under) names += (names.empty() ? "" : ", ") + n;
    return Conflict("profile '" + p.id + "' has indexes embedded with its model (" + names +
                    "); a new embedder would leave them in another vector space. Create a new profile for it");
  }
  next.created_at = p.created_at;
  LH_RETURN_IF_ERROR(ai::ValidateProfile(next));
  LH_RETURN_IF_ERROR(CheckBackend(next));
  return next;
}

std::vector<std::string> IndexesUnder(app::Runtime& rt, const std::string& id) {
  std::vector<std::string> out;
  for (const auto& m : rt.indexes().List()) {
    if (m.profile == id) out.push_back(m.name);
  }
  return out;
}

json ProfileJson(const ai::ModelProfile& p, const std::optional<std::string>& active,
                 const std::vector<std::string>& indexes_under) {
  json j = ai::ProfileToJson(p);
  j["active"] = active == p.id;
  json models = json::array();
  for (const auto& m : ai::ModelsOf(p)) models.push_back({{"model", m.name}, {"kind", ai::ModelKindName(m.kind)}});
  j["models"] = models;
  j["indexes"] = indexes_under;
  return j;
}

json ActiveProfileJson(app::Runtime& rt) {
  ai::SlotState state = rt.slot().State();
  json j = {{"active", state.active ? json(*state.active) : json(nullptr)},
            {"since", state.active ? TimeJson(state.since) : json(nullptr)},
            {"last_switch", state.last_switch ? ai::SwitchReportToJson(*state.last_switch) : json(nullptr)},
            {"reconciled", state.reconciled ? ai::ReconciliationToJson(*state.reconciled) : json(nullptr)},
            {"last_error", state.last_error.empty() ? json(nullptr) : json(state.last_error)}};
  j["switching"] = state.switching ? json{{"from", state.switching->from ? json(*state.switching->from) : json(nullptr)},
                                          {"to", state.switching->to ? json(*state.switching->to) : json(nullptr)},
                                          {"phase", ai::SwitchPhaseName(state.switching->phase)},
                                          {"started_at", TimeJson(state.switching->started_at)}}
                                    : json(nullptr);
  j["profile"] = nullptr;
  j["models"] = json::array();
  if (!state.active) return j;
  auto profile = rt.profiles().Get(*state.active);
  if (!profile.ok()) {
    j["profile_error"] = profile.status().message();
    return j;
  }
  j["profile"] = ai::ProfileToJson(*profile);
  auto models = ai::ModelsOf(*profile);
  if (models.empty()) return j;
  // Ollama unloads what its keep_alive lets go, so "active" is not proof of
  // "resident": say which is which.
  auto loaded = rt.slot().server().Loaded();
  if (!loaded.ok()) j["model_server_error"] = loaded.status().message();
  for (const auto& m : models) {
    json entry = {{"model", m.name}, {"kind", ai::ModelKindName(m.kind)}, {"loaded", false}};
    if (loaded.ok()) {
      for (const auto& l : *loaded) {
        if (l.name != m.name) continue;
        entry["loaded"] = true;
        entry["size"] = l.size;
        entry["size_vram"] = l.size_vram;
        entry["gpu_share"] = Share(l.size_vram, l.size);
        entry["expires_at"] = l.expires_at;
      }
    } else {
      entry["loaded"] = nullptr;
    }
    j["models"].push_back(entry);
  }
  return j;
}

json VramJson(const ai::VramSnapshot& v) {
  json gpu = {{"present", v.gpu.present}};
  if (v.gpu.present) {
    json devices = json::array();
    for (const auto& d : v.gpu.devices) {
      devices.push_back({{"index", d.index}, {"used_mib", d.used_mib}, {"total_mib", d.total_mib}});
    }
    gpu["used_mib"] = v.gpu.used_mib();
    gpu["total_mib"] = v.gpu.total_mib();
    gpu["free_mib"] = v.gpu.total_mib() - v.gpu.used_mib();
    gpu["devices"] = devices;
  } else {
    gpu["why_absent"] = v.gpu.why_absent;
  }
  json models = json::array();
  int64_t on_gpu = 0;
  for (const auto& m : v.models) {
    on_gpu += m.size_vram;
    models.push_back({{"model", m.name},
                      {"size", m.size},
                      {"size_vram", m.size_vram},
                      {"gpu_share", Share(m.size_vram, m.size)},
                      {"cpu_share", m.size > 0 ? std::round(1000.0 - 1000.0 * m.size_vram / m.size) / 1000 : 0.0},
                      {"expires_at", m.expires_at}});
  }
  json server = {{"configured", v.server_configured}, {"reachable", v.server_reachable}};
  if (v.server_configured) server["url"] = v.server;
  if (!v.server_error.empty()) server["error"] = v.server_error;
  return {{"gpu", gpu},
          {"model_server", server},
          {"models", models},
          {"models_vram_bytes", on_gpu},
          {"active_profile", v.active ? json(*v.active) : json(nullptr)}};
}

}  // namespace lakehouse::server
