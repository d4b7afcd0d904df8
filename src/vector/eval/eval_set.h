// An evaluation set: queries, each with the documents judged relevant (and
// their grades) when it is labelled. Read from BEIR's layout: queries as
// `query_id <TAB> text` (TSV) or JSON lines {"_id", "text"}; judgements as
// `query_id <TAB> doc_id <TAB> grade` (TSV, an optional header line) or
// JSON lines {"query-id", "corpus-id", "score"}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vector/eval/metrics.h"

namespace lakehouse::vector::eval {

struct EvalQuery {
  std::string id;
  std::string text;
  Judgements relevant;  // empty: unlabelled
};

struct EvalSet {
  std::string name;
  std::vector<EvalQuery> queries;
  bool Labelled() const;  // some query has a relevant document
};

// Queries and judgements in BEIR's layout, TSV or JSON lines (told apart
// by the first non-blank character). Errors name the line and say what is
// wrong. Judgements of queries the set does not have are refused.
Result<EvalSet> ParseBeir(std::string name, std::string_view queries, std::string_view qrels);

// BEIR's TSV corpus (doc_id<TAB>text) as a CSV with columns doc_id and
// answer, quoted so that the ingest reads every text as it is: how the
// FAQ set becomes a dataset (bench/faq_bench and the quality test).
std::string CorpusTsvAsCsv(std::string_view tsv);

}  // namespace lakehouse::vector::eval
