// SDP session descriptions (RFC 4566): a parser that keeps what a media
// bridge negotiates on (media lines, connection, bandwidth, rtpmap/fmtp,
// rtcp-fb, ptime, direction, rtcp and rtcp-mux, content) plus every other
// attribute as text, and a writer. The parsed description owns its strings: SIP bodies do not
// outlive the message they came in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tutti::sdp {

enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view DirectionName(Direction direction);

struct RtpMap {
  int payload_type = 0;
  std::string encoding;  // as written: "PCMU", "opus", "telephone-event"
  int clock_rate = 0;
  int channels = 1;
  std::string fmtp;  // the a=fmtp parameters for this payload type, empty when none
};

// b= lines (RFC 4566 §5.8, RFC 3890 TIAS); 0 when absent. Other bandwidth
// types (CT, RR, RS) are not kept.
struct Bandwidth {
  uint32_t as_kbps = 0;   // b=AS: kilobits per second, the stream with its headers
  uint32_t tias_bps = 0;  // b=TIAS: bits per second, payload only
  bool operator==(const Bandwidth&) const = default;
};

// a=rtcp-fb (RFC 4585 §4.2): "nack", "nack pli", "ccm fir", "goog-remb"...
struct RtcpFeedback {
  int payload_type = -1;  // -1: every payload type of the line ("*")
  std::string type;       // "nack", "ccm", "goog-remb", "transport-cc", "trr-int", ...
  std::string parameter;  // "pli", "fir", "tmmbr", "5000"; empty when none
  bool operator==(const RtcpFeedback&) const = default;
};

struct MediaDescription {
  std::string media;  // "audio", "video", "application", ...
  uint16_t port = 0;
  int port_count = 1;
  std::string proto;                 // "RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", ...
  std::vector<std::string> formats;  // as written: payload type numbers for RTP
  // One per format that has an a=rtpmap, or a static payload type of RFC 3551.
  std::vector<RtpMap> rtpmaps;
  std::string connection_address;  // media-level c=, empty when none
  Bandwidth bandwidth;             // media-level b=
  int ptime = 0;                   // 0 when absent
  int maxptime = 0;
  Direction direction = Direction::kSendRecv;  // media-level, else session-level
  bool rtcp_mux = false;
  uint16_t rtcp_port = 0;                   // a=rtcp, 0 when absent
  std::vector<RtcpFeedback> rtcp_feedback;  // in order
  // a=content (RFC 4796) as written: "slides", "main", "main,alt"; empty when absent.
  std::string content;
  // Everything else, in order: name and value ("" for a flag attribute).
  std::vector<std::pair<std::string, std::string>> other_attributes;

  const RtpMap* FindRtpMap(int payload_type) const;
  // Whether a=content lists `value` ("slides", "main", ...).
  bool HasContent(std::string_view value) const;
};

struct Origin {
  std::string username = "-";
  uint64_t session_id = 0;
  uint64_t session_version = 0;
  std::string address_type = "IP4";
  std::string address;
};

struct SessionDescription {
  Origin origin;
  std::string session_name = "-";
  std::string connection_address;  // session-level c=
  std::string connection_address_type = "IP4";
  Bandwidth bandwidth;                         // session-level b=
  Direction direction = Direction::kSendRecv;  // session-level attribute
  // Other session-level attributes (a=fingerprint, a=setup may be here), in order.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<MediaDescription> media;
};

// Errors name the line: "line 5: m= port is not a number".
absl::StatusOr<SessionDescription> ParseSdp(std::string_view text);

// v o s c t m a, CRLF line ends (RFC 4566 §5).
std::string WriteSdp(const SessionDescription& description);

}  // namespace tutti::sdp
