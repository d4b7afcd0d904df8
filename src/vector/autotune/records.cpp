#include "vector/autotune/records.h"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace lakehouse::vector {

using nlohmann::json;

namespace {

constexpr const char* kMetrics[] = {"recall", "ndcg"};
constexpr const char* kStops[] = {"converged", "build_budget", "time_budget", "cancelled"};
constexpr const char* kKinds[] = {"promote", "rollback"};
constexpr const char* kActors[] = {"user", "agent"};

template <typename Enum, size_t N>
Enum EnumField(const json& j, const char* key, const char* const (&names)[N], Enum fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return fallback;
  for (size_t i = 0; i < N; ++i) {
    if (*it == names[i]) return static_cast<Enum>(i);
  }
  throw std::invalid_argument(std::string(key) + " '" + it->get<std::string>() + "' is unknown");
}

TimePoint TimeOf(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return {};
  auto t = ParseTime(j[key].get<std::string>());
  return t.ok() ? *t : TimePoint{};
}
json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::optional<double> OptionalOf(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? std::optional<double>(j[key].get<double>()) : std::nullopt;
}

}  // namespace

const char* TuneMetricName(TuneMetric metric) { return kMetrics[static_cast<int>(metric)]; }
std::optional<TuneMetric> ParseTuneMetric(std::string_view name) {
  for (int i = 0; i < 2; ++i) {
    if (name == kMetrics[i]) return static_cast<TuneMetric>(i);
  }
  return std::nullopt;
}
const char* TuneStopName(TuneStop stop) { return kStops[static_cast<int>(stop)]; }
const char* PromotionKindName(PromotionKind kind) { return kKinds[static_cast<int>(kind)]; }
const char* ActorName(Actor actor) { return kActors[static_cast<int>(actor)]; }

json BackendSpecToJson(const BackendSpec& spec) {
  json options = json::object();
  for (const auto& [key, value] : spec.options) options[key] = value;
  return {{"kind", BackendKindName(spec.kind)}, {"options", options}};
}

BackendSpec BackendSpecFromJson(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("backend must be an object {kind, options}");
  BackendSpec spec;
  auto kind = ParseBackendKind(j.value("kind", "auto"));
  if (!kind.ok()) throw std::invalid_argument(kind.status().message());
  spec.kind = *kind;
  if (j.contains("options") && j["options"].is_object()) {
    for (const auto& [key, value] : j["options"].items()) spec.options[key] = JsonInteger<int64_t>(value, key.c_str());
  }
  if (Status s = ValidateBackendOptions(spec); !s.ok()) throw std::invalid_argument(s.message());
  return spec;
}

json TunePointToJson(const TunePoint& p) {
  const TuneMetrics& m = p.metrics;
  // Digits past what one run can tell apart are noise.
  // Dividing by the scale lands on the double nearest the rounded decimal.
  auto round = [](double v, double scale) { return std::round(v * scale) / scale; };
  return {{"backend", BackendSpecToJson(p.spec)},
          {"quality", round(m.quality, 1e4)},
          {"p50_ms", round(m.p50_ms, 1e4)},
          {"p95_ms", round(m.p95_ms, 1e4)},
          {"bytes_per_vector", round(m.bytes_per_vector, 1)},
          {"build_s", round(m.build_s, 1e3)}};
}

TunePoint TunePointFromJson(const json& j) {
  TunePoint p;
  p.spec = BackendSpecFromJson(j.at("backend"));
  p.metrics.quality = j.value("quality", 0.0);
  p.metrics.p50_ms = j.value("p50_ms", 0.0);
  p.metrics.p95_ms = j.value("p95_ms", 0.0);
  p.metrics.bytes_per_vector = j.value("bytes_per_vector", 0.0);
  p.metrics.build_s = j.value("build_s", 0.0);
  return p;
}

json AutotuneSummaryToJson(const AutotuneSummary& s) {
  json backends = json::array();
  for (BackendKind k : s.backends) backends.push_back(BackendKindName(k));
  json frontier = json::array();
  for (const auto& p : s.frontier) frontier.push_back(TunePointToJson(p));
  return {{"run", s.run},
          {"at", TimeJson(s.at)},
          {"target",
           {{"metric", TuneMetricName(s.target.metric)},
            {"value", s.target.value},
            {"k", s.target.k},
            {"set", s.target.set.empty() ? json(nullptr) : json(s.target.set)}}},
          {"generation", s.generation},
          {"vectors", s.vectors},
          {"backends", backends},
          {"builds", s.builds},
          {"max_builds", s.max_builds},
          {"grid_builds", s.grid_builds},
          {"seconds", s.seconds},
          {"stopped", TuneStopName(s.stopped)},
          {"champion", s.champion ? TunePointToJson(*s.champion) : json(nullptr)},
          {"frontier", frontier},
          {"text_weight", Optional(s.text_weight)}};
}

AutotuneSummary AutotuneSummaryFromJson(const json& j) {
  AutotuneSummary s;
  s.run = j.value("run", "");
  s.at = TimeOf(j, "at");
  if (j.contains("target") && j["target"].is_object()) {
    const json& t = j["target"];
    s.target.metric = EnumField(t, "metric", kMetrics, TuneMetric::kRecall);
    s.target.value = t.value("value", 0.95);
    s.target.k = IntField(t, "k", 10);
    if (t.contains("set") && t["set"].is_string()) s.target.set = t["set"].get<std::string>();
    if (!(s.target.value > 0 && s.target.value <= 1) || s.target.k < 1 || s.target.k > 100 ||
        (s.target.metric == TuneMetric::kNdcg && s.target.set.empty())) {
      throw std::invalid_argument("the autotune target is out of range");
    }
  }
  s.generation = IntField(j, "generation", 0);
  s.vectors = IntField<size_t>(j, "vectors", 0);
  if (j.contains("backends") && j["backends"].is_array()) {
    for (const auto& b : j["backends"]) {
      auto kind = ParseBackendKind(b.get<std::string>());
      if (!kind.ok() || *kind == BackendKind::kAuto) throw std::invalid_argument("unknown backend in the autotune summary");
      s.backends.push_back(*kind);
    }
  }
  s.builds = IntField<size_t>(j, "builds", 0);
  s.max_builds = IntField<size_t>(j, "max_builds", 0);
  s.grid_builds = IntField<size_t>(j, "grid_builds", 0);
  s.seconds = j.value("seconds", 0.0);
  s.stopped = EnumField(j, "stopped", kStops, TuneStop::kConverged);
  if (j.contains("champion") && j["champion"].is_object()) s.champion = TunePointFromJson(j["champion"]);
  if (j.contains("frontier") && j["frontier"].is_array()) {
    for (const auto& p : j["frontier"]) s.frontier.push_back(TunePointFromJson(p));
  }
  s.text_weight = OptionalOf(j, "text_weight");
  return s;
}

json PromotionToJson(const PromotionRecord& p) {
  return {{"at", TimeJson(p.at)},
          {"kind", PromotionKindName(p.kind)},
          {"by", ActorName(p.by)},
          {"from", BackendSpecToJson(p.from)},
          {"to", BackendSpecToJson(p.to)},
          {"run", p.run.empty() ? json(nullptr) : json(p.run)},
          {"reason", p.reason},
          {"quality", p.quality ? json(std::round(*p.quality * 1e4) / 1e4) : json(nullptr)},
          {"text_weight", Optional(p.text_weight)},
          {"rolled_back", p.rolled_back}};
}

PromotionRecord PromotionFromJson(const json& j) {
  PromotionRecord p;
  p.at = TimeOf(j, "at");
  p.kind = EnumField(j, "kind", kKinds, PromotionKind::kPromote);
  p.by = EnumField(j, "by", kActors, Actor::kUser);
  p.from = BackendSpecFromJson(j.at("from"));
  p.to = BackendSpecFromJson(j.at("to"));
  if (j.contains("run") && j["run"].is_string()) p.run = j["run"].get<std::string>();
  p.reason = j.value("reason", "");
  p.quality = OptionalOf(j, "quality");
  p.text_weight = OptionalOf(j, "text_weight");
  p.rolled_back = j.value("rolled_back", false);
  return p;
}

}  // namespace lakehouse::vector
