// The built-in "hash" embedder: the signed hashing trick over lower-cased
// word unigrams, word bigrams and character trigrams of each word, then L2
// normalisation. Texts sharing words and word pieces land close together.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "ai/embedder.h"
#include "ai/http_embedder.h"

namespace lakehouse::ai {

namespace {

// FNV-1a 64-bit, salted per feature kind so a word and a trigram spelled
// alike do not collide on purpose.
uint64_t Hash(std::string_view s, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ (salt * 0x9E3779B97F4A7C15ull);
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

class HashEmbedder final : public Embedder {
 public:
  explicit HashEmbedder(int dimension) : dimension_(dimension) {}
  std::string provider() const override { return "hash"; }
  std::string model() const override { return "hash-" + std::to_string(dimension_); }
  int dimension() const override { return dimension_; }

  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (const auto& t : texts) out.push_back(EmbedOne(t));
    return out;
  }

 private:
  void Add(std::vector<float>& v, std::string_view feature, uint64_t salt, float weight) const {
    uint64_t h = Hash(feature, salt);
    size_t slot = static_cast<size_t>(h % static_cast<uint64_t>(dimension_));
    v[slot] += (h >> 63) ? weight : -weight;
  }

  std::vector<float> EmbedOne(const std::string& text) const {
    std::vector<float> v(static_cast<size_t>(dimension_), 0.0f);
    std::vector<std::string> words;
    std::string word;
    for (unsigned char c : text) {
      if (IsWordByte(c)) {
        word += static_cast<char>(std::tolower(c));
      } else if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
      }
    }
    if (!word.empty()) words.push_back(std::move(word));
    for (size_t i = 0; i < words.size(); ++i) {
      Add(v, words[i], 1, 1.0f);
      if (i + 1 < words.size()) Add(v, words[i] + " " + words[i + 1], 2, 0.7f);
      std::string padded = "<" + words[i] + ">";
      for (size_t j = 0; j + 3 <= padded.size(); ++j) Add(v, std::string_view(padded).substr(j, 3), 3, 0.4f);
    }
    double norm = 0;
    for (float x : v) norm += static_cast<double>(x) * x;
    if (norm > 0) {
      float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (float& x : v) x *= inv;
    }
    return v;
  }

  int dimension_;
};

}  // namespace

Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbedderSpec& spec) {
  if (spec.provider == "hash") {
    int dim = spec.dimension;
    if (!spec.model.empty()) {
      if (spec.model.rfind("hash-", 0) != 0) return InvalidArgument("hash models are named hash-<dimension>, e.g. hash-768");
      try {
        dim = std::stoi(spec.model.substr(5));
      } catch (...) {
        return InvalidArgument("hash models are named hash-<dimension>, e.g. hash-768");
      }
    }
    if (dim < 8 || dim > 8192) return InvalidArgument("hash embedder dimension must be 8..8192");
    return std::unique_ptr<Embedder>(new HashEmbedder(dim));
  }
  if (spec.provider == "use-lite") return MakeUseLiteEmbedder(spec);
  if (spec.provider == "use-lite+hash") return MakeCombinedEmbedder(spec);
  if (spec.provider == "ollama" || spec.provider == "openai") return MakeHttpEmbedder(spec);
  return InvalidArgument("unknown embedding provider '" + spec.provider + "'; available: use-lite+hash, use-lite, hash, ollama, openai");
}

}  // namespace lakehouse::ai
