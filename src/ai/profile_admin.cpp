// The GPU slot's admin side: what the GPU and the model server hold, and
// one model loaded or unloaded outside any profile (/admin/*).
#include "ai/profile_slot.h"
#include "ai/slot_internal.h"
#include "common/files.h"

namespace lakehouse::ai {

using slot::Find;
using Clock = std::chrono::steady_clock;

VramSnapshot ProfileSlot::Vram() const {
  VramSnapshot v;
  v.gpu = ReadGpu(options_.gpu);
  v.server_configured = server_.configured();
  v.server = server_.configured() ? server_.url() : "";
  if (v.server_configured) {
    auto loaded = server_.Loaded();
    if (loaded.ok()) {
      v.server_reachable = true;
      v.models = std::move(*loaded);
    } else {
      v.server_error = loaded.status().message();
    }
  }
  v.active = LoadState().active;
  return v;
}

Result<UnloadedModel> ProfileSlot::Unload(const std::string& model) {
  // Not beside a switch: its fit check and its VRAM checks would count wrong.
  std::lock_guard serial(switch_mutex_);
  ProcessLock across(state_path_.parent_path() / "profile_slot.lock");
  std::string name = CanonicalModelName(model);
  LH_ASSIGN_OR_RETURN(auto loaded, server_.Loaded());
  const LoadedModel* l = Find(loaded, name);
  if (!l) return NotFound("model '" + name + "' is not loaded on " + server_.where() + "; GET /admin/vram lists what is");
  // The kind decides the route; a wrong guess is refused with 400, so try the other.
  UnloadedModel out;
  GpuSnapshot gpu = ReadGpu(options_.gpu);
  Status s = UnloadVerified(*l, ModelKind::kLlm, &gpu, &out);
  if (s.code() == StatusCode::kInvalidArgument) s = UnloadVerified(*l, ModelKind::kEmbedding, &gpu, &out);
  LH_RETURN_IF_ERROR(s);
  return out;
}

Result<PreloadedModel> ProfileSlot::Preload(const std::string& model, std::optional<ModelKind> kind,
                                            std::optional<std::string> keep_alive) {
  std::lock_guard serial(switch_mutex_);
  ProcessLock across(state_path_.parent_path() / "profile_slot.lock");
  PreloadedModel out;
  out.name = CanonicalModelName(model);
  if (auto before = server_.Loaded(); before.ok()) out.already_loaded = Find(*before, out.name) != nullptr;
  auto start = Clock::now();
  Status s;
  if (kind) {
    out.kind = *kind;
    s = server_.Load(out.name, *kind, keep_alive.value_or(options_.keep_alive));
  } else {
    out.kind = ModelKind::kLlm;
    s = server_.Load(out.name, ModelKind::kLlm, keep_alive.value_or(options_.keep_alive));
    if (s.code() == StatusCode::kInvalidArgument) {
      out.kind = ModelKind::kEmbedding;
      s = server_.Load(out.name, ModelKind::kEmbedding, keep_alive.value_or(options_.keep_alive));
    }
  }
  LH_RETURN_IF_ERROR(s);
  out.load_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (auto loaded = server_.Loaded(); loaded.ok()) {
    if (const LoadedModel* l = Find(*loaded, out.name)) {
      out.size = l->size;
      out.size_vram = l->size_vram;
    }
  }
  return out;
}

}  // namespace lakehouse::ai
