// Integer fields of stored JSON read safely. nlohmann converts a float to an
// integer by a plain cast, undefined behaviour when it is out of range
// (the fuzzer found row_count = 2e60 in a manifest); these refuse such
// values with a json::type_error, which the readers report as a bad file.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>

#include "common/clock.h"

namespace lakehouse {

template <typename T>
T JsonInteger(const nlohmann::json& value, const char* what) {
  static_assert(std::is_integral_v<T>);
  if (value.is_number_unsigned()) {
    auto v = value.get<uint64_t>();
    if (v <= static_cast<uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(v);
  } else if (value.is_number_integer()) {
    auto v = value.get<int64_t>();
    if (v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
        (v < 0 || static_cast<uint64_t>(v) <= static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
      return static_cast<T>(v);
    }
  } else if (value.is_number_float()) {
    double d = value.get<double>();
    // Whole numbers written as 3.0 are fine; 2e60 or 0.5 is not.
    if (std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(std::numeric_limits<T>::min()) &&
        d < static_cast<double>(std::numeric_limits<T>::max())) {
      return static_cast<T>(d);
    }
  }
  throw nlohmann::json::type_error::create(302, std::string(what) + " must be an integer in range", &value);
}

// j[key] as an integer, `fallback` when absent or null.
template <typename T>
T IntField(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return JsonInteger<T>(*it, key);
}

// j[key] when it is a string, "" otherwise: for files that must read as
// defaults, never throw, whatever a hand edit put there.
inline std::string StringOr(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// A time as stored and answered: ISO 8601, or null when unset.
inline nlohmann::json TimeJson(TimePoint t) {
  return t == TimePoint{} ? nlohmann::json(nullptr) : nlohmann::json(FormatTime(t));
}
inline nlohmann::json TimeJson(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatTime(*t)) : nlohmann::json(nullptr);
}

}  // namespace lakehouse
