// Runtime: builds every subsystem from a Config, in dependency order, and
// owns them for the life of the process. The server and the CLI's local
// commands both start from one. Routes and commands receive the one service
// they need by reference, never the Runtime itself.
#pragma once

#include <memory>

#include "ai/profile_slot.h"
#include "auth/audit_log.h"
#include "auth/key_store.h"
#include "ai/profiles.h"
#include "catalog/catalog.h"
#include "common/config.h"
#include "engine/query_engine.h"
#include "ingest/compactor.h"
#include "ingest/inbox_watcher.h"
#include "ingest/ingestor.h"
#include "storage/bucket_registry.h"
#include "common/foreground.h"
#include "vector/autotune/agent.h"
#include "vector/autotune/service.h"
#include "vector/index_registry.h"
#include "vector/refresh_scheduler.h"
#include "vector/searcher.h"

namespace lakehouse::app {

class Runtime {
 public:
  // Creates bucket directories and opens the ingest database; the query
  // engine opens on first use (server start opens it at once). Fails with a
  // message naming what could not be opened.
  static Result<std::unique_ptr<Runtime>> Start(const Config& config);

  const Config& config() const { return config_; }
  storage::BucketRegistry& buckets() { return *buckets_; }
  catalog::Catalog& catalog() { return *catalog_; }
  engine::QueryEngine& query() { return *query_; }
  ingest::Ingestor& ingestor() { return *ingestor_; }
  vector::IndexRegistry& indexes() { return *indexes_; }
  vector::Searcher& searcher() { return *searcher_; }
  vector::RefreshScheduler& scheduler() { return *scheduler_; }
  vector::autotune::AutotuneService& autotune() { return *autotune_; }
  vector::autotune::Agent& agent() { return *agent_; }
  // Client requests in flight: the agent waits while there are any.
  ForegroundLoad& foreground() { return foreground_; }
  ingest::Compactor& compactor() { return *compactor_; }
  ai::ProfileStore& profiles() { return *profiles_; }
  auth::KeyStore& keys() { return *keys_; }
  auth::AuditLog& audit() { return *audit_; }
  // The one GPU slot (which profile's models hold the model server).
  ai::ProfileSlot& slot() { return *slot_; }
  ~Runtime();

  // The background services a server runs, as configured: the refresh
  // scheduler, index delta merges, file compaction and the inbox watcher.
  // A CLI command never starts them (it does its work in the foreground).
  // Returns warnings for services that could not start (the rest run);
  // all are stopped by the destructor, before anything they use.
  std::vector<std::string> StartServices();

  // Operations that must consult more than one subsystem.
  // A dataset with vector indexes is not deleted (Conflict naming them):
  // the indexes would go on returning rows that are gone.
  Result<int> DeleteDataset(const std::string& name);
  // Moves a dataset to another bucket, and its indexes that lived in the
  // dataset's bucket with it (each its own copy-verify-swap). An index that
  // cannot move stays servable where it was, and is named in `stayed`.
  struct DatasetMove {
    catalog::Manifest dataset;
    std::vector<std::string> indexes_moved;
    std::map<std::string, std::string> stayed;  // index -> why
  };
  Result<DatasetMove> MoveDataset(const std::string& name, const std::string& target);
  // A bucket holding datasets or index files is not removed (Conflict).
  Status RemoveBucket(const std::string& name);
  // A profile's bucket, made under [storage] profile_root when missing.
  Status EnsureProfileBucket(const std::string& name);
  // Refused (Conflict) while the profile holds the GPU slot or indexes
  // were created under it.
  Status DropProfile(const std::string& id);
  // What killed processes leave behind: temporaries anywhere in the
  // buckets, data files no manifest points at (a killed move's copies), and
  // symlinks in data folders. Walks every bucket: the server calls it at
  // start, one-shot CLI commands do not.
  void CleanUpAfterCrashes();
  // What was skipped or quarantined, from every subsystem: stored files that
  // could not be read (key -> why) and datasets SQL cannot read ("view NAME").
  std::map<std::string, std::string> Problems() const;

 private:
  explicit Runtime(Config config) : config_(std::move(config)) {}

  Config config_;
  std::filesystem::path tmp_dir_;  // this process's DuckDB spill folders; removed at the end
  std::unique_ptr<storage::BucketRegistry> buckets_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<engine::QueryEngine> query_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::unique_ptr<ingest::Compactor> compactor_;
  std::unique_ptr<vector::IndexRegistry> indexes_;
  std::unique_ptr<vector::Searcher> searcher_;
  std::unique_ptr<vector::RefreshScheduler> scheduler_;
  std::unique_ptr<vector::autotune::AutotuneService> autotune_;  // queues shadow builds on scheduler_
  std::unique_ptr<auth::KeyStore> keys_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<ai::ProfileStore> profiles_;
  std::unique_ptr<ai::ProfileSlot> slot_;
  ForegroundLoad foreground_;
  std::unique_ptr<vector::autotune::Agent> agent_;
  std::unique_ptr<ingest::InboxWatcher> inbox_;  // declared last: stopped first
};

}  // namespace lakehouse::app
