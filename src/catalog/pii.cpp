#include "catalog/pii.h"

#include "catalog/pii_spans.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace lakehouse::catalog {

namespace {

// Terms that are too ambiguous alone ("name", "id", "cell", "condition",
// "treatment", "health", "city") appear only inside longer phrases: a lone
// "condition" is far more often a product's state than a patient's, and
// "treatment" is the usual A/B-test arm. Phrases are space-separated words,
// as shown in reasons.
// clang-format off
constexpr std::string_view kPiiTerms[] = {
    "email", "mail", "phone", "telephone", "tel", "mobile", "cell phone", "cell number", "fax",
    "msisdn", "ssn", "social security", "passport", "driver license", "driver licence",
    "drivers license", "drivers licence", "driving licence", "driving license", "national id",
    "national insurance number", "tax id", "taxpayer id", "first name", "last name", "full name",
    "middle name", "given name", "family name", "maiden name", "surname", "forename", "fname",
    "lname", "customer name", "employee name", "person name", "contact name", "client name",
    "member name", "guest name", "student name", "applicant name", "recipient name",
    "sender name", "cardholder name", "account holder", "beneficiary name", "username",
    "address", "addr", "street", "house number", "zip", "postcode", "postal", "date of birth",
    "dob", "birth date", "birthday", "place of birth", "birth place", "ip address", "ip addr",
    "client ip", "remote ip", "user ip", "gender", "sex", "ethnicity", "religion"};
constexpr std::string_view kPhiTerms[] = {
    "patient", "diagnosis", "diagnoses", "medical", "clinical", "medication", "prescription",
    "icd", "cpt", "mrn", "allergy", "allergies", "blood type", "blood group", "health condition",
    "health record", "health insurance", "health plan", "mental health", "treatment plan",
    "symptom", "lab result", "insurance member id", "insurance id", "disability", "vaccination",
    "immunization"};
constexpr std::string_view kFinancialTerms[] = {
    "salary", "salaries", "wage", "income", "compensation", "bonus", "payroll", "pay rate",
    "iban", "account number", "account no", "account num", "acct number", "acct no",
    "acct num", "bank account", "card number", "card no", "credit card", "debit card",
    "cc number", "cvv", "cvc", "routing number", "sort code", "bank", "swift", "bic",
    "credit score", "net worth"};
constexpr std::string_view kCredentialTerms[] = {
    "password", "passwd", "pwd", "passphrase", "authentication string", "api key", "apikey", "secret",
    "client secret", "secret key", "access key", "private key", "token", "access token", "auth token",
    "refresh token", "session token", "bearer token"};
// clang-format on

struct Term {
  std::string_view phrase;
  std::string glued;  // phrase without spaces: "dateofbirth"
  PiiKind kind;
};

// Column names glue words together ("homephone", "emailaddress", "zipcode"),
// so a term may carry one qualifier before it and one noun after it, plus a
// plural. Matching the whole glued word, never a substring, is what keeps
// "cellar" and "mailbox_size" from matching.
constexpr std::string_view kQualifiers[] = {
    "home",    "work",     "office",  "personal", "primary",  "secondary", "alt",
    "billing", "shipping", "mailing", "contact",  "customer", "user",
};
constexpr std::string_view kSuffixes[] = {"number", "num",     "no",   "nr",  "id",
                                          "code",   "address", "addr", "hash"};
constexpr std::string_view kPlurals[] = {"", "s", "es"};

// Aggregates over personal data are not personal data ("ip_address_count").
constexpr std::string_view kAggregateWords[] = {"count", "cnt",   "counts", "length",
                                                "len",   "ratio", "pct",    "percent"};
// Flags and categories about a contact detail do not identify anyone
// ("is_email_verified", "phone_type"); health flags ("has_allergy") still do.
constexpr std::string_view kFlagWords[] = {"is",  "has",   "verified", "valid",  "type",
                                           "opt", "optin", "consent",  "format", "domain"};
// Words that are personal only as the head noun: "customer_mobile" and
// "postal_code" are, "mobile_app_version" and "mail_sent_at" are not.
constexpr std::string_view kHeadOnlyTerms[] = {"mail", "mobile", "postal", "bank", "swift"};
constexpr std::size_t kMaxGluedLength = 48;

template <std::size_t N>
bool Contains(const std::string_view (&list)[N], std::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsUpper(c) || IsLower(c); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpper(char c) { return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

std::string_view Trim(std::string_view v) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = v.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return v.substr(first, v.find_last_not_of(kSpace) - first + 1);
}

// Non-ASCII bytes count as lowercase letters so UTF-8 names stay whole.
std::vector<std::string> SplitWords(std::string_view name) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool high = static_cast<unsigned char>(c) >= 0x80;
    if (!IsAlnum(c) && !high) {
      flush();
      continue;
    }
    if (!word.empty()) {
      const char prev = name[i - 1];
      const bool prev_digit = IsDigit(prev);
      const bool lower_to_upper = IsUpper(c) && !IsUpper(prev) && !prev_digit;
      // "IBANNumber": the last capital of a run starts the next word.
      const bool acronym_end =
          IsUpper(c) && IsUpper(prev) && i + 1 < name.size() && IsLower(name[i + 1]);
      if (prev_digit != IsDigit(c) || lower_to_upper || acronym_end) flush();
    }
    word.push_back(ToLower(c));
  }
  flush();
  return words;
}

bool GluedMatch(std::string_view glued, std::string_view term) {
  for (std::string_view prefix : kQualifiers) {
    if (glued.size() > prefix.size() && glued.starts_with(prefix) &&
        GluedMatch(glued.substr(prefix.size()), term)) {
      return true;
    }
  }
  if (!glued.starts_with(term)) return false;
  const std::string_view tail = glued.substr(term.size());
  for (std::string_view plural : kPlurals) {
    if (tail == plural) return true;
    for (std::string_view suffix : kSuffixes) {
      if (tail.size() == suffix.size() + plural.size() && tail.starts_with(suffix) &&
          tail.ends_with(plural)) {
        return true;
      }
    }
  }
  return false;
}

// Both indexed by PiiKind.
constexpr const char* kKindNames[] = {"none", "pii", "phi", "financial", "credential"};
// The most sensitive reading of a name wins.
constexpr int kSeverity[] = {0, 1, 3, 2, 4};
int Severity(PiiKind kind) { return kSeverity[static_cast<int>(kind)]; }

bool Suppressed(const std::vector<std::string>& words, std::size_t first, std::size_t last,
                const Term& term) {
  const PiiKind kind = term.kind;
  if (Contains(kHeadOnlyTerms, term.phrase)) {
    for (std::size_t k = last + 1; k < words.size(); ++k) {
      if (!IsDigit(words[k][0]) && !Contains(kSuffixes, words[k])) return true;
    }
  }
  for (std::size_t k = 0; k < words.size(); ++k) {
    if (k >= first && k <= last) continue;
    if (Contains(kAggregateWords, words[k])) return true;
    // "number_of_patients", "num_emails".
    if (k < first && (words[k] == "num" || words[k] == "number")) return true;
    if (kind != PiiKind::kPhi && Contains(kFlagWords, words[k])) return true;
  }
  return false;
}

bool EmailLocalChar(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~-.").find(c) != std::string_view::npos;
}

bool IsDateShape(const int* groups) {
  auto day_or_month = [](int n) { return n == 1 || n == 2; };
  return (groups[0] == 4 && day_or_month(groups[1]) && day_or_month(groups[2])) ||
         (day_or_month(groups[0]) && day_or_month(groups[1]) && groups[2] == 4);
}

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

struct ValueMatcher {
  bool (*matches)(std::string_view);
  PiiKind kind;
  const char* what;
};

// Most specific first: a column of 15-digit card numbers with dashes also
// passes as phone numbers, and every valid SSN is phone-shaped.
constexpr ValueMatcher kValueMatchers[] = {
    {LooksLikeCredential, PiiKind::kCredential, "password hashes, keys or tokens"},
    {LooksLikeCardNumber, PiiKind::kFinancial, "payment card numbers"},
    {LooksLikeIban, PiiKind::kFinancial, "IBANs"},
    {LooksLikeSsn, PiiKind::kPii, "US social security numbers"},
    {LooksLikeEmail, PiiKind::kPii, "e-mail addresses"},
    {LooksLikePhone, PiiKind::kPii, "phone numbers"},
};

}  // namespace

const char* PiiKindName(PiiKind kind) { return kKindNames[static_cast<int>(kind)]; }

PiiKind PiiKindFromName(std::string_view name) {
  std::string lower;
  for (char c : Trim(name)) lower.push_back(ToLower(c));
  for (PiiKind kind : {PiiKind::kPii, PiiKind::kPhi, PiiKind::kFinancial, PiiKind::kCredential}) {
    if (lower == PiiKindName(kind)) return kind;
  }
  return PiiKind::kNone;
}

PiiHit ClassifyColumnName(std::string_view column_name) {
  static const std::vector<Term> terms = [] {
    std::vector<Term> out;
    auto add = [&out](const auto& phrases, PiiKind kind) {
      for (std::string_view phrase : phrases) {
        std::string glued(phrase);
        std::erase(glued, ' ');
        out.push_back({phrase, std::move(glued), kind});
      }
    };
    add(kPiiTerms, PiiKind::kPii);
    add(kPhiTerms, PiiKind::kPhi);
    add(kFinancialTerms, PiiKind::kFinancial);
    add(kCredentialTerms, PiiKind::kCredential);
    return out;
  }();

  const std::vector<std::string> words = SplitWords(column_name);
  const Term* best = nullptr;
  for (std::size_t first = 0; first < words.size(); ++first) {
    std::string glued;
    for (std::size_t last = first; last < words.size(); ++last) {
      glued += words[last];
      if (glued.size() > kMaxGluedLength) break;
      for (const Term& term : terms) {
        if (!GluedMatch(glued, term.glued) || Suppressed(words, first, last, term)) {
          continue;
        }
        // "patient_email" is PHI; among equals the longest phrase is the most
        // specific reason.
        if (best == nullptr || Severity(term.kind) > Severity(best->kind) ||
            (term.kind == best->kind && term.phrase.size() > best->phrase.size())) {
          best = &term;
        }
      }
    }
  }
  if (best == nullptr) return {};
  return {best->kind, "name matches '" + std::string(best->phrase) + "'"};
}

PiiHit ClassifyValues(const std::vector<std::string>& sample) {
  std::array<int, std::size(kValueMatchers)> counts{};
  int non_empty = 0;
  for (const std::string& raw : sample) {
    const std::string_view value = Trim(raw);
    if (value.empty()) continue;
    ++non_empty;
    for (std::size_t m = 0; m < counts.size(); ++m) {
      if (kValueMatchers[m].matches(value)) ++counts[m];
    }
  }
  for (std::size_t m = 0; m < counts.size(); ++m) {
    if (counts[m] >= 3 && counts[m] * 2 >= non_empty) {
      return {kValueMatchers[m].kind, "values: " + std::to_string(counts[m]) + " of " +
                                          std::to_string(non_empty) + " sampled values look like " +
                                          kValueMatchers[m].what};
    }
  }
  return ClassifySpansInValues(sample);
}

bool LooksLikeEmail(std::string_view v) {
  v = Trim(v);
  const auto at = v.find('@');
  if (v.size() > 254 || at == std::string_view::npos || v.find('@', at + 1) != v.npos) {
    return false;
  }
  const std::string_view local = v.substr(0, at);
  const std::string_view domain = v.substr(at + 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != local.npos || !std::all_of(local.begin(), local.end(), EmailLocalChar)) {
    return false;
  }
  int labels = 0;
  std::string_view rest = domain;
  while (true) {
    const auto dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; })) {
      return false;
    }
    ++labels;
    if (dot == rest.npos) {
      // The top-level domain is letters only, so "a@10.0.0.1" is not an address.
      return labels >= 2 && label.size() >= 2 && std::all_of(label.begin(), label.end(), IsAlpha);
    }
    rest = rest.substr(dot + 1);
  }
}

bool LooksLikePhone(std::string_view v) {
  v = Trim(v);
  if (v.empty() || v.size() > 32) return false;
  const bool plus = v.front() == '+';
  std::size_t pos = plus ? 1 : 0;
  if (pos >= v.size() || !(IsDigit(v[pos]) || v[pos] == '(')) return false;

  constexpr int kMaxGroups = 16;
  int groups[kMaxGroups];
  int group_count = 0, digits = 0, current = 0, separator_run = 0, paren_group = -1;
  bool in_parens = false;
  char separator = 0;
  bool mixed_separators = false;
  for (; pos < v.size(); ++pos) {
    const char c = v[pos];
    if (IsDigit(c)) {
      ++current;
      ++digits;
      separator_run = 0;
      continue;
    }
    if (current > 0) {
      if (group_count == kMaxGroups) return false;
      groups[group_count++] = current;
      current = 0;
    }
    if (++separator_run > 2) return false;
    if (c == '(') {
      if (paren_group >= 0) return false;
      in_parens = true;
      paren_group = group_count;
    } else if (c == ')') {
      // The parentheses hold exactly one group of digits: "(555)".
      if (!in_parens || group_count != paren_group + 1) return false;
      in_parens = false;
    } else if (c == ' ' || c == '-' || c == '.') {
      const char prev = v[pos - 1];
      if (in_parens || prev == ' ' || prev == '-' || prev == '.') return false;
      if (separator != 0 && separator != c) mixed_separators = true;
      separator = c;
    } else {
      return false;
    }
  }
  if (current == 0 || in_parens || group_count == kMaxGroups) return false;
  groups[group_count++] = current;

  if (digits < 7 || digits > 15) return false;
  // Bare digit strings are more often ids, amounts or timestamps.
  if (!plus && group_count == 1) return false;
  for (int g = 1; g < group_count; ++g) {
    if (groups[g] < 2 && g != paren_group) return false;
  }
  if (!plus && paren_group < 0 && !mixed_separators) {
    if (separator == '.' && group_count == 2) return false;  // a decimal number
    if (group_count == 3 && IsDateShape(groups)) return false;
    if (separator == '.' && groups[0] <= 3 &&
        std::all_of(groups + 1, groups + group_count, [](int n) { return n == 3; })) {
      return false;  // "1.234.567", thousands grouping
    }
  }
  return true;
}

bool LooksLikeSsn(std::string_view v) {
  v = Trim(v);
  if (v.size() != 11 || v[3] != '-' || v[6] != '-') return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 3 && i != 6 && !IsDigit(v[i])) return false;
  }
  const std::string_view area = v.substr(0, 3);
  return area != "000" && area != "666" && area[0] != '9' && v.substr(4, 2) != "00" &&
         v.substr(7, 4) != "0000";
}

bool LooksLikeCardNumber(std::string_view v) {
  v = Trim(v);
  if (v.empty() || v.size() > 40 || !IsDigit(v.front()) || !IsDigit(v.back())) return false;
  std::string digits;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (IsDigit(c)) {
      digits.push_back(c);
    } else if ((c != ' ' && c != '-') || !IsDigit(v[i - 1])) {
      return false;  // also rejects doubled separators
    }
  }
  if (digits.size() < 13 || digits.size() > 19) return false;
  // All-same-digit strings ("0000000000000000") pass Luhn trivially.
  if (digits.find_first_not_of(digits[0]) == std::string::npos) return false;
  return LuhnValid(digits);
}

bool LooksLikeIban(std::string_view v) {
  v = Trim(v);
  if (v.size() > 50) return false;
  std::string iban;
  for (char c : v) {
    if (c == ' ') continue;
    if (!IsAlnum(c)) return false;
    iban.push_back(ToUpper(c));
  }
  if (iban.size() < 15 || iban.size() > 34 || !IsAlpha(iban[0]) || !IsAlpha(iban[1]) ||
      !IsDigit(iban[2]) || !IsDigit(iban[3])) {
    return false;
  }
  // Check digits are 02..98 by construction; 00, 01 and 99 never occur.
  const int check = (iban[2] - '0') * 10 + (iban[3] - '0');
  if (check < 2 || check > 98) return false;
  // ISO 13616: move the first four characters to the end, read letters as
  // 10..35, and the whole number mod 97 must be 1. Folded digit by digit so
  // no big integer is needed.
  std::rotate(iban.begin(), iban.begin() + 4, iban.end());
  int remainder = 0;
  for (char c : iban) {
    remainder =
        IsDigit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
  }
  return remainder == 1;
}

}  // namespace lakehouse::catalog
