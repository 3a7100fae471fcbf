#include "mediaplane/rtp/receive_statistics.h"

#include <cstdlib>

namespace tutti::media {

void ReceiveStatistics::Restart(uint16_t sequence) {
  max_sequence_ = sequence;
  cycles_ = 0;
  base_sequence_ = sequence;
  bad_sequence_ = 0x10000 + 1;
  received_ = 0;
  expected_prior_ = 0;
  received_prior_ = 0;
  recent_mask_ = 1;
  have_transit_ = false;
}

ReceiveStatistics::Verdict ReceiveStatistics::Update(uint16_t sequence, uint32_t rtp_timestamp,
                                                     uint32_t arrival) {
  Verdict verdict = Verdict::kAccepted;
  if (!started_) {
    started_ = true;
    Restart(sequence);
  } else {
    const uint16_t delta = static_cast<uint16_t>(sequence - max_sequence_);
    if (delta == 0) {
      ++duplicates_;
      return Verdict::kDuplicate;
    }
    if (delta < kMaxDropout) {
      // In order, possibly with a gap.
      if (sequence < max_sequence_) cycles_ += 0x10000;
      recent_mask_ = delta >= 64 ? 1 : (recent_mask_ << delta) | 1;
      max_sequence_ = sequence;
    } else if (delta <= 0x10000 - kMaxMisorder) {
      // A big jump: accept it only when the next packet confirms it (A.1).
      if (sequence == bad_sequence_) {
        Restart(sequence);
        verdict = Verdict::kRestart;
      } else {
        bad_sequence_ = (uint32_t{sequence} + 1) & 0xffff;
        return Verdict::kRestart;
      }
    } else {
      // Reordered by less than kMaxMisorder: late but possibly new.
      const uint16_t behind = static_cast<uint16_t>(max_sequence_ - sequence);
      if (behind < 64) {
        const uint64_t bit = uint64_t{1} << behind;
        if (recent_mask_ & bit) {
          ++duplicates_;
          return Verdict::kDuplicate;
        }
        recent_mask_ |= bit;
      }
    }
  }
  ++received_;

  // Interarrival jitter, RFC 3550 A.8.
  const auto transit = static_cast<int32_t>(arrival - rtp_timestamp);
  if (have_transit_) {
    const int32_t d = std::abs(transit - transit_);
    jitter_q4_ += static_cast<uint32_t>(d) - ((jitter_q4_ + 8) >> 4);
  }
  transit_ = transit;
  have_transit_ = true;
  return verdict;
}

int64_t ReceiveStatistics::cumulative_lost() const {
  if (!started_) return 0;
  const int64_t expected = int64_t{extended_highest_sequence()} - base_sequence_ + 1;
  return expected - received_;
}

ReportBlock ReceiveStatistics::MakeReportBlock(uint32_t ssrc) {
  ReportBlock block;
  block.ssrc = ssrc;
  block.highest_sequence = extended_highest_sequence();
  block.jitter = jitter();
  const int64_t lost = cumulative_lost();
  block.cumulative_lost = static_cast<int32_t>(lost);
  const uint32_t expected = extended_highest_sequence() - base_sequence_ + 1;
  const uint32_t expected_interval = expected - expected_prior_;
  const uint32_t received_interval = received_ - received_prior_;
  expected_prior_ = expected;
  received_prior_ = received_;
  const int64_t lost_interval = int64_t{expected_interval} - received_interval;
  if (started_ && expected_interval != 0 && lost_interval > 0) {
    block.fraction_lost = static_cast<uint8_t>((lost_interval << 8) / expected_interval);
  }
  return block;
}

}  // namespace tutti::media
