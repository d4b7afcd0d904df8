// What the autotune agent tries next and whether a trial wins, apart from
// any index or thread so the bench and the tests can replay it: epsilon-
// greedy around the champion, deduplicated against the trials already
// made, from a generator seeded by the journal's length (the same journal
// proposes the same next trial).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vector/autotune/records.h"

namespace lakehouse::vector::autotune {

struct Proposal {
  BackendSpec build;  // build knobs only; the trial sweeps the query knobs
  bool explore = false;  // a random point of the whole space, not a step from the champion
  std::string why;
};

// With probability `epsilon` a random build of any of `backends`' spaces,
// else the champion's build with one knob one step along its grid (the
// champion's kind; off-grid values start from the nearest). Builds in
// `tried` are skipped; nullopt when 64 draws found nothing new.
std::optional<Proposal> Propose(const BackendSpec& champion, const std::vector<BackendKind>& backends, size_t n,
                                int dim, const std::vector<BackendSpec>& tried, uint64_t seed, double epsilon);

struct Decision {
  bool promote = false;
  std::optional<TunePoint> best;  // the trial's fastest point at the target
  std::string reason;
};
// Promote when the trial's fastest point that meets the target beats the
// champion's p50 by `margin` (0.05: 5% faster), or meets the target the
// champion misses.
Decision Decide(const TuneMetrics& champion, const std::vector<TunePoint>& trial, double target, double margin);

}  // namespace lakehouse::vector::autotune
