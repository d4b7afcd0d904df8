// The index registry: owns every vector index's manifest (JSON under
// _catalog/indexes/ in the primary bucket) and the loaded generation each
// search uses. Creating, refreshing, re-embedding with another model and
// dropping an index all go through here, one at a time per index; searches
// never wait for them: they hold the generation that was current when they
// started, and a refresh publishes the next one with one pointer swap.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ai/embedder_pool.h"
#include "catalog/catalog.h"
#include "common/problems.h"
#include "common/files.h"
#include "common/manifest_dir.h"
#include "storage/bucket_registry.h"
#include "vector/index_builder.h"

namespace lakehouse::vector {

struct VectorOptions {
  int threads = 0;                 // embedding and HNSW threads; 0: one per core
  std::string ollama_url;          // default for provider "ollama"
  std::string openai_url;          // default for provider "openai"
  std::string openai_api_key;      // never stored, logged or returned
  // A refresh that would leave more tombstones than this share of live
  // chunks writes a compacted generation instead (from stored vectors).
  double rebuild_tombstone_ratio = 0.5;
  std::string memory_limit;              // DuckDB's for builds; empty: its default
  std::filesystem::path temp_directory;  // where builds spill; empty: DuckDB's default
  // A server folds appended deltas into the backend on a thread of its own,
  // so the append that passed the threshold is not the one that waits; a
  // CLI command does it before it returns.
  bool merge_in_background = false;
};

// An append's delta is searched exactly on every search: it is merged into
// the backend once it holds as many bytes as an exact scan that ties a
// graph search (kFlatMaxBytes), or once it has this many parts.
inline constexpr int kMaxDeltaParts = 16;
// Embedding parts past which a merge rewrites the generation as one part
// (each part is a file a load reads).
inline constexpr size_t kMaxEmbeddingParts = 64;

struct RefreshReport {
  std::string index;
  BuildStats stats;
  int generation = 0;
  bool rebuilt = false;  // compacted: tombstones past the limit, rebuilt from the stored vectors
  bool appended = false;  // a delta beside the served backend (merged into it later)
};

// What PATCH may change. A different embedder re-embeds everything into a
// shadow generation; the old one serves until it is complete.
struct IndexPatch {
  std::optional<ai::EmbedderSpec> embedder;
  // Another backend (or settings): built from the stored vectors into a
  // shadow generation; the old one serves until it is complete.
  std::optional<BackendSpec> backend;
  std::optional<RefreshPolicy> refresh;
  // New defaults for query knobs (hnsw ef_search; ivf_pq nprobe,
  // refine_factor): searches use them at once, nothing is rebuilt.
  BackendOptions search_defaults;
  // Hybrid searches' default text weight: a value in [0, 1] sets it, an
  // empty inner optional clears it (back to kDefaultTextWeight).
  std::optional<std::optional<double>> text_weight;
};

class IndexRegistry {
 public:
  IndexRegistry(catalog::Catalog& catalog, storage::BucketRegistry& buckets, VectorOptions options);
  ~IndexRegistry();
  Status Open();

  // Checks a create request against the catalog (dataset, columns, PII,
  // settings) and stores its manifest with status "building". Conflict when
  // the name is taken.
  Result<IndexManifest> Prepare(IndexManifest request);
  // Builds the first generation of a prepared index and publishes it;
  // on failure the manifest says "failed" with the reason.
  Result<IndexManifest> BuildPrepared(const std::string& name, const ProgressFn& progress = {});

  std::vector<IndexManifest> List() const;
  // Index manifests skipped because they cannot be read (file key -> why).
  std::map<std::string, std::string> Problems() const {
    ReloadIfChanged();
    return problems_.Snapshot();
  }
  Result<IndexManifest> Get(const std::string& name) const;
  // Whether the dataset has data the index has not seen.
  bool SourceChanged(const IndexManifest& manifest) const;
  std::vector<IndexManifest> IndexesOfDataset(const std::string& dataset) const;
  std::vector<std::string> IndexesInBucket(const std::string& bucket) const;

  // Removes the manifest, then the index's files.
  Status Drop(const std::string& name);
  // Moves the index's files to bucket `target` (index_move.cpp): copy and
  // verify (SHA-256), swap the manifest, serve from the copies, delete the
  // originals. A kill -9 at any step leaves one complete index the manifest
  // points at; the other copy is swept when a registry next opens.
  // Placed there on purpose: it no longer follows its dataset, unless
  // `target` is the dataset's bucket.
  Result<IndexManifest> MoveToBucket(const std::string& name, const std::string& target);
  // Moves an index that follows its dataset to the dataset's bucket, if it
  // is elsewhere (after a dataset move; read under the index's work lock,
  // so concurrent dataset moves end with the index where the dataset is).
  // nullopt: nothing to move.
  Result<std::optional<IndexManifest>> FollowDataset(const std::string& name);
  Result<IndexManifest> Patch(const std::string& name, const IndexPatch& patch);
  // Adds an eval run to the index's history (the oldest past
  // kMaxEvalHistory go); with `tuned_text_weight`, that becomes the index's
  // hybrid default too.
  Result<IndexManifest> RecordEval(const std::string& name, const EvalRecord& record,
                                   std::optional<double> tuned_text_weight);
  // Held (flock) by an autotune run or agent trial for its whole length,
  // across processes: runs never overlap on one index, a start does not
  // mark a running trial interrupted, and a move or drop (which would
  // strand the trial journal's next lines) waits for none but refuses.
  std::filesystem::path AutotuneLockPath(const std::string& name) const;
  // Keeps an autotune run's summary as the index's last.
  Result<IndexManifest> RecordAutotune(const std::string& name, const AutotuneSummary& summary);
  // Serves `record.to` as the index's champion: when its build knobs differ
  // from the served generation's, as a shadow generation built from the
  // stored vectors (pending_backend: BuildShadow or the scheduler publishes
  // it and the record together); when only query knobs differ, at once.
  // The record keeps what served before (`from`, filled in here), which is
  // what Rollback restores. Conflict while another change is pending.
  Result<IndexManifest> Promote(const std::string& name, PromotionRecord record);
  // Promotes back what the last promotion not yet rolled back replaced,
  // rebuilt from the stored vectors (rows added since are kept). Conflict
  // when there is none.
  Result<IndexManifest> Rollback(const std::string& name, Actor by, std::string reason);
  // Builds the pending embedder's or backend's generation and switches to
  // it; on failure the old one keeps serving and `error` says why.
  Result<IndexManifest> BuildShadow(const std::string& name, const ProgressFn& progress = {});

  Result<RefreshReport> Refresh(const std::string& name, const ProgressFn& progress = {});
  // Folds the active generation's delta (rows appended since its backend
  // file was written) into the backend: a new generation, swapped in like
  // a refresh. Nothing to do returns the manifest as it is.
  Result<IndexManifest> MergeDelta(const std::string& name);
  // From now on merges due after an append run on a thread of their own
  // (a server's choice, made before it serves).
  void MergeInBackground() { options_.merge_in_background = true; }
  storage::BucketRegistry& buckets() const { return buckets_; }

  // What a build, refresh or re-embed of the index is doing right now
  // (nullopt when none runs in this process).
  std::optional<BuildProgress> Progress(const std::string& name) const;

  // The generation searches use, loaded on first use.
  Result<std::shared_ptr<const LoadedIndex>> Acquire(const std::string& name);
  // What one search needs, in one call: the manifest, the generation served
  // and (when asked for) the embedder of its model.
  struct Serving {
    IndexManifest manifest;
    std::shared_ptr<const LoadedIndex> index;
    std::shared_ptr<ai::Embedder> embedder;  // null unless with_embedder
  };
  Result<Serving> Serve(const std::string& name, bool with_embedder);
  // An embedder for the active generation's model (queries must use it);
  // made once per index, so HTTP providers are probed once.
  Result<std::shared_ptr<ai::Embedder>> QueryEmbedder(const std::string& name);
  // The shared query embedder of any spec (a profile's).
  Result<std::shared_ptr<ai::Embedder>> EmbedderFor(const ai::EmbedderSpec& spec) { return embedders_.ForQueries(spec); }

 private:
  struct Entry {
    IndexManifest manifest;
    std::shared_ptr<const LoadedIndex> loaded;
    std::shared_ptr<std::mutex> work_mutex = std::make_shared<std::mutex>();  // builds and refreshes
    std::shared_ptr<std::mutex> load_mutex = std::make_shared<std::mutex>();  // first search's load
    std::optional<BuildProgress> progress;         // of the work running now
    // `loaded` is an append served before its manifest is stored: newer
    // than the manifest, and still the one to serve.
    bool served_ahead = false;
  };
  // Records a job's progress in its entry (for GET while it runs), passes
  // it on, and clears it when the job ends.
  class ProgressTracker {
   public:
    ProgressTracker(IndexRegistry& registry, std::string name, ProgressFn forward);
    ~ProgressTracker();
    ProgressFn fn();

   private:
    IndexRegistry& registry_;
    std::string name_;
    ProgressFn forward_;
  };
  // Held by whatever writes an index's files (build, refresh, drop), in
  // this process (mutex) and across processes (flock on
  // _catalog/indexes/<name>.lock): a CLI beside a server never writes the
  // same generation or sweeps files a running refresh is writing.
  struct WorkLock {
    // Declared first, destroyed last: Drop erases the entry that owns the
    // mutex while this still holds it, and unlocking freed memory
    // corrupts the heap.
    std::shared_ptr<std::mutex> mutex;
    std::unique_lock<std::mutex> local;
    std::unique_ptr<ProcessLock> process;
  };
  Result<WorkLock> LockWork(const std::string& name);
  // The loaded generation if it is `manifest`'s active one, opened from its
  // bucket (else null: a builder reads it from the files).
  std::shared_ptr<const LoadedIndex> LoadedFor(const IndexManifest& manifest) const;
  std::filesystem::path LockPath(const std::string& name) const;

  // Adds a promotion or rollback to the history (index_promotion.cpp).
  static void CommitPromotion(IndexManifest& m, PromotionRecord record);
  // A built generation becomes the manifest's active one, with its stats.
  static void RecordGeneration(IndexManifest& m, const BuildOutcome& outcome);
  Status Store(const IndexManifest& manifest);
  // Read-modify-write of the stored manifest, re-read from disk under a
  // cross-process lock, so fields others changed meanwhile (a PATCH during
  // a build) survive. `change` may refuse with a Status.
  Result<IndexManifest> Update(const std::string& name, const std::function<Status(IndexManifest&)>& change);
  Result<BuildOutcome> RunBuild(const IndexManifest& manifest, const ai::EmbedderSpec& spec, int generation,
                                const ProgressFn& progress);
  // The pending backend's generation from the stored vectors; the caller
  // holds the work lock (index_migration.cpp).
  Result<IndexManifest> BuildPendingBackend(const std::string& name, const ProgressFn& progress);
  int BuildThreads() const;
  // Stores the generation `change` sets, serves `loaded`, removes the files
  // of `replaced` the new generation does not use.
  Result<IndexManifest> Publish(const std::string& name, const std::function<Status(IndexManifest&)>& change,
                                std::shared_ptr<const LoadedIndex> loaded,
                                const std::optional<IndexGeneration>& replaced);
  void RecordEmbedded(const std::string& dataset);
  // Index folders in buckets their manifest does not name (a killed move's
  // copies or originals), or of no manifest at all (a killed drop).
  void SweepMisplacedFiles();
  // The move itself; the caller holds the index's work lock.
  Result<IndexManifest> MoveLocked(const std::string& name, const std::string& target, bool follows_dataset);
  // After an append: merges now or queues it (merge_in_background) once
  // the delta passes the thresholds.
  void MergeIfDue(const std::string& name, const LoadedIndex& published);
  class MergeWorker;
  std::unique_ptr<MergeWorker> merges_;  // background merges; stopped first on destruction
  void ReloadIfChanged() const;
  void ForceReload() const;

  catalog::Catalog& catalog_;
  storage::BucketRegistry& buckets_;
  VectorOptions options_;
  ai::EmbedderPool embedders_;  // provider defaults, probing, the query embedders
  Result<IndexBuilder*> Builder();
  std::mutex builder_mutex_;
  std::unique_ptr<IndexBuilder> builder_;  // GUARDED_BY(builder_mutex_); owns its DuckDB
  mutable std::mutex mutex_;
  mutable std::map<std::string, Entry> entries_;  // GUARDED_BY(mutex_)
  ManifestDir dir_;                               // _catalog/indexes
  mutable int64_t seen_dir_mtime_ns_ = -1;        // GUARDED_BY(mutex_)
  mutable bool manifest_problems_ = false;        // GUARDED_BY(mutex_): some manifest could not be read
  mutable ProblemLog problems_;
};

}  // namespace lakehouse::vector
