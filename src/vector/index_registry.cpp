#include "vector/index_registry.h"

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

std::string ManifestKey(const std::string& name) { return std::string(kManifestDir) + name + ".json"; }

int Threads(int configured) {
  if (configured > 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::set<std::string> FilesOf(const IndexGeneration& g) {
  std::set<std::string> files(g.embedding_files.begin(), g.embedding_files.end());
  files.insert(g.hnsw_file);
  files.insert(g.text_file);
  return files;
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

IndexRegistry::IndexRegistry(catalog::Catalog& catalog, storage::BucketRegistry& buckets, VectorOptions options)
    : catalog_(catalog), buckets_(buckets), options_(std::move(options)) {}

IndexRegistry::~IndexRegistry() = default;

Status IndexRegistry::Open() {
  engine::DatabaseOptions db_options;
  db_options.threads = Threads(options_.threads);
  LH_ASSIGN_OR_RETURN(db_, engine::Database::Open(db_options));
  builder_ = std::make_unique<IndexBuilder>(db_);
  ReloadIfChanged();
  // Files of generations that never got published (a crash mid-build) or
  // were replaced but not yet removed.
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : entries_) {
    auto store = buckets_.Get(entry.manifest.bucket);
    if (!store.ok() || !entry.manifest.active) continue;
    auto keep = FilesOf(*entry.manifest.active);
    auto listed = (*store)->List(IndexDirKey(name));
    if (!listed.ok()) continue;
    for (const auto& object : *listed) {
      if (!keep.count(object.key) && entry.manifest.status == "ready") (void)(*store)->Delete(object.key);
    }
  }
  return Status::Ok();
}

void IndexRegistry::ReloadIfChanged() const {
  auto dir = buckets_.Primary()->Root() / kManifestDir;
  struct stat st{};
  int64_t mtime = ::stat(dir.c_str(), &st) == 0 ? st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : 0;
  std::lock_guard lock(mutex_);
  if (mtime == seen_dir_mtime_ns_) return;
  seen_dir_mtime_ns_ = mtime;
  auto listed = buckets_.Primary()->List(kManifestDir);
  if (!listed.ok()) return;
  std::set<std::string> present;
  for (const auto& object : *listed) {
    if (object.key.size() < 5 || object.key.substr(object.key.size() - 5) != ".json") continue;
    auto bytes = buckets_.Primary()->Get(object.key);
    if (!bytes.ok()) continue;
    auto parsed = IndexManifestFromJson(nlohmann::json::parse(*bytes, nullptr, false));
    if (!parsed.ok()) {
      spdlog::warn("index manifest {}: {}", object.key, parsed.status().message());
      continue;
    }
    present.insert(parsed->name);
    Entry& entry = entries_[parsed->name];
    if (entry.manifest.embedder.model != parsed->embedder.model) entry.query_embedder.reset();
    entry.manifest = std::move(*parsed);
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = present.count(it->first) ? std::next(it) : entries_.erase(it);
  }
}

Status IndexRegistry::Store(const IndexManifest& manifest) {
  LH_RETURN_IF_ERROR(EnsureDirectory(buckets_.Primary()->Root() / kManifestDir));
  return buckets_.Primary()->Put(ManifestKey(manifest.name), IndexManifestToJson(manifest).dump(2));
}

Result<ai::EmbedderSpec> IndexRegistry::Complete(ai::EmbedderSpec spec) const {
  if (spec.provider == "ollama" && spec.url.empty()) spec.url = options_.ollama_url;
  if (spec.provider == "openai") {
    if (spec.url.empty()) spec.url = options_.openai_url;
    if (spec.api_key.empty()) spec.api_key = options_.openai_api_key;
  }
  return spec;
}

Result<IndexManifest> IndexRegistry::Prepare(IndexManifest request) {
  LH_RETURN_IF_ERROR(ValidateName(request.name, "index name"));
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(request.dataset));
  LH_RETURN_IF_ERROR(CheckColumn(dataset, request.id_column, "id_column", request.allow_pii));
  LH_RETURN_IF_ERROR(CheckColumn(dataset, request.text_column, "text_column", request.allow_pii));
  LH_RETURN_IF_ERROR(ValidateChunkOptions(request.chunking));
  LH_RETURN_IF_ERROR(ValidateHnswParams(request.hnsw));
  LH_RETURN_IF_ERROR(ValidateRefreshPolicy(request.refresh));
  if (request.bucket.empty()) request.bucket = dataset.bucket;
  LH_RETURN_IF_ERROR(buckets_.Get(request.bucket).status());
  // Fail now, not minutes into a build, when the embedder cannot work.
  LH_ASSIGN_OR_RETURN(auto spec, Complete(request.embedder));
  LH_ASSIGN_OR_RETURN(auto embedder, ai::MakeEmbedder(spec));
  request.embedder.model = embedder->model();
  request.embedder.dimension = embedder->dimension();
  request.embedder.api_key.clear();
  request.status = "building";
  request.error.clear();
  request.active.reset();
  request.pending_embedder.reset();
  request.created_at = request.updated_at = Now();
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  if (entries_.count(request.name)) {
    return Conflict("index '" + request.name + "' already exists; drop it first or pick another name");
  }
  LH_RETURN_IF_ERROR(Store(request));
  entries_[request.name].manifest = request;
  return request;
}

Result<std::shared_ptr<std::mutex>> IndexRegistry::WorkMutex(const std::string& name) {
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return NotFound("no index named '" + name + "'; GET /vectors/indexes lists them");
  return it->second.work_mutex;
}

Result<BuildOutcome> IndexRegistry::RunBuild(const IndexManifest& manifest, const ai::EmbedderSpec& spec,
                                             int generation, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(manifest.dataset));
  LH_ASSIGN_OR_RETURN(auto dataset_store, buckets_.Get(dataset.bucket));
  LH_ASSIGN_OR_RETURN(auto index_store, buckets_.Get(manifest.bucket));
  LH_ASSIGN_OR_RETURN(auto full_spec, Complete(spec));
  LH_ASSIGN_OR_RETURN(auto embedder, ai::MakeEmbedder(full_spec));
  BuildInputs in{manifest, dataset, dataset_store, index_store, *embedder, Threads(options_.threads), progress};
  return builder_->Build(in, generation);
}

Result<IndexManifest> IndexRegistry::BuildPrepared(const std::string& name, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto work, WorkMutex(name));
  std::lock_guard work_lock(*work);
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  std::optional<IndexGeneration> previous = manifest.active;
  int generation = previous ? previous->number + 1 : 1;
  auto outcome = RunBuild(manifest, manifest.embedder, generation, progress);
  if (!outcome.ok()) {
    manifest.status = previous ? "ready" : "failed";
    manifest.error = "build failed: " + outcome.status().message();
    manifest.updated_at = Now();
    (void)Store(manifest);
    ReloadIfChanged();
    return outcome.status();
  }
  manifest.status = "ready";
  manifest.error.clear();
  manifest.active = outcome->index->generation;
  manifest.build_ms = outcome->stats.total_ms;
  manifest.last_build = outcome->stats;
  manifest.last_refreshed_at = manifest.updated_at = Now();
  LH_RETURN_IF_ERROR(Publish(name, manifest, outcome->index, previous));
  return manifest;
}

Status IndexRegistry::Publish(const std::string& name, IndexManifest manifest,
                              std::shared_ptr<const LoadedIndex> loaded,
                              const std::optional<IndexGeneration>& replaced) {
  {
    std::lock_guard lock(mutex_);
    LH_RETURN_IF_ERROR(Store(manifest));
    Entry& entry = entries_[name];
    if (entry.manifest.embedder.model != manifest.embedder.model) entry.query_embedder.reset();
    entry.manifest = manifest;
    if (loaded) entry.loaded = std::move(loaded);
  }
  // Searches that still hold the old generation read it from memory (and
  // open files), so its files can go now.
  if (replaced && manifest.active) {
    auto keep = FilesOf(*manifest.active);
    if (auto store = buckets_.Get(manifest.bucket); store.ok()) {
      for (const auto& key : FilesOf(*replaced)) {
        if (!keep.count(key)) (void)(*store)->Delete(key);
      }
    }
  }
  RecordEmbedded(manifest.dataset);
  return Status::Ok();
}

void IndexRegistry::RecordEmbedded(const std::string& dataset) {
  auto indexes = IndexesOfDataset(dataset);
  auto result = catalog_.Mutate(dataset, [&](std::optional<catalog::Manifest> m) -> Result<catalog::Manifest> {
    if (!m) return NotFound("dataset " + dataset + " is gone");
    bool fresh = true;
    for (const auto& index : indexes) {
      if (!index.active || index.active->source_signature != DatasetSignature(*m)) fresh = false;
    }
    m->last_embedded_at = Now();
    if (fresh) {
      m->embedding_stale_since.reset();
    } else if (!m->embedding_stale_since) {
      m->embedding_stale_since = Now();
    }
    return *m;
  });
  if (!result.ok()) spdlog::warn("recording embeddings of {}: {}", dataset, result.status().message());
}

std::vector<IndexManifest> IndexRegistry::List() const {
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  std::vector<IndexManifest> out;
  for (const auto& [name, entry] : entries_) out.push_back(entry.manifest);
  return out;
}

Result<IndexManifest> IndexRegistry::Get(const std::string& name) const {
  LH_RETURN_IF_ERROR(ValidateName(name, "index name"));
  ReloadIfChanged();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return NotFound("no index named '" + name + "'; GET /vectors/indexes lists them");
  return it->second.manifest;
}

bool IndexRegistry::SourceChanged(const IndexManifest& manifest) const {
  auto dataset = catalog_.Get(manifest.dataset);
  return manifest.active && dataset.ok() && DatasetSignature(*dataset) != manifest.active->source_signature;
}

std::vector<IndexManifest> IndexRegistry::IndexesOfDataset(const std::string& dataset) const {
  std::vector<IndexManifest> out;
  for (auto& m : List()) {
    if (m.dataset == dataset) out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> IndexRegistry::IndexesInBucket(const std::string& bucket) const {
  std::vector<std::string> out;
  for (const auto& m : List()) {
    if (m.bucket == bucket) out.push_back(m.name);
  }
  return out;
}

Status IndexRegistry::Drop(const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto work, WorkMutex(name));
  std::lock_guard work_lock(*work);
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  {
    std::lock_guard lock(mutex_);
    LH_RETURN_IF_ERROR(buckets_.Primary()->Delete(ManifestKey(name)));
    entries_.erase(name);
  }
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
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (patch.refresh) {
    LH_RETURN_IF_ERROR(ValidateRefreshPolicy(*patch.refresh));
    manifest.refresh = *patch.refresh;
  }
  if (patch.ef_search) {
    HnswParams p = manifest.hnsw;
    p.ef_search = *patch.ef_search;
    LH_RETURN_IF_ERROR(ValidateHnswParams(p));
    manifest.hnsw = p;
  }
  if (patch.embedder) {
    if (manifest.status != "ready") return Conflict("index '" + name + "' is " + manifest.status + "; wait until it is ready");
    LH_ASSIGN_OR_RETURN(auto spec, Complete(*patch.embedder));
    LH_ASSIGN_OR_RETURN(auto embedder, ai::MakeEmbedder(spec));
    ai::EmbedderSpec pending = *patch.embedder;
    pending.model = embedder->model();
    pending.dimension = embedder->dimension();
    pending.api_key.clear();
    if (pending.provider == manifest.embedder.provider && pending.model == manifest.embedder.model) {
      return InvalidArgument("index '" + name + "' already uses " + pending.provider + "/" + pending.model);
    }
    manifest.pending_embedder = pending;
    manifest.error.clear();
  }
  manifest.updated_at = Now();
  std::lock_guard lock(mutex_);
  LH_RETURN_IF_ERROR(Store(manifest));
  entries_[name].manifest = manifest;
  return manifest;
}

Result<IndexManifest> IndexRegistry::BuildShadow(const std::string& name, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto work, WorkMutex(name));
  std::lock_guard work_lock(*work);
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.pending_embedder || !manifest.active) return manifest;
  std::optional<IndexGeneration> previous = manifest.active;
  auto outcome = RunBuild(manifest, *manifest.pending_embedder, previous->number + 1, progress);
  if (!outcome.ok()) {
    manifest.error = "re-embedding with " + manifest.pending_embedder->model + " failed: " + outcome.status().message();
    manifest.pending_embedder.reset();
    manifest.updated_at = Now();
    std::lock_guard lock(mutex_);
    (void)Store(manifest);
    entries_[name].manifest = manifest;
    return outcome.status();
  }
  manifest.embedder = *manifest.pending_embedder;
  manifest.pending_embedder.reset();
  manifest.active = outcome->index->generation;
  manifest.build_ms = outcome->stats.total_ms;
  manifest.last_build = outcome->stats;
  manifest.last_refreshed_at = manifest.updated_at = Now();
  LH_RETURN_IF_ERROR(Publish(name, manifest, outcome->index, previous));
  return manifest;
}

Result<RefreshReport> IndexRegistry::Refresh(const std::string& name, const ProgressFn& progress) {
  LH_ASSIGN_OR_RETURN(auto work, WorkMutex(name));
  std::lock_guard work_lock(*work);
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.active) {
    return Conflict("index '" + name + "' has no built generation yet (status " + manifest.status + ")");
  }
  LH_ASSIGN_OR_RETURN(auto dataset, catalog_.Get(manifest.dataset));
  RefreshReport report;
  report.index = name;
  report.generation = manifest.active->number;
  // The common case, nothing new: answered without touching a file.
  if (DatasetSignature(dataset) == manifest.active->source_signature) {
    report.stats.no_op = true;
    return report;
  }
  LH_ASSIGN_OR_RETURN(auto dataset_store, buckets_.Get(dataset.bucket));
  LH_ASSIGN_OR_RETURN(auto index_store, buckets_.Get(manifest.bucket));
  LH_ASSIGN_OR_RETURN(auto spec, Complete(manifest.embedder));
  LH_ASSIGN_OR_RETURN(auto embedder, ai::MakeEmbedder(spec));
  std::shared_ptr<const LoadedIndex> current;
  {
    std::lock_guard lock(mutex_);
    current = entries_[name].loaded;
    if (current && current->generation.number != manifest.active->number) current.reset();
  }
  BuildInputs in{manifest, dataset, dataset_store, index_store, *embedder, Threads(options_.threads), progress};
  LH_ASSIGN_OR_RETURN(auto outcome, builder_->Refresh(in, *manifest.active, current));
  report.stats = outcome.stats;
  std::optional<IndexGeneration> previous = manifest.active;
  IndexGeneration next = outcome.index->generation;
  bool rebuild = static_cast<double>(next.deleted_labels.size()) >
                 options_.rebuild_tombstone_ratio * static_cast<double>(std::max<int64_t>(next.chunk_count, 1));
  if (rebuild) {
    LH_ASSIGN_OR_RETURN(auto full, builder_->Build(in, next.number + 1));
    outcome.index = full.index;
    next = full.index->generation;
    report.rebuilt = true;
  }
  manifest.active = next;
  manifest.last_build = report.stats;
  manifest.last_refreshed_at = manifest.updated_at = Now();
  report.generation = next.number;
  // A signature-only step keeps the served graph; a new generation brings its own.
  bool new_files = outcome.index->graph != nullptr;
  LH_RETURN_IF_ERROR(Publish(name, manifest, new_files ? outcome.index : nullptr, previous));
  return report;
}

Result<std::shared_ptr<const LoadedIndex>> IndexRegistry::Acquire(const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  if (!manifest.active) {
    return Conflict("index '" + name + "' is " + manifest.status +
                    (manifest.error.empty() ? "" : " (" + manifest.error + ")") + "; it cannot be searched yet");
  }
  std::shared_ptr<std::mutex> load_mutex;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[name];
    if (entry.loaded && entry.loaded->generation.number == manifest.active->number) return entry.loaded;
    load_mutex = entry.load_mutex;
  }
  std::lock_guard load_lock(*load_mutex);
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[name];
    if (entry.loaded && entry.loaded->generation.number == manifest.active->number) return entry.loaded;
  }
  LH_ASSIGN_OR_RETURN(auto store, buckets_.Get(manifest.bucket));
  LH_ASSIGN_OR_RETURN(auto loaded, builder_->Load(manifest, *manifest.active, *store));
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[name];
  if (!entry.loaded || entry.loaded->generation.number <= loaded->generation.number) entry.loaded = loaded;
  return std::shared_ptr<const LoadedIndex>(entry.loaded);
}

Result<std::shared_ptr<ai::Embedder>> IndexRegistry::QueryEmbedder(const std::string& name) {
  LH_ASSIGN_OR_RETURN(auto manifest, Get(name));
  {
    std::lock_guard lock(mutex_);
    if (auto& e = entries_[name].query_embedder) return e;
  }
  LH_ASSIGN_OR_RETURN(auto spec, Complete(manifest.embedder));
  LH_ASSIGN_OR_RETURN(auto made, ai::MakeEmbedder(spec));
  std::shared_ptr<ai::Embedder> embedder(std::move(made));
  std::lock_guard lock(mutex_);
  entries_[name].query_embedder = embedder;
  return embedder;
}

}  // namespace lakehouse::vector
