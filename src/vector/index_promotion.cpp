// Promotion and rollback of an index's served configuration (autotune's
// champions, or one a user names), through the same shadow generation a
// backend PATCH builds: searches keep the old one until the switch, and
// the promotion's record is written with the generation it made.
#include "vector/index_registry.h"

namespace lakehouse::vector {

void IndexRegistry::CommitPromotion(IndexManifest& m, PromotionRecord record) {
  record.at = Now();
  if (record.kind == PromotionKind::kRollback) {
    for (auto it = m.promotions.rbegin(); it != m.promotions.rend(); ++it) {
      if (it->kind == PromotionKind::kPromote && !it->rolled_back) {
        it->rolled_back = true;
        break;
      }
    }
  }
  if (record.text_weight) m.text_weight = record.text_weight;
  m.promotions.push_back(std::move(record));
  if (m.promotions.size() > kMaxPromotionHistory) {
    m.promotions.erase(m.promotions.begin(), m.promotions.end() - static_cast<long>(kMaxPromotionHistory));
  }
}

Result<IndexManifest> IndexRegistry::RecordAutotune(const std::string& name, const AutotuneSummary& summary) {
  return Update(name, [&](IndexManifest& m) {
    m.autotune = summary;
    return Status::Ok();
  });
}

Result<IndexManifest> IndexRegistry::Promote(const std::string& name, PromotionRecord record) {
  if (record.to.kind == BackendKind::kAuto) return InvalidArgument("promote a resolved backend (flat, hnsw or ivf_pq), not auto");
  LH_RETURN_IF_ERROR(ValidateBackendOptions(record.to));
  return Update(name, [&](IndexManifest& m) -> Status {
    if (m.status != IndexStatus::kReady || !m.active) {
      return Conflict("index '" + name + "' is " + IndexStatusName(m.status) + "; wait until it is ready");
    }
    if (m.pending_embedder || m.pending_backend) {
      return Conflict("index '" + name + "' is building a new generation already; try again when it is done");
    }
    LH_RETURN_IF_ERROR(ValidateForIndex(record.to, static_cast<size_t>(m.active->chunk_count), m.active->dimension));
    record.from = m.active->backend;
    const BackendSpec target = ResolveBackend(record.to, m.active->chunk_count, m.active->dimension);
    if (target == m.active->backend) {
      return InvalidArgument("index '" + name + "' already serves backend " + BackendKindName(target.kind) +
                             " with these settings");
    }
    if (target.kind == m.active->backend.kind && BuildKnobsOf(target) == BuildKnobsOf(m.active->backend)) {
      // Only query knobs differ: the served generation takes them as its defaults.
      m.active->backend = target;
      m.backend = target;
      record.to = target;
      CommitPromotion(m, std::move(record));
      return Status::Ok();
    }
    record.to = target;
    m.pending_backend = target;
    m.pending_promotion = std::move(record);
    m.error.clear();
    return Status::Ok();
  });
}

Result<IndexManifest> IndexRegistry::Rollback(const std::string& name, Actor by, std::string reason) {
  LH_ASSIGN_OR_RETURN(auto m, Get(name));
  const PromotionRecord* last = nullptr;
  for (auto it = m.promotions.rbegin(); it != m.promotions.rend() && !last; ++it) {
    if (it->kind == PromotionKind::kPromote && !it->rolled_back) last = &*it;
  }
  if (!last) return Conflict("index '" + name + "' has no promotion to roll back");
  PromotionRecord record;
  record.kind = PromotionKind::kRollback;
  record.by = by;
  record.to = last->from;
  record.run = last->run;
  record.reason = reason.empty() ? "rolled back to what served before the promotion of " + FormatTime(last->at)
                                 : std::move(reason);
  return Promote(name, std::move(record));
}

}  // namespace lakehouse::vector
