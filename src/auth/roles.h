// Who may do what: three roles, each allowed what the one below it is.
// reader: SQL, search, catalog reads; writer: also ingest, imports, index
// builds and refreshes; admin: also buckets, deletes, moves, metadata and
// sensitivity, keys, profiles and the GPU, agent settings.
#pragma once

#include <optional>
#include <string_view>

namespace lakehouse::auth {

enum class Role { kReader, kWriter, kAdmin };

const char* RoleName(Role role);  // reader, writer, admin
std::optional<Role> ParseRole(std::string_view name);
inline bool Allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

}  // namespace lakehouse::auth
