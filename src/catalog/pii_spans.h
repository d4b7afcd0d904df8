// PII inside free text: where in a value an e-mail address, phone number,
// payment card number (Luhn), IBAN (mod 97), US SSN, IP address or secret
// (password hash, private key, JSON web token) sits, with its kind and byte
// offsets. The column scan counts values holding spans; the vector index
// redacts the spans from chunk text before embedding and from hits.
// Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/pii.h"

namespace lakehouse::catalog {

enum class SpanKind { kEmail, kPhone, kCard, kIban, kSsn, kIpAddress, kCredential };
const char* SpanKindName(SpanKind kind);  // "email", "phone", "card", "iban", "ssn", "ip_address", "credential"
PiiKind PiiKindOf(SpanKind kind);          // card, iban: financial; credential: credential; else pii

struct PiiSpan {
  SpanKind kind;
  size_t begin = 0, end = 0;  // bytes [begin, end) of the text
};

// Non-overlapping spans in text order. Candidates are checked as the
// whole-value matchers check them (Luhn, mod 97, SSN ranges), and a run of
// small space-separated numbers ("5 162 60") is not a phone number.
std::vector<PiiSpan> FindPiiSpans(std::string_view text);

// `text` with each span replaced by "[KIND]" ("[EMAIL]").
std::string RedactPiiSpans(std::string_view text, const std::vector<PiiSpan>& spans);

// A secret written as a whole value: bcrypt, argon2 and crypt(3) hashes,
// MySQL's *-prefixed hashes, PEM private keys, JSON web tokens.
bool LooksLikeCredential(std::string_view value);

// Counts sampled values that hold spans of each kind; a kind found in
// enough of them (at least 3 values and 5% of the non-empty ones) flags the
// column: "412 of 1,000 sampled values contain e-mail addresses".
PiiHit ClassifySpansInValues(const std::vector<std::string>& sample);

}  // namespace lakehouse::catalog
