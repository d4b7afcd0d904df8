// Server overhead for small SQL queries: the same query run in-process
// (QueryEngine::Run, what the route calls) and over HTTP against the real
// binary (keep-alive client, sequential), in the same run; the difference of
// the medians is what the HTTP layer adds. Then throughput under load with
// wrk, when it is installed.
//
// usage: query_bench [--queries 2000] [--wrk-seconds 10] [--wrk-connections 16] [--sql SQL]
// (the SQL must not contain double quotes: it is embedded in a JSON string as is)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <httplib.h>
#include <thread>

#include "app/runtime.h"
#include "fixtures.h"

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct Stats {
  double p50, p95, mean;
};

Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {v[v.size() / 2], v[v.size() * 95 / 100], sum / v.size()};
}

double Micros(Clock::time_point since) {
  return std::chrono::duration<double, std::micro>(Clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  int queries = 2000, wrk_seconds = 10, wrk_connections = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--queries")) queries = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--wrk-seconds")) wrk_seconds = std::stoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--wrk-connections")) wrk_connections = std::stoi(argv[i + 1]);
  }
  fs::path dir = lakehouse::testing::MakeTempDir("query_bench");
  lakehouse::Config config;
  config.data_dir = dir / "data";
  lakehouse::FinishBuckets(config);
  std::string csv = "order_id,region,amount\n";
  for (int i = 0; i < 10000; ++i) {
    csv += std::to_string(i) + "," + (i % 2 ? "EU" : "US") + "," + std::to_string(i % 997) + ".5\n";
  }
  lakehouse::testing::WriteFile(dir / "orders.csv", csv);
  std::string sql = "SELECT order_id, region, amount FROM orders WHERE order_id = 4242";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--sql")) sql = argv[i + 1];
  }
  const std::string body = "{\"sql\": \"" + sql + "\"}";

  std::vector<double> direct, http;
  {
    auto runtime = lakehouse::app::Runtime::Start(config);
    if (!runtime.ok()) return 1;
    lakehouse::ingest::IngestRequest req;
    req.file = dir / "orders.csv";
    req.file_name = "orders.csv";
    if (!(*runtime)->ingestor().Ingest(req).ok()) return 1;
    for (int i = 0; i < queries + 100; ++i) {
      auto t0 = Clock::now();
      auto r = (*runtime)->query().Run({sql, -1, -1});
      if (!r.ok() || r->rows.empty()) return 1;
      if (i >= 100) direct.push_back(Micros(t0));  // first 100 warm up
    }
  }

  fs::path port_file = dir / "port";
  pid_t pid = fork();
  if (pid == 0) {
    std::string data = config.data_dir.string(), pf = port_file.string();
    execl(LAKEHOUSE_BINARY, "lakehouse", "-d", data.c_str(), "--log-level", "warn", "serve", "--port", "0",
          "--port-file", pf.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 200 && !port; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(port_file);
    in >> port;
  }
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  for (int i = 0; i < queries + 100; ++i) {
    auto t0 = Clock::now();
    auto res = client.Post("/query/sql", body, "application/json");
    if (!res || res->status != 200) {
      std::fprintf(stderr, "HTTP query failed\n");
      kill(pid, SIGTERM);
      return 1;
    }
    if (i >= 100) http.push_back(Micros(t0));
  }
  Stats d = Summarise(direct), h = Summarise(http);
  std::printf("query: %s (10,000-row dataset), %d queries each, after 100 warm-up\n\n", sql.c_str(), queries);
  std::printf("| path | p50 us | p95 us | mean us |\n|---|---|---|---|\n");
  std::printf("| in-process QueryEngine::Run | %.0f | %.0f | %.0f |\n", d.p50, d.p95, d.mean);
  std::printf("| HTTP POST /query/sql (keep-alive) | %.0f | %.0f | %.0f |\n", h.p50, h.p95, h.mean);
  std::printf("| HTTP overhead (difference) | %.0f | %.0f | %.0f |\n", h.p50 - d.p50, h.p95 - d.p95, h.mean - d.mean);

  if (std::system("command -v wrk > /dev/null") == 0) {
    fs::path lua = dir / "post.lua";
    lakehouse::testing::WriteFile(lua, "wrk.method = \"POST\"\nwrk.body = '" + body +
                                           "'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
    std::string cmd = "wrk -t2 -c" + std::to_string(wrk_connections) + " -d" + std::to_string(wrk_seconds) +
                      "s -s " + lua.string() + " http://127.0.0.1:" + std::to_string(port) + "/query/sql";
    std::printf("\n$ %s\n", cmd.c_str());
    std::fflush(stdout);
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "wrk failed\n");
  } else {
    std::printf("\nwrk not installed (apt-get install wrk): throughput not measured\n");
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  fs::remove_all(dir);
  return 0;
}
