// Where model profiles meet indexes: an index created under a profile
// takes its embedder, backend and bucket and records the profile; a search
// scoped to a profile may only reach indexes of its vector space.
#pragma once

#include "ai/profiles.h"
#include "vector/backend.h"
#include "vector/index_manifest.h"

namespace lakehouse::vector {

// The profile's default backend, checked like a request's.
Result<BackendSpec> ProfileBackend(const ai::ModelProfile& profile);

// What a create request gave itself, so the profile fills in the rest.
struct GivenFields {
  bool embedder = false;
  bool backend = false;
  bool bucket = false;
};
// InvalidArgument when the request names an embedder (an index of the
// profile embeds with the profile's model, or its searches would not match).
Status ApplyProfile(const ai::ModelProfile& profile, const GivenFields& given, IndexManifest& request);

// PermissionDenied (403) for an index of another profile, or of no profile
// and another model; what to use instead is in the message.
Status CheckProfileSpace(const ai::ModelProfile& profile, const IndexManifest& index);

// The spec a scoped search embeds its query with: the index's (its
// prefixes and dimension), on the profile's server, kept loaded as long as
// the profile's preload.
ai::EmbedderSpec ScopedQueryEmbedder(const ai::ModelProfile& profile, const IndexManifest& index,
                                     const std::string& keep_alive);

}  // namespace lakehouse::vector
