#include "common/redact.h"

namespace lakehouse {

std::string RedactDsn(std::string_view dsn) {
  std::string out(dsn);
  size_t pos = 0;
  // Every "scheme://user:pass@" in the text, so a DSN embedded in a message is covered too.
  while ((pos = out.find("://", pos)) != std::string::npos) {
    size_t user_start = pos + 3;
    // A password may hold '/', '?' or '#': the userinfo ends at the last '@'
    // of the token (hosts cannot contain one).
    size_t end = out.find_first_of(" \t\n'\"", user_start);
    if (end == std::string::npos) end = out.size();
    size_t at = end > user_start ? out.rfind('@', end - 1) : std::string::npos;
    if (at != std::string::npos && at >= user_start) {
      size_t colon = out.find(':', user_start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
    pos = user_start;
  }
  return out;
}

std::string RedactSecret(std::string_view text, std::string_view secret) {
  std::string out(text);
  if (secret.empty()) return out;
  size_t pos = 0;
  while ((pos = out.find(secret, pos)) != std::string::npos) {
    out.replace(pos, secret.size(), "***");
    pos += 3;
  }
  return out;
}

}  // namespace lakehouse
