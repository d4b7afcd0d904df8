// A client for a local Ollama server's /api/generate, used to ask for things
// heuristics cannot settle (schema migration rules). The answer is text to
// be validated by the caller, never trusted. Thread-safe (one HTTP client
// per call). Errors name the endpoint and say what to check.
#pragma once

#include <string>

#include "common/status.h"

namespace lakehouse::ai {

struct LlmOptions {
  std::string ollama_url;  // e.g. http://127.0.0.1:11434; empty: no LLM configured
  std::string model = "llama3.1";
  int timeout_ms = 60000;
};

// Asks for a JSON answer (Ollama's "format": "json"). Unavailable when the
// server cannot be reached or the model is missing.
Result<std::string> GenerateJson(const LlmOptions& options, const std::string& prompt);

}  // namespace lakehouse::ai
