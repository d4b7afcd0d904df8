// Internal to ai/: the "ollama" and "openai" providers, reached through
// MakeEmbedder (embedder.h) rather than directly.
#pragma once

#include <memory>

#include "ai/embedder.h"

namespace lakehouse::ai {

// spec.provider is "ollama" or "openai". Probes the server before returning.
Result<std::unique_ptr<Embedder>> MakeHttpEmbedder(const EmbedderSpec& spec);

}  // namespace lakehouse::ai
