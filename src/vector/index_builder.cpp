#include "vector/index_builder.h"

#include "catalog/pii_spans.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "common/files.h"
#include "common/names.h"
#include "vector/chunker.h"

namespace lakehouse::vector {

namespace {

using Clock = std::chrono::steady_clock;


struct SourceDoc {
  std::string id;
  std::string text;
  std::string hash;
};

// Chunks waiting for their vectors, and the vectors once computed.
struct Batch {
  std::vector<int64_t> labels;
  std::vector<ChunkRow> rows;
  std::vector<float> vectors;  // rows x dimension
};

Result<std::vector<SourceDoc>> ReadDocs(engine::Connection& conn, const BuildInputs& in, int64_t* duplicates) {
  std::vector<SourceDoc> docs;
  std::string files;
  for (const auto& f : in.dataset.current().files) {
    auto path = in.dataset_store->LocalPath(f.key);
    if (!path) return Internal("dataset file " + f.key + " is not on a local bucket");
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

bool IsBlank(const std::string& text) {
  for (unsigned char c : text) {
    if (!std::isspace(c)) return false;
  }
  return true;
}

// Chunks `docs` into a batch labelled from `first_label` on.
Batch ChunkDocs(const std::vector<const SourceDoc*>& docs, const ChunkOptions& options, int64_t first_label) {
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
    for (auto& chunk : ChunkText(doc->id, redacted.empty() ? doc->text : redacted, options)) {
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
      for (size_t i = start; i < end; ++i) texts.push_back(batch.rows[i].text);
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
    progress({"embedding", now, n, rate, rate > 0 ? (n - now) / rate : -1});
  }
  for (auto& t : pool) t.join();
  if (failed) return error;
  if (progress) progress({"embedding", n, n, MillisSince(started) > 0 ? n / (MillisSince(started) / 1000.0) : 0, 0});
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

// Files written for a generation that has not been published yet: removed
// unless Keep() is called, so a failed build leaves nothing behind.
class WrittenFiles {
 public:
  explicit WrittenFiles(storage::ObjectStore& store) : store_(store) {}
  ~WrittenFiles() {
    for (const auto& key : keys_) (void)store_.Delete(key);
  }
  void Add(const std::string& key) { keys_.push_back(key); }
  void Keep() { keys_.clear(); }

 private:
  storage::ObjectStore& store_;
  std::vector<std::string> keys_;
};

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
Result<std::unique_ptr<TextIndex>> WriteText(storage::ObjectStore& store, const std::string& key,
                                            const std::string& base, const std::vector<int64_t>& removed,
                                            const Batch& batch, WrittenFiles& written) {
  LH_ASSIGN_OR_RETURN(auto path, LocalPathOf(store, key));
  LH_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
  fs::path tmp = UniqueTempPath(path.parent_path(), "fts");
  TempFileGuard guard(tmp);
  std::unique_ptr<TextIndex> text;
  if (base.empty()) {
    LH_ASSIGN_OR_RETURN(text, TextIndex::Create(tmp));
  } else {
    LH_ASSIGN_OR_RETURN(auto base_path, LocalPathOf(store, base));
    std::error_code ec;
    fs::copy_file(base_path, tmp, ec);
    if (ec) return Internal("cannot copy the full-text index: " + ec.message());
    LH_ASSIGN_OR_RETURN(text, TextIndex::Open(tmp, true));
    LH_RETURN_IF_ERROR(text->Remove(removed));
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

// Writes a complete generation from `batch` (every live chunk with its
// vector): one embeddings part, a new graph, a new full-text index. Labels
// are kept as they are; `next_label` is where the next refresh continues.
Result<std::shared_ptr<LoadedIndex>> Materialize(engine::Connection& conn, const BuildInputs& in, Batch& batch,
                                                 int generation, int64_t next_label, BuildStats& stats,
                                                 bool compacting = false) {
  const std::string& name = in.settings.name;
  const int dim = in.embedder.dimension();
  WrittenFiles written(*in.index_store);
  if (in.progress) in.progress({"writing", 0, batch.rows.size(), 0, -1});
  LH_RETURN_IF_ERROR(WritePart(conn, *in.index_store, batch, dim, EmbeddingPartKey(name, generation), written));

  auto index_started = Clock::now();
  // Auto picks by size at every full build: an index that grew past the
  // flat threshold gets a graph when it is next compacted or rebuilt.
  BackendSpec spec = ResolveBackend(in.settings.backend, batch.rows.size(), dim);
  const BackendType& type = TypeOf(spec.kind);
  std::shared_ptr<VectorStore> vectors = type.needs_vectors ? StoreOf(batch, dim) : nullptr;
  auto created = type.create(dim, batch.rows.size(), spec.options, vectors);
  if (!created.ok() && created.status().code() == StatusCode::kInvalidArgument && compacting) {
    // A compaction of an index whose data shrank below what its backend can
    // train on (ivf_pq under 256 chunks): searched exactly until it grows
    // back; the index still asks for its backend, so the next full build
    // tries it again.
    spdlog::warn("index {}: {}; this generation is flat", name, created.status().message());
    spec = ResolveBackend({BackendKind::kFlat, {}}, batch.rows.size(), dim);
    if (!vectors) vectors = StoreOf(batch, dim);
    created = TypeOf(BackendKind::kFlat).create(dim, batch.rows.size(), spec.options, vectors);
  }
  LH_ASSIGN_OR_RETURN(auto backend, std::move(created));
  ProgressFn progress = in.progress;
  size_t total = batch.rows.size();
  LH_RETURN_IF_ERROR(backend->Add(batch.vectors.data(), batch.labels, in.threads, [&](size_t done) {
    if (!progress) return;
    double rate = done / std::max(MillisSince(index_started) / 1000.0, 1e-3);
    progress({"indexing", done, total, rate, rate > 0 ? (total - done) / rate : -1});
  }));
  stats.index_ms = MillisSince(index_started);
  if (in.progress) in.progress({"saving", 0, 0, 0, -1});
  std::string backend_key = backend->HasFile() ? BackendKey(name, spec.kind, generation) : "";
  LH_ASSIGN_OR_RETURN(auto backend_crc, WriteBackend(*backend, *in.index_store, backend_key, written));
  auto text_started = Clock::now();
  LH_ASSIGN_OR_RETURN(auto text, WriteText(*in.index_store, TextIndexKey(name, generation), "", {}, batch, written));
  stats.text_ms = MillisSince(text_started);

  auto index = std::make_shared<LoadedIndex>();
  IndexGeneration& g = index->generation;
  g.number = generation;
  g.provider = in.embedder.provider();
  g.model = in.embedder.model();
  g.dimension = dim;
  g.embedding_files = {EmbeddingPartKey(name, generation)};
  g.backend = spec;
  g.backend_file = backend_key;
  g.backend_file_crc32 = backend_crc;
  g.text_file = TextIndexKey(name, generation);
  g.next_label = next_label;
  g.chunk_count = static_cast<int64_t>(batch.rows.size());
  g.source_signature = DatasetSignature(in.dataset);
  g.built_at = Now();
  index->backend = std::move(backend);
  index->vectors = std::move(vectors);
  index->text = std::move(text);
  for (size_t i = 0; i < batch.rows.size(); ++i) index->AddChunk(batch.labels[i], std::move(batch.rows[i]));
  g.doc_count = static_cast<int64_t>(index->labels_by_doc.size());
  written.Keep();
  return index;
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

// The stored vectors of generation `g`'s live chunks, for the backends that need them.
Result<std::shared_ptr<VectorStore>> ReadStoredVectors(engine::Connection& conn, const storage::ObjectStore& store,
                                                       const IndexGeneration& g) {
  std::unordered_set<int64_t> gone(g.deleted_labels.begin(), g.deleted_labels.end());
  auto vectors = std::make_shared<VectorStore>(g.dimension);
  vectors->Reserve(static_cast<size_t>(std::max<int64_t>(g.chunk_count, 0)));
  for (const auto& key : g.embedding_files) {
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

// Generation `g`'s backend from its file (and the stored vectors when it
// needs them, returned in `vectors`), with room for `extra` more rows.
Result<std::unique_ptr<VectorBackend>> LoadBackend(engine::Connection& conn, const storage::ObjectStore& store,
                                                   const IndexGeneration& g, size_t extra,
                                                   std::shared_ptr<const VectorStore>* vectors) {
  const BackendType& type = TypeOf(g.backend.kind);
  if (type.needs_vectors && !*vectors) {
    LH_ASSIGN_OR_RETURN(*vectors, ReadStoredVectors(conn, store, g));
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

}  // namespace

std::string IndexDirKey(const std::string& index) { return "vectors/" + index + "/"; }
std::string EmbeddingPartKey(const std::string& index, int part) {
  return IndexDirKey(index) + "embeddings-" + std::to_string(part) + ".parquet";
}
std::string BackendKey(const std::string& index, BackendKind kind, int generation) {
  const char* extension = kind == BackendKind::kIvfPq ? ".faiss" : ".bin";
  return IndexDirKey(index) + BackendKindName(kind) + "-" + std::to_string(generation) + extension;
}
std::string TextIndexKey(const std::string& index, int generation) {
  return IndexDirKey(index) + "fts-" + std::to_string(generation) + ".sqlite";
}

std::string DatasetSignature(const catalog::Manifest& dataset) {
  if (dataset.versions.empty()) return "empty";
  std::string s = "v" + std::to_string(dataset.current().number);
  for (const auto& f : dataset.current().files) s += ":" + f.key;
  return s;
}

Result<BuildOutcome> IndexBuilder::Build(const BuildInputs& in, int generation) {
  auto started = Clock::now();
  BuildOutcome out;
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  if (in.progress) in.progress({"reading", 0, 0, 0, -1});
  LH_ASSIGN_OR_RETURN(auto docs, ReadDocs(*conn, in, &out.stats.duplicate_ids));
  out.stats.read_ms = MillisSince(started);
  std::vector<const SourceDoc*> all;
  for (const auto& d : docs) all.push_back(&d);
  Batch batch = ChunkDocs(all, in.settings.chunking, 0);
  docs.clear();

  auto embed_started = Clock::now();
  LH_RETURN_IF_ERROR(EmbedBatch(batch, in.embedder, in.threads, in.progress));
  out.stats.embed_ms = MillisSince(embed_started);
  out.stats.docs_added = static_cast<int64_t>(all.size());
  out.stats.chunks_embedded = static_cast<int64_t>(batch.rows.size());

  LH_ASSIGN_OR_RETURN(out.index, Materialize(*conn, in, batch, generation, static_cast<int64_t>(batch.rows.size()),
                                            out.stats));
  out.stats.total_ms = MillisSince(started);
  return out;
}

Result<BuildOutcome> IndexBuilder::Rebuild(const BuildInputs& in, const IndexGeneration& g) {
  auto started = Clock::now();
  BuildOutcome out;
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  if (in.progress) in.progress({"reading", 0, 0, 0, -1});
  Batch batch;
  LH_RETURN_IF_ERROR(ReadLiveChunks(*conn, *in.index_store, g, {}, batch));
  out.stats.read_ms = MillisSince(started);
  LH_ASSIGN_OR_RETURN(out.index, Materialize(*conn, in, batch, g.number + 1, g.next_label, out.stats));
  // The chunks are those of `g`: what it had seen of the dataset is still all this one has.
  out.index->generation.source_signature = g.source_signature;
  out.stats.total_ms = MillisSince(started);
  return out;
}

Result<std::shared_ptr<LoadedIndex>> IndexBuilder::Load(const IndexManifest& settings, const IndexGeneration& g,
                                                        const storage::ObjectStore& store) {
  auto index = std::make_shared<LoadedIndex>();
  index->generation = g;
  LH_ASSIGN_OR_RETURN(auto parts, PartList(store, g.embedding_files));
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  LH_ASSIGN_OR_RETURN(auto table, conn->QueryColumnar("SELECT label, doc_id, chunk_index, \"begin\", \"end\", text, "
                                                      "doc_hash FROM read_parquet([" + parts + "])"));
  std::unordered_set<int64_t> deleted(g.deleted_labels.begin(), g.deleted_labels.end());
  for (size_t i = 0; i < table.rows(); ++i) {
    int64_t label = table.columns[0].ints[i];
    if (deleted.count(label)) continue;
    index->AddChunk(label, {std::move(table.columns[1].text[i]), table.columns[2].ints[i], table.columns[3].ints[i],
                            table.columns[4].ints[i], std::move(table.columns[5].text[i]),
                            std::move(table.columns[6].text[i])});
  }
  LH_ASSIGN_OR_RETURN(index->backend, LoadBackend(*conn, store, g, 0, &index->vectors));
  LH_ASSIGN_OR_RETURN(auto text_path, LocalPathOf(store, g.text_file));
  LH_ASSIGN_OR_RETURN(index->text, TextIndex::Open(text_path, false));
  (void)settings;
  return index;
}

Result<BuildOutcome> IndexBuilder::Refresh(const BuildInputs& in, const IndexGeneration& g,
                                           std::shared_ptr<const LoadedIndex> current) {
  auto started = Clock::now();
  BuildOutcome out;
  const std::string signature = DatasetSignature(in.dataset);
  if (signature == g.source_signature) {
    out.stats.no_op = true;
    out.stats.total_ms = MillisSince(started);
    return out;
  }
  if (!current) {
    LH_ASSIGN_OR_RETURN(current, Load(in.settings, g, *in.index_store));
  }
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  LH_ASSIGN_OR_RETURN(auto docs, ReadDocs(*conn, in, &out.stats.duplicate_ids));
  out.stats.read_ms = MillisSince(started);

  std::vector<const SourceDoc*> to_embed;
  std::vector<int64_t> removed;
  std::unordered_set<std::string> present;
  for (const auto& doc : docs) {
    present.insert(doc.id);
    auto it = current->labels_by_doc.find(doc.id);
    if (it == current->labels_by_doc.end()) {
      // A document without text has no chunks: indexed or not, it is the same.
      if (IsBlank(doc.text)) continue;
      to_embed.push_back(&doc);
      ++out.stats.docs_added;
    } else if (current->chunks.at(it->second.front()).doc_hash != doc.hash) {
      to_embed.push_back(&doc);
      removed.insert(removed.end(), it->second.begin(), it->second.end());
      ++out.stats.docs_changed;
    }
  }
  for (const auto& [doc_id, labels] : current->labels_by_doc) {
    if (present.count(doc_id)) continue;
    removed.insert(removed.end(), labels.begin(), labels.end());
    ++out.stats.docs_removed;
  }

  auto index = std::make_shared<LoadedIndex>();
  IndexGeneration& next = index->generation;
  next = g;
  next.source_signature = signature;
  if (to_embed.empty() && removed.empty()) {
    // The data files changed but no document did: only the signature moves on.
    out.stats.total_ms = MillisSince(started);
    out.index = nullptr;
    out.stats.no_op = false;
    index->generation.built_at = g.built_at;
    out.index = index;  // generation only; graph and text stay those of `current`
    return out;
  }

  Batch batch = ChunkDocs(to_embed, in.settings.chunking, g.next_label);
  size_t tombstones = g.deleted_labels.size() + removed.size();
  size_t live = current->chunks.size() - removed.size() + batch.rows.size();
  bool compact =
      static_cast<double>(tombstones) > in.rebuild_tombstone_ratio * static_cast<double>(std::max<size_t>(live, 1));
  auto embed_started = Clock::now();
  LH_RETURN_IF_ERROR(EmbedBatch(batch, in.embedder, in.threads, in.progress));
  out.stats.embed_ms = MillisSince(embed_started);
  out.stats.chunks_embedded = static_cast<int64_t>(batch.rows.size());
  if (compact) {
    // Too many tombstones: a fresh generation from the stored vectors of
    // the live chunks plus the delta. Nothing but the delta is embedded.
    Batch all;
    LH_RETURN_IF_ERROR(ReadLiveChunks(*conn, *in.index_store, g, removed, all));
    all.labels.insert(all.labels.end(), batch.labels.begin(), batch.labels.end());
    all.vectors.insert(all.vectors.end(), batch.vectors.begin(), batch.vectors.end());
    for (auto& row : batch.rows) all.rows.push_back(std::move(row));
    int64_t next_label = g.next_label + static_cast<int64_t>(batch.labels.size());
    LH_ASSIGN_OR_RETURN(out.index, Materialize(*conn, in, all, g.number + 1, next_label, out.stats, true));
    out.compacted = true;
    out.stats.total_ms = MillisSince(started);
    return out;
  }

  const std::string& name = in.settings.name;
  const int number = g.number + 1;
  const int dim = g.dimension;
  WrittenFiles written(*in.index_store);
  if (!batch.rows.empty()) {
    LH_RETURN_IF_ERROR(WritePart(*conn, *in.index_store, batch, dim, EmbeddingPartKey(name, number), written));
    next.embedding_files.push_back(EmbeddingPartKey(name, number));
  }
  auto index_started = Clock::now();
  // The next generation's own copy: the served one is never mutated.
  std::shared_ptr<const VectorStore> vectors;
  if (TypeOf(g.backend.kind).needs_vectors) {
    std::shared_ptr<VectorStore> copy;
    if (current->vectors) {
      copy = std::make_shared<VectorStore>(*current->vectors);
    } else {
      LH_ASSIGN_OR_RETURN(copy, ReadStoredVectors(*conn, *in.index_store, g));
    }
    copy->Remove(removed);
    copy->Add(batch.vectors.data(), batch.labels);
    vectors = std::move(copy);
  }
  LH_ASSIGN_OR_RETURN(auto backend, LoadBackend(*conn, *in.index_store, g, batch.rows.size(), &vectors));
  LH_RETURN_IF_ERROR(backend->Remove(removed));
  LH_RETURN_IF_ERROR(backend->Add(batch.vectors.data(), batch.labels, in.threads, {}));
  out.stats.index_ms = MillisSince(index_started);
  std::string backend_key = backend->HasFile() ? BackendKey(name, g.backend.kind, number) : "";
  LH_ASSIGN_OR_RETURN(auto backend_crc, WriteBackend(*backend, *in.index_store, backend_key, written));
  auto text_started = Clock::now();
  LH_ASSIGN_OR_RETURN(auto text,
                      WriteText(*in.index_store, TextIndexKey(name, number), g.text_file, removed, batch, written));
  out.stats.text_ms = MillisSince(text_started);

  next.number = number;
  next.backend_file = backend_key;
  next.backend_file_crc32 = backend_crc;
  next.text_file = TextIndexKey(name, number);
  next.deleted_labels.insert(next.deleted_labels.end(), removed.begin(), removed.end());
  next.next_label = g.next_label + static_cast<int64_t>(batch.rows.size());
  next.built_at = Now();
  index->backend = std::move(backend);
  index->vectors = std::move(vectors);
  index->text = std::move(text);
  std::unordered_set<int64_t> gone(removed.begin(), removed.end());
  for (const auto& [label, row] : current->chunks) {
    if (!gone.count(label)) index->AddChunk(label, row);
  }
  for (size_t i = 0; i < batch.rows.size(); ++i) index->AddChunk(batch.labels[i], std::move(batch.rows[i]));
  next.chunk_count = static_cast<int64_t>(index->chunks.size());
  next.doc_count = static_cast<int64_t>(index->labels_by_doc.size());
  written.Keep();
  out.index = std::move(index);
  out.stats.total_ms = MillisSince(started);
  return out;
}

}  // namespace lakehouse::vector
