// HNSW (hnswlib through HnswGraph): a graph searched in well under a
// millisecond at any size, approximate. Its file holds the vectors too, so
// it needs no vector store.
#include <algorithm>

#include "vector/backends/backends.h"
#include "vector/backends/hnsw_graph.h"

namespace lakehouse::vector {

namespace {

constexpr int64_t kDefaultM = 16, kDefaultEfConstruction = 200, kDefaultEfSearch = 64;

HnswParams ParamsOf(const BackendOptions& options) {
  HnswParams p;
  p.m = static_cast<int>(OptionOr({}, options, "m", kDefaultM));
  p.ef_construction = static_cast<int>(OptionOr({}, options, "ef_construction", kDefaultEfConstruction));
  p.ef_search = static_cast<int>(OptionOr({}, options, "ef_search", kDefaultEfSearch));
  return p;
}

class HnswBackend final : public VectorBackend {
 public:
  HnswBackend(std::unique_ptr<HnswGraph> graph, HnswParams params) : graph_(std::move(graph)), params_(params) {}
  BackendKind kind() const override { return BackendKind::kHnsw; }
  Status Add(const float* rows, std::span<const int64_t> labels, int threads,
             const std::function<void(size_t)>& progress) override {
    return graph_->Add(rows, labels, threads, progress, yield_);
  }
  Status Remove(std::span<const int64_t> labels) override {
    for (int64_t label : labels) LH_RETURN_IF_ERROR(graph_->MarkDeleted(label));
    return Status::Ok();
  }
  Result<std::vector<Hit>> Search(const float* query, const SearchKnobs& knobs,
                                  const LabelFilter* allowed) const override {
    size_t ef = static_cast<size_t>(OptionOr(knobs.overrides, {}, "ef_search", params_.ef_search));
    if (!allowed) return graph_->Search(query, knobs.k, std::max(ef, knobs.k));
    // hnswlib 0.6 cannot filter inside the graph: widen until k pass.
    const size_t total = graph_->size();
    for (size_t want = knobs.k * 4;; want *= 4) {
      want = std::min(want, total);
      std::vector<Hit> kept;
      for (const Hit& h : graph_->Search(query, want, std::max(ef, want))) {
        if ((*allowed)(h.label)) kept.push_back(h);
        if (kept.size() >= knobs.k) break;
      }
      if (kept.size() >= knobs.k || want >= total) return kept;
    }
  }
  std::vector<Hit> Score(const float* query, std::span<const int64_t> labels, size_t k) const override {
    return graph_->Exact(query, labels, k);
  }
  bool CopyVector(int64_t label, float* out) const override { return graph_->Vector(label, out); }
  bool HasFile() const override { return true; }
  Status Save(const std::filesystem::path& path) const override { return graph_->Save(path); }
  size_t size() const override { return graph_->size(); }
  size_t MemoryBytes() const override {
    // hnswlib's level-0 block: vector, links (2M) and label per element.
    size_t per = graph_->dimension() * sizeof(float) + (2 * params_.m + 1) * sizeof(uint32_t) + sizeof(size_t);
    return graph_->capacity() * per;
  }

 private:
  std::unique_ptr<HnswGraph> graph_;
  HnswParams params_;
};

}  // namespace

const BackendType& HnswBackendType() {
  static const BackendType type{
      BackendKind::kHnsw,
      /*needs_vectors=*/false,
      /*filters_natively=*/false,
      [] {
        return std::vector<ParamRange>{{"m", 2, 128, false},
                                       {"ef_construction", 2, 4096, false},
                                       {"ef_search", 1, 10000, true}};
      },
      [](size_t, int, const BackendOptions& given) {
        BackendOptions o{{"m", kDefaultM}, {"ef_construction", kDefaultEfConstruction}, {"ef_search", kDefaultEfSearch}};
        for (const auto& [k, v] : given) o[k] = v;
        return o;
      },
      [](int dim, size_t capacity, const BackendOptions& options,
         std::shared_ptr<const VectorStore>) -> Result<std::unique_ptr<VectorBackend>> {
        HnswParams p = ParamsOf(options);
        if (p.ef_construction < p.m) {
          return InvalidArgument("hnsw option 'ef_construction' must be at least 'm' (200 is a good start)");
        }
        LH_ASSIGN_OR_RETURN(auto graph, HnswGraph::Create(dim, capacity, p));
        return std::unique_ptr<VectorBackend>(new HnswBackend(std::move(graph), p));
      },
      [](const std::filesystem::path& file, int dim, size_t extra, const BackendOptions& options,
         std::shared_ptr<const VectorStore>) -> Result<std::unique_ptr<VectorBackend>> {
        LH_ASSIGN_OR_RETURN(auto graph, HnswGraph::Load(file, dim, extra));
        return std::unique_ptr<VectorBackend>(new HnswBackend(std::move(graph), ParamsOf(options)));
      },
      [](size_t, int) {
        // M past 32 and ef_construction past 400 bought under 0.01 recall
        // at 100,000 x 768 for twice the build (docs/benchmarks.md).
        return std::vector<KnobGrid>{{"m", {8, 12, 16, 24, 32}, false},
                                     {"ef_construction", {50, 100, 200, 400}, false},
                                     {"ef_search", {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}, true}};
      },
  };
  return type;
}

}  // namespace lakehouse::vector
