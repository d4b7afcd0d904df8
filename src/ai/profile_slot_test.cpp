// The GPU slot against the Ollama stand-in and the nvidia-smi stand-in:
// switches verified, refusals before anything moves, models that will not
// leave, crashes reconciled, and searches never on a half-switched slot.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ai/profile_test_util.h"
#include "ai/slot_records.h"
#include "common/files.h"

namespace lakehouse::ai {

using testing::FakeModelServer;

namespace {

constexpr int64_t kMiB = 1 << 20;

// Two profiles sharing an embedding model, as the reference design's
// staffing and docs profiles did, on a 24 GiB GPU.
struct SlotFixture {
  TempDir dir;
  std::filesystem::path gpu_file = dir.path() / "gpu";
  FakeModelServer fake{gpu_file, 24576};
  ProfileStore store{dir.path() / "_catalog" / "profiles"};
  std::vector<std::string> buckets_made;
  std::unique_ptr<ProfileSlot> slot;

  explicit SlotFixture(int unload_timeout_ms = 3000) {
    setenv("LAKEHOUSE_FAKE_GPU_FILE", gpu_file.c_str(), 1);
    fake.AddModel("nomic-embed-text", {true, 274 * kMiB});
    fake.AddModel("qwen2.5", {false, 4700 * kMiB});
    fake.AddModel("mistral", {false, 4100 * kMiB});
    fake.AddModel("llama3.1:70b", {false, 40000 * kMiB});
    EXPECT_TRUE(store.Create(Profile("staffing", "qwen2.5")).ok());
    EXPECT_TRUE(store.Create(Profile("docs", "mistral")).ok());
    slot = MakeSlot(unload_timeout_ms);
  }
  ~SlotFixture() { unsetenv("LAKEHOUSE_FAKE_GPU_FILE"); }

  std::unique_ptr<ProfileSlot> MakeSlot(int unload_timeout_ms) {
    SlotOptions options;
    options.server = {fake.url(), 5000};
    options.gpu = {StandInNvidiaSmi(), 5000};
    options.unload_timeout_ms = unload_timeout_ms;
    options.poll_interval_ms = 10;
    return std::make_unique<ProfileSlot>(store, dir.path() / "_catalog" / "profile_slot.json", options,
                                         [this](const std::string& b) {
                                           buckets_made.push_back(b);
                                           return Status::Ok();
                                         });
  }

  static ModelProfile Profile(const std::string& id, const std::string& llm) {
    ModelProfile p;
    p.id = id;
    p.embedder.provider = "ollama";
    p.embedder.model = "nomic-embed-text";
    p.llm_provider = LlmProvider::kOllama;
    p.llm_model = llm;
    p.bucket = id + "_bucket";
    return p;
  }
  bool IsLoaded(const std::string& name) {
    auto l = fake.Loaded();
    return std::find(l.begin(), l.end(), name) != l.end();
  }
};

}  // namespace

TEST(ProfileSlotTest, ASwitchUnloadsOnlyWhatTheNewProfileDoesNotUseAndVerifiesIt) {
  SlotFixture f;
  auto first = f.slot->Activate("staffing");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->from.has_value());
  ASSERT_EQ(first->preloaded.size(), 2u);
  EXPECT_EQ(first->preloaded[1].name, "qwen2.5:latest");
  EXPECT_EQ(first->preloaded[1].kind, ModelKind::kLlm);
  EXPECT_EQ(first->preloaded[1].size_vram, 4700 * kMiB);
  EXPECT_TRUE(f.IsLoaded("qwen2.5:latest"));
  EXPECT_EQ(f.buckets_made, std::vector<std::string>{"staffing_bucket"});
  EXPECT_EQ(f.fake.bodies("/api/generate").back()["keep_alive"], "30m");

  auto second = f.slot->Activate("docs");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->from, "staffing");
  ASSERT_EQ(second->unloaded.size(), 1u);
  EXPECT_EQ(second->unloaded[0].name, "qwen2.5:latest");
  // Verified on the GPU, not only in /api/ps.
  EXPECT_GE(second->unloaded[0].freed_mib, 4700);
  EXPECT_EQ(second->kept, std::vector<std::string>{"nomic-embed-text:latest"});
  EXPECT_FALSE(f.IsLoaded("qwen2.5:latest"));
  EXPECT_TRUE(f.IsLoaded("mistral:latest"));
  EXPECT_TRUE(f.IsLoaded("nomic-embed-text:latest"));
  // The shared embedder was never asked to unload.
  for (const auto& body : f.fake.bodies("/api/embed")) EXPECT_NE(body["keep_alive"], 0);
  EXPECT_EQ(f.slot->State().active, "docs");
  ASSERT_TRUE(f.slot->State().last_switch.has_value());
  EXPECT_GT(*second->gpu_used_before_mib, *second->gpu_used_after_mib);

  auto off = f.slot->Deactivate();
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->unloaded.size(), 2u);
  EXPECT_TRUE(f.fake.Loaded().empty());
  EXPECT_FALSE(f.slot->State().active.has_value());
}

TEST(ProfileSlotTest, AModelThatWillNotUnloadIsNamedAndTheOldProfileKeepsTheSlot) {
  SlotFixture f(300);
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  f.fake.SetFault("qwen2.5", FakeModelServer::Fault::kNeverUnloads);
  auto start = std::chrono::steady_clock::now();
  auto r = f.slot->Activate("docs");
  ASSERT_EQ(r.status().code(), StatusCode::kUpstreamTimeout) << r.status().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_TRUE(Has(r.status(), "qwen2.5:latest")) << r.status().message();
  EXPECT_TRUE(Has(r.status(), "still loaded")) << r.status().message();
  EXPECT_EQ(f.slot->State().active, "staffing");
  EXPECT_FALSE(f.slot->State().switching.has_value());
  EXPECT_FALSE(f.IsLoaded("mistral:latest"));  // nothing loaded on top of it
}

TEST(ProfileSlotTest, VramThatIsNotFreedIsCaughtOnTheGpu) {
  SlotFixture f(300);
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  f.fake.SetFault("qwen2.5", FakeModelServer::Fault::kVramNotFreed);
  auto r = f.slot->Activate("docs");
  ASSERT_EQ(r.status().code(), StatusCode::kUpstreamTimeout) << r.status().ToString();
  EXPECT_TRUE(Has(r.status(), "left /api/ps but the GPU's used memory did not fall")) << r.status().message();
}

TEST(ProfileSlotTest, AProfileThatWillNotFitIsRefusedBeforeAnythingMoves) {
  SlotFixture f;
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  auto big = SlotFixture::Profile("big", "llama3.1:70b");
  ASSERT_TRUE(f.store.Create(big).ok());
  auto r = f.slot->Activate("big");
  ASSERT_EQ(r.status().code(), StatusCode::kConflict) << r.status().ToString();
  EXPECT_TRUE(Has(r.status(), "llama3.1:70b 39.1 GiB")) << r.status().message();
  EXPECT_TRUE(Has(r.status(), "24.0 GiB")) << r.status().message();
  EXPECT_TRUE(f.IsLoaded("qwen2.5:latest"));  // the old profile untouched
  EXPECT_EQ(f.slot->State().active, "staffing");

  // Its own budget, and what others hold on the GPU, are named too.
  auto budget = SlotFixture::Profile("tight", "mistral");
  budget.vram_budget_mib = 2048;
  ASSERT_TRUE(f.store.Create(budget).ok());
  r = f.slot->Activate("tight");
  ASSERT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(Has(r.status(), "vram_budget_mib is 2048")) << r.status().message();

  // Someone else's model takes the rest of the GPU: the 4.6 GiB qwen frees
  // is not enough for an 8 GiB model, and the message names who holds it.
  f.fake.AddModel("other-20g", {false, 20000 * kMiB});
  f.fake.Preload("other-20g");
  f.fake.AddModel("mid-8g", {false, 8000 * kMiB});
  ASSERT_TRUE(f.store.Create(SlotFixture::Profile("mid", "mid-8g")).ok());
  r = f.slot->Activate("mid");
  ASSERT_EQ(r.status().code(), StatusCode::kConflict) << r.status().ToString();
  EXPECT_TRUE(Has(r.status(), "other-20g:latest")) << r.status().message();
  EXPECT_TRUE(Has(r.status(), "loaded outside the profile")) << r.status().message();
  EXPECT_TRUE(f.IsLoaded("qwen2.5:latest"));
  // Where the freed memory is enough, the switch goes ahead.
  EXPECT_TRUE(f.slot->Activate("docs").ok());
}

TEST(ProfileSlotTest, AFailedLoadEmptiesTheSlotAndSaysSo) {
  SlotFixture f;
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  f.fake.SetFault("mistral", FakeModelServer::Fault::kFailsToLoad);
  auto r = f.slot->Activate("docs");
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_TRUE(Has(r.status(), "mistral")) << r.status().message();
  EXPECT_TRUE(Has(r.status(), "the GPU slot is now empty")) << r.status().message();
  EXPECT_FALSE(f.slot->State().active.has_value());
  EXPECT_FALSE(f.slot->State().last_error.empty());

  auto missing = SlotFixture::Profile("unpulled", "phi9");
  ASSERT_TRUE(f.store.Create(missing).ok());
  r = f.slot->Activate("unpulled");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Has(r.status(), "ollama pull phi9:latest")) << r.status().message();
  EXPECT_EQ(f.slot->Activate("nobody").status().code(), StatusCode::kNotFound);
}

TEST(ProfileSlotTest, APartlyOffloadedModelIsAWarningNotAFailure) {
  SlotFixture f;
  f.fake.AddModel("other", {false, 19800 * kMiB});
  f.fake.Preload("other");
  f.fake.AddModel("mistral", {false, 4100 * kMiB, 8, 500 * kMiB});
  ModelProfile p = SlotFixture::Profile("squeezed", "mistral");
  ASSERT_TRUE(f.store.Create(p).ok());
  // 4,476 MiB free: mistral's 4,100 on disk and nomic's 274 fit, but
  // loaded with its context cache mistral takes 4,600 and is split.
  auto r = f.slot->Activate("squeezed");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_TRUE(r->warnings[0].find("% on the GPU") != std::string::npos) << r->warnings[0];
}

TEST(ProfileSlotTest, NoModelServerAndNoGpuIsANormalState) {
  TempDir dir;
  ProfileStore store(dir.path() / "profiles");
  ModelProfile p;
  p.id = "local";
  p.embedder.provider = "hash";
  ASSERT_TRUE(store.Create(p).ok());
  SlotOptions options;
  options.server = {"", 1000};
  options.gpu = {"lakehouse-no-such-nvidia-smi", 1000};
  ProfileSlot slot(store, dir.path() / "slot.json", options, nullptr);
  auto r = slot.Activate("local");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->preloaded.empty());
  EXPECT_EQ(slot.State().active, "local");
  VramSnapshot v = slot.Vram();
  EXPECT_FALSE(v.gpu.present);
  EXPECT_FALSE(v.server_configured);
  EXPECT_EQ(v.active, "local");
  ASSERT_TRUE(slot.Deactivate().ok());

  // An Ollama profile with the server down: refused, with what to do.
  ModelProfile remote;
  remote.id = "remote";
  remote.embedder.provider = "ollama";
  remote.embedder.model = "nomic-embed-text";
  ASSERT_TRUE(store.Create(remote).ok());
  options.server = {"http://127.0.0.1:1", 1000};
  ProfileSlot down(store, dir.path() / "slot.json", options, nullptr);
  auto refused = down.Activate("remote");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Has(refused.status(), "ollama serve")) << refused.status().message();
  EXPECT_FALSE(down.Vram().server_reachable);
}

TEST(ProfileSlotTest, ASwitchCutOffByACrashIsReconciledFromWhatIsLoaded) {
  SlotFixture f;
  auto path = f.dir.path() / "_catalog" / "profile_slot.json";
  auto crash = [&](std::optional<std::string> from, std::optional<std::string> to, SwitchPhase phase) {
    SlotState s;
    s.active = from;
    s.switching = SlotState::Switching{from, to, phase, Now()};
    ASSERT_TRUE(AtomicWriteFile(path, SlotStateToJson(s).dump()).ok());
  };
  EXPECT_FALSE(f.slot->Reconcile().has_value());  // nothing to settle

  // Cut off after docs' models loaded: docs holds the slot.
  f.fake.Preload("nomic-embed-text");
  f.fake.Preload("mistral");
  crash("staffing", "docs", SwitchPhase::kPreloading);
  auto r = f.MakeSlot(1000)->Reconcile();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->active, "docs");
  EXPECT_EQ(f.slot->State().active, "docs");
  EXPECT_FALSE(f.slot->State().switching.has_value());
  ASSERT_TRUE(f.slot->State().reconciled.has_value());

  // Cut off before anything unloaded: the old profile keeps it.
  crash("docs", "staffing", SwitchPhase::kUnloading);
  r = f.MakeSlot(1000)->Reconcile();
  EXPECT_EQ(r->active, "docs");

  // Cut off half way: neither profile whole, the slot is empty.
  crash("docs", "staffing", SwitchPhase::kPreloading);
  r = f.MakeSlot(1000)->Reconcile();
  EXPECT_FALSE(r->active.has_value());
  EXPECT_NE(r->outcome.find("neither"), std::string::npos) << r->outcome;

  // A damaged state file starts the slot empty rather than failing.
  ASSERT_TRUE(AtomicWriteFile(path, "{not json").ok());
  EXPECT_FALSE(f.MakeSlot(1000)->State().active.has_value());
}

TEST(ProfileSlotTest, ConcurrentSwitchesAreSerialisedAndSearchesNeverSeeHalfASwitch) {
  SlotFixture f;
  f.fake.load_ms = 30;
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, held{0};
  // A scoped search holds the slot while it embeds: what it sees loaded
  // must be one whole profile's models.
  std::thread searcher([&] {
    while (!stop) {
      auto hold = f.slot->Hold();
      auto active = f.slot->State().active;
      bool qwen = f.IsLoaded("qwen2.5:latest"), mistral = f.IsLoaded("mistral:latest");
      if (active == "staffing" && (!qwen || mistral)) ++torn;
      if (active == "docs" && (!mistral || qwen)) ++torn;
      ++held;
    }
  });
  std::vector<std::thread> switchers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    switchers.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) {
        if (f.slot->Activate(i % 2 ? "docs" : "staffing").ok()) ++ok;
      }
    });
  }
  for (auto& t : switchers) t.join();
  stop = true;
  searcher.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(held.load(), 0);
  auto active = f.slot->State().active;
  ASSERT_TRUE(active.has_value());
  EXPECT_EQ(f.IsLoaded("qwen2.5:latest"), *active == "staffing");
  EXPECT_EQ(f.IsLoaded("mistral:latest"), *active == "docs");
}

TEST(ProfileSlotTest, AdminUnloadAndPreloadWorkOnAnyModel) {
  SlotFixture f;
  auto pre = f.slot->Preload("nomic-embed-text", std::nullopt, "5m");
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  EXPECT_EQ(pre->kind, ModelKind::kEmbedding);  // found by trying
  EXPECT_EQ(pre->size, 274 * kMiB);
  auto un = f.slot->Unload("nomic-embed-text");
  ASSERT_TRUE(un.ok()) << un.status().ToString();
  EXPECT_FALSE(f.IsLoaded("nomic-embed-text:latest"));
  EXPECT_EQ(f.slot->Unload("nomic-embed-text").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.slot->Preload("nope", std::nullopt, std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(f.slot->Preload("mistral", ModelKind::kLlm, "5m")->already_loaded);
  EXPECT_TRUE(f.slot->Preload("mistral", ModelKind::kLlm, "5m")->already_loaded);
}

}  // namespace lakehouse::ai

namespace lakehouse::ai {

TEST(ProfileSlotTest, TheSlotFreesWhatItLoadedEvenAfterTheProfileChangedOrWentAway) {
  SlotFixture f;
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  // Changed behind the slot's back: its LLM is now mistral, but qwen is what was loaded.
  auto changed = *f.store.Get("staffing");
  changed.llm_model = "mistral";
  ASSERT_TRUE(f.store.Put(changed).ok());
  auto r = f.slot->Activate("docs");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->unloaded.size(), 1u);
  EXPECT_EQ(r->unloaded[0].name, "qwen2.5:latest");
  EXPECT_FALSE(f.IsLoaded("qwen2.5:latest"));

  // Dropped while it held the slot (a file removed by hand): its models still go.
  ASSERT_TRUE(f.store.Delete("docs").ok());
  auto off = f.slot->Deactivate();
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->unloaded.size(), 2u);
  EXPECT_TRUE(f.fake.Loaded().empty());
}

TEST(ProfileSlotTest, DeactivateAndDropAreCheckedUnderTheSwitchLock) {
  SlotFixture f;
  ASSERT_TRUE(f.slot->Activate("staffing").ok());
  auto wrong = f.slot->Deactivate("docs");
  EXPECT_EQ(wrong.status().code(), StatusCode::kConflict);
  EXPECT_TRUE(Has(wrong.status(), "profile 'staffing' does")) << wrong.status().message();
  EXPECT_EQ(f.slot->State().active, "staffing");

  EXPECT_EQ(f.slot->Drop("staffing", nullptr).code(), StatusCode::kConflict);
  EXPECT_EQ(f.slot->Drop("docs", [] { return Conflict("has indexes"); }).code(), StatusCode::kConflict);
  EXPECT_TRUE(f.store.Exists("docs"));
  EXPECT_TRUE(f.slot->Drop("docs", nullptr).ok());
  EXPECT_FALSE(f.store.Exists("docs"));
  EXPECT_EQ(f.slot->Drop("docs", nullptr).code(), StatusCode::kNotFound);

  // An activation and a drop at once: whichever runs first, the slot never
  // ends up held by a profile that is gone.
  ASSERT_TRUE(f.store.Create(SlotFixture::Profile("docs", "mistral")).ok());
  f.fake.load_ms = 100;
  std::thread activate([&] { (void)f.slot->Activate("docs"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Status dropped = f.slot->Drop("docs", nullptr);
  activate.join();
  auto active = f.slot->State().active;
  EXPECT_TRUE(dropped.ok() ? active != "docs" : active == "docs") << dropped.ToString();
}

TEST(ProfileSlotTest, ADamagedStateFileReadsAsAnEmptySlotWhateverItHolds) {
  SlotFixture f;
  auto path = f.dir.path() / "_catalog" / "profile_slot.json";
  for (const char* text : {
           R"({"active":"docs","switching":{"from":"docs","to":"staffing","phase":5}})",
           R"({"last_switch":{"preloaded":[{"model":"x","already_loaded":"yes","kind":3}],"unloaded":"no"}})",
           R"({"reconciled":{"outcome":7},"active_models":[{"model":1},"x",{"model":"qwen2.5:latest","kind":[]}]})",
           R"([1,2,3])", R"({"active":{"id":"docs"},"since":42})"}) {
    ASSERT_TRUE(AtomicWriteFile(path, text).ok());
    auto slot = f.MakeSlot(1000);
    (void)slot->State();
    (void)slot->Reconcile();
    EXPECT_TRUE(slot->Activate("staffing").ok()) << text;
  }
}

TEST(ProfileSlotTest, AHungNvidiaSmiIsReadOnceAndSaidInTheReport) {
  SlotFixture f;
  auto hung = f.dir.path() / "hung-nvidia-smi";
  {
    std::ofstream(hung) << "#!/bin/sh\nsleep 30\n";
  }
  fs::permissions(hung, fs::perms::owner_all);
  SlotOptions options;
  options.server = {f.fake.url(), 5000};
  options.gpu = {hung.string(), 200};
  options.poll_interval_ms = 10;
  ProfileSlot slot(f.store, f.dir.path() / "_catalog" / "profile_slot.json", options, nullptr);
  ASSERT_TRUE(slot.Activate("staffing").ok());
  auto start = std::chrono::steady_clock::now();
  auto r = slot.Activate("docs");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("not checked"), std::string::npos) << r->warnings[0];
  EXPECT_FALSE(f.IsLoaded("qwen2.5:latest"));  // still unloaded, checked in /api/ps
}

TEST(ModelServerTest, KeepAliveIsSecondsOrAGoDuration) {
  for (const char* ok : {"0", "-1", "3600", "30m", "1h30m", "1.5h", "-1m", "500ms", "10s"}) {
    EXPECT_TRUE(ValidKeepAlive(ok)) << ok;
  }
  for (const char* bad : {"", "forever", "1.5.5h", "99999999999999999999", "5 m", "m", "-", "1d", "30mm", "1h-1m"}) {
    EXPECT_FALSE(ValidKeepAlive(bad)) << bad;
  }
}

}  // namespace lakehouse::ai
