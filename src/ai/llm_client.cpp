#include "ai/llm_client.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace lakehouse::ai {

Result<std::string> GenerateJson(const LlmOptions& options, const std::string& prompt) {
  if (options.ollama_url.empty()) return InvalidArgument("no LLM is configured ([llm] ollama_url)");
  httplib::Client client(options.ollama_url);
  if (!client.is_valid()) return InvalidArgument("llm.ollama_url '" + options.ollama_url + "' is not a valid URL");
  client.set_connection_timeout(std::chrono::milliseconds(std::min(options.timeout_ms, 5000)));
  client.set_read_timeout(std::chrono::milliseconds(options.timeout_ms));
  nlohmann::json body = {{"model", options.model}, {"prompt", prompt}, {"stream", false}, {"format", "json"}};
  auto res = client.Post("/api/generate", body.dump(), "application/json");
  if (!res) {
    return Unavailable("cannot reach Ollama at " + options.ollama_url + " (" + httplib::to_string(res.error()) +
                       "); is `ollama serve` running?");
  }
  if (res->status == 404) {
    return Unavailable("Ollama at " + options.ollama_url + " has no model '" + options.model +
                       "'; run `ollama pull " + options.model + "`");
  }
  if (res->status != 200) {
    return Unavailable("Ollama at " + options.ollama_url + " answered HTTP " + std::to_string(res->status));
  }
  auto reply = nlohmann::json::parse(res->body, nullptr, false);
  if (!reply.is_object() || !reply.contains("response") || !reply["response"].is_string()) {
    return Unavailable("Ollama at " + options.ollama_url + " sent an answer without a \"response\" text");
  }
  return reply["response"].get<std::string>();
}

}  // namespace lakehouse::ai
