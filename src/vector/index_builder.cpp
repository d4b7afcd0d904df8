#include "vector/index_builder.h"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "common/files.h"
#include "vector/build_steps.h"

namespace lakehouse::vector {

using namespace build;  // NOLINT: the steps this file puts together

namespace {

// Writes a complete generation from `batch` (every live chunk with its
// vector): one embeddings part, a new graph, a new full-text index. Labels
// are kept as they are; `next_label` is where the next refresh continues.
Result<std::shared_ptr<LoadedIndex>> Materialize(engine::Connection& conn, const BuildInputs& in, Batch& batch,
                                                 int generation, int64_t next_label, BuildStats& stats,
                                                 bool compacting = false) {
  const std::string& name = in.settings.name;
  const int dim = in.embedder.dimension();
  WrittenFiles written(*in.index_store);
  if (in.progress) in.progress({BuildPhase::kWriting, 0, batch.rows.size(), 0, -1});
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
    progress({BuildPhase::kIndexing, done, total, rate, rate > 0 ? (total - done) / rate : -1});
  }));
  stats.index_ms = MillisSince(index_started);
  if (in.progress) in.progress({BuildPhase::kSaving, 0, 0, 0, -1});
  std::string backend_key = backend->HasFile() ? BackendKey(name, spec.kind, generation) : "";
  LH_ASSIGN_OR_RETURN(auto backend_crc, WriteBackend(*backend, *in.index_store, backend_key, written));
  auto text_started = Clock::now();
  LH_ASSIGN_OR_RETURN(auto text, WriteText(*in.index_store, TextIndexKey(name, generation), in.settings.text.stemmer, "", {},
                                                0, batch, written));
  stats.text_ms = MillisSince(text_started);

  auto index = std::make_shared<LoadedIndex>();
  index->bucket = in.settings.bucket;
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
  g.source_files = FileKeys(in.dataset);
  g.built_at = Now();
  index->main = std::move(backend);
  index->vectors = std::move(vectors);
  index->Assemble();
  index->text = std::move(text);
  for (size_t i = 0; i < batch.rows.size(); ++i) index->AddChunk(batch.labels[i], std::move(batch.rows[i]));
  g.doc_count = static_cast<int64_t>(index->chunks.doc_count());
  written.Keep();
  return index;
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

const char* BuildPhaseName(BuildPhase phase) {
  static const char* kNames[] = {"reading", "embedding", "writing", "indexing", "saving"};
  return kNames[static_cast<int>(phase)];
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
  if (in.progress) in.progress({BuildPhase::kReading, 0, 0, 0, -1});
  LH_ASSIGN_OR_RETURN(auto docs, ReadDocs(*conn, in, FileKeys(in.dataset), &out.stats.duplicate_ids));
  out.stats.read_ms = MillisSince(started);
  std::vector<const SourceDoc*> all;
  for (const auto& d : docs) all.push_back(&d);
  Batch batch = ChunkDocs(all, in.settings.chunking, 0, !in.settings.allow_pii);
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
  if (in.progress) in.progress({BuildPhase::kReading, 0, 0, 0, -1});
  Batch batch;
  LH_RETURN_IF_ERROR(ReadLiveChunks(*conn, *in.index_store, g, {}, batch));
  out.stats.read_ms = MillisSince(started);
  LH_ASSIGN_OR_RETURN(out.index, Materialize(*conn, in, batch, g.number + 1, g.next_label, out.stats));
  // The chunks are those of `g`: what it had seen of the dataset is still all this one has.
  out.index->generation.source_signature = g.source_signature;
  out.index->generation.source_files = g.source_files;
  out.stats.total_ms = MillisSince(started);
  return out;
}

Result<std::shared_ptr<LoadedIndex>> IndexBuilder::Load(const IndexManifest& settings, const IndexGeneration& g,
                                                        const storage::ObjectStore& store) {
  auto index = std::make_shared<LoadedIndex>();
  index->bucket = settings.bucket;
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
  LH_ASSIGN_OR_RETURN(index->main, LoadBackend(*conn, store, g, 0, &index->vectors));
  if (g.delta_parts > 0) {
    LH_ASSIGN_OR_RETURN(auto delta, ReadStoredVectors(*conn, store, g, DeltaParts(g)));
    index->delta.push_back(std::move(delta));
  }
  index->Assemble();
  LH_ASSIGN_OR_RETURN(auto text_path, LocalPathOf(store, g.text_file));
  LH_ASSIGN_OR_RETURN(index->text, TextIndex::Open(text_path, false));
  return index;
}

namespace {

// The dataset's data files added since generation `g` embedded it, when
// every file it embedded is still there (an append); else nullopt.
std::optional<std::vector<std::string>> AddedFiles(const IndexGeneration& g, const std::vector<std::string>& files) {
  // Manifests written before source_files was recorded take the full path once.
  if (g.source_files.empty() && g.source_signature != "empty") return std::nullopt;
  std::unordered_set<std::string> now(files.begin(), files.end());
  for (const auto& key : g.source_files) {
    if (!now.count(key)) return std::nullopt;
  }
  std::unordered_set<std::string> before(g.source_files.begin(), g.source_files.end());
  std::vector<std::string> added;
  for (const auto& key : files) {
    if (!before.count(key)) added.push_back(key);
  }
  return added;
}

}  // namespace

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
  const std::vector<std::string> files = FileKeys(in.dataset);
  if (auto added = AddedFiles(g, files)) return Append(in, g, *current, *added);

  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  LH_ASSIGN_OR_RETURN(auto docs, ReadDocs(*conn, in, files, &out.stats.duplicate_ids));
  out.stats.read_ms = MillisSince(started);

  std::vector<const SourceDoc*> to_embed;
  std::vector<int64_t> removed;
  std::unordered_set<std::string> present;
  for (const auto& doc : docs) {
    present.insert(doc.id);
    const std::vector<int64_t>* labels = current->chunks.LabelsOf(doc.id);
    if (!labels) {
      // A document without text has no chunks: indexed or not, it is the same.
      if (IsBlank(doc.text)) continue;
      to_embed.push_back(&doc);
      ++out.stats.docs_added;
    } else if (current->chunks.Find(labels->front())->doc_hash != doc.hash) {
      to_embed.push_back(&doc);
      removed.insert(removed.end(), labels->begin(), labels->end());
      ++out.stats.docs_changed;
    }
  }
  current->chunks.ForEachDoc([&](const std::string& doc_id, const std::vector<int64_t>& labels) {
    if (present.count(doc_id)) return;
    removed.insert(removed.end(), labels.begin(), labels.end());
    ++out.stats.docs_removed;
  });

  auto index = std::make_shared<LoadedIndex>();
  index->bucket = in.settings.bucket;
  IndexGeneration& next = index->generation;
  next = g;
  next.source_signature = signature;
  next.source_files = files;
  if (to_embed.empty() && removed.empty()) {
    // The data files changed but no document did: only the signature moves on.
    out.stats.total_ms = MillisSince(started);
    out.index = index;  // generation only; graph and text stay those of `current`
    return out;
  }

  Batch batch = ChunkDocs(to_embed, in.settings.chunking, g.next_label, !in.settings.allow_pii);
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
  // Every vector the new backend file must hold beyond the old one's: the
  // appended ones not yet merged, then the new batch.
  std::unordered_set<int64_t> gone(removed.begin(), removed.end());
  std::unordered_set<int64_t> in_delta;
  Batch extra;
  for (const auto& segment : current->delta) {
    for (size_t i = 0; i < segment->size(); ++i) {
      int64_t label = segment->labels()[i];
      in_delta.insert(label);
      if (gone.count(label)) continue;
      extra.labels.push_back(label);
      extra.vectors.insert(extra.vectors.end(), segment->data() + i * dim, segment->data() + (i + 1) * dim);
    }
  }
  extra.labels.insert(extra.labels.end(), batch.labels.begin(), batch.labels.end());
  extra.vectors.insert(extra.vectors.end(), batch.vectors.begin(), batch.vectors.end());
  LH_ASSIGN_OR_RETURN(auto vectors, NextVectors(*conn, in, g, *current, removed, extra));
  LH_ASSIGN_OR_RETURN(auto backend, LoadBackend(*conn, *in.index_store, g, extra.labels.size(), &vectors));
  std::vector<int64_t> removed_from_main;  // the backend file never had the delta's
  for (int64_t label : removed) {
    if (!in_delta.count(label)) removed_from_main.push_back(label);
  }
  LH_RETURN_IF_ERROR(backend->Remove(removed_from_main));
  LH_RETURN_IF_ERROR(backend->Add(extra.vectors.data(), extra.labels, in.threads, {}));
  out.stats.index_ms = MillisSince(index_started);
  std::string backend_key = backend->HasFile() ? BackendKey(name, g.backend.kind, number) : "";
  LH_ASSIGN_OR_RETURN(auto backend_crc, WriteBackend(*backend, *in.index_store, backend_key, written));
  auto text_started = Clock::now();
  LH_ASSIGN_OR_RETURN(auto text, WriteText(*in.index_store, TextIndexKey(name, number), in.settings.text.stemmer,
                                           g.text_file, removed,
                                           g.next_label, batch, written));
  out.stats.text_ms = MillisSince(text_started);

  next.number = number;
  next.delta_parts = 0;
  next.backend_file = backend_key;
  next.backend_file_crc32 = backend_crc;
  next.text_file = TextIndexKey(name, number);
  next.deleted_labels.insert(next.deleted_labels.end(), removed.begin(), removed.end());
  next.next_label = g.next_label + static_cast<int64_t>(batch.rows.size());
  next.built_at = Now();
  index->main = std::move(backend);
  index->vectors = std::move(vectors);
  index->Assemble();
  index->text = std::move(text);
  current->chunks.ForEach([&](int64_t label, const ChunkRow& row) {
    if (!gone.count(label)) index->AddChunk(label, row);
  });
  for (size_t i = 0; i < batch.rows.size(); ++i) index->AddChunk(batch.labels[i], std::move(batch.rows[i]));
  next.chunk_count = static_cast<int64_t>(index->chunks.size());
  next.doc_count = static_cast<int64_t>(index->chunks.doc_count());
  written.Keep();
  out.index = std::move(index);
  out.stats.total_ms = MillisSince(started);
  return out;
}

}  // namespace lakehouse::vector
