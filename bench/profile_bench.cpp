// Issue 15: what a verified GPU-slot switch costs over the model server's
// own work, and how soon a model that will not unload is reported.
//
// Against the Ollama stand-in (tests/fixtures/fake_model_server.h) with a
// simulated load time and asynchronous unload, and the nvidia-smi stand-in
// (a shell script, so each GPU read spawns a process as the real one does).
// Baseline, in the same run on the same stand-in: the switch done by hand
// as users script it today (keep_alive 0, poll /api/ps until the model is
// gone, load the next one), with no fit check, no VRAM check, no record.
//
//   ./build/bench/profile_bench [switches=20] [load_ms=500] [unload_delay_ms=100]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "ai/profile_slot.h"
#include "fake_model_server.h"
#include "fixtures.h"

using namespace lakehouse;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kMiB = 1 << 20;

double Ms(Clock::time_point since) { return std::chrono::duration<double, std::milli>(Clock::now() - since).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

ai::ModelProfile Profile(const std::string& id, const std::string& llm) {
  ai::ModelProfile p;
  p.id = id;
  p.embedder.provider = "ollama";
  p.embedder.model = "nomic-embed-text";
  p.llm_provider = ai::LlmProvider::kOllama;
  p.llm_model = llm;
  return p;
}

// The switch as done by hand: one unload, a poll, one load.
double ByHand(const ai::ModelServer& server, const std::string& from, const std::string& to) {
  auto start = Clock::now();
  (void)server.RequestUnload(from, ai::ModelKind::kLlm);
  for (;;) {
    auto loaded = server.Loaded();
    bool gone = loaded.ok() && std::none_of(loaded->begin(), loaded->end(), [&](const auto& m) { return m.name == from; });
    if (gone) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (void)server.Load(to, ai::ModelKind::kLlm, "30m");
  (void)server.Load("nomic-embed-text:latest", ai::ModelKind::kEmbedding, "30m");
  return Ms(start);
}

}  // namespace

int main(int argc, char** argv) {
  int switches = argc > 1 ? std::atoi(argv[1]) : 20;
  int load_ms = argc > 2 ? std::atoi(argv[2]) : 500;
  int unload_delay_ms = argc > 3 ? std::atoi(argv[3]) : 100;
  const char* source = std::getenv("LAKEHOUSE_SOURCE_DIR");
  std::string nvidia_smi = std::string(source ? source : ".") + "/tests/fixtures/bin/nvidia-smi";

  auto dir = testing::MakeTempDir("profile_bench");
  auto gpu_file = dir / "gpu";
  setenv("LAKEHOUSE_FAKE_GPU_FILE", gpu_file.c_str(), 1);
  testing::FakeModelServer fake(gpu_file, 24576);
  fake.AddModel("nomic-embed-text", {true, 274 * kMiB});
  fake.AddModel("qwen2.5", {false, 4700 * kMiB});
  fake.AddModel("mistral", {false, 4100 * kMiB});
  fake.load_ms = load_ms;
  fake.unload_delay_ms = unload_delay_ms;

  ai::ProfileStore store(dir / "_catalog" / "profiles");
  (void)store.Create(Profile("staffing", "qwen2.5"));
  (void)store.Create(Profile("docs", "mistral"));
  ai::SlotOptions options;
  options.server = {fake.url(), 60000};
  options.gpu = {nvidia_smi, 5000};
  options.poll_interval_ms = 10;
  ai::ProfileSlot slot(store, dir / "_catalog" / "profile_slot.json", options, nullptr);
  if (auto first = slot.Activate("staffing"); !first.ok()) {
    std::fprintf(stderr, "error: %s\n", first.status().message().c_str());
    return 1;
  }
  if (!ai::ReadGpu(options.gpu).present) {
    std::fprintf(stderr, "error: the nvidia-smi stand-in did not answer (set LAKEHOUSE_SOURCE_DIR)\n");
    return 1;
  }

  std::vector<double> ours, verify, hand, gpu_reads;
  for (int i = 0; i < switches; ++i) {
    auto r = slot.Activate(i % 2 == 0 ? "docs" : "staffing");
    if (!r.ok()) {
      std::fprintf(stderr, "error: %s\n", r.status().message().c_str());
      return 1;
    }
    ours.push_back(r->total_ms);
    verify.push_back(r->unloaded.empty() ? 0 : r->unloaded[0].verify_ms);
  }
  (void)slot.Deactivate();
  ai::ModelServer server(options.server);
  (void)server.Load("qwen2.5:latest", ai::ModelKind::kLlm, "30m");
  for (int i = 0; i < switches; ++i) {
    bool to_docs = i % 2 == 0;
    hand.push_back(ByHand(server, to_docs ? "qwen2.5:latest" : "mistral:latest", to_docs ? "mistral:latest" : "qwen2.5:latest"));
  }
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    (void)ai::ReadGpu(options.gpu);
    gpu_reads.push_back(Ms(start));
  }

  // A model that never leaves: reported at the timeout, not later.
  fake.SetFault("mistral", testing::FakeModelServer::Fault::kNeverUnloads);
  (void)slot.Activate("docs");
  std::vector<double> detect;
  for (int timeout : {1000, 3000}) {
    options.unload_timeout_ms = timeout;
    ai::ProfileSlot strict(store, dir / "_catalog" / "profile_slot.json", options, nullptr);
    auto start = Clock::now();
    auto r = strict.Activate("staffing");
    double took = Ms(start);
    std::printf("stuck model, unload_timeout_ms %d: answered %s after %.0f ms (%.0f ms past the timeout)\n", timeout,
                StatusCodeName(r.status().code()), took, took - timeout);
  }

  double model_server_ms = load_ms + unload_delay_ms;
  std::printf("\n%d switches staffing <-> docs (qwen2.5 4.6 GiB <-> mistral 4.0 GiB, nomic-embed-text kept)\n", switches);
  std::printf("stand-in: a load takes %d ms, an unload leaves /api/ps %d ms after keep_alive 0\n", load_ms,
              unload_delay_ms);
  std::printf("%-44s %10s\n", "", "median ms");
  std::printf("%-44s %10.1f\n", "model server's own time (load + unload)", model_server_ms);
  std::printf("%-44s %10.1f\n", "by hand (unload, poll /api/ps, load)", Median(hand));
  std::printf("%-44s %10.1f\n", "lakehouse activate (verified, recorded)", Median(ours));
  std::printf("%-44s %10.1f\n", "  of which verifying the unload", Median(verify));
  std::printf("%-44s %10.1f\n", "one nvidia-smi read (stand-in script)", Median(gpu_reads));
  std::printf("overhead over the model server: %+.1f ms (%.3fx); over by hand: %+.1f ms (%.3fx)\n",
              Median(ours) - model_server_ms, Median(ours) / model_server_ms, Median(ours) - Median(hand),
              Median(ours) / Median(hand));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
