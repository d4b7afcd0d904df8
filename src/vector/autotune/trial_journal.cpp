#include "vector/autotune/trial_journal.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace lakehouse::vector::autotune {

using nlohmann::json;

namespace {

constexpr const char* kEvents[] = {"started",  "measured",    "failed", "interrupted", "run_finished",
                                   "promoted", "rolled_back", "kept",   "verified"};

TrialEntry EntryFromJson(const json& j) {
  TrialEntry e;
  e.seq = IntField<int64_t>(j, "seq", 0);
  if (j.contains("at") && j["at"].is_string()) {
    if (auto t = ParseTime(j["at"].get<std::string>()); t.ok()) e.at = *t;
  }
  e.run = j.value("run", "");
  e.by = j.value("by", "user") == std::string("agent") ? Actor::kAgent : Actor::kUser;
  const std::string event = j.at("event").get<std::string>();
  bool known = false;
  for (int i = 0; i < 9; ++i) {
    if (event == kEvents[i]) {
      e.event = static_cast<TrialEvent>(i);
      known = true;
    }
  }
  if (!known) throw std::invalid_argument("unknown event '" + event + "'");
  if (j.contains("build") && j["build"].is_object()) e.build = BackendSpecFromJson(j["build"]);
  if (j.contains("points") && j["points"].is_array()) {
    for (const auto& p : j["points"]) e.points.push_back(TunePointFromJson(p));
  }
  if (j.contains("champion") && j["champion"].is_object()) e.champion = TunePointFromJson(j["champion"]);
  e.build_s = j.value("build_s", 0.0);
  e.reason = j.value("reason", "");
  return e;
}

}  // namespace

const char* TrialEventName(TrialEvent event) { return kEvents[static_cast<int>(event)]; }

std::string TrialsKey(const std::string& index) { return "vectors/" + index + "/trials.jsonl"; }

json TrialEntryToJson(const TrialEntry& e) {
  json points = json::array();
  for (const auto& p : e.points) points.push_back(TunePointToJson(p));
  return {{"seq", e.seq},
          {"at", FormatTime(e.at)},
          {"run", e.run},
          {"by", ActorName(e.by)},
          {"event", TrialEventName(e.event)},
          {"build", e.build ? BackendSpecToJson(*e.build) : json(nullptr)},
          {"points", points},
          {"champion", e.champion ? TunePointToJson(*e.champion) : json(nullptr)},
          {"build_s", e.build_s},
          {"reason", e.reason}};
}

TrialJournal::TrialJournal(std::shared_ptr<storage::ObjectStore> store, std::string index)
    : store_(std::move(store)), index_(std::move(index)) {}

Result<JournalContents> TrialJournal::Read() const {
  JournalContents out;
  auto bytes = store_->Get(TrialsKey(index_));
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) return out;
    return bytes.status();
  }
  const std::string& text = *bytes;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    const bool last = end == std::string::npos;
    std::string_view line(text.data() + begin, (last ? text.size() : end) - begin);
    begin = last ? text.size() : end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    try {
      if (last) {
        // No newline: the append that wrote it did not finish.
        out.torn_tail = true;
        break;
      }
      out.entries.push_back(EntryFromJson(json::parse(line)));
    } catch (const std::exception&) {
      ++out.damaged_lines;
    }
  }
  return out;
}

Result<size_t> TrialJournal::Length() const {
  LH_ASSIGN_OR_RETURN(auto contents, Read());
  return contents.entries.size();
}

Result<std::string> TrialJournal::NextRunId() const {
  LH_ASSIGN_OR_RETURN(auto contents, Read());
  std::set<std::string> runs;
  for (const auto& e : contents.entries) {
    if (!e.run.empty()) runs.insert(e.run);
  }
  return "run-" + std::to_string(runs.size() + 1);
}

Status TrialJournal::Append(TrialEntry& entry) {
  std::lock_guard lock(mutex_);
  LH_ASSIGN_OR_RETURN(auto contents, Read());
  entry.seq = contents.entries.empty() ? 1 : contents.entries.back().seq + 1;
  entry.at = Now();
  std::string line = TrialEntryToJson(entry).dump() + "\n";
  // After a torn line, start a fresh one: the fragment stays a line of its own.
  if (contents.torn_tail) line = "\n" + line;
  return store_->Append(TrialsKey(index_), line);
}

Result<size_t> TrialJournal::MarkInterrupted() {
  LH_ASSIGN_OR_RETURN(auto contents, Read());
  // Per run, the builds started and not ended, in order.
  std::map<std::string, std::vector<const TrialEntry*>> open;
  for (const auto& e : contents.entries) {
    auto& builds = open[e.run];
    if (e.event == TrialEvent::kStarted) {
      builds.push_back(&e);
    } else if ((e.event == TrialEvent::kMeasured || e.event == TrialEvent::kFailed ||
                e.event == TrialEvent::kInterrupted) && !builds.empty()) {
      builds.erase(builds.begin());
    }
  }
  std::vector<TrialEntry> marks;
  for (const auto& [run, builds] : open) {
    for (const TrialEntry* started : builds) {
      TrialEntry mark;
      mark.run = run;
      mark.by = started->by;
      mark.event = TrialEvent::kInterrupted;
      mark.build = started->build;
      mark.reason = "the server stopped during this build (entry " + std::to_string(started->seq) +
                    "); nothing of it was kept";
      marks.push_back(std::move(mark));
    }
  }
  for (auto& mark : marks) LH_RETURN_IF_ERROR(Append(mark));
  return marks.size();
}

}  // namespace lakehouse::vector::autotune
