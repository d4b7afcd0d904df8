// POST /vectors/indexes/{name}/eval through the real binary: an eval set in
// the request (inline or BEIR text), the measures it answers, its errors.
#include "e2e_helpers.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace fs = std::filesystem;

class EvalE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    std::string csv = "id,body\n";
    for (int i = 0; i < 200; ++i) {
      csv += std::to_string(i) + ",\"Answer " + std::to_string(i) + " about topic" + std::to_string(i % 7) +
             " with the word marker" + std::to_string(i) + "\"\n";
    }
    ASSERT_EQ(Upload(server_, "answers.csv", csv).status, 201);
    auto created = Post("/vectors/indexes", {{"name", "answers_idx"}, {"dataset", "answers"}, {"id_column", "id"},
                                             {"text_column", "body"}, {"backend", "hnsw"}, {"wait", true}});
    ASSERT_EQ(created.status, 201) << created.body.dump();
  }
  Reply Post(const std::string& path, const nlohmann::json& body) {
    return ToReply(server_.http().Post(path.c_str(), body.dump(), "application/json"));
  }
  ServerProcess server_;
};

TEST_F(EvalE2E, MeasuresAnInlineOrBeirSetAndRefusesBrokenOnes) {
  nlohmann::json queries = nlohmann::json::array();
  for (int i : {3, 50, 120}) {
    queries.push_back({{"id", "q" + std::to_string(i)}, {"text", "marker" + std::to_string(i)},
                       {"relevant", {{std::to_string(i), 1}}}});
  }
  auto text = Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"mode", "text"}});
  ASSERT_EQ(text.status, 200) << text.body.dump();
  EXPECT_EQ(text.body["queries"], 3);
  EXPECT_DOUBLE_EQ(text.body["ndcg_at_10"].get<double>(), 1.0) << "each marker word is in exactly its answer";
  EXPECT_DOUBLE_EQ(text.body["mrr_at_10"].get<double>(), 1.0);
  EXPECT_FALSE(text.body.contains("recall_vs_exact")) << "text mode has no vector list";
  auto hybrid = Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"ef", 16}});
  ASSERT_EQ(hybrid.status, 200) << hybrid.body.dump();
  EXPECT_EQ(hybrid.body["mode"], "hybrid");
  EXPECT_EQ(hybrid.body["text_weight"], 0.7);
  EXPECT_GE(hybrid.body["recall_vs_exact"]["at_k"].get<double>(), 0.0);
  EXPECT_LE(hybrid.body["recall_vs_exact"]["at_k"].get<double>(), 1.0);
  EXPECT_EQ(hybrid.body["recall_vs_exact"]["queries"], 3);
  EXPECT_GT(hybrid.body["latency_ms"]["p50"].get<double>(), 0.0);
  auto beir = Post("/vectors/indexes/answers_idx/eval",
                   {{"beir", {{"queries", "a\tmarker7\nb\tmarker8\n"}, {"qrels", "a\t7\t1\nb\t9\t1\n"}}}, {"mode", "text"}});
  ASSERT_EQ(beir.status, 200) << beir.body.dump();
  EXPECT_DOUBLE_EQ(beir.body["ndcg_at_10"].get<double>(), 0.5) << "b's judged answer is not the one with its word";
  auto unlabelled = Post("/vectors/indexes/answers_idx/eval", {{"queries", {{{"text", "topic3"}}}}, {"mode", "vector"}});
  ASSERT_EQ(unlabelled.status, 200) << unlabelled.body.dump();
  EXPECT_FALSE(unlabelled.body.contains("ndcg_at_10"));
  EXPECT_EQ(unlabelled.body["labelled_queries"], 0);

  for (const auto& bad : {nlohmann::json::object(), nlohmann::json{{"queries", nlohmann::json::array()}},
                          nlohmann::json{{"queries", {{{"id", "x"}}}}},
                          nlohmann::json{{"queries", {{{"text", "a"}, {"relevant", {{"1", "high"}}}}}}},
                          nlohmann::json{{"beir", {{"queries", "q1\n"}}}},
                          nlohmann::json{{"queries", queries}, {"text_weight", 2}},
                          nlohmann::json{{"queries", queries}, {"nprobe", 4}}}) {
    auto r = Post("/vectors/indexes/answers_idx/eval", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body.dump();
  }
  EXPECT_EQ(Post("/vectors/indexes/nope/eval", {{"queries", queries}}).status, 404);
}

TEST_F(EvalE2E, SetsAreKeptWithTheIndexAcrossRestartsAndMoves) {
  nlohmann::json body = {{"name", "markers"},
                         {"queries", {{{"id", "a"}, {"text", "marker11"}, {"relevant", {{"11", 1}}}},
                                      {{"id", "b"}, {"text", "topic2 answer"}}}}};
  auto added = Post("/vectors/indexes/answers_idx/evalsets", body);
  ASSERT_EQ(added.status, 201) << added.body.dump();
  EXPECT_EQ(added.body["queries"], 2);
  EXPECT_EQ(added.body["labelled"], 1);
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/evalsets", body).status, 409);
  body["replace"] = true;
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/evalsets", body).status, 201);
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/evalsets", {{"name", "../x"}, {"queries", body["queries"]}}).status, 400);
  auto listed = Get(server_, "/vectors/indexes/answers_idx/evalsets");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["evalsets"].size(), 1u);
  EXPECT_EQ(listed.body["evalsets"][0]["name"], "markers");
  auto run = [&] { return Post("/vectors/indexes/answers_idx/eval", {{"set", "markers"}, {"mode", "text"}}); };
  ASSERT_EQ(run().status, 200) << run().body.dump();
  EXPECT_EQ(run().body["set"], "markers");
  EXPECT_DOUBLE_EQ(run().body["ndcg_at_10"].get<double>(), 1.0);
  // A restart sweeps files no generation names: eval sets are not among them.
  server_.Stop();
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_EQ(Get(server_, "/vectors/indexes/answers_idx/evalsets/markers").body["queries"].size(), 2u);
  // They move with the index.
  ASSERT_EQ(Post("/storage/buckets", {{"name", "cold"}}).status, 201);
  auto moved = ToReply(server_.http().Patch("/vectors/indexes/answers_idx/bucket", R"({"bucket": "cold"})", "application/json"));
  ASSERT_EQ(moved.status, 200) << moved.body.dump();
  EXPECT_FALSE(std::filesystem::exists(server_.data_dir() / "vectors/answers_idx")) << "nothing left behind";
  EXPECT_EQ(run().status, 200);
  server_.Stop();
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_DOUBLE_EQ(run().body["ndcg_at_10"].get<double>(), 1.0);
  EXPECT_EQ(ToReply(server_.http().Delete("/vectors/indexes/answers_idx/evalsets/markers")).status, 200);
  EXPECT_EQ(ToReply(server_.http().Delete("/vectors/indexes/answers_idx/evalsets/markers")).status, 404);
  EXPECT_EQ(run().status, 404);
  EXPECT_EQ(Get(server_, "/vectors/indexes/nope/evalsets").status, 404);
}

TEST_F(EvalE2E, TuningKeepsTheBestWeightWithTheIndexAndEveryRunInItsHistory) {
  nlohmann::json queries = nlohmann::json::array();
  for (int i = 0; i < 12; ++i) {
    queries.push_back({{"id", "q" + std::to_string(i)}, {"text", "answer about marker" + std::to_string(i * 13)},
                       {"relevant", {{std::to_string(i * 13), 1}}}});
  }
  auto few = Post("/vectors/indexes/answers_idx/eval",
                  {{"queries", nlohmann::json::array({queries[0], queries[1]})}, {"tune", true}});
  EXPECT_EQ(few.status, 400) << few.body.dump();
  EXPECT_NE(few.body.dump().find("at least 10"), std::string::npos) << few.body.dump();
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"tune", true}, {"text_weight", 0.5}}).status,
            400);
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"tune", true}, {"mode", "text"}}).status,
            400);
  // Queries every weight ranks alike (nothing found) tune nothing.
  nlohmann::json blank = nlohmann::json::array();
  for (int i = 0; i < 12; ++i) blank.push_back({{"id", std::to_string(i)}, {"text", "zzz" + std::to_string(i)}, {"relevant", {{"1", 1}}}});
  auto flat = Post("/vectors/indexes/answers_idx/eval", {{"queries", blank}, {"tune", true}});
  EXPECT_EQ(flat.status, 400) << flat.body.dump();
  EXPECT_NE(flat.body.dump().find("nothing to tune"), std::string::npos) << flat.body.dump();
  auto stats = Get(server_, "/vectors/indexes/answers_idx/stats");
  EXPECT_TRUE(stats.body["last_eval"].is_null()) << "refused runs are not recorded";

  // Any k a search takes: the tuner's deeper lists are its own business.
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"tune", true}, {"k", 300}}).status, 200);
  auto tuned = Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"tune", true}});
  ASSERT_EQ(tuned.status, 200) << tuned.body.dump();
  const auto& tuning = tuned.body["tuning"];
  ASSERT_EQ(tuning["sweep"].size(), 21u);
  double best = 0;
  for (const auto& point : tuning["sweep"]) best = std::max(best, point["ndcg_at_10"].get<double>());
  EXPECT_DOUBLE_EQ(tuning["ndcg_at_10"].get<double>(), best);
  EXPECT_TRUE(tuning["previous"].is_number()) << "the k 300 run tuned first";
  const double chosen = tuning["chosen"].get<double>();
  EXPECT_DOUBLE_EQ(tuned.body["text_weight"].get<double>(), chosen) << "the run after tuning uses the weight";
  EXPECT_DOUBLE_EQ(tuned.body["ndcg_at_10"].get<double>(), best);

  // Kept: searches without a weight use it, across a restart.
  server_.Stop();
  ASSERT_TRUE(server_.Start()) << server_.log();
  auto index = Get(server_, "/vectors/indexes/answers_idx");
  EXPECT_DOUBLE_EQ(index.body["text_weight"].get<double>(), chosen);
  auto search = Post("/vectors/search/answers_idx", {{"text", "marker5"}, {"mode", "hybrid"}});
  ASSERT_EQ(search.status, 200) << search.body.dump();
  EXPECT_DOUBLE_EQ(search.body["text_weight"].get<double>(), chosen);
  stats = Get(server_, "/vectors/indexes/answers_idx/stats");
  ASSERT_TRUE(stats.body["last_eval"].is_object()) << stats.body.dump();
  EXPECT_EQ(stats.body["last_eval"]["tuned"], true);
  EXPECT_DOUBLE_EQ(stats.body["last_eval"]["ndcg_at_10"].get<double>(), best);
  EXPECT_TRUE(stats.body["last_recall"].is_number());

  // Every run is history, newest last, at most 20.
  for (int i = 0; i < 21; ++i) {
    ASSERT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"mode", "text"}}).status, 200);
  }
  index = Get(server_, "/vectors/indexes/answers_idx");
  ASSERT_EQ(index.body["evals"].size(), 20u);
  EXPECT_EQ(index.body["evals"].back()["mode"], "text");
  stats = Get(server_, "/vectors/indexes/answers_idx/stats");
  EXPECT_EQ(stats.body["last_eval"]["mode"], "text");
  EXPECT_TRUE(stats.body["last_recall"].is_null()) << "the hybrid runs that measured it left the history";

  // PATCH sets or clears it.
  auto patch = [&](const nlohmann::json& body) {
    return ToReply(server_.http().Patch("/vectors/indexes/answers_idx", body.dump(), "application/json"));
  };
  ASSERT_EQ(patch({{"text_weight", 0.25}}).status, 200);
  EXPECT_DOUBLE_EQ(Post("/vectors/search/answers_idx", {{"text", "x"}, {"mode", "hybrid"}}).body["text_weight"].get<double>(),
                   0.25);
  EXPECT_EQ(patch({{"text_weight", 1.5}}).status, 400);
  EXPECT_EQ(patch({{"text_weight", "high"}}).status, 400);
  ASSERT_EQ(patch({{"text_weight", nullptr}}).status, 200);
  EXPECT_DOUBLE_EQ(Post("/vectors/search/answers_idx", {{"text", "x"}, {"mode", "hybrid"}}).body["text_weight"].get<double>(),
                   0.7);
}

TEST_F(EvalE2E, SetsGeneratedFromTheIndexsOwnChunks) {
  auto made = Post("/vectors/indexes/answers_idx/evalsets", {{"name", "gen"}, {"generate", {{"queries", 40}, {"seed", 7}}}});
  ASSERT_EQ(made.status, 201) << made.body.dump();
  EXPECT_EQ(made.body["queries"], 40);
  EXPECT_EQ(made.body["labelled"], 40);
  auto set = Get(server_, "/vectors/indexes/answers_idx/evalsets/gen");
  ASSERT_EQ(set.status, 200);
  // Perturbed windows of real chunks: never a chunk verbatim, always labelled with its document.
  for (const auto& q : set.body["queries"]) {
    EXPECT_FALSE(q["text"].get<std::string>().empty());
    EXPECT_EQ(q["relevant"].size(), 1u);
  }
  // The same seed on the same generation makes the same set.
  ASSERT_EQ(Post("/vectors/indexes/answers_idx/evalsets", {{"name", "gen2"}, {"generate", {{"queries", 40}, {"seed", 7}}}}).status,
            201);
  EXPECT_EQ(Get(server_, "/vectors/indexes/answers_idx/evalsets/gen2").body["queries"], set.body["queries"]);
  auto run = Post("/vectors/indexes/answers_idx/eval", {{"set", "gen"}, {"mode", "text"}});
  ASSERT_EQ(run.status, 200) << run.body.dump();
  EXPECT_GT(run.body["ndcg_at_10"].get<double>(), 0.5) << "each keeps enough of its chunk's rare words";
  for (const auto& bad : {nlohmann::json{{"name", "g"}, {"generate", 5}}, nlohmann::json{{"name", "g"}, {"generate", {{"queries", 0}}}},
                          nlohmann::json{{"name", "g"}, {"generate", {{"queries", 20000}}}},
                          nlohmann::json{{"name", "g"}, {"generate", {{"queries", "many"}}}}}) {
    auto r = Post("/vectors/indexes/answers_idx/evalsets", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body.dump();
  }
  std::string out;
  ASSERT_EQ(server_.RunCli({"index", "evalset", "add", "answers_idx", "cli_gen", "--generate", "15"}, &out), 0) << out;
  EXPECT_EQ(Get(server_, "/vectors/indexes/answers_idx/evalsets/cli_gen").body["queries"].size(), 15u);
}

TEST_F(EvalE2E, ACandidateBackendIsMeasuredWithoutChangingTheIndex) {
  nlohmann::json queries = nlohmann::json::array();
  for (int i = 0; i < 30; ++i) {
    queries.push_back({{"id", "q" + std::to_string(i)}, {"text", "marker" + std::to_string(i * 6)},
                       {"relevant", {{std::to_string(i * 6), 1}}}});
  }
  auto flat = Post("/vectors/indexes/answers_idx/eval",
                   {{"queries", queries}, {"mode", "vector"}, {"candidate", {{"backend", "flat"}}}});
  ASSERT_EQ(flat.status, 200) << flat.body.dump();
  EXPECT_EQ(flat.body["candidate"]["kind"], "flat");
  EXPECT_DOUBLE_EQ(flat.body["recall_vs_exact"]["at_k"].get<double>(), 1.0) << "an exact scan is its own truth";
  auto sparse = Post("/vectors/indexes/answers_idx/eval",
                     {{"queries", queries},
                      {"mode", "vector"},
                      {"ef", 10},
                      {"candidate", {{"backend", "hnsw"}, {"backend_options", {{"m", 4}, {"ef_construction", 16}}}}}});
  ASSERT_EQ(sparse.status, 200) << sparse.body.dump();
  EXPECT_EQ(sparse.body["candidate"]["options"]["m"], 4);
  EXPECT_LE(sparse.body["recall_vs_exact"]["at_k"].get<double>(), 1.0);
  for (const auto& bad : {nlohmann::json{{"backend", "ivf_pq"}},  // 200 chunks: too few to train
                          nlohmann::json{{"backend", "hnsw"}, {"backend_options", {{"nlist", 8}}}},
                          nlohmann::json{{"backend", "annoy"}}}) {
    auto r = Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"candidate", bad}});
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body.dump();
  }
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"ef", 16}, {"candidate", {{"backend", "flat"}}}}).status,
            400) << "flat has no ef";
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"tune", true}, {"candidate", {{"backend", "flat"}}}}).status,
            400);
  EXPECT_EQ(Post("/vectors/indexes/answers_idx/eval", {{"queries", queries}, {"candidate", "flat"}}).status, 400);
  // The index is as it was; the runs are in its history, marked, and not its stats' last run.
  auto index = Get(server_, "/vectors/indexes/answers_idx");
  EXPECT_EQ(index.body["active"]["backend"]["kind"], "hnsw");
  ASSERT_EQ(index.body["evals"].size(), 2u);
  EXPECT_EQ(index.body["evals"][0]["candidate"]["kind"], "flat");
  EXPECT_TRUE(Get(server_, "/vectors/indexes/answers_idx/stats").body["last_eval"].is_null());
  std::string out;
  fs::path dir = server_.data_dir().parent_path();
  WriteFile(dir / "cq.tsv", "a\tmarker5\nb\tmarker6\n");
  ASSERT_EQ(server_.RunCli({"index", "eval", "answers_idx", "--queries", (dir / "cq.tsv").string(), "--mode", "vector",
                            "--backend", "hnsw", "--option", "m=8"},
                           &out),
            0)
      << out;
  EXPECT_NE(out.find("candidate: hnsw"), std::string::npos) << out;
}

TEST_F(EvalE2E, TheCliKeepsAndRunsSets) {
  fs::path dir = server_.data_dir().parent_path();
  WriteFile(dir / "q.tsv", "a\tmarker5\nb\tmarker6\n");
  WriteFile(dir / "r.tsv", "a\t5\t1\nb\t6\t1\n");
  std::string out;
  ASSERT_EQ(server_.RunCli({"index", "evalset", "add", "answers_idx", "cli_set", "--queries", (dir / "q.tsv").string(),
                            "--qrels", (dir / "r.tsv").string()},
                           &out),
            0)
      << out;
  out.clear();
  ASSERT_EQ(server_.RunCli({"index", "evalset", "list", "answers_idx"}, &out), 0) << out;
  EXPECT_NE(out.find("cli_set"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(server_.RunCli({"index", "eval", "answers_idx", "--set", "cli_set", "--mode", "text"}, &out), 0) << out;
  EXPECT_NE(out.find("nDCG@10            1.000"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(server_.RunCli({"index", "eval", "answers_idx", "--set", "cli_set", "--mode", "text", "--json"}, &out), 0)
      << out;
  auto report = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  EXPECT_DOUBLE_EQ(report["ndcg_at_10"].get<double>(), 1.0);
  // The server sees what the CLI stored.
  EXPECT_EQ(Get(server_, "/vectors/indexes/answers_idx/evalsets/cli_set").status, 200);
  EXPECT_NE(server_.RunCli({"index", "eval", "answers_idx"}, &out), 0) << "neither --queries nor --set";
}

}  // namespace lakehouse::testing
