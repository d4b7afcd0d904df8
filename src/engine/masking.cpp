#include "engine/masking.h"

#include <duckdb.h>

#include <algorithm>
#include <cctype>

#include "catalog/pii.h"
#include "common/names.h"

namespace lakehouse::engine {

namespace {

// Every digit but the last `keep` becomes '*'; separators stay.
std::string HideDigits(std::string_view value, size_t keep) {
  size_t digits = static_cast<size_t>(std::count_if(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }));
  std::string out(value);
  size_t seen = 0;
  for (char& c : out) {
    if (!std::isdigit(static_cast<unsigned char>(c))) continue;
    if (seen++ + keep < digits) c = '*';
  }
  return out;
}

bool Masks(const catalog::ColumnMeta& column) {
  return column.is_pii || column.sensitivity == catalog::Sensitivity::kRestricted;
}

// Table functions a masked caller may call: they make values, or describe
// the catalog (names and types, never stored values).
constexpr std::string_view kMaskedFunctions[] = {
    "range", "generate_series", "unnest", "json_each", "json_tree", "duckdb_tables", "duckdb_views",
    "duckdb_columns", "duckdb_schemas", "duckdb_databases", "duckdb_functions", "duckdb_types", "duckdb_keywords",
    "duckdb_constraints", "duckdb_indexes", "pragma_table_info", "pragma_show",
    "pragma_version", "pragma_platform"};
// PRAGMAs that show names and types; storage_info shows each column's
// minimum and maximum as stored, database_size nothing a reader needs.
constexpr std::string_view kMaskedPragmas[] = {"table_info", "show", "show_tables", "show_tables_expanded",
                                               "show_databases", "database_list", "version", "platform",
                                               "functions", "collations"};
// Schemas a masked caller may name: its own views and DuckDB's metadata.
constexpr std::string_view kMaskedSchemas[] = {kMaskedSchema, "main", "information_schema", "pg_catalog"};
constexpr std::string_view kMaskedCatalogs[] = {"", "memory", "system", "temp"};

template <size_t N>
bool In(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

// A dataset view's name: a dataset name, perhaps with "@vN". Anything else
// unqualified may be a file DuckDB would scan by its name.
bool PlainName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '@';
  });
}

Status Refuse(const std::string& what) {
  return PermissionDenied(what +
                          ": this key sees PII and restricted columns masked, so its SQL reads datasets only by "
                          "their names (a key with the pii grant may do more: lakehouse auth key create --grant pii)");
}

void Mask(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
  auto* values = static_cast<duckdb_string_t*>(duckdb_vector_get_data(in));
  uint64_t* valid = duckdb_vector_get_validity(in);
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  for (idx_t i = 0; i < rows; ++i) {
    if (valid && !duckdb_validity_row_is_valid(valid, i)) {
      duckdb_validity_set_row_invalid(out_valid, i);
      continue;
    }
    std::string masked = MaskValue({duckdb_string_t_data(&values[i]), duckdb_string_t_length(values[i])});
    duckdb_vector_assign_string_element_len(output, i, masked.data(), masked.size());
  }
}

}  // namespace

std::string MaskValue(std::string_view value) {
  if (value.empty()) return "";
  // A value with space around it is the same value to the matchers.
  size_t start = value.find_first_not_of(" \t\r\n"), end = value.find_last_not_of(" \t\r\n");
  std::string_view v = start == std::string_view::npos ? value : value.substr(start, end - start + 1);
  if (catalog::LooksLikeEmail(v)) {
    size_t at = v.rfind('@');
    // The first character when it is ASCII: a byte of a UTF-8 sequence alone is not text.
    std::string first = static_cast<unsigned char>(v[0]) < 0x80 ? std::string(1, v[0]) : "*";
    return first + "***" + std::string(v.substr(at));
  }
  if (catalog::LooksLikeCardNumber(v)) return HideDigits(v, 4);
  if (catalog::LooksLikeSsn(v)) return HideDigits(v, 4);
  if (catalog::LooksLikeIban(v)) {
    std::string out(v);
    size_t alnum = static_cast<size_t>(std::count_if(out.begin(), out.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }));
    size_t seen = 0;
    for (char& c : out) {
      if (!std::isalnum(static_cast<unsigned char>(c))) continue;
      ++seen;
      if (seen > 2 && seen + 4 <= alnum) c = '*';  // the country stays, and the last four
    }
    return out;
  }
  if (catalog::LooksLikePhone(v)) return HideDigits(v, 2);
  return "***";
}

std::set<std::string> MaskedColumns(const catalog::Manifest& dataset, const catalog::DatasetVersion& version) {
  std::set<std::string> out;
  auto add = [&](const std::vector<catalog::ColumnMeta>& columns) {
    for (const auto& c : columns) {
      if (!Masks(c)) continue;
      out.insert(AsciiLower(c.name));
      if (!c.renamed_from.empty()) out.insert(AsciiLower(c.renamed_from));
    }
  };
  add(dataset.columns);
  add(version.columns);
  return out;
}

std::string MaskedSelectList(const std::vector<std::pair<std::string, std::string>>& columns,
                             const std::set<std::string>& masked) {
  // Named one by one, never "*": a column a later version adds stays out
  // of the masked view until the view is built again with its flags.
  std::string list;
  for (const auto& [name, type] : columns) {
    std::string col = QuoteIdent(name);
    std::string shown = col;
    if (masked.count(AsciiLower(name))) {
      shown = (type == "VARCHAR" ? "main.lh_mask(" + col + ")" : "CAST(NULL AS " + type + ")") + " AS " + col;
    }
    list += (list.empty() ? "" : ", ") + shown;
  }
  return list;
}

Status CheckMaskedReads(const SqlReads& reads) {
  if (!reads.pragma.empty() && !In(kMaskedPragmas, reads.pragma)) return Refuse("PRAGMA " + reads.pragma + " is not allowed");
  for (const auto& fn : reads.functions) {
    if (!In(kMaskedFunctions, fn)) return Refuse(fn + "() is not allowed");
  }
  for (const auto& ref : reads.refs) {
    if (!ref.schema.empty() || !ref.catalog.empty()) {
      if (!In(kMaskedSchemas, AsciiLower(ref.schema)) || !In(kMaskedCatalogs, AsciiLower(ref.catalog))) {
        std::string written = (ref.catalog.empty() ? "" : ref.catalog + ".") + ref.schema + "." + ref.name;
        return Refuse("'" + written + "' names a schema");
      }
      continue;
    }
    // Even a CTE's name: outside its WITH (or inside its own definition)
    // DuckDB reads a name that looks like a file as that file.
    if (!PlainName(ref.name)) return Refuse("'" + ref.name + "' is not a dataset's name (files cannot be read directly)");
  }
  return Status::Ok();
}

namespace internal {

bool RegisterMaskFunction(void* connection) {
  duckdb_scalar_function fn = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(fn, "lh_mask");
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_scalar_function_add_parameter(fn, varchar);
  duckdb_scalar_function_set_return_type(fn, varchar);
  duckdb_destroy_logical_type(&varchar);
  duckdb_scalar_function_set_function(fn, Mask);
  bool ok = duckdb_register_scalar_function(static_cast<duckdb_connection>(connection), fn) == DuckDBSuccess;
  duckdb_destroy_scalar_function(&fn);
  return ok;
}

}  // namespace internal

}  // namespace lakehouse::engine
