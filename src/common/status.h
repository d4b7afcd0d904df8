// Status and Result<T>: how expected failures travel through lakehouse.
//
// Bad input, unknown names, conflicts and I/O failures are values, never
// exceptions. Each code maps to one HTTP status in server/ (http_errors.cpp)
// and to one exit code in cli/. Messages are written for the user: they say
// what went wrong and, where it helps, what to do next. They must never carry
// a secret (see common/redact.h).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lakehouse {

enum class StatusCode {
  kOk,
  kInvalidArgument,   // 400: the request itself is wrong
  kUnauthenticated,   // 401: no API key, or one that is unknown, revoked or expired
  kNotFound,          // 404: an unknown dataset, bucket, index...
  kConflict,          // 409: the request clashes with what is stored
  kPermissionDenied,  // 403: not allowed (sandboxed SQL, protected bucket)
  kTooLarge,          // 413: over a configured size limit
  kTimeout,           // 408: a configured time limit ran out
  kUnavailable,       // 503: a dependency (database, embedder) cannot be reached
  kUpstreamTimeout,   // 504: a dependency answered but did not do it in time (a model that will not unload)
  kStorageFull,       // 507: the disk (or a file size limit) stopped a write
  kInternal,          // 500: our own fault
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Prefixes the message with context ("ingest orders.csv: ...").
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
inline Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status UpstreamTimeout(std::string m) { return {StatusCode::kUpstreamTimeout, std::move(m)}; }
inline Status StorageFull(std::string m) { return {StatusCode::kStorageFull, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace lakehouse

#define LH_CONCAT_INNER(a, b) a##b
#define LH_CONCAT(a, b) LH_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when it is not ok.
#define LH_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::lakehouse::Status lh_status_ = (expr);      \
    if (!lh_status_.ok()) return lh_status_;      \
  } while (0)

// auto x = LH_TRY(ResultExpr); returns the Status on failure.
#define LH_ASSIGN_OR_RETURN(lhs, expr)                       \
  auto LH_CONCAT(lh_result_, __LINE__) = (expr);             \
  if (!LH_CONCAT(lh_result_, __LINE__).ok())                 \
    return LH_CONCAT(lh_result_, __LINE__).status();         \
  lhs = std::move(LH_CONCAT(lh_result_, __LINE__)).value()
