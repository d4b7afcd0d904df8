// The orders table the ingest and export benches share: N rows of ids,
// e-mails, regions, amounts, quantities, timestamps and notes, as CSV.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/names.h"

namespace lakehouse::bench {

// A COPY statement that writes the table to `csv`.
inline std::string OrdersCsvSql(int64_t rows, const std::filesystem::path& csv) {
  return "COPY (SELECT range AS order_id, 'customer' || (range % 100000) || '@example.com' AS email, "
         "['EU','US','APAC','LATAM'][1 + range % 4] AS region, "
         "round(random() * 1000, 2) AS amount, (range % 9) + 1 AS quantity, "
         "TIMESTAMP '2024-01-01' + to_seconds(range) AS ordered_at, "
         "'note ' || md5(range::VARCHAR) AS note FROM range(" + std::to_string(rows) + ")) TO " +
         QuoteLiteral(csv.string()) + " (HEADER, DELIMITER ',')";
}

}  // namespace lakehouse::bench
