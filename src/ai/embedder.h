// Embedders turn texts into vectors. One interface, providers registered by
// name (DESIGN.md): "hash" is built in (feature-hashed word and character
// n-grams, L2-normalised: lexical rather than semantic, but deterministic and
// needing no server, so it is the default and what tests use); "use-lite"
// (the Universal Sentence Encoder Lite, semantic, in process); "ollama"
// (/api/embed) and "openai" (any OpenAI-compatible /v1/embeddings) are HTTP
// providers.
//
// Embed is thread-safe for every provider. Every vector has dimension() floats
// and unit length (indexes score by inner product as cosine); an index records
// model() and dimension() and refuses another model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace lakehouse::ai {

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string provider() const = 0;
  virtual std::string model() const = 0;
  virtual int dimension() const = 0;
  virtual Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) = 0;
};

struct EmbedderSpec {
  std::string provider = "hash";
  std::string model;   // hash: "hash-<dim>" (default hash-768); ollama/openai: required
  int dimension = 768;  // hash only; the HTTP providers learn theirs from the server
  // The HTTP providers only from here on.
  std::string url;      // empty: http://127.0.0.1:11434 (ollama), https://api.openai.com (openai)
  std::string api_key;  // sent as "Authorization: Bearer"; never appears in a message
  int batch_size = 64;  // texts per request
  int max_retries = 3;  // extra attempts after connection errors, 429 and 5xx
  int timeout_ms = 60000;       // per request
  int retry_backoff_ms = 200;   // first wait between attempts; doubles each time
};

// InvalidArgument names the known providers for an unknown one. The HTTP
// providers embed one short text before returning, to learn dimension() and
// to fail here, with a message saying what to fix, rather than mid-index:
// Unavailable (server unreachable), NotFound (model not pulled / unknown),
// PermissionDenied (401/403: the API key).
Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbedderSpec& spec);
// "use-lite": the Universal Sentence Encoder Lite in process (ai/use_lite.h);
// Unavailable when its model files are not installed.
Result<std::unique_ptr<Embedder>> MakeUseLiteEmbedder(const EmbedderSpec& spec);

}  // namespace lakehouse::ai
