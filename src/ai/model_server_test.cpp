// The model server client, the nvidia-smi reader and the profile store,
// against the Ollama stand-in and the nvidia-smi stand-in on disk.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "ai/gpu_probe.h"
#include "ai/model_server.h"
#include "ai/profiles.h"
#include "common/files.h"
#include "ai/profile_test_util.h"

namespace lakehouse::ai {

using testing::FakeModelServer;


TEST(GpuProbeTest, ParsesNvidiaSmisCsvForEveryGpu) {
  auto one = ParseNvidiaSmiMemory("1536, 24576\n");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].used_mib, 1536);
  EXPECT_EQ((*one)[0].total_mib, 24576);
  auto two = ParseNvidiaSmiMemory("0, 81920\r\n 40000 , 81920\n\n");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].index, 1);
  EXPECT_EQ((*two)[1].used_mib, 40000);
  for (const char* bad : {"[N/A], [N/A]", "12 MiB, 100 MiB", "100", "200, 100", "-1, 5", "a, b"}) {
    EXPECT_FALSE(ParseNvidiaSmiMemory(bad).ok()) << bad;
  }
}

TEST(GpuProbeTest, ReadsTheStandInAndSaysWhyThereIsNoGpu) {
  TempDir dir;
  auto gpu_file = dir.path() / "gpu";
  {
    std::ofstream(gpu_file) << "2048, 8192\n";
  }
  setenv("LAKEHOUSE_FAKE_GPU_FILE", gpu_file.c_str(), 1);
  GpuSnapshot snap = ReadGpu({StandInNvidiaSmi(), 5000});
  ASSERT_TRUE(snap.present) << snap.why_absent;
  EXPECT_EQ(snap.used_mib(), 2048);
  EXPECT_EQ(snap.total_mib(), 8192);

  // The driver not answering: the real tool's exit 9.
  setenv("LAKEHOUSE_FAKE_GPU_FILE", (dir.path() / "missing").c_str(), 1);
  snap = ReadGpu({StandInNvidiaSmi(), 5000});
  EXPECT_FALSE(snap.present);
  EXPECT_NE(snap.why_absent.find("exited with 9"), std::string::npos) << snap.why_absent;

  snap = ReadGpu({"lakehouse-no-such-nvidia-smi", 5000});
  EXPECT_FALSE(snap.present);
  EXPECT_NE(snap.why_absent.find("not found"), std::string::npos) << snap.why_absent;

  // A hung driver: the probe gives up at its timeout.
  auto hung = dir.path() / "hung-nvidia-smi";
  {
    std::ofstream(hung) << "#!/bin/sh\nsleep 30\n";
  }
  fs::permissions(hung, fs::perms::owner_all);
  auto start = std::chrono::steady_clock::now();
  snap = ReadGpu({hung.string(), 200});
  EXPECT_FALSE(snap.present);
  EXPECT_NE(snap.why_absent.find("did not answer"), std::string::npos) << snap.why_absent;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  unsetenv("LAKEHOUSE_FAKE_GPU_FILE");
}

TEST(ModelServerTest, ListsLoadsAndUnloadsThroughKeepAlive) {
  FakeModelServer fake;
  fake.AddModel("nomic-embed-text", {true, 274 << 20});
  fake.AddModel("qwen2.5:7b", {false, int64_t{4700} << 20});
  ModelServer server({fake.url(), 5000});
  auto tags = server.Available();
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(tags->at("nomic-embed-text:latest"), 274 << 20);
  EXPECT_EQ(tags->count("qwen2.5:7b"), 1u);

  ASSERT_TRUE(server.Load("qwen2.5:7b", ModelKind::kLlm, "30m").ok());
  ASSERT_TRUE(server.Load("nomic-embed-text", ModelKind::kEmbedding, "30m").ok());
  auto loaded = server.Loaded();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ(fake.bodies("/api/generate").back()["keep_alive"], "30m");
  EXPECT_TRUE(fake.bodies("/api/embed").back()["input"].empty());

  // An embedding model refuses a generate load: the message says why.
  Status wrong = server.Load("nomic-embed-text", ModelKind::kLlm, "5m");
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(wrong, "embedding model")) << wrong.message();
  Status missing = server.Load("llama9", ModelKind::kLlm, "5m");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Has(missing, "ollama pull llama9")) << missing.message();

  ASSERT_TRUE(server.RequestUnload("qwen2.5:7b", ModelKind::kLlm).ok());
  EXPECT_EQ(fake.bodies("/api/generate").back()["keep_alive"], 0);
  // keep_alive 0 is answered before the model leaves, as Ollama does it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  loaded = server.Loaded();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].name, "nomic-embed-text:latest");

  ModelServer down({"http://127.0.0.1:1", 2000});
  EXPECT_EQ(down.Loaded().status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Has(down.Loaded().status(), "ollama serve"));
  ModelServer none({"", 2000});
  EXPECT_FALSE(none.configured());
  EXPECT_EQ(none.Loaded().status().code(), StatusCode::kUnavailable);
  ModelServer bad({"ftp://x", 2000});
  EXPECT_EQ(bad.Loaded().status().code(), StatusCode::kInvalidArgument);
  ModelServer secret({"http://user:hunter2@127.0.0.1:1", 2000});
  EXPECT_FALSE(Has(secret.Loaded().status(), "hunter2"));
}

TEST(ModelServerTest, NamesWithoutATagAreLatest) {
  EXPECT_EQ(CanonicalModelName("mistral"), "mistral:latest");
  EXPECT_EQ(CanonicalModelName("mistral:7b"), "mistral:7b");
  EXPECT_EQ(CanonicalModelName("registry:5000/team/model"), "registry:5000/team/model:latest");
  EXPECT_EQ(CanonicalModelName("hf.co/owner/model:Q4"), "hf.co/owner/model:Q4");
}

TEST(ProfileStoreTest, CreatesReadsChangesAndDeletesAtomically) {
  TempDir dir;
  ProfileStore store(dir.path() / "_catalog" / "profiles");
  ModelProfile p;
  p.id = "docs";
  p.description = "manual pages";
  p.embedder.provider = "ollama";
  p.embedder.model = "nomic-embed-text";
  p.llm_provider = LlmProvider::kOllama;
  p.llm_model = "mistral";
  p.backend_kind = "hnsw";
  p.backend_options = {{"m", 16}};
  p.bucket = "docs_bucket";
  p.vram_budget_mib = 8192;
  auto made = store.Create(p);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(store.Create(p).status().code(), StatusCode::kConflict);
  auto got = store.Get("docs");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->llm_model, "mistral");
  EXPECT_EQ(got->backend_options.at("m"), 16);
  EXPECT_EQ(got->vram_budget_mib, 8192);
  EXPECT_EQ(ModelsOf(*got), (std::vector<ProfileModel>{{"nomic-embed-text:latest", ModelKind::kEmbedding},
                                                        {"mistral:latest", ModelKind::kLlm}}));
  got->description = "changed";
  ASSERT_TRUE(store.Put(*got).ok());
  EXPECT_EQ(store.Get("docs")->description, "changed");
  EXPECT_EQ(store.Get("docs")->created_at, made->created_at);

  // A damaged file is reported, and the others still list.
  {
    std::ofstream(dir.path() / "_catalog" / "profiles" / "broken.json") << "{\"id\": 3";
  }
  std::map<std::string, std::string> problems;
  auto all = store.List(&problems);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(problems.count("_catalog/profiles/broken.json"), 1u);

  // A damaged file can be removed, and then replaced.
  EXPECT_EQ(store.Create(ModelProfile{.id = "broken"}).status().code(), StatusCode::kConflict);
  ASSERT_TRUE(store.Delete("broken").ok());
  EXPECT_TRUE(store.Create(ModelProfile{.id = "broken"}).ok());
  ASSERT_TRUE(store.Delete("docs").ok());
  EXPECT_EQ(store.Get("docs").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.Get("../etc").status().code(), StatusCode::kInvalidArgument);
}

TEST(ProfileStoreTest, RefusesWhatCannotBeAProfile) {
  auto parse = [](const std::string& text) { return ProfileFromJson(nlohmann::json::parse(text)); };
  EXPECT_FALSE(parse(R"({"id":"a","colour":"red"})").ok());
  EXPECT_FALSE(parse(R"({"id":"a","embedder":{"provider":"ollama","model":"x","key":"k"}})").ok());
  EXPECT_FALSE(parse(R"({"id":"a","llm":{"provider":"gpt","model":"x"}})").ok());
  EXPECT_FALSE(parse(R"({"id":"a","vram_budget_mib":"lots"})").ok());
  EXPECT_FALSE(parse(R"({"id":"a","backend":{"kind":"hnsw","options":{"m":"16"}}})").ok());
  auto check = [&](const std::string& text) {
    auto p = parse(text);
    return p.ok() ? ValidateProfile(*p) : p.status();
  };
  EXPECT_TRUE(check(R"({"id":"ok"})").ok());
  EXPECT_FALSE(check(R"({"id":"bad id"})").ok());
  EXPECT_FALSE(check(R"({"id":"a","embedder":{"provider":"ollama"}})").ok());
  EXPECT_FALSE(check(R"({"id":"a","embedder":{"provider":"magic","model":"m"}})").ok());
  EXPECT_FALSE(check(R"({"id":"a","embedder":{"provider":"ollama","model":"x; rm -rf /"}})").ok());
  EXPECT_FALSE(check(R"({"id":"a","llm":{"provider":"ollama"}})").ok());
  EXPECT_FALSE(check(R"({"id":"a","bucket":"../../x"})").ok());
  EXPECT_FALSE(check(R"({"id":"a","vram_budget_mib":0})").ok());
}

}  // namespace lakehouse::ai
