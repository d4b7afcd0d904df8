// The vector backends side by side on N hash-embedded documents (issue 12):
// flat against the memory-bandwidth floor, IVF_PQ build against FAISS called
// directly with the same settings, IVF_PQ recall/latency/bytes by nprobe and
// refine_factor, the flat-vs-hnsw crossover that sets auto's threshold, and
// needle queries (a word in exactly one document) per backend.
//
//   backend_bench [--docs 100000] [--dim 768] [--threads 2] [--queries 200] [--skip-hnsw] [--ivf pq_m=96 ...]
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <omp.h>

#include <array>
#include <cstring>
#include <unordered_set>
#include <map>

#include "ai/embedder.h"
#include "vector/backend.h"
#include "vector/vector_store.h"
#include "vector_bench_util.h"

namespace lh = lakehouse;
using namespace vbench;
using lh::vector::BackendKind;
using lh::vector::TypeOf;

extern "C" void openblas_set_num_threads(int);

namespace {

struct Options {
  size_t docs = 100000;
  int dim = 768, threads = 2, queries = 200;
  bool skip_hnsw = false;
  lh::vector::BackendOptions ivf;  // --ivf KEY=VALUE: settings other than the defaults
};

[[noreturn]] void Die(const char* what, const lh::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double P50(std::vector<double> v) { return Summarise(std::move(v)).p50; }

template <typename... Args>
std::string Fmt(const char* format, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::unique_ptr<lh::vector::VectorBackend> Build(BackendKind kind, const lh::vector::BackendOptions& options,
                                                 std::shared_ptr<lh::vector::VectorStore> store, const float* rows,
                                                 const std::vector<int64_t>& labels, int threads, double* ms) {
  auto t0 = Clock::now();
  const auto& type = TypeOf(kind);
  auto backend = type.create(store->dimension(), labels.size(), options, type.needs_vectors ? store : nullptr);
  if (!backend.ok()) Die("create", backend.status());
  if (auto s = (*backend)->Add(rows, labels, threads, {}); !s.ok()) Die("add", s);
  *ms = Ms(t0);
  return std::move(*backend);
}

// FAISS called directly: the same index, settings, training sample and
// k-means iterations as backends/ivfpq_backend.cpp.
double FaissDirectBuildMs(const lh::vector::VectorStore& store, const lh::vector::BackendOptions& o) {
  const int d = store.dimension();
  const size_t n = store.size(), nlist = static_cast<size_t>(o.at("nlist"));
  size_t train_n = std::min({n, nlist * 64, size_t{32768}});
  train_n = std::max(train_n, std::min(n, nlist * 39));
  auto t0 = Clock::now();
  std::vector<float> sample(train_n * d);
  for (size_t i = 0; i < train_n; ++i) {
    std::memcpy(sample.data() + i * d, store.data() + (i * n / train_n) * d, d * sizeof(float));
  }
  faiss::IndexFlatIP quantizer(d);
  faiss::IndexIVFPQ index(&quantizer, d, nlist, static_cast<size_t>(o.at("pq_m")), static_cast<size_t>(o.at("nbits")),
                          faiss::METRIC_INNER_PRODUCT);
  index.cp.niter = 10;
  index.pq.cp.niter = 10;
  index.train(static_cast<idx_t>(train_n), sample.data());
  std::vector<idx_t> ids(store.labels().begin(), store.labels().end());
  index.add_with_ids(static_cast<idx_t>(n), store.data(), ids.data());
  return Ms(t0);
}

// Best of three copies of `bytes`: GB/s the machine moves memory at.
double CopyBandwidthGBs(size_t bytes) {
  std::vector<char> from(bytes, 1), to(bytes, 0);
  double best = 1e300;
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    std::memcpy(to.data(), from.data(), bytes);
    best = std::min(best, Ms(t0));
  }
  return bytes / (best / 1000) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? argv[++i] : "0"; };
    if (!std::strcmp(argv[i], "--docs")) o.docs = std::strtoull(next(), nullptr, 10);
    else if (!std::strcmp(argv[i], "--dim")) o.dim = std::atoi(next());
    else if (!std::strcmp(argv[i], "--threads")) o.threads = std::atoi(next());
    else if (!std::strcmp(argv[i], "--queries")) o.queries = std::atoi(next());
    else if (!std::strcmp(argv[i], "--skip-hnsw")) o.skip_hnsw = true;
    else if (!std::strcmp(argv[i], "--ivf")) {
      std::string kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) return 2;
      o.ivf[kv.substr(0, eq)] = std::strtoll(kv.c_str() + eq + 1, nullptr, 10);
    }
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  const int D = o.dim, T = o.threads, K = 10;
  const size_t N = o.docs;
  omp_set_num_threads(T);
  openblas_set_num_threads(1);
  std::printf("backend_bench: %zu docs, dim %d, %d threads, %d queries\n", N, D, T, o.queries);

  // Documents; every 1000th carries four words no other document has.
  Corpus corpus;
  std::vector<std::string> texts(N);
  std::vector<size_t> needles;
  std::vector<std::string> needle_texts;
  Rng needle_rng(2026);
  for (size_t i = 0; i < N; ++i) {
    texts[i] = corpus.Text(i);
    if (i % 1000 == 500) {
      // Words of twelve random digits: no corpus word has digits, and two
      // needles rarely share a character trigram (the hash embedder's pieces).
      std::string words;
      for (int w = 0; w < 4; ++w) {
        words += w ? " " : "";
        for (int c = 0; c < 12; ++c) words += static_cast<char>('0' + needle_rng.Below(10));
      }
      texts[i] += " " + words;
      needles.push_back(i);
      needle_texts.push_back(words);
    }
  }
  auto embedder = lh::ai::MakeEmbedder({"hash", "", D});
  if (!embedder.ok()) Die("embedder", embedder.status());
  auto t0 = Clock::now();
  std::vector<float> rows = EmbedAll(**embedder, texts, T);
  std::printf("embedded in %.0f ms\n", Ms(t0));
  std::vector<int64_t> labels(N);
  for (size_t i = 0; i < N; ++i) labels[i] = static_cast<int64_t>(i);
  auto store = std::make_shared<lh::vector::VectorStore>(D);
  store->Add(rows.data(), labels);

  std::vector<std::string> qtexts;
  for (int q = 0; q < o.queries; ++q) qtexts.push_back(corpus.Text(N + 1000 + q));
  std::vector<float> queries = EmbedAll(**embedder, qtexts, T);
  std::vector<std::vector<int64_t>> truth(o.queries);
  for (int q = 0; q < o.queries; ++q) {
    for (const auto& h : store->TopK(queries.data() + q * D, K, nullptr, T)) truth[q].push_back(h.label);
  }
  std::vector<float> needle_queries = EmbedAll(**embedder, needle_texts, T);

  auto measure = [&](const lh::vector::VectorBackend& b, const lh::vector::BackendOptions& knobs, double* recall,
                     double* p95 = nullptr) {
    std::vector<double> ms;
    std::vector<std::vector<int64_t>> found(o.queries);
    for (int q = 0; q < o.queries; ++q) {
      auto q0 = Clock::now();
      auto hits = b.Search(queries.data() + q * D, {static_cast<size_t>(K), knobs}, nullptr);
      ms.push_back(Ms(q0));
      if (!hits.ok()) Die("search", hits.status());
      for (const auto& h : *hits) found[q].push_back(h.label);
    }
    *recall = Recall(found, truth);
    auto s = Summarise(ms);
    if (p95) *p95 = s.p95;
    return s.p50;
  };
  auto needle_rate = [&](const lh::vector::VectorBackend& b, const lh::vector::BackendOptions& knobs) {
    size_t first = 0;
    for (size_t i = 0; i < needles.size(); ++i) {
      auto hits = b.Search(needle_queries.data() + i * D, {1, knobs}, nullptr);
      first += hits.ok() && !hits->empty() && (*hits)[0].label == static_cast<int64_t>(needles[i]);
    }
    return Fmt("%zu / %zu", first, needles.size());
  };
  std::vector<std::array<std::string, 3>> table;
  // Filtered search: the backend's own filter (FAISS's IDSelector for
  // ivf_pq, hnswlib's filter for hnsw) against exact scores of the allowed
  // rows, by how many rows the filter allows (the Searcher's crossover).
  auto filtered = [&](const lh::vector::VectorBackend& b, const lh::vector::BackendOptions& knobs,
                      const std::string& name) {
    for (size_t n : {256, 1024, 2048, 4096, 8192, 16384, 50000}) {
      if (n > N) break;
      std::vector<int64_t> allowed_labels;
      Rng pick(n * 7919);
      std::unordered_set<int64_t> allowed;
      while (allowed.size() < n) allowed.insert(static_cast<int64_t>(pick.Below(N)));
      allowed_labels.assign(allowed.begin(), allowed.end());
      lh::vector::LabelFilter filter = [&](int64_t label) { return allowed.count(label) > 0; };
      std::vector<double> native_ms, exact_ms;
      std::vector<std::vector<int64_t>> native_found(o.queries), exact_found(o.queries), ftruth(o.queries);
      for (int q = 0; q < o.queries; ++q) {
        const float* query = queries.data() + q * D;
        for (const auto& h : store->TopK(query, K, &filter, 1)) ftruth[q].push_back(h.label);
        auto q0 = Clock::now();
        auto hits = b.Search(query, {static_cast<size_t>(K), knobs}, &filter);
        native_ms.push_back(Ms(q0));
        if (!hits.ok()) Die("filtered search", hits.status());
        for (const auto& h : *hits) native_found[q].push_back(h.label);
        q0 = Clock::now();
        for (const auto& h : b.Score(query, allowed_labels, K)) exact_found[q].push_back(h.label);
        exact_ms.push_back(Ms(q0));
      }
      table.push_back({Fmt("%s filtered to %zu rows (%.2f%%): native / exact recall@10 and p50 ms", name.c_str(), n,
                           100.0 * n / N),
                       Fmt("%.3f / %.3f; ", Recall(native_found, ftruth), Recall(exact_found, ftruth)) +
                           Fmt("%.3f / %.3f", P50(native_ms), P50(exact_ms)),
                       Fmt("native/exact time %.2fx", P50(native_ms) / P50(exact_ms))});
    }
  };

  // Flat against the floor: every query reads all N x D floats once.
  double bw = CopyBandwidthGBs(std::max<size_t>(N * D * sizeof(float), size_t{64} << 20));
  double floor_ms = N * D * sizeof(float) / (bw * 1e9) * 1000;
  double ms = 0;
  auto flat = Build(BackendKind::kFlat, {}, store, rows.data(), labels, T, &ms);
  double flat_recall = 0;
  double flat_p50 = measure(*flat, {}, &flat_recall);
  table.push_back({"flat exact top-10 p50 ms (" + std::to_string(T) + " threads)", Fmt("%.2f", flat_p50),
                   Fmt("floor %.2f ms (%.0f MB at %.1f GB/s copy): %.2fx", floor_ms, N * D * 4 / 1e6, bw,
                       flat_p50 / floor_ms)});
  table.push_back({"flat needles ranked first", needle_rate(*flat, {}), "exact"});

  // IVF_PQ: ours and FAISS direct, interleaved twice.
  auto ivf_options = TypeOf(BackendKind::kIvfPq).defaults(N, D, o.ivf);
  std::vector<double> ours_ms, faiss_ms;
  std::unique_ptr<lh::vector::VectorBackend> ivf;
  for (int round = 0; round < 2; ++round) {
    faiss_ms.push_back(FaissDirectBuildMs(*store, ivf_options));
    ivf = Build(BackendKind::kIvfPq, ivf_options, store, rows.data(), labels, T, &ms);
    ours_ms.push_back(ms);
  }
  double ours_build = *std::min_element(ours_ms.begin(), ours_ms.end());
  double faiss_build = *std::min_element(faiss_ms.begin(), faiss_ms.end());
  table.push_back({"ivf_pq build (train + add) ms, best of 2: nlist " + std::to_string(ivf_options["nlist"]) +
                       ", pq_m " + std::to_string(ivf_options["pq_m"]) + ", nbits " +
                       std::to_string(ivf_options["nbits"]),
                   Fmt("%.0f", ours_build), Fmt("FAISS direct %.0f ms: %.2fx", faiss_build, ours_build / faiss_build)});
  size_t ivf_bytes = ivf->MemoryBytes();
  table.push_back({"ivf_pq bytes per vector (codes + id; + lists' centroids)",
                   Fmt("%.1f", (ivf_options["pq_m"] * ivf_options["nbits"] + 7) / 8 + 8.0),
                   Fmt("all in memory %.1f; raw vectors %d", static_cast<double>(ivf_bytes) / N, D * 4)});
  omp_set_num_threads(1);
  for (int64_t nprobe : {8, 16, 32}) {
    for (int64_t refine : {5, 10, 20}) {
      double recall = 0, p95 = 0;
      double p50 = measure(*ivf, {{"nprobe", nprobe}, {"refine_factor", refine}}, &recall, &p95);
      bool is_default = nprobe == ivf_options["nprobe"] && refine == ivf_options["refine_factor"];
      table.push_back({Fmt("ivf_pq nprobe %lld refine %lld%s: recall@10 / p50 / p95 ms (1 thread)",
                           static_cast<long long>(nprobe), static_cast<long long>(refine),
                           is_default ? " (default)" : ""),
                       Fmt("%.3f / %.3f / %.3f", recall, p50, p95), ""});
    }
  }
  table.push_back({"ivf_pq needles ranked first (defaults)", needle_rate(*ivf, {}), ""});
  filtered(*ivf, {}, "ivf_pq");
  omp_set_num_threads(T);

  if (!o.skip_hnsw) {
    auto hnsw_options = TypeOf(BackendKind::kHnsw).defaults(N, D, {});
    auto hnsw = Build(BackendKind::kHnsw, hnsw_options, store, rows.data(), labels, T, &ms);
    table.push_back({"hnsw build ms (M 16, ef_construction 200)", Fmt("%.0f", ms), ""});
    for (int64_t ef : {64, 128}) {
      double recall = 0;
      double p50 = measure(*hnsw, {{"ef_search", ef}}, &recall);
      table.push_back({Fmt("hnsw ef %lld: recall@10 / p50 ms", static_cast<long long>(ef)),
                       Fmt("%.3f / %.3f", recall, p50), ""});
    }
    table.push_back({"hnsw needles ranked first (ef 64)", needle_rate(*hnsw, {{"ef_search", 64}}), ""});
    filtered(*hnsw, {{"ef_search", 64}}, "hnsw");
  }

  // Crossover: flat (T threads) against hnsw (ef 64) on the first n rows.
  for (size_t n : {250, 500, 750, 1000, 1500, 2000, 4000, 8000, 16000, 32000}) {
    if (n > N) break;
    std::vector<int64_t> some(labels.begin(), labels.begin() + n);
    auto part = std::make_shared<lh::vector::VectorStore>(D);
    part->Add(rows.data(), some);
    auto f = Build(BackendKind::kFlat, {}, part, rows.data(), some, T, &ms);
    auto h = Build(BackendKind::kHnsw, TypeOf(BackendKind::kHnsw).defaults(n, D, {}), part, rows.data(), some, T, &ms);
    std::vector<double> fm, hm;
    for (int q = 0; q < o.queries; ++q) {  // interleaved, so noise hits both
      auto q0 = Clock::now();
      (void)f->Search(queries.data() + q * D, {static_cast<size_t>(K), {}}, nullptr);
      fm.push_back(Ms(q0));
      q0 = Clock::now();
      (void)h->Search(queries.data() + q * D, {static_cast<size_t>(K), {{"ef_search", 64}}}, nullptr);
      hm.push_back(Ms(q0));
    }
    table.push_back({Fmt("crossover n %zu (%.1f MB): flat / hnsw p50 ms", n, n * D * 4 / 1e6),
                     Fmt("%.3f / %.3f", P50(fm), P50(hm)), Fmt("flat/hnsw %.2fx", P50(fm) / P50(hm))});
  }

  std::printf("\n| measure | value | baseline (same run) |\n|---|---|---|\n");
  for (const auto& row : table) std::printf("| %s | %s | %s |\n", row[0].c_str(), row[1].c_str(), row[2].c_str());
  return 0;
}
