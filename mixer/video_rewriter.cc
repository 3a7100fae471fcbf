#include "mixer/video_rewriter.h"

#include <algorithm>

namespace tutti::mixer {
namespace {

constexpr int32_t kPictureIdMask = 0x7fff;  // VP8/VP9 picture ids: 15 bits at most
constexpr int32_t kTl0PicIdxMask = 0xff;

// A field mapped by its segment's delta: -1 stays -1 (the packet has none);
// no delta yet passes it through.
int32_t Shift(int32_t value, int32_t delta, int32_t mask) {
  if (value < 0) return -1;
  if (delta < 0) return value & mask;
  return (value + delta) & mask;
}

// Wall time as 90 kHz RTP ticks (negative elapsed time counts as none).
uint32_t Ticks90k(int64_t elapsed_us, uint32_t minimum) {
  const int64_t ticks = std::max<int64_t>(elapsed_us, 0) * 9 / 100;
  return std::max(static_cast<uint32_t>(ticks), minimum);
}

// The delta that makes `value` come out as last+1, or 0 with no last yet.
int32_t DeltaAfter(int32_t last, int32_t value, int32_t mask) {
  if (last < 0) return 0;
  return ((last + 1) - (value & mask)) & mask;
}

}  // namespace

void VideoRewriter::SwitchTo(uint32_t source_ssrc) {
  has_source_ = true;
  source_ssrc_ = source_ssrc;
  // The source already shown, or back to it before another was forwarded:
  // the newest segment's mapping still holds, so it goes on.
  segment_open_ = segment_count_ > 0 && newest_segment().source_ssrc == source_ssrc;
}

std::optional<VideoRewriter::Fields> VideoRewriter::Rewrite(uint32_t source_ssrc, uint16_t sequence,
                                                            uint32_t timestamp, int32_t picture_id,
                                                            int32_t tl0picidx, int64_t now_us) {
  if (!has_source_ || source_ssrc != source_ssrc_) return std::nullopt;
  const bool opens = !segment_open_;
  if (opens) OpenSegment(sequence, timestamp, now_us);
  Segment& segment = newest_segment();
  // The packet's place in the segment (0: its first packet), unwrapped
  // against the newest so a long segment runs past 16-bit wraps.
  const auto step = static_cast<int16_t>(static_cast<uint16_t>(sequence - highest_in_sequence_));
  const int64_t place = static_cast<int64_t>(segment.length) - 1 + step;
  if (place < 0) return std::nullopt;  // sent before the switch point
  const bool newest = opens || place >= static_cast<int64_t>(segment.length);
  if (newest) {
    segment.length = static_cast<uint64_t>(place) + 1;
    highest_in_sequence_ = sequence;
  }
  LearnPictureDeltas(segment, picture_id, tl0picidx);
  Fields out;
  out.sequence = static_cast<uint16_t>(segment.first_out_sequence + static_cast<uint64_t>(place));
  out.timestamp = timestamp + segment.timestamp_delta;
  out.picture_id = Shift(picture_id, segment.picture_id_delta, kPictureIdMask);
  out.tl0picidx = Shift(tl0picidx, segment.tl0picidx_delta, kTl0PicIdxMask);
  if (newest) RememberNewest(out, now_us);
  return out;
}

void VideoRewriter::OpenSegment(uint16_t sequence, uint32_t timestamp, int64_t now_us) {
  uint16_t out_sequence = first_sequence_;
  uint32_t out_timestamp = first_timestamp_;
  if (sent_any_) {
    out_sequence = static_cast<uint16_t>(last_sequence_ + 1);
    // The new picture follows the last one after the time that really
    // passed, so the receiver's playout neither stalls nor rushes.
    out_timestamp = last_timestamp_ + Ticks90k(now_us - last_time_us_, 1);
  }
  if (segment_count_ > 0) newest_ = (newest_ + 1) % kHistorySegments;
  segment_count_ = std::min(segment_count_ + 1, kHistorySegments);
  Segment& segment = newest_segment();
  segment = Segment{};
  segment.source_ssrc = source_ssrc_;
  segment.first_in_sequence = sequence;
  segment.first_out_sequence = out_sequence;
  segment.length = 1;
  segment.timestamp_delta = out_timestamp - timestamp;
  highest_in_sequence_ = sequence;
  segment_open_ = true;
}

void VideoRewriter::LearnPictureDeltas(Segment& segment, int32_t picture_id,
                                       int32_t tl0picidx) const {
  if (picture_id >= 0 && segment.picture_id_delta < 0) {
    segment.picture_id_delta = DeltaAfter(last_picture_id_, picture_id, kPictureIdMask);
  }
  if (tl0picidx >= 0 && segment.tl0picidx_delta < 0) {
    segment.tl0picidx_delta = DeltaAfter(last_tl0picidx_, tl0picidx, kTl0PicIdxMask);
  }
}

void VideoRewriter::RememberNewest(const Fields& fields, int64_t now_us) {
  sent_any_ = true;
  last_sequence_ = fields.sequence;
  last_timestamp_ = fields.timestamp;
  last_time_us_ = now_us;
  if (fields.picture_id >= 0) last_picture_id_ = fields.picture_id;
  if (fields.tl0picidx >= 0) last_tl0picidx_ = fields.tl0picidx;
}

std::optional<VideoRewriter::Origin> VideoRewriter::OriginOf(uint16_t out_sequence) const {
  if (!sent_any_) return std::nullopt;
  // How far behind the newest packet sent: segments lie back to back from there.
  const auto behind = static_cast<uint16_t>(last_sequence_ - out_sequence);
  if (behind >= 0x8000) return std::nullopt;  // ahead of the newest: never sent
  uint64_t covered = 0;
  for (int i = 0; i < segment_count_; ++i) {
    const Segment& segment =
        segments_[static_cast<size_t>((newest_ - i + kHistorySegments) % kHistorySegments)];
    if (behind < covered + segment.length) {
      const uint64_t place = segment.length - 1 - (behind - covered);
      Origin origin;
      origin.source_ssrc = segment.source_ssrc;
      origin.sequence = static_cast<uint16_t>(segment.first_in_sequence + place);
      origin.out_sequence = out_sequence;
      origin.timestamp_delta = segment.timestamp_delta;
      origin.picture_id_delta = segment.picture_id_delta;
      origin.tl0picidx_delta = segment.tl0picidx_delta;
      return origin;
    }
    covered += segment.length;
  }
  return std::nullopt;
}

VideoRewriter::Fields VideoRewriter::Origin::Outbound(uint32_t timestamp, int32_t picture_id,
                                                      int32_t tl0picidx) const {
  Fields out;
  out.sequence = out_sequence;
  out.timestamp = timestamp + timestamp_delta;
  out.picture_id = Shift(picture_id, picture_id_delta, kPictureIdMask);
  out.tl0picidx = Shift(tl0picidx, tl0picidx_delta, kTl0PicIdxMask);
  return out;
}

uint32_t VideoRewriter::TimestampAt(int64_t now_us) const {
  if (!sent_any_) return first_timestamp_;
  return last_timestamp_ + Ticks90k(now_us - last_time_us_, 0);
}

}  // namespace tutti::mixer
