// One autotune run of an index, as POST .../autotune and `lakehouse index
// autotune` start it: the served generation's vectors built into few
// candidates, each measured against the target, every build in the trial
// journal, the frontier and champion kept with the index, and the champion
// promoted when asked.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vector/autotune/explore.h"
#include "vector/searcher.h"

namespace lakehouse::vector::autotune {

struct AutotuneRequest {
  TuneTarget target;
  size_t max_builds = 0;      // 0: a quarter of the grid (DefaultMaxBuilds)
  double max_minutes = 30;
  std::vector<BackendKind> backends;  // empty: every backend
  size_t queries = 200;       // recall target without a set: chunks sampled as queries
  uint64_t seed = 1;          // which chunks
  SearchMode mode = SearchMode::kHybrid;  // ndcg target: the searches scored
  bool promote = false;       // promote the champion when one is found
  Actor by = Actor::kUser;
  int threads = 0;            // builds; 0: one per core
};
// The request's own limits, in the user's words.
Status ValidateAutotuneRequest(const AutotuneRequest& request);

enum class AutotunePhase { kPreparing, kBuilding, kTuningWeight, kPromoting, kDone };
const char* AutotunePhaseName(AutotunePhase phase);

struct AutotuneProgress {
  AutotunePhase phase = AutotunePhase::kPreparing;
  std::string run;
  size_t builds = 0, max_builds = 0;
  std::optional<BackendSpec> building;  // the build under way
  std::optional<TunePoint> best;        // the champion so far
};
using AutotuneProgressFn = std::function<void(const AutotuneProgress&)>;

struct AutotuneOutcome {
  AutotuneSummary summary;
  std::optional<IndexManifest> promoted;  // the manifest after promotion (pending_backend: still building)
  std::string promote_error;  // asked to promote, and why it could not (the run itself is kept)
  size_t interrupted = 0;  // builds of earlier runs found cut off, now marked so
};

Result<AutotuneOutcome> RunAutotune(Searcher& searcher, IndexRegistry& indexes, const std::string& index,
                                    const AutotuneRequest& request, const AutotuneProgressFn& progress = {},
                                    const std::atomic<bool>* cancel = nullptr);

// At a server's start: every index's builds that a stop or kill -9 cut
// off are marked interrupted in its journal. Returns how many.
size_t MarkInterruptedTrials(IndexRegistry& indexes);

// Promotes the index's last autotune champion (or `point`) through the
// registry; the caller builds the shadow generation if one is due. `run`:
// the trial that measured `point` (the agent's), recorded with it.
Result<IndexManifest> PromoteChampion(IndexRegistry& indexes, const std::string& index,
                                      const std::optional<TunePoint>& point, Actor by, const std::string& reason,
                                      const std::string& run = "");

}  // namespace lakehouse::vector::autotune
