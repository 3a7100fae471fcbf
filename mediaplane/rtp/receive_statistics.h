// Per-source reception statistics (RFC 3550 §6.4.1 and Appendix A.1, A.3,
// A.8): extended sequence numbers across wrap, source validation by
// sequence, expected/lost counts, interarrival jitter, and the values that go
// into a report block.
#pragma once

#include <cstdint>

#include "mediaplane/rtp/rtcp_packet.h"

namespace tutti::media {

class ReceiveStatistics {
 public:
  // What Update decided about one packet.
  enum class Verdict {
    kAccepted,   // in order or a little reordered: use it
    kDuplicate,  // a sequence number already seen recently
    kRestart,    // the source jumped (or restarted); the stream was re-synchronised
  };

  // `arrival` is the arrival time in the stream's timestamp units (so jitter
  // comes out in those units, as RFC 3550 reports it).
  Verdict Update(uint16_t sequence, uint32_t rtp_timestamp, uint32_t arrival);

  bool started() const { return started_; }
  uint32_t extended_highest_sequence() const { return cycles_ + max_sequence_; }
  uint32_t received() const { return received_; }
  uint32_t duplicates() const { return duplicates_; }
  // May be negative when duplicates arrive (RFC 3550 allows it).
  int64_t cumulative_lost() const;
  uint32_t jitter() const { return jitter_q4_ >> 4; }

  // Fills a report block for `ssrc` and starts a new reporting interval
  // (fraction lost is per interval). last_sr/delay are the caller's business.
  ReportBlock MakeReportBlock(uint32_t ssrc);

 private:
  void Restart(uint16_t sequence);

  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;

  bool started_ = false;
  uint16_t max_sequence_ = 0;
  uint32_t cycles_ = 0;  // count of wraps, shifted left 16
  uint32_t base_sequence_ = 0;
  uint32_t bad_sequence_ = 0x10000 + 1;
  uint32_t received_ = 0;
  uint32_t duplicates_ = 0;
  uint64_t recent_mask_ = 0;  // which of the last 64 sequence numbers were seen
  uint32_t expected_prior_ = 0;
  uint32_t received_prior_ = 0;
  bool have_transit_ = false;
  int32_t transit_ = 0;
  uint32_t jitter_q4_ = 0;  // jitter * 16, per RFC 3550 A.8's integer form
};

}  // namespace tutti::media
