// Ingest throughput: `lakehouse ingest` (the whole CLI command: process start,
// format detection, SHA-256, CSV -> zstd Parquet, PII scan, manifest) against
// DuckDB's own COPY (SELECT * FROM read_csv(...)) TO 'x.parquet' on the same
// file, in the same run, alternating, median of N rounds. DuckDB runs twice
// per round: as a command in a fresh process (duckdb_copy, like the `duckdb`
// shell), and inside this process, where it is already open and its
// allocator already holds the memory a COPY needs (fewer page faults: the
// stricter baseline).
//
// usage: ingest_bench [--rows 5000000] [--rounds 3] [--dir /tmp/lh_bench]
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/names.h"
#include "engine/database.h"
#include "orders_data.h"

namespace fs = std::filesystem;
using lakehouse::QuoteLiteral;
using Clock = std::chrono::steady_clock;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

bool Check(const lakehouse::Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "%s: %s\n", what, s.message().c_str());
  return s.ok();
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
  auto db = lakehouse::engine::Database::Open({});
  if (!db.ok()) return 1;
  auto conn = (*db)->Connect();
  fs::path csv = dir / ("orders_" + std::to_string(rows) + ".csv");
  if (!fs::exists(csv)) {
    std::printf("generating %s ...\n", csv.c_str());
    if (!Check((*conn)->Execute(lakehouse::bench::OrdersCsvSql(rows, csv)),
               "generate")) {
      return 1;
    }
  }
  std::printf("input: %s, %lld rows, %.0f MB\n", csv.c_str(), static_cast<long long>(rows),
              fs::file_size(csv) / 1e6);
  std::string binary = LAKEHOUSE_BINARY;
  std::vector<double> duck_default, duck_zstd, ours;
  uint64_t size_default = 0, size_zstd = 0, size_ours = 0;
  fs::path out = dir / "duck.parquet";
  auto duck_copy = [&](const std::string& options, std::vector<double>& times, uint64_t& size) {
    auto t0 = Clock::now();
    if (!Check((*conn)->Execute("COPY (SELECT * FROM read_csv(" + QuoteLiteral(csv.string()) + ")) TO " +
                                QuoteLiteral(out.string()) + " (FORMAT parquet" + options + ")"),
               "duckdb copy")) {
      return false;
    }
    times.push_back(Seconds(t0));
    size = fs::file_size(out);
    return true;
  };
  auto duck_command = [&](std::vector<double>& times) {
    std::string sql = "COPY (SELECT * FROM read_csv(" + QuoteLiteral(csv.string()) + ")) TO " +
                      QuoteLiteral(out.string()) + " (FORMAT parquet)";
    std::string cmd = std::string("'") + DUCKDB_COPY_BINARY + "' \"" + sql + "\" > /dev/null";
    auto t0 = Clock::now();
    int rc = std::system(cmd.c_str());
    times.push_back(Seconds(t0));
    if (rc != 0) std::fprintf(stderr, "duckdb_copy failed (%d)\n", rc);
    return rc == 0;
  };
  auto lakehouse_ingest = [&] {
    fs::path data = dir / "lakehouse_data";
    fs::remove_all(data);
    std::string cmd = "'" + binary + "' -d '" + data.string() + "' ingest '" + csv.string() +
                      "' --name orders > /dev/null 2>&1";
    auto t0 = Clock::now();
    int rc = std::system(cmd.c_str());
    ours.push_back(Seconds(t0));
    if (rc != 0) {
      std::fprintf(stderr, "lakehouse ingest failed (%d)\n", rc);
      return false;
    }
    size_ours = fs::file_size(data / "datasets/orders/1-1.parquet");
    return true;
  };
  std::vector<double> duck_process, round_ratios, round_ratios_process;
  for (int round = 0; round < rounds; ++round) {
    // Each round starts with a different one of the four, so that none is
    // always the one that runs after the others.
    for (int k = 0; k < 4; ++k) {
      int which = (round + k) % 4;
      bool ok = which == 0   ? duck_copy("", duck_default, size_default)
                : which == 1 ? duck_copy(", COMPRESSION zstd", duck_zstd, size_zstd)
                : which == 2 ? duck_command(duck_process)
                             : lakehouse_ingest();
      if (!ok) return 1;
    }
    round_ratios.push_back(ours.back() / duck_default.back());
    round_ratios_process.push_back(ours.back() / duck_process.back());
    std::printf("round %d: duckdb %.2fs, duckdb+zstd %.2fs, duckdb command %.2fs, lakehouse ingest %.2fs "
                "(ratio %.2f to in-process, %.2f to the command)\n",
                round + 1, duck_default.back(), duck_zstd.back(), duck_process.back(), ours.back(),
                round_ratios.back(), round_ratios_process.back());
  }
  double base = Median(duck_default), base_zstd = Median(duck_zstd), mine = Median(ours);
  double base_process = Median(duck_process);
  std::printf("\n| what (median of %d) | seconds | rows/s | Parquet MB | ratio to DuckDB COPY |\n|---|---|---|---|---|\n", rounds);
  std::printf("| DuckDB COPY read_csv -> parquet (default: snappy) | %.2f | %.0f | %.0f | 1.00 |\n", base, rows / base,
              size_default / 1e6);
  std::printf("| DuckDB COPY read_csv -> parquet (default), as a command in a fresh process | %.2f | %.0f | %.0f | %.2f |\n",
              base_process, rows / base_process, size_default / 1e6, base_process / base);
  std::printf("| DuckDB COPY read_csv -> parquet (zstd, default level) | %.2f | %.0f | %.0f | %.2f |\n", base_zstd,
              rows / base_zstd, size_zstd / 1e6, base_zstd / base);
  std::printf("| lakehouse ingest (whole command; zstd level 1, fsync, SHA-256, PII scan) | %.2f | %.0f | %.0f | %.2f (%.2f vs zstd COPY) |\n",
              mine, rows / mine, size_ours / 1e6, mine / base, mine / base_zstd);
  std::printf("\nlakehouse / DuckDB command (fresh process, default options): %.2f (median of per-round ratios %.2f)\n",
              mine / base_process, Median(round_ratios_process));
  std::printf("lakehouse / DuckDB in this process (default options): %.2f (median of per-round ratios %.2f)\n",
              mine / base, Median(round_ratios));
  return 0;
}
