// OrderedPipeline: produce(i) for i in [0, n) on a pool of worker threads,
// consume(i, result) on the calling thread in index order, with at most
// `window` results produced but not yet consumed. This is the shape of every
// streaming job in tensorpress: chunks are coded in parallel and written in
// file order, and memory stays bounded by the window, not by n.
// threads == 1 runs produce and consume alternately on the calling thread.
// The first error (from either side) stops the pipeline and is returned.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tensorpress/status.h"

namespace tp {

inline unsigned ResolveThreads(int threads) {
  return threads > 0 ? unsigned(threads) : std::max(1u, std::thread::hardware_concurrency());
}

template <typename R>
Status OrderedPipeline(size_t n, int threads, size_t window, const std::function<StatusOr<R>(size_t)>& produce,
                       const std::function<Status(size_t, R&)>& consume) {
  const unsigned workers = unsigned(std::min<size_t>(ResolveThreads(threads), std::max<size_t>(n, 1)));
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) {
      StatusOr<R> r = produce(i);
      if (!r.ok()) return r.status();
      TP_RETURN_IF_ERROR(consume(i, *r));
    }
    return Status::Ok();
  }
  window = std::max<size_t>(window, workers);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<StatusOr<R>>> slots(window);
  size_t next = 0, consumed = 0;
  bool stop = false;
  auto work = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || next >= n || next < consumed + window; });
        if (stop || next >= n) return;
        i = next++;
      }
      StatusOr<R> r = produce(i);
      std::lock_guard lock(mu);
      slots[i % window].emplace(std::move(r));
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers);
  for (unsigned w = 0; w < workers; ++w) pool.emplace_back(work);
  Status status = Status::Ok();
  for (size_t i = 0; i < n && status.ok(); ++i) {
    std::optional<StatusOr<R>> got;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return slots[i % window].has_value(); });
      got.swap(slots[i % window]);
    }
    if (!got->ok()) {
      status = got->status();
    } else {
      status = consume(i, **got);
    }
    {
      std::lock_guard lock(mu);
      ++consumed;
      if (!status.ok()) stop = true;
    }
    cv.notify_all();
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  for (auto& t : pool) t.join();
  return status;
}

}  // namespace tp
