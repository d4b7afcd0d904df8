#include "ingest/decoded_file.h"

#include <zlib.h>
#include <zstd.h>

#include <vector>

#include "ingest/format.h"

namespace lakehouse::ingest {

struct DecodedFile::Impl {
  Compression compression = Compression::kNone;
  gzFile gz = nullptr;  // plain and gzip: gzread passes plain bytes through
  FILE* raw = nullptr;  // zstd
  ZSTD_DStream* zstd = nullptr;
  std::vector<char> in;
  ZSTD_inBuffer input{nullptr, 0, 0};
  size_t last = 0;  // ZSTD_decompressStream's last answer: 0 when a frame ended
  bool eof = false;
  ~Impl() {
    if (gz) gzclose(gz);
    if (raw) std::fclose(raw);
    if (zstd) ZSTD_freeDStream(zstd);
  }
};

DecodedFile::DecodedFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DecodedFile::~DecodedFile() = default;

Result<std::unique_ptr<DecodedFile>> DecodedFile::Open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->compression = DetectCompression(path);
  if (impl->compression == Compression::kZstd) {
    impl->raw = std::fopen(path.c_str(), "rb");
    impl->zstd = ZSTD_createDStream();
    if (!impl->raw || !impl->zstd) return NotFound("cannot open " + path.filename().string());
    ZSTD_initDStream(impl->zstd);
    impl->in.resize(ZSTD_DStreamInSize());
  } else {
    impl->gz = gzopen(path.c_str(), "rb");
    if (!impl->gz) return NotFound("cannot open " + path.filename().string());
  }
  return std::unique_ptr<DecodedFile>(new DecodedFile(std::move(impl)));
}

const char* DecodedFile::what() const { return impl_->compression == Compression::kZstd ? "zstd" : "gzip"; }

Result<size_t> DecodedFile::Read(char* buffer, size_t size) {
  Impl& d = *impl_;
  if (d.gz) {
    int got = gzread(d.gz, buffer, static_cast<unsigned>(std::min<size_t>(size, 1u << 30)));
    int error = Z_OK;
    gzerror(d.gz, &error);
    if (got < 0 || (error != Z_OK && error != Z_STREAM_END)) return InvalidArgument("the gzip data is damaged");
    return static_cast<size_t>(got);
  }
  ZSTD_outBuffer output{buffer, size, 0};
  while (output.pos == 0) {
    if (d.input.pos == d.input.size) {
      if (d.eof) {
        // A frame left open: the file was cut short.
        if (d.last != 0) return InvalidArgument("the zstd data is cut short");
        return size_t{0};
      }
      size_t got = std::fread(d.in.data(), 1, d.in.size(), d.raw);
      if (got == 0) {
        d.eof = true;
        continue;
      }
      d.input = {d.in.data(), got, 0};
    }
    d.last = ZSTD_decompressStream(d.zstd, &output, &d.input);
    if (ZSTD_isError(d.last)) return InvalidArgument("the zstd data is damaged");
  }
  return output.pos;
}

Status ForEachDecodedChunk(const std::filesystem::path& path, const std::function<bool(std::string_view)>& chunk) {
  LH_ASSIGN_OR_RETURN(auto file, DecodedFile::Open(path));
  std::vector<char> buffer(1 << 20);
  for (;;) {
    LH_ASSIGN_OR_RETURN(size_t got, file->Read(buffer.data(), buffer.size()));
    if (got == 0 || !chunk({buffer.data(), got})) return Status::Ok();
  }
}

std::string ReadDecodedHead(const std::filesystem::path& path, size_t size) {
  auto file = DecodedFile::Open(path);
  if (!file.ok()) return "";
  std::string head(size, '\0');
  size_t have = 0;
  while (have < size) {
    auto got = (*file)->Read(head.data() + have, size - have);
    if (!got.ok() || *got == 0) break;
    have += *got;
  }
  head.resize(have);
  return head;
}

}  // namespace lakehouse::ingest
