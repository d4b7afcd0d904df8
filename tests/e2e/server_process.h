// Starts the real lakehouse binary on a free port with its own data folder,
// and stops it. Used by every end-to-end test.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lakehouse::testing {

class ServerProcess {
 public:
  // `config_toml` is written to lakehouse.toml in the data folder's parent.
  // `storage_toml` adds lines to the [storage] section.
  explicit ServerProcess(std::string config_toml = "", std::string storage_toml = "");
  ~ServerProcess();

  bool Start();
  // Environment variables for the next Start (e.g. LAKEHOUSE_CRASH_AT).
  void SetEnv(const std::string& key, const std::string& value) { env_[key] = value; }
  void ClearEnv() { env_.clear(); }
  // ulimit -f for the next Start, in bytes; 0: none.
  void SetFileSizeLimit(uint64_t bytes) { file_size_limit_ = bytes; }
  // The server speaks HTTPS: http() verifies its certificate against `ca`.
  void UseTls(std::filesystem::path ca) { tls_ca_ = std::move(ca); }
  // More arguments for `serve` at the next Start (e.g. --insecure).
  void SetServeArgs(std::vector<std::string> args) { serve_args_ = std::move(args); }
  // Waits for the process to end by itself (a crash); true when it did.
  bool WaitForExit(int timeout_ms);
  void Stop();
  // kill -9, and reap it.
  void Kill();
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  httplib::Client& http() { return *client_; }
  std::string log() const;  // what the server printed

  // Runs the CLI against the same data folder; returns exit code, fills output.
  // stdout and stderr into `output`, or stderr apart into `errors` when given.
  int RunCli(const std::vector<std::string>& args, std::string* output, std::string* errors = nullptr) const;

 private:
  std::filesystem::path dir_;
  std::string config_toml_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  std::map<std::string, std::string> env_;
  uint64_t file_size_limit_ = 0;
  std::filesystem::path tls_ca_;
  std::vector<std::string> serve_args_;
};

std::string BinaryPath();

}  // namespace lakehouse::testing
