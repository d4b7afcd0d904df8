// Keeps secrets out of logs, manifests, errors and API responses.
#pragma once

#include <string>
#include <string_view>

namespace lakehouse {

// "postgresql://user:secret@host:5432/db" -> "postgresql://user:***@host:5432/db"
// for any scheme; text without a userinfo password is returned unchanged.
std::string RedactDsn(std::string_view dsn);

// Replaces every occurrence of `secret` in `text` with "***" (no-op for an
// empty secret). For error messages of libraries that may echo a password.
std::string RedactSecret(std::string_view text, std::string_view secret);

}  // namespace lakehouse
