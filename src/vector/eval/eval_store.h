// Eval sets kept with their index: one JSON file per set under
// vectors/<index>/evalsets/ in the index's bucket, so they move, and are
// dropped, with it. Written atomically; a set is replaced as a whole.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "storage/object_store.h"
#include "vector/eval/eval_set.h"

namespace lakehouse::vector::eval {

// The folder (key prefix) of an index's eval sets; files there are not
// generation files, so sweeps and moves treat them apart.
std::string EvalSetsKey(const std::string& index);

struct EvalSetInfo {
  std::string name;
  size_t queries = 0;
  size_t labelled = 0;  // queries with a relevant document
};

// {"name", "queries": [{"id", "text", "relevant": {doc: grade}}]}: as stored, and as
// GET .../evalsets/{set} answers.
nlohmann::json EvalSetToJson(const EvalSet& set);

// Conflict when the set exists and `replace` is false.
Status SaveEvalSet(storage::ObjectStore& store, const std::string& index, const EvalSet& set, bool replace);
Result<EvalSet> LoadEvalSet(const storage::ObjectStore& store, const std::string& index, const std::string& name);
std::vector<EvalSetInfo> ListEvalSets(const storage::ObjectStore& store, const std::string& index);
Status DropEvalSet(storage::ObjectStore& store, const std::string& index, const std::string& name);

}  // namespace lakehouse::vector::eval
