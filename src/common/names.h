// Names that come from users (datasets, buckets, indexes, columns) and how
// they reach SQL. Dataset, bucket and index names become file paths and SQL
// identifiers, so they are validated once at the edge; anything that reaches
// SQL is quoted with the helpers below, never concatenated raw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lakehouse {

// [A-Za-z_][A-Za-z0-9_]{0,127}. `what` names the thing in the error message
// ("dataset name", "bucket name").
Status ValidateName(std::string_view name, std::string_view what);

// Paths and other free text from users that reach the file system or SQL:
// no NUL (C APIs would cut the path there), no control characters, at most
// 4,096 bytes. `what` names it in the error ("bucket path").
Status ValidatePathText(std::string_view text, std::string_view what);

// Turns a file name like "Sales Report 2024.csv" into a valid name
// ("sales_report_2024"). Never empty: falls back to "dataset".
std::string NameFromFileName(std::string_view file_name);

// "a""b" quoting for identifiers and 'it''s' quoting for string literals.
// 1234567 -> "1,234,567", for counts in messages people read.
std::string GroupThousands(int64_t n);

std::string QuoteIdent(std::string_view ident);
// ASCII letters in lower case, the rest as is: how DuckDB folds unquoted names.
std::string AsciiLower(std::string_view text);
std::string QuoteLiteral(std::string_view value);

}  // namespace lakehouse
