// Dataset manifests and their append logs as stored on disk: the JSON
// parser into a Manifest, and a log of arbitrary lines replayed on top of a
// valid checkpoint.
#include <nlohmann/json.hpp>
#include <string_view>

#include "catalog/manifest.h"
#include "catalog/manifest_files.h"
#include "common/files.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakehouse;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = nlohmann::json::parse(bytes, nullptr, false);
  if (!parsed.is_discarded()) {
    auto m = catalog::ManifestFromJson(parsed);
    if (m.ok()) (void)catalog::ManifestToJson(*m).dump();
  }
  static const auto dir = fuzz::ScratchFile("manifest");
  static bool made = [] {
    fs::create_directories(dir);
    catalog::Manifest m;
    m.name = "events";
    m.versions.push_back({});
    m.current().files.push_back({"datasets/events/1-1.parquet", 10, 100, "abc", Now()});
    catalog::ManifestState state;
    catalog::ManifestFiles files(dir);
    return files.WriteCheckpoint(m, state).ok();
  }();
  if (!made) return 0;
  fuzz::WriteScratch(dir / "events.log", bytes);
  catalog::ManifestFiles files(dir);
  auto loaded = files.Load("events");
  if (loaded.ok()) (void)catalog::ManifestToJson(loaded->manifest).dump();
  return 0;
}
