// What one tutti-load participant checks of the video the server sends it
// (one continuous stream, whoever's camera it shows):
// - one SSRC for the whole call;
// - sequence gaps (StreamMeter's missing packets), packets and bytes;
// - which camera each packet is from (its source tag), and at every change
//   of camera (a switch, or the first picture) that the first packet of
//   the new one begins a key frame whose header carries that camera's
//   size: anything else is a broken picture until the next key frame;
// - picture id running on by one from frame to frame, across switches too,
//   where no packet went missing, and timestamps that never run back;
// - that it never sees its own camera.
// Counting starts at StartMeasuring(); which camera is showing is followed
// from the first packet, so the measured window starts mid-picture right.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "bench/tutti_load/stream_meter.h"
#include "bench/tutti_load/vp8_packetizer.h"

namespace tutti::load {

struct VideoTally {
  int64_t packets = 0;
  int64_t bytes = 0;   // RTP payload bytes
  int64_t frames = 0;  // packets with the marker bit
  int64_t keyframes = 0;
  int64_t missing = 0;          // sequence gaps
  int64_t ssrc_changes = 0;     // packets on an SSRC other than the previous one
  int64_t switches = 0;         // changes of camera, the first picture included
  int64_t broken_switches = 0;  // ...whose first packet did not begin a key frame
  int64_t picture_id_jumps = 0;
  int64_t timestamp_backwards = 0;
  int64_t own_camera = 0;  // packets of its own camera
  int64_t unreadable = 0;  // not a VP8 payload of a tutti-load camera
};

class VideoMeter {
 public:
  // own: this participant's camera, which it must never be shown.
  explicit VideoMeter(SourceTag own = {}) : own_(own), sequence_(90000) {}

  void StartMeasuring();
  void OnPacket(uint32_t ssrc, uint16_t sequence, uint32_t timestamp, bool marker,
                std::span<const uint8_t> payload, int64_t arrival_us);

  bool measuring() const { return measuring_; }
  const VideoTally& tally() const { return tally_; }
  int64_t missing() const { return sequence_.missing(); }
  // The camera showing now (width, height); nullopt before any.
  std::optional<SourceTag> showing() const { return showing_; }

 private:
  void CheckSource(const Vp8PacketView& view, const SourceTag& tag);
  void CheckContinuity(const Vp8PacketView& view, uint16_t sequence, uint32_t timestamp);

  SourceTag own_;
  bool measuring_ = false;
  VideoTally tally_;
  StreamMeter sequence_;
  std::optional<uint32_t> ssrc_;
  std::optional<SourceTag> showing_;  // frame number ignored
  // The last packet: for picture id and timestamp continuity.
  bool have_last_ = false;
  uint16_t last_sequence_ = 0;
  uint32_t last_timestamp_ = 0;
  int32_t last_picture_id_ = -1;
};

}  // namespace tutti::load
