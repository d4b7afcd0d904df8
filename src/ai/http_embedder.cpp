// The HTTP embedding providers. Ollama's /api/embed and OpenAI's
// /v1/embeddings both take a model and a list of texts and answer one vector
// per text; they differ in paths, reply shape and how errors read, so one
// class speaks both.
#include "ai/http_embedder.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/redact.h"

namespace lakehouse::ai {

namespace {

using nlohmann::json;

enum class Protocol { kOllama, kOpenAi };

constexpr int kMaxBackoffMs = 10000;
constexpr size_t kMaxServerText = 300;

// httplib takes scheme://host:port only, so a base with a path (a proxy
// prefix, or the ".../v1" OpenAI clients are used to) is split off here.
void SplitUrl(std::string url, Protocol protocol, std::string* origin, std::string* path) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (protocol == Protocol::kOpenAi && url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) {
    url.resize(url.size() - 3);
  }
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  *origin = url.substr(0, slash);
  *path = (slash == std::string::npos ? "" : url.substr(slash)) +
          (protocol == Protocol::kOllama ? "/api/embed" : "/v1/embeddings");
}

// Servers put the reason in different places: Ollama {"error": "..."},
// OpenAI {"error": {"message": "..."}}, vLLM and others {"message"|"detail": "..."}.
std::string ServerText(const std::string& body) {
  auto reply = json::parse(body, nullptr, false);
  std::string text = body;
  if (reply.is_object()) {
    const json error = reply.value("error", json());
    const json nested = error.is_object() ? error.value("message", json()) : json();
    for (const json& t : {error, nested, reply.value("message", json()), reply.value("detail", json())}) {
      if (t.is_string()) {
        text = t.get<std::string>();
        break;
      }
    }
  }
  if (text.size() > kMaxServerText) text = text.substr(0, kMaxServerText) + "...";
  return text;
}

bool Mentions(std::string text, const std::string& word) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.find(word) != std::string::npos;
}

class HttpEmbedder final : public Embedder {
 public:
  HttpEmbedder(Protocol protocol, EmbedderSpec spec, std::string origin, std::string path)
      : protocol_(protocol), spec_(std::move(spec)), origin_(std::move(origin)), path_(std::move(path)) {}

  std::string provider() const override { return spec_.provider; }
  std::string model() const override { return spec_.model; }
  int dimension() const override { return dimension_; }

  // Runs once, before the embedder is shared, so dimension_ needs no lock.
  Status Probe() {
    auto v = Embed({"lakehouse embedding probe"});
    if (!v.ok()) return v.status();
    dimension_ = static_cast<int>((*v)[0].size());
    return Status::Ok();
  }

  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override {
    return EmbedWith(texts, *spec_.document_prefix);
  }
  Result<std::vector<std::vector<float>>> EmbedQueries(const std::vector<std::string>& texts) override {
    return EmbedWith(texts, *spec_.query_prefix);
  }

 private:
  std::string Where() const {
    return (protocol_ == Protocol::kOllama ? "the Ollama server at " : "the embedding server at ") +
           RedactDsn(spec_.url);
  }

  Result<std::vector<std::vector<float>>> EmbedWith(const std::vector<std::string>& texts,
                                                    const std::string& prefix) const {
    auto out = EmbedAll(texts, prefix);
    // Servers may echo what they were sent; the key must not leave in a message.
    if (!out.ok()) return Status(out.status().code(), RedactSecret(out.status().message(), spec_.api_key));
    return out;
  }

  Result<std::vector<std::vector<float>>> EmbedAll(const std::vector<std::string>& texts,
                                                   const std::string& prefix) const {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    const size_t batch = static_cast<size_t>(spec_.batch_size);
    for (size_t start = 0; start < texts.size(); start += batch) {
      std::vector<std::string> part;
      part.reserve(std::min(batch, texts.size() - start));
      for (size_t i = start; i < std::min(texts.size(), start + batch); ++i) part.push_back(prefix + texts[i]);
      json body = {{"model", spec_.model}, {"input", part}};
      // Ollama cuts a text longer than the model's window without a word;
      // asked not to, it refuses it, and the user learns to chunk smaller.
      if (protocol_ == Protocol::kOllama) body["truncate"] = false;
      if (protocol_ == Protocol::kOllama && spec_.keep_alive) body["keep_alive"] = *spec_.keep_alive;
      LH_ASSIGN_OR_RETURN(std::string reply, Post(body.dump()));
      LH_ASSIGN_OR_RETURN(auto vectors, ParseReply(reply, part.size()));
      for (auto& v : vectors) out.push_back(std::move(v));
    }
    // One dimension per model: the probe's, or (during the probe) the first vector's.
    size_t dim = dimension_ > 0 ? static_cast<size_t>(dimension_) : out.empty() ? 0 : out[0].size();
    for (auto& v : out) {
      if (v.empty()) return Unavailable(Where() + " returned an empty vector for model '" + spec_.model + "'");
      if (v.size() != dim) {
        return Unavailable(Where() + " returned a " + std::to_string(v.size()) + "-dimensional vector for model '" +
                           spec_.model + "', expected " + std::to_string(dim) +
                           (dimension_ > 0 ? " (its dimension when first asked); did the model change on the server?"
                                           : " like the others in the reply"));
      }
      double norm = 0;
      for (float x : v) norm += static_cast<double>(x) * x;
      if (norm > 0) {  // a zero vector stays zero rather than turning NaN
        float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (float& x : v) x *= inv;
      }
    }
    return out;
  }

  // One request, retried with doubling waits while the failure may pass
  // (connection trouble, 429, 5xx); returns the body of a 2xx answer.
  Result<std::string> Post(const std::string& body) const {
    httplib::Headers headers;
    if (!spec_.api_key.empty()) headers.emplace("Authorization", "Bearer " + spec_.api_key);
    int wait_ms = spec_.retry_backoff_ms;
    for (int attempt = 1;; ++attempt) {
      httplib::Client client(origin_);  // one per request: Embed is called from many threads
      client.set_connection_timeout(std::chrono::milliseconds(std::min(spec_.timeout_ms, 5000)));
      client.set_read_timeout(std::chrono::milliseconds(spec_.timeout_ms));
      client.set_write_timeout(std::chrono::milliseconds(spec_.timeout_ms));
      auto res = client.Post(path_, headers, body, "application/json");
      if (res && res->status / 100 == 2) return res->body;
      bool transient = !res || res->status == 429 || res->status >= 500;
      if (!transient || attempt > spec_.max_retries) {
        std::string tries = attempt > 1 ? " after " + std::to_string(attempt) + " attempts" : "";
        if (!res) {
          return Unavailable("cannot reach " + Where() + tries + " (" + httplib::to_string(res.error()) + " error); " +
                             (protocol_ == Protocol::kOllama ? "is `ollama serve` running?"
                                                             : "is the server running and the url right?"));
        }
        return HttpError(res->status, res->body, tries);
      }
      // A 429 may say how long to back off; believe it up to the cap.
      if (res && res->has_header("Retry-After")) {
        int secs = std::atoi(res->get_header_value("Retry-After").c_str());
        wait_ms = std::max(wait_ms, std::min(secs * 1000, kMaxBackoffMs));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      wait_ms = std::min(wait_ms * 2, kMaxBackoffMs);
    }
  }

  Status HttpError(int status, const std::string& body, const std::string& tries) const {
    const std::string& m = spec_.model;
    if (status == 401) {
      // The reply is not quoted: OpenAI echoes part of the key back.
      return PermissionDenied(Where() + " answered 401 unauthorized: check the API key" +
                              (spec_.api_key.empty() ? " (none was given)" : ""));
    }
    if (status == 403) {
      return PermissionDenied(Where() + " answered 403 forbidden: the API key may not use model '" + m + "'");
    }
    std::string text = ServerText(body);
    if (status == 404) {
      if (protocol_ == Protocol::kOllama && Mentions(text, "model")) {
        return NotFound("model '" + m + "' not found on " + Where() + "; run `ollama pull " + m + "`");
      }
      if (Mentions(text, "model")) return NotFound("model '" + m + "' not found on " + Where() + ": " + text);
      return NotFound(Where() + " has no " + path_ +
                      (protocol_ == Protocol::kOllama ? " (it needs Ollama 0.3 or later; is the url its base?)"
                                                      : " (is the url the base of an OpenAI-compatible API?)"));
    }
    if (status == 413) {
      return TooLarge(Where() + " refused a batch as too large (" + text + "); lower the embedder batch_size");
    }
    if (status == 400 && (Mentions(text, "context length") || Mentions(text, "context_length"))) {
      return InvalidArgument("a chunk is longer than model '" + m + "' can read at once (" + Where() + ": " + text +
                             "); create the index with a smaller chunk_size");
    }
    std::string what = Where() + " answered HTTP " + std::to_string(status) + tries + " for model '" + m + "': " + text;
    if (status / 100 == 4 && status != 429) return InvalidArgument(what);
    return Unavailable(what);
  }

  Result<std::vector<std::vector<float>>> ParseReply(const std::string& body, size_t count) const {
    auto reply = json::parse(body, nullptr, false);
    std::vector<std::vector<float>> out(count);
    std::vector<bool> seen(count, false);
    const char* field = protocol_ == Protocol::kOllama ? "embeddings" : "data";
    if (!reply.is_object() || !reply.contains(field) || !reply[field].is_array()) {
      return Unavailable(Where() + " sent a reply without a \"" + field + "\" list");
    }
    const json& items = reply[field];
    if (items.size() != count) {
      return Unavailable(Where() + " sent " + std::to_string(items.size()) + " vectors for " + std::to_string(count) +
                         " texts");
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const json* vec = &items[i];
      size_t slot = i;
      if (protocol_ == Protocol::kOpenAi) {
        // OpenAI does not promise reply order; "index" says which input each is for.
        if (!vec->is_object() || !vec->contains("embedding")) {
          return Unavailable(Where() + " sent a \"data\" item without an \"embedding\"");
        }
        if (vec->contains("index")) {
          const json& index = (*vec)["index"];
          if (!index.is_number_unsigned() || index.get<size_t>() >= count) {
            return Unavailable(Where() + " sent an \"index\" outside 0.." + std::to_string(count - 1));
          }
          slot = index.get<size_t>();
        }
        vec = &(*vec)["embedding"];
      }
      if (seen[slot]) return Unavailable(Where() + " sent two vectors for text " + std::to_string(slot));
      seen[slot] = true;
      if (!vec->is_array()) return Unavailable(Where() + " sent a vector that is not a list of numbers");
      out[slot].reserve(vec->size());
      for (const json& x : *vec) {
        if (!x.is_number() || !std::isfinite(x.get<double>())) {
          return Unavailable(Where() + " sent a vector with a value that is not a finite number");
        }
        out[slot].push_back(x.get<float>());
      }
    }
    return out;
  }

  Protocol protocol_;
  EmbedderSpec spec_;
  std::string origin_;  // scheme://host:port
  std::string path_;    // including any base path of the url
  int dimension_ = 0;
};

}  // namespace

Result<std::unique_ptr<Embedder>> MakeHttpEmbedder(const EmbedderSpec& given) {
  EmbedderSpec spec = given;
  Protocol protocol = spec.provider == "ollama" ? Protocol::kOllama : Protocol::kOpenAi;
  if (spec.model.empty()) {
    return InvalidArgument("the " + spec.provider + " embedder needs a model name, e.g. " +
                           (protocol == Protocol::kOllama ? "nomic-embed-text" : "text-embedding-3-small"));
  }
  if (spec.batch_size < 1) return InvalidArgument("embedder batch_size must be at least 1");
  if (spec.max_retries < 0) return InvalidArgument("embedder max_retries must not be negative");
  if (spec.timeout_ms < 1) return InvalidArgument("embedder timeout_ms must be positive");
  if (spec.retry_backoff_ms < 0) return InvalidArgument("embedder retry_backoff_ms must not be negative");
  ResolveTaskPrefixes(spec);
  if (spec.url.empty()) spec.url = protocol == Protocol::kOllama ? "http://127.0.0.1:11434" : "https://api.openai.com";
  std::string origin, path;
  SplitUrl(spec.url, protocol, &origin, &path);
  // httplib throws on a scheme it does not know; "host:port" alone means http.
  size_t scheme = origin.find("://");
  bool known_scheme = scheme == std::string::npos || origin.compare(0, scheme, "http") == 0 ||
                      origin.compare(0, scheme, "https") == 0;
  if (!known_scheme || !httplib::Client(origin).is_valid()) {
    return InvalidArgument("embedder url '" + RedactDsn(spec.url) + "' is not a valid URL; expected e.g. " +
                           (protocol == Protocol::kOllama ? "http://127.0.0.1:11434" : "http://host:8000/v1"));
  }
  auto embedder = std::make_unique<HttpEmbedder>(protocol, std::move(spec), origin, path);
  LH_RETURN_IF_ERROR(embedder->Probe());
  return std::unique_ptr<Embedder>(std::move(embedder));
}

}  // namespace lakehouse::ai
