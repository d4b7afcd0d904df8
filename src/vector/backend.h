// The seam between an index and the library that searches its vectors
// (after DuckDB's IndexType set): each backend is registered by name with
// its settings, how to create and load it, and the knobs a search or an
// autotune may vary. Vectors are L2-normalised, so inner product = cosine.
//
// A backend is immutable once published (searches run concurrently on it,
// lock-free); a refresh works on a loaded copy and publishes that.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lakehouse::vector {

struct Hit {
  int64_t label = 0;
  float score = 0;  // cosine similarity, higher is closer
};

enum class BackendKind { kAuto, kFlat, kHnsw, kIvfPq };
const char* BackendKindName(BackendKind kind);  // "auto" | "flat" | "hnsw" | "ivf_pq"
Result<BackendKind> ParseBackendKind(std::string_view name);

// Settings by name: {"m": 16, "ef_construction": 200} | {"nlist": 1024, "pq_m": 48}.
using BackendOptions = std::map<std::string, int64_t>;

// What an index asks for (kind may be auto) or what a generation was built
// with (kind resolved, every option filled in).
struct BackendSpec {
  BackendKind kind = BackendKind::kAuto;
  BackendOptions options;
  bool operator==(const BackendSpec&) const = default;
};

// Labels a filtered search may return.
using LabelFilter = std::function<bool(int64_t label)>;

struct SearchKnobs {
  size_t k = 10;
  BackendOptions overrides;  // query knobs (ef_search, nprobe, refine_factor) for this search
};

class VectorStore;

class VectorBackend {
 public:
  virtual ~VectorBackend() = default;
  virtual BackendKind kind() const = 0;
  // Adds rows (n x dimension) with their labels, on `threads` threads;
  // progress gets the count done so far.
  virtual Status Add(const float* rows, std::span<const int64_t> labels, int threads,
                     const std::function<void(size_t)>& progress) = 0;
  virtual Status Remove(std::span<const int64_t> labels) = 0;
  // Best first, at most knobs.k, only labels `allowed` accepts when given.
  virtual Result<std::vector<Hit>> Search(const float* query, const SearchKnobs& knobs,
                                          const LabelFilter* allowed) const = 0;
  // Exact scores of the query against `labels` (unknown ones skipped), best k first.
  virtual std::vector<Hit> Score(const float* query, std::span<const int64_t> labels, size_t k) const = 0;
  // The stored vector of `label` into `out` (dimension floats); false when unknown.
  virtual bool CopyVector(int64_t label, float* out) const = 0;
  // Writes the backend's own file atomically; only when HasFile() (flat
  // has none: the stored embeddings are all it is).
  virtual bool HasFile() const = 0;
  virtual Status Save(const std::filesystem::path& path) const = 0;
  virtual size_t size() const = 0;          // live vectors
  virtual size_t MemoryBytes() const = 0;   // what it holds beyond the shared vector store
  // Called by Add's workers between inserts, where a build may wait (the
  // autotune agent's builds pause while the server has requests); set
  // before Add, not during it. Backends that add in one library call
  // (ivf_pq) do not call it.
  void SetYield(std::function<void()> yield) { yield_ = std::move(yield); }

 protected:
  std::function<void()> yield_;
};

// One setting a backend takes: its range, and whether it is a query knob
// (ef_search, nprobe): a stored default that a search may override and
// PATCH may change without a rebuild; else fixed when built.
struct ParamRange {
  std::string name;
  int64_t min = 0;
  int64_t max = 0;
  bool query_knob = false;
};

// The values an autotune tries for one setting: build knobs each cost a
// build, query knobs are swept on every build (cheap). Values ascend, and
// a larger value is assumed slower and at least as good (FAISS's
// ParameterSpace makes the same assumption to prune).
struct KnobGrid {
  std::string name;
  std::vector<int64_t> values;
  bool query_knob = false;
};

struct BackendType {
  BackendKind kind;
  // Needs the raw vectors (a VectorStore read from the embeddings) when
  // loaded: for its search (flat) or exact re-ranking (ivf_pq).
  bool needs_vectors = false;
  // Searches with a LabelFilter cheaply (checks labels as it scans); else
  // the caller widens an unfiltered search.
  bool filters_natively = false;
  std::vector<ParamRange> (*params)();
  // Every setting filled in for n vectors of `dim` dimensions; `given`
  // wins where set. Checked against params() by ValidateBackendOptions.
  BackendOptions (*defaults)(size_t n, int dim, const BackendOptions& given);
  // `vectors` holds the rows the backend is built on (already added) when
  // needs_vectors; a backend that trains learns from them.
  Result<std::unique_ptr<VectorBackend>> (*create)(int dim, size_t capacity, const BackendOptions& options,
                                                   std::shared_ptr<const VectorStore> vectors);
  Result<std::unique_ptr<VectorBackend>> (*load)(const std::filesystem::path& file, int dim, size_t extra_capacity,
                                                 const BackendOptions& options,
                                                 std::shared_ptr<const VectorStore> vectors);
  // What an autotune may vary for n vectors of `dim` dimensions (every
  // value valid for them); settings not named keep their defaults.
  std::vector<KnobGrid> (*search_space)(size_t n, int dim);
  // Whether n vectors of `dim` dimensions can build these settings (ivf_pq
  // must train); null: any can.
  Status (*fits)(size_t n, int dim, const BackendOptions& options) = nullptr;
};

// NotFound-free: every kind but kAuto has a type.
const BackendType& TypeOf(BackendKind kind);

// Unknown names and values out of range, in the user's words ("hnsw option
// 'm' must be between 2 and 128"). For kAuto, no option may be given.
Status ValidateBackendOptions(const BackendSpec& spec);
// ValidateBackendOptions, and whether an index of n vectors of `dim`
// dimensions can build it: checked before a change is queued, so that it
// does not fail later in the background.
Status ValidateForIndex(const BackendSpec& spec, size_t n, int dim);
// The query knobs of one request, against the backend that will serve it.
Status ValidateSearchKnobs(BackendKind kind, const BackendOptions& knobs);

// What auto builds for n vectors of `dim` dimensions: flat while an exact
// scan is about as fast as a graph search (kFlatMaxBytes), hnsw above.
BackendKind ResolveAuto(size_t n, int dim);
// Bytes of vectors (n x dim x 4) up to which an exact scan ties a graph
// search: at 768 dimensions flat/hnsw p50 is 0.73x at 250 vectors, 0.95x at
// 500, 1.12x at 750, 1.23x at 1,000 (bench/backend_bench, 2 cores,
// docs/benchmarks.md). 2 MB is 682 vectors of 768 dimensions.
inline constexpr size_t kFlatMaxBytes = size_t{2} << 20;

// The spec a generation is built with: auto resolved, defaults filled in.
BackendSpec ResolveBackend(const BackendSpec& requested, size_t n, int dim);

// The query knobs among `options` (what a search starts from).
BackendOptions QueryKnobsOf(BackendKind kind, const BackendOptions& options);
// The spec without its query knobs: what a build is made of.
BackendSpec BuildKnobsOf(const BackendSpec& spec);

// The option's value in `knobs`, else in `options`, else `fallback`.
int64_t OptionOr(const BackendOptions& knobs, const BackendOptions& options, const std::string& name,
                 int64_t fallback);

}  // namespace lakehouse::vector
