// The GPU slot: which model profile holds the model server's memory, owned
// here and nowhere else. Activating a profile reads what is loaded
// (/api/ps) and what the GPU holds (nvidia-smi), refuses when the new
// profile's models will not fit, unloads the old profile's models the new
// one does not use and checks that they really left (Ollama's answer is no
// proof: a model can stay resident), then preloads the new ones. Models
// both profiles use stay loaded.
//
// Switches are serialised in this process (a mutex) and across processes
// (a flock), and recorded at _catalog/profile_slot.json before the first
// model moves, so a switch cut off by a crash is found and reconciled
// against /api/ps at the next start. Searches scoped to a profile hold the
// slot shared (Hold): they run on the old models or wait, never on a
// half-switched slot.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "ai/gpu_probe.h"
#include "ai/model_server.h"
#include "ai/profiles.h"
#include "common/clock.h"
#include "common/status.h"

namespace lakehouse::ai {

struct SlotOptions {
  ModelServerOptions server;
  GpuProbeOptions gpu;
  std::string keep_alive = "30m";   // how long preloaded models stay
  int unload_timeout_ms = 15000;    // for each model to leave /api/ps and VRAM
  // The wait between checks that a model left /api/ps (Ollama frees a
  // runner in tens of milliseconds); the GPU's figure is then checked at
  // doubling waits up to 100 ms, since each check runs nvidia-smi.
  int poll_interval_ms = 10;
};

enum class SwitchPhase { kUnloading, kPreloading };
const char* SwitchPhaseName(SwitchPhase phase);

struct UnloadedModel {
  std::string name;
  int64_t size_vram = 0;    // bytes it held on the GPU before
  int64_t freed_mib = 0;    // the fall in the GPU's used memory (0 without a GPU)
  double verify_ms = 0;     // from the request to seeing it gone
};

struct PreloadedModel {
  std::string name;
  ModelKind kind = ModelKind::kEmbedding;
  double load_ms = 0;       // the model server's answer to the load
  int64_t size = 0, size_vram = 0;  // from /api/ps once loaded
  bool already_loaded = false;
};

// What one activation or deactivation did, and how long each part took.
struct SwitchReport {
  std::optional<std::string> from, to;  // none: the empty slot
  std::vector<UnloadedModel> unloaded;
  std::vector<std::string> kept;        // used by both: left loaded
  std::vector<PreloadedModel> preloaded;
  std::vector<std::string> warnings;    // a model partly on the CPU, say
  double total_ms = 0, unload_ms = 0, preload_ms = 0;
  std::optional<int64_t> gpu_used_before_mib, gpu_used_after_mib;
  TimePoint at{};
};

// A switch cut off by a crash, as the next start found and settled it.
struct Reconciliation {
  TimePoint at{};
  std::optional<std::string> from, to;
  SwitchPhase phase = SwitchPhase::kUnloading;
  std::optional<std::string> active;  // what the slot holds now
  std::string outcome;                // in words
};

struct SlotState {
  std::optional<std::string> active;
  TimePoint since{};
  // Set while a switch runs (and left set by a crash in one).
  struct Switching {
    std::optional<std::string> from, to;
    SwitchPhase phase = SwitchPhase::kUnloading;
    TimePoint started_at{};
  };
  std::optional<Switching> switching;
  std::optional<SwitchReport> last_switch;
  std::optional<Reconciliation> reconciled;
  std::string last_error;  // of the last switch that failed
  // What the active profile loaded, as it was then: what switching away
  // unloads, even if the profile was changed or dropped since. None in
  // files from before it was kept: the profile's models are used.
  std::optional<std::vector<ProfileModel>> active_models;
};

// What GET /admin/vram shows: the GPU and the model server side by side.
struct VramSnapshot {
  GpuSnapshot gpu;
  bool server_configured = false;
  bool server_reachable = false;
  std::string server;        // where it is (no credentials)
  std::string server_error;  // why it could not be read
  std::vector<LoadedModel> models;
  std::optional<std::string> active;
};

class ProfileSlot {
 public:
  // `state_path` is <primary>/_catalog/profile_slot.json. `ensure_bucket`
  // makes a profile's bucket when it does not exist yet.
  ProfileSlot(ProfileStore& profiles, std::filesystem::path state_path, SlotOptions options,
              std::function<Status(const std::string& bucket)> ensure_bucket);

  SlotState State() const;
  // NotFound (404) for an unknown profile; Conflict (409) when it will not
  // fit, naming what is loaded; UpstreamTimeout (504) naming a model that would not
  // leave; Unavailable (503) when the model server cannot be reached or
  // fails a load. On refusal nothing was unloaded.
  Result<SwitchReport> Activate(const std::string& id);
  // Unloads the active profile's models (verified) and empties the slot.
  // With `expected`, Conflict unless that profile holds the slot when the
  // switch lock is taken (a switch may have run while this one waited).
  Result<SwitchReport> Deactivate(const std::optional<std::string>& expected = std::nullopt);
  // Deletes a profile, under the switch lock: Conflict while it holds the
  // slot, or when `precondition` (indexes created under it) refuses.
  Status Drop(const std::string& id, const std::function<Status()>& precondition);
  // Settles a switch a crash cut off, from what /api/ps lists. Returns the
  // record, or nullopt when there was nothing to settle. Called at start.
  std::optional<Reconciliation> Reconcile();

  VramSnapshot Vram() const;
  // One model by name, outside any profile (POST /admin/unload, /preload).
  Result<UnloadedModel> Unload(const std::string& model);
  Result<PreloadedModel> Preload(const std::string& model, std::optional<ModelKind> kind,
                                 std::optional<std::string> keep_alive);

  // Held by a search scoped to a profile for as long as it embeds: a
  // switch waits for it, and it waits for a switch.
  std::shared_lock<std::shared_mutex> Hold() const { return std::shared_lock(serving_); }

  const ModelServer& server() const { return server_; }

 private:
  struct Plan;
  Result<SwitchReport> Switch(const std::optional<std::string>& to, const std::optional<std::string>& expected);
  Status CheckFits(const Plan& plan) const;
  // `gpu` is the reading before (updated to the one that saw the fall).
  Status UnloadVerified(const LoadedModel& model, ModelKind kind, GpuSnapshot* gpu, UnloadedModel* out);
  Status SaveState(const SlotState& state) const;
  SlotState LoadState() const;

  ProfileStore& profiles_;
  std::filesystem::path state_path_;
  SlotOptions options_;
  ModelServer server_;
  std::function<Status(const std::string&)> ensure_bucket_;
  std::mutex switch_mutex_;               // one switch at a time in this process
  mutable std::shared_mutex serving_;     // shared: scoped searches; exclusive: a switch
  mutable std::mutex state_mutex_;        // the state file's reads and writes
};

}  // namespace lakehouse::ai
