#include "server/autotune_views.h"

namespace lakehouse::server {

using nlohmann::json;
namespace at = vector::autotune;

json AutotuneProgressJson(const at::AutotuneProgress& p) {
  return {{"phase", at::AutotunePhaseName(p.phase)},
          {"run", p.run},
          {"builds", p.builds},
          {"max_builds", p.max_builds},
          {"building", p.building ? vector::BackendSpecToJson(*p.building) : json(nullptr)},
          {"best", p.best ? vector::TunePointToJson(*p.best) : json(nullptr)}};
}

json AutotuneJson(const vector::IndexManifest& m, const at::AutotuneService::State& state) {
  return {{"index", m.name},
          {"queued", state.queued},
          {"running", state.running ? AutotuneProgressJson(*state.running) : json(nullptr)},
          {"error", state.last_error.empty() ? json(nullptr) : json(state.last_error)},
          {"last", m.autotune ? vector::AutotuneSummaryToJson(*m.autotune) : json(nullptr)},
          {"serving", m.active ? vector::BackendSpecToJson(m.active->backend) : json(nullptr)}};
}

json AutotuneOutcomeJson(const at::AutotuneOutcome& o) {
  json out = vector::AutotuneSummaryToJson(o.summary);
  out["interrupted_marked"] = o.interrupted;
  out["promote_error"] = o.promote_error.empty() ? json(nullptr) : json(o.promote_error);
  if (o.promoted) {
    out["promoted"] = {{"building", o.promoted->pending_backend.has_value()},
                       {"serving", o.promoted->active ? vector::BackendSpecToJson(o.promoted->active->backend)
                                                      : json(nullptr)}};
  } else {
    out["promoted"] = nullptr;
  }
  return out;
}

json TrialsJson(const std::string& index, const at::JournalContents& contents, const std::string& run,
                size_t limit) {
  std::vector<const at::TrialEntry*> kept;
  for (const auto& e : contents.entries) {
    if (run.empty() || e.run == run) kept.push_back(&e);
  }
  json trials = json::array();
  size_t from = limit && kept.size() > limit ? kept.size() - limit : 0;
  for (size_t i = from; i < kept.size(); ++i) trials.push_back(at::TrialEntryToJson(*kept[i]));
  return {{"index", index},
          {"trials", trials},
          {"total", kept.size()},
          {"torn_tail", contents.torn_tail},
          {"damaged_lines", contents.damaged_lines}};
}

json AgentStatusJson(const at::AgentStatus& s) {
  json last = json::array();
  for (const auto& r : s.last) {
    last.push_back({{"at", FormatTime(r.at)},
                    {"index", r.index},
                    {"run", r.run.empty() ? json(nullptr) : json(r.run)},
                    {"event", at::TrialEventName(r.event)},
                    {"reason", r.reason}});
  }
  json running = nullptr;
  if (s.running_index) {
    running = {{"index", *s.running_index},
               {"phase", s.running_phase},
               {"build", s.running_build ? vector::BackendSpecToJson(*s.running_build) : json(nullptr)}};
  }
  return {{"enabled", s.enabled},
          {"queue", s.queue},
          {"running", running},
          {"last", last},
          {"next_wake", s.enabled ? json(FormatTime(s.next_wake)) : json(nullptr)},
          {"cooldown_until", s.cooldown_until ? json(FormatTime(*s.cooldown_until)) : json(nullptr)},
          {"trials_last_hour", s.trials_last_hour},
          {"max_trials_per_hour", s.max_trials_per_hour},
          {"budget_left_this_hour", std::max(0, s.max_trials_per_hour - s.trials_last_hour)},
          {"foreground_busy", s.foreground_busy}};
}

json PromotionsJson(const vector::IndexManifest& m) {
  json history = json::array();
  for (const auto& p : m.promotions) history.push_back(vector::PromotionToJson(p));
  return {{"index", m.name},
          {"bucket", m.bucket},
          {"serving", m.active ? vector::BackendSpecToJson(m.active->backend) : json(nullptr)},
          {"champion", m.autotune && m.autotune->champion ? vector::TunePointToJson(*m.autotune->champion) : json(nullptr)},
          {"pending", m.pending_promotion ? vector::PromotionToJson(*m.pending_promotion) : json(nullptr)},
          {"history", history}};
}

}  // namespace lakehouse::server
