// Where embedders come from for indexes: the server's provider defaults
// (URLs, the OpenAI key, which goes only to the endpoint it was configured
// for), probing a spec once to learn its model and dimension, and one
// shared embedder per model for queries (the HTTP providers are probed when
// made, so a search must not make one).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "ai/embedder.h"

namespace lakehouse::ai {

struct EmbedderDefaults {
  std::string ollama_url;      // for provider "ollama" when a spec names none
  std::string openai_url;      // for provider "openai"
  std::string openai_api_key;  // never stored, logged or returned
};

class EmbedderPool {
 public:
  explicit EmbedderPool(EmbedderDefaults defaults) : defaults_(std::move(defaults)) {}

  // The spec with the server's URL and key filled in where they apply.
  EmbedderSpec Complete(EmbedderSpec spec) const;
  // A new embedder for `spec` (completed first): builds use their own.
  Result<std::unique_ptr<Embedder>> Make(const EmbedderSpec& spec) const;
  // Makes the embedder once and returns the spec to store: its model and
  // dimension filled in, no key.
  Result<EmbedderSpec> Probe(EmbedderSpec spec) const;
  // The one embedder of `spec`'s model for queries, made on first use.
  Result<std::shared_ptr<Embedder>> ForQueries(const EmbedderSpec& spec);

 private:
  EmbedderDefaults defaults_;
  // provider, model, url, dimension, query and document prefix, keep_alive
  using Key = std::tuple<std::string, std::string, std::string, int, std::string, std::string, std::string>;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<Embedder>> shared_;  // GUARDED_BY(mutex_)
};

}  // namespace lakehouse::ai
