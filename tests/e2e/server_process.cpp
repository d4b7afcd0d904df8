#include "server_process.h"

#include <sys/resource.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "fixtures.h"

namespace lakehouse::testing {

std::string BinaryPath() { return LAKEHOUSE_BINARY; }

ServerProcess::ServerProcess(std::string config_toml, std::string storage_toml)
    : dir_(MakeTempDir("e2e")), config_toml_(std::move(config_toml)) {
  WriteFile(dir_ / "lakehouse.toml", config_toml_ + "\n[storage]\ndata_dir = \"data\"\n" + storage_toml + "\n");
}

ServerProcess::~ServerProcess() {
  Stop();
  std::filesystem::remove_all(dir_);
}

bool ServerProcess::Start() {
  std::filesystem::path port_file = dir_ / "port";
  std::filesystem::remove(port_file);
  pid_ = fork();
  if (pid_ == 0) {
    int log = ::open((dir_ / "server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, 1);
    dup2(log, 2);
    for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    if (file_size_limit_ > 0) {
      rlimit limit{static_cast<rlim_t>(file_size_limit_), static_cast<rlim_t>(file_size_limit_)};
      setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::string config = (dir_ / "lakehouse.toml").string();
    std::string port_arg = port_file.string();
    std::vector<std::string> args = {"lakehouse", "--config", config, "serve", "--port", "0", "--port-file", port_arg};
    args.insert(args.end(), serve_args_.begin(), serve_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(BinaryPath().c_str(), argv.data());
    _exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(port_file);
    if (in >> port_) {
      if (tls_ca_.empty()) {
        client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
      } else {
        client_ = std::make_unique<httplib::Client>("https://127.0.0.1:" + std::to_string(port_));
        client_->set_ca_cert_path(tls_ca_.c_str());
        client_->enable_server_certificate_verification(true);
      }
      client_->set_read_timeout(60, 0);
      client_->set_tcp_nodelay(true);
      if (auto res = client_->Get("/health"); res && res->status == 200) return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool ServerProcess::WaitForExit(int timeout_ms) {
  if (pid_ <= 0) return true;
  int status = 0;
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (waitpid(pid_, &status, WNOHANG) == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(dir_ / "server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ServerProcess::RunCli(const std::vector<std::string>& args, std::string* output, std::string* errors) const {
  std::string cmd = "'" + BinaryPath() + "' --config '" + (dir_ / "lakehouse.toml").string() + "'";
  for (const auto& a : args) {
    std::string quoted = "'";
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += " " + quoted + "'";
  }
  std::filesystem::path err_file = dir_ / "cli-stderr.txt";
  cmd += errors ? " 2>'" + err_file.string() + "'" : std::string(" 2>&1");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) {
    if (output) output->append(buf, n);
  }
  int status = pclose(pipe);
  if (errors) {
    std::ifstream in(err_file);
    errors->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace lakehouse::testing
