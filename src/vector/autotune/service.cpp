#include "vector/autotune/service.h"

#include <spdlog/spdlog.h>

#include "common/files.h"
#include "vector/eval/eval_store.h"

namespace lakehouse::vector::autotune {

AutotuneService::AutotuneService(Searcher& searcher, IndexRegistry& indexes, RefreshScheduler& scheduler)
    : searcher_(searcher), indexes_(indexes), scheduler_(scheduler) {}

AutotuneService::~AutotuneService() { Stop(); }

void AutotuneService::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  cancel_ = true;
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool AutotuneService::Claim(const std::string& index) {
  std::lock_guard lock(mutex_);
  if (busy_[index]) return false;
  busy_[index] = true;
  return true;
}

void AutotuneService::Release(const std::string& index) {
  std::lock_guard lock(mutex_);
  busy_.erase(index);
  states_[index].running.reset();
  states_[index].queued = false;
}

Status AutotuneService::Submit(const std::string& index, AutotuneRequest request) {
  LH_RETURN_IF_ERROR(ValidateAutotuneRequest(request));
  // What the run would find wrong at once is refused now, not after the 202.
  LH_ASSIGN_OR_RETURN(auto m, indexes_.Get(index));
  if (m.status != IndexStatus::kReady || !m.active) {
    return Conflict("index '" + index + "' is " + IndexStatusName(m.status) + "; wait until it is ready");
  }
  if (!request.target.set.empty()) {
    LH_ASSIGN_OR_RETURN(auto store, indexes_.buckets().Get(m.bucket));
    LH_RETURN_IF_ERROR(eval::LoadEvalSet(*store, index, request.target.set).status());
  }
  if (!ProcessLock(indexes_.AutotuneLockPath(index), ProcessLock::Mode::kTry).held()) {
    return Conflict("index '" + index + "' is being autotuned by another process; wait for it to finish");
  }
  if (!Claim(index)) return Conflict("index '" + index + "' is being autotuned already; see GET /vectors/indexes/" + index + "/autotune");
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      busy_.erase(index);
      return Unavailable("the server is stopping");
    }
    states_[index].queued = true;
    states_[index].last_error.clear();
    queue_.emplace_back(index, std::move(request));
    if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
  }
  wake_.notify_all();
  return Status::Ok();
}

Result<AutotuneOutcome> AutotuneService::RunNow(const std::string& index, const AutotuneRequest& request,
                                                const AutotuneProgressFn& progress) {
  LH_RETURN_IF_ERROR(ValidateAutotuneRequest(request));
  if (!Claim(index)) return Conflict("index '" + index + "' is being autotuned already; see GET /vectors/indexes/" + index + "/autotune");
  auto outcome = Execute(index, request, progress);
  Release(index);
  return outcome;
}

Result<AutotuneOutcome> AutotuneService::Execute(const std::string& index, const AutotuneRequest& request,
                                                 const AutotuneProgressFn& progress) {
  auto outcome = RunAutotune(
      searcher_, indexes_, index, request,
      [&](const AutotuneProgress& p) {
        {
          std::lock_guard lock(mutex_);
          states_[index].queued = false;
          states_[index].running = p;
        }
        if (progress) progress(p);
      },
      &cancel_);
  // A promoted champion with new build knobs is built like any shadow generation.
  if (outcome.ok() && outcome->promoted && outcome->promoted->pending_backend) scheduler_.SubmitShadow(index);
  return outcome;
}

AutotuneService::State AutotuneService::StateOf(const std::string& index) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(index);
  return it == states_.end() ? State{} : it->second;
}

void AutotuneService::Work() {
  while (true) {
    std::pair<std::string, AutotuneRequest> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    auto outcome = Execute(job.first, job.second, {});
    if (outcome.ok()) {
      const auto& s = outcome->summary;
      spdlog::info("index {}: autotune {} done ({} builds, {})", job.first, s.run, s.builds,
                   s.champion ? "champion " + std::string(BackendKindName(s.champion->spec.kind)) : "no champion");
    } else {
      spdlog::warn("index {}: autotune failed: {}", job.first, outcome.status().message());
    }
    Release(job.first);
    if (!outcome.ok()) {
      std::lock_guard lock(mutex_);
      states_[job.first].last_error = outcome.status().message();
    }
  }
}

}  // namespace lakehouse::vector::autotune
