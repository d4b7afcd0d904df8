#include "common/manifest_dir.h"

#include <sys/stat.h>

#include <ctime>

#include "common/names.h"

namespace lakehouse {

namespace {

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

int64_t ManifestDir::Stamp() const {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

bool ManifestDir::Current(int64_t seen, int64_t stamp) {
  return seen == stamp && NowNs() - stamp >= kRecentChangeNs;
}

std::optional<std::vector<std::string>> ManifestDir::Names(std::map<std::string, std::string>& problems) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::string file = it->path().filename().string();
    // Temporary files of atomic writes start with a dot; logs and locks go with their manifest.
    if (file.empty() || file[0] == '.' || file.size() < 6 || file.compare(file.size() - 5, 5, ".json") != 0) continue;
    std::string name = file.substr(0, file.size() - 5);
    if (!ValidateName(name, what_).ok()) {
      problems[key_prefix_ + file] = "unreadable manifest: its file name is not a " + what_;
      continue;
    }
    names.push_back(std::move(name));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return std::nullopt;
  return names;
}

}  // namespace lakehouse
