#include "vector/build_steps.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "catalog/pii_spans.h"
#include "common/files.h"
#include "common/names.h"
#include "vector/chunker.h"

namespace lakehouse::vector::build {

std::vector<std::string> FileKeys(const catalog::Manifest& dataset) {
  std::vector<std::string> keys;
  if (dataset.versions.empty()) return keys;
  for (const auto& f : dataset.current().files) keys.push_back(f.key);
  return keys;
}

Result<std::vector<SourceDoc>> ReadDocs(engine::Connection& conn, const BuildInputs& in,
                                        const std::vector<std::string>& keys, int64_t* duplicates) {
  std::vector<SourceDoc> docs;
  std::string files;
  for (const auto& key : keys) {
    auto path = in.dataset_store->LocalPath(key);
    if (!path) return Internal("dataset file " + key + " is not on a local bucket");
    files += (files.empty() ? "" : ", ") + QuoteLiteral(path->string());
  }
  if (files.empty()) return docs;
  std::string id = QuoteIdent(in.settings.id_column), text = QuoteIdent(in.settings.text_column);
  LH_ASSIGN_OR_RETURN(auto table,
                      conn.QueryColumnar("SELECT CAST(" + id + " AS VARCHAR) AS doc_id, coalesce(CAST(" + text +
                                         " AS VARCHAR), '') AS text, md5(coalesce(CAST(" + text +
                                         " AS VARCHAR), '')) AS hash FROM read_parquet([" + files +
                                         "], union_by_name = true) WHERE " + id + " IS NOT NULL"));
  auto& ids = table.columns[0].text;
  auto& texts = table.columns[1].text;
  auto& hashes = table.columns[2].text;
  std::unordered_set<std::string> seen;
  docs.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!seen.insert(ids[i]).second) {
      ++*duplicates;
      continue;
    }
    docs.push_back({std::move(ids[i]), std::move(texts[i]), std::move(hashes[i])});
  }
  return docs;
}

Result<std::unordered_set<std::string>> IdsAlreadyIn(engine::Connection& conn, const BuildInputs& in,
                                                     const std::vector<std::string>& before,
                                                     const std::vector<std::string>& added) {
  std::unordered_set<std::string> ids;
  if (before.empty() || added.empty()) return ids;
  auto list = [&](const std::vector<std::string>& keys) -> Result<std::string> {
    std::string files;
    for (const auto& key : keys) {
      auto path = in.dataset_store->LocalPath(key);
      if (!path) return Internal("dataset file " + key + " is not on a local bucket");
      files += (files.empty() ? "" : ", ") + QuoteLiteral(path->string());
    }
    return files;
  };
  LH_ASSIGN_OR_RETURN(auto old_files, list(before));
  LH_ASSIGN_OR_RETURN(auto new_files, list(added));
  std::string id = "CAST(" + QuoteIdent(in.settings.id_column) + " AS VARCHAR)";
  LH_ASSIGN_OR_RETURN(auto table,
                      conn.QueryColumnar("SELECT " + id + " AS doc_id FROM read_parquet([" + new_files +
                                         "], union_by_name = true) INTERSECT SELECT " + id + " FROM read_parquet([" +
                                         old_files + "], union_by_name = true)"));
  for (auto& value : table.columns[0].text) ids.insert(std::move(value));
  return ids;
}

bool IsBlank(const std::string& text) {
  for (unsigned char c : text) {
    if (!std::isspace(c)) return false;
  }
  return true;
}

// Chunks `docs` into a batch labelled from `first_label` on.
// `chunk`'s text with the document's spans that reach into it as their kind
// (clipped to it); "" when none do.
std::string RedactedChunk(const Chunk& chunk, const std::vector<catalog::PiiSpan>& spans) {
  std::vector<catalog::PiiSpan> inside;
  for (const auto& s : spans) {
    if (s.end <= chunk.begin || s.begin >= chunk.end) continue;
    inside.push_back({s.kind, std::max(s.begin, chunk.begin) - chunk.begin, std::min(s.end, chunk.end) - chunk.begin});
  }
  return inside.empty() ? std::string() : catalog::RedactPiiSpans(chunk.text, inside);
}

Batch ChunkDocs(const std::vector<const SourceDoc*>& docs, const ChunkOptions& options, int64_t first_label,
                bool redact_for_embedder) {
  Batch batch;
  int64_t label = first_label;
  for (const SourceDoc* doc : docs) {
    // Spans are found in the whole text: a chunk boundary must not cut a card
    // number into pieces that no longer look like one. Offsets are then in
    // the redacted text.
    std::string redacted;
    if (options.redact_pii_spans) {
      auto spans = catalog::FindPiiSpans(doc->text);
      if (!spans.empty()) redacted = catalog::RedactPiiSpans(doc->text, spans);
    }
    // Already redacted for storage, or allowed: nothing more to keep back.
    const bool hide = redact_for_embedder && !options.redact_pii_spans;
    std::vector<catalog::PiiSpan> embed_spans;
    if (hide) embed_spans = catalog::FindPiiSpans(doc->text);
    for (auto& chunk : ChunkText(doc->id, redacted.empty() ? doc->text : redacted, options)) {
      if (hide) batch.embed_texts.push_back(RedactedChunk(chunk, embed_spans));
      batch.labels.push_back(label++);
      batch.rows.push_back({doc->id, chunk.index, static_cast<int64_t>(chunk.begin), static_cast<int64_t>(chunk.end),
                            std::move(chunk.text), doc->hash});
    }
  }
  return batch;
}

// Embeds every chunk of the batch on `threads` threads, in requests of the
// embedder's batch size, reporting progress from the calling thread.
Status EmbedBatch(Batch& batch, ai::Embedder& embedder, int threads, const ProgressFn& progress) {
  const size_t n = batch.rows.size();
  const size_t d = static_cast<size_t>(embedder.dimension());
  batch.vectors.assign(n * d, 0.0f);
  const size_t step = 64;
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  Status error;
  auto work = [&] {
    while (!failed) {
      size_t start = next.fetch_add(step);
      if (start >= n) return;
      size_t end = std::min(n, start + step);
      std::vector<std::string> texts;
      for (size_t i = start; i < end; ++i) {
        const bool hidden = i < batch.embed_texts.size() && !batch.embed_texts[i].empty();
        texts.push_back(hidden ? batch.embed_texts[i] : batch.rows[i].text);
      }
      auto vectors = embedder.Embed(texts);
      if (vectors.ok() && vectors->size() != texts.size()) vectors = Internal("the embedder returned too few vectors");
      if (!vectors.ok()) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) error = vectors.status();
        return;
      }
      for (size_t i = 0; i < texts.size(); ++i) {
        if ((*vectors)[i].size() != d) {
          std::lock_guard lock(error_mutex);
          if (!failed.exchange(true)) error = Internal("the embedder returned a vector of another dimension");
          return;
        }
        std::copy((*vectors)[i].begin(), (*vectors)[i].end(), batch.vectors.begin() + (start + i) * d);
      }
      done.fetch_add(end - start);
    }
  };
  std::vector<std::thread> pool;
  // On 2 cores, two threads calling use-lite made 120-token texts 0.73x as
  // fast as one (docs/benchmarks.md): its sgemm calls queue for one pool.
  if (embedder.uses_all_cores()) threads = 1;
  for (int t = 0; t < std::max(1, threads); ++t) pool.emplace_back(work);
  auto started = Clock::now();
  auto last = started;
  while (progress && done.load() < n && !failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (Clock::now() - last < std::chrono::milliseconds(250)) continue;
    last = Clock::now();
    double seconds = MillisSince(started) / 1000.0;
    size_t now = done.load();
    double rate = seconds > 0 ? now / seconds : 0;
    progress({BuildPhase::kEmbedding, now, n, rate, rate > 0 ? (n - now) / rate : -1});
  }
  for (auto& t : pool) t.join();
  if (failed) return error;
  if (progress) progress({BuildPhase::kEmbedding, n, n, MillisSince(started) > 0 ? n / (MillisSince(started) / 1000.0) : 0, 0});
  return Status::Ok();
}

engine::ColumnarTable ToColumnar(const Batch& batch, int dimension) {
  engine::ColumnarTable t;
  t.columns = {engine::ColumnarColumn::Int64("label"),       engine::ColumnarColumn::Text("doc_id"),
               engine::ColumnarColumn::Int64("chunk_index"), engine::ColumnarColumn::Int64("begin"),
               engine::ColumnarColumn::Int64("end"),         engine::ColumnarColumn::Text("text"),
               engine::ColumnarColumn::Text("doc_hash"),     engine::ColumnarColumn::FloatArray("vector", dimension, /*as_blob=*/true)};
  t.columns[0].ints = batch.labels;
  for (const auto& r : batch.rows) {
    t.columns[1].text.push_back(r.doc_id);
    t.columns[2].ints.push_back(r.chunk_index);
    t.columns[3].ints.push_back(r.begin);
    t.columns[4].ints.push_back(r.end);
    t.columns[5].text.push_back(r.text);
    t.columns[6].text.push_back(r.doc_hash);
  }
  t.columns[7].floats = batch.vectors;
  return t;
}

WrittenFiles::~WrittenFiles() {
  for (const auto& key : keys_) (void)store_.Delete(key);
}

Result<std::filesystem::path> LocalPathOf(const storage::ObjectStore& store, const std::string& key) {
  auto path = store.LocalPath(key);
  if (!path) return Internal("index bucket is not local: " + key);
  return *path;
}

Status WritePart(engine::Connection& conn, storage::ObjectStore& store, const Batch& batch, int dimension,
                 const std::string& key, WrittenFiles& written) {
  LH_RETURN_IF_ERROR(EnsureDirectory(store.StagingDir()));
  fs::path staged = UniqueTempPath(store.StagingDir(), "embeddings");
  TempFileGuard guard(staged);
  LH_RETURN_IF_ERROR(conn.WriteParquet(ToColumnar(batch, dimension), staged));
  LH_RETURN_IF_ERROR(store.PutStaged(staged, key));
  guard.Release();
  written.Add(key);
  return Status::Ok();
}

// Saves the backend's file (if it has one) and returns its checksum.
Result<std::optional<uint32_t>> WriteBackend(const VectorBackend& backend, storage::ObjectStore& store,
                                             const std::string& key, WrittenFiles& written) {
  if (!backend.HasFile()) return std::optional<uint32_t>();
  LH_ASSIGN_OR_RETURN(auto path, LocalPathOf(store, key));
  LH_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
  written.Add(key);
  LH_RETURN_IF_ERROR(backend.Save(path));
  LH_ASSIGN_OR_RETURN(uint32_t crc, Crc32File(path));
  return std::optional<uint32_t>(crc);
}

// The raw vectors of a batch, for the backends that search or re-rank them.
std::shared_ptr<VectorStore> StoreOf(const Batch& batch, int dim) {
  auto store = std::make_shared<VectorStore>(dim);
  store->Reserve(batch.labels.size());
  store->Add(batch.vectors.data(), batch.labels);
  return store;
}

// Builds the full-text index for generation `key`: from scratch, or from a
// copy of `base` with `removed` taken out, then `batch` added.
Result<std::unique_ptr<TextIndex>> WriteText(storage::ObjectStore& store, const std::string& key, TextStemmer stemmer,
                                            const std::string& base, const std::vector<int64_t>& removed,
                                            int64_t first_new_label, const Batch& batch, WrittenFiles& written) {
  LH_ASSIGN_OR_RETURN(auto path, LocalPathOf(store, key));
  LH_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
  fs::path tmp = UniqueTempPath(path.parent_path(), "fts");
  TempFileGuard guard(tmp);
  std::unique_ptr<TextIndex> text;
  if (base.empty()) {
    LH_ASSIGN_OR_RETURN(text, TextIndex::Create(tmp, stemmer));
  } else {
    LH_ASSIGN_OR_RETURN(auto base_path, LocalPathOf(store, base));
    std::error_code ec;
    fs::copy_file(base_path, tmp, ec);
    if (ec) return Internal("cannot copy the full-text index: " + ec.message());
    LH_ASSIGN_OR_RETURN(text, TextIndex::Open(tmp, true));
    LH_RETURN_IF_ERROR(text->Remove(removed));
    LH_RETURN_IF_ERROR(text->RemoveFrom(first_new_label));
  }
  std::vector<std::string> texts;
  texts.reserve(batch.rows.size());
  for (const auto& r : batch.rows) texts.push_back(r.text);
  LH_RETURN_IF_ERROR(text->Add(batch.labels, texts));
  LH_RETURN_IF_ERROR(text->Finish());
  LH_RETURN_IF_ERROR(AtomicMoveInto(tmp, path));
  guard.Release();
  written.Add(key);
  return TextIndex::Open(path, false);
}

Result<std::string> PartList(const storage::ObjectStore& store, const std::vector<std::string>& keys) {
  std::string list;
  for (const auto& key : keys) {
    LH_ASSIGN_OR_RETURN(auto path, LocalPathOf(store, key));
    list += (list.empty() ? "" : ", ") + QuoteLiteral(path.string());
  }
  return list;
}

// The live chunks of generation `g`, vectors included, minus `removed`.
// Part by part: parts written by different versions may store the vector
// differently (FLOAT[n] or BLOB), which one read_parquet cannot merge.
Status ReadLiveChunks(engine::Connection& conn, const storage::ObjectStore& store, const IndexGeneration& g,
                      const std::vector<int64_t>& removed, Batch& out) {
  std::unordered_set<int64_t> gone(g.deleted_labels.begin(), g.deleted_labels.end());
  gone.insert(removed.begin(), removed.end());
  const size_t d = static_cast<size_t>(g.dimension);
  for (const auto& key : g.embedding_files) {
    LH_ASSIGN_OR_RETURN(auto part, PartList(store, {key}));
    LH_ASSIGN_OR_RETURN(auto table, conn.QueryColumnar("SELECT label, doc_id, chunk_index, \"begin\", \"end\", text, "
                                                       "doc_hash, vector FROM read_parquet([" + part + "])"));
    const auto* vectors = table.Find("vector");
    if (table.rows() == 0) continue;
    if (!vectors || vectors->dimension != g.dimension) return Internal("stored vectors do not match the index");
    for (size_t i = 0; i < table.rows(); ++i) {
      int64_t label = table.columns[0].ints[i];
      if (gone.count(label)) continue;
      out.labels.push_back(label);
      out.rows.push_back({std::move(table.columns[1].text[i]), table.columns[2].ints[i], table.columns[3].ints[i],
                          table.columns[4].ints[i], std::move(table.columns[5].text[i]),
                          std::move(table.columns[6].text[i])});
      out.vectors.insert(out.vectors.end(), vectors->floats.begin() + i * d, vectors->floats.begin() + (i + 1) * d);
    }
  }
  return Status::Ok();
}

std::vector<std::string> MainParts(const IndexGeneration& g) {
  return {g.embedding_files.begin(), g.embedding_files.end() - g.delta_parts};
}
std::vector<std::string> DeltaParts(const IndexGeneration& g) {
  return {g.embedding_files.end() - g.delta_parts, g.embedding_files.end()};
}

Result<std::shared_ptr<VectorStore>> ReadStoredVectors(engine::Connection& conn, const storage::ObjectStore& store,
                                                       const IndexGeneration& g, const std::vector<std::string>& parts) {
  std::unordered_set<int64_t> gone(g.deleted_labels.begin(), g.deleted_labels.end());
  auto vectors = std::make_shared<VectorStore>(g.dimension);
  vectors->Reserve(static_cast<size_t>(std::max<int64_t>(g.chunk_count, 0)));
  for (const auto& key : parts) {
    LH_ASSIGN_OR_RETURN(auto part, PartList(store, {key}));
    LH_ASSIGN_OR_RETURN(auto table, conn.QueryColumnar("SELECT label, vector FROM read_parquet([" + part + "])"));
    const auto* column = table.Find("vector");
    if (table.rows() == 0) continue;
    if (!column || column->dimension != g.dimension) return Internal("stored vectors do not match the index");
    const size_t d = static_cast<size_t>(g.dimension);
    for (size_t i = 0; i < table.rows(); ++i) {
      int64_t label = table.columns[0].ints[i];
      if (!gone.count(label)) vectors->Add(column->floats.data() + i * d, std::span<const int64_t>(&label, 1));
    }
  }
  return vectors;
}

Result<std::shared_ptr<const VectorStore>> NextVectors(engine::Connection& conn, const BuildInputs& in,
                                                       const IndexGeneration& g, const LoadedIndex& current,
                                                       const std::vector<int64_t>& removed, const Batch& added) {
  if (!TypeOf(g.backend.kind).needs_vectors) return std::shared_ptr<const VectorStore>();
  std::shared_ptr<VectorStore> copy;
  if (current.vectors) {
    copy = std::make_shared<VectorStore>(*current.vectors);
  } else {
    LH_ASSIGN_OR_RETURN(copy, ReadStoredVectors(conn, *in.index_store, g, MainParts(g)));
  }
  copy->Remove(removed);
  copy->Add(added.vectors.data(), added.labels);
  return std::shared_ptr<const VectorStore>(std::move(copy));
}

Result<std::unique_ptr<VectorBackend>> LoadBackend(engine::Connection& conn, const storage::ObjectStore& store,
                                                   const IndexGeneration& g, size_t extra,
                                                   std::shared_ptr<const VectorStore>* vectors) {
  const BackendType& type = TypeOf(g.backend.kind);
  if (type.needs_vectors && !*vectors) {
    LH_ASSIGN_OR_RETURN(*vectors, ReadStoredVectors(conn, store, g, MainParts(g)));
  }
  std::filesystem::path file;
  if (!g.backend_file.empty()) {
    LH_ASSIGN_OR_RETURN(file, LocalPathOf(store, g.backend_file));
    if (g.backend_file_crc32) {
      auto crc = Crc32File(file);
      if (!crc.ok() || *crc != *g.backend_file_crc32) {
        return Internal(std::string(BackendKindName(g.backend.kind)) + " index file " + file.filename().string() +
                        (crc.ok() ? " is damaged (its checksum does not match)" : " cannot be read") +
                        "; rebuild the index (PATCH it with another backend, or drop and create it)");
      }
    }
  }
  return type.load(file, g.dimension, extra, g.backend.options, type.needs_vectors ? *vectors : nullptr);
}

}  // namespace lakehouse::vector::build
