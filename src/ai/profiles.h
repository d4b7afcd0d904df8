// Model profiles: which embedding model and LLM a kind of work uses, the
// vector backend and bucket its indexes get, and how much VRAM it may take.
// Stored one per file at _catalog/profiles/<id>.json in the primary bucket,
// written atomically; ProfileStore is the only reader and writer. Which
// profile holds the GPU is the slot's business (ai/profile_slot.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ai/embedder.h"
#include "ai/model_server.h"
#include "common/clock.h"
#include "common/status.h"

namespace lakehouse::ai {

// The LLM: "ollama" with a model, or none.
enum class LlmProvider { kNone, kOllama };

struct ModelProfile {
  std::string id;
  std::string description;
  // provider and model (and url for the HTTP providers); never a key.
  EmbedderSpec embedder;
  LlmProvider llm_provider = LlmProvider::kNone;
  std::string llm_model;
  // The default backend of indexes created under the profile, as the
  // vector layer names it ("auto", "flat", "hnsw", "ivf_pq") and checks it.
  std::string backend_kind = "auto";
  std::map<std::string, int64_t> backend_options;
  // Where its indexes live; empty: the dataset's bucket, as without a
  // profile. Created under [storage] profile_root when first needed.
  std::string bucket;
  std::optional<int64_t> vram_budget_mib;  // what its models may take on the GPU together
  TimePoint created_at{};
  TimePoint updated_at{};
};

// A model the profile needs resident on the model server (Ollama ones only:
// the in-process encoders and remote APIs hold no GPU of ours).
struct ProfileModel {
  std::string name;  // canonical ("nomic-embed-text:latest")
  ModelKind kind = ModelKind::kEmbedding;
  bool operator==(const ProfileModel&) const = default;
};
std::vector<ProfileModel> ModelsOf(const ModelProfile& profile);

// Fields and their ranges; the backend is the vector layer's to check.
Status ValidateProfile(const ModelProfile& profile);
nlohmann::json ProfileToJson(const ModelProfile& profile);
// InvalidArgument naming the field for what a request or file gets wrong.
Result<ModelProfile> ProfileFromJson(const nlohmann::json& j);

class ProfileStore {
 public:
  // `dir` is <primary>/_catalog/profiles.
  explicit ProfileStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Conflict when the id is taken.
  Result<ModelProfile> Create(ModelProfile profile);
  Result<ModelProfile> Get(const std::string& id) const;
  // Whether a file for `id` is there, readable or not.
  bool Exists(const std::string& id) const;
  // Every readable profile, by id; unreadable files go to `problems`.
  std::vector<ModelProfile> List(std::map<std::string, std::string>* problems = nullptr) const;
  // Replaces a stored profile (created_at kept, updated_at set).
  Result<ModelProfile> Put(ModelProfile profile);
  // Removes the file, also a damaged one (so it can be replaced).
  Status Delete(const std::string& id);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path PathOf(const std::string& id) const { return dir_ / (id + ".json"); }
  Status Write(const ModelProfile& profile);

  std::filesystem::path dir_;
};

}  // namespace lakehouse::ai
