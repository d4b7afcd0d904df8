// What the GPUs hold, from `nvidia-smi --query-gpu=memory.used,memory.total
// --format=csv,noheader,nounits` (one "used, total" line per GPU, in MiB).
// A machine without nvidia-smi, or one where it fails, is a normal state:
// the snapshot says no GPU and why, and nothing fails because of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace lakehouse::ai {

struct GpuDevice {
  int index = 0;
  int64_t used_mib = 0;
  int64_t total_mib = 0;
};

struct GpuSnapshot {
  bool present = false;
  std::string why_absent;  // when !present: "nvidia-smi not found", its error
  // nvidia-smi is there but failed or hung: a GPU may be there unseen, so
  // checks that needed it were skipped (worth a warning, unlike no GPU).
  bool failed = false;
  std::vector<GpuDevice> devices;
  int64_t used_mib() const;
  int64_t total_mib() const;
};

struct GpuProbeOptions {
  std::string nvidia_smi = "nvidia-smi";  // looked up on PATH unless it has a '/'
  int timeout_ms = 5000;                  // a hung driver must not hang a route
};

// The CSV nvidia-smi prints for the query above. InvalidArgument for a line
// that is not two whole numbers (a driver message, "[N/A]").
Result<std::vector<GpuDevice>> ParseNvidiaSmiMemory(const std::string& csv);

GpuSnapshot ReadGpu(const GpuProbeOptions& options);

}  // namespace lakehouse::ai
