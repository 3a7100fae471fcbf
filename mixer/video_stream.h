// One video stream of a participant on its worker (the camera's m=video, or
// the content stream's): the peer's camera coming in (latched, statistics,
// its picture size, a packet cache that answers NACKs) and the one
// continuous stream going out to it (a VideoRewriter: its own SSRC, whatever
// source it shows), plus the RTCP both ways. The router (video_router.h)
// decides what goes where; this class only speaks for its own peer.
// Built on the control thread or, for a stream a re-INVITE adds, by the
// worker; per packet it allocates nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "mediaplane/packet_io.h"
#include "mediaplane/rtp/receive_statistics.h"
#include "mediaplane/rtp/rtcp_feedback.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/video/packet_cache.h"
#include "mediaplane/video/video_payload.h"
#include "mixer/media_transport.h"
#include "mixer/video_rewriter.h"
#include "mixer/video_spec.h"

namespace tutti::mixer {

struct VideoStreamCounters {
  uint64_t packets_in = 0;
  uint64_t bytes_in = 0;
  uint64_t packets_out = 0;
  uint64_t bytes_out = 0;
  uint64_t malformed = 0;  // RTP, RTCP or payloads that did not parse
  uint64_t foreign = 0;    // a payload type other than the agreed one
};

class VideoStream {
 public:
  VideoStream(const VideoStreamSpec& spec, media::PortPair ports, uint32_t ssrc);
  VideoStream(const VideoStream&) = delete;
  VideoStream& operator=(const VideoStream&) = delete;

  const VideoStreamSpec& spec() const { return spec_; }
  MediaTransport& transport() { return transport_; }
  const MediaTransport& transport() const { return transport_; }
  const VideoStreamCounters& counters() const { return counters_; }
  // A re-INVITE's new address, direction or keys (the codec stays the room's).
  void Update(const VideoStreamSpec& spec);

  // --- The peer as a source.

  // A video packet the peer sent, checked and kept for retransmissions.
  struct Received {
    media::RtpView rtp;
    media::VideoPacketInfo info;
    // The first packet of a picture (the payload says so, or the timestamp
    // moved on): where a receiver may be switched when it is also a keyframe.
    bool picture_start = false;
    bool new_stream = false;  // the source's SSRC changed (or its first packet)
  };
  // nullopt: dropped (a stranger, malformed, another payload type: counted).
  std::optional<Received> OnRtp(const media::Datagram& datagram, int64_t now_us);
  // Is the peer sending video we may show (a camera that is on, not on hold)?
  bool sending() const { return spec_.receive && have_source_; }
  uint32_t source_ssrc() const { return source_ssrc_; }
  uint16_t width() const { return width_; }
  uint16_t height() const { return height_; }
  // A packet of the peer's current stream still held, by its sequence number.
  std::span<const uint8_t> Cached(uint16_t sequence) const { return cache_.Find(sequence); }

  // RTCP from the peer: its reports are read here; the feedback it carries
  // (about the stream we send it) is returned for the router to act on.
  std::optional<media::RtcpFeedback> OnRtcp(const media::Datagram& datagram, int64_t now_us);

  // Keyframe request to the peer (PLI, or FIR where only ccm fir was
  // offered), after its receiver report; 0 when the peer takes neither.
  uint16_t WriteKeyframeRequest(int64_t now_us, uint8_t* out);
  // Asks the peer to send at most `bps` (REMB, else TMMBR); 0 when it takes neither.
  uint16_t WriteBitrateRequest(uint64_t bps, int64_t now_us, uint8_t* out);
  // Asks the peer to resend lost packets of its stream (generic NACK).
  uint16_t WriteNack(std::span<const media::NackItem> items, int64_t now_us, uint8_t* out);
  bool takes_keyframe_requests() const { return spec_.feedback.pli || spec_.feedback.fir; }

  // --- The peer as a receiver.

  // What the peer should see; the rewriter keeps its stream continuous.
  VideoRewriter& rewriter() { return rewriter_; }
  bool receiving() const { return spec_.send; }
  // The most the peer asked to receive: REMB/TMMBR it sent, else its SDP
  // bandwidth; 0: no limit known.
  uint64_t receive_limit_bps() const;
  // Writes `payload` (a source's, whose descriptor ids are rewritten here) as
  // the next packet of the peer's stream, with the rewritten fields. Returns
  // the size, SRTP-protected on an encrypted stream (0: nothing to send).
  uint16_t WriteForwarded(const media::RtpView& source, const VideoRewriter::Fields& fields,
                          uint8_t* out);
  // Its receiver and sender reports when due (every ~1 s, RFC 4585's
  // shorter interval, so a switch's keyframe request can go out at once).
  uint16_t MaybeWriteReport(int64_t now_us, uint8_t* out);

 private:
  // An RR about the peer's stream (an SR about ours, once we sent), into
  // `out`; the feedback goes after it (RFC 4585 §3.1 compound).
  size_t WriteReport(int64_t now_us, uint8_t* out, size_t room);
  uint16_t Finish(uint8_t* out, size_t size);  // SRTCP-protect
  // A compound of our report and the feedback `write` puts after it
  // (returning its size; 0: nothing to send), SRTCP-protected.
  template <typename WriteFeedback>
  uint16_t WriteWithReport(int64_t now_us, uint8_t* out, WriteFeedback&& write);

  VideoStreamSpec spec_;
  uint32_t ssrc_;
  MediaTransport transport_;
  VideoRewriter rewriter_;
  // 128 KiB: half a second of a 2 Mb/s camera (RTTs are well under), and
  // 2,000 video participants on a core stay under 300 MB.
  media::PacketCache cache_{256, 128 * 1024};

  // Receive side.
  bool have_source_ = false;
  uint32_t source_ssrc_ = 0;
  uint32_t last_timestamp_ = 0;
  bool last_marker_ = true;
  media::ReceiveStatistics receive_stats_;
  uint16_t width_ = 0;
  uint16_t height_ = 0;
  uint32_t last_sr_ntp_middle_ = 0;
  int64_t last_sr_received_us_ = 0;
  uint8_t fir_sequence_ = 0;

  // What the peer asked for, as a receiver.
  uint64_t requested_bps_ = 0;

  int64_t next_report_us_ = 0;
  VideoStreamCounters counters_;

 public:
  // The router's bookkeeping for this stream (video_router.cc), reset when
  // the participant joins a conference.
  struct Routing {
    uint64_t sees = 0;     // the source this peer is shown now
    uint64_t pending = 0;  // the source it switches to at that source's next keyframe
    int64_t pending_since_us = 0;
    // As a source:
    int64_t last_keyframe_request_us = -1'000'000'000;
    uint64_t requested_bps = 0;  // the limit last asked of it (0: none yet)
    int64_t bitrate_requested_us = 0;
    int64_t talking_since_us = -1;  // talking without a break since (-1: not talking)
  } routing;
};

}  // namespace tutti::mixer
