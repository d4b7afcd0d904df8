// Exact search: every query scores every stored vector. Never misses, and
// below a few megabytes of vectors it is as fast as a graph (kFlatMaxBytes).
#include <thread>

#include "vector/backends/backends.h"
#include "vector/vector_store.h"

namespace lakehouse::vector {

namespace {

class FlatBackend final : public StoreBackedBackend {
 public:
  explicit FlatBackend(std::shared_ptr<const VectorStore> vectors) : StoreBackedBackend(std::move(vectors)) {}
  BackendKind kind() const override { return BackendKind::kFlat; }
  // The rows are the vector store's; there is nothing else to build.
  Status Add(const float*, std::span<const int64_t> labels, int, const std::function<void(size_t)>& progress) override {
    for (int64_t label : labels) {
      if (!vectors_->Find(label)) return Internal("flat backend: label " + std::to_string(label) + " has no vector");
    }
    if (progress) progress(labels.size());
    return Status::Ok();
  }
  Status Remove(std::span<const int64_t>) override { return Status::Ok(); }
  Result<std::vector<Hit>> Search(const float* query, const SearchKnobs& knobs,
                                  const LabelFilter* allowed) const override {
    return vectors_->TopK(query, knobs.k, allowed, Threads());
  }
  bool HasFile() const override { return false; }
  Status Save(const std::filesystem::path&) const override { return Status::Ok(); }
  size_t size() const override { return vectors_->size(); }
  size_t MemoryBytes() const override { return 0; }

 private:
  static int Threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }
};

Result<std::unique_ptr<VectorBackend>> Make(std::shared_ptr<const VectorStore> vectors) {
  if (!vectors) return Internal("the flat backend needs the stored vectors");
  return std::unique_ptr<VectorBackend>(new FlatBackend(std::move(vectors)));
}

}  // namespace

const BackendType& FlatBackendType() {
  static const BackendType type{
      BackendKind::kFlat,
      /*needs_vectors=*/true,
      /*filters_natively=*/true,
      [] { return std::vector<ParamRange>{}; },
      [](size_t, int, const BackendOptions& given) { return given; },
      [](int, size_t, const BackendOptions&, std::shared_ptr<const VectorStore> vectors) { return Make(vectors); },
      [](const std::filesystem::path&, int, size_t, const BackendOptions&, std::shared_ptr<const VectorStore> vectors) {
        return Make(vectors);
      },
      [](size_t, int) { return std::vector<KnobGrid>{}; },  // exact: nothing to tune
  };
  return type;
}

}  // namespace lakehouse::vector
