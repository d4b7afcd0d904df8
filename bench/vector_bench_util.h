// Helpers for vector_bench.cpp: deterministic synthetic documents, parallel
// embedding, the plain-hnswlib baseline, exact k-NN with FAISS, and timing
// summaries. Header-only; for vector_bench.cpp and vector_bench_plain.cpp.
#pragma once

#include <faiss/IndexFlat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "ai/embedder.h"

namespace vbench {

using Clock = std::chrono::steady_clock;
using idx_t = faiss::Index::idx_t;

inline double Ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

struct Summary {
  double p50 = 0, p95 = 0, mean = 0;
};
inline Summary Summarise(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], sum / v.size()};
}

// splitmix64: the same numbers on every machine and standard library.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
};

// A fixed vocabulary of synthetic words (2-4 syllables), Zipf-weighted, and
// 100 topics that each favour their own 200-word slice of it: documents of
// one topic share words, so the lexical hash embedder finds real neighbours.
class Corpus {
 public:
  static constexpr int kVocab = 4000, kTopics = 100, kTopicWords = 200;

  Corpus() {
    static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "do", "fe",
                                       "gu", "hi", "jo", "ku", "la", "me", "no", "pi", "qua", "re", "si", "tu",
                                       "ve", "wa", "xe", "yo", "ze", "bra", "cri", "dro", "fla", "gri", "pro", "sta"};
    const int ns = sizeof(kSyllables) / sizeof(kSyllables[0]);
    Rng rng(42);
    std::set<std::string> seen;
    while (static_cast<int>(words_.size()) < kVocab) {
      int parts = 2 + rng.Below(3);
      std::string w;
      for (int i = 0; i < parts; ++i) w += kSyllables[rng.Below(ns)];
      if (seen.insert(w).second) words_.push_back(w);
    }
    global_cdf_ = ZipfCdf(kVocab, 1.0);
    topic_cdf_ = ZipfCdf(kTopicWords, 0.8);
  }

  // Document `seed`'s text: 40-80 words, about 60% from its topic.
  std::string Text(uint64_t seed) const {
    Rng rng(seed * 0x2545F4914F6CDD1Dull + 7);
    int topic = rng.Below(kTopics);
    int n = 40 + rng.Below(41);
    std::string text;
    for (int i = 0; i < n; ++i) {
      int w = rng.Uniform() < 0.6 ? (topic * 37 + Sample(topic_cdf_, rng.Uniform())) % kVocab
                                  : Sample(global_cdf_, rng.Uniform());
      if (i) text += ' ';
      text += words_[static_cast<size_t>(w)];
    }
    return text;
  }

 private:
  static std::vector<double> ZipfCdf(int n, double s) {
    std::vector<double> cdf(static_cast<size_t>(n));
    double sum = 0;
    for (int i = 0; i < n; ++i) cdf[static_cast<size_t>(i)] = (sum += 1.0 / std::pow(i + 1.0, s));
    for (double& c : cdf) c /= sum;
    return cdf;
  }
  static int Sample(const std::vector<double>& cdf, double u) {
    return static_cast<int>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
  std::vector<std::string> words_;
  std::vector<double> global_cdf_, topic_cdf_;
};

inline const char* kRegions[] = {"north", "south", "east", "west", "central", "alpine", "coastal", "delta", "highland", "island"};

// Rows [first, first + count) as CSV; bucket and year are functions of the id.
inline void WriteCsv(const std::filesystem::path& path, const Corpus& corpus, int64_t first, int64_t count, std::vector<std::string>* texts) {
  std::ofstream out(path);
  out << "id,region,bucket,year,text\n";
  for (int64_t id = first; id < first + count; ++id) {
    Rng r(static_cast<uint64_t>(id) * 31 + 5);
    std::string text = corpus.Text(static_cast<uint64_t>(id));
    out << id << ',' << kRegions[r.Below(10)] << ',' << r.Below(100) << ',' << 2015 + r.Below(10) << ',' << text << '\n';
    if (texts) texts->push_back(std::move(text));
  }
}

inline int BucketOf(int64_t id) {
  Rng r(static_cast<uint64_t>(id) * 31 + 5);
  r.Below(10);
  return r.Below(100);
}

inline void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

// texts -> n x dim row-major, embedded in batches of 64 on `threads` threads.
inline std::vector<float> EmbedAll(lakehouse::ai::Embedder& embedder, const std::vector<std::string>& texts,
                                   int threads) {
  const size_t d = static_cast<size_t>(embedder.dimension()), n = texts.size(), step = 64;
  std::vector<float> out(n * d);
  ParallelFor((n + step - 1) / step, threads, [&](size_t b) {
    std::vector<std::string> batch(texts.begin() + b * step, texts.begin() + std::min(n, (b + 1) * step));
    auto vectors = embedder.Embed(batch);
    if (!vectors.ok()) std::abort();
    for (size_t i = 0; i < batch.size(); ++i) std::copy((*vectors)[i].begin(), (*vectors)[i].end(), out.begin() + (b * step + i) * d);
  });
  return out;
}

// The plain hnswlib program (vector_bench_plain.cpp, its own copy of
// hnswlib): one graph, addPoint from `threads` threads, searchKnn.
class PlainHnsw {
 public:
  PlainHnsw(int dim, size_t capacity, int m, int ef_construction);
  ~PlainHnsw();
  // Inserts rows 0..n-1 with labels 0..n-1; returns the milliseconds the inserts took.
  double Insert(const float* vectors, size_t n, int threads);
  // ef 0: the one set by SetEf (concurrent searches must not set it).
  std::vector<int64_t> Search(const float* query, size_t k, size_t ef);
  void SetEf(size_t ef);
  void Save(const std::string& path);  // saveIndex, then fsync

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Exact top-k ids (FAISS IndexFlatIP, batched, all threads) of `queries` over
// `base`; ids[i] maps a base row to the id reported.
inline std::vector<std::vector<int64_t>> ExactTopK(const std::vector<float>& base, const std::vector<int64_t>& ids,
                                                   const std::vector<float>& queries, int dim, int k) {
  faiss::IndexFlatIP flat(dim);
  flat.add(static_cast<idx_t>(ids.size()), base.data());
  const size_t nq = queries.size() / static_cast<size_t>(dim);
  std::vector<float> dist(nq * k);
  std::vector<idx_t> labels(nq * k);
  flat.search(static_cast<idx_t>(nq), queries.data(), k, dist.data(), labels.data());
  std::vector<std::vector<int64_t>> out(nq);
  for (size_t q = 0; q < nq; ++q) {
    for (int j = 0; j < k; ++j) {
      idx_t l = labels[q * k + j];
      if (l >= 0) out[q].push_back(ids[static_cast<size_t>(l)]);
    }
  }
  return out;
}

// |found ∩ truth| / |truth|, averaged over queries.
inline double Recall(const std::vector<std::vector<int64_t>>& found, const std::vector<std::vector<int64_t>>& truth) {
  double sum = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    std::unordered_set<int64_t> t(truth[q].begin(), truth[q].end());
    int hit = 0;
    for (int64_t id : found[q]) hit += static_cast<int>(t.count(id));
    sum += truth[q].empty() ? 1.0 : static_cast<double>(hit) / truth[q].size();
  }
  return sum / std::max<size_t>(truth.size(), 1);
}

}  // namespace vbench
