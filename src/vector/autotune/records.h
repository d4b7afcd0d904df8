// What autotune measures and decides, as the index manifest keeps it (the
// last run, the promotions) and the trial journal records it. Types and
// their JSON only: the exploration lives in explore.h, the runs in run.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "vector/backend.h"

namespace lakehouse::vector {

// recall: recall@k of the vector list against an exact scan; ndcg: nDCG@10
// on the labelled queries of an eval set (searches as users make them).
enum class TuneMetric { kRecall, kNdcg };
const char* TuneMetricName(TuneMetric metric);  // "recall" | "ndcg"
std::optional<TuneMetric> ParseTuneMetric(std::string_view name);

struct TuneTarget {
  TuneMetric metric = TuneMetric::kRecall;
  double value = 0.95;
  int k = 10;
  std::string set;  // the eval set (ndcg; recall: its queries instead of sampled chunks)
};

// One configuration as measured: quality (the target's metric), search
// latency on one thread (embedding excluded), memory and build time.
struct TuneMetrics {
  double quality = 0;
  double p50_ms = 0, p95_ms = 0;
  double bytes_per_vector = 0;
  double build_s = 0;
};

struct TunePoint {
  BackendSpec spec;  // kind resolved; build and query knobs
  TuneMetrics metrics;
};

// Why an exploration stopped.
enum class TuneStop { kConverged, kBuildBudget, kTimeBudget, kCancelled };
const char* TuneStopName(TuneStop stop);  // converged | build_budget | time_budget | cancelled

// The last autotune run of an index, kept in its manifest.
struct AutotuneSummary {
  std::string run;  // its id in the trial journal
  TimePoint at{};
  TuneTarget target;
  int generation = 0;   // whose vectors were measured
  size_t vectors = 0;
  std::vector<BackendKind> backends;
  size_t builds = 0, max_builds = 0, grid_builds = 0;
  double seconds = 0;
  TuneStop stopped = TuneStop::kConverged;
  std::optional<TunePoint> champion;  // the fastest that meets the target
  std::vector<TunePoint> frontier;    // Pareto-optimal points, by quality ascending
  std::optional<double> text_weight;  // tuned on the set (ndcg target in hybrid mode)
};

enum class PromotionKind { kPromote, kRollback };
const char* PromotionKindName(PromotionKind kind);  // promote | rollback
enum class Actor { kUser, kAgent };
const char* ActorName(Actor actor);  // user | agent

// One change of an index's served configuration by promotion or rollback.
struct PromotionRecord {
  TimePoint at{};
  PromotionKind kind = PromotionKind::kPromote;
  Actor by = Actor::kUser;
  BackendSpec from, to;  // `from` is the champion a rollback restores
  std::string run;       // the autotune run it came from, if any
  std::string reason;
  std::optional<double> quality;      // the promoted configuration's, as measured
  std::optional<double> text_weight;  // set with it
  bool rolled_back = false;           // a later rollback undid it
};
// Promotions kept per index, newest last.
inline constexpr size_t kMaxPromotionHistory = 20;

nlohmann::json TunePointToJson(const TunePoint& p);
nlohmann::json AutotuneSummaryToJson(const AutotuneSummary& s);
nlohmann::json PromotionToJson(const PromotionRecord& p);
// Throw nlohmann::json::exception or std::invalid_argument for bad fields
// (the manifest reader reports them as a damaged file).
TunePoint TunePointFromJson(const nlohmann::json& j);
AutotuneSummary AutotuneSummaryFromJson(const nlohmann::json& j);
PromotionRecord PromotionFromJson(const nlohmann::json& j);

// {"kind": "hnsw", "options": {...}}; the reader validates the options.
nlohmann::json BackendSpecToJson(const BackendSpec& spec);
BackendSpec BackendSpecFromJson(const nlohmann::json& j);

}  // namespace lakehouse::vector
