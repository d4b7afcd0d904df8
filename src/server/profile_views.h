// Model profiles at the edge: request bodies into profiles, and the JSON of
// profiles, the GPU slot and VRAM. Shared by the HTTP routes and the CLI.
#pragma once

#include <nlohmann/json.hpp>

#include "ai/profile_slot.h"
#include "ai/profiles.h"
#include "app/runtime.h"

namespace lakehouse::server {

// POST /vectors/profiles: every field checked, the backend by the vector
// layer, unknown fields refused.
Result<ai::ModelProfile> ParseNewProfile(const nlohmann::json& body);
// PATCH /vectors/profiles/{id}: the fields given replace the stored ones
// (null clears llm, bucket, vram_budget_mib). The embedder cannot change
// while indexes were created under the profile (Conflict naming them).
Result<ai::ModelProfile> PatchProfile(ai::ModelProfile profile, const nlohmann::json& body,
                                      const std::vector<std::string>& indexes_under);

// Index names created under `id`.
std::vector<std::string> IndexesUnder(app::Runtime& rt, const std::string& id);

nlohmann::json ProfileJson(const ai::ModelProfile& p, const std::optional<std::string>& active,
                           const std::vector<std::string>& indexes_under);
// GET /vectors/profile/active: the slot and, per model of the active
// profile, whether the model server has it loaded now.
nlohmann::json ActiveProfileJson(app::Runtime& rt);
// GET /admin/vram.
nlohmann::json VramJson(const ai::VramSnapshot& v);

}  // namespace lakehouse::server
