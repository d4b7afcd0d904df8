#include "vector/refresh_scheduler.h"

#include <spdlog/spdlog.h>

namespace lakehouse::vector {

RefreshScheduler::RefreshScheduler(IndexRegistry& indexes, int tick_ms) : indexes_(indexes), tick_ms_(tick_ms) {}

RefreshScheduler::~RefreshScheduler() { Stop(); }

void RefreshScheduler::Start() {
  if (worker_.joinable()) return;
  worker_ = std::thread([this] { Run(); });
  for (const auto& m : indexes_.List()) {
    if (m.status == IndexStatus::kBuilding) SubmitBuild(m.name);
    if (m.pending_embedder || m.pending_backend) SubmitShadow(m.name);
  }
}

void RefreshScheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void RefreshScheduler::Submit(const std::string& key, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !queued_.insert(key).second) return;
    queue_.emplace_back(key, std::move(job));
  }
  wake_.notify_all();
}

void RefreshScheduler::SubmitBuild(const std::string& index) {
  Submit("build:" + index, [this, index] {
    auto built = indexes_.BuildPrepared(index);
    if (built.ok()) {
      spdlog::info("index {}: built ({} chunks, {:.0f} ms)", index, built->active->chunk_count, built->build_ms);
    } else {
      spdlog::warn("index {}: build failed: {}", index, built.status().message());
    }
  });
}

void RefreshScheduler::SubmitShadow(const std::string& index) {
  Submit("shadow:" + index, [this, index] {
    auto built = indexes_.BuildShadow(index);
    if (built.ok()) {
      spdlog::info("index {}: now serving {} on {}", index, built->embedder.model,
                   built->active ? BackendKindName(built->active->backend.kind) : "-");
    } else {
      spdlog::warn("index {}: building the new generation failed: {}", index, built.status().message());
    }
  });
}

void RefreshScheduler::SubmitRefresh(const std::string& index) {
  Submit("refresh:" + index, [this, index] {
    auto report = indexes_.Refresh(index);
    if (!report.ok()) {
      spdlog::warn("index {}: refresh failed: {}", index, report.status().message());
    } else if (!report->stats.no_op) {
      spdlog::info("index {}: refreshed: {} new, {} changed, {} removed documents", index, report->stats.docs_added,
                   report->stats.docs_changed, report->stats.docs_removed);
    }
  });
}

void RefreshScheduler::OnDatasetChanged(const std::string& dataset) {
  for (const auto& m : indexes_.IndexesOfDataset(dataset)) {
    if (m.refresh.mode == RefreshMode::kOnAppend && m.active) SubmitRefresh(m.name);
  }
}

std::vector<std::string> RefreshScheduler::Pending() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  if (!running_.empty()) out.push_back(running_);
  for (const auto& [key, job] : queue_) out.push_back(key);
  return out;
}

void RefreshScheduler::QueueDueRefreshes() {
  auto now = Now();
  for (const auto& m : indexes_.List()) {
    // Data another process (a CLI ingest) committed reaches on_append here.
    if (m.refresh.mode == RefreshMode::kOnAppend && indexes_.SourceChanged(m)) SubmitRefresh(m.name);
    if (m.refresh.mode != RefreshMode::kScheduled || !m.active || m.refresh.interval_s <= 0) continue;
    // A no-op refresh does not touch the manifest, so remember it here.
    TimePoint last = std::max(m.last_refreshed_at.value_or(m.active->built_at), last_due_[m.name]);
    if (now - last >= std::chrono::seconds(m.refresh.interval_s)) {
      last_due_[m.name] = now;
      SubmitRefresh(m.name);
    }
  }
}

void RefreshScheduler::Run() {
  auto next_tick = std::chrono::steady_clock::now();
  while (true) {
    std::pair<std::string, std::function<void()>> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      if (queue_.empty()) {
        lock.unlock();
        QueueDueRefreshes();
        next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms_);
        continue;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(job.first);
      running_ = job.first;
    }
    try {
      job.second();
    } catch (const std::exception& e) {
      spdlog::error("vector job {}: {}", job.first, e.what());
    }
    std::lock_guard lock(mutex_);
    running_.clear();
  }
}

}  // namespace lakehouse::vector
