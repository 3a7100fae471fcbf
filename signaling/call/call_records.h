// The record of every ended call leg (CallRecordWriter), with the media
// counters of its end. A leg that ends while its participant is on a worker
// is written when the worker's final counters come back (Left, or Detached
// for a leg that ended on its way from the lobby to a room); until then its
// call id and room name the late events about it.
#pragma once

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "mixer/participant.h"
#include "signaling/call/call_record.h"

namespace tutti {

// The media figures of a record (the worker's counters at the leg's end).
void AddStats(const mixer::ParticipantStats& stats, CallRecord* record);

class CallRecords {
 public:
  CallRecords() = default;
  CallRecords(const CallRecords&) = delete;
  CallRecords& operator=(const CallRecords&) = delete;

  // Where the records go; null: nowhere (departed legs are still followed,
  // for the logs).
  void set_writer(CallRecordWriter* writer) { writer_ = writer; }

  // The leg ended with nothing on a worker: its record is final.
  void Ended(const CallRecord& record);
  // The leg ended and its participant was asked to leave its worker: the
  // record waits for the final counters.
  void Departing(uint64_t participant_id, CallRecord record);
  // The worker's final counters for `participant_id`: a departed leg's
  // record gets them and is written. False when no leg departed by that id.
  bool Departed(uint64_t participant_id, const mixer::ParticipantStats& final_stats);
  // A departed leg's record (its call id and room), or null.
  const CallRecord* Departure(uint64_t participant_id) const;
  // The process stops: departed legs whose counters never came are written
  // with the last counters the worker reported.
  void WriteDeparted();
  size_t departed() const { return departed_.size(); }

 private:
  CallRecordWriter* writer_ = nullptr;
  absl::flat_hash_map<uint64_t, CallRecord> departed_;  // by participant id
};

}  // namespace tutti
