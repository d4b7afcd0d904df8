#include "cli/autotune_commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app/runtime.h"
#include "cli/index_commands.h"
#include "cli/output.h"
#include "server/autotune_views.h"
#include "vector/autotune/run.h"

namespace lakehouse::cli {

namespace {

namespace at = vector::autotune;

std::string Settings(const vector::BackendSpec& spec) {
  std::string out;
  for (const auto& [k, v] : spec.options) out += (out.empty() ? "" : " ") + k + "=" + std::to_string(v);
  return out.empty() ? "-" : out;
}

void PrintPoint(const vector::TunePoint& p, const char* note) {
  const auto& m = p.metrics;
  std::printf("%-7s %-58s %7.3f %8.3f %8.3f %9.0f %8.2f%s\n", vector::BackendKindName(p.spec.kind),
              Settings(p.spec).c_str(), m.quality, m.p50_ms, m.p95_ms, m.bytes_per_vector, m.build_s, note);
}

void PrintSummary(const vector::AutotuneSummary& s) {
  std::printf("%-7s %-58s %7s %8s %8s %9s %8s\n", "BACKEND", "SETTINGS", vector::TuneMetricName(s.target.metric),
              "P50 ms", "P95 ms", "BYTES/VEC", "BUILD s");
  for (const auto& p : s.frontier) {
    PrintPoint(p, s.champion && s.champion->spec == p.spec ? "  <- champion" : "");
  }
  std::printf("\n%s: %zu builds of %zu allowed (a full grid is %zu), %.1f s, stopped: %s\n", s.run.c_str(), s.builds,
              s.max_builds, s.grid_builds, s.seconds, vector::TuneStopName(s.stopped));
  if (s.champion) {
    std::printf("champion: %s %s, %s %.3f at p50 %.3f ms (target %.3f)\n", vector::BackendKindName(s.champion->spec.kind),
                Settings(s.champion->spec).c_str(), vector::TuneMetricName(s.target.metric), s.champion->metrics.quality,
                s.champion->metrics.p50_ms, s.target.value);
  } else {
    std::printf("no configuration met the target %.3f; the frontier shows the best found\n", s.target.value);
  }
  if (s.text_weight) std::printf("hybrid text weight tuned on the set: %.2f (set with a promotion)\n", *s.text_weight);
}

void PrintProgress(const at::AutotuneProgress& p) {
  if (p.phase != at::AutotunePhase::kBuilding || !p.building) return;
  std::fprintf(stderr, "build %zu of at most %zu: %s %s", p.builds + 1, p.max_builds,
               vector::BackendKindName(p.building->kind), Settings(*p.building).c_str());
  if (p.best) {
    std::fprintf(stderr, " (best so far %s p50 %.3f ms, quality %.3f)", vector::BackendKindName(p.best->spec.kind),
                 p.best->metrics.p50_ms, p.best->metrics.quality);
  }
  std::fprintf(stderr, "\n");
}

// A promotion needing a build runs it now: a CLI command works in the foreground.
int FinishPromotion(app::Runtime& rt, vector::IndexManifest m, bool json) {
  if (m.pending_backend) {
    std::fprintf(stderr, "building %s %s from the stored vectors...\n", vector::BackendKindName(m.pending_backend->kind),
                 Settings(*m.pending_backend).c_str());
    auto built = rt.indexes().BuildShadow(m.name);
    if (!built.ok()) return Fail(built.status());
    m = *built;
  }
  if (json) {
    std::cout << server::PromotionsJson(m).dump(2) << "\n";
    return 0;
  }
  const auto& last = m.promotions.back();
  std::printf("index %s now serves %s %s (%s; was %s %s)\n", m.name.c_str(), vector::BackendKindName(m.active->backend.kind),
              Settings(m.active->backend).c_str(), vector::PromotionKindName(last.kind),
              vector::BackendKindName(last.from.kind), Settings(last.from).c_str());
  return 0;
}

}  // namespace

AutotuneCommands::AutotuneCommands(CLI::App& app) {
  CLI::App* index = app.get_subcommand("index");
  autotune_ = index->add_subcommand(
      "autotune", "Find the fastest backend settings that meet a quality target: few candidates built from the stored "
                  "vectors (nothing re-embedded), each swept over its query knobs; prints the Pareto frontier");
  autotune_->add_option("name", name_, "Index name")->required();
  autotune_->add_option("--metric", metric_, "recall (default: recall@k against exact search) or ndcg (nDCG@10 on --set)")
      ->check(CLI::IsMember({"recall", "ndcg"}));
  autotune_->add_option("--target", target_, "Quality to meet (default 0.95)");
  autotune_->add_option("-k", k_, "recall@k (default 10)");
  autotune_->add_option("--set", set_, "Eval set kept with the index: its queries (recall) or labels (ndcg)");
  autotune_->add_option("--max-builds", max_builds_, "Candidate builds at most (default: a quarter of the full grid)")
      ->check(CLI::Range(1, 1000));
  autotune_->add_option("--max-minutes", max_minutes_, "Time budget (default 30)");
  autotune_->add_option("--backends", backends_, "Backends to consider (default flat hnsw ivf_pq)")->delimiter(',');
  autotune_->add_option("--queries", queries_, "recall without --set: chunks sampled as queries (default 200)")
      ->check(CLI::Range(10, 10000));
  autotune_->add_option("--seed", seed_, "Which chunks are sampled (default 1)")->check(CLI::NonNegativeNumber);
  autotune_->add_option("--mode", mode_, "ndcg: the searches scored, hybrid (default) or vector")
      ->check(CLI::IsMember({"hybrid", "vector"}));
  autotune_->add_flag("--promote", promote_flag_, "Serve the champion when one is found (built from the stored vectors)");
  autotune_->add_flag("--json", json_, "Print the run as JSON (as POST .../autotune with wait answers)");
  trials_ = index->add_subcommand("trials", "Show an index's trial journal: every autotune build, measurement and decision");
  trials_->add_option("name", name_, "Index name")->required();
  trials_->add_option("--run", run_, "Only this run's entries (run-N)");
  trials_->add_option("--limit", limit_, "Only the last N entries")->check(CLI::NonNegativeNumber);
  trials_->add_flag("--json", json_, "Print as JSON (as GET .../trials answers)");
  promote_ = index->add_subcommand("promote", "Serve the last autotune's champion, or the backend given; what served "
                                              "before is kept for rollback");
  promote_->add_option("name", name_, "Index name")->required();
  promote_->add_option("--backend", backend_, "Promote this backend instead of the champion")
      ->check(CLI::IsMember({"flat", "hnsw", "ivf_pq"}));
  promote_->add_option("--option", options_, "With --backend: a setting KEY=VALUE, repeatable");
  promote_->add_option("--reason", reason_, "Why, for the history");
  promote_->add_flag("--json", json_, "Print as JSON");
  rollback_ = index->add_subcommand("rollback", "Serve again what the last promotion replaced");
  rollback_->add_option("name", name_, "Index name")->required();
  rollback_->add_option("--reason", reason_, "Why, for the history");
  rollback_->add_flag("--json", json_, "Print as JSON");
  promotions_ = index->add_subcommand("promotions", "Every index's served configuration, champion and promotion history");
  promotions_->add_flag("--json", json_, "Print as JSON (as GET /vectors/promotions answers)");
}

int AutotuneCommands::Run(const Config& config) const {
  if (!autotune_->parsed() && !trials_->parsed() && !promote_->parsed() && !rollback_->parsed() && !promotions_->parsed()) {
    return -1;
  }
  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) return Fail(runtime.status());
  auto& rt = **runtime;
  auto& indexes = rt.indexes();
  if (autotune_->parsed()) {
    at::AutotuneRequest request;
    request.target.metric = *vector::ParseTuneMetric(metric_);  // CLI11 checked it
    request.target.value = target_;
    request.target.k = k_;
    request.target.set = set_;
    request.max_builds = static_cast<size_t>(std::max<int64_t>(max_builds_, 0));
    request.max_minutes = max_minutes_;
    for (const auto& name : backends_) {
      auto kind = vector::ParseBackendKind(name);
      if (!kind.ok()) return Fail(kind.status());
      request.backends.push_back(*kind);
    }
    request.queries = static_cast<size_t>(std::max<int64_t>(queries_, 0));
    request.seed = static_cast<uint64_t>(seed_);
    request.mode = *vector::ParseSearchMode(mode_);
    request.promote = promote_flag_;
    auto outcome = rt.autotune().RunNow(name_, request, PrintProgress);
    if (!outcome.ok()) return Fail(outcome.status());
    if (outcome->interrupted) {
      std::fprintf(stderr, "note: %zu builds of an earlier run were cut off (a stop or crash); marked interrupted\n",
                   outcome->interrupted);
    }
    if (json_) {
      std::cout << server::AutotuneOutcomeJson(*outcome).dump(2) << "\n";
    } else {
      PrintSummary(outcome->summary);
    }
    if (outcome->promoted) return FinishPromotion(rt, *outcome->promoted, false);
    return 0;
  }
  if (trials_->parsed()) {
    auto m = indexes.Get(name_);
    if (!m.ok()) return Fail(m.status());
    auto store = rt.buckets().Get(m->bucket);
    if (!store.ok()) return Fail(store.status());
    auto contents = at::TrialJournal(*store, name_).Read();
    if (!contents.ok()) return Fail(contents.status());
    auto doc = server::TrialsJson(name_, *contents, run_, static_cast<size_t>(std::max<int64_t>(limit_, 0)));
    if (json_) {
      std::cout << doc.dump(2) << "\n";
      return 0;
    }
    std::printf("%5s  %-24s %-7s %-12s %-7s %s\n", "SEQ", "AT", "RUN", "EVENT", "BACKEND", "SETTINGS / REASON");
    for (const auto& e : doc["trials"]) {
      std::string backend = e["build"].is_object() ? e["build"]["kind"].get<std::string>() : "";
      std::string what;
      if (e["build"].is_object()) {
        for (const auto& [k, v] : e["build"]["options"].items()) what += k + "=" + v.dump() + " ";
      }
      if (!e["points"].empty()) what += "(" + std::to_string(e["points"].size()) + " query settings measured) ";
      what += e["reason"].get<std::string>();
      std::printf("%5lld  %-24s %-7s %-12s %-7s %s\n", e["seq"].get<long long>(), e["at"].get<std::string>().c_str(),
                  e["run"].get<std::string>().c_str(), e["event"].get<std::string>().c_str(), backend.c_str(),
                  what.c_str());
    }
    if (contents->torn_tail) std::printf("note: the last line was cut off by a crash and is skipped\n");
    if (contents->damaged_lines) std::printf("note: %zu damaged lines skipped\n", contents->damaged_lines);
    return 0;
  }
  if (promote_->parsed()) {
    std::optional<vector::TunePoint> point;
    if (!backend_.empty()) {
      point.emplace();
      point->spec.kind = *vector::ParseBackendKind(backend_);  // CLI11 checked it
      auto options = ParseOptionFlags(options_);
      if (!options.ok()) return Fail(options.status());
      point->spec.options = *options;
    } else if (!options_.empty()) {
      return Fail(InvalidArgument("--option needs --backend (the champion's settings are its own)"));
    }
    auto m = at::PromoteChampion(indexes, name_, point, vector::Actor::kUser,
                                 reason_.empty() ? (point ? "promoted by request" : "the last autotune's champion") : reason_);
    if (!m.ok()) return Fail(m.status());
    return FinishPromotion(rt, *m, json_);
  }
  if (rollback_->parsed()) {
    auto m = indexes.Rollback(name_, vector::Actor::kUser, reason_);
    if (!m.ok()) return Fail(m.status());
    return FinishPromotion(rt, *m, json_);
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : indexes.List()) list.push_back(server::PromotionsJson(m));
  if (json_) {
    std::cout << nlohmann::json{{"indexes", list}}.dump(2) << "\n";
    return 0;
  }
  std::printf("%-20s %-10s %-7s %-50s %s\n", "INDEX", "BUCKET", "SERVING", "SETTINGS", "PROMOTIONS");
  for (const auto& m : indexes.List()) {
    std::printf("%-20s %-10s %-7s %-50s %zu%s\n", m.name.c_str(), m.bucket.c_str(),
                m.active ? vector::BackendKindName(m.active->backend.kind) : "-",
                m.active ? Settings(m.active->backend).c_str() : "-", m.promotions.size(),
                m.pending_promotion ? " (one building)" : "");
  }
  return 0;
}

}  // namespace lakehouse::cli
