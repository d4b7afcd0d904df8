// Ingest throughput: `lakehouse ingest` (the whole CLI command: process start,
// format detection, SHA-256, CSV -> zstd Parquet, PII scan, manifest) against
// DuckDB's own COPY (SELECT * FROM read_csv(...)) TO 'x.parquet' on the same
// file, in the same run, alternating, median of N rounds.
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
    if (!Check((*conn)->Execute(
                   "COPY (SELECT range AS order_id, 'customer' || (range % 100000) || '@example.com' AS email, "
                   "['EU','US','APAC','LATAM'][1 + range % 4] AS region, "
                   "round(random() * 1000, 2) AS amount, (range % 9) + 1 AS quantity, "
                   "TIMESTAMP '2024-01-01' + to_seconds(range) AS ordered_at, "
                   "'note ' || md5(range::VARCHAR) AS note FROM range(" + std::to_string(rows) + ")) TO " +
                   QuoteLiteral(csv.string()) + " (HEADER, DELIMITER ',')"),
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
  std::vector<double> round_ratios;
  for (int round = 0; round < rounds; ++round) {
    // Each round starts with a different one of the three, so that none is
    // always the one that runs after the other two.
    for (int k = 0; k < 3; ++k) {
      int which = (round + k) % 3;
      bool ok = which == 0   ? duck_copy("", duck_default, size_default)
                : which == 1 ? duck_copy(", COMPRESSION zstd", duck_zstd, size_zstd)
                             : lakehouse_ingest();
      if (!ok) return 1;
    }
    round_ratios.push_back(ours.back() / duck_default.back());
    std::printf("round %d: duckdb %.2fs, duckdb+zstd %.2fs, lakehouse ingest %.2fs (ratio %.2f)\n", round + 1,
                duck_default.back(), duck_zstd.back(), ours.back(), round_ratios.back());
  }
  double base = Median(duck_default), base_zstd = Median(duck_zstd), mine = Median(ours);
  std::printf("\n| what (median of %d) | seconds | rows/s | Parquet MB | ratio to DuckDB COPY |\n|---|---|---|---|---|\n", rounds);
  std::printf("| DuckDB COPY read_csv -> parquet (default: snappy) | %.2f | %.0f | %.0f | 1.00 |\n", base, rows / base,
              size_default / 1e6);
  std::printf("| DuckDB COPY read_csv -> parquet (zstd, default level) | %.2f | %.0f | %.0f | %.2f |\n", base_zstd,
              rows / base_zstd, size_zstd / 1e6, base_zstd / base);
  std::printf("| lakehouse ingest (whole command; zstd level 1, fsync, SHA-256, PII scan) | %.2f | %.0f | %.0f | %.2f (%.2f vs zstd COPY) |\n",
              mine, rows / mine, size_ours / 1e6, mine / base, mine / base_zstd);
  std::printf("\nmedian of the per-round ratios lakehouse / DuckDB default: %.2f\n", Median(round_ratios));
  return 0;
}
