#include "ai/profile_slot.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "ai/slot_internal.h"
#include "ai/slot_records.h"
#include "common/crash_point.h"
#include "common/files.h"
#include "common/names.h"

namespace lakehouse::ai {

namespace {

using Clock = std::chrono::steady_clock;
using slot::Find;
using slot::kMiB;
using slot::Size;
using slot::Uses;

std::string Name(const std::optional<std::string>& id) { return id ? "profile '" + *id + "'" : "no profile"; }

}  // namespace

const char* SwitchPhaseName(SwitchPhase phase) { return phase == SwitchPhase::kUnloading ? "unloading" : "preloading"; }

// What a switch will do, worked out before anything moves.
struct ProfileSlot::Plan {
  std::optional<ModelProfile> from, to;
  std::vector<ProfileModel> needed;           // the new profile's
  std::vector<std::pair<LoadedModel, ModelKind>> unload;  // the old profile's, loaded, not needed
  std::vector<LoadedModel> loaded;            // /api/ps before
  std::map<std::string, int64_t> available;   // /api/tags, when something must load
  GpuSnapshot gpu;
};

ProfileSlot::ProfileSlot(ProfileStore& profiles, std::filesystem::path state_path, SlotOptions options,
                         std::function<Status(const std::string&)> ensure_bucket)
    : profiles_(profiles),
      state_path_(std::move(state_path)),
      options_(std::move(options)),
      server_(options_.server),
      ensure_bucket_(std::move(ensure_bucket)) {}

SlotState ProfileSlot::LoadState() const {
  std::lock_guard lock(state_mutex_);
  std::error_code ec;
  if (!fs::exists(state_path_, ec)) return {};
  auto text = ReadFile(state_path_);
  if (!text.ok()) return {};
  Result<SlotState> state = InvalidArgument("unreadable");
  try {
    state = SlotStateFromJson(nlohmann::json::parse(*text, nullptr, false));
  } catch (const std::exception& e) {  // a reader missed a type check: still no crash
    state = InvalidArgument(e.what());
  }
  if (!state.ok()) {
    spdlog::warn("{} is damaged ({}); the GPU slot starts empty", state_path_.string(), state.status().message());
    return {};
  }
  return *state;
}

Status ProfileSlot::SaveState(const SlotState& state) const {
  std::lock_guard lock(state_mutex_);
  LH_RETURN_IF_ERROR(EnsureDirectory(state_path_.parent_path()));
  return AtomicWriteFile(state_path_, SlotStateToJson(state).dump(2) + "\n");
}

SlotState ProfileSlot::State() const { return LoadState(); }

Status ProfileSlot::CheckFits(const Plan& plan) const {
  if (!plan.to) return Status::Ok();
  // What the new profile's models take: as loaded when they are, their
  // size on disk (the least a load needs) when not.
  int64_t needs = 0;
  std::string parts;
  for (const auto& m : plan.needed) {
    const LoadedModel* loaded = Find(plan.loaded, m.name);
    int64_t bytes = loaded ? loaded->size : plan.available.at(m.name);
    needs += bytes;
    parts += (parts.empty() ? "" : ", ") + m.name + " " + Size(bytes);
  }
  if (plan.to->vram_budget_mib && needs > *plan.to->vram_budget_mib * kMiB) {
    return Conflict("profile '" + plan.to->id + "' needs " + Size(needs) + " (" + parts + ") but its vram_budget_mib is " +
                    std::to_string(*plan.to->vram_budget_mib) + " MiB; raise it (PATCH /vectors/profiles/" +
                    plan.to->id + ") or choose smaller models");
  }
  if (!plan.gpu.present) return Status::Ok();
  // Against what the GPU really has free (other processes count too), plus
  // what the unloads will give back; models already loaded need nothing.
  int64_t to_load = 0, freed = 0;
  for (const auto& m : plan.needed) {
    if (!Find(plan.loaded, m.name)) to_load += plan.available.at(m.name);
  }
  for (const auto& [m, kind] : plan.unload) freed += m.size_vram;
  int64_t free_after = (plan.gpu.total_mib() - plan.gpu.used_mib()) * kMiB + freed;
  if (to_load > free_after) {
    std::string others;
    for (const auto& m : plan.loaded) {
      bool unloading = std::any_of(plan.unload.begin(), plan.unload.end(), [&](const auto& u) { return u.first.name == m.name; });
      if (unloading || Uses(plan.needed, m.name) || m.size_vram == 0) continue;
      others += (others.empty() ? "" : ", ") + m.name + " " + Size(m.size_vram);
    }
    return Conflict("profile '" + plan.to->id + "' needs " + Size(to_load) + " more on the GPU (" + parts +
                    ") but only " + Size(std::max<int64_t>(0, free_after)) + " of its " +
                    Size(plan.gpu.total_mib() * kMiB) + " would be free" +
                    (others.empty() ? "" : " (loaded outside the profile: " + others + ")") +
                    "; unload what is not needed (POST /admin/unload) or choose smaller models");
  }
  return Status::Ok();
}

Status ProfileSlot::UnloadVerified(const LoadedModel& model, ModelKind kind, GpuSnapshot* gpu, UnloadedModel* out) {
  out->name = model.name;
  out->size_vram = model.size_vram;
  const GpuSnapshot before = *gpu;
  auto start = Clock::now();
  LH_RETURN_IF_ERROR(server_.RequestUnload(model.name, kind));
  // Half of what it held is the fall to see: the driver and other processes
  // move the figure a little either way.
  int64_t must_fall_mib = model.size_vram / kMiB / 2;
  bool check_gpu = before.present && must_fall_mib > 0;
  auto deadline = start + std::chrono::milliseconds(options_.unload_timeout_ms);
  bool gone = false;
  std::optional<int64_t> last_used;
  int wait_ms = std::max(1, options_.poll_interval_ms);
  for (;;) {
    if (!gone) {
      auto loaded = server_.Loaded();
      gone = loaded.ok() && !Find(*loaded, model.name);
    }
    if (gone && check_gpu) {
      GpuSnapshot now = ReadGpu(options_.gpu);
      if (now.present) {
        last_used = now.used_mib();
        if (before.used_mib() - now.used_mib() >= must_fall_mib) {
          out->freed_mib = before.used_mib() - now.used_mib();
          *gpu = now;  // the next unload's "before"
          break;
        }
      }
    } else if (gone) {
      break;
    }
    if (Clock::now() >= deadline) {
      if (!gone) {
        return UpstreamTimeout("model '" + model.name + "' is still loaded on " + server_.where() + " " +
                       std::to_string(options_.unload_timeout_ms) + " ms after it was asked to unload (/api/ps lists it, " +
                       Size(model.size_vram) + " in VRAM); stop it there (`ollama stop " + model.name +
                       "`) or restart the server, then activate again");
      }
      return UpstreamTimeout("model '" + model.name + "' left /api/ps but the GPU's used memory did not fall within " +
                     std::to_string(options_.unload_timeout_ms) + " ms (" + std::to_string(before.used_mib()) + " MiB before, " +
                     std::to_string(last_used.value_or(before.used_mib())) + " MiB now, " + Size(model.size_vram) +
                     " expected to be freed); another process may hold it (nvidia-smi lists them)");
    }
    // /api/ps is cheap to ask at a steady pace; nvidia-smi is a process
    // (tens of ms for the real one), asked less often the longer it takes.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::this_thread::sleep_for(std::min(std::chrono::milliseconds(wait_ms), left));
    if (gone) wait_ms = std::min(wait_ms * 2, std::max(100, options_.poll_interval_ms));
  }
  out->verify_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return Status::Ok();
}

Result<SwitchReport> ProfileSlot::Activate(const std::string& id) {
  LH_RETURN_IF_ERROR(ValidateName(id, "profile id"));
  return Switch(id, std::nullopt);
}

Result<SwitchReport> ProfileSlot::Deactivate(const std::optional<std::string>& expected) {
  return Switch(std::nullopt, expected);
}

Status ProfileSlot::Drop(const std::string& id, const std::function<Status()>& precondition) {
  std::lock_guard serial(switch_mutex_);
  ProcessLock across(state_path_.parent_path() / "profile_slot.lock");
  if (!profiles_.Exists(id)) return NotFound("no profile '" + id + "'; GET /vectors/profiles lists them");
  if (LoadState().active == id) {
    return Conflict("profile '" + id + "' holds the GPU slot; deactivate it first (POST /vectors/profile/" + id +
                    "/deactivate)");
  }
  if (precondition) LH_RETURN_IF_ERROR(precondition());
  return profiles_.Delete(id);
}

Result<SwitchReport> ProfileSlot::Switch(const std::optional<std::string>& to_id,
                                         const std::optional<std::string>& expected) {
  auto start = Clock::now();
  std::lock_guard serial(switch_mutex_);
  ProcessLock across(state_path_.parent_path() / "profile_slot.lock");
  SlotState state = LoadState();
  // Checked here, under the lock: a switch that ran while this one waited
  // may have given the slot to another profile.
  if (expected && state.active != expected) {
    return Conflict("profile '" + *expected + "' does not hold the GPU slot (" +
                    (state.active ? "profile '" + *state.active + "' does" : std::string("it is empty")) + ")");
  }
  Plan plan;
  if (to_id) {
    LH_ASSIGN_OR_RETURN(plan.to, profiles_.Get(*to_id));
  }
  if (plan.to) plan.needed = ModelsOf(*plan.to);
  // What the slot loaded, as recorded then: the profile may have been
  // changed or dropped since, and its models are still the slot's to free.
  std::vector<ProfileModel> old;
  if (state.active_models) {
    old = *state.active_models;
  } else if (state.active) {
    if (auto from = profiles_.Get(*state.active); from.ok()) old = ModelsOf(*from);
  }

  SwitchReport report;
  report.from = state.active;
  report.to = to_id;
  report.at = Now();
  bool server_needed = !plan.needed.empty() || !old.empty();
  if (server_needed) {
    auto loaded = server_.Loaded();
    if (!loaded.ok()) {
      // A server that is down holds no memory: emptying the slot goes on.
      if (!plan.needed.empty()) {
        return Status(loaded.status().code(), "cannot switch the GPU slot to " + Name(to_id) + ": " +
                                                  loaded.status().message());
      }
      report.warnings.push_back("the previous profile's models were not unloaded: " + loaded.status().message());
    } else {
      plan.loaded = std::move(*loaded);
    }
  }
  for (const auto& m : old) {
    if (Uses(plan.needed, m.name)) {
      if (Find(plan.loaded, m.name)) report.kept.push_back(m.name);
      continue;
    }
    if (const LoadedModel* l = Find(plan.loaded, m.name)) plan.unload.push_back({*l, m.kind});
  }
  bool must_load = std::any_of(plan.needed.begin(), plan.needed.end(),
                               [&](const auto& m) { return !Find(plan.loaded, m.name); });
  if (must_load) {
    LH_ASSIGN_OR_RETURN(plan.available, server_.Available());
    for (const auto& m : plan.needed) {
      if (!Find(plan.loaded, m.name) && !plan.available.count(m.name)) {
        return NotFound("profile '" + plan.to->id + "' needs " + ModelKindName(m.kind) + " model '" + m.name +
                        "', which " + server_.where() + " does not have; run `ollama pull " + m.name + "`");
      }
    }
  }
  plan.gpu = ReadGpu(options_.gpu);
  if (plan.gpu.present) report.gpu_used_before_mib = plan.gpu.used_mib();
  if (plan.gpu.failed) {
    // One slow probe is enough: the rest of the switch does without it.
    report.warnings.push_back("the GPU's memory was not checked (" + plan.gpu.why_absent +
                              "): no fit check against it, and unloads were checked in /api/ps only");
  }
  LH_RETURN_IF_ERROR(CheckFits(plan));
  if (plan.to && !plan.to->bucket.empty() && ensure_bucket_) {
    LH_RETURN_IF_ERROR(ensure_bucket_(plan.to->bucket).WithContext("profile '" + plan.to->id + "' bucket"));
  }

  // From here models move: scoped searches wait until the slot is whole.
  std::unique_lock exclusive(serving_);
  state.switching = SlotState::Switching{state.active, to_id, SwitchPhase::kUnloading, Now()};
  LH_RETURN_IF_ERROR(SaveState(state));
  auto unload_start = Clock::now();
  GpuSnapshot gpu = plan.gpu;
  for (const auto& [model, kind] : plan.unload) {
    UnloadedModel done;
    Status s = UnloadVerified(model, kind, &gpu, &done);
    if (!s.ok()) {
      // The old profile keeps the slot: what was freed reloads on its next use.
      state.switching.reset();
      state.last_error = s.message();
      (void)SaveState(state);
      return s;
    }
    report.unloaded.push_back(done);
    // Recorded as it goes, so nothing already gone is counted as the slot's.
    if (state.active_models) {
      std::erase_if(*state.active_models, [&](const auto& m) { return m.name == model.name; });
    }
    MaybeCrash("profile_switch:after_unload");
  }
  report.unload_ms = std::chrono::duration<double, std::milli>(Clock::now() - unload_start).count();

  state.switching->phase = SwitchPhase::kPreloading;
  LH_RETURN_IF_ERROR(SaveState(state));
  auto preload_start = Clock::now();
  for (const auto& m : plan.needed) {
    PreloadedModel done;
    done.name = m.name;
    done.kind = m.kind;
    done.already_loaded = Find(plan.loaded, m.name) != nullptr;
    auto load_start = Clock::now();
    // Loaded ones too: the request renews their keep_alive.
    Status s = server_.Load(m.name, m.kind, options_.keep_alive);
    done.load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
    if (!s.ok()) {
      state.active.reset();
      state.switching.reset();
      state.last_error = "switch to profile '" + *to_id + "' failed while loading: " + s.message();
      // What did load is still the slot's, to be freed by the next switch.
      std::vector<ProfileModel> loaded_so_far;
      for (const auto& p : report.preloaded) loaded_so_far.push_back({p.name, p.kind});
      state.active_models = loaded_so_far;
      (void)SaveState(state);
      return Status(s.code(), s.message() + "; the GPU slot is now empty (the previous profile's models were unloaded)");
    }
    report.preloaded.push_back(done);
  }
  if (!plan.needed.empty()) {
    auto now = server_.Loaded();
    for (auto& p : report.preloaded) {
      const LoadedModel* l = now.ok() ? Find(*now, p.name) : nullptr;
      if (!l) {
        report.warnings.push_back("model '" + p.name + "' answered its load but /api/ps does not list it");
        continue;
      }
      p.size = l->size;
      p.size_vram = l->size_vram;
      if (l->size > 0 && l->size_vram < l->size) {
        report.warnings.push_back("model '" + p.name + "' is " +
                                  std::to_string(static_cast<int>(std::lround(100.0 * l->size_vram / l->size))) +
                                  "% on the GPU; the rest runs on the CPU, slower");
      }
    }
  }
  report.preload_ms = std::chrono::duration<double, std::milli>(Clock::now() - preload_start).count();
  MaybeCrash("profile_switch:before_commit");
  if (!plan.gpu.failed) {
    if (GpuSnapshot after = ReadGpu(options_.gpu); after.present) report.gpu_used_after_mib = after.used_mib();
  }
  report.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  state.active = to_id;
  state.active_models = plan.needed;
  state.since = Now();
  state.switching.reset();
  state.last_switch = report;
  state.last_error.clear();
  LH_RETURN_IF_ERROR(SaveState(state));
  spdlog::info("GPU slot: {} -> {} in {:.0f} ms (unload {:.0f} ms, preload {:.0f} ms)", Name(report.from),
               Name(report.to), report.total_ms, report.unload_ms, report.preload_ms);
  return report;
}

std::optional<Reconciliation> ProfileSlot::Reconcile() {
  std::lock_guard serial(switch_mutex_);
  ProcessLock across(state_path_.parent_path() / "profile_slot.lock");
  SlotState state = LoadState();
  if (!state.switching) return std::nullopt;
  Reconciliation r;
  r.at = Now();
  r.from = state.switching->from;
  r.to = state.switching->to;
  r.phase = state.switching->phase;
  auto loaded = server_.Loaded();
  auto all_loaded = [&](const std::optional<std::string>& id) {
    if (!id) return false;
    auto p = profiles_.Get(*id);
    if (!p.ok()) return false;
    for (const auto& m : ModelsOf(*p)) {
      if (!Find(*loaded, m.name)) return false;
    }
    return true;
  };
  if (!loaded.ok()) {
    r.outcome = "the switch from " + Name(r.from) + " to " + Name(r.to) + " was cut off while " +
                SwitchPhaseName(r.phase) + ", and the model server cannot be asked what is loaded (" +
                loaded.status().message() + "); the slot is empty until a profile is activated";
  } else if (!r.to) {
    r.outcome = "a deactivation of " + Name(r.from) + " was cut off; the slot is empty";
  } else if (r.phase == SwitchPhase::kPreloading && all_loaded(r.to)) {
    r.active = r.to;
    r.outcome = "the switch to " + Name(r.to) + " was cut off after its models loaded; /api/ps lists them all, so it holds the slot";
  } else if (r.phase == SwitchPhase::kUnloading && all_loaded(r.from)) {
    r.active = r.from;
    r.outcome = "the switch to " + Name(r.to) + " was cut off before anything was unloaded; " + Name(r.from) +
                " keeps the slot";
  } else {
    r.outcome = "the switch from " + Name(r.from) + " to " + Name(r.to) + " was cut off while " +
                SwitchPhaseName(r.phase) + " and neither profile's models are all loaded; the slot is empty";
  }
  state.active = r.active;
  // What is loaded of either profile stays the slot's, for the next switch to free.
  if (loaded.ok()) {
    std::vector<ProfileModel> ours;
    for (const auto& id : {r.from, r.to}) {
      if (!id || (r.active && id != r.active)) continue;
      auto p = profiles_.Get(*id);
      if (!p.ok()) continue;
      for (const auto& m : ModelsOf(*p)) {
        if (Find(*loaded, m.name) && !Uses(ours, m.name)) ours.push_back(m);
      }
    }
    if (!r.active) {
      for (const auto& m : state.active_models.value_or(std::vector<ProfileModel>{})) {
        if (Find(*loaded, m.name) && !Uses(ours, m.name)) ours.push_back(m);
      }
    }
    state.active_models = ours;
  }
  state.since = Now();
  state.switching.reset();
  state.reconciled = r;
  if (Status s = SaveState(state); !s.ok()) spdlog::warn("GPU slot: could not record the reconciliation: {}", s.message());
  spdlog::warn("GPU slot: {}", r.outcome);
  return r;
}

}  // namespace lakehouse::ai
