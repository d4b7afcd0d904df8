#include "app/runtime.h"

#include "common/files.h"
#include "common/memory.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace lakehouse::app {

Result<std::unique_ptr<Runtime>> Runtime::Start(const Config& config) {
  std::unique_ptr<Runtime> rt(new Runtime(config));
  for (const auto& bucket : rt->config_.buckets) {
    LH_RETURN_IF_ERROR(EnsureDirectory(bucket.root).WithContext("bucket '" + bucket.name + "'"));
  }
  rt->buckets_ = std::make_unique<storage::BucketRegistry>(rt->config_.buckets, rt->config_.runtime_bucket_parents);
  rt->buckets_->LoadRuntimeBuckets();
  // Staging leftovers of crashed processes would only take space (and could
  // collide with our names after a restart with the same pid).
  for (const auto& bucket : rt->buckets_->List()) {
    if (int removed = SweepStaleTempFiles(bucket.root / "_staging"); removed > 0) {
      spdlog::info("bucket {}: removed {} files left in _staging by a stopped process", bucket.name, removed);
    }
  }
  // DuckDB spills inside the data folder (never the working directory),
  // one folder per process; folders of processes that died are removed.
  fs::path tmp_root = rt->config_.data_dir / "_tmp";
  if (int removed = SweepStaleProcessDirs(tmp_root); removed > 0) {
    spdlog::info("removed {} spill folders left in _tmp by stopped processes", removed);
  }
  rt->tmp_dir_ = tmp_root / std::to_string(::getpid());
  rt->catalog_ = std::make_unique<catalog::Catalog>(*rt->buckets_);
  // Three DuckDB databases share the machine; DuckDB would give each 80% of
  // it. Queries and ingest get 30% each, vector builds 20%: together they
  // leave a fifth for HNSW graphs, HTTP buffers and the page cache.
  engine::QueryEngineOptions query_options{config.max_result_rows, config.query_timeout_ms,
                                           config.duckdb_threads,
                                           config.duckdb_memory_limit.empty() ? MemoryLimitShare(0.3)
                                                                              : config.duckdb_memory_limit,
                                           config.cache_dataset_max_bytes, config.cache_max_bytes};
  query_options.max_concurrent = config.max_concurrent_queries;
  query_options.max_bytes = config.max_result_bytes;
  query_options.temp_directory = rt->tmp_dir_ / "query";
  query_options.export_directory = rt->tmp_dir_ / "export";
  query_options.export_timeout_ms = config.export_timeout_ms;
  rt->query_ = std::make_unique<engine::QueryEngine>(*rt->catalog_, *rt->buckets_, query_options);
  rt->ingestor_ = std::make_unique<ingest::Ingestor>(
      *rt->catalog_, *rt->buckets_,
      ingest::IngestOptions{config.pii_sample_rows, config.duckdb_threads,
                            {config.llm_ollama_url, config.llm_model, static_cast<int>(config.llm_timeout_ms)},
                            config.max_json_depth, config.ingest_timeout_ms, MemoryLimitShare(0.3),
                            rt->tmp_dir_ / "ingest", config.max_concurrent_ingests});
  LH_RETURN_IF_ERROR(rt->ingestor_->Open().WithContext("ingest engine"));
  ingest::CompactionOptions compaction;
  compaction.min_files = config.compaction_min_files;
  // A query that started before a merge must still find the files it reads.
  compaction.delete_grace =
      std::chrono::milliseconds(std::max(config.compaction_delete_grace_ms, 2 * config.query_timeout_ms));
  rt->compactor_ = std::make_unique<ingest::Compactor>(*rt->catalog_, *rt->buckets_, compaction);
  rt->indexes_ = std::make_unique<vector::IndexRegistry>(
      *rt->catalog_, *rt->buckets_,
      vector::VectorOptions{config.vector_threads, config.vector_ollama_url, config.vector_openai_url,
                            config.vector_openai_api_key, 0.5, MemoryLimitShare(0.2), rt->tmp_dir_ / "vectors"});
  LH_RETURN_IF_ERROR(rt->indexes_->Open().WithContext("vector indexes"));
  rt->searcher_ = std::make_unique<vector::Searcher>(*rt->indexes_, *rt->catalog_, *rt->query_);
  rt->scheduler_ = std::make_unique<vector::RefreshScheduler>(*rt->indexes_,
                                                              static_cast<int>(config.vector_scheduler_tick_ms));
  rt->autotune_ = std::make_unique<vector::autotune::AutotuneService>(*rt->searcher_, *rt->indexes_, *rt->scheduler_);
  vector::autotune::AgentOptions agent;
  agent.enabled = config.agent_enabled;
  agent.wake_interval_s = config.agent_wake_interval_s;
  agent.max_trials_per_hour = static_cast<int>(std::clamp<int64_t>(config.agent_max_trials_per_hour, -1, 1 << 20));
  agent.cooldown_s = config.agent_cooldown_s;
  agent.trial_timeout_s = config.agent_trial_timeout_s;
  agent.epsilon = config.agent_epsilon;
  agent.promote_margin = config.agent_promote_margin;
  agent.target_recall = config.agent_target_recall;
  agent.threads = static_cast<int>(std::clamp<int64_t>(config.agent_threads, -1, 1 << 20));
  agent.queries = static_cast<size_t>(std::clamp<int64_t>(config.agent_queries, 0, 1 << 20));
  LH_RETURN_IF_ERROR(vector::autotune::ValidateAgentOptions(agent).WithContext("lakehouse.toml [agent]"));
  rt->agent_ = std::make_unique<vector::autotune::Agent>(*rt->searcher_, *rt->indexes_, *rt->catalog_,
                                                         rt->foreground_, agent);
  rt->ingestor_->SetForeground(&rt->foreground_);
  fs::path catalog_dir = rt->buckets_->Primary()->Root() / "_catalog";
  rt->profiles_ = std::make_unique<ai::ProfileStore>(catalog_dir / "profiles");
  rt->keys_ = std::make_unique<auth::KeyStore>(catalog_dir / "auth" / "keys.json");
  rt->audit_ = std::make_unique<auth::AuditLog>(
      rt->buckets_->Primary()->Root() / "_audit", auth::AuditOptionsFrom(config));
  ai::SlotOptions slot;
  slot.server = {config.profiles_ollama_url, static_cast<int>(config.profiles_request_timeout_ms)};
  slot.gpu = {config.profiles_nvidia_smi, static_cast<int>(config.profiles_gpu_timeout_ms)};
  slot.keep_alive = config.profiles_keep_alive;
  slot.unload_timeout_ms = static_cast<int>(config.profiles_unload_timeout_ms);
  rt->slot_ = std::make_unique<ai::ProfileSlot>(*rt->profiles_, catalog_dir / "profile_slot.json", slot,
                                                [runtime = rt.get()](const std::string& bucket) {
                                                  return runtime->EnsureProfileBucket(bucket);
                                                });
  // Migration rules come from the active profile's LLM when it has one.
  rt->ingestor_->SetLlmSource([runtime = rt.get()] {
    const Config& c = runtime->config_;
    ai::LlmOptions llm{c.llm_ollama_url, c.llm_model, static_cast<int>(c.llm_timeout_ms)};
    auto active = runtime->slot_->State().active;
    if (!active) return llm;
    auto profile = runtime->profiles_->Get(*active);
    if (profile.ok() && profile->llm_provider == ai::LlmProvider::kOllama) {
      llm.ollama_url = c.profiles_ollama_url;
      llm.model = profile->llm_model;
    }
    return llm;
  });
  // Refresh policies and the agent learn of new data here, whichever path brought it.
  rt->ingestor_->SetOnCommitted([scheduler = rt->scheduler_.get(), compactor = rt->compactor_.get(),
                                 agent = rt->agent_.get()](const std::string& dataset) {
    scheduler->OnDatasetChanged(dataset);
    compactor->Notify(dataset);
    agent->OnDatasetChanged(dataset);
  });
  return rt;
}

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Result<int> Runtime::DeleteDataset(const std::string& name) {
  std::vector<std::string> indexes;
  for (const auto& m : indexes_->IndexesOfDataset(name)) indexes.push_back(m.name);
  if (!indexes.empty()) {
    return Conflict("dataset '" + name + "' has vector indexes: " + JoinNames(indexes) +
                    "; drop them first (DELETE /vectors/indexes/{name})");
  }
  return catalog_->Delete(name);
}

Result<Runtime::DatasetMove> Runtime::MoveDataset(const std::string& name, const std::string& target) {
  DatasetMove out;
  LH_ASSIGN_OR_RETURN(out.dataset, catalog_->MoveToBucket(name, target));
  // Also when the dataset was there already: a move killed after its swap
  // left its indexes behind, and this brings them.
  for (const auto& index : indexes_->IndexesOfDataset(name)) {
    auto moved = indexes_->FollowDataset(index.name);
    if (!moved.ok()) {
      out.stayed[index.name] = moved.status().message();
    } else if (*moved) {
      out.indexes_moved.push_back(index.name);
    } else if (index.follows_dataset) {
      // Where the dataset is now (a concurrent move may have taken it on).
      auto now = indexes_->Get(index.name);
      if (now.ok() && now->bucket != target) out.stayed[index.name] = "it follows the dataset, now in bucket '" + now->bucket + "'";
    }
  }
  return out;
}

Status Runtime::RemoveBucket(const std::string& name) {
  LH_RETURN_IF_ERROR(buckets_->Get(name).status());
  // Waits for moves into it (in any process) to swap or give up; none
  // starts until it is gone.
  auto removal = buckets_->LockForRemoval(name);
  if (name == "primary" || name == "rescue") return buckets_->Remove(name);  // refused there, with the reason
  auto datasets = catalog_->DatasetsInBucket(name);
  if (!datasets.empty()) {
    return Conflict("bucket '" + name + "' still holds datasets: " + JoinNames(datasets) +
                    "; move them (PATCH /catalog/datasets/by-name/{name}/bucket) or delete them first");
  }
  auto indexes = indexes_->IndexesInBucket(name);
  if (!indexes.empty()) {
    return Conflict("bucket '" + name + "' still holds vector indexes: " + JoinNames(indexes) +
                    "; move them (PATCH /vectors/indexes/{name}/bucket) or drop them first");
  }
  // Files of an index being moved into it (its manifest still names the
  // bucket it comes from).
  LH_ASSIGN_OR_RETURN(auto store, buckets_->Get(name));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(store->Root() / "vectors", ec)) {
    std::error_code empty_error;
    if (entry.is_directory(empty_error) && !fs::is_empty(entry.path(), empty_error)) {
      return Conflict("bucket '" + name + "' holds the files of index '" + entry.path().filename().string() +
                      "' (a move into it is under way); try again once it is done");
    }
  }
  return buckets_->Remove(name);
}

Status Runtime::EnsureProfileBucket(const std::string& name) {
  if (buckets_->Get(name).ok()) return Status::Ok();
  std::optional<fs::path> root;
  if (!config_.profile_root.empty()) root = config_.profile_root / name;
  auto added = buckets_->Add(name, root);
  // Another request may have made it meanwhile.
  if (!added.ok() && added.status().code() == StatusCode::kConflict && buckets_->Get(name).ok()) return Status::Ok();
  if (added.ok()) spdlog::info("bucket {} made for a model profile at {}", name, added->root.string());
  return added.status();
}

Status Runtime::DropProfile(const std::string& id) {
  // Under the slot's switch lock: an activation cannot run in between.
  return slot_->Drop(id, [&]() -> Status {
    std::vector<std::string> under;
    for (const auto& m : indexes_->List()) {
      if (m.profile == id) under.push_back(m.name);
    }
    if (!under.empty()) {
      return Conflict("indexes were created under profile '" + id + "': " + JoinNames(under) +
                      "; drop them first (DELETE /vectors/indexes/{name})");
    }
    return Status::Ok();
  });
}

void Runtime::CleanUpAfterCrashes() {
  for (const auto& bucket : buckets_->List()) {
    // Temporaries of killed writers beside final files (HNSW saves, FTS
    // builds, manifests), not only in _staging.
    if (int removed = SweepStaleTempFilesBelow(bucket.root); removed > 0) {
      spdlog::info("bucket {}: removed {} temporary files left by a stopped process", bucket.name, removed);
    }
  }
  // SQL may read datasets/: a link there would let it read anything.
  buckets_->SecureDataFolders();
  if (int removed = catalog_->SweepUnreferencedFiles(); removed > 0) {
    spdlog::info("removed {} data files no manifest points at (a killed move or commit left them)", removed);
  }
}

std::map<std::string, std::string> Runtime::Problems() const {
  std::map<std::string, std::string> all = buckets_->Problems();
  all.merge(catalog_->Problems());
  all.merge(indexes_->Problems());
  if (keys_->FileState() == auth::KeyFileState::kDamaged) {
    all["_catalog/auth/keys.json"] = "damaged: every route but /health refuses until it is repaired or removed "
                                     "(`lakehouse auth key list` says what is wrong)";
  }
  std::map<std::string, std::string> profiles;
  profiles_->List(&profiles);
  all.merge(profiles);
  for (const auto& [view, why] : query_->Quarantined()) all["view " + view] = "not queryable: " + why;
  if (std::string why = query_->UnconfinedBecause(); !why.empty()) {
    all["sql confinement"] = "SQL runs unconfined (" + why +
                             "): links in buckets are refused by checks before a query runs, not by the kernel";
  }
  return all;
}

std::vector<std::string> Runtime::StartServices() {
  std::vector<std::string> warnings;
  indexes_->MergeInBackground();
  if (size_t cut = vector::autotune::MarkInterruptedTrials(*indexes_); cut > 0) {
    spdlog::warn("{} autotune builds were cut off by the last stop; marked interrupted in their trial journals", cut);
  }
  scheduler_->Start();
  agent_->Start();
  // A switch a crash cut off is settled against what the model server has.
  slot_->Reconcile();
  if (config_.compaction_enabled) compactor_->Start();
  if (config_.inbox_enabled) {
    inbox_ = std::make_unique<ingest::InboxWatcher>(
        *ingestor_, ingest::InboxOptions{config_.inbox_dir, static_cast<int>(config_.inbox_poll_interval_ms),
                                         static_cast<int>(config_.inbox_settle_ms)});
    if (Status s = inbox_->Start(); !s.ok()) warnings.push_back(s.message());
  }
  return warnings;
}

Runtime::~Runtime() {
  if (inbox_) inbox_->Stop();
  inbox_.reset();
  if (agent_) agent_->Stop();
  agent_.reset();
  if (autotune_) autotune_->Stop();
  autotune_.reset();
  if (scheduler_) scheduler_->Stop();
  if (compactor_) compactor_->Stop();
  scheduler_.reset();
  compactor_.reset();
  searcher_.reset();
  indexes_.reset();
  ingestor_.reset();
  query_.reset();
  std::error_code ec;
  if (!tmp_dir_.empty()) fs::remove_all(tmp_dir_, ec);
}

}  // namespace lakehouse::app
