#include "vector/profile_scope.h"

#include "ai/model_server.h"

namespace lakehouse::vector {

namespace {

// Ollama's "x" and "x:latest" are one model; other providers' names are exact.
std::string ModelKey(const ai::EmbedderSpec& spec) {
  return spec.provider == "ollama" ? ai::CanonicalModelName(spec.model) : spec.model;
}

}  // namespace

Result<BackendSpec> ProfileBackend(const ai::ModelProfile& profile) {
  BackendSpec spec;
  auto kind = ParseBackendKind(profile.backend_kind);
  if (!kind.ok()) return kind.status().WithContext("profile '" + profile.id + "' backend");
  spec.kind = *kind;
  spec.options = profile.backend_options;
  LH_RETURN_IF_ERROR(ValidateBackendOptions(spec).WithContext("profile '" + profile.id + "' backend"));
  return spec;
}

Status ApplyProfile(const ai::ModelProfile& profile, const GivenFields& given, IndexManifest& request) {
  if (given.embedder) {
    return InvalidArgument("an index created under profile '" + profile.id + "' embeds with the profile's " +
                           profile.embedder.provider + " model; leave out \"embedder\" (or create it without a profile)");
  }
  request.profile = profile.id;
  request.embedder.provider = profile.embedder.provider;
  request.embedder.model = profile.embedder.model;
  request.embedder.url = profile.embedder.url;
  if (profile.embedder.dimension > 0) request.embedder.dimension = profile.embedder.dimension;
  if (!given.backend) {
    LH_ASSIGN_OR_RETURN(request.backend, ProfileBackend(profile));
  }
  if (!given.bucket && !profile.bucket.empty()) request.bucket = profile.bucket;
  return Status::Ok();
}

Status CheckProfileSpace(const ai::ModelProfile& profile, const IndexManifest& index) {
  std::string plain = "; plain search (POST /vectors/search/" + index.name + ") reaches it";
  if (!index.profile.empty()) {
    if (index.profile == profile.id) return Status::Ok();
    return PermissionDenied("index '" + index.name + "' belongs to profile '" + index.profile + "', not '" + profile.id +
                            "'; search it through /vectors/profile/" + index.profile + "/search/" + index.name + plain);
  }
  // An index of no profile is in this profile's space when it embeds with
  // the same model (and dimension, where the profile fixes one).
  const ai::EmbedderSpec& mine = profile.embedder;
  const ai::EmbedderSpec& its = index.embedder;
  int its_dimension = index.active ? index.active->dimension : its.dimension;
  bool same = mine.provider == its.provider && (mine.model.empty() || ModelKey(mine) == ModelKey(its)) &&
              (mine.dimension <= 0 || mine.dimension == its_dimension);
  if (same) return Status::Ok();
  return PermissionDenied("index '" + index.name + "' embeds with " + its.provider +
                          (its.model.empty() ? "" : " model '" + its.model + "'") + ", outside profile '" + profile.id +
                          "' (" + mine.provider + (mine.model.empty() ? "" : " model '" + mine.model + "'") + ")" + plain);
}

ai::EmbedderSpec ScopedQueryEmbedder(const ai::ModelProfile& profile, const IndexManifest& index,
                                     const std::string& keep_alive) {
  ai::EmbedderSpec spec = index.embedder;
  if (!profile.embedder.url.empty()) spec.url = profile.embedder.url;
  if (spec.provider == "ollama") spec.keep_alive = keep_alive;
  return spec;
}

}  // namespace lakehouse::vector
