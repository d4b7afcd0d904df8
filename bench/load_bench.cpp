// Mixed load against the real server: C clients (keep-alive, one thread
// each) for S seconds, each request drawn at random: 70% point SQL on a
// 100k-row dataset, 20% hybrid vector search (hash embedder, 2,000
// documents), 10% appends of 10 rows to one dataset. Prints throughput and
// p50/p99 per kind, errors, and whether every appended row is there after.
//
// usage: load_bench [--clients 64] [--seconds 180]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <httplib.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.h"

namespace fs = std::filesystem;
using lakehouse::bench::Clock;
using lakehouse::bench::Millis;
using lakehouse::bench::Percentile;

namespace {

enum Kind { kPoint, kSearch, kAppend, kKinds };
const char* kNames[] = {"point SQL", "vector search", "append"};

struct Totals {
  std::mutex mutex;
  std::vector<double> latency[kKinds];
  int64_t errors[kKinds] = {0, 0, 0};
  int64_t appended_rows = 0;
  std::string first_error;
};

}  // namespace

int main(int argc, char** argv) {
  int clients = 64, seconds = 180;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--clients")) clients = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::stoi(argv[i + 1]);
  }
  fs::path dir = lakehouse::testing::MakeTempDir("load_bench");
  int port = 0;
  pid_t server = lakehouse::bench::StartServer(dir, &port);
  if (server < 0) return 1;
  httplib::Client setup("127.0.0.1", port);
  setup.set_read_timeout(300, 0);
  std::string orders = "order_id,region,amount\n";
  for (int i = 0; i < 100000; ++i) orders += std::to_string(i) + "," + (i % 2 ? "EU" : "US") + "," + std::to_string(i % 997) + ".5\n";
  const char* words[] = {"invoice", "late", "payment", "customer", "refund", "shipping", "order", "delay", "account",
                         "report", "quarter", "warehouse", "supplier", "contract", "renewal", "discount"};
  std::string notes = "id,body\n";
  std::mt19937 gen(7);
  for (int i = 0; i < 2000; ++i) {
    notes += std::to_string(i) + ",\"";
    for (int w = 0; w < 30; ++w) notes += std::string(words[gen() % 16]) + " ";
    notes += "\"\n";
  }
  for (auto [name, csv] : std::vector<std::pair<std::string, std::string>>{{"orders", orders}, {"notes", notes},
                                                                            {"events", "id,client,v\n-1,-1,0\n"}}) {
    httplib::MultipartFormDataItems items = {{"file", csv, name + ".csv", "text/csv"}, {"name", name, "", ""}};
    auto r = setup.Post("/ingest/file", items);
    if (!r || r->status != 201) return 1;
  }
  auto idx = setup.Post("/vectors/indexes",
                        R"({"name": "notes_idx", "dataset": "notes", "id_column": "id", "text_column": "body", "wait": true})",
                        "application/json");
  if (!idx || idx->status != 201) {
    std::fprintf(stderr, "index: %s\n", idx ? idx->body.c_str() : "no answer");
    return 1;
  }

  Totals totals;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto started = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client http("127.0.0.1", port);
      http.set_read_timeout(60, 0);
      http.set_keep_alive(true);
      std::mt19937 rng(c * 7919 + 1);
      std::vector<double> mine[kKinds];
      int64_t errors[kKinds] = {0, 0, 0}, rows = 0, seq = 0;
      std::string first_error;
      while (!stop) {
        int roll = static_cast<int>(rng() % 100);
        Kind kind = roll < 70 ? kPoint : roll < 90 ? kSearch : kAppend;
        auto t0 = Clock::now();
        httplib::Result res = [&] {
        if (kind == kPoint) {
          return http.Post("/query/sql",
                          nlohmann::json{{"sql", "SELECT order_id, region, amount FROM orders WHERE order_id = " +
                                                     std::to_string(rng() % 100000)}}.dump(),
                          "application/json");
        }
        if (kind == kSearch) {
          std::string q = std::string(words[rng() % 16]) + " " + words[rng() % 16];
          return http.Post("/vectors/search/notes_idx", nlohmann::json{{"text", q}, {"k", 5}, {"mode", "hybrid"}}.dump(),
                          "application/json");
        }
        {
          std::string csv = "id,client,v\n";
          for (int r = 0; r < 10; ++r) csv += std::to_string(seq++) + "," + std::to_string(c) + ",1\n";
          httplib::MultipartFormDataItems items = {{"file", csv, "part.csv", "text/csv"}, {"name", "events", "", ""}};
          return http.Post("/ingest/file", items);
        }
        }();
        double ms = Millis(t0);
        bool ok = res && res->status / 100 == 2;
        if (ok) {
          mine[kind].push_back(ms);
          if (kind == kAppend) rows += 10;
        } else {
          ++errors[kind];
          if (first_error.empty()) first_error = res ? std::to_string(res->status) + " " + res->body : "no answer";
        }
      }
      std::lock_guard lock(totals.mutex);
      for (int k = 0; k < kKinds; ++k) {
        totals.latency[k].insert(totals.latency[k].end(), mine[k].begin(), mine[k].end());
        totals.errors[k] += errors[k];
      }
      totals.appended_rows += rows;
      if (totals.first_error.empty()) totals.first_error = first_error;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = Millis(started) / 1000;
  std::printf("%d clients, %.0f s\n", clients, elapsed);
  std::printf("%-14s %9s %8s %9s %9s %7s\n", "kind", "requests", "per s", "p50 ms", "p99 ms", "errors");
  int64_t all = 0, all_errors = 0;
  for (int k = 0; k < kKinds; ++k) {
    all += static_cast<int64_t>(totals.latency[k].size());
    all_errors += totals.errors[k];
    std::printf("%-14s %9zu %8.1f %9.2f %9.2f %7lld\n", kNames[k], totals.latency[k].size(),
                totals.latency[k].size() / elapsed, Percentile(totals.latency[k], 0.5),
                Percentile(totals.latency[k], 0.99), static_cast<long long>(totals.errors[k]));
  }
  std::printf("all: %lld requests (%.0f/s), %lld errors%s%s\n", static_cast<long long>(all), all / elapsed,
              static_cast<long long>(all_errors), totals.first_error.empty() ? "" : "; first: ",
              totals.first_error.substr(0, 200).c_str());
  auto count = setup.Post("/query/sql", R"({"sql": "SELECT count(*) FROM events WHERE id >= 0"})", "application/json");
  int64_t stored = -1;
  if (count && count->status == 200) stored = nlohmann::json::parse(count->body)["rows"][0][0].get<int64_t>();
  std::printf("appended rows: %lld acknowledged, %lld stored (%s)\n", static_cast<long long>(totals.appended_rows),
              static_cast<long long>(stored), stored == totals.appended_rows ? "none lost" : "MISMATCH");
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  fs::remove_all(dir);
  return stored == totals.appended_rows ? 0 : 1;
}
