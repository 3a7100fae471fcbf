// One continuous outbound video stream per receiver, whatever source it
// watches: its own SSRC, with the sources' sequence numbers, timestamps and
// VP8/VP9 picture id and TL0PICIDX rewritten so they run on across switches.
// A receiver's decoder and jitter buffer then see one stream whose picture
// changes at a keyframe, not a new stream to resynchronise on (or a sequence
// jump it would treat as massive loss). Pure state, no allocation: the video
// router calls it per forwarded packet on the media worker.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace tutti::mixer {

class VideoRewriter {
 public:
  // How many switch segments OriginOf can still map back.
  static constexpr int kHistorySegments = 8;

  VideoRewriter(uint32_t ssrc, uint16_t first_sequence, uint32_t first_timestamp)
      : ssrc_(ssrc), first_sequence_(first_sequence), first_timestamp_(first_timestamp) {}

  uint32_t ssrc() const { return ssrc_; }

  // From the next Rewrite on, packets come from `source_ssrc`; the first one
  // given must begin a keyframe (the router gates that). Older packets of the
  // previous source are refused after. Switching to the source already
  // forwarded changes nothing; switching back to it before any packet of the
  // other source was forwarded resumes its segment (no keyframe needed: the
  // packets dropped meanwhile are gaps the receiver NACKs).
  void SwitchTo(uint32_t source_ssrc);

  struct Fields {
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    int32_t picture_id = -1;  // 15-bit space; a 7-bit descriptor takes it mod 128
    int32_t tl0picidx = -1;
  };

  // The outbound fields for a packet of the current source (nullopt: drop
  // it: from another SSRC, or older than the switch point). Source losses
  // stay gaps (the receiver NACKs them); at a switch the sequence goes on at
  // last+1, the timestamp at last + the wall time since the last packet sent
  // (90 kHz, at least 1), the picture id at last+1 and TL0PICIDX at last+1.
  // Picture ids are counted mod 2^15: since 128 divides 2^15, a 7-bit
  // descriptor written with the id mod 128 runs on continuously too.
  // picture_id/tl0picidx -1 when the source sends none.
  std::optional<Fields> Rewrite(uint32_t source_ssrc, uint16_t sequence, uint32_t timestamp,
                                int32_t picture_id, int32_t tl0picidx, int64_t now_us);

  // Where an outbound sequence number came from, and how its segment mapped
  // the source's fields (to resend a cached packet exactly as it was sent).
  struct Origin {
    uint32_t source_ssrc = 0;
    uint16_t sequence = 0;  // the source's
    uint16_t out_sequence = 0;
    uint32_t timestamp_delta = 0;   // added to the source's timestamp
    int32_t picture_id_delta = -1;  // added mod 2^15; -1: the segment carried none
    int32_t tl0picidx_delta = -1;   // added mod 2^8; -1: the segment carried none
    // The outbound fields of the source's packet `sequence` (from the NACK cache).
    Fields Outbound(uint32_t timestamp, int32_t picture_id, int32_t tl0picidx) const;
  };

  // A receiver's NACK of an outbound sequence: the source SSRC and sequence
  // it came from, for the NACK cache. A source's own loss inside a segment
  // maps back too (the cache may lack it; the source may still have it).
  // nullopt for a sequence not sent yet, more than half the sequence space
  // behind the newest, or in a segment older than the last kHistorySegments.
  std::optional<Origin> OriginOf(uint16_t out_sequence) const;

  // For the sender report of the rewritten stream (RFC 3550 §6.4.1):
  // packets/octets sent (wrapping as the SR fields do) and the RTP timestamp
  // that corresponds to `now_us` (last timestamp + elapsed at 90 kHz).
  void CountSent(size_t payload_octets) {
    ++packets_sent_;
    octets_sent_ += static_cast<uint32_t>(payload_octets);
  }
  uint32_t packets_sent() const { return packets_sent_; }
  uint32_t octets_sent() const { return octets_sent_; }
  uint32_t TimestampAt(int64_t now_us) const;

 private:
  // A run of outbound sequence numbers fed by one source, first packet to
  // newest, gaps included.
  struct Segment {
    uint32_t source_ssrc = 0;
    uint16_t first_in_sequence = 0;
    uint16_t first_out_sequence = 0;
    uint64_t length = 0;
    uint32_t timestamp_delta = 0;
    int32_t picture_id_delta = -1;
    int32_t tl0picidx_delta = -1;
  };

  Segment& newest_segment() { return segments_[static_cast<size_t>(newest_)]; }
  void OpenSegment(uint16_t sequence, uint32_t timestamp, int64_t now_us);
  // The segment's picture id/TL0PICIDX mapping, set by its first packet that has one.
  void LearnPictureDeltas(Segment& segment, int32_t picture_id, int32_t tl0picidx) const;
  void RememberNewest(const Fields& fields, int64_t now_us);

  uint32_t ssrc_;
  uint16_t first_sequence_;
  uint32_t first_timestamp_;

  uint32_t source_ssrc_ = 0;  // the one Rewrite accepts
  bool has_source_ = false;
  bool segment_open_ = false;  // the newest segment is the source's and has had a packet
  uint16_t highest_in_sequence_ = 0;

  std::array<Segment, kHistorySegments> segments_{};
  int newest_ = 0;
  int segment_count_ = 0;

  // The newest packet sent (highest outbound sequence): a switch goes on from it.
  bool sent_any_ = false;
  uint16_t last_sequence_ = 0;
  uint32_t last_timestamp_ = 0;
  int64_t last_time_us_ = 0;
  int32_t last_picture_id_ = -1;
  int32_t last_tl0picidx_ = -1;

  uint32_t packets_sent_ = 0;
  uint32_t octets_sent_ = 0;
};

}  // namespace tutti::mixer
