// How much memory this process may plan with: the machine's RAM, or the
// container's limit (cgroup v2 memory.max, v1 limit_in_bytes) when smaller.
// DuckDB's own default is 80% of RAM for each database; lakehouse opens
// three (queries, ingest, vector builds), so each gets a share instead.
#pragma once

#include <cstdint>
#include <string>

namespace lakehouse {

uint64_t UsableMemoryBytes();

// A DuckDB memory_limit value ("4915MB") for `share` (0..1) of UsableMemoryBytes().
std::string MemoryLimitShare(double share);

}  // namespace lakehouse
