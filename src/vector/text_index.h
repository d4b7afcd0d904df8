// Full-text search over an index's chunks: a SQLite FTS5 table ranked by
// bm25, one database file per index generation. Used for mode "text" and,
// fused with the vector hits, "hybrid".
//
// A TextIndex opened for reading is safe for concurrent Search calls (SQLite
// serialized mode). Full builds and refreshes write their own copy of the
// file; an append adds its rows to the served file in one journalled
// transaction (AppendInPlace), which readers see whole or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vector/backend.h"

namespace lakehouse::vector {

// How chunk and query words are matched. porter: by English stem
// ("splitting" finds "split"); none: as written (case-folded). Fixed when
// the file is made: FTS5 stores the tokenizer with the table.
enum class TextStemmer { kNone, kPorter };
const char* TextStemmerName(TextStemmer stemmer);  // none, porter
std::optional<TextStemmer> ParseTextStemmer(std::string_view name);

// english: the function words of a question ("how", "do", "I", "the") are
// left out of a query that has other words, so they cannot decide its
// ranking; none: every word counts. Applied at search time.
enum class StopWords { kNone, kEnglish };
const char* StopWordsName(StopWords words);  // none, english
std::optional<StopWords> ParseStopWords(std::string_view name);

struct TextOptions {
  // New indexes' defaults; manifests from before these settings load as
  // none/none, which is how their files were built and searched.
  TextStemmer stemmer = TextStemmer::kPorter;
  StopWords stop_words = StopWords::kEnglish;
};

class TextIndex {
 public:
  // Creates a new empty index at `path` (which must not exist yet).
  static Result<std::unique_ptr<TextIndex>> Create(const std::filesystem::path& path, TextStemmer stemmer);
  // Opens an existing file; writable when `writable`.
  static Result<std::unique_ptr<TextIndex>> Open(const std::filesystem::path& path, bool writable);
  ~TextIndex();

  // In one transaction.
  Status Add(const std::vector<int64_t>& labels, const std::vector<std::string>& texts);
  Status Remove(const std::vector<int64_t>& labels);
  // Rows from `first_label` on: what an append that crashed before its
  // generation was published left behind.
  Status RemoveFrom(int64_t first_label);
  // Adds rows to the file at `path` in one durable transaction (journalled,
  // fsynced), first removing rows from `first_label` on. Rows a reader's
  // generation does not know are skipped by it, so readers may keep the
  // file open meanwhile.
  static Status AppendInPlace(const std::filesystem::path& path, int64_t first_label,
                              const std::vector<int64_t>& labels, const std::vector<std::string>& texts);
  // The same in two steps: the rows inserted in an open transaction (while
  // their vectors are being computed, say), then committed. Rolled back if
  // never committed.
  class PendingAppend {
   public:
    ~PendingAppend();
    Status Commit();

   private:
    friend class TextIndex;
    std::unique_ptr<TextIndex> index_;
    bool open_ = false;
  };
  // Merges the segments appends left (FTS5 'merge'), in one journalled
  // transaction like an append: appends do not merge as they commit (that
  // would put an FTS5 segment merge on the path to being searchable), so
  // the delta merge does it in the background.
  static Status MergeSegmentsInPlace(const std::filesystem::path& path);
  static Result<std::unique_ptr<PendingAppend>> BeginAppend(const std::filesystem::path& path, int64_t first_label,
                                                            const std::vector<int64_t>& labels,
                                                            const std::vector<std::string>& texts);
  // Flushes and closes, fsyncing the file; the object is unusable after.
  Status Finish();

  // Best first; score is -bm25 (higher is better). Words of `query` are
  // matched as terms (OR), so user text never reaches FTS5 syntax.
  Result<std::vector<Hit>> Search(const std::string& query, size_t k, StopWords stop_words) const;

 private:
  TextIndex() = default;
  static Result<std::unique_ptr<TextIndex>> OpenFile(const std::filesystem::path& path, int flags);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The most distinct words of a query that are matched.
inline constexpr size_t kMaxQueryTerms = 64;
// The query words as an FTS5 expression: "w1" OR "w2" ..., each word once (case
// folded), stop words left out unless nothing else is left, at most
// kMaxQueryTerms of them.
std::string FtsQuery(const std::string& text, StopWords stop_words);

}  // namespace lakehouse::vector
