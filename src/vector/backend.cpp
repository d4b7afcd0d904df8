#include "vector/backend.h"

#include "vector/backends/backends.h"

namespace lakehouse::vector {

const char* BackendKindName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto: return "auto";
    case BackendKind::kFlat: return "flat";
    case BackendKind::kHnsw: return "hnsw";
    case BackendKind::kIvfPq: return "ivf_pq";
  }
  return "auto";
}

Result<BackendKind> ParseBackendKind(std::string_view name) {
  for (BackendKind k : {BackendKind::kAuto, BackendKind::kFlat, BackendKind::kHnsw, BackendKind::kIvfPq}) {
    if (name == BackendKindName(k)) return k;
  }
  return InvalidArgument("backend must be auto, flat, hnsw or ivf_pq (got '" + std::string(name) + "')");
}

const BackendType& TypeOf(BackendKind kind) {
  switch (kind) {
    case BackendKind::kFlat: return FlatBackendType();
    case BackendKind::kIvfPq: return IvfPqBackendType();
    case BackendKind::kHnsw:
    case BackendKind::kAuto: break;
  }
  return HnswBackendType();
}

namespace {

std::string Names(const std::vector<ParamRange>& params, bool query_knobs) {
  std::string names;
  for (const auto& p : params) {
    if (query_knobs && !p.query_knob) continue;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  return names.empty() ? "none" : names;
}

Status CheckRange(const char* backend, const ParamRange& p, int64_t value, const char* what) {
  if (value < p.min || value > p.max) {
    return InvalidArgument(std::string(backend) + " " + what + " '" + p.name + "' must be between " +
                           std::to_string(p.min) + " and " + std::to_string(p.max) + " (got " +
                           std::to_string(value) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateBackendOptions(const BackendSpec& spec) {
  if (spec.kind == BackendKind::kAuto) {
    if (!spec.options.empty()) {
      return InvalidArgument("backend auto takes no options; name the backend (flat, hnsw or ivf_pq) to set '" +
                             spec.options.begin()->first + "'");
    }
    return Status::Ok();
  }
  const char* name = BackendKindName(spec.kind);
  auto params = TypeOf(spec.kind).params();
  for (const auto& [key, value] : spec.options) {
    const ParamRange* found = nullptr;
    for (const auto& p : params) found = p.name == key ? &p : found;
    if (!found) {
      return InvalidArgument(std::string(name) + " has no option '" + key + "' (its options: " + Names(params, false) +
                             ")");
    }
    LH_RETURN_IF_ERROR(CheckRange(name, *found, value, "option"));
  }
  return Status::Ok();
}

Status ValidateSearchKnobs(BackendKind kind, const BackendOptions& knobs) {
  const char* name = BackendKindName(kind);
  auto params = TypeOf(kind).params();
  for (const auto& [key, value] : knobs) {
    const ParamRange* found = nullptr;
    for (const auto& p : params) found = p.name == key && p.query_knob ? &p : found;
    if (!found) {
      return InvalidArgument("search knob '" + key + "' does not apply to this index's backend, " + name +
                             " (its knobs: " + Names(params, true) + ")");
    }
    LH_RETURN_IF_ERROR(CheckRange(name, *found, value, "knob"));
  }
  return Status::Ok();
}

Status ValidateForIndex(const BackendSpec& spec, size_t n, int dim) {
  LH_RETURN_IF_ERROR(ValidateBackendOptions(spec));
  const BackendSpec resolved = ResolveBackend(spec, n, dim);
  const BackendType& type = TypeOf(resolved.kind);
  return type.fits ? type.fits(n, dim, resolved.options) : Status::Ok();
}

BackendKind ResolveAuto(size_t n, int dim) {
  size_t bytes = n * static_cast<size_t>(std::max(dim, 1)) * sizeof(float);
  return bytes <= kFlatMaxBytes ? BackendKind::kFlat : BackendKind::kHnsw;
}

BackendSpec ResolveBackend(const BackendSpec& requested, size_t n, int dim) {
  BackendSpec out;
  out.kind = requested.kind == BackendKind::kAuto ? ResolveAuto(n, dim) : requested.kind;
  out.options = TypeOf(out.kind).defaults(n, dim, requested.kind == BackendKind::kAuto ? BackendOptions{}
                                                                                        : requested.options);
  return out;
}

BackendOptions QueryKnobsOf(BackendKind kind, const BackendOptions& options) {
  BackendOptions knobs;
  for (const auto& p : TypeOf(kind).params()) {
    if (auto it = options.find(p.name); p.query_knob && it != options.end()) knobs.insert(*it);
  }
  return knobs;
}

BackendSpec BuildKnobsOf(const BackendSpec& spec) {
  const BackendOptions query = QueryKnobsOf(spec.kind, spec.options);
  BackendSpec out{spec.kind, {}};
  for (const auto& [k, v] : spec.options) {
    if (!query.count(k)) out.options[k] = v;
  }
  return out;
}

int64_t OptionOr(const BackendOptions& knobs, const BackendOptions& options, const std::string& name,
                 int64_t fallback) {
  if (auto it = knobs.find(name); it != knobs.end()) return it->second;
  if (auto it = options.find(name); it != options.end()) return it->second;
  return fallback;
}

}  // namespace lakehouse::vector
