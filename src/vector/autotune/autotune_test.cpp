// Autotune on real backends: the exploration over clustered vectors, the
// frontier and champion rules, the trial journal on a real bucket folder,
// and promotion and rollback through a real index registry.
#include <gtest/gtest.h>

#include <atomic>
#include <random>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "storage/local_store.h"
#include "vector/autotune/explore.h"
#include "vector/autotune/run.h"
#include "vector/autotune/scorers.h"
#include "vector/autotune/trial_journal.h"
#include "vector/index_fixture.h"

namespace lakehouse::vector::autotune {
namespace {

// n unit vectors around `clusters` centres: neighbours are found by graphs
// and lists alike, yet approximate search misses some (recall below 1).
std::shared_ptr<VectorRows> Clustered(size_t n, int dim, int clusters, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres) {
    for (auto& x : c) x = normal(rng);
  }
  auto out = std::make_shared<VectorRows>();
  out->dim = dim;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v(dim);
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      v[j] = centres[i % clusters][j] + 0.8f * normal(rng);
      norm += v[j] * v[j];
    }
    for (auto& x : v) x /= static_cast<float>(std::sqrt(norm));
    out->rows.insert(out->rows.end(), v.begin(), v.end());
    out->labels.push_back(static_cast<int64_t>(i) * 3 + 1);
  }
  return out;
}

TunePoint Point(BackendKind kind, int64_t knob, double quality, double p50, double bytes) {
  return {{kind, {{"knob", knob}}}, {quality, p50, p50 * 2, bytes, 1}};
}

TEST(FrontierTest, KeepsUndominatedPointsAndTheChampionIsTheFastestMeetingTheTarget) {
  std::vector<TunePoint> points = {Point(BackendKind::kHnsw, 1, 0.90, 0.5, 400),  // on it: fastest
                                   Point(BackendKind::kHnsw, 2, 0.96, 0.8, 400),  // champion at 0.95
                                   Point(BackendKind::kHnsw, 3, 0.95, 0.9, 400),  // dominated by 2
                                   Point(BackendKind::kIvfPq, 4, 0.96, 1.2, 100), // fewer bytes: on it
                                   Point(BackendKind::kFlat, 5, 1.00, 9.0, 300),  // best quality
                                   Point(BackendKind::kHnsw, 6, 0.96, 0.8, 400)}; // a tie with 2: the first stays
  auto frontier = ParetoFrontier(points);
  std::vector<int64_t> kept;
  for (const auto& p : frontier) kept.push_back(p.spec.options.at("knob"));
  EXPECT_EQ(kept, (std::vector<int64_t>{1, 2, 4, 5}));
  for (size_t i = 1; i < frontier.size(); ++i) {
    EXPECT_LE(frontier[i - 1].metrics.quality, frontier[i].metrics.quality) << "by quality ascending";
  }
  auto champion = Champion(points, 0.95);
  ASSERT_TRUE(champion);
  EXPECT_EQ(champion->spec.options.at("knob"), 2);
  EXPECT_FALSE(Champion(points, 1.01));
}

TEST(ExploreTest, FindsAChampionThatMeetsTheTargetInAQuarterOfTheGridsBuilds) {
  auto vectors = Clustered(3000, 32, 30, 7);
  RecallScorer scorer(vectors, SampleQueries(*vectors, 100, 1), 10, 2);
  ExploreOptions options;
  options.target = 0.95;
  options.vectors = vectors->labels.size();
  options.dim = vectors->dim;
  size_t started = 0, finished = 0;
  ExploreHooks hooks;
  hooks.started = [&](const BackendSpec&, size_t builds) { EXPECT_EQ(builds, started++); };
  hooks.finished = [&](const BuildTrial& t) {
    ++finished;
    EXPECT_TRUE(t.error.ok()) << t.error.message();
    EXPECT_FALSE(t.points.empty());
  };
  auto result = Explore(scorer, options, hooks);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->grid_builds, GridBuilds(AllBackends(), 3000, 32));
  EXPECT_EQ(result->max_builds, result->grid_builds / 4);
  EXPECT_LE(result->builds, result->max_builds);
  EXPECT_EQ(started, result->builds);
  EXPECT_EQ(finished, result->builds);
  ASSERT_TRUE(result->champion);
  EXPECT_GE(result->champion->metrics.quality, 0.95);
  EXPECT_NE(result->champion->spec.kind, BackendKind::kFlat) << "an approximate backend meets 0.95 faster than a scan";
  for (const auto& p : result->points) {
    EXPECT_GE(p.metrics.quality, 0.0);
    EXPECT_LE(p.metrics.quality, 1.0);
    if (p.metrics.quality >= 0.95) EXPECT_GE(p.metrics.p50_ms, result->champion->metrics.p50_ms);
  }
  for (const auto& f : result->frontier) {
    for (const auto& p : result->points) EXPECT_FALSE(Dominates(p.metrics, f.metrics));
  }
  bool flat_exact = false;
  for (const auto& p : result->points) flat_exact |= p.spec.kind == BackendKind::kFlat && p.metrics.quality == 1.0;
  EXPECT_TRUE(flat_exact) << "the exact scan finds every true neighbour";
}

TEST(ExploreTest, TheFullGridBuildsEveryConfigurationAndBacksOneThatCannotBuild) {
  auto vectors = Clustered(200, 16, 10, 3);  // too few vectors to train ivf_pq
  RecallScorer scorer(vectors, SampleQueries(*vectors, 20, 1), 5, 2);
  ExploreOptions options;
  options.target = 0.9;
  options.vectors = 200;
  options.dim = 16;
  options.backends = {BackendKind::kIvfPq, BackendKind::kFlat};
  options.full_grid = true;
  size_t failed = 0;
  ExploreHooks hooks;
  hooks.finished = [&](const BuildTrial& t) {
    if (!t.error.ok()) {
      ++failed;
      EXPECT_EQ(t.build.kind, BackendKind::kIvfPq);
      EXPECT_EQ(t.error.code(), StatusCode::kInvalidArgument) << t.error.message();
    }
  };
  auto result = Explore(scorer, options, hooks);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->builds, result->grid_builds);
  EXPECT_EQ(failed, result->grid_builds - 1) << "every ivf_pq build fails, and the grid goes on";
  ASSERT_TRUE(result->champion);
  EXPECT_EQ(result->champion->spec.kind, BackendKind::kFlat);
  EXPECT_EQ(result->stopped, TuneStop::kConverged);

  options.full_grid = false;
  options.backends = {BackendKind::kHnsw};
  options.max_builds = 2;
  auto limited = Explore(scorer, options);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->builds, 2u);
  EXPECT_EQ(limited->stopped, TuneStop::kBuildBudget);
  EXPECT_FALSE(Explore(scorer, ExploreOptions{1.5, 200, 16}).ok()) << "a target above 1";
}

TEST(ExploreTest, ABuildCallsItsYieldBetweenInserts) {
  auto vectors = Clustered(3000, 16, 10, 5);
  std::atomic<int> calls{0};
  auto built = BuildBackend(*vectors, {BackendKind::kHnsw, {{"m", 8}, {"ef_construction", 50}}}, 2, [&] { ++calls; });
  ASSERT_TRUE(built.ok()) << built.status().message();
  EXPECT_GE(calls.load(), 3000 / 256) << "once every 256 inserts";
  EXPECT_EQ(built->backend->size(), 3000u);
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lh_journal_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    store_ = std::make_shared<storage::LocalStore>(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::shared_ptr<storage::LocalStore> store_;
};

TEST_F(JournalTest, AppendsReadBackATornLastLineIsSkippedAndCutBuildsAreMarked) {
  TrialJournal journal(store_, "idx");
  ASSERT_EQ(*journal.Length(), 0u) << "no journal yet is an empty one";
  TrialEntry started{0, {}, "run-1", Actor::kAgent, TrialEvent::kStarted, BackendSpec{BackendKind::kHnsw, {{"m", 8}}}};
  ASSERT_TRUE(journal.Append(started).ok());
  EXPECT_EQ(started.seq, 1);
  TrialEntry measured = started;
  measured.event = TrialEvent::kMeasured;
  measured.points = {Point(BackendKind::kHnsw, 1, 0.97, 0.4, 400)};
  measured.points[0].spec = {BackendKind::kHnsw, {{"m", 8}, {"ef_search", 32}}};
  ASSERT_TRUE(journal.Append(measured).ok());
  TrialEntry second = started;
  second.build = BackendSpec{BackendKind::kHnsw, {{"m", 12}}};
  ASSERT_TRUE(journal.Append(second).ok());
  // A crash in the middle of the next append.
  ASSERT_TRUE(store_->Append(TrialsKey("idx"), "{\"seq\": 4, \"event\": \"meas").ok());
  auto read = journal.Read();
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->torn_tail);
  ASSERT_EQ(read->entries.size(), 3u);
  EXPECT_EQ(read->entries[1].points.at(0).spec.options.at("ef_search"), 32);
  EXPECT_NEAR(read->entries[1].points[0].metrics.quality, 0.97, 1e-9);
  EXPECT_EQ(read->entries[0].by, Actor::kAgent);

  auto marked = journal.MarkInterrupted();
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1u) << "m=12 started and never ended";
  read = journal.Read();
  EXPECT_FALSE(read->torn_tail) << "the next append started a fresh line";
  EXPECT_EQ(read->damaged_lines, 1u) << "the torn fragment is its own line now, skipped";
  ASSERT_EQ(read->entries.size(), 4u);
  EXPECT_EQ(read->entries.back().event, TrialEvent::kInterrupted);
  EXPECT_EQ(read->entries.back().build->options.at("m"), 12);
  EXPECT_EQ(read->entries.back().seq, 4);
  EXPECT_EQ(*journal.MarkInterrupted(), 0u) << "marked once";
}

TEST(RecordsTest, SummariesAndPromotionsRoundTripThroughJson) {
  AutotuneSummary s;
  s.run = "run-3";
  s.at = Now();
  s.target = {TuneMetric::kNdcg, 0.7, 10, "faq"};
  s.backends = {BackendKind::kHnsw, BackendKind::kIvfPq};
  s.builds = 4;
  s.stopped = TuneStop::kTimeBudget;
  s.champion = Point(BackendKind::kHnsw, 3, 0.71, 0.25, 396);
  s.champion->spec.options = {{"m", 12}, {"ef_search", 24}};
  s.frontier = {*s.champion};
  s.text_weight = 0.65;
  auto back = AutotuneSummaryFromJson(nlohmann::json::parse(AutotuneSummaryToJson(s).dump()));
  EXPECT_EQ(back.run, "run-3");
  EXPECT_EQ(back.target.metric, TuneMetric::kNdcg);
  EXPECT_EQ(back.target.set, "faq");
  EXPECT_EQ(back.backends, s.backends);
  EXPECT_EQ(back.stopped, TuneStop::kTimeBudget);
  ASSERT_TRUE(back.champion);
  EXPECT_EQ(back.champion->spec, s.champion->spec);
  EXPECT_DOUBLE_EQ(*back.text_weight, 0.65);
  PromotionRecord p;
  p.kind = PromotionKind::kRollback;
  p.by = Actor::kAgent;
  p.from = {BackendKind::kIvfPq, {{"nlist", 64}}};
  p.to = {BackendKind::kHnsw, {{"m", 16}}};
  p.rolled_back = true;
  auto q = PromotionFromJson(nlohmann::json::parse(PromotionToJson(p).dump()));
  EXPECT_EQ(q.kind, PromotionKind::kRollback);
  EXPECT_EQ(q.by, Actor::kAgent);
  EXPECT_EQ(q.from, p.from);
  EXPECT_TRUE(q.rolled_back);
  EXPECT_FALSE(q.quality);
  EXPECT_THROW(AutotuneSummaryFromJson(nlohmann::json{{"stopped", "exploded"}}), std::invalid_argument);
}

}  // namespace

using vector::IndexTest;

TEST_F(IndexTest, APromotionSwitchesToTheChampionAndARollbackRestoresWhatServedBefore) {
  IngestDocs(0, 400, ingest::WriteMode::kAppend);
  Build("docs_idx");
  PromotionRecord to_m8;
  to_m8.to = {BackendKind::kHnsw, {{"m", 8}, {"ef_construction", 64}}};
  to_m8.reason = "test";
  auto promoted = registry_->Promote("docs_idx", to_m8);
  ASSERT_TRUE(promoted.ok()) << promoted.status().message();
  ASSERT_TRUE(promoted->pending_backend);
  ASSERT_TRUE(promoted->pending_promotion);
  EXPECT_TRUE(promoted->promotions.empty()) << "recorded when the generation it asks for is published";
  EXPECT_EQ(registry_->Promote("docs_idx", to_m8).status().code(), StatusCode::kConflict) << "one at a time";
  auto built = registry_->BuildShadow("docs_idx");
  ASSERT_TRUE(built.ok()) << built.status().message();
  EXPECT_FALSE(built->pending_promotion);
  EXPECT_EQ(built->active->backend.options.at("m"), 8);
  ASSERT_EQ(built->promotions.size(), 1u);
  EXPECT_EQ(built->promotions[0].from.options.at("m"), 16);
  EXPECT_EQ(built->promotions[0].to.options.at("ef_search"), 64) << "stored resolved";

  // Only a query knob: served at once, nothing built.
  PromotionRecord ef;
  ef.to = built->active->backend;
  ef.to.options["ef_search"] = 20;
  auto quick = registry_->Promote("docs_idx", ef);
  ASSERT_TRUE(quick.ok()) << quick.status().message();
  EXPECT_FALSE(quick->pending_backend);
  EXPECT_EQ(quick->active->backend.options.at("ef_search"), 20);
  EXPECT_EQ(quick->active->number, built->active->number);
  EXPECT_EQ(registry_->Promote("docs_idx", ef).status().code(), StatusCode::kInvalidArgument) << "already served";

  auto back = registry_->Rollback("docs_idx", Actor::kUser, "");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->active->backend.options.at("ef_search"), 64) << "a query-knob rollback is immediate too";
  back = registry_->Rollback("docs_idx", Actor::kAgent, "quality fell");
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->pending_backend);
  back = registry_->BuildShadow("docs_idx");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->active->backend.options.at("m"), 16);
  ASSERT_EQ(back->promotions.size(), 4u);
  EXPECT_TRUE(back->promotions[0].rolled_back);
  EXPECT_TRUE(back->promotions[1].rolled_back);
  EXPECT_EQ(back->promotions[3].kind, PromotionKind::kRollback);
  EXPECT_EQ(back->promotions[3].by, Actor::kAgent);
  EXPECT_EQ(back->promotions[3].reason, "quality fell");
  EXPECT_EQ(registry_->Rollback("docs_idx", Actor::kUser, "").status().code(), StatusCode::kConflict);
  Restart();
  auto reread = registry_->Get("docs_idx");
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->promotions.size(), 4u) << "kept in the manifest";
  auto hits = Search("docs_idx", {.text = "rocket engine", .k = 3});
  EXPECT_EQ(hits.hits.size(), 3u);
}

TEST_F(IndexTest, AMoveOrDropWaitsForNoRunButRefusesWhileOneHoldsTheIndex) {
  IngestDocs(0, 100, ingest::WriteMode::kAppend);
  Build("docs_idx");
  {
    ProcessLock running(registry_->AutotuneLockPath("docs_idx"));
    ASSERT_TRUE(running.held());
    EXPECT_EQ(registry_->Drop("docs_idx").code(), StatusCode::kConflict);
    EXPECT_EQ(registry_->MoveToBucket("docs_idx", "rescue").status().code(), StatusCode::kConflict);
    AutotuneRequest request;
    request.backends = {BackendKind::kFlat};
    EXPECT_EQ(RunAutotune(*searcher_, *registry_, "docs_idx", request).status().code(), StatusCode::kConflict);
  }
  EXPECT_TRUE(registry_->Get("docs_idx").ok());
  EXPECT_TRUE(registry_->Drop("docs_idx").ok());
}

TEST(RecordsTest, ADamagedAutotuneRecordIsLeftOutAndTheIndexStillLoads) {
  IndexManifest m;
  m.name = "idx";
  m.dataset = "docs";
  m.bucket = "primary";
  m.status = IndexStatus::kReady;
  auto j = IndexManifestToJson(m);
  for (const auto& bad : {nlohmann::json{{"stopped", "exploded"}}, nlohmann::json{{"target", {{"value", -3}}}},
                          nlohmann::json{{"target", {{"k", 1e300}}}}, nlohmann::json{{"backends", {"auto"}}},
                          nlohmann::json{{"champion", {{"backend", {{"kind", "warp"}}}}}}}) {
    j["autotune"] = bad;
    j["promotions"] = nlohmann::json::array({nlohmann::json{{"kind", "demote"}}, "x"});
    auto back = IndexManifestFromJson(j);
    ASSERT_TRUE(back.ok()) << bad.dump() << ": " << back.status().message();
    EXPECT_FALSE(back->autotune) << bad.dump();
    EXPECT_TRUE(back->promotions.empty());
  }
}

TEST_F(IndexTest, AnAutotuneRunKeepsItsFrontierAndEveryBuildInTheJournalAcrossARestart) {
  IngestDocs(0, 600, ingest::WriteMode::kAppend);
  Build("docs_idx");
  AutotuneRequest request;
  request.target.value = 0.9;
  request.backends = {BackendKind::kHnsw, BackendKind::kFlat};
  request.max_builds = 3;
  request.queries = 50;
  std::vector<AutotunePhase> phases;
  auto outcome = RunAutotune(*searcher_, *registry_, "docs_idx", request,
                             [&](const AutotuneProgress& p) { phases.push_back(p.phase); });
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  const auto& s = outcome->summary;
  EXPECT_EQ(s.run, "run-1");
  EXPECT_EQ(s.builds, 3u);
  ASSERT_TRUE(s.champion);
  EXPECT_FALSE(s.frontier.empty());
  EXPECT_EQ(phases.back(), AutotunePhase::kDone);
  Restart();
  auto m = registry_->Get("docs_idx");
  ASSERT_TRUE(m.ok() && m->autotune);
  EXPECT_EQ(m->autotune->champion->spec, s.champion->spec);
  auto store = buckets_->Get(m->bucket);
  auto journal = TrialJournal(*store, "docs_idx").Read();
  ASSERT_TRUE(journal.ok());
  ASSERT_EQ(journal->entries.size(), 2 * 3 + 1u) << "started and measured per build, then the run";
  EXPECT_EQ(journal->entries.back().event, TrialEvent::kRunFinished);
  auto promoted = PromoteChampion(*registry_, "docs_idx", std::nullopt, Actor::kUser, "best");
  ASSERT_TRUE(promoted.ok() || promoted.status().code() == StatusCode::kInvalidArgument) << promoted.status().message();
  request.target = {TuneMetric::kNdcg, 0.5, 10, "none"};
  EXPECT_EQ(RunAutotune(*searcher_, *registry_, "docs_idx", request).status().code(), StatusCode::kNotFound)
      << "an unknown eval set";
  request.target = {TuneMetric::kNdcg, 0.5, 10, ""};
  EXPECT_EQ(RunAutotune(*searcher_, *registry_, "docs_idx", request).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace lakehouse::vector::autotune
