// lakehouse.toml: every key has a default, so no file is needed to start.
// Loaded once at start-up into this plain struct; subsystems receive the part
// they need. See lakehouse.toml.example for every key with its meaning.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace lakehouse {

struct BucketConfig {
  std::string name;
  std::filesystem::path root;  // local directory, created on first use
};

struct Config {
  // [server]
  std::string host = "127.0.0.1";
  int port = 3100;
  int threads = 8;  // HTTP worker threads kept ready; more start on demand up to max_connections
  int max_connections = 256;
  int max_connections_per_client = 96;
  int64_t header_timeout_ms = 10000;  // request line and headers must arrive within this
  int64_t read_timeout_ms = 30000;    // a read (or write) that stalls this long ends the request
  int64_t min_upload_bytes_per_s = 1024;  // after 10 s, request bodies must average at least this
  // Serve on a non-loopback address with no API key (serve --insecure):
  // allowed, warned about at start and in /health.
  bool insecure = false;
  // HTTPS: the PEM certificate chain and its unencrypted private key (both
  // or neither; relative to the config file). Empty: plain HTTP.
  std::filesystem::path tls_cert, tls_key;
  // [storage]
  std::filesystem::path data_dir = "./data";  // root of the primary bucket
  std::vector<BucketConfig> buckets;          // primary and rescue always present after Load
  // Where POST /storage/buckets may put a bucket besides <data_dir>/_buckets.
  std::vector<std::filesystem::path> runtime_bucket_parents;
  // Where a model profile's bucket is made when first needed; empty:
  // <data_dir>/_buckets. Set, it is a runtime bucket parent too.
  std::filesystem::path profile_root;
  // [ingest]
  uint64_t max_upload_bytes = 2ull << 30;  // larger uploads get 413
  int pii_sample_rows = 1000;
  int max_json_depth = 64;          // JSON nested deeper is refused with 400
  int64_t ingest_timeout_ms = 3600000;  // one file's conversion or one import, at most
  int max_concurrent_ingests = 2;  // file conversions at once; more wait
  // Background compaction of small appended files (serve only).
  bool compaction_enabled = true;
  int compaction_min_files = 16;
  int64_t compaction_delete_grace_ms = 60000;
  // [inbox]
  bool inbox_enabled = true;
  std::filesystem::path inbox_dir = "./inbox";
  int64_t inbox_poll_interval_ms = 10000;
  int64_t inbox_settle_ms = 2000;
  // [llm]: asked for schema migration rules when heuristics leave changes open
  std::string llm_ollama_url;  // empty: no LLM
  std::string llm_model = "llama3.1";
  int64_t llm_timeout_ms = 60000;
  // [query]
  int64_t max_result_rows = 10000;
  int64_t max_result_bytes = 32ll << 20;  // of the rows of one response, as JSON
  int64_t query_timeout_ms = 30000;
  int64_t export_timeout_ms = 3600000;  // of one export (CLI or POST /query/export)
  int duckdb_threads = 0;  // 0: one per core
  int max_concurrent_queries = 8;
  std::string duckdb_memory_limit;  // empty: DuckDB's default (80% of RAM)
  uint64_t cache_dataset_max_bytes = 64ull << 20;  // datasets this small are held in memory
  uint64_t cache_max_bytes = 256ull << 20;         // for all of them together; 0 turns it off
  // [vectors]
  int vector_threads = 0;  // embedding and HNSW threads; 0: one per core
  std::string vector_ollama_url = "http://127.0.0.1:11434";
  std::string vector_openai_url = "https://api.openai.com";
  std::string vector_openai_api_key;  // or LAKEHOUSE_OPENAI_API_KEY; never logged
  // No longer grants anything (keys with the pii grant do); read only so
  // that a server still configured with it can warn. Or LAKEHOUSE_PII_TOKEN.
  std::string pii_access_token;
  int64_t vector_scheduler_tick_ms = 1000;
  // [profiles]: the GPU slot (ai/profile_slot.h)
  std::string profiles_ollama_url = "http://127.0.0.1:11434";  // the model server whose memory the slot manages
  std::string profiles_keep_alive = "30m";  // how long an activated profile's models stay loaded
  int64_t profiles_unload_timeout_ms = 15000;  // for an unloaded model to leave /api/ps and VRAM
  int64_t profiles_request_timeout_ms = 120000;  // one model server request (a load can be slow)
  std::string profiles_nvidia_smi = "nvidia-smi";
  int64_t profiles_gpu_timeout_ms = 5000;
  // [audit]: the audit log (auth/audit_log.h)
  int64_t audit_rotate_mb = 64;
  int64_t audit_keep_rotated = 32;          // rotated files kept; 0: all
  int64_t audit_refusals_per_minute = 600;  // past it, refusals are counted, not written one by one; 0: no limit
  // [agent]: the autotune agent (vector/autotune/agent.h), off unless enabled.
  bool agent_enabled = false;
  int64_t agent_wake_interval_s = 3600;
  int64_t agent_max_trials_per_hour = 6;
  int64_t agent_cooldown_s = 60;
  int64_t agent_trial_timeout_s = 600;
  double agent_epsilon = 0.25;
  double agent_promote_margin = 0.05;
  double agent_target_recall = 0.95;
  int64_t agent_threads = 1;
  int64_t agent_queries = 200;
};

// Reads `path` (must exist) or, when empty, ./lakehouse.toml if present.
// Relative paths in the file are resolved against the file's directory.
Result<Config> LoadConfig(const std::filesystem::path& path);

// Fills the bucket list with primary (data_dir) and rescue (data_dir/../rescue
// unless configured) and resolves relative roots.
void FinishBuckets(Config& config);

}  // namespace lakehouse
