// What signaling negotiated for a participant's video: the camera stream
// (m=video) and the content stream (m=video with a=content:slides, RFC 4796),
// and how a room shows video. Plain data, copied into ParticipantSpec and
// ConferenceSettings.
#pragma once

#include <cstdint>

#include "mediaplane/dtls_srtp.h"
#include "mediaplane/endpoint.h"
#include "mediaplane/srtp_session.h"
#include "mediaplane/video/video_codec.h"

namespace tutti::mixer {

struct VideoStreamSpec {
  bool active = false;  // false: no such stream (not offered, declined, or removed)
  media::VideoCodec codec = media::VideoCodec::kVp8;
  uint8_t payload_type = 0;
  media::Endpoint remote_rtp;
  media::Endpoint remote_rtcp;  // equal to remote_rtp with rtcp-mux
  bool rtcp_mux = false;
  bool send = true;     // we send to the peer (false on hold, or when it is sendonly)
  bool receive = true;  // the peer sends to us
  media::VideoFeedback feedback;
  // The most the peer wants to receive (b=TIAS, or b=AS), bits per second; 0: unknown.
  uint32_t max_receive_bps = 0;
  media::SrtpKeys srtp;
  media::DtlsSpec dtls;
  bool operator==(const VideoStreamSpec&) const = default;
};

// How a room shows video to its participants.
enum class VideoMode : uint8_t {
  kDefault,       // ConferenceSettings only: the worker's default (follow the talker)
  kFollowTalker,  // each sees the current talker; the talker sees the previous one
  kPresenter,     // everyone sees the presenter; the presenter sees the talker
  kAudioOnly,     // no video is forwarded
};

// The worker's video defaults (config [video]); a room's settings override them.
struct VideoOptions {
  VideoMode mode = VideoMode::kFollowTalker;
  int hold_ms = 2000;
  // What a source nobody watches is asked to send at most (REMB or TMMBR),
  // bits per second; 0 leaves unwatched sources alone.
  uint32_t unwatched_bps = 100'000;
  // Keyframe requests (PLI/FIR) to one source, at most one per this interval.
  int keyframe_request_interval_ms = 250;
};

}  // namespace tutti::mixer
