#include "ai/profiles.h"

#include "common/json_fields.h"

#include <mutex>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/names.h"
#include "common/redact.h"

namespace lakehouse::ai {

namespace {

using nlohmann::json;

constexpr size_t kMaxDescription = 2000;
constexpr size_t kMaxModelName = 200;
const char* const kProviders[] = {"use-lite+hash", "use-lite", "hash", "ollama", "openai"};

// Creates across threads and processes: the id check and the write are one step.
std::mutex create_mutex;

Result<TimePoint> TimeField(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return TimePoint{};
  if (!j[field].is_string()) return InvalidArgument(std::string("\"") + field + "\" must be a time");
  return ParseTime(j[field].get<std::string>());
}

Result<std::string> StringField(const json& j, const char* field, std::string fallback = "") {
  if (!j.contains(field) || j[field].is_null()) return fallback;
  if (!j[field].is_string()) return InvalidArgument(std::string("\"") + field + "\" must be a string");
  return j[field].get<std::string>();
}

Status UnknownFields(const json& j, std::initializer_list<const char*> known, const std::string& where) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) return InvalidArgument("unknown field \"" + it.key() + "\" in " + where);
  }
  return Status::Ok();
}

bool ValidModelName(const std::string& name) {
  if (name.empty() || name.size() > kMaxModelName) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '/')) return false;
  }
  return true;
}

}  // namespace

std::vector<ProfileModel> ModelsOf(const ModelProfile& p) {
  std::vector<ProfileModel> out;
  if (p.embedder.provider == "ollama" && !p.embedder.model.empty()) {
    out.push_back({CanonicalModelName(p.embedder.model), ModelKind::kEmbedding});
  }
  if (p.llm_provider == LlmProvider::kOllama && !p.llm_model.empty()) {
    ProfileModel llm{CanonicalModelName(p.llm_model), ModelKind::kLlm};
    if (out.empty() || out[0].name != llm.name) out.push_back(llm);
  }
  return out;
}

Status ValidateProfile(const ModelProfile& p) {
  LH_RETURN_IF_ERROR(ValidateName(p.id, "profile id"));
  if (p.description.size() > kMaxDescription) {
    return InvalidArgument("description is longer than " + std::to_string(kMaxDescription) + " bytes");
  }
  bool known = false;
  for (const char* k : kProviders) known = known || p.embedder.provider == k;
  if (!known) {
    return InvalidArgument("unknown embedder provider '" + p.embedder.provider +
                           "'; use one of use-lite+hash, use-lite, hash, ollama, openai");
  }
  bool http = p.embedder.provider == "ollama" || p.embedder.provider == "openai";
  if (http && p.embedder.model.empty()) {
    return InvalidArgument("the " + p.embedder.provider + " embedder needs a model, e.g. " +
                           (p.embedder.provider == "ollama" ? "nomic-embed-text" : "text-embedding-3-small"));
  }
  if (!p.embedder.model.empty() && !ValidModelName(p.embedder.model)) {
    return InvalidArgument("embedder model '" + p.embedder.model.substr(0, 80) +
                           "' is not a model name (letters, digits, - _ . : /)");
  }
  if (p.embedder.url.size() > 2000) return InvalidArgument("embedder url is too long");
  if (p.llm_provider == LlmProvider::kOllama && p.llm_model.empty()) {
    return InvalidArgument("the ollama LLM needs a model, e.g. llama3.1");
  }
  if (p.llm_provider == LlmProvider::kNone && !p.llm_model.empty()) {
    return InvalidArgument("llm model '" + p.llm_model.substr(0, 80) + "' needs a provider (\"ollama\")");
  }
  if (!p.llm_model.empty() && !ValidModelName(p.llm_model)) {
    return InvalidArgument("llm model '" + p.llm_model.substr(0, 80) + "' is not a model name (letters, digits, - _ . : /)");
  }
  if (!p.bucket.empty()) LH_RETURN_IF_ERROR(ValidateName(p.bucket, "bucket name"));
  if (p.vram_budget_mib && (*p.vram_budget_mib < 1 || *p.vram_budget_mib > (int64_t{1} << 30))) {
    return InvalidArgument("vram_budget_mib must be between 1 and 1073741824 (MiB)");
  }
  return Status::Ok();
}

json ProfileToJson(const ModelProfile& p) {
  json embedder = {{"provider", p.embedder.provider}, {"model", p.embedder.model}};
  if (p.embedder.dimension > 0) embedder["dimension"] = p.embedder.dimension;
  if (!p.embedder.url.empty()) embedder["url"] = RedactDsn(p.embedder.url);
  json llm = p.llm_provider == LlmProvider::kNone ? json(nullptr)
                                                   : json{{"provider", "ollama"}, {"model", p.llm_model}};
  return {{"id", p.id},
          {"description", p.description},
          {"embedder", embedder},
          {"llm", llm},
          {"backend", {{"kind", p.backend_kind}, {"options", p.backend_options}}},
          {"bucket", p.bucket.empty() ? json(nullptr) : json(p.bucket)},
          {"vram_budget_mib", p.vram_budget_mib ? json(*p.vram_budget_mib) : json(nullptr)},
          {"created_at", TimeJson(p.created_at)},
          {"updated_at", TimeJson(p.updated_at)}};
}

Result<ModelProfile> ProfileFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("a profile must be a JSON object");
  LH_RETURN_IF_ERROR(UnknownFields(
      j, {"id", "description", "embedder", "llm", "backend", "bucket", "vram_budget_mib", "created_at", "updated_at"},
      "the profile"));
  ModelProfile p;
  LH_ASSIGN_OR_RETURN(p.id, StringField(j, "id"));
  LH_ASSIGN_OR_RETURN(p.description, StringField(j, "description"));
  if (j.contains("embedder") && !j["embedder"].is_null()) {
    const json& e = j["embedder"];
    if (!e.is_object()) return InvalidArgument("\"embedder\" must be an object {provider, model}");
    LH_RETURN_IF_ERROR(UnknownFields(e, {"provider", "model", "dimension", "url"}, "\"embedder\""));
    LH_ASSIGN_OR_RETURN(p.embedder.provider, StringField(e, "provider", p.embedder.provider));
    LH_ASSIGN_OR_RETURN(p.embedder.model, StringField(e, "model"));
    LH_ASSIGN_OR_RETURN(p.embedder.url, StringField(e, "url"));
    if (e.contains("dimension") && !e["dimension"].is_null()) {
      if (!e["dimension"].is_number_integer() || e["dimension"].get<int64_t>() < 1 ||
          e["dimension"].get<int64_t>() > 65536) {
        return InvalidArgument("\"embedder.dimension\" must be a whole number from 1 to 65536");
      }
      p.embedder.dimension = e["dimension"].get<int>();
    } else if (p.embedder.provider != "hash") {
      p.embedder.dimension = 0;  // learnt from the model
    }
  }
  if (j.contains("llm") && !j["llm"].is_null()) {
    const json& l = j["llm"];
    if (!l.is_object()) return InvalidArgument("\"llm\" must be an object {provider, model} or null");
    LH_RETURN_IF_ERROR(UnknownFields(l, {"provider", "model"}, "\"llm\""));
    LH_ASSIGN_OR_RETURN(std::string provider, StringField(l, "provider", "ollama"));
    if (provider == "ollama") {
      p.llm_provider = LlmProvider::kOllama;
    } else if (provider != "none") {
      return InvalidArgument("unknown llm provider '" + provider.substr(0, 40) + "'; use \"ollama\" (or null for none)");
    }
    LH_ASSIGN_OR_RETURN(p.llm_model, StringField(l, "model"));
  }
  if (j.contains("backend") && !j["backend"].is_null()) {
    const json& b = j["backend"];
    if (!b.is_object()) return InvalidArgument("\"backend\" must be an object {kind, options}");
    LH_RETURN_IF_ERROR(UnknownFields(b, {"kind", "options"}, "\"backend\""));
    LH_ASSIGN_OR_RETURN(p.backend_kind, StringField(b, "kind", "auto"));
    if (b.contains("options") && !b["options"].is_null()) {
      if (!b["options"].is_object()) return InvalidArgument("\"backend.options\" must be an object of whole numbers");
      for (auto it = b["options"].begin(); it != b["options"].end(); ++it) {
        if (!it->is_number_integer()) {
          return InvalidArgument("backend option \"" + it.key().substr(0, 40) + "\" must be a whole number");
        }
        p.backend_options[it.key()] = it->get<int64_t>();
      }
    }
  }
  LH_ASSIGN_OR_RETURN(p.bucket, StringField(j, "bucket"));
  if (j.contains("vram_budget_mib") && !j["vram_budget_mib"].is_null()) {
    if (!j["vram_budget_mib"].is_number_integer()) return InvalidArgument("\"vram_budget_mib\" must be a whole number of MiB");
    p.vram_budget_mib = j["vram_budget_mib"].get<int64_t>();
  }
  LH_ASSIGN_OR_RETURN(p.created_at, TimeField(j, "created_at"));
  LH_ASSIGN_OR_RETURN(p.updated_at, TimeField(j, "updated_at"));
  return p;
}

Status ProfileStore::Write(const ModelProfile& p) {
  LH_RETURN_IF_ERROR(EnsureDirectory(dir_));
  return AtomicWriteFile(PathOf(p.id), ProfileToJson(p).dump(2) + "\n");
}

Result<ModelProfile> ProfileStore::Create(ModelProfile p) {
  LH_RETURN_IF_ERROR(ValidateProfile(p));
  LH_RETURN_IF_ERROR(EnsureDirectory(dir_));
  std::lock_guard lock(create_mutex);
  ProcessLock across(dir_ / ".create.lock");
  std::error_code ec;
  if (fs::exists(PathOf(p.id), ec)) {
    if (!Get(p.id).ok()) {
      return Conflict("profile '" + p.id + "' exists but its file is damaged; DELETE /vectors/profiles/" + p.id +
                      " removes it");
    }
    return Conflict("profile '" + p.id + "' already exists; PATCH /vectors/profiles/" + p.id + " changes it");
  }
  p.created_at = p.updated_at = Now();
  LH_RETURN_IF_ERROR(Write(p));
  return Get(p.id);  // as stored: times to the millisecond
}

Result<ModelProfile> ProfileStore::Get(const std::string& id) const {
  LH_RETURN_IF_ERROR(ValidateName(id, "profile id"));
  std::error_code ec;
  if (!fs::exists(PathOf(id), ec)) {
    return NotFound("no profile '" + id + "'; GET /vectors/profiles lists them");
  }
  LH_ASSIGN_OR_RETURN(std::string text, ReadFile(PathOf(id)));
  auto j = json::parse(text, nullptr, false);
  Result<ModelProfile> p = InvalidArgument("unreadable");
  try {
    p = ProfileFromJson(j);
  } catch (const std::exception& e) {  // a type check missed: still a clear error, not a crash
    p = InvalidArgument(e.what());
  }
  if (!p.ok()) return Internal("profile file _catalog/profiles/" + id + ".json is damaged: " + p.status().message());
  if (p->id != id) return Internal("profile file _catalog/profiles/" + id + ".json names profile '" + p->id + "'");
  return p;
}

std::vector<ModelProfile> ProfileStore::List(std::map<std::string, std::string>* problems) const {
  std::vector<ModelProfile> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string file = entry.path().filename().string();
    if (file.size() <= 5 || file.compare(file.size() - 5, 5, ".json") != 0 || file[0] == '.') continue;
    std::string id = file.substr(0, file.size() - 5);
    if (!ValidateName(id, "profile id").ok()) continue;
    auto p = Get(id);
    if (p.ok()) {
      out.push_back(std::move(*p));
    } else if (problems) {
      (*problems)["_catalog/profiles/" + file] = p.status().message();
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<ModelProfile> ProfileStore::Put(ModelProfile p) {
  LH_RETURN_IF_ERROR(ValidateProfile(p));
  LH_ASSIGN_OR_RETURN(auto old, Get(p.id));
  p.created_at = old.created_at;
  p.updated_at = Now();
  LH_RETURN_IF_ERROR(Write(p));
  return Get(p.id);
}

bool ProfileStore::Exists(const std::string& id) const {
  std::error_code ec;
  return ValidateName(id, "profile id").ok() && fs::exists(PathOf(id), ec);
}

Status ProfileStore::Delete(const std::string& id) {
  LH_RETURN_IF_ERROR(ValidateName(id, "profile id"));
  if (!Exists(id)) return NotFound("no profile '" + id + "'; GET /vectors/profiles lists them");
  std::error_code ec;
  fs::remove(PathOf(id), ec);
  if (ec) return Internal("could not remove profile '" + id + "': " + ec.message());
  LH_RETURN_IF_ERROR(FsyncPath(dir_));
  return Status::Ok();
}

}  // namespace lakehouse::ai
