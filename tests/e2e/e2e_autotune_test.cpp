// Autotune through the real binary: a run over HTTP and the CLI, its
// journal and summary, promotion and rollback, bad requests, and kill -9
// during a trial's build and during a promotion's build.
#include <chrono>
#include <thread>

#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

class AutotuneE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string csv = "id,body\n";
    const char* topics[] = {"invoice payment", "rocket launch", "tomato harvest", "database query", "violin concerto"};
    for (int i = 0; i < 1500; ++i) {
      csv += std::to_string(i) + ",\"Note " + std::to_string(i) + " on " + topics[i % 5] + " and word" +
             std::to_string(i % 97) + " with tag" + std::to_string(i % 31) + "\"\n";
    }
    ASSERT_EQ(Upload(server_, "notes.csv", csv).status, 201);
    auto created = Post("/vectors/indexes", {{"name", "notes_idx"}, {"dataset", "notes"}, {"id_column", "id"},
                                             {"text_column", "body"}, {"backend", "hnsw"},
                                             {"embedder", {{"provider", "hash"}, {"dimension", 64}}}, {"wait", true}});
    ASSERT_EQ(created.status, 201) << created.body.dump();
  }
  Reply Post(const std::string& path, const nlohmann::json& body) {
    return ToReply(server_.http().Post(path.c_str(), body.dump(), "application/json"));
  }
  nlohmann::json Serving() { return Get(server_, "/vectors/indexes/notes_idx/autotune").body["serving"]; }
  int Hits(const std::string& text) {
    auto r = Post("/vectors/search/notes_idx", {{"text", text}, {"k", 5}});
    return r.status == 200 ? static_cast<int>(r.body["hits"].size()) : -r.status;
  }
  ServerProcess server_;
};

TEST_F(AutotuneE2E, ARunKeepsItsChampionAndJournalAndAPromotionRollsBack) {
  const nlohmann::json before = Serving();
  auto run = Post("/vectors/indexes/notes_idx/autotune",
                  {{"wait", true}, {"target", 0.9}, {"backends", {"hnsw", "flat"}}, {"max_builds", 3}, {"queries", 50}});
  ASSERT_EQ(run.status, 200) << run.body.dump();
  EXPECT_EQ(run.body["run"], "run-1");
  EXPECT_LE(run.body["builds"].get<int>(), 3);
  ASSERT_TRUE(run.body["champion"].is_object()) << run.body.dump();
  EXPECT_GE(run.body["champion"]["quality"].get<double>(), 0.9);
  EXPECT_FALSE(run.body["frontier"].empty());
  auto state = Get(server_, "/vectors/indexes/notes_idx/autotune");
  EXPECT_EQ(state.body["last"]["run"], "run-1");
  EXPECT_TRUE(state.body["running"].is_null());
  auto trials = Get(server_, "/vectors/indexes/notes_idx/trials");
  ASSERT_EQ(trials.status, 200);
  const int builds = run.body["builds"];
  EXPECT_EQ(trials.body["total"], 2 * builds + 1) << "started and measured per build, then the run's end";
  EXPECT_EQ(trials.body["trials"][0]["event"], "started");
  EXPECT_EQ(trials.body["trials"].back()["event"], "run_finished");
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx/trials?limit=2").body["trials"].size(), 2u);
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx/trials?limit=x").status, 400);

  auto promoted = Post("/vectors/indexes/notes_idx/promote", {{"wait", true}});
  ASSERT_EQ(promoted.status, 200) << promoted.body.dump();
  EXPECT_EQ(promoted.body["serving"], run.body["champion"]["backend"]);
  ASSERT_EQ(promoted.body["history"].size(), 1u);
  EXPECT_EQ(promoted.body["history"][0]["from"], before);
  EXPECT_EQ(promoted.body["history"][0]["run"], "run-1");
  EXPECT_EQ(Hits("rocket launch"), 5);
  auto back = Post("/vectors/indexes/notes_idx/rollback", {{"wait", true}, {"reason", "checking"}});
  ASSERT_EQ(back.status, 200) << back.body.dump();
  EXPECT_EQ(back.body["serving"], before);
  EXPECT_EQ(back.body["history"][1]["kind"], "rollback");
  EXPECT_EQ(back.body["history"][1]["reason"], "checking");
  EXPECT_TRUE(back.body["history"][0]["rolled_back"]);
  EXPECT_EQ(Post("/vectors/indexes/notes_idx/rollback", nlohmann::json::object()).status, 409) << "nothing left to roll back";
  auto listed = Get(server_, "/vectors/promotions");
  ASSERT_EQ(listed.body["indexes"].size(), 1u);
  EXPECT_EQ(listed.body["indexes"][0]["history"].size(), 2u);
  EXPECT_EQ(listed.body["indexes"][0]["champion"], run.body["champion"]);

  // The CLI on the same data folder, and the journal it extends.
  std::string out, err;
  ASSERT_EQ(server_.RunCli({"index", "autotune", "notes_idx", "--backends", "flat", "--json"}, &out, &err), 0) << err;
  auto cli = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(cli.is_object()) << out;
  EXPECT_EQ(cli["run"], "run-2");
  EXPECT_EQ(cli["champion"]["backend"]["kind"], "flat");
  EXPECT_NE(err.find("build 1 of at most"), std::string::npos) << err;
  ASSERT_EQ(server_.RunCli({"index", "trials", "notes_idx", "--run", "run-2"}, &out), 0);
  EXPECT_NE(out.find("run_finished"), std::string::npos) << out;

  // In the background: 202, then the state shows it until it is done.
  auto queued = Post("/vectors/indexes/notes_idx/autotune", {{"backends", {"hnsw"}}, {"max_builds", 2}, {"queries", 20}});
  ASSERT_EQ(queued.status, 202) << queued.body.dump();
  nlohmann::json last;
  for (int i = 0; i < 600; ++i) {
    auto s = Get(server_, "/vectors/indexes/notes_idx/autotune").body;
    if (!s["queued"].get<bool>() && s["running"].is_null() && s["last"]["run"] == "run-3") {
      last = s;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(last.is_null()) << "the background run finished";
  EXPECT_TRUE(last["error"].is_null()) << last.dump();

  for (const auto& bad : {nlohmann::json{{"target", 1.5}}, nlohmann::json{{"metric", "speed"}},
                          nlohmann::json{{"backends", {"auto"}}}, nlohmann::json{{"backends", {"annoy"}}},
                          nlohmann::json{{"metric", "ndcg"}}, nlohmann::json{{"max_builds", 0}},
                          nlohmann::json{{"queries", 5}}, nlohmann::json{{"max_minutes", -1}},
                          nlohmann::json{{"mode", "text"}}, nlohmann::json{{"target", "high"}},
                          nlohmann::json{{"targt", 0.9}}}) {
    auto r = Post("/vectors/indexes/notes_idx/autotune", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body.dump();
    EXPECT_FALSE(ErrorMessage(r).empty());
  }
  EXPECT_EQ(Post("/vectors/indexes/notes_idx/autotune", {{"wait", true}, {"metric", "ndcg"}, {"set", "nope"}}).status, 404);
  EXPECT_EQ(Post("/vectors/indexes/notes_idx/autotune", {{"metric", "ndcg"}, {"set", "nope"}}).status, 404)
      << "checked before the run is queued";
  EXPECT_EQ(Post("/vectors/indexes/notes_idx/promote", {{"backend", "ivf_pq"}, {"backend_options", {{"pq_m", 7}}}}).status,
            400) << "64 dimensions do not split into 7 sub-vectors: refused before any build";
  EXPECT_EQ(Post("/vectors/indexes/nope/autotune", nlohmann::json::object()).status, 404);
  EXPECT_EQ(Post("/vectors/indexes/notes_idx/promote", {{"backend", "hnsw"}, {"backend_options", {{"m", 1}}}}).status, 400);
  EXPECT_EQ(Post("/vectors/indexes/notes_idx/promote", {{"backend", "auto"}}).status, 400);
}

TEST_F(AutotuneE2E, KillDuringATrialIsMarkedInterruptedAndDuringAPromotionCompletesOnRestart) {
  server_.Stop();
  server_.SetEnv("LAKEHOUSE_CRASH_AT", "autotune:during_build");
  ASSERT_TRUE(server_.Start()) << server_.log();
  Post("/vectors/indexes/notes_idx/autotune", {{"wait", true}, {"backends", {"hnsw"}}});  // dies in its first build
  ASSERT_TRUE(server_.WaitForExit(10000));
  server_.ClearEnv();
  ASSERT_TRUE(server_.Start()) << server_.log();
  auto trials = Get(server_, "/vectors/indexes/notes_idx/trials").body;
  ASSERT_EQ(trials["total"], 2) << trials.dump();
  EXPECT_EQ(trials["trials"][0]["event"], "started");
  EXPECT_EQ(trials["trials"][1]["event"], "interrupted");
  EXPECT_EQ(trials["trials"][1]["build"], trials["trials"][0]["build"]);
  EXPECT_TRUE(Get(server_, "/vectors/indexes/notes_idx/autotune").body["last"].is_null()) << "no half-run summary";
  EXPECT_EQ(Hits("tomato harvest"), 5);
  server_.Stop();
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(Get(server_, "/vectors/indexes/notes_idx/trials").body["total"], 2) << "marked once";

  const nlohmann::json before = Serving();
  server_.Stop();
  server_.SetEnv("LAKEHOUSE_CRASH_AT", "backend_change:before_publish");
  ASSERT_TRUE(server_.Start()) << server_.log();
  Post("/vectors/indexes/notes_idx/promote",
       {{"backend", "hnsw"}, {"backend_options", {{"m", 8}, {"ef_construction", 64}}}, {"wait", true}});  // dies
  ASSERT_TRUE(server_.WaitForExit(10000));
  server_.ClearEnv();
  ASSERT_TRUE(server_.Start()) << server_.log();
  // The shadow build resumes at start and publishes the promotion with it.
  nlohmann::json entry;
  for (int i = 0; i < 300; ++i) {
    entry = Get(server_, "/vectors/promotions").body["indexes"][0];
    if (entry["pending"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(entry["pending"].is_null()) << entry.dump();
  ASSERT_EQ(entry["history"].size(), 1u) << entry.dump();
  EXPECT_EQ(entry["history"][0]["from"], before);
  EXPECT_EQ(entry["serving"]["options"]["m"], 8);
  EXPECT_EQ(Hits("violin concerto"), 5);
}

}  // namespace lakehouse::testing

namespace lakehouse::testing {

// The agent on: its trials come from the enqueue route and from appends,
// every decision lands in the journal, and a kill -9 in a trial's build is
// marked interrupted at the next start.
class AgentE2E : public ::testing::Test {
 protected:
  AgentE2E() : server_("[agent]\nenabled = true\ncooldown_s = 0\ntarget_recall = 0.9\nqueries = 50\n") {}
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    ASSERT_EQ(Upload(server_, "notes.csv", Rows(0, 1200)).status, 201);
    auto created = ToReply(server_.http().Post(
        "/vectors/indexes",
        nlohmann::json{{"name", "notes_idx"}, {"dataset", "notes"}, {"id_column", "id"}, {"text_column", "body"},
                       {"backend", "hnsw"}, {"backend_options", {{"ef_search", 800}}},
                       {"embedder", {{"provider", "hash"}, {"dimension", 64}}}, {"wait", true}}
            .dump(),
        "application/json"));
    ASSERT_EQ(created.status, 201) << created.body.dump();
  }
  static std::string Rows(int from, int to) {
    std::string csv = "id,body\n";
    for (int i = from; i < to; ++i) {
      csv += std::to_string(i) + ",\"Entry " + std::to_string(i) + " word" + std::to_string(i % 89) + " tag" +
             std::to_string(i % 23) + "\"\n";
    }
    return csv;
  }
  // Waits until the agent has decided `count` times; its last results.
  nlohmann::json WaitForResults(size_t count) {
    nlohmann::json status;
    for (int i = 0; i < 1200; ++i) {
      status = Get(server_, "/vectors/agent/status").body;
      if (status["last"].size() >= count && status["running"].is_null()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  }
  ServerProcess server_;
};

TEST_F(AgentE2E, TrialsComeFromTheQueueAndFromAppendsAndEveryDecisionIsJournaled) {
  auto initial = Get(server_, "/vectors/agent/status");
  ASSERT_EQ(initial.status, 200);
  EXPECT_TRUE(initial.body["enabled"]);
  EXPECT_EQ(initial.body["max_trials_per_hour"], 6);
  auto queued = ToReply(server_.http().Post("/vectors/agent/enqueue/notes_idx", "", "application/json"));
  ASSERT_EQ(queued.status, 202) << queued.body.dump();
  EXPECT_EQ(ToReply(server_.http().Post("/vectors/agent/enqueue/nope", "", "application/json")).status, 404);
  auto status = WaitForResults(1);
  ASSERT_GE(status["last"].size(), 1u) << status.dump();
  const auto& first = status["last"][0];
  EXPECT_EQ(first["index"], "notes_idx");
  EXPECT_FALSE(first["reason"].get<std::string>().empty());
  EXPECT_TRUE(first["event"] == "verified" || first["event"] == "kept" || first["event"] == "rolled_back") << first.dump();
  EXPECT_EQ(status["trials_last_hour"], 1);
  EXPECT_EQ(status["budget_left_this_hour"], 5);
  auto trials = Get(server_, "/vectors/indexes/notes_idx/trials").body["trials"];
  ASSERT_GE(trials.size(), 3u) << trials.dump();
  EXPECT_EQ(trials[0]["by"], "agent");
  EXPECT_EQ(trials[0]["event"], "started");
  EXPECT_EQ(trials.back()["event"], first["event"]);

  // An append queues the dataset's indexes.
  ASSERT_EQ(Upload(server_, "notes.csv", Rows(1200, 1300), {{"mode", "append"}}).status, 201);
  status = WaitForResults(2);
  ASSERT_GE(status["last"].size(), 2u) << status.dump();
  EXPECT_EQ(status["trials_last_hour"], 2);
}

TEST_F(AgentE2E, AKillDuringATrialsBuildIsMarkedInterruptedAtTheNextStart) {
  server_.Stop();
  server_.SetEnv("LAKEHOUSE_CRASH_AT", "agent:during_build");
  ASSERT_TRUE(server_.Start()) << server_.log();
  ToReply(server_.http().Post("/vectors/agent/enqueue/notes_idx", "", "application/json"));
  ASSERT_TRUE(server_.WaitForExit(60000)) << "died in the trial's build";
  server_.ClearEnv();
  ASSERT_TRUE(server_.Start()) << server_.log();
  auto trials = Get(server_, "/vectors/indexes/notes_idx/trials").body["trials"];
  ASSERT_EQ(trials.size(), 2u) << trials.dump();
  EXPECT_EQ(trials[0]["event"], "started");
  EXPECT_EQ(trials[1]["event"], "interrupted");
  EXPECT_EQ(trials[1]["by"], "agent");
  auto search = ToReply(server_.http().Post("/vectors/search/notes_idx", R"({"text": "word7", "k": 3})", "application/json"));
  EXPECT_EQ(search.status, 200);
}

}  // namespace lakehouse::testing
