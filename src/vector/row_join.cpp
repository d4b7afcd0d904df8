#include "vector/row_join.h"

#include <algorithm>
#include <unordered_set>

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

const std::vector<engine::Cell>* RowJoiner::Rows::Find(const std::string& id) const {
  for (const auto& segment : segments) {
    if (auto it = segment->find(id); it != segment->end()) return &it->second;
  }
  return nullptr;
}

Result<std::shared_ptr<RowJoiner::Segment>> RowJoiner::Load(const std::string& sql, const Rows* before,
                                                             const IndexManifest& index,
                                                             std::vector<engine::ResultColumn>* columns,
                                                             size_t max_rows) {
  engine::QueryRequest q;
  q.sql = sql;
  q.max_rows = static_cast<int64_t>(max_rows) + 1;
  q.uncapped = true;
  LH_ASSIGN_OR_RETURN(auto result, query_.Run(q));
  if (result.truncated || result.rows.size() > max_rows) return std::shared_ptr<Segment>();
  *columns = result.columns;
  auto segment = std::make_shared<Segment>();
  size_t id = ColumnIndex(result.columns, index.id_column);
  for (size_t r = 0; r < result.rows.size(); ++r) {
    std::string key = result.Text(r, id);
    if (before && before->Find(key)) continue;
    segment->emplace(std::move(key), std::move(result.rows[r]));
  }
  return segment;
}

Result<std::shared_ptr<const RowJoiner::Rows>> RowJoiner::Appended(const catalog::Manifest& dataset,
                                                                   const IndexManifest& index, const Rows& kept,
                                                                   const std::vector<std::string>& added) {
  auto store = buckets_.Get(dataset.bucket);
  if (!store.ok()) return std::shared_ptr<const Rows>();
  std::string files;
  for (const auto& key : added) {
    auto path = (*store)->LocalPath(key);
    if (!path) return std::shared_ptr<const Rows>();
    files += (files.empty() ? "" : ", ") + QuoteLiteral(path->string());
  }
  std::vector<engine::ResultColumn> columns;
  LH_ASSIGN_OR_RETURN(auto segment,
                      Load("SELECT " + SelectList(dataset, index) + " FROM read_parquet([" + files +
                               "], union_by_name = true)",
                           &kept, index, &columns, static_cast<size_t>(max_rows_) - kept.count));
  // Other columns (the schema grew) or types: the view's rows differ from
  // the kept ones in shape, so it is loaded whole.
  bool same = segment && columns.size() == kept.columns.size();
  for (size_t c = 0; same && c < columns.size(); ++c) {
    same = columns[c].name == kept.columns[c].name && columns[c].type == kept.columns[c].type;
  }
  if (!same) return std::shared_ptr<const Rows>();
  auto rows = std::make_shared<Rows>(kept);
  rows->count += segment->size();
  rows->segments.push_back(std::move(segment));
  return std::shared_ptr<const Rows>(rows);
}

Result<std::shared_ptr<const RowJoiner::Rows>> RowJoiner::Kept(const catalog::Manifest& dataset,
                                                               const IndexManifest& index) {
  if (dataset.row_count() > max_rows_ || dataset.row_count() > total_rows_) return std::shared_ptr<const Rows>();
  std::string key = index.dataset + "\n" + index.id_column + "\n" + index.text_column;
  std::string signature = DatasetSignature(dataset);
  std::vector<std::string> files;
  for (const auto& f : dataset.current().files) files.push_back(f.key);
  std::lock_guard lock(mutex_);
  auto it = kept_.find(key);
  if (it != kept_.end() && it->second.signature == signature) return it->second.rows;
  std::shared_ptr<const Rows> rows;
  if (it != kept_.end() && it->second.rows->segments.size() < kMaxSegments) {
    std::unordered_set<std::string> now(files.begin(), files.end()), before(it->second.files.begin(),
                                                                               it->second.files.end());
    bool appended = std::all_of(before.begin(), before.end(), [&](const auto& f) { return now.count(f) > 0; });
    std::vector<std::string> added;
    for (const auto& f : files) {
      if (!before.count(f)) added.push_back(f);
    }
    if (appended && !added.empty()) {
      LH_ASSIGN_OR_RETURN(rows, Appended(dataset, index, *it->second.rows, added));
    }
  }
  if (!rows) {
    std::vector<engine::ResultColumn> columns;
    LH_ASSIGN_OR_RETURN(auto segment, Load("SELECT " + SelectList(dataset, index) + " FROM " + QuoteIdent(index.dataset),
                                           nullptr, index, &columns, static_cast<size_t>(max_rows_)));
    if (!segment) return std::shared_ptr<const Rows>();
    auto whole = std::make_shared<Rows>();
    whole->columns = std::move(columns);
    whole->count = segment->size();
    whole->segments.push_back(std::move(segment));
    rows = std::move(whole);
  }
  if (it != kept_.end()) {
    kept_rows_ -= static_cast<int64_t>(it->second.rows->count);
    kept_.erase(it);
  }
  if (kept_rows_ + static_cast<int64_t>(rows->count) > total_rows_) {
    kept_.clear();
    kept_rows_ = 0;
  }
  kept_rows_ += static_cast<int64_t>(rows->count);
  kept_[key] = {signature, std::move(files), rows};
  return rows;
}

Status RowJoiner::Join(const Result<catalog::Manifest>& dataset, const IndexManifest& index, SearchResponse& out) {
  if (dataset.ok()) {
    LH_ASSIGN_OR_RETURN(auto kept, Kept(*dataset, index));
    if (kept) {
      out.row_columns = kept->columns;
      for (auto& hit : out.hits) {
        if (const auto* row = kept->Find(hit.doc_id)) hit.row = *row;
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
