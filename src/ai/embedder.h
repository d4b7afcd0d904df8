// Embedders turn texts into vectors. One interface, providers registered by
// name (DESIGN.md): "hash" is built in (feature-hashed word and character
// n-grams, L2-normalised: lexical rather than semantic, but deterministic and
// needing no server, so it is the default and what tests use); "ollama" and
// "openai" are HTTP providers (issue 5, not yet here).
//
// Embed is thread-safe for the hash provider. Every vector has dimension()
// floats; an index records model() and dimension() and refuses another model.
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
  std::string model;   // hash: "hash-<dim>" (default hash-768)
  int dimension = 768;  // hash only; others report theirs
};

// InvalidArgument names the known providers for an unknown one.
Result<std::unique_ptr<Embedder>> MakeEmbedder(const EmbedderSpec& spec);

}  // namespace lakehouse::ai
