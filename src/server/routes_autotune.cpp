// /vectors/indexes/{name}/autotune, trials, promote, rollback and
// /vectors/promotions. A run goes to the background autotune service
// unless the request says "wait": true; a promotion that needs a build
// goes to the refresh scheduler the same way (202 until it is served).
#include <algorithm>

#include "app/runtime.h"
#include "server/autotune_views.h"
#include "server/http_util.h"
#include "server/routes.h"
#include "server/vector_requests.h"
#include "server/vector_views.h"

namespace lakehouse::server {

namespace {

using nlohmann::json;
namespace at = vector::autotune;

Result<at::AutotuneRequest> ParseAutotune(const json& body) {
  static const char* kFields[] = {"metric", "target",  "k",    "set",     "max_builds", "max_minutes",
                                  "backends", "queries", "seed", "mode", "promote",    "wait"};
  for (const auto& [key, value] : body.items()) {
    if (std::find_if(std::begin(kFields), std::end(kFields), [&](const char* f) { return key == f; }) ==
        std::end(kFields)) {
      return InvalidArgument("unknown field '" + key.substr(0, 64) +
                             "'; autotune takes metric, target, k, set, max_builds, max_minutes, backends, queries, "
                             "seed, mode, promote and wait");
    }
  }
  at::AutotuneRequest r;
  LH_ASSIGN_OR_RETURN(auto metric, OptionalString(body, "metric"));
  LH_ASSIGN_OR_RETURN(auto target, OptionalNumber(body, "target"));
  LH_ASSIGN_OR_RETURN(auto k, OptionalInt(body, "k"));
  LH_ASSIGN_OR_RETURN(auto set, OptionalString(body, "set"));
  LH_ASSIGN_OR_RETURN(auto builds, OptionalInt(body, "max_builds"));
  LH_ASSIGN_OR_RETURN(auto minutes, OptionalNumber(body, "max_minutes"));
  LH_ASSIGN_OR_RETURN(auto backends, OptionalStrings(body, "backends"));
  LH_ASSIGN_OR_RETURN(auto queries, OptionalInt(body, "queries"));
  LH_ASSIGN_OR_RETURN(auto seed, OptionalInt(body, "seed"));
  LH_ASSIGN_OR_RETURN(auto mode, OptionalString(body, "mode"));
  LH_ASSIGN_OR_RETURN(auto promote, OptionalBool(body, "promote"));
  if (metric) {
    auto parsed = vector::ParseTuneMetric(*metric);
    if (!parsed) return InvalidArgument("metric must be recall (against exact search) or ndcg (on an eval set)");
    r.target.metric = *parsed;
  }
  if (target) r.target.value = *target;
  if (k) {
    if (*k < 1 || *k > 100) return InvalidArgument("k must be between 1 and 100");
    r.target.k = static_cast<int>(*k);
  }
  r.target.set = set.value_or("");
  if (builds) {
    if (*builds < 1 || *builds > 1000) return InvalidArgument("max_builds must be between 1 and 1000");
    r.max_builds = static_cast<size_t>(*builds);
  }
  if (minutes) r.max_minutes = *minutes;
  if (backends) {
    for (const auto& name : *backends) {
      LH_ASSIGN_OR_RETURN(auto kind, vector::ParseBackendKind(name));
      if (std::find(r.backends.begin(), r.backends.end(), kind) == r.backends.end()) r.backends.push_back(kind);
    }
  }
  if (queries) {
    if (*queries < 10 || *queries > 10000) return InvalidArgument("queries must be between 10 and 10000");
    r.queries = static_cast<size_t>(*queries);
  }
  if (seed) r.seed = static_cast<uint64_t>(*seed);
  if (mode) {
    auto parsed = vector::ParseSearchMode(*mode);
    if (!parsed) return InvalidArgument("mode must be hybrid or vector");
    r.mode = *parsed;
  }
  r.promote = promote.value_or(false);
  LH_RETURN_IF_ERROR(at::ValidateAutotuneRequest(r));
  return r;
}

// After a promotion or rollback: built now (wait) or by the scheduler (202).
Status Finish(app::Runtime& rt, vector::IndexManifest m, bool wait, httplib::Response& res) {
  if (m.pending_backend) {
    if (!wait) {
      rt.scheduler().SubmitShadow(m.name);
      SendJson(res, PromotionsJson(m), 202);
      return Status::Ok();
    }
    LH_ASSIGN_OR_RETURN(m, rt.indexes().BuildShadow(m.name));
    if (m.pending_promotion || !m.error.empty()) {
      return Internal(m.error.empty() ? "the promotion did not complete" : m.error);
    }
  }
  SendJson(res, PromotionsJson(m));
  return Status::Ok();
}

}  // namespace

void RegisterAutotuneRoutes(httplib::Server& http, app::Runtime& rt) {
  auto& indexes = rt.indexes();
  http.Post(R"(/vectors/indexes/([^/]+)/autotune)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto wait, OptionalBool(body, "wait"));
    LH_ASSIGN_OR_RETURN(auto request, ParseAutotune(body));
    const std::string name = req.matches[1];
    if (wait.value_or(false)) {
      LH_ASSIGN_OR_RETURN(auto outcome, rt.autotune().RunNow(name, request));
      if (outcome.promoted && outcome.promoted->pending_backend) rt.scheduler().SubmitShadow(name);
      SendJson(res, AutotuneOutcomeJson(outcome));
      return Status::Ok();
    }
    LH_RETURN_IF_ERROR(rt.autotune().Submit(name, request));
    LH_ASSIGN_OR_RETURN(auto m, indexes.Get(name));
    SendJson(res, AutotuneJson(m, rt.autotune().StateOf(name)), 202);
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+)/autotune)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto m, indexes.Get(req.matches[1]));
    SendJson(res, AutotuneJson(m, rt.autotune().StateOf(m.name)));
    return Status::Ok();
  }));
  http.Get(R"(/vectors/indexes/([^/]+)/trials)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto m, indexes.Get(req.matches[1]));
    LH_ASSIGN_OR_RETURN(auto store, rt.buckets().Get(m.bucket));
    size_t limit = 0;
    if (req.has_param("limit")) {
      const std::string text = req.get_param_value("limit");
      if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(text) > 999999) {
        return InvalidArgument("limit must be a whole number up to 999999 (0: every entry)");
      }
      limit = std::stoul(text);
    }
    LH_ASSIGN_OR_RETURN(auto contents, at::TrialJournal(store, m.name).Read());
    SendJson(res, TrialsJson(m.name, contents, req.get_param_value("run"), limit));
    return Status::Ok();
  }));
  http.Post(R"(/vectors/indexes/([^/]+)/promote)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto wait, OptionalBool(body, "wait"));
    LH_ASSIGN_OR_RETURN(auto reason, OptionalString(body, "reason"));
    std::optional<vector::TunePoint> point;
    if (body.contains("backend")) {
      point.emplace();
      LH_ASSIGN_OR_RETURN(point->spec, ParseBackend(body));
    }
    LH_ASSIGN_OR_RETURN(auto m, at::PromoteChampion(indexes, req.matches[1], point, vector::Actor::kUser,
                                                    reason.value_or(point ? "promoted by request"
                                                                          : "the last autotune's champion")));
    return Finish(rt, std::move(m), wait.value_or(false), res);
  }));
  http.Post(R"(/vectors/indexes/([^/]+)/rollback)", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_ASSIGN_OR_RETURN(auto body, ParseJsonObject(req));
    LH_ASSIGN_OR_RETURN(auto wait, OptionalBool(body, "wait"));
    LH_ASSIGN_OR_RETURN(auto reason, OptionalString(body, "reason"));
    LH_ASSIGN_OR_RETURN(auto m, indexes.Rollback(req.matches[1], vector::Actor::kUser, reason.value_or("")));
    if (auto store = rt.buckets().Get(m.bucket); store.ok()) {
      at::TrialEntry e;
      e.event = at::TrialEvent::kRolledBack;
      e.reason = m.pending_promotion ? m.pending_promotion->reason : m.promotions.back().reason;
      (void)at::TrialJournal(*store, m.name).Append(e);
    }
    return Finish(rt, std::move(m), wait.value_or(false), res);
  }));
  http.Get("/vectors/agent/status", Guarded([&](const httplib::Request&, httplib::Response& res) {
    SendJson(res, AgentStatusJson(rt.agent().Snapshot()));
    return Status::Ok();
  }));
  http.Post(R"(/vectors/agent/enqueue/([^/]+))", Guarded([&](const httplib::Request& req, httplib::Response& res) {
    LH_RETURN_IF_ERROR(rt.agent().Enqueue(req.matches[1]));
    SendJson(res, AgentStatusJson(rt.agent().Snapshot()), 202);
    return Status::Ok();
  }));
  http.Get("/vectors/promotions", Guarded([&](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const auto& m : indexes.List()) list.push_back(PromotionsJson(m));
    SendJson(res, {{"indexes", list}});
    return Status::Ok();
  }));
}

}  // namespace lakehouse::server
