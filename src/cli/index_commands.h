// `lakehouse index ...`: vector index commands, run in the foreground on
// the data directory with a progress line while embedding.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/config.h"
#include "vector/backend.h"
#include "vector/eval/eval_set.h"
#include "vector/searcher.h"

namespace lakehouse::app {
class Runtime;
}  // namespace lakehouse::app

namespace lakehouse::cli {

// --option KEY=INTEGER flags as backend options.
Result<vector::BackendOptions> ParseOptionFlags(const std::vector<std::string>& flags);

// Adds the `index` command tree to `app`; Run executes whichever of its
// subcommands was parsed (returns -1 when none was).
class IndexCommands {
 public:
  explicit IndexCommands(CLI::App& app);
  int Run(const Config& config) const;

 private:
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* drop_ = nullptr;
  CLI::App* refresh_ = nullptr;
  CLI::App* search_ = nullptr;
  CLI::App* stats_ = nullptr;
  CLI::App* migrate_ = nullptr;
  CLI::App* doc_ = nullptr;
  CLI::App* move_ = nullptr;
  CLI::App* eval_ = nullptr;
  CLI::App* evalset_add_ = nullptr;
  CLI::App* evalset_list_ = nullptr;
  CLI::App* evalset_drop_ = nullptr;
  std::string queries_file_, qrels_file_, set_name_;
  bool replace_ = false;
  // The eval set of --queries/--qrels files, named `name`.
  Result<vector::eval::EvalSet> ReadEvalSetFiles(const std::string& name) const;
  int RunEvalSet(app::Runtime& runtime) const;
  std::string target_bucket_;
  std::string doc_id_;
  // --backend and --option as one spec (create, migrate).
  Result<vector::BackendSpec> BackendFromFlags() const;
  bool vectors_ = false;
  std::string name_, dataset_, id_column_, text_column_, bucket_, provider_ = ai::kDefaultProvider, model_, url_, policy_ = "manual";
  std::string stemmer_ = "porter", stop_words_ = "english";
  std::string query_, filter_, mode_ = "vector", backend_ = "auto";
  std::vector<std::string> backend_options_;  // KEY=VALUE
  int chunk_size_ = 1000, chunk_overlap_ = -1, dimension_ = 768;
  std::optional<int64_t> m_, ef_construction_, ef_search_;  // given: backend hnsw
  std::optional<int64_t> ef_, nprobe_, refine_factor_;      // search knobs; absent: the index's defaults
  int64_t interval_s_ = 0;
  int k_ = 10;
  std::optional<double> text_weight_;  // none: the index's own weight, else the default
  bool tune_ = false;
  std::optional<int64_t> generate_;  // evalset add --generate N
  int64_t seed_ = 1;
  bool allow_pii_ = false, redact_spans_ = false, json_ = false, search_json_ = false;
};

}  // namespace lakehouse::cli
