// What call control needs of the media workers: a command to the worker of a
// conference, and the events that came back. WorkerPool is it in the daemon;
// call control's unit tests use a fake that keeps the commands and feeds
// events, so no thread or socket is involved.
#pragma once

#include <cstdint>
#include <functional>

#include "mixer/admission.h"
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
  // The index of the worker that runs `conference_id`, for logs; -1 when
  // nobody is in it (a conference is placed by load at its first join).
  virtual int WorkerIndexFor(uint32_t conference_id) = 0;
  // Admission by media load (issue 20, admission.h), on the workers' loads
  // now: a new call to `conference_id` (a room, or a caller's lobby), and a
  // caller in `from` moving to `to`. Call control refuses what is not
  // Admitted().
  virtual Admission AdmitNew(uint32_t conference_id) = 0;
  virtual Admission AdmitMove(uint32_t from, uint32_t to) = 0;
};

}  // namespace tutti::mixer
