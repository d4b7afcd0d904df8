// The trial journal of an index: every autotune build and decision as one
// JSON line in vectors/<index>/trials.jsonl in the index's bucket,
// append-only and fsynced per line, so it moves and is dropped with the
// index. A torn last line (a crash mid-append) is skipped and reported;
// the next append starts a fresh line.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "storage/object_store.h"
#include "vector/autotune/records.h"

namespace lakehouse::vector::autotune {

// started: a build began. measured / failed: it ended. interrupted: it
// never ended (found at the next start). run_finished: the run's champion.
// promoted / rolled_back / kept (the champion stays) / verified (a
// promotion measured again once served): what was decided, and why.
enum class TrialEvent { kStarted, kMeasured, kFailed, kInterrupted, kRunFinished, kPromoted, kRolledBack, kKept, kVerified };
const char* TrialEventName(TrialEvent event);

struct TrialEntry {
  int64_t seq = 0;  // 1-based, in journal order (set by Append)
  TimePoint at{};
  std::string run;
  Actor by = Actor::kUser;
  TrialEvent event = TrialEvent::kStarted;
  std::optional<BackendSpec> build;  // the build knobs tried
  std::vector<TunePoint> points;     // measured: one per query setting
  std::optional<TunePoint> champion;  // run_finished, promoted: what it chose
  double build_s = 0;
  std::string reason;
};
nlohmann::json TrialEntryToJson(const TrialEntry& e);

std::string TrialsKey(const std::string& index);

struct JournalContents {
  std::vector<TrialEntry> entries;
  bool torn_tail = false;     // the last line was cut off and skipped
  size_t damaged_lines = 0;   // other lines that could not be read, skipped
};

class TrialJournal {
 public:
  TrialJournal(std::shared_ptr<storage::ObjectStore> store, std::string index);
  Result<JournalContents> Read() const;
  // Sets the entry's seq and time; durable when it returns.
  Status Append(TrialEntry& entry);
  // Every build started and never ended (a stop or kill -9 during it) gets
  // an interrupted entry; the caller makes sure no run is in progress.
  // Returns how many.
  Result<size_t> MarkInterrupted();
  // How many entries the journal holds (the agent's seed comes from it).
  Result<size_t> Length() const;
  // The id the next run takes: run-N, N one more than the runs recorded.
  Result<std::string> NextRunId() const;

 private:
  std::shared_ptr<storage::ObjectStore> store_;
  std::string index_;
  std::mutex mutex_;  // appends from one process in order
};

}  // namespace lakehouse::vector::autotune
