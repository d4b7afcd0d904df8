#include "vector/index_registry.h"

#include "vector/autotune/trial_journal.h"
#include "vector/eval/eval_store.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/names.h"

namespace lakehouse::vector {

namespace {

constexpr const char* kManifestDir = "_catalog/indexes/";

std::string ManifestKey(const std::string& name) { return IndexManifestKey(name); }

int Threads(int configured) {
  if (configured > 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Query knobs the index's own settings name (PATCHed ones included) carry
// over to a freshly built generation of the same backend.
void KeepQueryKnobs(const BackendSpec& wanted, IndexGeneration& built) {
  if (wanted.kind != built.backend.kind) return;
  for (const auto& [knob, value] : QueryKnobsOf(wanted.kind, wanted.options)) built.backend.options[knob] = value;
}


Status CheckColumn(const catalog::Manifest& dataset, const std::string& column, const char* role, bool allow_pii) {
  if (column.empty()) return InvalidArgument(std::string(role) + " is required");
  const catalog::ColumnMeta* c = dataset.FindColumn(column);
  if (!c) {
    std::string known;
    for (const auto& col : dataset.columns) known += (known.empty() ? "" : ", ") + col.name;
    return InvalidArgument("dataset '" + dataset.name + "' has no column '" + column + "' (columns: " + known + ")");
  }
  if (c->is_pii && !allow_pii) {
    std::string reason = !c->pii_name_reason.empty() ? c->pii_name_reason : c->pii_value_reason;
    return PermissionDenied("column '" + column + "' is flagged PII (" + reason +
                            "); its values would be sent to the embedder and stored in the index. "
                            "Set \"allow_pii\": true to index it anyway");
  }
  return Status::Ok();
}

}  // namespace




Status IndexRegistry::Open() {
  ReloadIfChanged();
  // Files of generations that never got published (a crash mid-build) or
  // were replaced but not yet removed. Only for indexes no process is
  // working on right now: their files are all accounted for by the manifest.
  for (const auto& m : List()) {
    if (m.status != IndexStatus::kReady || !m.active) continue;
    ProcessLock lock(LockPath(m.name), ProcessLock::Mode::kTry);
    if (!lock.held()) continue;
    ForceReload();
    auto fresh = Get(m.name);
    auto store = buckets_.Get(m.bucket);
    if (!fresh.ok() || !fresh->active || !store.ok()) continue;
    auto keep = GenerationFiles(*fresh->active);
    auto listed = (*store)->List(IndexDirKey(m.name));
    if (!listed.ok()) continue;
    for (const auto& object : *listed) {
      // Eval sets and the trial journal live beside the generations and are no generation's.
      if (object.key.rfind(eval::EvalSetsKey(m.name), 0) == 0 || object.key == autotune::TrialsKey(m.name)) continue;
      if (!keep.count(object.key)) (void)(*store)->Delete(object.key);
    }
  }
  SweepMisplacedFiles();
  return Status::Ok();
}

Result<IndexBuilder*> IndexRegistry::Builder() {
  // Opened on first use: every CLI command starts a registry, few need DuckDB.
  std::lock_guard lock(builder_mutex_);
  if (!builder_) {
    engine::DatabaseOptions db_options;
    db_options.threads = Threads(options_.threads);
    db_options.memory_limit = options_.memory_limit;
    db_options.temp_directory = options_.temp_directory;
    LH_ASSIGN_OR_RETURN(auto db, engine::Database::Open(db_options));
    builder_ = std::make_unique<IndexBuilder>(std::move(db));
  }
  return builder_.get();
}

void IndexRegistry::RecordGeneration(IndexManifest& m, const BuildOutcome& outcome) {
  m.active = outcome.index->generation;
  KeepQueryKnobs(m.backend, *m.active);
  m.build_ms = outcome.stats.total_ms;
  m.last_build = outcome.stats;
  m.last_refreshed_at = Now();
}

Result<IndexManifest> IndexRegistry::Prepare(IndexManifest request) {
  LH_RETURN_IF_ERROR(ValidateName(request.name, "index name"));
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(request.dataset));
  LH_RETURN_IF_ERROR(CheckColumn(dataset, request.id_column, "id_column", request.allow_pii));
  LH_RETURN_IF_ERROR(CheckColumn(dataset, request.text_column, "text_column", request.allow_pii));
  LH_RETURN_IF_ERROR(ValidateChunkOptions(request.chunking));
  LH_RETURN_IF_ERROR(ValidateBackendOptions(request.backend));
  LH_RETURN_IF_ERROR(ValidateRefreshPolicy(request.refresh));
  request.follows_dataset = request.bucket.empty() || request.bucket == dataset.bucket;
  if (request.bucket.empty()) request.bucket = dataset.bucket;
  LH_RETURN_IF_ERROR(buckets_.Get(request.bucket).status());
  // Fail now, not minutes into a build, when the embedder cannot work.
  LH_ASSIGN_OR_RETURN(request.embedder, embedders_.Probe(request.embedder));
  request.status = IndexStatus::kBuilding;
  request.error.clear();
  request.active.reset();
  request.pending_embedder.reset();
  request.created_at = request.updated_at = Now();
  ReloadIfChanged();
  ProcessLock manifests(buckets_.Primary()->Root() / kManifestDir / ".manifests.lock");
  std::lock_guard lock(mutex_);
  if (entries_.count(request.name) || buckets_.Primary()->Stat(ManifestKey(request.name)).ok()) {
    return Conflict("index '" + request.name + "' already exists; drop it first or pick another name");
  }
  LH_RETURN_IF_ERROR(Store(request));
  entries_[request.name].manifest = request;
  return request;
}

int IndexRegistry::BuildThreads() const { return Threads(options_.threads); }

Result<BuildOutcome> IndexRegistry::RunBuild(const IndexManifest& manifest, const ai::EmbedderSpec& spec,
                                             int generation, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(manifest.dataset));
  LH_ASSIGN_OR_RETURN(auto dataset_store, buckets_.Get(dataset.bucket));
  LH_ASSIGN_OR_RETURN(auto index_store, buckets_.Get(manifest.bucket));
  LH_ASSIGN_OR_RETURN(auto embedder, embedders_.Make(spec));
  ProgressTracker tracker(*this, manifest.name, progress);
  BuildInputs in{manifest, dataset, dataset_store, index_store, *embedder, Threads(options_.threads), tracker.fn()};
  LH_ASSIGN_OR_RETURN(auto builder, Builder());
  return builder->Build(in, generation);
}

IndexRegistry::ProgressTracker::ProgressTracker(IndexRegistry& registry, std::string name, ProgressFn forward)
    : registry_(registry), name_(std::move(name)), forward_(std::move(forward)) {}

IndexRegistry::ProgressTracker::~ProgressTracker() {
  std::lock_guard lock(registry_.mutex_);
  if (auto it = registry_.entries_.find(name_); it != registry_.entries_.end()) it->second.progress.reset();
}

ProgressFn IndexRegistry::ProgressTracker::fn() {
  return [this](const BuildProgress& p) {
    {
      std::lock_guard lock(registry_.mutex_);
      if (auto it = registry_.entries_.find(name_); it != registry_.entries_.end()) it->second.progress = p;
    }
    if (forward_) forward_(p);
  };
}

std::optional<BuildProgress> IndexRegistry::Progress(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second.progress;
}

Result<IndexManifest> IndexRegistry::BuildPrepared(const std::string& name, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  std::optional<IndexGeneration> previous = manifest.active;
  int generation = previous ? previous->number + 1 : 1;
  auto outcome = RunBuild(manifest, manifest.embedder, generation, progress);
  if (!outcome.ok()) {
    (void)Update(name, [&](IndexManifest& m) {
      m.status = m.active ? IndexStatus::kReady : IndexStatus::kFailed;
      m.error = "build failed: " + outcome.status().message();
      return Status::Ok();
    });
    return outcome.status();
  }
  return Publish(
      name,
      [&](IndexManifest& m) {
        m.status = IndexStatus::kReady;
        m.error.clear();
        RecordGeneration(m, *outcome);
        return Status::Ok();
      },
      outcome->index, previous);
}

Result<IndexManifest> IndexRegistry::Publish(const std::string& name,
                                             const std::function<Status(IndexManifest&)>& change,
                                             std::shared_ptr<const LoadedIndex> loaded,
                                             const std::optional<IndexGeneration>& replaced) {
  LH_ASSIGN_OR_RETURN(auto manifest, Update(name, change));
  if (loaded) {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(name); it != entries_.end()) {
      it->second.loaded = std::move(loaded);
      it->second.served_ahead = false;
    }
  }
  // Searches that still hold the old generation read it from memory (and
  // open files), so its files can go now.
  if (replaced && manifest.active) {
    auto keep = GenerationFiles(*manifest.active);
    if (auto store = buckets_.Get(manifest.bucket); store.ok()) {
      for (const auto& key : GenerationFiles(*replaced)) {
        if (!keep.count(key)) (void)(*store)->Delete(key);
      }
    }
  }
  RecordEmbedded(manifest.dataset);
  return manifest;
}

Status IndexRegistry::Drop(const std::string& name) {
  LH_RETURN_IF_ERROR(ValidateName(name, "index name"));
  auto found = Get(name);
  if (!found.ok() && found.status().code() == StatusCode::kNotFound &&
      buckets_.Primary()->Stat(ManifestKey(name)).ok()) {
    // A manifest that cannot be read (skipped and reported) can still go,
    // with the files of that name in any bucket: index names are unique.
    ProcessLock process(LockPath(name));
    LH_RETURN_IF_ERROR(buckets_.Primary()->Delete(ManifestKey(name)));
    for (const auto& bucket : buckets_.List()) {
      std::error_code ec;
      std::filesystem::remove_all(bucket.root / IndexDirKey(name), ec);
    }
    ForceReload();
    return Status::Ok();
  }
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  ProcessLock tuning(AutotuneLockPath(name), ProcessLock::Mode::kTry);
  if (!tuning.held()) {
    return Conflict("index '" + name + "' is being autotuned; drop it when the run is done (GET /vectors/indexes/" +
                    name + "/autotune)");
  }
  {
    ProcessLock lock(buckets_.Primary()->Root() / kManifestDir / ".manifests.lock");
    std::lock_guard guard(mutex_);
    LH_RETURN_IF_ERROR(buckets_.Primary()->Delete(ManifestKey(name)));
    entries_.erase(name);
  }
  problems_.Clear("index " + name);
  if (auto store = buckets_.Get(manifest.bucket); store.ok()) {
    if (auto listed = (*store)->List(IndexDirKey(name)); listed.ok()) {
      for (const auto& object : *listed) (void)(*store)->Delete(object.key);
    }
    if (auto dir = (*store)->LocalPath(IndexDirKey(name))) {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    }
  }
  return Status::Ok();
}

Result<IndexManifest> IndexRegistry::Patch(const std::string& name, const IndexPatch& patch) {
  LH_ASSIGN_OR_RETURN(auto current, Get(name));
  if (patch.refresh) LH_RETURN_IF_ERROR(ValidateRefreshPolicy(*patch.refresh));
  if (patch.text_weight && *patch.text_weight && !(**patch.text_weight >= 0 && **patch.text_weight <= 1)) {
    return InvalidArgument("text_weight must be between 0 and 1 (the text list's share in a hybrid search)");
  }
  if (!patch.search_defaults.empty()) {
    if (!current.active) return Conflict("index '" + name + "' has no built generation yet; wait until it is ready");
    LH_RETURN_IF_ERROR(ValidateSearchKnobs(current.active->backend.kind, patch.search_defaults));
  }
  if (patch.backend) {
    LH_RETURN_IF_ERROR(ValidateBackendOptions(*patch.backend));
    if (patch.embedder) {
      return InvalidArgument("change the embedder or the backend, not both at once (each builds a new generation)");
    }
  }
  std::optional<ai::EmbedderSpec> pending;
  if (patch.embedder) {
    // Probed before any lock: an embedding server may take its time.
    LH_ASSIGN_OR_RETURN(pending, embedders_.Probe(*patch.embedder));
  }
  return Update(name, [&](IndexManifest& m) -> Status {
    if (pending) {
      if (m.status != IndexStatus::kReady || !m.active) {
        return Conflict("index '" + name + "' is " + IndexStatusName(m.status) + "; wait until it is ready");
      }
      if (pending->provider == m.embedder.provider && pending->model == m.embedder.model) {
        return InvalidArgument("index '" + name + "' already uses " + pending->provider + "/" + pending->model);
      }
      m.pending_embedder = pending;
      m.error.clear();
    }
    if (patch.backend) {
      if (m.status != IndexStatus::kReady || !m.active) {
        return Conflict("index '" + name + "' is " + IndexStatusName(m.status) + "; wait until it is ready");
      }
      if (m.pending_embedder) {
        return Conflict("index '" + name + "' is being re-embedded with " + m.pending_embedder->model +
                        "; change the backend when that is done");
      }
      LH_RETURN_IF_ERROR(
          ValidateForIndex(*patch.backend, static_cast<size_t>(m.active->chunk_count), m.active->dimension));
      if (*patch.backend == m.backend &&
          ResolveBackend(*patch.backend, m.active->chunk_count, m.active->dimension).kind == m.active->backend.kind) {
        return InvalidArgument("index '" + name + "' already uses backend " + BackendKindName(m.backend.kind) +
                               " with these options");
      }
      m.pending_backend = *patch.backend;
      m.error.clear();
    }
    if (pending && m.pending_backend) {
      return Conflict("index '" + name + "' is changing its backend; change the embedder when that is done");
    }
    if (patch.refresh) m.refresh = *patch.refresh;
    if (patch.text_weight) m.text_weight = *patch.text_weight;
    if (!patch.search_defaults.empty()) {
      if (!m.active) return Conflict("index '" + name + "' has no built generation yet; wait until it is ready");
      LH_RETURN_IF_ERROR(ValidateSearchKnobs(m.active->backend.kind, patch.search_defaults));
      for (const auto& [knob, value] : patch.search_defaults) {
        m.active->backend.options[knob] = value;
        // Kept for later builds of the same backend.
        if (m.backend.kind == m.active->backend.kind) m.backend.options[knob] = value;
      }
    }
    return Status::Ok();
  });
}

Result<IndexManifest> IndexRegistry::RecordEval(const std::string& name, const EvalRecord& record,
                                                std::optional<double> tuned_text_weight) {
  return Update(name, [&](IndexManifest& m) -> Status {
    m.evals.push_back(record);
    if (m.evals.size() > kMaxEvalHistory) {
      m.evals.erase(m.evals.begin(), m.evals.end() - static_cast<long>(kMaxEvalHistory));
    }
    if (tuned_text_weight) m.text_weight = *tuned_text_weight;
    return Status::Ok();
  });
}

Result<IndexManifest> IndexRegistry::BuildShadow(const std::string& name, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.pending_embedder && manifest.pending_backend && manifest.active) {
    return BuildPendingBackend(name, progress);
  }
  if (!manifest.pending_embedder || !manifest.active) return manifest;
  const ai::EmbedderSpec target = *manifest.pending_embedder;
  auto same_target = [&](const IndexManifest& m) {
    return m.pending_embedder && m.pending_embedder->provider == target.provider &&
           m.pending_embedder->model == target.model;
  };
  std::optional<IndexGeneration> previous = manifest.active;
  auto outcome = RunBuild(manifest, target, previous->number + 1, progress);
  if (!outcome.ok()) {
    (void)Update(name, [&](IndexManifest& m) {
      m.error = "re-embedding with " + target.model + " failed: " + outcome.status().message();
      if (same_target(m)) m.pending_embedder.reset();
      return Status::Ok();
    });
    return outcome.status();
  }
  return Publish(
      name,
      [&](IndexManifest& m) {
        m.embedder = target;
        m.text_weight.reset();  // fitted to the old model's scores
        // A newer model asked for meanwhile stays pending, for the next build.
        if (same_target(m)) m.pending_embedder.reset();
        RecordGeneration(m, *outcome);
        return Status::Ok();
      },
      outcome->index, previous);
}

Result<RefreshReport> IndexRegistry::Refresh(const std::string& name, const ProgressFn& progress) {
  // The common case, nothing new, is answered without a lock or a file.
  LH_ASSIGN_OR_RETURN(auto quick, Get(name));
  if (!quick.active) {
    return Conflict("index '" + name + "' has no built generation yet (status " + IndexStatusName(quick.status) + ")");
  }
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(quick.dataset));
  RefreshReport report;
  report.index = name;
  report.generation = quick.active->number;
  if (DatasetSignature(dataset) == quick.active->source_signature) {
    report.stats.no_op = true;
    return report;
  }
  LH_ASSIGN_OR_RETURN(auto work, LockWork(name));
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.active) {  // dropped and created again while this waited
    return Conflict("index '" + name + "' has no built generation yet (status " + IndexStatusName(manifest.status) + ")");
  }
  LH_ASSIGN_OR_RETURN(dataset, catalog_.Get(manifest.dataset));
  report.generation = manifest.active->number;
  if (DatasetSignature(dataset) == manifest.active->source_signature) {  // refreshed while this waited
    report.stats.no_op = true;
    return report;
  }
  LH_ASSIGN_OR_RETURN(auto dataset_store, buckets_.Get(dataset.bucket));
  LH_ASSIGN_OR_RETURN(auto index_store, buckets_.Get(manifest.bucket));
  LH_ASSIGN_OR_RETURN(auto embedder, embedders_.Make(manifest.embedder));
  std::shared_ptr<const LoadedIndex> current = LoadedFor(manifest);
  ProgressTracker tracker(*this, name, progress);
  BuildInputs in{manifest, dataset, dataset_store, index_store, *embedder, Threads(options_.threads), tracker.fn(),
                 options_.rebuild_tombstone_ratio};
  // An append is served as soon as it can be searched, before it is
  // durable; if it then fails, the generation before is served again.
  std::shared_ptr<const LoadedIndex> served_before;
  bool served_early = false;
  in.on_searchable = [&](std::shared_ptr<const LoadedIndex> appended) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return;
    served_before = it->second.loaded;
    it->second.loaded = std::move(appended);
    it->second.manifest.active = it->second.loaded->generation;  // stored by Publish below
    it->second.served_ahead = served_early = true;
  };
  auto take_back = [&] {
    if (!served_early) return;
    {
      std::lock_guard lock(mutex_);
      if (auto it = entries_.find(name); it != entries_.end()) {
        it->second.loaded = served_before;
        it->second.served_ahead = false;
      }
    }
    ForceReload();
  };
  LH_ASSIGN_OR_RETURN(auto builder, Builder());
  auto refreshed = builder->Refresh(in, *manifest.active, current);
  if (!refreshed.ok()) {
    take_back();
    return refreshed.status();
  }
  BuildOutcome outcome = std::move(*refreshed);
  report.rebuilt = outcome.compacted;
  report.stats = outcome.stats;
  IndexGeneration next = outcome.index->generation;
  report.generation = next.number;
  // A signature-only step keeps the served graph; a new generation brings its own.
  bool new_files = outcome.index->backend != nullptr;
  auto published = Publish(
                         name,
                         [&](IndexManifest& m) {
                           // A PATCH of the knobs while this ran wins over the copy it started from.
                           if (m.active && m.active->backend.kind == next.backend.kind) {
                             for (const auto& [knob, value] : QueryKnobsOf(next.backend.kind, m.active->backend.options)) {
                               next.backend.options[knob] = value;
                             }
                           }
                           m.active = next;
                           m.last_build = report.stats;
                           m.last_refreshed_at = Now();
                           return Status::Ok();
                         },
                         new_files ? outcome.index : nullptr, manifest.active);
  if (!published.ok()) {
    take_back();
    return published.status();
  }
  report.appended = outcome.appended;
  if (new_files) {
    work.local.unlock();  // a merge takes the work lock itself
    work.process.reset();
    MergeIfDue(name, *outcome.index);
  }
  return report;
}

}  // namespace lakehouse::vector
