// IVF_PQ (FAISS): vectors clustered into nlist lists, each stored as pq_m
// codes of nbits; a search visits nprobe lists and re-ranks the best
// k x refine_factor candidates exactly from the vector store (PQ alone
// caps recall far below 0.95 at 768 dimensions). The only file that
// includes FAISS; its exceptions stop here.
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

#include "common/files.h"
#include "vector/backends/backends.h"
#include "vector/vector_store.h"

// OpenBLAS's own threads on top of FAISS's OpenMP ones oversubscribe the
// cores and make training 2.5x slower; weak, in case another BLAS is linked.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace lakehouse::vector {

namespace {

using faiss_idx = faiss::Index::idx_t;

constexpr int64_t kDefaultNbits = 4;
constexpr int64_t kDefaultRefine = 20;
// FAISS's k-means wants 39 points per list or more; past 256 per list the
// sample only costs time.
constexpr size_t kMinPointsPerList = 39, kTrainPointsPerList = 64, kMaxTrainPoints = 32768;
// Fewer vectors than this cannot train 2^nbits codes per sub-vector well.
constexpr size_t kMinVectors = 256;

void OneBlasThread() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
  });
}

// Lists: about sqrt(n) (FAISS suggests 4..16 sqrt(n) for speed at scale;
// sqrt keeps training under a few seconds on two cores), each with enough
// points to train on.
int64_t DefaultNlist(size_t n) {
  auto lists = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(n))));
  lists = std::min<int64_t>(lists, static_cast<int64_t>(n / kMinPointsPerList));
  return std::clamp<int64_t>(lists, 1, 65536);
}

// Sub-vectors of 8 dimensions (the most that fit codes plus the 8-byte id
// in 110 bytes per vector). On 100,000 x 768 with nprobe 8 and refine 20,
// 96 sub-vectors of 4 bits gave recall@10 0.982 at p50 0.73 ms and 56
// bytes; 128 gave 0.991 at 0.86 ms and 72 bytes; 192 gave 0.995 at 1.13 ms
// and 104 bytes (docs/benchmarks.md): past 0.95, re-ranking buys recall
// more cheaply than finer codes.
int64_t DefaultPqM(int dim, int64_t nbits) {
  for (int64_t m = std::max(dim / 8, 1); m >= 1; --m) {
    if (dim % m == 0 && (m * nbits + 7) / 8 + 8 <= 110) return m;
  }
  return 1;
}

// Per search: the labels a filter accepts, as FAISS asks for them.
struct FilterSelector final : faiss::IDSelector {
  explicit FilterSelector(const LabelFilter& f) : filter(f) {}
  bool is_member(faiss_idx id) const override { return filter(static_cast<int64_t>(id)); }
  const LabelFilter& filter;
};

class IvfPqBackend final : public StoreBackedBackend {
 public:
  IvfPqBackend(std::unique_ptr<faiss::IndexIVFPQ> index, BackendOptions options,
               std::shared_ptr<const VectorStore> vectors)
      : StoreBackedBackend(std::move(vectors)), index_(std::move(index)), options_(std::move(options)) {}
  BackendKind kind() const override { return BackendKind::kIvfPq; }

  Status Add(const float* rows, std::span<const int64_t> labels, int, const std::function<void(size_t)>& progress) override {
    std::vector<faiss_idx> ids(labels.begin(), labels.end());
    try {
      index_->add_with_ids(static_cast<faiss_idx>(ids.size()), rows, ids.data());
    } catch (const std::exception& e) {
      return Internal(std::string("IVF_PQ add failed: ") + e.what());
    }
    if (progress) progress(labels.size());
    return Status::Ok();
  }

  Status Remove(std::span<const int64_t> labels) override {
    std::vector<faiss_idx> ids(labels.begin(), labels.end());
    try {
      faiss::IDSelectorBatch batch(ids.size(), ids.data());
      index_->remove_ids(batch);
    } catch (const std::exception& e) {
      return Internal(std::string("IVF_PQ remove failed: ") + e.what());
    }
    return Status::Ok();
  }

  Result<std::vector<Hit>> Search(const float* query, const SearchKnobs& knobs,
                                  const LabelFilter* allowed) const override {
    const int64_t nlist = static_cast<int64_t>(index_->nlist);
    faiss::SearchParametersIVF params;
    params.nprobe = static_cast<size_t>(std::min(nlist, OptionOr(knobs.overrides, options_, "nprobe", 1)));
    std::optional<FilterSelector> selector;
    if (allowed) params.sel = &selector.emplace(*allowed);
    size_t refine = static_cast<size_t>(OptionOr(knobs.overrides, options_, "refine_factor", kDefaultRefine));
    size_t want = std::max<size_t>(knobs.k * refine, knobs.k);
    std::vector<float> distances(want);
    std::vector<faiss_idx> ids(want, -1);
    std::vector<int64_t> candidates;
    // The lists probed may hold fewer than asked for (a small nprobe, a
    // narrow filter): probe twice as many until they do or all were seen.
    while (true) {
      try {
        index_->search(1, query, static_cast<faiss_idx>(want), distances.data(), ids.data(), &params);
      } catch (const std::exception& e) {
        return Internal(std::string("IVF_PQ search failed: ") + e.what());
      }
      candidates.clear();
      for (faiss_idx id : ids) {
        if (id >= 0) candidates.push_back(static_cast<int64_t>(id));
      }
      if (candidates.size() >= want || params.nprobe >= index_->nlist) break;
      params.nprobe = std::min(params.nprobe * 2, index_->nlist);
    }
    return vectors_->Score(query, candidates, knobs.k);
  }

  bool HasFile() const override { return true; }

  Status Save(const std::filesystem::path& path) const override {
    fs::path tmp = UniqueTempPath(path.parent_path(), path.filename().string());
    TempFileGuard guard(tmp);
    try {
      faiss::write_index(index_.get(), tmp.c_str());
    } catch (const std::exception& e) {
      return Internal("cannot write the IVF_PQ index " + path.filename().string() + ": " + e.what());
    }
    LH_RETURN_IF_ERROR(AtomicMoveInto(tmp, path));
    guard.Release();
    return Status::Ok();
  }

  size_t size() const override { return static_cast<size_t>(index_->ntotal); }
  size_t MemoryBytes() const override {
    size_t codes = static_cast<size_t>(index_->ntotal) * (index_->code_size + sizeof(faiss_idx));
    size_t centroids = index_->nlist * static_cast<size_t>(index_->d) * sizeof(float);
    return codes + centroids + index_->pq.centroids.size() * sizeof(float);
  }

 private:
  std::unique_ptr<faiss::IndexIVFPQ> index_;
  BackendOptions options_;
};

size_t TrainCount(size_t n, int64_t nlist, size_t codes) {
  size_t train_n = std::min({n, static_cast<size_t>(nlist) * kTrainPointsPerList, kMaxTrainPoints});
  return std::max({train_n, std::min(n, static_cast<size_t>(nlist) * kMinPointsPerList),
                   std::min(n, codes * kMinPointsPerList)});
}

// Whether n vectors of `dim` dimensions can train these settings.
Status Fits(size_t n, int dim, const BackendOptions& options) {
  if (n < kMinVectors) {
    return InvalidArgument("ivf_pq learns its codes from the vectors and needs at least " +
                           std::to_string(kMinVectors) + " chunks (this index has " + std::to_string(n) +
                           "); use backend flat or hnsw");
  }
  int64_t nlist = OptionOr({}, options, "nlist", DefaultNlist(n));
  int64_t nbits = OptionOr({}, options, "nbits", kDefaultNbits);
  int64_t pq_m = OptionOr({}, options, "pq_m", DefaultPqM(dim, nbits));
  if (dim % pq_m != 0) {
    return InvalidArgument("ivf_pq option 'pq_m' must divide the dimension " + std::to_string(dim) + " (got " +
                           std::to_string(pq_m) + ")");
  }
  if (static_cast<size_t>(nlist) * kMinPointsPerList > n) {
    return InvalidArgument("ivf_pq option 'nlist' " + std::to_string(nlist) + " needs " +
                           std::to_string(nlist * kMinPointsPerList) + " chunks to train on (this index has " +
                           std::to_string(n) + "); lower it to " + std::to_string(DefaultNlist(n)));
  }
  const size_t codes = size_t{1} << nbits;
  if (TrainCount(n, nlist, codes) < codes) {
    return InvalidArgument("ivf_pq with nbits " + std::to_string(nbits) + " learns " + std::to_string(codes) +
                           " codes per sub-vector and needs at least that many chunks (this index has " +
                           std::to_string(n) + "); lower nbits or use backend flat or hnsw");
  }
  return Status::Ok();
}

Result<std::unique_ptr<VectorBackend>> Create(int dim, size_t, const BackendOptions& options,
                                              std::shared_ptr<const VectorStore> vectors) {
  if (!vectors) return Internal("the ivf_pq backend needs the stored vectors");
  OneBlasThread();
  const size_t n = vectors->size();
  LH_RETURN_IF_ERROR(Fits(n, dim, options));
  const int64_t nlist = OptionOr({}, options, "nlist", DefaultNlist(n));
  const int64_t nbits = OptionOr({}, options, "nbits", kDefaultNbits);
  const int64_t pq_m = OptionOr({}, options, "pq_m", DefaultPqM(dim, nbits));
  // A deterministic sample spread over the whole store, enough for the
  // lists and for the 2^nbits codes of each sub-vector.
  const size_t train_n = TrainCount(n, nlist, size_t{1} << nbits);
  std::vector<float> sample(train_n * static_cast<size_t>(dim));
  for (size_t i = 0; i < train_n; ++i) {
    const float* row = vectors->data() + (i * n / train_n) * static_cast<size_t>(dim);
    std::copy(row, row + dim, sample.begin() + static_cast<std::ptrdiff_t>(i * dim));
  }
  try {
    auto quantizer = std::make_unique<faiss::IndexFlatIP>(dim);
    auto index = std::make_unique<faiss::IndexIVFPQ>(quantizer.get(), dim, static_cast<size_t>(nlist),
                                                     static_cast<size_t>(pq_m), static_cast<size_t>(nbits),
                                                     faiss::METRIC_INNER_PRODUCT);
    index->own_fields = true;
    quantizer.release();
    index->cp.niter = 10;
    index->pq.cp.niter = 10;
    // 16 points per code suffice (kMinVectors); FAISS's own floor of 39
    // only prints a warning per sub-vector on small indexes.
    index->pq.cp.min_points_per_centroid = 16;
    index->train(static_cast<faiss_idx>(train_n), sample.data());
    return std::unique_ptr<VectorBackend>(new IvfPqBackend(std::move(index), options, std::move(vectors)));
  } catch (const std::exception& e) {
    return Internal(std::string("IVF_PQ training failed: ") + e.what());
  }
}

Result<std::unique_ptr<VectorBackend>> Load(const std::filesystem::path& file, int dim, size_t,
                                            const BackendOptions& options, std::shared_ptr<const VectorStore> vectors) {
  if (!vectors) return Internal("the ivf_pq backend needs the stored vectors");
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return Internal("IVF_PQ index file missing: " + file.filename().string());
  std::unique_ptr<faiss::Index> read;
  try {
    read.reset(faiss::read_index(file.c_str()));
  } catch (const std::exception&) {
    return Internal("IVF_PQ index file " + file.filename().string() + " is damaged or not a FAISS IVF_PQ index");
  }
  auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(read.get());
  if (!ivfpq) return Internal("IVF_PQ index file " + file.filename().string() + " holds another kind of index");
  if (ivfpq->d != dim) {
    return Internal("IVF_PQ index file " + file.filename().string() + " was built for " + std::to_string(ivfpq->d) +
                    " dimensions, not " + std::to_string(dim));
  }
  read.release();
  return std::unique_ptr<VectorBackend>(
      new IvfPqBackend(std::unique_ptr<faiss::IndexIVFPQ>(ivfpq), options, std::move(vectors)));
}

// Lists around the default (half to four times, each with points enough
// to train), sub-vectors of 8 to 32 dimensions; probes up to 256 lists and
// re-ranking depths up to 32x (past them recall no longer rose on
// 100,000 x 768, docs/benchmarks.md).
std::vector<KnobGrid> SearchSpace(size_t n, int dim) {
  std::vector<int64_t> lists;
  const int64_t base = DefaultNlist(n);
  const int64_t most = std::max<int64_t>(1, static_cast<int64_t>(n / kMinPointsPerList));
  for (int64_t l : {base / 2, base, base * 2, base * 4}) {
    l = std::clamp<int64_t>(l, 1, std::min<int64_t>(most, 65536));
    if (std::find(lists.begin(), lists.end(), l) == lists.end()) lists.push_back(l);
  }
  std::vector<int64_t> subvectors;
  for (int per : {32, 16, 8}) {
    if (dim % per == 0 && dim / per >= 1) subvectors.push_back(dim / per);
  }
  if (subvectors.empty()) subvectors.push_back(DefaultPqM(dim, kDefaultNbits));
  std::vector<int64_t> probes;
  for (int64_t p = 1; p <= std::min<int64_t>(256, lists.back()); p *= 2) probes.push_back(p);
  return {{"nlist", lists, false},
          {"pq_m", subvectors, false},
          {"nprobe", probes, true},
          {"refine_factor", {1, 2, 4, 8, 16, 32}, true}};
}

}  // namespace

const BackendType& IvfPqBackendType() {
  static const BackendType type{
      BackendKind::kIvfPq,
      /*needs_vectors=*/true,
      /*filters_natively=*/true,
      [] {
        return std::vector<ParamRange>{{"nlist", 1, 65536, false},
                                       {"pq_m", 1, 4096, false},
                                       {"nbits", 4, 8, false},
                                       {"nprobe", 1, 65536, true},
                                       {"refine_factor", 1, 100, true}};
      },
      [](size_t n, int dim, const BackendOptions& given) {
        BackendOptions o = given;
        o.try_emplace("nlist", DefaultNlist(n));
        o.try_emplace("nbits", kDefaultNbits);
        o.try_emplace("pq_m", DefaultPqM(dim, o["nbits"]));
        // A fortieth of the lists, at least 8: on 100,000 x 768 (nlist 316)
        // twice the lists cost 1.5x the time for +0.003 recall (docs/benchmarks.md).
        o.try_emplace("nprobe", std::min(o["nlist"], std::max<int64_t>(8, o["nlist"] / 40)));
        o.try_emplace("refine_factor", kDefaultRefine);
        return o;
      },
      Create,
      Load,
      SearchSpace,
      Fits,
  };
  return type;
}

}  // namespace lakehouse::vector
