#include "vector/text_index.h"

#include <sqlite3.h>

#include <cctype>
#include <unordered_set>

#include "common/files.h"

namespace lakehouse::vector {

struct TextIndex::Impl {
  sqlite3* db = nullptr;
  std::filesystem::path path;
  ~Impl() {
    if (db) sqlite3_close_v2(db);
  }
};

namespace {

struct Statement {
  sqlite3_stmt* handle = nullptr;
  ~Statement() {
    if (handle) sqlite3_finalize(handle);
  }
};

Status SqliteError(sqlite3* db, const std::string& what) {
  return Internal("full-text index: " + what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    return Internal(std::string("full-text index: ") + message);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<TextIndex>> TextIndex::OpenFile(const std::filesystem::path& path, int flags) {
  auto index = std::unique_ptr<TextIndex>(new TextIndex());
  index->impl_ = std::make_unique<Impl>();
  index->impl_->path = path;
  if (sqlite3_open_v2(path.c_str(), &index->impl_->db, flags | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    return SqliteError(index->impl_->db, "cannot open " + path.string());
  }
  // An append commits while searches read: they wait for it, not fail.
  sqlite3_busy_timeout(index->impl_->db, 10000);
  return index;
}

const char* TextStemmerName(TextStemmer stemmer) { return stemmer == TextStemmer::kPorter ? "porter" : "none"; }

std::optional<TextStemmer> ParseTextStemmer(std::string_view name) {
  if (name == "porter") return TextStemmer::kPorter;
  if (name == "none") return TextStemmer::kNone;
  return std::nullopt;
}

const char* StopWordsName(StopWords words) { return words == StopWords::kEnglish ? "english" : "none"; }

std::optional<StopWords> ParseStopWords(std::string_view name) {
  if (name == "english") return StopWords::kEnglish;
  if (name == "none") return StopWords::kNone;
  return std::nullopt;
}

namespace {

// Function words only: articles, auxiliaries, pronouns, prepositions,
// conjunctions, question words, and the pieces the tokenizer makes of
// contractions ("doesn't" -> "doesn", "t"). "not" and "no" stay: they
// change what a question asks.
bool IsEnglishStopWord(const std::string& lower) {
  static const std::unordered_set<std::string> kWords = {
      "a", "an", "the", "and", "or", "but", "nor", "if", "then", "else", "so", "than", "that", "this", "these",
      "those", "am", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "doing", "done",
      "have", "has", "had", "having", "can", "could", "shall", "should", "will", "would", "may", "might", "must",
      "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "you", "your", "yours", "he", "him", "his",
      "she", "her", "hers", "it", "its", "itself", "they", "them", "their", "theirs", "what", "which", "who",
      "whom", "whose", "when", "where", "why", "how", "of", "in", "on", "at", "by", "for", "from", "to", "into",
      "onto", "with", "within", "without", "about", "as", "via", "there", "here", "any", "some", "just", "please",
      "s", "t", "d", "ll", "m", "re", "ve", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won",
      "wouldn", "shouldn", "couldn", "cannot"};
  return kWords.count(lower) > 0;
}

}  // namespace

std::string FtsQuery(const std::string& text, StopWords stop_words) {
  // Each word as written (FTS5 quotes it so) and case-folded (to compare).
  struct Word {
    std::string text, folded;
  };
  std::vector<Word> words, kept;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    std::string folded = word;
    for (char& ch : folded) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    words.push_back({std::move(word), std::move(folded)});
    word.clear();
  };
  for (unsigned char c : text) {
    // Word bytes as FTS5's unicode61 tokenizer sees them; a quote cannot be
    // one, so nothing needs escaping inside the quoted term.
    if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  if (stop_words == StopWords::kEnglish) {
    for (const auto& w : words) {
      if (!IsEnglishStopWord(w.folded)) kept.push_back(w);
    }
  }
  // "The Who" is all stop words, and still a query.
  const auto& terms = kept.empty() ? words : kept;
  // Each word once, and a bounded number of them: FTS5's cost grows with
  // the terms of an OR (20,000 repeats of one word took 59 s).
  std::string out;
  std::unordered_set<std::string> seen;
  for (const auto& w : terms) {
    if (!seen.insert(w.folded).second) continue;
    if (seen.size() > kMaxQueryTerms) break;
    if (!out.empty()) out += " OR ";
    out += '"' + w.text + '"';
  }
  return out;
}

Result<std::unique_ptr<TextIndex>> TextIndex::Create(const std::filesystem::path& path, TextStemmer stemmer) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return Conflict("full-text index already exists: " + path.string());
  LH_ASSIGN_OR_RETURN(auto index, OpenFile(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  LH_RETURN_IF_ERROR(Exec(index->impl_->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"));
  LH_RETURN_IF_ERROR(Exec(index->impl_->db, stemmer == TextStemmer::kPorter
                                                ? "CREATE VIRTUAL TABLE chunks USING fts5(text, tokenize = 'porter unicode61')"
                                                : "CREATE VIRTUAL TABLE chunks USING fts5(text, tokenize = 'unicode61')"));
  return index;
}

Result<std::unique_ptr<TextIndex>> TextIndex::Open(const std::filesystem::path& path, bool writable) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Internal("full-text index missing: " + path.filename().string());
  if (writable) {
    LH_ASSIGN_OR_RETURN(auto index, OpenFile(path, SQLITE_OPEN_READWRITE));
    LH_RETURN_IF_ERROR(Exec(index->impl_->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"));
    return index;
  }
  // Read-write when it may be: the first reader after a crash in the middle
  // of an append rolls its journal back (a read-only one could not).
  auto index = OpenFile(path, SQLITE_OPEN_READWRITE);
  if (!index.ok()) index = OpenFile(path, SQLITE_OPEN_READONLY);
  return index;
}

TextIndex::~TextIndex() = default;

Status TextIndex::Add(const std::vector<int64_t>& labels, const std::vector<std::string>& texts) {
  sqlite3* db = impl_->db;
  LH_RETURN_IF_ERROR(Exec(db, "BEGIN"));
  Statement insert;
  if (sqlite3_prepare_v2(db, "INSERT INTO chunks(rowid, text) VALUES (?, ?)", -1, &insert.handle, nullptr) !=
      SQLITE_OK) {
    (void)Exec(db, "ROLLBACK");
    return SqliteError(db, "prepare insert");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    sqlite3_bind_int64(insert.handle, 1, labels[i]);
    sqlite3_bind_text(insert.handle, 2, texts[i].data(), static_cast<int>(texts[i].size()), SQLITE_STATIC);
    if (sqlite3_step(insert.handle) != SQLITE_DONE) {
      Status s = SqliteError(db, "insert");
      (void)Exec(db, "ROLLBACK");
      return s;
    }
    sqlite3_reset(insert.handle);
  }
  return Exec(db, "COMMIT");
}

Status TextIndex::Remove(const std::vector<int64_t>& labels) {
  sqlite3* db = impl_->db;
  LH_RETURN_IF_ERROR(Exec(db, "BEGIN"));
  Statement remove;
  if (sqlite3_prepare_v2(db, "DELETE FROM chunks WHERE rowid = ?", -1, &remove.handle, nullptr) != SQLITE_OK) {
    (void)Exec(db, "ROLLBACK");
    return SqliteError(db, "prepare delete");
  }
  for (int64_t label : labels) {
    sqlite3_bind_int64(remove.handle, 1, label);
    if (sqlite3_step(remove.handle) != SQLITE_DONE) {
      Status s = SqliteError(db, "delete");
      (void)Exec(db, "ROLLBACK");
      return s;
    }
    sqlite3_reset(remove.handle);
  }
  return Exec(db, "COMMIT");
}

Status TextIndex::RemoveFrom(int64_t first_label) {
  Statement remove;
  if (sqlite3_prepare_v2(impl_->db, "DELETE FROM chunks WHERE rowid >= ?", -1, &remove.handle, nullptr) != SQLITE_OK) {
    return SqliteError(impl_->db, "prepare delete");
  }
  sqlite3_bind_int64(remove.handle, 1, first_label);
  if (sqlite3_step(remove.handle) != SQLITE_DONE) return SqliteError(impl_->db, "delete");
  return Status::Ok();
}

Result<std::unique_ptr<TextIndex::PendingAppend>> TextIndex::BeginAppend(const std::filesystem::path& path,
                                                                          int64_t first_label,
                                                                          const std::vector<int64_t>& labels,
                                                                          const std::vector<std::string>& texts) {
  auto pending = std::make_unique<PendingAppend>();
  LH_ASSIGN_OR_RETURN(pending->index_, OpenFile(path, SQLITE_OPEN_READWRITE));
  sqlite3* db = pending->index_->impl_->db;
  // The file is shared with the served generation: a crash mid-way must
  // leave it as it was, so this one transaction is journalled and synced.
  LH_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"));
  LH_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  pending->open_ = true;  // rolled back by the destructor from here on
  // Segments are merged by MergeSegmentsInPlace, off the append's path
  // (FTS5 still merges by itself when a level reaches 16 segments).
  LH_RETURN_IF_ERROR(Exec(db, "INSERT INTO chunks(chunks, rank) VALUES ('automerge', 0)"));
  LH_RETURN_IF_ERROR(pending->index_->RemoveFrom(first_label));
  Statement insert;
  if (sqlite3_prepare_v2(db, "INSERT INTO chunks(rowid, text) VALUES (?, ?)", -1, &insert.handle, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db, "prepare insert");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    sqlite3_bind_int64(insert.handle, 1, labels[i]);
    sqlite3_bind_text(insert.handle, 2, texts[i].data(), static_cast<int>(texts[i].size()), SQLITE_STATIC);
    if (sqlite3_step(insert.handle) != SQLITE_DONE) return SqliteError(db, "insert");
    sqlite3_reset(insert.handle);
  }
  return pending;
}

Status TextIndex::PendingAppend::Commit() {
  if (!open_) return Internal("full-text index: no open append to commit");
  open_ = false;
  return Exec(index_->impl_->db, "COMMIT");
}

TextIndex::PendingAppend::~PendingAppend() {
  if (open_ && index_) (void)Exec(index_->impl_->db, "ROLLBACK");
}

Status TextIndex::MergeSegmentsInPlace(const std::filesystem::path& path) {
  LH_ASSIGN_OR_RETURN(auto index, OpenFile(path, SQLITE_OPEN_READWRITE));
  sqlite3* db = index->impl_->db;
  LH_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"));
  LH_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  // A negative count merges until no level has more than one segment.
  Status s = Exec(db, "INSERT INTO chunks(chunks, rank) VALUES ('merge', -1000)");
  if (!s.ok()) {
    (void)Exec(db, "ROLLBACK");
    return s;
  }
  return Exec(db, "COMMIT");
}

Status TextIndex::AppendInPlace(const std::filesystem::path& path, int64_t first_label,
                                const std::vector<int64_t>& labels, const std::vector<std::string>& texts) {
  LH_ASSIGN_OR_RETURN(auto pending, BeginAppend(path, first_label, labels, texts));
  return pending->Commit();
}

Status TextIndex::Finish() {
  LH_RETURN_IF_ERROR(Exec(impl_->db, "INSERT INTO chunks(chunks) VALUES ('optimize')"));
  if (sqlite3_close_v2(impl_->db) != SQLITE_OK) return SqliteError(impl_->db, "close");
  impl_->db = nullptr;
  return FsyncPath(impl_->path);
}

Result<std::vector<Hit>> TextIndex::Search(const std::string& query, size_t k, StopWords stop_words) const {
  std::vector<Hit> hits;
  std::string expression = FtsQuery(query, stop_words);
  if (expression.empty() || k == 0) return hits;
  Statement select;
  if (sqlite3_prepare_v2(impl_->db,
                         "SELECT rowid, bm25(chunks) FROM chunks WHERE chunks MATCH ? ORDER BY bm25(chunks) LIMIT ?",
                         -1, &select.handle, nullptr) != SQLITE_OK) {
    return SqliteError(impl_->db, "prepare search");
  }
  sqlite3_bind_text(select.handle, 1, expression.data(), static_cast<int>(expression.size()), SQLITE_STATIC);
  sqlite3_bind_int64(select.handle, 2, static_cast<sqlite3_int64>(k));
  int rc;
  while ((rc = sqlite3_step(select.handle)) == SQLITE_ROW) {
    hits.push_back({sqlite3_column_int64(select.handle, 0), static_cast<float>(-sqlite3_column_double(select.handle, 1))});
  }
  if (rc != SQLITE_DONE) return SqliteError(impl_->db, "search");
  return hits;
}

}  // namespace lakehouse::vector
