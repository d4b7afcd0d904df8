#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include "app/runtime.h"
#include "cli/commands.h"
#include "common/files.h"
#include "server/server.h"

namespace lakehouse::cli {

namespace {

void LoadDemo(app::Runtime& runtime, const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec) {
    spdlog::warn("demo folder {}: {}", dir, ec.message());
    return;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    ingest::IngestRequest request;
    request.file = file;
    request.file_name = file.filename().string();
    request.source_system = "file";
    auto result = runtime.ingestor().Ingest(request);
    if (result.ok()) {
      std::cout << "  demo: " << result->message << "\n";
    } else {
      std::cout << "  demo: " << file.filename().string() << ": " << result.status().message() << "\n";
    }
  }
  // A vector index over the handbook, so search can be tried at once.
  if (runtime.catalog().Get("handbook").ok() && !runtime.indexes().Get("handbook_idx").ok()) {
    vector::IndexManifest index;
    index.name = "handbook_idx";
    index.dataset = "handbook";
    index.id_column = "paragraph";
    index.text_column = "text";
    index.chunking = {400, vector::DefaultOverlap(400)};
    auto built = runtime.indexes().Prepare(index);
    if (built.ok()) built = runtime.indexes().BuildPrepared(index.name);
    std::cout << "  demo: vector index handbook_idx "
              << (built.ok() ? "built" : "not built: " + built.status().message()) << "\n";
  }
}

void PrintWelcome(const Config& config, int port, bool tls) {
  std::string base = (tls ? "https://" : "http://") + config.host + ":" + std::to_string(port);
  std::cout << "lakehouse listening on " << base << "  (data in " << config.data_dir.string() << ")\n"
            << "Try:\n"
            << "  curl -s " << base << "/catalog/datasets\n"
            << "  curl -s -X POST " << base << "/query/sql -d '{\"sql\": \"SELECT * FROM orders LIMIT 5\"}'\n"
            << "  curl -s -F file=@your.csv " << base << "/ingest/file\n"
            << "  curl -s -X POST " << base
            << "/vectors/search/handbook_idx -d '{\"text\": \"which columns hold personal data\", \"k\": 3}'\n"
            << "  lakehouse query \"SELECT region, sum(amount) FROM orders GROUP BY region\"\n"
            << (config.inbox_enabled ? "  cp your.csv " + config.inbox_dir.string() + "/   (the inbox: ingested once it stops growing)\n"
                                     : std::string())
            << (tls ? "  (a self-signed certificate? give curl --cacert " + config.tls_cert.string() + ")\n" : std::string())
            << "Stop with Ctrl-C. Routes: docs/api.md\n"
            << std::flush;
}

}  // namespace

int RunServe(const Config& config, const ServeOptions& options) {
  // Signals are taken by a dedicated thread, so the server stops cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto runtime = app::Runtime::Start(config);
  if (!runtime.ok()) {
    std::cerr << "error: " << runtime.status().message() << "\n";
    return 1;
  }
  // Open to whoever can reach it only where that is the machine's own users.
  const std::string& host = config.host;
  if (!server::IsLoopback(host) && !(*runtime)->keys().AnyActive()) {
    if (!config.insecure) {
      std::cerr << "error: refusing to listen on " << host
                << " with no API key: anyone who can reach it could read, change and delete every dataset.\n"
                << "  Make a key first:  lakehouse auth key create --role admin --name me\n"
                << "  (then send it as \"Authorization: Bearer KEY\"), or start with --insecure on a trusted network.\n";
      return 1;
    }
    spdlog::warn("listening on {} with no API key (--insecure): anyone who can reach it may do anything", host);
  }
  if (!(*runtime)->config().pii_access_token.empty()) {
    spdlog::warn("[vectors] pii_access_token no longer shows PII: only API keys with the pii grant see it "
                 "(lakehouse auth key create --role reader --grant pii); remove the setting");
  }
  (*runtime)->CleanUpAfterCrashes();
  if (Status opened = (*runtime)->query().Open(); !opened.ok()) {
    std::cerr << "error: query engine: " << opened.message() << "\n";
    return 1;
  }
  if (!options.demo_dir.empty()) LoadDemo(**runtime, options.demo_dir);
  server::Server http(**runtime);
  if (!config.tls_cert.empty()) {
    auto tls = http.EnableTls(config.tls_cert, config.tls_key);
    if (!tls.ok()) {
      std::cerr << "error: " << tls.status().message() << "\n";
      return 1;
    }
    for (const auto& warning : *tls) std::cerr << "warning: " << warning << "\n";
  }
  auto port = http.Bind(config.host, config.port);
  if (!port.ok()) {
    std::cerr << "error: " << port.status().message() << "\n";
    return 1;
  }
  if (!options.port_file.empty()) {
    Status s = AtomicWriteFile(options.port_file, std::to_string(*port) + "\n");
    if (!s.ok()) std::cerr << "warning: " << s.message() << "\n";
  }
  for (const auto& warning : (*runtime)->StartServices()) std::cerr << "warning: " << warning << "\n";
  PrintWelcome(config, *port, http.tls());
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    http.Stop();
  });
  http.Serve();
  // Serve can also end without a signal (socket failure): wake the waiter.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}

}  // namespace lakehouse::cli
