// Embedders turn texts into vectors. One interface, providers registered by
// name (DESIGN.md): "use-lite" (the Universal Sentence Encoder Lite,
// semantic, in process), "hash" (feature-hashed word and character n-grams,
// L2-normalised: lexical rather than semantic, but deterministic and 100x
// faster) and "use-lite+hash" (both, weighted: the default) are built in; "ollama"
// (/api/embed) and "openai" (any OpenAI-compatible /v1/embeddings) are HTTP
// providers.
//
// Embed is thread-safe for every provider. Every vector has dimension() floats
// and unit length (indexes score by inner product as cosine); an index records
// model() and dimension() and refuses another model.
#pragma once

#include <memory>
#include <optional>
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
  // Texts to be searched (chunks).
  virtual Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) = 0;
  // Texts to search with. Models trained with task prefixes (nomic-embed-text's
  // "search_query: " against "search_document: ") rank worse without them.
  virtual Result<std::vector<std::vector<float>>> EmbedQueries(const std::vector<std::string>& texts) {
    return Embed(texts);
  }
  // True when one Embed call already computes on every core (use-lite's
  // OpenBLAS threads): callers then gain nothing from calling it from
  // several threads at once, only contention (bench/embed_bench).
  virtual bool uses_all_cores() const { return false; }
};

// What an index embeds with when its request names no provider: use-lite
// and hash combined, in process. It ranks best of the three in every mode on
// both labelled sets (FAQ vector 0.493, hybrid 0.699; manual pages 0.620,
// 0.772: docs/benchmarks.md), finds answers that share no word with the
// question, and embeds about as fast as use-lite alone (490 short rows or
// 48 chunks of 1,000 bytes a second on 2 cores), so 100,000 short rows take
// minutes. Its vectors are 1,280 floats (5 KB a chunk).
inline constexpr const char* kDefaultProvider = "use-lite+hash";

struct EmbedderSpec {
  std::string provider = kDefaultProvider;
  std::string model;   // hash: "hash-<dim>" (default hash-768); ollama/openai: required
  int dimension = 768;  // hash only; the HTTP providers learn theirs from the server
  // The HTTP providers only from here on.
  std::string url;      // empty: http://127.0.0.1:11434 (ollama), https://api.openai.com (openai)
  std::string api_key;  // sent as "Authorization: Bearer"; never appears in a message
  int batch_size = 64;  // texts per request
  int max_retries = 3;  // extra attempts after connection errors, 429 and 5xx
  int timeout_ms = 60000;       // per request
  int retry_backoff_ms = 200;   // first wait between attempts; doubles each time
  // Put before query and document texts. Unset: the model's own
  // (KnownTaskPrefixes), resolved when the index is created and stored, so a
  // later change of that table cannot split an index's queries from its chunks.
  std::optional<std::string> query_prefix, document_prefix;
  // Ollama only: how long the model stays loaded after each request. Unset,
  // Ollama's default (5 minutes) would undo a profile's longer preload.
  std::optional<std::string> keep_alive;
};

// What a model expects before each text, by task.
struct TaskPrefixes {
  std::string query;
  std::string document;
};
// The prefixes a known embedding model's card declares (nomic-embed-text,
// mxbai-embed-large, snowflake-arctic-embed, bge-*-v1.5, e5); none for others.
// `model` may carry an Ollama tag (":latest") or an owner ("nomic-ai/").
TaskPrefixes KnownTaskPrefixes(const std::string& model);
// For the HTTP providers (the others take none): unset prefixes become the
// model's known ones.
void ResolveTaskPrefixes(EmbedderSpec& spec);

// InvalidArgument names the known providers for an unknown one. The HTTP
// providers embed one short text before returning, to learn dimension() and
// to fail here, with a message saying what to fix, rather than mid-index:
// Unavailable (server unreachable), NotFound (model not pulled / unknown),
// PermissionDenied (401/403: the API key).
Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbedderSpec& spec);
// "use-lite": the Universal Sentence Encoder Lite in process (ai/use_lite.h);
// Unavailable when its model files are not installed.
Result<std::unique_ptr<Embedder>> MakeUseLiteEmbedder(const EmbedderSpec& spec);
// "use-lite+hash": both, concatenated and weighted (ai/combined_embedder.cpp).
Result<std::unique_ptr<Embedder>> MakeCombinedEmbedder(const EmbedderSpec& spec);

}  // namespace lakehouse::ai
