#include "bench/tutti_load/video_meter.h"

namespace tutti::load {

void VideoMeter::StartMeasuring() {
  measuring_ = true;
  tally_ = {};
  sequence_ = StreamMeter(90000);
  sequence_.StartMeasuring();
}

void VideoMeter::OnPacket(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, bool marker,
                          std::span<const uint8_t> payload, int64_t arrival_us) {
  const bool counting = measuring_;
  if (counting) {
    ++tally_.packets;
    tally_.bytes += static_cast<int64_t>(payload.size());
    tally_.frames += marker ? 1 : 0;
    sequence_.OnPacket(sequence, timestamp, arrival_us);
    if (ssrc_ && *ssrc_ != ssrc) ++tally_.ssrc_changes;
  }
  ssrc_ = ssrc;
  const std::optional<Vp8PacketView> view = ReadVp8Payload(payload);
  if (!view || !view->tag) {
    tally_.unreadable += counting ? 1 : 0;
    have_last_ = false;  // nothing to compare the next packet with
    return;
  }
  if (counting) {
    tally_.keyframes += view->keyframe ? 1 : 0;
    tally_.own_camera += view->tag->width == own_.width && view->tag->height == own_.height;
  }
  CheckSource(*view, *view->tag);
  CheckContinuity(*view, sequence, timestamp);
}

void VideoMeter::CheckSource(const Vp8PacketView& view, const SourceTag& tag) {
  const bool same = showing_ && showing_->width == tag.width && showing_->height == tag.height;
  if (same) return;
  showing_ = SourceTag{.width = tag.width, .height = tag.height};
  if (!measuring_) return;
  ++tally_.switches;
  // The receiver's decoder starts over here: only a key frame, from its
  // first packet, decodes without what it never got.
  tally_.broken_switches += view.keyframe ? 0 : 1;
}

void VideoMeter::CheckContinuity(const Vp8PacketView& view, uint16_t sequence, uint32_t timestamp) {
  if (have_last_ && measuring_) {
    if (static_cast<int32_t>(timestamp - last_timestamp_) < 0) ++tally_.timestamp_backwards;
    // Only packet to next packet: across a loss the ids may move on by more.
    if (sequence == static_cast<uint16_t>(last_sequence_ + 1) && view.picture_id >= 0 &&
        last_picture_id_ >= 0) {
      const int32_t modulus = view.picture_id_15bit ? 0x8000 : 0x80;
      const int32_t expected =
          view.frame_start ? (last_picture_id_ + 1) % modulus : last_picture_id_ % modulus;
      tally_.picture_id_jumps += view.picture_id != expected ? 1 : 0;
    }
  }
  have_last_ = true;
  last_sequence_ = sequence;
  last_timestamp_ = timestamp;
  last_picture_id_ = view.picture_id;
}

}  // namespace tutti::load
