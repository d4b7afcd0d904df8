// The agent's proposals and decisions, and its trials on a real index:
// replayable proposals, promotion only past the margin, every decision in
// the journal, and a promotion measured again after a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "vector/autotune/agent.h"
#include "vector/autotune/agent_policy.h"
#include "vector/autotune/trial_journal.h"
#include "vector/index_fixture.h"

namespace lakehouse::vector::autotune {
namespace {

const BackendSpec kHnsw16{BackendKind::kHnsw, {{"m", 16}, {"ef_construction", 200}, {"ef_search", 64}}};

TEST(AgentPolicyTest, TheSameJournalProposesTheSameTrialAndTriedBuildsAreSkipped) {
  auto a = Propose(kHnsw16, {BackendKind::kHnsw}, 5000, 64, {}, 7, 0.25);
  auto b = Propose(kHnsw16, {BackendKind::kHnsw}, 5000, 64, {}, 7, 0.25);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->build, b->build);
  EXPECT_EQ(a->why, b->why);
  EXPECT_FALSE(a->build.options.count("ef_search")) << "query knobs are swept by the trial, not proposed";
  // Exploit only: one knob one step along its grid.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto p = Propose(kHnsw16, {BackendKind::kHnsw}, 5000, 64, {}, seed, 0.0);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->explore);
    int changed = (p->build.options.at("m") != 16) + (p->build.options.at("ef_construction") != 200);
    EXPECT_EQ(changed, 1) << p->why;
    EXPECT_TRUE(p->build.options.at("m") == 12 || p->build.options.at("m") == 24 || p->build.options.at("m") == 16);
  }
  // Every neighbour tried: nothing new near the champion.
  std::vector<BackendSpec> tried = {{BackendKind::kHnsw, {{"m", 12}, {"ef_construction", 200}}},
                                    {BackendKind::kHnsw, {{"m", 24}, {"ef_construction", 200}}},
                                    {BackendKind::kHnsw, {{"m", 16}, {"ef_construction", 100}}},
                                    {BackendKind::kHnsw, {{"m", 16}, {"ef_construction", 400}}}};
  EXPECT_FALSE(Propose(kHnsw16, {BackendKind::kHnsw}, 5000, 64, tried, 3, 0.0));
  auto anywhere = Propose(kHnsw16, {BackendKind::kHnsw, BackendKind::kIvfPq}, 5000, 64, tried, 3, 1.0);
  ASSERT_TRUE(anywhere);
  EXPECT_TRUE(anywhere->explore);
}

TEST(AgentPolicyTest, PromotesOnlyPastTheMarginOrWhenTheChampionMissesTheTarget) {
  TuneMetrics champion{0.97, 1.0, 1.5, 400, 10};
  auto point = [](double quality, double p50) { return TunePoint{kHnsw16, {quality, p50, p50, 400, 5}}; };
  EXPECT_TRUE(Decide(champion, {point(0.96, 0.90)}, 0.95, 0.05).promote);
  EXPECT_FALSE(Decide(champion, {point(0.96, 0.97)}, 0.95, 0.05).promote) << "3% is inside the margin";
  EXPECT_FALSE(Decide(champion, {point(0.90, 0.10)}, 0.95, 0.05).promote) << "fast but below the target";
  auto d = Decide(TuneMetrics{0.90, 0.5, 1, 400, 1}, {point(0.96, 2.0)}, 0.95, 0.05);
  EXPECT_TRUE(d.promote) << "slower, but the champion missed the target";
  EXPECT_NE(d.reason.find("misses the target"), std::string::npos) << d.reason;
}

}  // namespace

using vector::IndexTest;

TEST_F(IndexTest, AgentTrialsPromoteAFasterConfigurationAndJournalEveryDecision) {
  IngestDocs(0, 2000, ingest::WriteMode::kAppend);
  backend_ = {BackendKind::kHnsw, {{"m", 16}, {"ef_construction", 200}, {"ef_search", 1000}}};  // slow on purpose
  Build("docs_idx");
  ForegroundLoad quiet;
  AgentOptions options;
  options.enabled = true;
  options.target_recall = 0.9;
  options.queries = 50;
  options.epsilon = 0;  // steps from the champion only: the sweep finds a small ef_search
  Agent agent(*searcher_, *registry_, *catalog_, quiet, options);
  int promoted = 0;
  for (int i = 0; i < 3; ++i) {
    AgentResult r = agent.RunTrial("docs_idx");
    EXPECT_TRUE(r.event == TrialEvent::kVerified || r.event == TrialEvent::kKept || r.event == TrialEvent::kRolledBack)
        << TrialEventName(r.event) << ": " << r.reason;
    promoted += r.event == TrialEvent::kVerified;
  }
  EXPECT_GE(promoted, 1) << "ef_search 1000 is beaten by any sweep that meets 0.9 with less";
  auto m = registry_->Get("docs_idx");
  ASSERT_TRUE(m.ok());
  EXPECT_LT(m->active->backend.options.at("ef_search"), 1000);
  ASSERT_FALSE(m->promotions.empty());
  EXPECT_EQ(m->promotions.back().by, Actor::kAgent);
  auto journal = TrialJournal(*buckets_->Get(m->bucket), "docs_idx").Read();
  ASSERT_TRUE(journal.ok());
  int started = 0, ended = 0, decisions = 0;
  for (const auto& e : journal->entries) {
    EXPECT_EQ(e.by, Actor::kAgent);
    started += e.event == TrialEvent::kStarted;
    ended += e.event == TrialEvent::kMeasured || e.event == TrialEvent::kFailed;
    decisions += e.event == TrialEvent::kKept || e.event == TrialEvent::kVerified || e.event == TrialEvent::kRolledBack;
    if (e.event == TrialEvent::kKept || e.event == TrialEvent::kVerified) EXPECT_FALSE(e.reason.empty());
  }
  EXPECT_EQ(started, 3);
  EXPECT_EQ(ended, 3);
  EXPECT_EQ(decisions, 3);
  EXPECT_EQ(agent.Snapshot().last.size(), 3u);

  // A request in flight holds the trial back until it ends.
  ForegroundLoad busy;
  busy.Begin();
  Agent polite(*searcher_, *registry_, *catalog_, busy, options);
  std::thread request([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    busy.End();
  });
  AgentResult waited = polite.RunTrial("docs_idx");
  request.join();
  EXPECT_EQ(busy.in_flight(), 0);
  EXPECT_NE(waited.event, TrialEvent::kFailed) << waited.reason;

  // A promotion the agent made but a stop cut off before it measured it again.
  TrialEntry cut;
  cut.run = "run-99";
  cut.by = Actor::kAgent;
  cut.event = TrialEvent::kPromoted;
  m = registry_->Get("docs_idx");  // the trial above may have promoted
  ASSERT_TRUE(m.ok());
  cut.champion = TunePoint{m->active->backend, {0.9, 0.1, 0.1, 400, 1}};
  ASSERT_TRUE(TrialJournal(*buckets_->Get(m->bucket), "docs_idx").Append(cut).ok());
  AgentResult verified = agent.RunTrial("docs_idx");
  EXPECT_EQ(verified.event, TrialEvent::kVerified) << verified.reason;
  EXPECT_EQ(agent.Enqueue("nope").code(), StatusCode::kNotFound);
  options.enabled = false;
  Agent off(*searcher_, *registry_, *catalog_, quiet, options);
  EXPECT_EQ(off.Enqueue("docs_idx").code(), StatusCode::kConflict);
}

}  // namespace lakehouse::vector::autotune
