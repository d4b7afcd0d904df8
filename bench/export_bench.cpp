// Export throughput: `lakehouse export DATASET -o FILE` (the whole CLI
// command: process start, catalog, sandboxed engine, COPY into the spool,
// rename into place) against DuckDB's own COPY ... TO of the same Parquet
// file as a command in a fresh process (duckdb_copy), to CSV and to Parquet,
// alternating, median of N rounds, with each one's peak RSS (wait4).
//
// usage: export_bench [--rows 5000000] [--rounds 3] [--dir /tmp/lh_bench]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/database.h"
#include "orders_data.h"

namespace fs = std::filesystem;
using lakehouse::QuoteLiteral;
using Clock = std::chrono::steady_clock;

namespace {

struct Run {
  double seconds = 0;
  double peak_mb = 0;
  bool ok = false;
};

// Runs argv as a child; its wall time and peak resident memory.
Run Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);  // or the child flushes our buffered lines a second time
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.peak_mb = usage.ru_maxrss / 1024.0;
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!r.ok) std::fprintf(stderr, "%s failed\n", args[0].c_str());
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 5000000;
  int rounds = 3;
  fs::path dir = "/tmp/lh_bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  fs::create_directories(dir);
  fs::path csv = dir / ("orders_" + std::to_string(rows) + ".csv");
  if (!fs::exists(csv)) {
    auto db = lakehouse::engine::Database::Open({});
    auto conn = (*db)->Connect();
    if (!(*conn)->Execute(lakehouse::bench::OrdersCsvSql(rows, csv)).ok()) return 1;
  }
  std::string binary = LAKEHOUSE_BINARY, duck = DUCKDB_COPY_BINARY;
  fs::path data = dir / "export_data";
  fs::remove_all(data);
  if (!Spawn({binary, "-d", data.string(), "ingest", csv.string(), "--name", "orders"}).ok) return 1;
  fs::path parquet = data / "datasets/orders/1-1.parquet";
  std::printf("input: dataset orders, %lld rows, %.0f MB of Parquet\n", static_cast<long long>(rows),
              fs::file_size(parquet) / 1e6);
  struct Kind {
    const char* name;
    const char* copy_options;
    std::vector<double> ours, duck, ours_mb, duck_mb;
    uint64_t ours_bytes = 0, duck_bytes = 0;
  };
  std::vector<Kind> kinds = {{"csv", "FORMAT csv, HEADER true"}, {"parquet", "FORMAT parquet, COMPRESSION zstd"}};
  for (int round = 0; round < rounds; ++round) {
    for (auto& k : kinds) {
      fs::path ours_out = dir / (std::string("export_ours.") + k.name);
      fs::path duck_out = dir / (std::string("export_duck.") + k.name);
      std::string sql = "COPY (SELECT * FROM read_parquet(" + QuoteLiteral(parquet.string()) + ")) TO " +
                        QuoteLiteral(duck_out.string()) + " (" + k.copy_options + ")";
      // Alternate which goes first, so neither always finds a warm cache.
      for (int step = 0; step < 2; ++step) {
        bool ours_now = (round + step) % 2 == 0;
        Run r = ours_now ? Spawn({binary, "-d", data.string(), "export", "orders", "-o", ours_out.string()})
                         : Spawn({duck, sql});
        if (!r.ok) return 1;
        (ours_now ? k.ours : k.duck).push_back(r.seconds);
        (ours_now ? k.ours_mb : k.duck_mb).push_back(r.peak_mb);
      }
      k.ours_bytes = fs::file_size(ours_out);
      k.duck_bytes = fs::file_size(duck_out);
      std::printf("round %d %s: lakehouse export %.2fs, DuckDB COPY %.2fs\n", round + 1, k.name, k.ours.back(),
                  k.duck.back());
    }
  }
  std::printf("\n| export of %lld rows (median of %d) | seconds | rows/s | output MB | peak RSS MB | ratio to DuckDB COPY |\n"
              "|---|---|---|---|---|---|\n", static_cast<long long>(rows), rounds);
  for (auto& k : kinds) {
    double ours = Median(k.ours), base = Median(k.duck);
    std::printf("| DuckDB COPY ... TO %s (command) | %.2f | %.0f | %.0f | %.0f | 1.00 |\n", k.name, base, rows / base,
                k.duck_bytes / 1e6, Median(k.duck_mb));
    std::printf("| lakehouse export -o x.%s | %.2f | %.0f | %.0f | %.0f | %.2f |\n", k.name, ours, rows / ours,
                k.ours_bytes / 1e6, Median(k.ours_mb), ours / base);
  }
  return 0;
}
