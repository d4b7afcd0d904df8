#include "common/names.h"

#include <cctype>

namespace lakehouse {

namespace {
bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
constexpr size_t kMaxNameLength = 128;
}  // namespace

Status ValidateName(std::string_view name, std::string_view what) {
  std::string label(what);
  if (name.empty()) return InvalidArgument(label + " must not be empty");
  if (name.size() > kMaxNameLength) {
    return InvalidArgument(label + " is longer than 128 characters");
  }
  bool valid = IsNameStart(name[0]);
  for (char c : name) valid = valid && IsNameChar(c);
  if (!valid) {
    return InvalidArgument(label + " '" + std::string(name.substr(0, 64)) +
                           "' is not valid: use letters, digits and '_', starting with a "
                           "letter or '_' (for example sales_2024)");
  }
  return Status::Ok();
}

Status ValidatePathText(std::string_view text, std::string_view what) {
  std::string label(what);
  if (text.empty()) return InvalidArgument(label + " must not be empty");
  if (text.size() > 4096) return InvalidArgument(label + " is longer than 4096 bytes");
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument(label + " contains a control character (byte " + std::to_string(c) + " at offset " +
                             std::to_string(i) + "); use a plain path");
    }
  }
  return Status::Ok();
}

std::string NameFromFileName(std::string_view file_name) {
  auto slash = file_name.find_last_of("/\\");
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  // Only the last extension goes ("report.2023.csv" -> report_2023), and a
  // compression suffix with the one before it ("orders.csv.gz" -> orders).
  auto strip = [&] {
    auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return std::string_view{};
    std::string_view ext = file_name.substr(dot + 1);
    file_name = file_name.substr(0, dot);
    return ext;
  };
  std::string ext(strip());
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "gz" || ext == "zst" || ext == "bz2" || ext == "xz" || ext == "gzip") strip();
  std::string out;
  for (char c : file_name) {
    if (IsNameChar(c)) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) out = "dataset";
  if (!IsNameStart(out[0])) out = "d_" + out;
  if (out.size() > kMaxNameLength) out.resize(kMaxNameLength);
  return out;
}

std::string GroupThousands(int64_t n) {
  std::string digits = std::to_string(n), out;
  size_t sign = digits[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > sign && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string QuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace lakehouse
