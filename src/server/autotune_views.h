// The JSON of autotune runs, trial journals and promotions, shared by the
// HTTP routes and the CLI's --json output.
#pragma once

#include <nlohmann/json.hpp>

#include "vector/autotune/agent.h"
#include "vector/autotune/service.h"
#include "vector/autotune/trial_journal.h"
#include "vector/index_manifest.h"

namespace lakehouse::server {

// GET /vectors/indexes/{name}/autotune: the last run and what runs now.
nlohmann::json AutotuneJson(const vector::IndexManifest& m, const vector::autotune::AutotuneService::State& state);
nlohmann::json AutotuneProgressJson(const vector::autotune::AutotuneProgress& p);
// A run's outcome as POST .../autotune with "wait" answers it.
nlohmann::json AutotuneOutcomeJson(const vector::autotune::AutotuneOutcome& o);
// GET .../trials: newest last; `run` keeps one run's entries, `limit` the last ones.
nlohmann::json TrialsJson(const std::string& index, const vector::autotune::JournalContents& contents,
                          const std::string& run, size_t limit);
// GET /vectors/agent/status.
nlohmann::json AgentStatusJson(const vector::autotune::AgentStatus& s);
// One index's entry in GET /vectors/promotions.
nlohmann::json PromotionsJson(const vector::IndexManifest& m);

}  // namespace lakehouse::server
