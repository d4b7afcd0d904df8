#include "ai/embedder_pool.h"

namespace lakehouse::ai {

EmbedderSpec EmbedderPool::Complete(EmbedderSpec spec) const {
  if (spec.provider == "ollama" && spec.url.empty()) spec.url = defaults_.ollama_url;
  if (spec.provider == "openai") {
    auto trimmed = [](std::string url) {
      while (!url.empty() && url.back() == '/') url.pop_back();
      return url;
    };
    // The server's key goes only to the endpoint it was configured for,
    // never to a URL a request names.
    if (spec.url.empty() || trimmed(spec.url) == trimmed(defaults_.openai_url)) {
      spec.url = defaults_.openai_url;
      spec.api_key = defaults_.openai_api_key;
    } else {
      spec.api_key.clear();
    }
  }
  return spec;
}

Result<std::unique_ptr<Embedder>> EmbedderPool::Make(const EmbedderSpec& spec) const {
  return MakeEmbedder(Complete(spec));
}

Result<EmbedderSpec> EmbedderPool::Probe(EmbedderSpec spec) const {
  LH_ASSIGN_OR_RETURN(auto embedder, Make(spec));
  spec.model = embedder->model();
  spec.dimension = embedder->dimension();
  spec.api_key.clear();
  ResolveTaskPrefixes(spec);
  return spec;
}

Result<std::shared_ptr<Embedder>> EmbedderPool::ForQueries(const EmbedderSpec& spec) {
  EmbedderSpec full = Complete(spec);
  Key key{full.provider, full.model, full.url, full.dimension, full.query_prefix.value_or(""),
          full.document_prefix.value_or(""), full.keep_alive.value_or("")};
  {
    std::lock_guard lock(mutex_);
    if (auto it = shared_.find(key); it != shared_.end()) return it->second;
  }
  // Made outside the lock: an HTTP provider asks its server first.
  LH_ASSIGN_OR_RETURN(auto made, MakeEmbedder(full));
  std::shared_ptr<Embedder> embedder(std::move(made));
  std::lock_guard lock(mutex_);
  return shared_.emplace(key, embedder).first->second;
}

}  // namespace lakehouse::ai
