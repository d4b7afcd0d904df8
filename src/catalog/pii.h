// PII detection for dataset columns: by the column's name and by sampled
// values. Pure functions, no I/O; the ingest pipeline feeds them the column
// names and a sample of each text column and stores what they find in the
// manifest (catalog/manifest.h), reasons included, so a reader can see why a
// column was flagged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lakehouse::catalog {

// kCredential: passwords, their hashes, keys and tokens (always restricted).
enum class PiiKind { kNone, kPii, kPhi, kFinancial, kCredential };

const char* PiiKindName(PiiKind kind);          // "none", "pii", "phi", "financial", "credential"
PiiKind PiiKindFromName(std::string_view name);  // unknown -> kNone

struct PiiHit {
  PiiKind kind = PiiKind::kNone;
  // What matched, for people: "name matches 'email'" or
  // "values: 48 of 50 sampled values are e-mail addresses".
  std::string reason;
  bool found() const { return kind != PiiKind::kNone; }
};

// Looks at the column name's words ("customer_email", "DateOfBirth",
// "ssn", "salary_usd", "diagnosis_code"...). Splits snake_case, camelCase,
// kebab-case and digits into words before matching so "address" matches
// "home_address" but "ip_address_count"-style false friends stay rare.
PiiHit ClassifyColumnName(std::string_view column_name);

// Looks at non-null sampled values of a text column. A kind is reported when
// a clear share of the non-empty values (at least half, and at least 3
// values) match one of: e-mail address, phone number, US SSN (ddd-dd-dddd),
// payment card number passing the Luhn check (13-19 digits, spaces or dashes
// allowed), IBAN passing the mod-97 check. Cards and IBANs are kFinancial;
// the rest kPii; whole-value secrets (LooksLikeCredential) are kCredential.
// Failing those, values that hold such things inside longer text are
// counted (ClassifySpansInValues, catalog/pii_spans.h).
PiiHit ClassifyValues(const std::vector<std::string>& sample);

// Single-value matchers, exposed for tests and for the value scan.
bool LooksLikeEmail(std::string_view v);
bool LooksLikePhone(std::string_view v);
bool LooksLikeSsn(std::string_view v);
bool LooksLikeCardNumber(std::string_view v);  // includes the Luhn check
bool LooksLikeIban(std::string_view v);        // includes the mod-97 check

}  // namespace lakehouse::catalog
