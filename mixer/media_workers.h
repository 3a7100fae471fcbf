// What call control needs of the media workers: a command to the worker of a
// conference, and the events that came back. WorkerPool is it in the daemon;
// call control's unit tests use a fake that keeps the commands and feeds
// events, so no thread or socket is involved.
#pragma once

#include <cstdint>
#include <functional>

#include "mixer/worker_messages.h"

namespace tutti::mixer {

class MediaWorkers {
 public:
  virtual ~MediaWorkers() = default;

  // Control thread. Posts `command` to the worker that runs `conference_id`;
  // false when its command ring is full (the command is dropped: the caller
  // treats it as not done).
  virtual bool Send(uint32_t conference_id, WorkerCommand command) = 0;
  // Hands every pending worker event to `handle` (which may take a Detached
  // event's participant).
  virtual void DrainEvents(const std::function<void(WorkerEvent&)>& handle) = 0;
  // The index of the worker that runs `conference_id`, for logs.
  virtual int WorkerIndexFor(uint32_t conference_id) = 0;
};

}  // namespace tutti::mixer
