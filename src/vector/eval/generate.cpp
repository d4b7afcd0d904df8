#include "vector/eval/generate.h"

#include <algorithm>
#include <random>
#include <sstream>

#include "catalog/pii_spans.h"

namespace lakehouse::vector::eval {

namespace {

constexpr size_t kMinWords = 6;    // chunks with fewer words are not sampled
constexpr size_t kWindowMin = 8;   // words taken from the chunk, before dropping
constexpr size_t kWindowMax = 16;
constexpr double kDropShare = 0.25;

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(std::move(w));
  return words;
}

}  // namespace

Result<EvalSet> GenerateEvalSet(const LoadedIndex& index, const std::string& name, const GenerateOptions& options) {
  if (options.queries < 1 || options.queries > kMaxGeneratedQueries) {
    return InvalidArgument("generate.queries must be between 1 and " + std::to_string(kMaxGeneratedQueries));
  }
  std::vector<int64_t> labels;
  index.chunks.ForEach([&](int64_t label, const ChunkRow& chunk) {
    if (Words(chunk.text).size() >= kMinWords) labels.push_back(label);
  });
  if (labels.empty()) {
    return InvalidArgument("the index has no chunk of " + std::to_string(kMinWords) +
                           " words or more to make queries from; write a set by hand instead");
  }
  // Label order, then a seeded shuffle: the same set for the same generation and seed.
  std::sort(labels.begin(), labels.end());
  std::mt19937_64 random(options.seed);
  std::shuffle(labels.begin(), labels.end(), random);
  labels.resize(std::min(labels.size(), options.queries));
  EvalSet set;
  set.name = name;
  for (int64_t label : labels) {
    const ChunkRow& chunk = *index.chunks.Find(label);
    std::vector<std::string> words = Words(chunk.text);
    const size_t width = std::min(words.size(), std::uniform_int_distribution<size_t>(kWindowMin, kWindowMax)(random));
    const size_t start = std::uniform_int_distribution<size_t>(0, words.size() - width)(random);
    std::vector<std::string> kept;
    std::bernoulli_distribution drop(kDropShare);
    for (size_t i = start; i < start + width; ++i) {
      if (!drop(random) || width - (i - start) + kept.size() <= kMinWords / 2) kept.push_back(words[i]);
    }
    if (kept.size() >= 2) {
      const size_t at = std::uniform_int_distribution<size_t>(0, kept.size() - 2)(random);
      std::swap(kept[at], kept[at + 1]);
    }
    std::string text;
    for (const auto& w : kept) text += (text.empty() ? "" : " ") + w;
    auto spans = catalog::FindPiiSpans(text);
    if (!spans.empty()) text = catalog::RedactPiiSpans(text, spans);
    set.queries.push_back({"g" + std::to_string(set.queries.size() + 1), std::move(text), {{chunk.doc_id, 1}}});
  }
  return set;
}

}  // namespace lakehouse::vector::eval
