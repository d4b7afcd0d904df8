// Vector indexes through the real binary: create (synchronously and in the
// background), search with filters, modes and PII rules, staleness and
// refresh, the on_append policy, deletion rules, and the CLI on the same data.
#include <chrono>
#include <thread>
#include <tuple>

#include "e2e_helpers.h"

namespace lakehouse::testing {

namespace {

const char* kTopics[] = {"invoice payment overdue", "rocket engine launch", "garden tomato harvest",
                         "database index query"};

std::string Csv(int from, int to) {
  std::string csv = "id,region,year,body,email\n";
  for (int i = from; i < to; ++i) {
    csv += std::to_string(i) + ",r" + std::to_string(i % 4) + "," + std::to_string(2015 + i % 10) +
           ",\"Note " + std::to_string(i) + " on " + kTopics[i % 4] + ", keyword" + std::to_string(i) +
           ".\",person" + std::to_string(i) + "@example.org\n";
  }
  return csv;
}

}  // namespace

class VectorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    ASSERT_EQ(Upload(server_, "notes.csv", Csv(0, 400)).status, 201);
  }
  Reply Post(const std::string& path, const nlohmann::json& body, const httplib::Headers& headers = {}) {
    return ToReply(server_.http().Post(path.c_str(), headers, body.dump(), "application/json"));
  }
  Reply Delete(const std::string& path) { return ToReply(server_.http().Delete(path.c_str())); }
  nlohmann::json CreateBody(const std::string& name) {
    return {{"name", name}, {"dataset", "notes"}, {"id_column", "id"}, {"text_column", "body"}, {"chunk_size", 400},
            {"embedder", {{"provider", "hash"}}}};
  }
  // Polls GET /vectors/indexes/{name} until `done` holds (or 20 s pass).
  nlohmann::json WaitFor(const std::string& name, const std::function<bool(const nlohmann::json&)>& done) {
    nlohmann::json last;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      last = Get(server_, "/vectors/indexes/" + name).body;
      if (done(last)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
  }
  ServerProcess server_{"[vectors]\nscheduler_tick_ms = 200\n"};
};

TEST_F(VectorE2E, CreateSearchFilterAndPii) {
  auto body = CreateBody("notes_idx");
  body["wait"] = true;
  auto created = Post("/vectors/indexes", body);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_EQ(created.body["status"], "ready");
  EXPECT_EQ(created.body["active"]["doc_count"], 400);
  EXPECT_EQ(created.body["embedder"]["model"], "hash-768");
  // The API's view, not the stored manifest: counts and files, no labels or signatures.
  EXPECT_EQ(created.body["active"]["deleted_chunks"], 0);
  EXPECT_TRUE(created.body["active"]["files"]["text"].is_string());
  for (const char* internal : {"deleted_labels", "source_signature", "source_files", "next_label", "backend_file_crc32"}) {
    EXPECT_FALSE(created.body["active"].contains(internal)) << internal;
  }
  EXPECT_EQ(Get(server_, "/vectors/indexes").body["indexes"].size(), 1u);

  auto hits = Post("/vectors/search/notes_idx", {{"text", "keyword123 database"}, {"k", 5}});
  ASSERT_EQ(hits.status, 200) << hits.body.dump();
  ASSERT_EQ(hits.body["hits"].size(), 5u);
  EXPECT_EQ(hits.body["hits"][0]["doc_id"], "123");
  EXPECT_EQ(hits.body["hits"][0]["row"]["year"], 2018);
  EXPECT_EQ(hits.body["hits"][0]["row"]["email"], "[redacted]");
  EXPECT_EQ(hits.body["redacted_columns"], nlohmann::json({"email"}));

  auto filtered = Post("/vectors/search/notes_idx",
                       {{"text", "invoice payment"}, {"k", 10}, {"filter", "region = 'r1' AND year >= 2020"}});
  ASSERT_EQ(filtered.status, 200) << filtered.body.dump();
  EXPECT_EQ(filtered.body["hits"].size(), 10u);
  for (const auto& h : filtered.body["hits"]) {
    EXPECT_EQ(h["row"]["region"], "r1");
    EXPECT_GE(h["row"]["year"].get<int>(), 2020);
  }
  EXPECT_EQ(filtered.body["filter"]["matching_docs"], 60);  // i % 20 in {5, 9, 17}

  for (const char* mode : {"text", "hybrid"}) {
    auto r = Post("/vectors/search/notes_idx", {{"text", "keyword77"}, {"mode", mode}, {"k", 3}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["hits"][0]["doc_id"], "77") << mode;
  }

  // PII: without a key that has the pii grant (none here) asking is refused,
  // whatever header comes with it (PiiE2E tries the keys).
  auto refused = Post("/vectors/search/notes_idx", {{"text", "keyword5"}, {"include_pii", true}});
  EXPECT_EQ(refused.status, 403);
  auto old_token = Post("/vectors/search/notes_idx", {{"text", "keyword5"}, {"include_pii", true}},
                        {{"X-Lakehouse-Pii-Token", "guess"}});
  EXPECT_EQ(old_token.status, 403);

  // A PII column is not indexed unless the request allows it.
  auto pii = CreateBody("emails");
  pii["text_column"] = "email";
  EXPECT_EQ(Post("/vectors/indexes", pii).status, 403);
  EXPECT_EQ(Get(server_, "/vectors/indexes/emails").status, 404);

  EXPECT_EQ(Post("/vectors/search/missing", {{"text", "x"}}).status, 404);
  EXPECT_EQ(Post("/vectors/search/notes_idx", {{"text", "x"}, {"filter", "nope > 1"}}).status, 400);
  EXPECT_EQ(Post("/vectors/search/notes_idx", {{"text", "x"}, {"mode", "magic"}}).status, 400);
  EXPECT_EQ(Post("/vectors/search/notes_idx", {{"text", std::string(8193, 'a')}}).status, 400);
  EXPECT_EQ(Post("/vectors/search/notes_idx", {{"text", "x"}, {"mode", "hybrid"}, {"text_weight", nullptr}}).status, 200);
  EXPECT_EQ(Post("/vectors/indexes", {{"name", "x"}}).status, 400);
  auto keyed = CreateBody("keyed");
  keyed["embedder"] = {{"provider", "openai"}, {"model", "m"}, {"api_key", "sk-secret"}};
  auto key_refused = Post("/vectors/indexes", keyed);
  EXPECT_EQ(key_refused.status, 400);
  EXPECT_EQ(key_refused.body.dump().find("sk-secret"), std::string::npos);
  EXPECT_EQ(Post("/vectors/indexes", CreateBody("notes_idx")).status, 409);
  for (auto [field, value] : {std::pair{"text_stemmer", "snowball"}, {"stop_words", "french"}}) {
    auto odd = CreateBody("odd");
    odd[field] = value;
    auto r = Post("/vectors/indexes", odd);
    EXPECT_EQ(r.status, 400) << field;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(field), std::string::npos) << r.body.dump();
  }
  // New indexes match English stems and leave a question's function words out.
  EXPECT_EQ(created.body["text_stemmer"], "porter");
  EXPECT_EQ(created.body["stop_words"], "english");
}

TEST_F(VectorE2E, TheDefaultEmbedderSearchesByMeaning) {
  ASSERT_EQ(Upload(server_, "said.csv",
                   "id,text\n1,The cat sat on the mat all afternoon.\n"
                   "2,Stock markets fell sharply after the central bank raised interest rates.\n"
                   "3,Preheat the oven and bake the bread for forty minutes.\n")
                .status,
            201);
  auto created = Post("/vectors/indexes", {{"name", "said_idx"}, {"dataset", "said"}, {"id_column", "id"},
                                           {"text_column", "text"}, {"wait", true}});
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_EQ(created.body["embedder"]["provider"], "use-lite+hash");
  EXPECT_EQ(created.body["active"]["dimension"], 1280);
  // No word in common with what they find.
  for (auto [query, want] : {std::pair{"a kitten resting on a rug", "1"}, {"financial news about the economy", "2"},
                             {"cooking recipe", "3"}}) {
    auto r = Post("/vectors/search/said_idx", {{"text", query}, {"k", 1}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["hits"][0]["doc_id"], want) << query;
  }
}

TEST_F(VectorE2E, StaleDataIsListedAndRefreshEmbedsOnlyTheDelta) {
  auto body = CreateBody("notes_idx");
  body["wait"] = true;
  ASSERT_EQ(Post("/vectors/indexes", body).status, 201);
  auto noop = Post("/vectors/refresh/notes", nlohmann::json::object());
  ASSERT_EQ(noop.status, 200) << noop.body.dump();
  EXPECT_EQ(noop.body["chunks_embedded"], 0);
  EXPECT_TRUE(noop.body["indexes"][0]["stats"]["no_op"].get<bool>());

  ASSERT_EQ(Upload(server_, "notes.csv", Csv(400, 420), {{"name", "notes"}, {"mode", "append"}}).status, 201);
  // The CLI says the same: `index list` shows it stale, --json is what the API returns.
  std::string out;
  ASSERT_EQ(server_.RunCli({"index", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("STALE"), std::string::npos) << out;
  EXPECT_NE(out.find("ready    yes"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(server_.RunCli({"index", "list", "--json"}, &out), 0) << out;
  auto listed = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << out;
  EXPECT_TRUE(listed["indexes"][0]["stale"].get<bool>());
  EXPECT_EQ(listed["indexes"], Get(server_, "/vectors/indexes").body["indexes"]) << "what GET /vectors/indexes says";
  out.clear();
  ASSERT_EQ(server_.RunCli({"index", "search", "notes_idx", "keyword7", "--mode", "text", "--json"}, &out), 0) << out;
  auto searched = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(searched.is_object()) << out;
  ASSERT_FALSE(searched["hits"].empty());
  EXPECT_TRUE(searched["hits"][0]["row"].is_object()) << out;
  auto stale = Get(server_, "/vectors/stale");
  ASSERT_EQ(stale.body["datasets"].size(), 1u) << stale.body.dump();
  EXPECT_EQ(stale.body["datasets"][0]["dataset"], "notes");
  EXPECT_EQ(stale.body["indexes"][0]["index"], "notes_idx");
  EXPECT_EQ(stale.body["indexes"][0]["refresh_policy"]["mode"], "manual");

  auto delta = Post("/vectors/refresh/notes", nlohmann::json::object());
  ASSERT_EQ(delta.status, 200) << delta.body.dump();
  EXPECT_EQ(delta.body["chunks_embedded"], 20);
  EXPECT_EQ(delta.body["indexes"][0]["stats"]["docs_added"], 20);
  EXPECT_TRUE(Get(server_, "/vectors/stale").body["datasets"].empty());
  auto found = Post("/vectors/search/notes_idx", {{"text", "keyword410"}, {"k", 1}});
  EXPECT_EQ(found.body["hits"][0]["doc_id"], "410");
  EXPECT_EQ(Post("/vectors/refresh/nothing_here", nlohmann::json::object()).status, 404);
}

TEST_F(VectorE2E, BackgroundBuildAndOnAppendPolicy) {
  auto body = CreateBody("live_idx");
  body["refresh_policy"] = "on_append";
  auto accepted = Post("/vectors/indexes", body);
  ASSERT_EQ(accepted.status, 202) << accepted.body.dump();
  auto ready = WaitFor("live_idx", [](const nlohmann::json& j) { return j["status"] == "ready"; });
  ASSERT_EQ(ready["status"], "ready") << ready.dump();
  ASSERT_EQ(Upload(server_, "notes.csv", Csv(400, 450), {{"name", "notes"}, {"mode", "append"}}).status, 201);
  auto refreshed = WaitFor("live_idx", [](const nlohmann::json& j) { return j["active"]["doc_count"] == 450; });
  EXPECT_EQ(refreshed["active"]["doc_count"], 450) << refreshed.dump();
  EXPECT_FALSE(refreshed["stale"].get<bool>());

  // The CLI sees the same index; a model change is re-embedded in the background.
  std::string out;
  ASSERT_EQ(server_.RunCli({"index", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("live_idx"), std::string::npos);
  auto patched = ToReply(server_.http().Patch("/vectors/indexes/live_idx",
                                              nlohmann::json{{"embedder", {{"provider", "hash"}, {"dimension", 128}}}}.dump(),
                                              "application/json"));
  ASSERT_EQ(patched.status, 202) << patched.body.dump();
  auto switched = WaitFor("live_idx", [](const nlohmann::json& j) { return j["embedder"]["model"] == "hash-128"; });
  EXPECT_EQ(switched["active"]["dimension"], 128) << switched.dump();
  EXPECT_EQ(Post("/vectors/search/live_idx", {{"text", "keyword3"}, {"k", 1}}).body["model"], "hash-128");
}

TEST_F(VectorE2E, DatasetsWithIndexesAreNotDeletedUntilTheIndexIsDropped) {
  auto body = CreateBody("notes_idx");
  body["wait"] = true;
  ASSERT_EQ(Post("/vectors/indexes", body).status, 201);
  auto refused = Delete("/catalog/datasets/by-name/notes");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(ErrorMessage(refused).find("notes_idx"), std::string::npos);
  EXPECT_EQ(Delete("/vectors/indexes/notes_idx").status, 200);
  EXPECT_FALSE(std::filesystem::exists(server_.data_dir() / "vectors" / "notes_idx"));
  EXPECT_EQ(Delete("/vectors/indexes/notes_idx").status, 404);
  EXPECT_EQ(Delete("/catalog/datasets/by-name/notes").status, 200);
  if (HasFailure()) std::cerr << server_.log();
}

TEST_F(VectorE2E, EachBackendThroughHttpWithItsKnobs) {
  for (const char* backend : {"flat", "hnsw", "ivf_pq"}) {
    auto body = CreateBody(std::string(backend) + "_idx");
    body["wait"] = true;
    body["backend"] = backend;
    auto created = Post("/vectors/indexes", body);
    ASSERT_EQ(created.status, 201) << backend << ": " << created.body.dump();
    EXPECT_EQ(created.body["backend"]["kind"], backend);
    EXPECT_EQ(created.body["active"]["backend"]["kind"], backend);
    nlohmann::json search = {{"text", "Note 123 keyword123"}, {"k", 3}};
    if (std::string(backend) == "ivf_pq") search["nprobe"] = 4, search["refine_factor"] = 20;
    if (std::string(backend) == "hnsw") search["ef"] = 128;
    auto r = Post("/vectors/search/" + std::string(backend) + "_idx", search);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["hits"][0]["doc_id"], "123") << r.body.dump();
    EXPECT_EQ(r.body["strategy"], backend);
    // Doc fetch by id and stats, through the same routes for every backend.
    auto doc = Get(server_, "/vectors/indexes/" + std::string(backend) + "_idx/docs/123?vectors=true");
    ASSERT_EQ(doc.status, 200) << doc.body.dump();
    EXPECT_EQ(doc.body["chunks"][0]["text"], "Note 123 on database index query, keyword123.");
    EXPECT_EQ(doc.body["chunks"][0]["vector"].size(), 768u);
    EXPECT_EQ(Get(server_, "/vectors/indexes/" + std::string(backend) + "_idx/docs/999999").status, 404);
    EXPECT_EQ(Get(server_, "/vectors/indexes/" + std::string(backend) + "_idx/docs/1?vectors=maybe").status, 400);
    auto stats = Get(server_, "/vectors/indexes/" + std::string(backend) + "_idx/stats");
    ASSERT_EQ(stats.status, 200) << stats.body.dump();
    EXPECT_EQ(stats.body["backend"]["kind"], backend);
    EXPECT_EQ(stats.body["vectors"], 400);
    EXPECT_EQ(stats.body["documents"], 400);
    EXPECT_GT(stats.body["memory"]["bytes_per_vector"].get<double>(), 0);
    EXPECT_GT(stats.body["disk"]["bytes"].get<double>(), 0);
    // A knob of another backend names itself and the backend's own.
    auto wrong = Post("/vectors/search/" + std::string(backend) + "_idx",
                      {{"text", "x"}, {std::string(backend) == "ivf_pq" ? "ef" : "nprobe", 4}});
    EXPECT_EQ(wrong.status, 400) << wrong.body.dump();
    EXPECT_NE(ErrorMessage(wrong).find("does not apply to this index's backend"), std::string::npos)
        << ErrorMessage(wrong);
  }
  // Stored defaults change without a rebuild.
  auto patched = ToReply(server_.http().Patch("/vectors/indexes/ivf_pq_idx", nlohmann::json{{"nprobe", 2}}.dump(),
                                              "application/json"));
  ASSERT_EQ(patched.status, 200) << patched.body.dump();
  EXPECT_EQ(patched.body["active"]["backend"]["options"]["nprobe"], 2);
  // What needs a new index is refused, not ignored.
  auto fixed = ToReply(server_.http().Patch("/vectors/indexes/ivf_pq_idx",
                                            nlohmann::json{{"redact_pii_spans", true}}.dump(), "application/json"));
  EXPECT_EQ(fixed.status, 400) << fixed.body.dump();
  EXPECT_NE(fixed.body.dump().find("cannot be changed on an existing index"), std::string::npos) << fixed.body.dump();
  // Another backend, built from the stored vectors: waited for, then in the background.
  auto moved = ToReply(server_.http().Patch("/vectors/indexes/hnsw_idx",
                                            nlohmann::json{{"backend", "ivf_pq"}, {"wait", true}}.dump(),
                                            "application/json"));
  ASSERT_EQ(moved.status, 200) << moved.body.dump();
  EXPECT_EQ(moved.body["active"]["backend"]["kind"], "ivf_pq");
  EXPECT_EQ(moved.body["last_build"]["chunks_embedded"], 0);
  auto after_move = Post("/vectors/search/hnsw_idx", {{"text", "Note 321 keyword321"}, {"k", 1}});
  EXPECT_EQ(after_move.body["hits"][0]["doc_id"], "321") << after_move.body.dump();
  EXPECT_EQ(after_move.body["strategy"], "ivf_pq");
  auto queued = ToReply(server_.http().Patch("/vectors/indexes/flat_idx", nlohmann::json{{"backend", "hnsw"}}.dump(),
                                             "application/json"));
  ASSERT_EQ(queued.status, 202) << queued.body.dump();
  EXPECT_EQ(queued.body["pending_backend"]["kind"], "hnsw");
  auto done = WaitFor("flat_idx", [](const nlohmann::json& j) { return j["active"]["backend"]["kind"] == "hnsw"; });
  EXPECT_EQ(done["active"]["backend"]["kind"], "hnsw") << done.dump();
  EXPECT_TRUE(done["pending_backend"].is_null());
  auto same = ToReply(server_.http().Patch("/vectors/indexes/flat_idx", nlohmann::json{{"backend", "hnsw"}}.dump(),
                                           "application/json"));
  EXPECT_EQ(same.status, 400) << same.body.dump();
  // auto: a corpus this small is searched exactly.
  auto body = CreateBody("auto_idx");
  body["wait"] = true;
  auto created = Post("/vectors/indexes", body);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_EQ(created.body["backend"]["kind"], "auto");
  EXPECT_EQ(created.body["active"]["backend"]["kind"], "flat");
  // Bad requests say what is wrong.
  for (const auto& [field, value, words] : std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"backend", "annoy", "backend must be auto, flat, hnsw or ivf_pq"},
           {"backend_options", nlohmann::json{{"m", 4}}, "backend auto takes no options"},
           {"backend_options", nlohmann::json{{"m", "x"}}, "field 'backend_options.m' must be an integer"}}) {
    auto bad = CreateBody("bad_idx");
    bad[field] = value;
    auto r = Post("/vectors/indexes", bad);
    EXPECT_EQ(r.status, 400) << r.body.dump();
    EXPECT_NE(ErrorMessage(r).find(words), std::string::npos) << ErrorMessage(r);
  }
  auto unknown = CreateBody("bad_idx");
  unknown["backend"] = "hnsw";
  unknown["backend_options"] = {{"nlist", 8}};
  auto r = Post("/vectors/indexes", unknown);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(ErrorMessage(r).find("hnsw has no option 'nlist'"), std::string::npos) << ErrorMessage(r);
  // The CLI takes the same choices.
  std::string out, err;
  ASSERT_EQ(server_.RunCli({"index", "create", "cli_idx", "--dataset", "notes", "--id-column", "id", "--text-column",
                            "body", "--backend", "ivf_pq", "--option", "nlist=8", "--provider", "hash"},
                           &out, &err),
            0)
      << err;
  EXPECT_NE(out.find("ivf_pq"), std::string::npos) << out;
  ASSERT_EQ(server_.RunCli({"index", "search", "cli_idx", "keyword77", "-k", "1", "--nprobe", "8", "--json"}, &out, &err), 0)
      << err;
  EXPECT_NE(out.find("\"doc_id\": \"77\""), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(server_.RunCli({"index", "stats", "cli_idx"}, &out, &err), 0) << err;
  EXPECT_EQ(nlohmann::json::parse(out)["backend"]["kind"], "ivf_pq") << out;
  ASSERT_EQ(server_.RunCli({"index", "doc", "cli_idx", "77"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("keyword77"), std::string::npos) << out;
  EXPECT_NE(server_.RunCli({"index", "doc", "cli_idx", "nope"}, &out, &err), 0);
  EXPECT_NE(err.find("has no document 'nope'"), std::string::npos) << err;
  EXPECT_NE(server_.RunCli({"index", "create", "x_idx", "--dataset", "notes", "--id-column", "id", "--text-column",
                            "body", "--option", "nlist"},
                           &out, &err),
            0);
  EXPECT_NE(err.find("--option takes KEY=INTEGER"), std::string::npos) << err;
}

}  // namespace lakehouse::testing
