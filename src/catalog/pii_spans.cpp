#include "catalog/pii_spans.h"

#include <algorithm>
#include <array>

#include "common/names.h"

namespace lakehouse::catalog {

namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool Alnum(char c) { return Digit(c) || Alpha(c); }
bool Upper(char c) { return c >= 'A' && c <= 'Z'; }
bool Hex(char c) { return Digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool LocalChar(char c) { return Alnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos; }
bool Base64Url(char c) { return Alnum(c) || c == '-' || c == '_'; }

// The text around [b, e) does not continue the token.
bool Bounded(std::string_view t, size_t b, size_t e) {
  return (b == 0 || !Alnum(t[b - 1])) && (e >= t.size() || !Alnum(t[e]));
}

void Emails(std::string_view t, std::vector<PiiSpan>& out) {
  for (size_t at = t.find('@'); at != std::string_view::npos; at = t.find('@', at + 1)) {
    size_t b = at;
    while (b > 0 && LocalChar(t[b - 1])) --b;
    while (b < at && t[b] == '.') ++b;
    size_t e = at + 1;
    while (e < t.size() && (Alnum(t[e]) || t[e] == '.' || t[e] == '-')) ++e;
    while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) --e;
    if (b < at && LooksLikeEmail(t.substr(b, e - b))) out.push_back({SpanKind::kEmail, b, e});
  }
}

// Runs of digits joined by single separators from `seps`: the candidates
// for cards, SSNs and phone numbers.
void DigitRuns(std::string_view t, std::string_view seps, std::vector<std::pair<size_t, size_t>>& runs) {
  for (size_t i = 0; i < t.size();) {
    bool start = Digit(t[i]) || ((t[i] == '+' || t[i] == '(') && i + 1 < t.size() && Digit(t[i + 1]));
    if (!start || (i > 0 && (Alnum(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == '-'))) {
      ++i;
      continue;
    }
    size_t e = i + 1;
    while (e < t.size()) {
      if (Digit(t[e]) || t[e] == ')') {
        ++e;
      } else if (seps.find(t[e]) != std::string_view::npos && e + 1 < t.size() &&
                 (Digit(t[e + 1]) || t[e + 1] == '(')) {
        ++e;
      } else {
        break;
      }
    }
    runs.emplace_back(i, e);
    i = e;
  }
}

// A date inside the run ("12 2023-06-10", "03/01/2024"): two numbers, not a phone.
bool HoldsDate(std::string_view v) {
  static const std::string_view shapes[] = {"dddd-dd-dd", "dd-dd-dddd", "dddd.dd.dd", "dd.dd.dddd"};
  for (auto shape : shapes) {
    for (size_t i = 0; i + shape.size() <= v.size(); ++i) {
      bool match = true;
      for (size_t k = 0; k < shape.size() && match; ++k) {
        match = shape[k] == 'd' ? Digit(v[i + k]) : v[i + k] == shape[k];
      }
      if (match) return true;
    }
  }
  return false;
}

// Digit groups of the run, by any non-digit between them.
std::vector<std::string_view> Groups(std::string_view v) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < v.size();) {
    if (!Digit(v[i])) {
      ++i;
      continue;
    }
    size_t e = i;
    while (e < v.size() && Digit(v[e])) ++e;
    out.push_back(v.substr(i, e - i));
    i = e;
  }
  return out;
}

bool PhoneInText(std::string_view v) {
  if (!LooksLikePhone(v) || HoldsDate(v)) return false;
  auto groups = Groups(v);
  auto year = [](std::string_view g) { return g.size() == 4 && (g.substr(0, 2) == "19" || g.substr(0, 2) == "20"); };
  // "2005-2015": a range of years (copyright lines).
  if (groups.size() == 2 && year(groups[0]) && year(groups[1])) return false;
  // "+4230-00131": an ISO 6709 coordinate (tzdata), signed degrees, no spaces.
  if (v.front() == '+' && groups.size() == 2 && v.find(' ') == std::string_view::npos) return false;
  // In free text, numbers separated by spaces alone ("5 162 60", "12 34 56
  // 78") are counts and codes far more often than phone numbers.
  bool marked = v.front() == '+' || v.find('(') != std::string_view::npos ||
                v.find('-') != std::string_view::npos || v.find('.') != std::string_view::npos;
  if (marked) return true;
  size_t first_group = v.find(' ');
  int digits = static_cast<int>(std::count_if(v.begin(), v.end(), Digit));
  return first_group >= 3 && digits >= 10;
}

void NumberLike(std::string_view t, std::vector<PiiSpan>& out) {
  std::vector<std::pair<size_t, size_t>> runs;
  DigitRuns(t, " -.", runs);
  for (auto [b, e] : runs) {
    std::string_view v = t.substr(b, e - b);
    if (!Bounded(t, b, e)) continue;
    if (LooksLikeCardNumber(v)) {
      out.push_back({SpanKind::kCard, b, e});
    } else if (LooksLikeSsn(v)) {
      out.push_back({SpanKind::kSsn, b, e});
    } else if (int dots = static_cast<int>(std::count(v.begin(), v.end(), '.')); dots == 3 &&
               v.find_first_of(" -()") == std::string_view::npos) {
      // a.b.c.d, each 0..255, nothing else in it.
      int parts = 0, value = -1;
      bool ok = true;
      for (char c : v) {
        if (Digit(c)) {
          value = (value < 0 ? 0 : value) * 10 + (c - '0');
          ok = ok && value <= 255;
        } else if (c == '.') {
          ok = ok && value >= 0;
          ++parts;
          value = -1;
        } else {
          ok = false;
        }
      }
      if (ok && value >= 0 && parts == 3) out.push_back({SpanKind::kIpAddress, b, e});
    } else if (PhoneInText(v)) {
      out.push_back({SpanKind::kPhone, b, e});
    }
  }
}

void Ibans(std::string_view t, std::vector<PiiSpan>& out) {
  for (size_t i = 0; i + 4 <= t.size(); ++i) {
    if (!(Upper(t[i]) && Upper(t[i + 1]) && Digit(t[i + 2]) && Digit(t[i + 3])) || (i > 0 && Alnum(t[i - 1]))) {
      continue;
    }
    // Grow over letters, digits and single spaces; try the longest first.
    std::vector<size_t> ends;
    size_t e = i, chars = 0;
    while (e < t.size() && chars < 34) {
      if (Alnum(t[e])) {
        ++e;
        ++chars;
        if (e == t.size() || !Alnum(t[e])) ends.push_back(e);
      } else if (t[e] == ' ' && e + 1 < t.size() && Alnum(t[e + 1])) {
        ++e;
      } else {
        break;
      }
    }
    for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
      if (LooksLikeIban(t.substr(i, *it - i))) {
        out.push_back({SpanKind::kIban, i, *it});
        i = *it;
        break;
      }
    }
  }
}

// The end of a token made of `ok` characters from `b`.
template <typename F>
size_t TokenEnd(std::string_view t, size_t b, F ok) {
  while (b < t.size() && ok(t[b])) ++b;
  return b;
}

void Credentials(std::string_view t, std::vector<PiiSpan>& out) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '$' && (i == 0 || !Alnum(t[i - 1]))) {
      size_t e = TokenEnd(t, i, [](char c) { return Alnum(c) || c == '$' || c == '.' || c == '/' || c == '=' || c == ',' || c == '+'; });
      if (LooksLikeCredential(t.substr(i, e - i))) {
        out.push_back({SpanKind::kCredential, i, e});
        i = e;
      }
    } else if (t[i] == '*' && i + 41 <= t.size() && (i == 0 || !Alnum(t[i - 1]))) {
      size_t e = TokenEnd(t, i + 1, Hex);
      if (e - i == 41 && (e == t.size() || !Alnum(t[e]))) {
        out.push_back({SpanKind::kCredential, i, e});
        i = e;
      }
    } else if (t.substr(i, 3) == "eyJ" && (i == 0 || !Base64Url(t[i - 1]))) {
      size_t e = TokenEnd(t, i, [](char c) { return Base64Url(c) || c == '.'; });
      if (LooksLikeCredential(t.substr(i, e - i))) {
        out.push_back({SpanKind::kCredential, i, e});
        i = e;
      }
    } else if (t.substr(i, 11) == "-----BEGIN ") {
      size_t header_end = t.find("-----", i + 11);
      if (header_end == std::string_view::npos) continue;
      std::string_view label = t.substr(i + 11, header_end - i - 11);
      if (label.find("PRIVATE KEY") == std::string_view::npos) continue;
      size_t footer = t.find("-----END ", header_end);
      size_t e = footer == std::string_view::npos ? t.size() : t.find("-----", footer + 9);
      e = e == std::string_view::npos ? t.size() : e + 5;
      out.push_back({SpanKind::kCredential, i, e});
      i = e;
    }
  }
}

constexpr std::array<const char*, 7> kSpanNames = {"email", "phone", "card", "iban", "ssn", "ip_address", "credential"};
constexpr std::array<const char*, 7> kSpanWords = {"e-mail addresses", "phone numbers", "payment card numbers",
                                                   "IBANs", "US social security numbers", "IP addresses",
                                                   "secrets (password hashes, keys, tokens)"};

}  // namespace

const char* SpanKindName(SpanKind kind) { return kSpanNames[static_cast<int>(kind)]; }

PiiKind PiiKindOf(SpanKind kind) {
  switch (kind) {
    case SpanKind::kCard:
    case SpanKind::kIban: return PiiKind::kFinancial;
    case SpanKind::kCredential: return PiiKind::kCredential;
    default: return PiiKind::kPii;
  }
}

bool LooksLikeCredential(std::string_view v) {
  auto all = [](std::string_view s, auto ok) { return !s.empty() && std::all_of(s.begin(), s.end(), ok); };
  auto b64 = [](char c) { return Alnum(c) || c == '.' || c == '/'; };
  // bcrypt: $2b$12$ + 53 characters of its base64.
  if (v.size() == 60 && v.substr(0, 2) == "$2" && v[3] == '$' && Digit(v[4]) && Digit(v[5]) && v[6] == '$') {
    return all(v.substr(7), b64);
  }
  if (v.rfind("$argon2", 0) == 0) return v.find("$v=") != std::string_view::npos && std::count(v.begin(), v.end(), '$') >= 4;
  // crypt(3): $1$ md5, $5$ sha-256, $6$ sha-512, $y$ yescrypt: salt and hash after.
  for (std::string_view prefix : {"$1$", "$5$", "$6$", "$y$"}) {
    if (v.rfind(prefix, 0) == 0 && std::count(v.begin(), v.end(), '$') >= 3 && v.size() >= 20) return true;
  }
  if (v.size() == 41 && v[0] == '*' && all(v.substr(1), Hex)) return true;  // MySQL's PASSWORD()
  if (v.rfind("-----BEGIN ", 0) == 0 && v.find("PRIVATE KEY-----") != std::string_view::npos) return true;
  if (v.rfind("eyJ", 0) == 0) {
    // header.payload.signature, each base64url, header and payload JSON ("eyJ" is '{"').
    size_t d1 = v.find('.'), d2 = d1 == std::string_view::npos ? d1 : v.find('.', d1 + 1);
    if (d2 == std::string_view::npos || v.find('.', d2 + 1) != std::string_view::npos) return false;
    return d1 >= 10 && v.substr(d1 + 1, 3) == "eyJ" && d2 - d1 > 10 && v.size() - d2 > 10 &&
           all(v.substr(0, d1), Base64Url) && all(v.substr(d1 + 1, d2 - d1 - 1), Base64Url) &&
           all(v.substr(d2 + 1), Base64Url);
  }
  return false;
}

std::vector<PiiSpan> FindPiiSpans(std::string_view text) {
  // Most specific first; a later candidate overlapping an earlier span is dropped.
  std::vector<PiiSpan> found;
  Credentials(text, found);
  Emails(text, found);
  Ibans(text, found);
  NumberLike(text, found);
  std::vector<PiiSpan> out;
  for (const auto& s : found) {
    bool overlaps = std::any_of(out.begin(), out.end(), [&](const PiiSpan& o) { return s.begin < o.end && o.begin < s.end; });
    if (!overlaps) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const PiiSpan& a, const PiiSpan& b) { return a.begin < b.begin; });
  return out;
}

std::string RedactPiiSpans(std::string_view text, const std::vector<PiiSpan>& spans) {
  std::string out;
  size_t at = 0;
  for (const auto& s : spans) {
    if (s.begin < at || s.end > text.size()) continue;
    out.append(text.substr(at, s.begin - at));
    std::string tag = SpanKindName(s.kind);
    for (char& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out += "[" + tag + "]";
    at = s.end;
  }
  out.append(text.substr(at));
  return out;
}

PiiHit ClassifySpansInValues(const std::vector<std::string>& sample) {
  std::array<int64_t, kSpanNames.size()> holding{};
  int64_t non_empty = 0;
  for (const auto& value : sample) {
    if (value.empty()) continue;
    ++non_empty;
    std::array<bool, kSpanNames.size()> seen{};
    for (const auto& span : FindPiiSpans(value)) seen[static_cast<int>(span.kind)] = true;
    for (size_t k = 0; k < seen.size(); ++k) holding[k] += seen[k];
  }
  // The most sensitive kind that clears the bar wins; then the most frequent.
  PiiHit best;
  int64_t best_count = 0;
  auto rank = [](PiiKind k) { return k == PiiKind::kCredential ? 4 : k == PiiKind::kFinancial ? 2 : k == PiiKind::kPii ? 1 : 0; };
  for (size_t k = 0; k < holding.size(); ++k) {
    int64_t n = holding[k];
    if (n < 3 || n * 20 < non_empty) continue;
    PiiKind kind = PiiKindOf(static_cast<SpanKind>(k));
    if (best.found() && (rank(kind) < rank(best.kind) || (rank(kind) == rank(best.kind) && n <= best_count))) continue;
    best = {kind, GroupThousands(n) + " of " + GroupThousands(non_empty) + " sampled values contain " + kSpanWords[k]};
    best_count = n;
  }
  return best;
}

}  // namespace lakehouse::catalog
