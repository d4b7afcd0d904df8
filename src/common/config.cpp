#include "common/config.h"

#include <cstdlib>
#include <type_traits>

#include <toml++/toml.h>

namespace lakehouse {

namespace fs = std::filesystem;

namespace {

// A key of the wrong type is an error, never a silent default: thrown here,
// turned into InvalidArgument by LoadConfig (toml++'s own conversions would
// turn 1e99 into an integer by undefined behaviour, and "x" into nothing).
struct BadValue {
  std::string message;
};

template <typename T>
void Read(const toml::table& t, const char* section, const char* key, T& out) {
  auto node = t[section][key];
  if (!node) return;
  std::string name = std::string(section) + "." + key;
  if constexpr (std::is_same_v<T, bool>) {
    if (!node.is_boolean()) throw BadValue{name + " must be true or false"};
    out = *node.template value<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!node.is_integer()) throw BadValue{name + " must be an integer"};
    out = static_cast<T>(*node.template value<int64_t>());
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!node.is_number()) throw BadValue{name + " must be a number"};
    out = static_cast<T>(*node.template value<double>());
  } else {
    if (!node.is_string()) throw BadValue{name + " must be a string"};
    out = *node.template value<std::string>();
  }
}

fs::path Resolve(const fs::path& base, const fs::path& p) {
  return p.is_absolute() ? p : (base / p).lexically_normal();
}

}  // namespace

void FinishBuckets(Config& config) {
  auto has = [&](const std::string& name) {
    for (const auto& b : config.buckets) {
      if (b.name == name) return true;
    }
    return false;
  };
  if (!has("primary")) config.buckets.insert(config.buckets.begin(), {"primary", config.data_dir});
  if (!has("rescue")) config.buckets.push_back({"rescue", config.data_dir / "_buckets" / "rescue"});
  for (auto& b : config.buckets) {
    if (b.name == "primary") b.root = config.data_dir;
    b.root = fs::absolute(b.root).lexically_normal();
  }
  config.data_dir = fs::absolute(config.data_dir).lexically_normal();
  config.inbox_dir = fs::absolute(config.inbox_dir).lexically_normal();
}

namespace {

// Secrets may stay out of the file (and there may be no file at all).
void ApplyEnvironment(Config& config) {
  if (const char* key = std::getenv("LAKEHOUSE_OPENAI_API_KEY"); key && *key) config.vector_openai_api_key = key;
  if (const char* token = std::getenv("LAKEHOUSE_PII_TOKEN"); token && *token) config.pii_access_token = token;
}

}  // namespace

static Result<Config> LoadConfigFrom(const fs::path& file);

Result<Config> LoadConfig(const fs::path& path) {
  Config config;
  fs::path file = path;
  if (file.empty() && fs::exists("lakehouse.toml")) file = "lakehouse.toml";
  if (file.empty()) {
    ApplyEnvironment(config);
    FinishBuckets(config);
    return config;
  }
  if (!fs::exists(file)) return NotFound("config file " + file.string() + " does not exist");
  try {
    return LoadConfigFrom(file);
  } catch (const BadValue& bad) {
    return InvalidArgument("config file " + file.string() + ": " + bad.message);
  }
}

static Result<Config> LoadConfigFrom(const fs::path& file) {
  Config config;
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return InvalidArgument("config file " + file.string() + " line " +
                           std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  fs::path base = fs::absolute(file).parent_path();
  Read(t, "server", "host", config.host);
  int64_t port = config.port, threads = config.threads;
  Read(t, "server", "port", port);
  Read(t, "server", "threads", threads);
  if (port < 0 || port > 65535) return InvalidArgument("server.port must be between 0 and 65535");
  if (threads < 1 || threads > 4096) return InvalidArgument("server.threads must be between 1 and 4096");
  config.port = static_cast<int>(port);
  config.threads = static_cast<int>(threads);
  int64_t max_connections = config.max_connections, per_client = config.max_connections_per_client;
  Read(t, "server", "max_connections", max_connections);
  Read(t, "server", "max_connections_per_client", per_client);
  Read(t, "server", "header_timeout_ms", config.header_timeout_ms);
  Read(t, "server", "read_timeout_ms", config.read_timeout_ms);
  Read(t, "server", "min_upload_bytes_per_s", config.min_upload_bytes_per_s);
  if (max_connections > 100000 || max_connections < threads || per_client < 1 || per_client > max_connections) {
    return InvalidArgument("server.threads, max_connections and max_connections_per_client must satisfy "
                           "1 <= threads <= max_connections and 1 <= max_connections_per_client <= max_connections");
  }
  if (config.header_timeout_ms <= 0 || config.read_timeout_ms <= 0 || config.min_upload_bytes_per_s < 0) {
    return InvalidArgument("server.header_timeout_ms and read_timeout_ms must be positive");
  }
  config.max_connections = static_cast<int>(max_connections);
  config.max_connections_per_client = static_cast<int>(per_client);
  std::string tls_cert, tls_key;
  Read(t, "server", "tls_cert", tls_cert);
  Read(t, "server", "tls_key", tls_key);
  if (tls_cert.empty() != tls_key.empty()) {
    return InvalidArgument("server.tls_cert and server.tls_key go together: give both (HTTPS) or neither (HTTP)");
  }
  if (!tls_cert.empty()) {
    config.tls_cert = Resolve(base, tls_cert);
    config.tls_key = Resolve(base, tls_key);
  }
  std::string data_dir = config.data_dir.string();
  Read(t, "storage", "data_dir", data_dir);
  config.data_dir = Resolve(base, data_dir);
  if (auto arr = t["storage"]["runtime_bucket_parents"].as_array()) {
    for (const auto& item : *arr) {
      auto path = item.value<std::string>();
      if (!path) return InvalidArgument("storage.runtime_bucket_parents must hold paths");
      config.runtime_bucket_parents.push_back(Resolve(base, *path));
    }
  }
  std::string profile_root;
  Read(t, "storage", "profile_root", profile_root);
  if (!profile_root.empty()) {
    config.profile_root = Resolve(base, profile_root);
    config.runtime_bucket_parents.push_back(config.profile_root);
  }
  if (auto arr = t["storage"]["buckets"].as_array()) {
    for (const auto& item : *arr) {
      const auto* bt = item.as_table();
      if (!bt) return InvalidArgument("[[storage.buckets]] entries must be tables");
      auto name = (*bt)["name"].value<std::string>();
      auto root = (*bt)["path"].value<std::string>();
      if (!name || !root) return InvalidArgument("each [[storage.buckets]] needs name and path");
      config.buckets.push_back({*name, Resolve(base, *root)});
    }
  }
  int64_t max_upload = static_cast<int64_t>(config.max_upload_bytes);
  int64_t sample_rows = config.pii_sample_rows;
  Read(t, "ingest", "max_upload_bytes", max_upload);
  Read(t, "ingest", "pii_sample_rows", sample_rows);
  if (max_upload <= 0) return InvalidArgument("ingest.max_upload_bytes must be positive");
  config.max_upload_bytes = static_cast<uint64_t>(max_upload);
  if (sample_rows < 0 || sample_rows > 1000000) return InvalidArgument("ingest.pii_sample_rows must be between 0 and 1000000");
  config.pii_sample_rows = static_cast<int>(sample_rows);
  int64_t json_depth = config.max_json_depth;
  Read(t, "ingest", "max_json_depth", json_depth);
  if (json_depth < 1 || json_depth > 1000) return InvalidArgument("ingest.max_json_depth must be between 1 and 1000");
  config.max_json_depth = static_cast<int>(json_depth);
  Read(t, "ingest", "timeout_ms", config.ingest_timeout_ms);
  int64_t ingests = config.max_concurrent_ingests;
  Read(t, "ingest", "max_concurrent", ingests);
  if (ingests < 1 || ingests > 1024) return InvalidArgument("ingest.max_concurrent must be between 1 and 1024");
  config.max_concurrent_ingests = static_cast<int>(ingests);
  Read(t, "ingest", "compaction", config.compaction_enabled);
  int64_t min_files = config.compaction_min_files;
  Read(t, "ingest", "compaction_min_files", min_files);
  Read(t, "ingest", "compaction_delete_grace_ms", config.compaction_delete_grace_ms);
  if (min_files < 2 || config.compaction_delete_grace_ms < 0) {
    return InvalidArgument("ingest.compaction_min_files must be at least 2 and compaction_delete_grace_ms not negative");
  }
  config.compaction_min_files = static_cast<int>(min_files);
  if (config.ingest_timeout_ms <= 0) return InvalidArgument("ingest.timeout_ms must be positive");
  Read(t, "profiles", "ollama_url", config.profiles_ollama_url);
  Read(t, "profiles", "keep_alive", config.profiles_keep_alive);
  Read(t, "profiles", "unload_timeout_ms", config.profiles_unload_timeout_ms);
  Read(t, "profiles", "request_timeout_ms", config.profiles_request_timeout_ms);
  Read(t, "profiles", "nvidia_smi", config.profiles_nvidia_smi);
  Read(t, "profiles", "gpu_timeout_ms", config.profiles_gpu_timeout_ms);
  for (int64_t ms : {config.profiles_unload_timeout_ms, config.profiles_request_timeout_ms, config.profiles_gpu_timeout_ms}) {
    if (ms < 1 || ms > 3600000) {
      return InvalidArgument("profiles.unload_timeout_ms, request_timeout_ms and gpu_timeout_ms must be from 1 to 3600000");
    }
  }
  if (config.profiles_keep_alive.empty() || config.profiles_keep_alive.size() > 20 ||
      config.profiles_keep_alive.find_first_not_of("-0123456789.nsumh") != std::string::npos) {
    return InvalidArgument("profiles.keep_alive must be a duration such as \"30m\", \"24h\" or \"-1\" (forever)");
  }
  Read(t, "audit", "rotate_mb", config.audit_rotate_mb);
  Read(t, "audit", "keep_rotated", config.audit_keep_rotated);
  Read(t, "audit", "refusals_per_minute", config.audit_refusals_per_minute);
  if (config.audit_rotate_mb < 1 || config.audit_rotate_mb > 1 << 20 || config.audit_keep_rotated < 0 ||
      config.audit_keep_rotated > 1000000 || config.audit_refusals_per_minute < 0) {
    return InvalidArgument("audit.rotate_mb must be 1 or more, audit.keep_rotated 0 (all) or more, "
                           "audit.refusals_per_minute 0 (no limit) or more");
  }
  Read(t, "agent", "enabled", config.agent_enabled);
  Read(t, "agent", "wake_interval_s", config.agent_wake_interval_s);
  Read(t, "agent", "max_trials_per_hour", config.agent_max_trials_per_hour);
  Read(t, "agent", "cooldown_s", config.agent_cooldown_s);
  Read(t, "agent", "trial_timeout_s", config.agent_trial_timeout_s);
  Read(t, "agent", "epsilon", config.agent_epsilon);
  Read(t, "agent", "promote_margin", config.agent_promote_margin);
  Read(t, "agent", "target_recall", config.agent_target_recall);
  Read(t, "agent", "threads", config.agent_threads);
  Read(t, "agent", "queries", config.agent_queries);
  Read(t, "inbox", "enabled", config.inbox_enabled);
  std::string inbox_dir = config.inbox_dir.string();
  Read(t, "inbox", "dir", inbox_dir);
  config.inbox_dir = Resolve(base, inbox_dir);
  Read(t, "inbox", "poll_interval_ms", config.inbox_poll_interval_ms);
  Read(t, "inbox", "settle_ms", config.inbox_settle_ms);
  constexpr int64_t kDayMs = 86400000;
  if (config.inbox_poll_interval_ms <= 0 || config.inbox_settle_ms < 0 || config.inbox_poll_interval_ms > kDayMs ||
      config.inbox_settle_ms > kDayMs) {
    return InvalidArgument("inbox.poll_interval_ms must be positive and inbox.settle_ms not negative");
  }
  Read(t, "llm", "ollama_url", config.llm_ollama_url);
  Read(t, "llm", "model", config.llm_model);
  Read(t, "llm", "timeout_ms", config.llm_timeout_ms);
  Read(t, "query", "max_result_rows", config.max_result_rows);
  Read(t, "query", "max_result_bytes", config.max_result_bytes);
  if (config.max_result_bytes <= 0) return InvalidArgument("query.max_result_bytes must be positive");
  Read(t, "query", "timeout_ms", config.query_timeout_ms);
  Read(t, "query", "export_timeout_ms", config.export_timeout_ms);
  if (config.export_timeout_ms <= 0) return InvalidArgument("query.export_timeout_ms must be positive");
  int64_t duck_threads = config.duckdb_threads;
  Read(t, "query", "duckdb_threads", duck_threads);
  if (duck_threads < 0 || duck_threads > 4096) return InvalidArgument("query.duckdb_threads must be between 0 and 4096");
  config.duckdb_threads = static_cast<int>(duck_threads);
  int64_t concurrent = config.max_concurrent_queries;
  Read(t, "query", "max_concurrent", concurrent);
  if (concurrent < 1 || concurrent > 1024) return InvalidArgument("query.max_concurrent must be between 1 and 1024");
  config.max_concurrent_queries = static_cast<int>(concurrent);
  Read(t, "query", "duckdb_memory_limit", config.duckdb_memory_limit);
  int64_t cache_dataset = static_cast<int64_t>(config.cache_dataset_max_bytes);
  int64_t cache_total = static_cast<int64_t>(config.cache_max_bytes);
  Read(t, "query", "cache_dataset_max_bytes", cache_dataset);
  Read(t, "query", "cache_max_bytes", cache_total);
  if (cache_dataset < 0 || cache_total < 0) return InvalidArgument("query cache sizes must not be negative");
  config.cache_dataset_max_bytes = static_cast<uint64_t>(cache_dataset);
  config.cache_max_bytes = static_cast<uint64_t>(cache_total);
  int64_t vector_threads = config.vector_threads;
  Read(t, "vectors", "threads", vector_threads);
  if (vector_threads < 0 || vector_threads > 4096) return InvalidArgument("vectors.threads must be between 0 and 4096");
  config.vector_threads = static_cast<int>(vector_threads);
  Read(t, "vectors", "ollama_url", config.vector_ollama_url);
  Read(t, "vectors", "openai_url", config.vector_openai_url);
  Read(t, "vectors", "openai_api_key", config.vector_openai_api_key);
  Read(t, "vectors", "pii_access_token", config.pii_access_token);
  Read(t, "vectors", "scheduler_tick_ms", config.vector_scheduler_tick_ms);
  if (config.vector_scheduler_tick_ms <= 0 || config.vector_scheduler_tick_ms > 86400000) {
    return InvalidArgument("vectors.scheduler_tick_ms must be between 1 and 86400000");
  }
  if (config.llm_timeout_ms <= 0 || config.llm_timeout_ms > 86400000) {
    return InvalidArgument("llm.timeout_ms must be between 1 and 86400000");
  }
  ApplyEnvironment(config);
  FinishBuckets(config);
  return config;
}

}  // namespace lakehouse
