#include "ai/model_server.h"

#include <httplib.h>

#include <cctype>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/redact.h"

namespace lakehouse::ai {

namespace {

using nlohmann::json;

constexpr size_t kMaxServerText = 300;

std::string ServerText(const std::string& body) {
  auto reply = json::parse(body, nullptr, false);
  std::string text = body;
  if (reply.is_object() && reply.contains("error") && reply["error"].is_string()) text = reply["error"].get<std::string>();
  if (text.size() > kMaxServerText) text = text.substr(0, kMaxServerText) + "...";
  return text;
}

int64_t Bytes(const json& j, const char* field) {
  if (!j.contains(field)) return 0;
  const json& v = j[field];
  if (v.is_number_unsigned() || v.is_number_integer()) return std::max<int64_t>(0, v.get<int64_t>());
  return 0;
}

// httplib takes scheme://host:port; a base path (a proxy prefix) goes
// before every route.
void SplitUrl(std::string url, std::string* origin, std::string* base) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  *origin = url.substr(0, slash);
  *base = slash == std::string::npos ? "" : url.substr(slash);
}

}  // namespace

const char* ModelKindName(ModelKind kind) { return kind == ModelKind::kLlm ? "llm" : "embedding"; }

std::string CanonicalModelName(const std::string& name) {
  // A ':' after the last '/' is a tag; one before it is a registry's port.
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (name.empty() || (colon != std::string::npos && (slash == std::string::npos || colon > slash))) return name;
  return name + ":latest";
}

ModelServer::ModelServer(ModelServerOptions options) : options_(std::move(options)) {}

std::string ModelServer::where() const { return "the Ollama server at " + url(); }
std::string ModelServer::url() const { return RedactDsn(options_.url); }

Result<std::string> ModelServer::Call(const std::string& method, const std::string& path,
                                      const std::string& body) const {
  if (!configured()) return Unavailable("no model server is configured ([profiles] ollama_url)");
  std::string origin, base;
  SplitUrl(options_.url, &origin, &base);
  size_t scheme = origin.find("://");
  bool known_scheme = scheme == std::string::npos || origin.compare(0, scheme, "http") == 0 ||
                      origin.compare(0, scheme, "https") == 0;
  if (!known_scheme || !httplib::Client(origin).is_valid()) {
    return InvalidArgument("model server url '" + RedactDsn(options_.url) +
                           "' is not a valid URL; expected e.g. http://127.0.0.1:11434");
  }
  httplib::Client client(origin);
  client.set_connection_timeout(std::chrono::milliseconds(std::min(options_.timeout_ms, 5000)));
  client.set_read_timeout(std::chrono::milliseconds(options_.timeout_ms));
  client.set_write_timeout(std::chrono::milliseconds(options_.timeout_ms));
  auto res = method == "GET" ? client.Get(base + path) : client.Post(base + path, body, "application/json");
  if (!res) {
    return Unavailable("cannot reach " + where() + " (" + httplib::to_string(res.error()) +
                       " error); is `ollama serve` running?");
  }
  if (res->status / 100 == 2) return res->body;
  std::string text = ServerText(res->body);
  if (res->status == 404) return NotFound(where() + " answered 404 for " + path + ": " + text);
  if (res->status / 100 == 4) return InvalidArgument(where() + " refused " + path + " (HTTP " + std::to_string(res->status) + "): " + text);
  return Unavailable(where() + " failed " + path + " (HTTP " + std::to_string(res->status) + "): " + text);
}

Result<std::vector<LoadedModel>> ModelServer::Loaded() const {
  LH_ASSIGN_OR_RETURN(std::string body, Call("GET", "/api/ps", ""));
  auto reply = json::parse(body, nullptr, false);
  if (!reply.is_object() || !reply.contains("models") || !reply["models"].is_array()) {
    return Unavailable(where() + " sent an /api/ps answer without a \"models\" list");
  }
  std::vector<LoadedModel> out;
  for (const json& m : reply["models"]) {
    if (!m.is_object()) continue;
    LoadedModel model;
    // "model" is the name requests use; older servers sent only "name".
    for (const char* field : {"model", "name"}) {
      if (m.contains(field) && m[field].is_string() && !m[field].get<std::string>().empty()) {
        model.name = CanonicalModelName(m[field].get<std::string>());
        break;
      }
    }
    if (model.name.empty()) continue;
    model.size = Bytes(m, "size");
    model.size_vram = std::min(Bytes(m, "size_vram"), model.size > 0 ? model.size : Bytes(m, "size_vram"));
    if (m.contains("expires_at") && m["expires_at"].is_string()) model.expires_at = m["expires_at"];
    out.push_back(std::move(model));
  }
  return out;
}

Result<std::map<std::string, int64_t>> ModelServer::Available() const {
  LH_ASSIGN_OR_RETURN(std::string body, Call("GET", "/api/tags", ""));
  auto reply = json::parse(body, nullptr, false);
  if (!reply.is_object() || !reply.contains("models") || !reply["models"].is_array()) {
    return Unavailable(where() + " sent an /api/tags answer without a \"models\" list");
  }
  std::map<std::string, int64_t> out;
  for (const json& m : reply["models"]) {
    if (!m.is_object()) continue;
    for (const char* field : {"model", "name"}) {
      if (m.contains(field) && m[field].is_string() && !m[field].get<std::string>().empty()) {
        out[CanonicalModelName(m[field].get<std::string>())] = Bytes(m, "size");
        break;
      }
    }
  }
  return out;
}

namespace {

// Ollama reads a bare number as seconds and a string as a Go duration
// ("30m"); "-1" as a string is no duration, so numbers go as numbers.
json KeepAliveJson(const std::string& keep_alive) {
  size_t start = !keep_alive.empty() && keep_alive[0] == '-' ? 1 : 0;
  bool number = keep_alive.size() > start && keep_alive.size() < 12 &&
                keep_alive.find_first_not_of("0123456789", start) == std::string::npos;
  return number ? json(std::stoll(keep_alive)) : json(keep_alive);
}

}  // namespace

bool ValidKeepAlive(const std::string& keep_alive) {
  if (keep_alive.empty() || keep_alive.size() > 20) return false;
  size_t i = keep_alive[0] == '-' ? 1 : 0;
  auto digits = [&] {
    size_t start = i;
    while (i < keep_alive.size() && std::isdigit(static_cast<unsigned char>(keep_alive[i]))) ++i;
    return i - start;
  };
  size_t whole = digits();
  if (i == keep_alive.size()) return whole > 0 && whole <= 10;  // seconds
  // A Go duration: one or more NUMBER[.NUMBER]UNIT, the form Ollama parses.
  i = keep_alive[0] == '-' ? 1 : 0;
  while (i < keep_alive.size()) {
    if (digits() == 0) return false;
    if (i < keep_alive.size() && keep_alive[i] == '.') {
      ++i;
      if (digits() == 0) return false;
    }
    bool unit = false;
    for (const char* u : {"ns", "us", "ms", "s", "m", "h"}) {
      size_t n = std::strlen(u);
      if (keep_alive.compare(i, n, u) == 0 && !(n == 1 && u[0] == 'm' && keep_alive.compare(i, 2, "ms") == 0)) {
        i += n;
        unit = true;
        break;
      }
    }
    if (!unit) return false;
  }
  return true;
}

Status ModelServer::Load(const std::string& model, ModelKind kind, const std::string& keep_alive) const {
  json body = {{"model", model}, {"keep_alive", KeepAliveJson(keep_alive)}, {"stream", false}};
  if (kind == ModelKind::kEmbedding) body["input"] = json::array();
  auto done = Call("POST", kind == ModelKind::kLlm ? "/api/generate" : "/api/embed", body.dump());
  if (done.ok()) return Status::Ok();
  if (done.status().code() == StatusCode::kNotFound) {
    return NotFound("model '" + model + "' is not on " + where() + "; run `ollama pull " + model + "`");
  }
  if (done.status().code() == StatusCode::kInvalidArgument) {
    // Mostly a model of the other kind ("does not support generate").
    return InvalidArgument("could not load " + std::string(ModelKindName(kind)) + " model '" + model +
                           "': " + done.status().message() + "; is it an " +
                           (kind == ModelKind::kLlm ? "embedding model?" : "LLM?"));
  }
  return Status(done.status().code(), "could not load model '" + model + "': " + done.status().message());
}

Status ModelServer::RequestUnload(const std::string& model, ModelKind kind) const {
  json body = {{"model", model}, {"keep_alive", 0}, {"stream", false}};
  if (kind == ModelKind::kEmbedding) body["input"] = json::array();
  auto done = Call("POST", kind == ModelKind::kLlm ? "/api/generate" : "/api/embed", body.dump());
  if (!done.ok()) return Status(done.status().code(), "could not unload model '" + model + "': " + done.status().message());
  return Status::Ok();
}

}  // namespace lakehouse::ai
