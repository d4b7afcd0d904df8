// Wall-clock time as stored in manifests and API responses: UTC, ISO 8601
// with milliseconds ("2026-11-25T11:47:28.123Z").
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lakehouse {

using TimePoint = std::chrono::system_clock::time_point;

TimePoint Now();
std::string FormatTime(TimePoint t);
Result<TimePoint> ParseTime(std::string_view iso);

// Milliseconds elapsed on the monotonic clock since `start` (for timings).
double MillisSince(std::chrono::steady_clock::time_point start);

}  // namespace lakehouse
