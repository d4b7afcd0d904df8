// Postgres binary COPY rows, decoded into DuckDB's vectors through the real
// row stream. Input: a column count and one wire type per column, then
// CopyData messages, each preceded by its 2-byte big-endian length.
#include <cstring>
#include <string>
#include <vector>

#include "connectors/pg_binary.h"
#include "engine/database.h"
#include "fuzz_util.h"

namespace {

using lakehouse::Result;
using lakehouse::engine::ChunkSink;

class Producer : public lakehouse::engine::RowProducer {
 public:
  Producer(std::vector<lakehouse::connectors::SourceColumn> columns, std::vector<std::string> messages)
      : decoder_(std::move(columns)), messages_(std::move(messages)) {}
  Result<size_t> Fill(ChunkSink& sink) override {
    size_t n = 0;
    for (; next_ < messages_.size() && n < sink.capacity(); ++next_) {
      auto row = decoder_.Decode(messages_[next_].data(), messages_[next_].size(), sink, n, rows_ + 1);
      if (!row.ok()) return row.status();
      if (*row) ++n, ++rows_;
    }
    return n;
  }

 private:
  lakehouse::connectors::PgBinaryDecoder decoder_;
  std::vector<std::string> messages_;
  size_t next_ = 0;
  int64_t rows_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakehouse;
  if (size < 2) return 0;
  static auto db = engine::Database::Open({1, "256MB"});
  if (!db.ok()) return 0;
  size_t ncols = 1 + data[0] % 4, at = 1;
  if (size < at + ncols) return 0;
  std::vector<connectors::SourceColumn> columns;
  std::vector<engine::WireType> wire;
  std::string select;
  for (size_t i = 0; i < ncols; ++i) {
    connectors::SourceColumn c;
    c.name = "c" + std::to_string(i);
    c.wire = static_cast<engine::WireType>(data[at++] % 14);
    wire.push_back(c.wire);
    columns.push_back(c);
    select += std::string(i ? ", " : "") + "c" + std::to_string(i);
  }
  std::vector<std::string> messages;
  while (at + 2 <= size) {
    size_t len = (static_cast<size_t>(data[at]) << 8) | data[at + 1];
    at += 2;
    len = std::min(len, size - at);
    messages.emplace_back(reinterpret_cast<const char*>(data + at), len);
    at += len;
  }
  auto conn = (*db)->Connect();
  if (!conn.ok()) return 0;
  Producer producer(columns, std::move(messages));
  static const auto file = fuzz::ScratchFile("pg.parquet");
  (void)(*conn)->CopyRowsToParquet(wire, producer, select, file, "");
  return 0;
}
