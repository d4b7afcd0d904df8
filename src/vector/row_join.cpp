#include "vector/row_join.h"

#include "common/names.h"
#include "vector/index_builder.h"

namespace lakehouse::vector {

namespace {

bool IsIntegerType(const std::string& type) {
  static const char* kTypes[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"};
  for (const char* t : kTypes) {
    if (type == t) return true;
  }
  return false;
}

bool IsInteger(const std::string& text) {
  size_t start = !text.empty() && text[0] == '-' ? 1 : 0;
  if (text.size() <= start || text.size() > 20) return false;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// The hits' rows, compared in the id column's own type where it is text or
// an integer: a CAST of every row to VARCHAR would make the join a full
// conversion of the dataset (milliseconds at 100k rows).
std::string IdPredicate(const std::string& id_col, const std::string& type, const std::vector<SearchHit>& hits) {
  bool integers = IsIntegerType(type);
  for (const auto& h : hits) integers = integers && IsInteger(h.doc_id);
  std::string list;
  for (const auto& h : hits) list += (list.empty() ? "" : ", ") + (integers ? h.doc_id : QuoteLiteral(h.doc_id));
  if (integers || type == "VARCHAR") return id_col + " IN (" + list + ")";
  return "CAST(" + id_col + " AS VARCHAR) IN (" + list + ")";
}

size_t ColumnIndex(const std::vector<engine::ResultColumn>& columns, const std::string& name) {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].name == name) return c;
  }
  return 0;
}

}  // namespace

std::string RowJoiner::SelectList(const Result<catalog::Manifest>& dataset, const IndexManifest& index) const {
  bool text_in_dataset = dataset.ok() && dataset->FindColumn(index.text_column);
  return index.text_column == index.id_column || !text_in_dataset
             ? "*"
             : "* EXCLUDE (" + QuoteIdent(index.text_column) + ")";
}

Result<std::shared_ptr<const RowJoiner::Rows>> RowJoiner::Kept(const catalog::Manifest& dataset,
                                                               const IndexManifest& index) {
  if (dataset.row_count() > max_rows_ || dataset.row_count() > total_rows_) return std::shared_ptr<const Rows>();
  std::string key = index.dataset + "\n" + index.id_column + "\n" + index.text_column;
  std::string signature = DatasetSignature(dataset);
  std::lock_guard lock(mutex_);
  if (auto it = kept_.find(key); it != kept_.end() && it->second.signature == signature) return it->second.rows;
  engine::QueryRequest q;
  q.sql = "SELECT " + SelectList(dataset, index) + " FROM " + QuoteIdent(index.dataset);
  q.max_rows = max_rows_ + 1;
  q.uncapped = true;
  LH_ASSIGN_OR_RETURN(auto result, query_.Run(q));
  if (result.truncated || static_cast<int64_t>(result.rows.size()) > max_rows_) return std::shared_ptr<const Rows>();
  auto rows = std::make_shared<Rows>();
  rows->columns = result.columns;
  size_t id = ColumnIndex(result.columns, index.id_column);
  for (size_t r = 0; r < result.rows.size(); ++r) rows->by_id.emplace(result.Text(r, id), std::move(result.rows[r]));
  if (auto old = kept_.find(key); old != kept_.end()) {
    kept_rows_ -= static_cast<int64_t>(old->second.rows->by_id.size());
    kept_.erase(old);
  }
  if (kept_rows_ + static_cast<int64_t>(rows->by_id.size()) > total_rows_) {
    kept_.clear();
    kept_rows_ = 0;
  }
  kept_rows_ += static_cast<int64_t>(rows->by_id.size());
  kept_[key] = {signature, rows};
  return std::shared_ptr<const Rows>(rows);
}

Status RowJoiner::Join(const Result<catalog::Manifest>& dataset, const IndexManifest& index, SearchResponse& out) {
  if (dataset.ok()) {
    LH_ASSIGN_OR_RETURN(auto kept, Kept(*dataset, index));
    if (kept) {
      out.row_columns = kept->columns;
      for (auto& hit : out.hits) {
        if (auto it = kept->by_id.find(hit.doc_id); it != kept->by_id.end()) hit.row = it->second;
      }
      return Status::Ok();
    }
  }
  const catalog::ColumnMeta* id_meta = dataset.ok() ? dataset->FindColumn(index.id_column) : nullptr;
  engine::QueryRequest q;
  q.sql = "SELECT " + SelectList(dataset, index) + " FROM " + QuoteIdent(index.dataset) + " WHERE " +
          IdPredicate(QuoteIdent(index.id_column), id_meta ? id_meta->type : "", out.hits);
  LH_ASSIGN_OR_RETURN(auto rows, query_.Run(q));
  out.row_columns = rows.columns;
  size_t id = ColumnIndex(rows.columns, index.id_column);
  std::unordered_map<std::string, size_t> row_of;
  for (size_t r = 0; r < rows.rows.size(); ++r) row_of.emplace(rows.Text(r, id), r);
  for (auto& hit : out.hits) {
    if (auto it = row_of.find(hit.doc_id); it != row_of.end()) hit.row = rows.rows[it->second];
  }
  return Status::Ok();
}

}  // namespace lakehouse::vector
