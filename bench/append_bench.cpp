// Small appends against the real server: N uploads of R rows each into one
// dataset over HTTP (keep-alive client, sequential), timing every append.
// Prints p50/p99 of the first and the last 100 appends and their ratio (the
// cost of an append must not grow with the appends before it). Then, once
// background compaction has had `--settle` seconds, times a point query on
// the dataset against the same rows ingested as one file, in the same run.
//
// usage: append_bench [--appends 10000] [--rows 10] [--settle 20] [--queries 500] [--debug 1 (keep a debug log)]
//                     [--cache 0 (queries scan Parquet: no dataset is held in memory)]
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.h"

namespace fs = std::filesystem;
using lakehouse::bench::Clock;
using lakehouse::bench::Millis;
using lakehouse::bench::Percentile;

namespace {

std::string Rows(int first, int count) {
  std::string csv = "id,region,amount\n";
  for (int i = first; i < first + count; ++i) {
    csv += std::to_string(i) + "," + (i % 2 ? "EU" : "US") + "," + std::to_string(i % 997) + ".5\n";
  }
  return csv;
}

}  // namespace

int main(int argc, char** argv) {
  int appends = 10000, rows = 10, settle_s = 20, queries = 500;
  bool debug = false, keep = false, cache = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--appends")) appends = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rows")) rows = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--settle")) settle_s = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--queries")) queries = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--debug")) debug = keep = std::string(argv[i + 1]) == "1";
    if (!std::strcmp(argv[i], "--cache")) cache = std::string(argv[i + 1]) != "0";
  }
  fs::path dir = lakehouse::testing::MakeTempDir("append_bench");
  int port = 0;
  pid_t server = lakehouse::bench::StartServer(dir, &port, cache ? "" : "[query]\ncache_max_bytes = 0\n",
                                                debug ? "debug" : "info");
  if (server < 0) return 1;
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(60, 0);
  std::vector<double> latency;
  latency.reserve(appends);
  auto started = Clock::now();
  for (int i = 0; i < appends; ++i) {
    httplib::MultipartFormDataItems items = {{"file", Rows(i * rows, rows), "part.csv", "text/csv"},
                                             {"name", "events", "", ""}};
    auto t0 = Clock::now();
    auto res = http.Post("/ingest/file", items);
    latency.push_back(Millis(t0));
    if (!res || res->status != 201) {
      std::fprintf(stderr, "append %d failed: %s\n", i, res ? res->body.c_str() : "no answer");
      kill(server, SIGKILL);
      return 1;
    }
    if ((i + 1) % 1000 == 0) std::fprintf(stderr, "  %d appends, %.1f s\n", i + 1, Millis(started) / 1000);
  }
  double total_s = Millis(started) / 1000;
  std::vector<double> first(latency.begin(), latency.begin() + std::min(100, appends));
  std::vector<double> last(latency.end() - std::min(100, appends), latency.end());
  std::printf("appends: %d x %d rows in %.1f s (%.0f appends/s)\n", appends, rows, total_s, appends / total_s);
  std::printf("first 100: p50 %.2f ms  p99 %.2f ms\n", Percentile(first, 0.5), Percentile(first, 0.99));
  std::printf("last 100:  p50 %.2f ms  p99 %.2f ms\n", Percentile(last, 0.5), Percentile(last, 0.99));
  std::printf("p99 last/first: %.2fx (goal <= 1.5x)\n", Percentile(last, 0.99) / Percentile(first, 0.99));

  // The same rows as one file, for the point-query baseline.
  httplib::MultipartFormDataItems whole = {{"file", Rows(0, appends * rows), "whole.csv", "text/csv"},
                                           {"name", "events_one_file", "", ""}};
  if (auto res = http.Post("/ingest/file", whole); !res || res->status != 201) return 1;
  std::this_thread::sleep_for(std::chrono::seconds(settle_s));
  auto versions = http.Get("/catalog/datasets/by-name/events/versions");
  if (versions) {
    auto body = nlohmann::json::parse(versions->body, nullptr, false);
    if (body.is_object()) {
      for (const auto& v : body["versions"]) {
        std::printf("version %d: %zu files, %lld rows\n", v.value("number", 0), v["files"].size(),
                    static_cast<long long>(v.value("row_count", int64_t{0})));
      }
    }
  }
  auto point = [&](const std::string& table) {
    std::vector<double> t;
    for (int i = 0; i < queries + 50; ++i) {
      int id = (i * 7919) % (appends * rows);
      std::string body = nlohmann::json{{"sql", "SELECT id, region, amount FROM " + table + " WHERE id = " +
                                                    std::to_string(id)}}.dump();
      auto t0 = Clock::now();
      auto res = http.Post("/query/sql", body, "application/json");
      if (i >= 50) t.push_back(Millis(t0));
      if (!res || res->status != 200) return std::vector<double>{};
    }
    return t;
  };
  // Alternate the two so that noise hits both alike.
  std::vector<double> appended, one_file;
  for (int round = 0; round < 4; ++round) {
    auto a = point("events"), b = point("events_one_file");
    appended.insert(appended.end(), a.begin(), a.end());
    one_file.insert(one_file.end(), b.begin(), b.end());
  }
  if (appended.empty() || one_file.empty()) return 1;
  std::printf("point query, appended dataset: p50 %.3f ms  p99 %.3f ms\n", Percentile(appended, 0.5),
              Percentile(appended, 0.99));
  std::printf("point query, one file:         p50 %.3f ms  p99 %.3f ms\n", Percentile(one_file, 0.5),
              Percentile(one_file, 0.99));
  std::printf("p50 appended/one file: %.2fx (goal <= 1.2x)\n", Percentile(appended, 0.5) / Percentile(one_file, 0.5));
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  if (keep) {
    std::printf("server log kept in %s\n", (dir / "server.log").c_str());
  } else {
    fs::remove_all(dir);
  }
  return 0;
}
