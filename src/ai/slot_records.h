// The GPU slot's records as JSON: the state file
// (_catalog/profile_slot.json) and the reports the routes answer with.
// Fields added later read with defaults, so the file only grows.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "ai/profile_slot.h"

namespace lakehouse::ai {

nlohmann::json SwitchReportToJson(const SwitchReport& r);
nlohmann::json ReconciliationToJson(const Reconciliation& r);
nlohmann::json UnloadedModelToJson(const UnloadedModel& m);
nlohmann::json PreloadedModelToJson(const PreloadedModel& m);
nlohmann::json SlotStateToJson(const SlotState& s);
// InvalidArgument for a file that is not a slot state.
Result<SlotState> SlotStateFromJson(const nlohmann::json& j);

}  // namespace lakehouse::ai
