#include "server/server.h"

#include "common/foreground.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <strings.h>

#include <chrono>

#include "server/caller.h"
#include "server/guarded_server.h"
#include "server/http_util.h"
#include "server/route_table.h"
#include "server/routes.h"
#include "server/tls.h"

namespace lakehouse::server {

namespace {

// The key a request carries: "Authorization: Bearer KEY" or "X-Api-Key: KEY".
std::string KeyOf(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  // The scheme is case-insensitive (RFC 7235), then spaces or tabs.
  if (auth.size() > 7 && strncasecmp(auth.c_str(), "bearer", 6) == 0 && (auth[6] == ' ' || auth[6] == '\t')) {
    size_t start = auth.find_first_not_of(" \t", 6);
    size_t end = auth.find_last_not_of(" \t");
    if (start != std::string::npos) return auth.substr(start, end - start + 1);
  }
  return req.get_header_value("X-Api-Key");
}

// Who the request on this worker thread is, from pre-routing to the
// logger (httplib runs both, and the handler, on one thread per request).
struct Caller {
  std::string actor = "open", role;
  bool pii = false;  // the key's pii grant
  const RouteRule* rule = nullptr;  // found once, in pre-routing
  std::string target;               // the route's first {parameter}
};
thread_local Caller caller;

// Once any key exists, every route but /health needs one, loopback
// included; a route missing from the table needs admin, so a new route is
// never open by mistake. Ok when the request may go on.
// `require_key`: a non-loopback server (without --insecure) needs a key
// even when no key file exists, so deleting it or revoking the last key
// never opens it to the network.
Status CheckAccess(auth::KeyStore& keys, bool require_key, const httplib::Request& req) {
  caller = Caller{};
  const RouteRule* rule = caller.rule = FindRoute(req.method, req.path, &caller.target);
  if (rule && !rule->role) return Status::Ok();
  if (keys.FileState() == auth::KeyFileState::kNone && !require_key) return Status::Ok();
  caller.actor = "anonymous";
  std::string key = KeyOf(req);
  if (key.empty()) {
    return Unauthenticated("this server needs an API key: send \"Authorization: Bearer KEY\" (or X-Api-Key); "
                           "`lakehouse auth key create --role reader` makes one");
  }
  LH_ASSIGN_OR_RETURN(auto who, keys.Authenticate(key));
  caller.actor = who.name;
  caller.role = auth::RoleName(who.role);
  caller.pii = who.pii;
  auth::Role need = rule ? *rule->role : auth::Role::kAdmin;
  if (!auth::Allows(who.role, need)) {
    return PermissionDenied("key '" + who.name + "' is a " + auth::RoleName(who.role) + " key; " + req.method + " " +
                            req.path + " needs " + auth::RoleName(need));
  }
  return Status::Ok();
}

// What the audit log keeps: every request to a writer or admin route,
// every refusal, and every read that asked for PII.
void Audit(auth::AuditLog& log, const httplib::Request& req, const httplib::Response& res) {
  const RouteRule* rule = caller.rule;
  std::string target = caller.target;
  bool writes = rule && rule->role && *rule->role != auth::Role::kReader && req.method != "GET";
  bool refused = res.status == 401 || res.status == 403;
  // Values shown as stored: what a key with the pii grant read.
  bool pii = caller.pii && rule && rule->shows_rows && res.status < 400;
  if (!writes && !refused && !pii) return;
  if (target.empty() && req.body.size() < 64 * 1024) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    for (const char* field : {"name", "dataset", "bucket", "id", "model"}) {
      if (body.is_object() && body.contains(field) && body[field].is_string()) {
        target = body[field].get<std::string>();
        break;
      }
    }
  }
  auth::AuditEntry e;
  e.at = Now();
  e.actor = caller.actor;
  e.role = caller.role;
  e.method = req.method;
  e.route = req.path;
  e.target = target;
  e.client = req.remote_addr;
  e.status = res.status;
  e.outcome = refused ? auth::AuditOutcome::kRefused
                      : res.status >= 400 ? auth::AuditOutcome::kFailed : auth::AuditOutcome::kOk;
  if (res.status >= 400) {
    auto body = nlohmann::json::parse(res.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      e.detail = body["error"].value("message", "");
    }
  }
  if (pii && e.detail.empty()) e.detail = "read with the pii grant";
  if (Status s = log.Append(e); !s.ok()) spdlog::error("audit log: {}", s.message());
}

HttpLimits LimitsFrom(const Config& config) {
  HttpLimits limits;
  limits.min_workers = std::max(2, config.threads);
  limits.max_connections = std::max(limits.min_workers, config.max_connections);
  limits.max_connections_per_client = config.max_connections_per_client;
  limits.header_timeout_ms = config.header_timeout_ms;
  limits.read_timeout_ms = config.read_timeout_ms;
  limits.write_timeout_ms = config.read_timeout_ms;
  limits.min_body_bytes_per_s = config.min_upload_bytes_per_s;
  return limits;
}

}  // namespace

Server::Server(app::Runtime& runtime)
    : runtime_(runtime), http_(std::make_unique<GuardedServer>(LimitsFrom(runtime.config()))) {
  const Config& config = runtime.config();
  // Small JSON answers must not wait for delayed ACKs (Nagle): ~40 ms each otherwise.
  http_->set_tcp_nodelay(true);
  http_->set_payload_max_length(config.max_upload_bytes + 1024 * 1024);

  // Never waits on a query or a lock held by one: answers while slow queries run.
  http_->Get("/health", [&runtime](const httplib::Request&, httplib::Response& res) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& [what, why] : runtime.Problems()) problems.push_back({{"what", what}, {"message", why}});
    nlohmann::json warnings = nlohmann::json::array();
    if (!IsLoopback(runtime.config().host) && !runtime.keys().AnyActive()) {
      warnings.push_back(runtime.config().insecure
                             ? "listening on " + runtime.config().host +
                                   " with no API key (--insecure): anyone who can reach it may read, change and "
                                   "delete everything; `lakehouse auth key create --role admin` closes it"
                             : "listening on " + runtime.config().host +
                                   " with no active API key: every route but /health refuses; "
                                   "`lakehouse auth key create` makes one");
    }
    if (!runtime.config().pii_access_token.empty()) {
      warnings.push_back("[vectors] pii_access_token (LAKEHOUSE_PII_TOKEN) no longer shows PII: only API keys with "
                         "the pii grant see it (`lakehouse auth key create --role reader --grant pii`); remove it");
    }
    SendJson(res, {{"status", problems.empty() ? "ok" : "degraded"},
                   {"version", "0.1.0"},
                   {"problems", problems},
                   {"warnings", warnings}});
  });
  RegisterCatalogRoutes(*http_, runtime);
  RegisterIngestRoutes(*http_, runtime.ingestor(), runtime.buckets(), config.max_upload_bytes);
  RegisterImportRoutes(*http_, runtime.ingestor());
  RegisterQueryRoutes(*http_, runtime.query());
  RegisterStorageRoutes(*http_, runtime);
  RegisterVectorRoutes(*http_, runtime);
  RegisterAutotuneRoutes(*http_, runtime);
  RegisterProfileRoutes(*http_, runtime);
  RegisterAuditRoutes(*http_, runtime.audit());

  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a route already wrote its error
    if (res.status == 404) {
      SendError(res, NotFound("no route " + req.method + " " + req.path + "; see docs/api.md"));
    } else if (res.status == 413) {
      SendError(res, TooLarge("the request body is larger than the configured limit"));
    } else if (res.status == 400) {
      SendError(res, InvalidArgument("the request could not be read; a POST needs a body or Content-Length: 0 "
                                     "(with curl, add -d '{}')"));
    } else {
      SendJson(res, {{"error", {{"code", "http_" + std::to_string(res.status)}, {"message", "request failed"}}}},
               res.status);
    }
  });
  http_->set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("{} {}: unhandled exception: {}", req.method, req.path, what);
    SendError(res, Internal("internal error while handling the request; see the server log"));
  });
  // Client work in flight, for the background services that yield to it.
  // Handler, pre-routing and logger run on one worker thread per request;
  // the flag keeps an End for a request that was never begun (one refused
  // before routing) from counting. Monitoring polls are not client work.
  static thread_local bool counted = false;
  ForegroundLoad* load = &runtime.foreground();
  auth::KeyStore* keys = &runtime.keys();
  bool require_key = !IsLoopback(config.host) && !config.insecure;
  // Refused before the body is read: the connection cannot carry another request.
  auto refuse = [](httplib::Response& res, const Status& why) {
    if (why.code() == StatusCode::kUnauthenticated) res.set_header("WWW-Authenticate", "Bearer");
    res.set_header("Connection", "close");
    SendError(res, why);
    CloseConnectionAfterResponse();
  };
  // A client that waits for "100 Continue" is refused before it sends the body.
  http_->set_expect_100_continue_handler([keys, require_key, refuse](const httplib::Request& req, httplib::Response& res) {
    Status allowed = CheckAccess(*keys, require_key, req);
    if (allowed.ok()) return 100;
    refuse(res, allowed);
    return HttpStatusFor(allowed.code());
  });
  http_->set_pre_routing_handler([load, keys, require_key, refuse](const httplib::Request& req, httplib::Response& res) {
    if (counted) load->End();  // the last request on this thread was never logged
    counted = false;
    if (Status allowed = CheckAccess(*keys, require_key, req); !allowed.ok()) {
      refuse(res, allowed);
      return httplib::Server::HandlerResponse::Handled;
    }
    counted = req.path != "/health" && req.path != "/vectors/agent/status";
    if (counted) load->Begin();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auth::AuditLog* audit = &runtime.audit();
  http_->set_logger([load, audit](const httplib::Request& req, const httplib::Response& res) {
    if (counted) {
      load->End();
      counted = false;
    }
    Audit(*audit, req, res);
    caller = Caller{};  // a request refused before routing must not inherit it
    spdlog::debug("{} {} -> {}", req.method, req.path, res.status);
  });
}

Server::~Server() = default;

bool CallerSeesPii() { return caller.pii; }

bool IsLoopback(const std::string& host) {
  // Literal addresses only: a name such as 127.evil.example may resolve anywhere.
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

Result<int> Server::Bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = http_->bind_to_any_port(host.c_str());
  } else if (!http_->bind_to_port(host.c_str(), port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                       " (in use? choose another with --port)");
  }
  http_->WidenBacklog();
  return bound;
}

Result<std::vector<std::string>> Server::EnableTls(const std::filesystem::path& cert, const std::filesystem::path& key) {
  LH_ASSIGN_OR_RETURN(auto tls, TlsContext::Load(cert, key));
  std::vector<std::string> warnings = tls->warnings();
  http_->UseTls(std::move(tls));
  return warnings;
}

bool Server::tls() const { return http_->tls(); }

void Server::Serve() { http_->listen_after_bind(); }

void Server::Stop() { http_->stop(); }

}  // namespace lakehouse::server
