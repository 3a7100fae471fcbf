#include "signaling/call/call_records.h"

#include <utility>

namespace tutti {

void AddStats(const mixer::ParticipantStats& stats, CallRecord* record) {
  record->packets_in = stats.packets_in;
  record->packets_out = stats.packets_out;
  record->lost = stats.lost;
  record->jitter_ms = stats.jitter_ms;
  record->rtt_ms = stats.rtt_ms;
  record->concealed = stats.concealed;
  record->max_gap_ms = stats.max_gap_ms;
  record->malformed = stats.malformed + stats.malformed_rtcp;
  record->foreign = stats.foreign_source;
  record->withheld = stats.withheld;
}

void CallRecords::Ended(const CallRecord& record) {
  if (writer_ != nullptr) writer_->Write(record);
}

void CallRecords::Departing(uint64_t participant_id, CallRecord record) {
  departed_[participant_id] = std::move(record);
}

bool CallRecords::Departed(uint64_t participant_id, const mixer::ParticipantStats& final_stats) {
  auto it = departed_.find(participant_id);
  if (it == departed_.end()) return false;
  if (writer_ != nullptr) {
    AddStats(final_stats, &it->second);
    writer_->Write(it->second);
  }
  departed_.erase(it);
  return true;
}

const CallRecord* CallRecords::Departure(uint64_t participant_id) const {
  auto it = departed_.find(participant_id);
  return it == departed_.end() ? nullptr : &it->second;
}

void CallRecords::WriteDeparted() {
  if (writer_ != nullptr) {
    for (const auto& [id, record] : departed_) writer_->Write(record);
  }
  departed_.clear();
}

}  // namespace tutti
