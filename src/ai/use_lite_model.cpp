// The USE-Lite forward pass, read off the TF.js graph (model.json) op by op:
//   x0 = 2·E[id] + timing(pos)        (the graph scatters the embedding, then adds
//                                      embedding + timing signal on top of it)
//   layer 0: r = x0·Wd + bd + MHA(LN(x0));  x1 = r + FFN(LN(r))     256 → 512
//   layer 1: r = x1 + MHA(LN(x1));           x2 = r + FFN(LN(r))
//   out = l2norm(tanh(mean_pos(x2)·Wt + bt))
// MHA: 4 heads, queries scaled by 1/sqrt(head width), padding masked out;
// LN: ε = 1e-6; FFN: relu(x·W1 + b1)·W2 + b2 with 1536 hidden units.
// Everything but attention is per token, so a batch of texts is one matrix.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>

#include <cblas.h>
#include <nlohmann/json.hpp>

#include "ai/use_lite.h"
#include "common/files.h"

namespace lakehouse::ai {

namespace {

constexpr int kEmbeddingWidth = 256;
constexpr int kHidden = 1536;
constexpr float kLayerNormEpsilon = 1e-6f;

// C[m x n] = A[m x k] · B[k x n] (+ bias per column), row-major.
void MatMul(const float* a, int m, int k, const float* b, int n, const float* bias, float* c) {
  if (bias) {
    for (int i = 0; i < m; ++i) std::copy(bias, bias + n, c + static_cast<size_t>(i) * n);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, bias ? 1.0f : 0.0f, c, n);
}

void LayerNorm(const float* x, int rows, int width, const float* scale, const float* bias, float* out) {
  for (int r = 0; r < rows; ++r) {
    const float* in = x + static_cast<size_t>(r) * width;
    float* o = out + static_cast<size_t>(r) * width;
    float mean = 0;
    for (int i = 0; i < width; ++i) mean += in[i];
    mean /= static_cast<float>(width);
    float var = 0;
    for (int i = 0; i < width; ++i) var += (in[i] - mean) * (in[i] - mean);
    var /= static_cast<float>(width);
    float inv = 1.0f / std::sqrt(var + kLayerNormEpsilon);
    for (int i = 0; i < width; ++i) o[i] = scale[i] * inv * (in[i] - mean) + bias[i];
  }
}

// Self-attention within each text: qkv [T x 3w] → out [T x w].
void Attention(const float* qkv, const std::vector<int>& starts, int width, int heads, float scale,
               float* out) {
  const int head_width = width / heads;
  const int stride = 3 * width;
  std::vector<float> q, scores;
  for (size_t t = 0; t + 1 < starts.size(); ++t) {
    const int begin = starts[t], n = starts[t + 1] - starts[t];
    if (n == 0) continue;
    q.resize(static_cast<size_t>(n) * head_width);
    scores.resize(static_cast<size_t>(n) * n);
    for (int h = 0; h < heads; ++h) {
      const float* qh = qkv + static_cast<size_t>(begin) * stride + h * head_width;
      const float* kh = qh + width;
      const float* vh = qh + 2 * width;
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < head_width; ++j) q[static_cast<size_t>(i) * head_width + j] = qh[static_cast<size_t>(i) * stride + j] * scale;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, head_width, 1.0f, q.data(), head_width, kh,
                  stride, 0.0f, scores.data(), n);
      for (int i = 0; i < n; ++i) {
        float* row = scores.data() + static_cast<size_t>(i) * n;
        float top = *std::max_element(row, row + n);
        float sum = 0;
        for (int j = 0; j < n; ++j) sum += row[j] = std::exp(row[j] - top);
        for (int j = 0; j < n; ++j) row[j] /= sum;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, head_width, n, 1.0f, scores.data(), n, vh, stride,
                  0.0f, out + static_cast<size_t>(begin) * width + h * head_width, width);
    }
  }
}

}  // namespace

// Finds each tensor of the graph by the name model.json gives it.
class UseLiteLoader {
 public:
  static Result<std::shared_ptr<const UseLiteModel>> Load(const std::filesystem::path& dir) {
    auto model = std::make_shared<UseLiteModel>();
    LH_ASSIGN_OR_RETURN(std::string text, ReadFile(dir / "model.json"));
    auto manifest = nlohmann::json::parse(text, nullptr, false);
    const auto* group = manifest.is_object() && manifest.contains("weightsManifest") &&
                                manifest["weightsManifest"].is_array() && !manifest["weightsManifest"].empty()
                            ? &manifest["weightsManifest"][0]
                            : nullptr;
    if (!group || !group->contains("paths") || !group->contains("weights")) {
      return Broken(dir, "model.json has no weights manifest");
    }
    std::string bytes;
    for (const auto& p : (*group)["paths"]) {
      if (!p.is_string() || p.get<std::string>().find('/') != std::string::npos) return Broken(dir, "bad shard name");
      LH_ASSIGN_OR_RETURN(std::string shard, ReadFile(dir / p.get<std::string>()));
      bytes += shard;
    }
    model->weights_.resize(bytes.size() / sizeof(float));
    std::memcpy(model->weights_.data(), bytes.data(), model->weights_.size() * sizeof(float));
    std::map<std::string, std::pair<size_t, size_t>> where;  // name → (offset, count) in floats
    size_t offset = 0;
    for (const auto& w : (*group)["weights"]) {
      size_t count = 1;
      for (const auto& d : w.value("shape", nlohmann::json::array())) count *= d.get<size_t>();
      where[w.value("name", "")] = {offset, count};
      offset += count;  // float32 and int32 alike take four bytes
    }
    if (offset * sizeof(float) != bytes.size()) return Broken(dir, "the shards do not match the manifest");

    std::string missing;
    auto get = [&](const std::string& name, size_t count) -> const float* {
      auto it = where.find(name);
      if (it == where.end() || (count && it->second.second != count)) {
        missing = name;
        return nullptr;
      }
      return model->weights_.data() + it->second.first;
    };
    const std::string k = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
    const std::string m = "module/Encoder_en/KonaTransformer/Encode/";
    auto it = where.find("module/Embeddings_en");
    if (it == where.end() || it->second.second % kEmbeddingWidth) return Broken(dir, "no word embeddings");
    model->vocabulary_size_ = static_cast<int>(it->second.second / kEmbeddingWidth);
    model->embeddings_ = get("module/Embeddings_en", 0);
    model->inv_timescales_ = get(k + "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", 128);
    for (int l = 0; l < 2; ++l) {
      UseLiteModel::Layer& layer = model->layers_[l];
      layer.width_in = l == 0 ? kEmbeddingWidth : UseLiteModel::kDimension;
      layer.width = l == 0 ? kEmbeddingWidth : UseLiteModel::kDimension;  // attention width
      const size_t in = static_cast<size_t>(layer.width_in), w = static_cast<size_t>(layer.width);
      const size_t out = UseLiteModel::kDimension;
      layer.query_scale = 1.0f / std::sqrt(static_cast<float>(layer.width / layer.heads));
      const std::string L = "Layer_" + std::to_string(l) + "/TransformerLayer/";
      const std::string ln = "layer_prepostprocess/layer_norm/layer_norm_";
      const std::string cat = "/ConcatPartitions/concat";
      layer.ln_scale = get(k + L + ln + "scale" + cat, in);
      layer.ln_bias = get(k + L + ln + "bias" + cat, in);
      layer.qkv = get(m + L + "MultiheadAttention/qkv_transform_single/kernel/part_0", in * 3 * w);
      layer.qkv_bias = get(k + L + "MultiheadAttention/qkv_transform_single/bias" + cat, 3 * w);
      layer.out = get(m + L + "MultiheadAttention/output_transform_single/kernel/part_0", w * out);
      layer.out_bias = get(k + L + "MultiheadAttention/output_transform_single/bias" + cat, out);
      if (l == 0) {
        layer.residual = get(k + L + "dense/kernel" + cat, in * out);
        layer.residual_bias = get(k + L + "dense/bias" + cat, out);
      }
      layer.ffn_ln_scale = get(k + L + "FFN/" + ln + "scale" + cat, out);
      layer.ffn_ln_bias = get(k + L + "FFN/" + ln + "bias" + cat, out);
      layer.ffn1 = get(k + "TransformerStack/" + L + "FFN/conv1/Tensordot/Reshape_1", out * kHidden);
      layer.ffn1_bias = get(k + L + "FFN/conv1/bias" + cat, kHidden);
      layer.ffn2 = get(k + "TransformerStack/" + L + "FFN/conv2/Tensordot/Reshape_1", kHidden * out);
      layer.ffn2_bias = get(k + L + "FFN/conv2/bias" + cat, out);
    }
    model->tanh_weights_ = get("module/Encoder_en/hidden_layers/tanh_layer_0/weights", 512 * 512);
    model->tanh_bias_ = get("module/Encoder_en/hidden_layers/tanh_layer_0/bias", 512);
    if (!missing.empty()) return Broken(dir, "the graph has no tensor " + missing + " of the expected shape");
    return std::shared_ptr<const UseLiteModel>(std::move(model));
  }

 private:
  static Status Broken(const std::filesystem::path& dir, const std::string& what) {
    return InvalidArgument("the USE-Lite model in " + dir.string() + " is not the expected one (" + what +
                           "): run scripts/setup.sh to fetch it again");
  }
};

Result<std::shared_ptr<const UseLiteModel>> UseLiteModel::Load(const std::filesystem::path& dir) {
  // 28 MB of weights: every embedder of the process shares one copy.
  static std::mutex mutex;
  static std::map<std::filesystem::path, std::weak_ptr<const UseLiteModel>> loaded;
  std::lock_guard lock(mutex);
  if (auto model = loaded[dir].lock()) return model;
  LH_ASSIGN_OR_RETURN(auto model, UseLiteLoader::Load(dir));
  loaded[dir] = model;
  return model;
}

std::vector<std::vector<float>> UseLiteModel::Encode(const std::vector<std::vector<int>>& ids) const {
  std::vector<int> starts{0};
  for (const auto& t : ids) starts.push_back(starts.back() + static_cast<int>(t.size()));
  const int total = starts.back();
  const size_t T = static_cast<size_t>(total);
  std::vector<float> x(T * kEmbeddingWidth);
  for (size_t t = 0; t < ids.size(); ++t) {
    for (size_t p = 0; p < ids[t].size(); ++p) {
      float* row = x.data() + (static_cast<size_t>(starts[t]) + p) * kEmbeddingWidth;
      const float* e = embeddings_ + static_cast<size_t>(ids[t][p]) * kEmbeddingWidth;
      for (int j = 0; j < 128; ++j) {
        float angle = static_cast<float>(p) * inv_timescales_[j];
        row[j] = e[j] + (e[j] + std::sin(angle));
        row[j + 128] = e[j + 128] + (e[j + 128] + std::cos(angle));
      }
    }
  }
  std::vector<float> normed, qkv, attended, r, hidden, ffn;
  for (const Layer& layer : layers_) {
    if (total == 0) break;  // only empty texts: the pooled vector is zero
    const int in = layer.width_in, w = layer.width, out = kDimension;
    normed.resize(T * in);
    LayerNorm(x.data(), total, in, layer.ln_scale, layer.ln_bias, normed.data());
    qkv.resize(T * 3 * w);
    MatMul(normed.data(), total, in, layer.qkv, 3 * w, layer.qkv_bias, qkv.data());
    attended.resize(T * w);
    Attention(qkv.data(), starts, w, layer.heads, layer.query_scale, attended.data());
    r.resize(T * out);
    if (layer.residual) {
      MatMul(x.data(), total, in, layer.residual, out, layer.residual_bias, r.data());
    } else {
      std::copy(x.begin(), x.end(), r.begin());
    }
    // r += attended·Wo + bo
    for (int i = 0; i < total; ++i) {
      float* row = r.data() + static_cast<size_t>(i) * out;
      for (int j = 0; j < out; ++j) row[j] += layer.out_bias[j];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, total, out, w, 1.0f, attended.data(), w, layer.out,
                out, 1.0f, r.data(), out);
    normed.resize(T * out);
    LayerNorm(r.data(), total, out, layer.ffn_ln_scale, layer.ffn_ln_bias, normed.data());
    hidden.resize(T * kHidden);
    MatMul(normed.data(), total, out, layer.ffn1, kHidden, layer.ffn1_bias, hidden.data());
    for (float& v : hidden) v = std::max(v, 0.0f);
    // x = r + relu(...)·W2 + b2
    for (int i = 0; i < total; ++i) {
      float* row = r.data() + static_cast<size_t>(i) * out;
      for (int j = 0; j < out; ++j) row[j] += layer.ffn2_bias[j];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, total, out, kHidden, 1.0f, hidden.data(), kHidden,
                layer.ffn2, out, 1.0f, r.data(), out);
    x.swap(r);
  }
  std::vector<float> pooled(ids.size() * kDimension, 0.0f);
  for (size_t t = 0; t < ids.size(); ++t) {
    float* p = pooled.data() + t * kDimension;
    for (int i = starts[t]; i < starts[t + 1]; ++i) {
      const float* row = x.data() + static_cast<size_t>(i) * kDimension;
      for (int j = 0; j < kDimension; ++j) p[j] += row[j];
    }
    const float n = static_cast<float>(std::max(1, starts[t + 1] - starts[t]));
    for (int j = 0; j < kDimension; ++j) p[j] /= n;
  }
  std::vector<float> dense(ids.size() * kDimension);
  MatMul(pooled.data(), static_cast<int>(ids.size()), kDimension, tanh_weights_, kDimension, tanh_bias_,
         dense.data());
  std::vector<std::vector<float>> result(ids.size());
  for (size_t t = 0; t < ids.size(); ++t) {
    std::vector<float> v(dense.begin() + static_cast<long>(t * kDimension),
                         dense.begin() + static_cast<long>((t + 1) * kDimension));
    float sum = 0;
    for (float& f : v) {
      f = std::tanh(f);
      sum += f * f;
    }
    const float inv = 1.0f / std::sqrt(std::max(sum, 1e-12f));
    for (float& f : v) f *= inv;
    result[t] = std::move(v);
  }
  return result;
}

}  // namespace lakehouse::ai
