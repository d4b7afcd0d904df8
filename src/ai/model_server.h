// The model server's admin side: what Ollama has loaded (/api/ps), what it
// could load (/api/tags), and loading or unloading one model through the
// `keep_alive` of an empty request (/api/generate for LLMs, /api/embed for
// embedding models: Ollama schedules the model before it looks at the
// input, and an empty input answers without computing anything).
// Thread-safe: one HTTP client per call. Errors name the server (its URL
// without credentials) and say what to check.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace lakehouse::ai {

// An LLM is loaded through /api/generate, an embedding model through
// /api/embed: each refuses the other's kind of model.
enum class ModelKind { kLlm, kEmbedding };
const char* ModelKindName(ModelKind kind);  // llm, embedding

// Ollama names a model "family:tag" and answers ":latest" for a name given
// without a tag; both spellings are one model.
std::string CanonicalModelName(const std::string& name);

// A keep_alive Ollama takes: seconds ("3600", "-1" for ever) or a duration
// ("30m", "1h30m").
bool ValidKeepAlive(const std::string& keep_alive);

struct LoadedModel {
  std::string name;        // as /api/ps lists it (canonical)
  int64_t size = 0;        // bytes, in VRAM and system memory together
  int64_t size_vram = 0;   // bytes of it on the GPU
  std::string expires_at;  // when Ollama unloads it unless used again
};

struct ModelServerOptions {
  std::string url;           // empty: no model server configured
  int timeout_ms = 120000;   // per request; a load can take this long
};

class ModelServer {
 public:
  explicit ModelServer(ModelServerOptions options);

  bool configured() const { return !options_.url.empty(); }
  // "the Ollama server at URL", without credentials, for messages.
  std::string where() const;
  // The URL without credentials, for answers.
  std::string url() const;

  // What is in memory now. Unavailable when the server cannot be reached.
  Result<std::vector<LoadedModel>> Loaded() const;
  // Models pulled to the server and their size on disk (what a load needs
  // at least), by canonical name.
  Result<std::map<std::string, int64_t>> Available() const;
  // Loads `model` and keeps it `keep_alive` ("30m", "-1" forever). NotFound
  // when the server does not have it; Unavailable when it fails to load it
  // (out of memory, say), with the server's words.
  Status Load(const std::string& model, ModelKind kind, const std::string& keep_alive) const;
  // Asks the server to unload `model` now (keep_alive 0). The server
  // answering is no proof it did: callers check Loaded() afterwards.
  Status RequestUnload(const std::string& model, ModelKind kind) const;

 private:
  Result<std::string> Call(const std::string& method, const std::string& path, const std::string& body) const;

  ModelServerOptions options_;
};

}  // namespace lakehouse::ai
