// Appends as a delta beside the served backend, and the merge that later
// folds the delta into the backend's file.
#include <thread>
#include <unordered_set>

#include "common/files.h"
#include "vector/build_steps.h"

namespace lakehouse::vector {

using namespace build;  // NOLINT: the steps this file puts together

Result<BuildOutcome> IndexBuilder::Append(const BuildInputs& in, const IndexGeneration& g,
                                          const LoadedIndex& current, const std::vector<std::string>& added_files) {
  auto started = Clock::now();
  BuildOutcome out;
  out.appended = true;
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  LH_ASSIGN_OR_RETURN(auto docs, ReadDocs(*conn, in, added_files, &out.stats.duplicate_ids));
  out.stats.read_ms = MillisSince(started);
  // The dataset's first row of an id is the one indexed: a later file
  // repeating an id adds nothing, whether that first row has chunks or was blank.
  LH_ASSIGN_OR_RETURN(auto seen_before, IdsAlreadyIn(*conn, in, g.source_files, added_files));
  std::vector<const SourceDoc*> to_embed;
  for (const auto& doc : docs) {
    if (current.chunks.LabelsOf(doc.id) || seen_before.count(doc.id)) {
      ++out.stats.duplicate_ids;
    } else if (!IsBlank(doc.text)) {
      to_embed.push_back(&doc);
      ++out.stats.docs_added;
    }
  }
  auto index = std::make_shared<LoadedIndex>();
  index->bucket = in.settings.bucket;
  IndexGeneration& next = index->generation;
  next = g;
  next.source_signature = DatasetSignature(in.dataset);
  next.source_files = FileKeys(in.dataset);
  if (to_embed.empty()) {
    out.appended = false;
    out.stats.total_ms = MillisSince(started);
    out.index = index;  // generation only: nothing to search changed
    return out;
  }

  Batch batch = ChunkDocs(to_embed, in.settings.chunking, g.next_label, !in.settings.allow_pii);
  std::vector<std::string> texts;
  texts.reserve(batch.rows.size());
  for (const auto& row : batch.rows) texts.push_back(row.text);
  // The full-text rows need no vectors: they are inserted while the chunks
  // are embedded, and committed once the vectors exist.
  LH_ASSIGN_OR_RETURN(auto text_path, LocalPathOf(*in.index_store, g.text_file));
  Result<std::unique_ptr<TextIndex::PendingAppend>> text_rows = Internal("not started");
  std::thread text_writer([&] { text_rows = TextIndex::BeginAppend(text_path, g.next_label, batch.labels, texts); });
  auto embed_started = Clock::now();
  Status embedded_status = EmbedBatch(batch, in.embedder, in.threads, in.progress);
  text_writer.join();
  LH_RETURN_IF_ERROR(embedded_status);
  LH_RETURN_IF_ERROR(text_rows.status());
  out.stats.embed_ms = MillisSince(embed_started);
  out.stats.chunks_embedded = static_cast<int64_t>(batch.rows.size());

  // From here on, what the append costs once its vectors exist.
  const auto embedded = Clock::now();
  const std::string& name = in.settings.name;
  const int number = g.number + 1;
  auto index_started = Clock::now();
  index->main = current.main;
  index->vectors = current.vectors;
  index->delta = current.delta;
  index->delta.push_back(StoreOf(batch, g.dimension));
  index->Assemble();
  index->text = current.text;
  index->chunks = ChunkTable::After(current.chunks);
  for (size_t i = 0; i < batch.rows.size(); ++i) index->AddChunk(batch.labels[i], batch.rows[i]);
  out.stats.index_ms = MillisSince(index_started);
  next.number = number;
  next.embedding_files.push_back(EmbeddingPartKey(name, number));
  ++next.delta_parts;
  next.next_label = g.next_label + static_cast<int64_t>(batch.labels.size());
  next.chunk_count = static_cast<int64_t>(index->chunks.size());
  next.doc_count = static_cast<int64_t>(index->chunks.doc_count());
  next.built_at = Now();

  // The full-text rows are what searching needs, so they are committed
  // first and the generation is served at once; the embeddings part is only
  // needed by a restart. (Written side by side the two slowed each other
  // down on 2 cores: searchable after 4-8 ms instead of 2-3.)
  auto text_started = Clock::now();
  LH_RETURN_IF_ERROR((*text_rows)->Commit());
  out.stats.text_ms = MillisSince(text_started);
  if (in.on_searchable) in.on_searchable(index);
  out.stats.searchable_ms = MillisSince(embedded);
  WrittenFiles written(*in.index_store);
  LH_RETURN_IF_ERROR(WritePart(*conn, *in.index_store, batch, g.dimension, EmbeddingPartKey(name, number), written));
  written.Keep();
  out.index = std::move(index);
  out.stats.total_ms = MillisSince(started);
  return out;
}

Result<BuildOutcome> IndexBuilder::Merge(const BuildInputs& in, const IndexGeneration& g,
                                         std::shared_ptr<const LoadedIndex> current) {
  auto started = Clock::now();
  BuildOutcome out;
  if (!current) {
    LH_ASSIGN_OR_RETURN(current, Load(in.settings, g, *in.index_store));
  }
  if (g.delta_parts == 0) {
    out.stats.no_op = true;
    return out;
  }
  LH_ASSIGN_OR_RETURN(auto conn, db_->Connect());
  const int dim = g.dimension;
  Batch delta;
  for (const auto& segment : current->delta) {
    delta.labels.insert(delta.labels.end(), segment->labels().begin(), segment->labels().end());
    delta.vectors.insert(delta.vectors.end(), segment->data(), segment->data() + segment->size() * dim);
  }
  LH_ASSIGN_OR_RETURN(auto vectors, NextVectors(*conn, in, g, *current, {}, delta));
  LH_ASSIGN_OR_RETURN(auto backend, LoadBackend(*conn, *in.index_store, g, delta.labels.size(), &vectors));
  LH_RETURN_IF_ERROR(backend->Add(delta.vectors.data(), delta.labels, in.threads, {}));
  out.stats.index_ms = MillisSince(started);
  const int number = g.number + 1;
  WrittenFiles written(*in.index_store);
  std::string backend_key = backend->HasFile() ? BackendKey(in.settings.name, g.backend.kind, number) : "";
  LH_ASSIGN_OR_RETURN(auto backend_crc, WriteBackend(*backend, *in.index_store, backend_key, written));

  auto index = std::make_shared<LoadedIndex>();
  index->bucket = in.settings.bucket;
  IndexGeneration& next = index->generation;
  next = g;
  next.number = number;
  next.delta_parts = 0;
  next.backend_file = backend_key;
  next.backend_file_crc32 = backend_crc;
  index->main = std::move(backend);
  index->vectors = std::move(vectors);
  index->Assemble();
  index->text = current->text;
  index->chunks = ChunkTable::After(current->chunks);
  written.Keep();
  out.index = std::move(index);
  out.stats.total_ms = MillisSince(started);
  return out;
}

}  // namespace lakehouse::vector
