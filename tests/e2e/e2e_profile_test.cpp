// Model profiles end to end: the real binary, the Ollama stand-in (real
// protocol, in this process) and the nvidia-smi stand-in on the server's
// PATH. Two profiles share an embedding model; switching keeps it loaded,
// frees the other, and scoped search stays inside each profile's space.
#include <gtest/gtest.h>

#include <thread>

#include "e2e_helpers.h"
#include "fake_model_server.h"
#include "fixtures.h"

namespace lakehouse::testing {

namespace {

using nlohmann::json;
constexpr int64_t kMiB = 1 << 20;

std::string FixturesBin() { return std::string(std::getenv("LAKEHOUSE_SOURCE_DIR")) + "/tests/fixtures/bin"; }

class ProfileE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddModel("nomic-embed-text", {true, 274 * kMiB, 8});
    fake_.AddModel("qwen2.5", {false, 4700 * kMiB});
    fake_.AddModel("mistral", {false, 4100 * kMiB});
    server_ = std::make_unique<ServerProcess>("[profiles]\nollama_url = \"" + fake_.url() +
                                              "\"\nunload_timeout_ms = 1500\n[vectors]\nollama_url = \"" + fake_.url() +
                                              "\"\n[inbox]\nenabled = false\n");
    server_->SetEnv("PATH", FixturesBin() + ":" + std::getenv("PATH"));
    server_->SetEnv("LAKEHOUSE_FAKE_GPU_FILE", gpu_file_.string());
    ASSERT_TRUE(server_->Start()) << server_->log();
    ASSERT_EQ(Upload(*server_, "notes.csv",
                     "id,body\n1,the quarterly budget review meeting\n2,hiring a senior data engineer\n"
                     "3,installing the database driver\n4,the recruiter called about the role\n")
                  .status,
              201);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(gpu_file_.parent_path(), ec);
  }

  Reply Post(const std::string& path, const json& body) {
    return ToReply(server_->http().Post(path.c_str(), body.dump(), "application/json"));
  }
  Reply Patch(const std::string& path, const json& body) {
    return ToReply(server_->http().Patch(path.c_str(), body.dump(), "application/json"));
  }
  Reply Delete(const std::string& path) { return ToReply(server_->http().Delete(path.c_str())); }
  json Profile(const std::string& id, const std::string& llm) {
    return {{"id", id},
            {"description", id + " work"},
            {"embedder", {{"provider", "ollama"}, {"model", "nomic-embed-text"}}},
            {"llm", {{"provider", "ollama"}, {"model", llm}}},
            {"backend", {{"kind", "hnsw"}, {"options", {{"m", 8}}}}},
            {"bucket", id + "_bucket"}};
  }
  json Index(const std::string& name, const std::string& profile) {
    json body = {{"name", name}, {"dataset", "notes"}, {"id_column", "id"}, {"text_column", "body"}, {"wait", true}};
    if (!profile.empty()) body["profile"] = profile;
    return body;
  }
  std::vector<std::string> VramModels() {
    std::vector<std::string> out;
    auto vram = Get(*server_, "/admin/vram");
    for (const auto& m : vram.body["models"]) out.push_back(m["model"]);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::filesystem::path gpu_file_ = MakeTempDir("gpu") / "gpu";
  FakeModelServer fake_{gpu_file_, 24576};
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace

TEST_F(ProfileE2E, TwoProfilesShareTheGpuSlotAndScopedSearchStaysInItsSpace) {
  auto vram = Get(*server_, "/admin/vram");
  ASSERT_EQ(vram.status, 200) << vram.body.dump();
  EXPECT_TRUE(vram.body["gpu"]["present"].get<bool>()) << vram.body.dump();
  EXPECT_EQ(vram.body["gpu"]["total_mib"], 24576);
  EXPECT_TRUE(vram.body["model_server"]["reachable"].get<bool>());

  ASSERT_EQ(Post("/vectors/profiles", Profile("staffing", "qwen2.5")).status, 201);
  ASSERT_EQ(Post("/vectors/profiles", Profile("docs", "mistral")).status, 201);
  EXPECT_EQ(Post("/vectors/profiles", Profile("docs", "mistral")).status, 409);
  auto listed = Get(*server_, "/vectors/profiles");
  ASSERT_EQ(listed.body["profiles"].size(), 2u);

  // Indexes take their profile's embedder, backend and bucket.
  auto staff = Post("/vectors/indexes", Index("staff_idx", "staffing"));
  ASSERT_EQ(staff.status, 201) << staff.body.dump();
  EXPECT_EQ(staff.body["profile"], "staffing");
  EXPECT_EQ(staff.body["bucket"], "staffing_bucket");
  EXPECT_EQ(staff.body["embedder"]["provider"], "ollama");
  EXPECT_EQ(staff.body["active"]["backend"]["kind"], "hnsw");
  EXPECT_EQ(staff.body["vector_space"],
            json({{"profile", "staffing"}, {"provider", "ollama"}, {"model", "nomic-embed-text"}, {"dimension", 8}}));
  ASSERT_EQ(Post("/vectors/indexes", Index("docs_idx", "docs")).status, 201);
  json plain = Index("plain_idx", "");
  plain["embedder"] = {{"provider", "hash"}};
  ASSERT_EQ(Post("/vectors/indexes", plain).status, 201);
  json both = Index("both_idx", "docs");
  both["embedder"] = {{"provider", "hash"}};
  EXPECT_EQ(Post("/vectors/indexes", both).status, 400);

  auto first = Post("/vectors/profile/staffing/activate", json::object());
  ASSERT_EQ(first.status, 200) << first.body.dump();
  EXPECT_EQ(first.body["preloaded"].size(), 2u);
  EXPECT_EQ(VramModels(), (std::vector<std::string>{"nomic-embed-text:latest", "qwen2.5:latest"}));
  auto active = Get(*server_, "/vectors/profile/active");
  EXPECT_EQ(active.body["active"], "staffing");
  for (const auto& m : active.body["models"]) EXPECT_TRUE(m["loaded"].get<bool>()) << active.body.dump();

  auto hits = Post("/vectors/profile/staffing/search/staff_idx", {{"text", "recruiter"}, {"k", 2}});
  ASSERT_EQ(hits.status, 200) << hits.body.dump();
  EXPECT_EQ(hits.body["profile"], "staffing");
  EXPECT_EQ(hits.body["hits"].size(), 2u);
  // The query embedding kept the profile's keep_alive, not Ollama's 5 minutes.
  EXPECT_EQ(fake_.bodies("/api/embed").back()["keep_alive"], "30m");
  auto cross = Post("/vectors/profile/staffing/search/docs_idx", {{"text", "driver"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_NE(ErrorMessage(cross).find("belongs to profile 'docs'"), std::string::npos) << ErrorMessage(cross);
  EXPECT_EQ(Post("/vectors/profile/docs/search/staff_idx", {{"text", "driver"}}).status, 403);
  EXPECT_EQ(Post("/vectors/profile/staffing/search/plain_idx", {{"text", "driver"}}).status, 403);
  EXPECT_EQ(Post("/vectors/profile/nobody/search/staff_idx", {{"text", "driver"}}).status, 404);
  EXPECT_EQ(Post("/vectors/search/docs_idx", {{"text", "driver"}}).status, 200);  // plain search as before

  // The switch frees qwen on the GPU, keeps the shared embedder.
  auto second = Post("/vectors/profile/docs/activate", json::object());
  ASSERT_EQ(second.status, 200) << second.body.dump();
  EXPECT_EQ(second.body["unloaded"][0]["model"], "qwen2.5:latest");
  EXPECT_GE(second.body["unloaded"][0]["freed_mib"].get<int64_t>(), 4700);
  EXPECT_EQ(second.body["kept"], json::array({"nomic-embed-text:latest"}));
  EXPECT_EQ(VramModels(), (std::vector<std::string>{"mistral:latest", "nomic-embed-text:latest"}));

  // A model that will not leave: 504 naming it, docs keeps the slot.
  fake_.SetFault("mistral", FakeModelServer::Fault::kNeverUnloads);
  auto stuck = Post("/vectors/profile/staffing/activate", json::object());
  EXPECT_EQ(stuck.status, 504) << stuck.body.dump();
  EXPECT_NE(ErrorMessage(stuck).find("mistral:latest"), std::string::npos) << ErrorMessage(stuck);
  EXPECT_EQ(Get(*server_, "/vectors/profile/active").body["active"], "docs");
  EXPECT_EQ(Post("/admin/unload", {{"model", "mistral"}}).status, 504);
  fake_.SetFault("mistral", FakeModelServer::Fault::kNeverUnloads, false);
  auto unloaded = Post("/admin/unload", {{"model", "mistral"}});
  EXPECT_EQ(unloaded.status, 200) << unloaded.body.dump();
  auto preloaded = Post("/admin/preload", {{"model", "mistral"}, {"keep_alive", "10m"}});
  ASSERT_EQ(preloaded.status, 200) << preloaded.body.dump();
  EXPECT_EQ(preloaded.body["kind"], "llm");
  EXPECT_EQ(Post("/admin/preload", {{"model", "nope"}}).status, 404);
  EXPECT_EQ(Post("/admin/preload", {{"model", "x", }, {"keep_alive", "forever"}}).status, 400);
  EXPECT_EQ(Post("/admin/unload", {{"model", "$(reboot)"}}).status, 400);
  EXPECT_EQ(Post("/admin/unload", json::object()).status, 400);

  // A budget the models do not fit: 409 before anything moves.
  ASSERT_EQ(Patch("/vectors/profiles/staffing", {{"vram_budget_mib", 1024}}).status, 200);
  auto tight = Post("/vectors/profile/staffing/activate", json::object());
  EXPECT_EQ(tight.status, 409) << tight.body.dump();
  EXPECT_NE(ErrorMessage(tight).find("vram_budget_mib is 1024"), std::string::npos) << ErrorMessage(tight);
  EXPECT_EQ(Get(*server_, "/vectors/profile/active").body["active"], "docs");

  // What cannot change or go while in use.
  EXPECT_EQ(Patch("/vectors/profiles/staffing", {{"embedder", {{"provider", "hash"}}}}).status, 409);
  EXPECT_EQ(Patch("/vectors/profiles/staffing", {{"colour", "red"}}).status, 400);
  EXPECT_EQ(Patch("/vectors/profiles/staffing", {{"id", "other"}}).status, 400);
  EXPECT_EQ(Delete("/vectors/profiles/docs").status, 409);      // holds the slot
  EXPECT_EQ(Delete("/vectors/profiles/staffing").status, 409);  // has an index
  EXPECT_EQ(Post("/vectors/profile/staffing/deactivate", json::object()).status, 409);
  auto off = Post("/vectors/profile/docs/deactivate", json::object());
  EXPECT_EQ(off.status, 200) << off.body.dump();
  EXPECT_TRUE(Get(*server_, "/vectors/profile/active").body["active"].is_null());

  // Hostile bodies and names.
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "../../etc"}}).status, 400);
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "x"}, {"embedder", {{"provider", "ollama"}}}}).status, 400);
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "x"}, {"backend", {{"kind", "annoy"}}}}).status, 400);
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "x"}, {"backend", {{"kind", "hnsw"}, {"options", {{"m", -4}}}}}}).status, 400);
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "x"}, {"created_at", "2020-01-01T00:00:00Z"}}).status, 400);
  EXPECT_EQ(ToReply(server_->http().Post("/vectors/profiles", "{not json", "application/json")).status, 400);
  EXPECT_EQ(Get(*server_, "/vectors/profiles/bad%20id").status, 400);
  EXPECT_EQ(Get(*server_, "/vectors/profiles/..").status, 400);
  EXPECT_EQ(Get(*server_, "/health").status, 200);
}

TEST_F(ProfileE2E, ASearchDuringASwitchWaitsForIt) {
  ASSERT_EQ(Post("/vectors/profiles", Profile("staffing", "qwen2.5")).status, 201);
  ASSERT_EQ(Post("/vectors/profiles", Profile("docs", "mistral")).status, 201);
  ASSERT_EQ(Post("/vectors/indexes", Index("docs_idx", "docs")).status, 201);
  ASSERT_EQ(Post("/vectors/profile/staffing/activate", json::object()).status, 200);
  fake_.load_ms = 800;  // mistral takes this long to load
  std::thread switcher([&] { EXPECT_EQ(Post("/vectors/profile/docs/activate", json::object()).status, 200); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto asked = std::chrono::steady_clock::now();
  auto hits = Post("/vectors/profile/docs/search/docs_idx", {{"text", "driver"}, {"k", 1}});
  auto waited = std::chrono::steady_clock::now() - asked;
  switcher.join();
  EXPECT_EQ(hits.status, 200) << hits.body.dump();
  // It was held until the switch was whole (mistral's load had 600 ms to
  // go); a search on its own answers in milliseconds.
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_EQ(Get(*server_, "/vectors/profile/active").body["active"], "docs");
}

TEST_F(ProfileE2E, AKillDuringASwitchIsReconciledAtTheNextStart) {
  ASSERT_EQ(Post("/vectors/profiles", Profile("staffing", "qwen2.5")).status, 201);
  ASSERT_EQ(Post("/vectors/profiles", Profile("docs", "mistral")).status, 201);
  ASSERT_EQ(Post("/vectors/profile/staffing/activate", json::object()).status, 200);

  // Killed once qwen was unloaded, before mistral loaded: neither profile is
  // whole, and the restarted server says so rather than claiming either.
  // Restarts with the crash point set, asks for the switch to docs, and
  // starts again once it died there.
  auto crash_switching_to_docs = [&](const std::string& point) {
    server_->Stop();
    server_->SetEnv("LAKEHOUSE_CRASH_AT", point);
    ASSERT_TRUE(server_->Start());
    Post("/vectors/profile/docs/activate", json::object());
    ASSERT_TRUE(server_->WaitForExit(10000));
    server_->SetEnv("LAKEHOUSE_CRASH_AT", "");
    ASSERT_TRUE(server_->Start()) << server_->log();
  };
  crash_switching_to_docs("profile_switch:after_unload");
  auto active = Get(*server_, "/vectors/profile/active");
  EXPECT_TRUE(active.body["active"].is_null()) << active.body.dump();
  ASSERT_TRUE(active.body["reconciled"].is_object()) << active.body.dump();
  EXPECT_EQ(active.body["reconciled"]["to"], "docs");
  EXPECT_EQ(active.body["reconciled"]["phase"], "unloading");

  // Killed after docs' models loaded, before the slot was recorded: /api/ps
  // lists them all, so docs holds the slot after the restart.
  ASSERT_EQ(Post("/vectors/profile/staffing/activate", json::object()).status, 200);
  crash_switching_to_docs("profile_switch:before_commit");
  active = Get(*server_, "/vectors/profile/active");
  EXPECT_EQ(active.body["active"], "docs") << active.body.dump();
  EXPECT_EQ(active.body["reconciled"]["phase"], "preloading");
  EXPECT_TRUE(active.body["switching"].is_null());
}

TEST_F(ProfileE2E, TheActiveProfilesLlmIsAskedForMigrationRules) {
  ASSERT_EQ(Post("/vectors/profiles", Profile("docs", "mistral")).status, 201);
  ASSERT_EQ(Post("/vectors/profile/docs/activate", json::object()).status, 200);
  ASSERT_EQ(Upload(*server_, "p.csv", "id,fname,lname\n1,Ana,Lima\n", {{"name", "people"}}).status, 201);
  auto changed = Upload(*server_, "p2.csv", "id,display\n1,Ana Lima\n", {{"name", "people"}, {"mode", "replace"}});
  ASSERT_EQ(changed.status, 201) << changed.body.dump();
  bool asked = false;
  for (const auto& body : fake_.bodies("/api/generate")) {
    if (body.value("prompt", "").find("fname VARCHAR") != std::string::npos) {
      asked = true;
      EXPECT_EQ(body["model"], "mistral");
    }
  }
  EXPECT_TRUE(asked);
  // The stand-in answers no rules: the answer is refused, as any unusable one is.
  EXPECT_NE(changed.body["schema_diff"]["llm_status"].get<std::string>().find("invalid answer"), std::string::npos)
      << changed.body["schema_diff"].dump();
}

TEST_F(ProfileE2E, DamagedProfileFilesAreReportedAndTheServerStillStarts) {
  ASSERT_EQ(Post("/vectors/profiles", Profile("docs", "mistral")).status, 201);
  ASSERT_EQ(Post("/vectors/profile/docs/activate", json::object()).status, 200);
  server_->Stop();
  auto catalog = server_->data_dir() / "_catalog";
  WriteFile(catalog / "profiles" / "broken.json", R"({"id":"broken","embedder":{"provider":7}})");
  WriteFile(catalog / "profile_slot.json",
            R"({"active":"docs","switching":{"from":"docs","to":"x","phase":5},"last_switch":{"preloaded":"no"}})");
  ASSERT_TRUE(server_->Start()) << server_->log();
  auto listed = Get(*server_, "/vectors/profiles");
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  EXPECT_EQ(listed.body["profiles"].size(), 1u);
  EXPECT_TRUE(listed.body["problems"].contains("_catalog/profiles/broken.json")) << listed.body.dump();
  EXPECT_TRUE(Get(*server_, "/health").body.dump().find("broken.json") != std::string::npos);
  EXPECT_EQ(Get(*server_, "/vectors/profile/active").status, 200);
  // The damaged one can be removed and made again.
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "broken"}}).status, 409);
  EXPECT_EQ(Delete("/vectors/profiles/broken").status, 200);
  EXPECT_EQ(Post("/vectors/profiles", {{"id", "broken"}}).status, 201);
}

TEST(ProfileE2ENoGpu, NoGpuAndNoModelServerAreNormalStates) {
  ServerProcess server("[profiles]\nollama_url = \"http://127.0.0.1:1\"\nnvidia_smi = \"lakehouse-no-nvidia-smi\"\n"
                       "[inbox]\nenabled = false\n");
  ASSERT_TRUE(server.Start()) << server.log();
  auto vram = Get(server, "/admin/vram");
  ASSERT_EQ(vram.status, 200) << vram.body.dump();
  EXPECT_FALSE(vram.body["gpu"]["present"].get<bool>());
  EXPECT_NE(vram.body["gpu"]["why_absent"].get<std::string>().find("not found"), std::string::npos);
  EXPECT_FALSE(vram.body["model_server"]["reachable"].get<bool>());
  auto post = [&](const std::string& path, const json& body) {
    return ToReply(server.http().Post(path.c_str(), body.dump(), "application/json"));
  };
  ASSERT_EQ(post("/vectors/profiles", {{"id", "cpu"}, {"embedder", {{"provider", "hash"}}}}).status, 201);
  auto on = post("/vectors/profile/cpu/activate", json::object());
  EXPECT_EQ(on.status, 200) << on.body.dump();
  EXPECT_EQ(Get(server, "/vectors/profile/active").body["active"], "cpu");
  ASSERT_EQ(post("/vectors/profiles",
                 {{"id", "gpu"}, {"embedder", {{"provider", "ollama"}, {"model", "nomic-embed-text"}}}})
                .status,
            201);
  auto refused = post("/vectors/profile/gpu/activate", json::object());
  EXPECT_EQ(refused.status, 503) << refused.body.dump();
  EXPECT_NE(ErrorMessage(refused).find("ollama serve"), std::string::npos) << ErrorMessage(refused);
  EXPECT_EQ(Get(server, "/vectors/profile/active").body["active"], "cpu");
  EXPECT_EQ(post("/admin/unload", {{"model", "mistral"}}).status, 503);
}

}  // namespace lakehouse::testing
