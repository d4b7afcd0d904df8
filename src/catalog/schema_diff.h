// Schema evolution: what changed between two versions of a dataset's columns
// (added, removed, type changed, renamed), and migration rules derived from
// it (map, cast, concat, split, drop), each with a confidence in 0..1.
//
// Renames are found fuzzily: shared name parts (first_name ~ full_name), edit
// distance, the same type, and above all matching sampled values. What the
// heuristics cannot settle can be put to an LLM: BuildMigrationPrompt writes
// the question, ParseMigrationRules checks the JSON answer against the rule
// schema (an invalid answer is reported, never applied). Pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "catalog/manifest.h"

namespace lakehouse::catalog {

struct ColumnChange {
  std::string kind;  // added, removed, type_changed, renamed
  std::string column;      // the column in the new schema (the old one for removed)
  std::string old_column;  // for renamed
  std::string old_type, new_type;
  double confidence = 1.0;
  std::string reason;
};

struct MigrationRule {
  std::string kind;  // map, cast, concat, split, drop
  std::vector<std::string> from;  // old columns
  std::vector<std::string> to;    // new columns
  std::string expression;         // SQL over the old columns, when one applies
  double confidence = 1.0;
  std::string reason;
};

struct SchemaDiff {
  std::vector<ColumnChange> changes;
  std::vector<MigrationRule> rules;
  // Rules an LLM proposed for what the heuristics left open, after
  // validation; llm_status says what happened ("" when none was asked).
  std::vector<MigrationRule> llm_rules;
  std::string llm_status;
  bool empty() const { return changes.empty(); }
  // Added or removed columns that no rename explains.
  bool HasUnresolved() const;
  std::string Summary() const;  // "added: x; removed: y; renamed: a -> b (0.92)"
};

// Sampled values of each column, by column name (text form, NULLs left out).
using ColumnSamples = std::map<std::string, std::vector<std::string>>;

SchemaDiff DiffSchemas(const std::vector<ColumnMeta>& before, const std::vector<ColumnMeta>& after,
                       const ColumnSamples& before_samples, const ColumnSamples& after_samples);

// Below this a rename is not assumed (it is reported as removed + added).
constexpr double kRenameThreshold = 0.5;

std::string BuildMigrationPrompt(const std::string& dataset, const std::vector<ColumnMeta>& before,
                                 const std::vector<ColumnMeta>& after, const SchemaDiff& diff);
// {"rules": [{"kind": "map|cast|concat|split|drop", "from": [...], "to": [...],
//   "expression": "...", "confidence": 0.8, "reason": "..."}]}; every column
// named must exist on its side. InvalidArgument says what is wrong.
Result<std::vector<MigrationRule>> ParseMigrationRules(const std::string& json,
                                                       const std::vector<ColumnMeta>& before,
                                                       const std::vector<ColumnMeta>& after);

nlohmann::json SchemaDiffToJson(const SchemaDiff& diff);
SchemaDiff SchemaDiffFromJson(const nlohmann::json& j);

}  // namespace lakehouse::catalog
