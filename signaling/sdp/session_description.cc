#include "signaling/sdp/session_description.h"

#include <array>
#include <charconv>
#include <optional>

#include "common/strings.h"

namespace tutti::sdp {
namespace {

constexpr size_t kMaxMedia = 64;
constexpr size_t kMaxFormats = 1024;

// Static payload types of RFC 3551 §6 that may come without an rtpmap.
struct StaticType {
  int payload_type;
  std::string_view encoding;
  int clock_rate;
};
constexpr std::array<StaticType, 14> kStaticTypes = {{
    {0, "PCMU", 8000},
    {3, "GSM", 8000},
    {4, "G723", 8000},
    {5, "DVI4", 8000},
    {6, "DVI4", 16000},
    {7, "LPC", 8000},
    {8, "PCMA", 8000},
    {9, "G722", 8000},
    {10, "L16", 44100},
    {12, "QCELP", 8000},
    {13, "CN", 8000},
    {15, "G728", 8000},
    {18, "G729", 8000},
    {34, "H263", 90000},
}};

template <typename Int>
std::optional<Int> ParseNumber(std::string_view text) {
  Int value{};
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> Fields(std::string_view text) { return SplitNonEmpty(text, ' '); }

std::optional<Direction> DirectionFromName(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

class Parser {
 public:
  absl::StatusOr<SessionDescription> Run(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      start = end + 1;
      ++line_number_;
      if (line.empty()) continue;  // tolerated, e.g. a trailing blank line
      if (absl::Status status = Line(line); !status.ok()) return status;
    }
    if (!seen_version_) return absl::InvalidArgumentError("no v= line");
    if (!seen_origin_) return absl::InvalidArgumentError("no o= line");
    Finish();
    return std::move(description_);
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat("line ", line_number_, ": ", what));
  }

  absl::Status Line(std::string_view line) {
    if (line.size() < 2 || line[1] != '=') return Error("not a type=value line");
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (!seen_version_) {
      if (type != 'v' || value != "0") return Error("the description must start with v=0");
      seen_version_ = true;
      return absl::OkStatus();
    }
    switch (type) {
      case 'o':
        return OriginLine(value);
      case 's':
        description_.session_name = std::string(value);
        return absl::OkStatus();
      case 'c':
        return ConnectionLine(value);
      case 'b':
        BandwidthLine(value);
        return absl::OkStatus();
      case 'm':
        return MediaLine(value);
      case 'a':
        return AttributeLine(value);
      default:
        // i u e p t r z k: informational or timing; nothing a bridge uses.
        if (type < 'a' || type > 'z') return Error("unknown line type");
        return absl::OkStatus();
    }
  }

  // The m= section being read; null in the session section. Looked up each
  // time because media grows (a stored pointer would dangle).
  MediaDescription* Current() {
    return description_.media.empty() ? nullptr : &description_.media.back();
  }

  absl::Status OriginLine(std::string_view value) {
    const std::vector<std::string_view> fields = Fields(value);
    if (fields.size() != 6) return Error("o= needs 6 fields");
    Origin& origin = description_.origin;
    origin.username = std::string(fields[0]);
    // Session id and version are numbers by the RFC; some UAs send larger
    // ones than 64 bits hold, which only matters for comparison: keep 0 then.
    origin.session_id = ParseNumber<uint64_t>(fields[1]).value_or(0);
    origin.session_version = ParseNumber<uint64_t>(fields[2]).value_or(0);
    if (fields[3] != "IN") return Error("o= network type is not IN");
    seen_origin_ = true;
    origin.address_type = std::string(fields[4]);
    origin.address = std::string(fields[5]);
    return absl::OkStatus();
  }

  absl::Status ConnectionLine(std::string_view value) {
    const std::vector<std::string_view> fields = Fields(value);
    if (fields.size() != 3 || fields[0] != "IN" || (fields[1] != "IP4" && fields[1] != "IP6")) {
      return Error("c= must be IN IP4|IP6 <address>");
    }
    // Multicast TTL/count suffixes ("/127") are not ours to keep.
    std::string_view address = fields[2].substr(0, fields[2].find('/'));
    MediaDescription* current = Current();
    if (address.empty()) return Error("c= without an address");
    if (current != nullptr) {
      current->connection_address = std::string(address);
    } else {
      description_.connection_address = std::string(address);
      description_.connection_address_type = std::string(fields[1]);
    }
    return absl::OkStatus();
  }

  // b=<type>:<value>. AS and TIAS are kept; other types, and values that
  // are no number, are ignored as every b= line was before (a peer's
  // bandwidth is advice, never a reason to refuse its offer).
  void BandwidthLine(std::string_view value) {
    const size_t colon = value.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view type = value.substr(0, colon);
    const std::optional<uint32_t> number =
        ParseNumber<uint32_t>(StripWhitespace(value.substr(colon + 1)));
    if (!number) return;
    MediaDescription* current = Current();
    Bandwidth& bandwidth = current != nullptr ? current->bandwidth : description_.bandwidth;
    if (EqualsIgnoreCase(type, "AS")) bandwidth.as_kbps = *number;
    if (EqualsIgnoreCase(type, "TIAS")) bandwidth.tias_bps = *number;
  }

  absl::Status MediaLine(std::string_view value) {
    const std::vector<std::string_view> fields = Fields(value);
    if (fields.size() < 4) return Error("m= needs media, port, proto and a format");
    if (description_.media.size() >= kMaxMedia) return Error("too many m= lines");
    MediaDescription media;
    media.media = std::string(fields[0]);
    const std::string_view port_text = fields[1];
    const size_t slash = port_text.find('/');
    const std::optional<uint16_t> port = ParseNumber<uint16_t>(port_text.substr(0, slash));
    if (!port) return Error("m= port is not a number");
    media.port = *port;
    if (slash != std::string_view::npos) {
      const std::optional<int> count = ParseNumber<int>(port_text.substr(slash + 1));
      if (!count || *count < 1) return Error("m= port count is not a number");
      media.port_count = *count;
    }
    media.proto = std::string(fields[2]);
    if (format_count_ + fields.size() - 3 > kMaxFormats) return Error("too many formats");
    for (size_t i = 3; i < fields.size(); ++i) media.formats.emplace_back(fields[i]);
    format_count_ += fields.size() - 3;
    description_.media.push_back(std::move(media));
    media_direction_set_.push_back(false);
    return absl::OkStatus();
  }

  absl::Status AttributeLine(std::string_view value) {
    const size_t colon = value.find(':');
    const std::string_view name = value.substr(0, colon);
    const std::string_view argument =
        colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
    if (name.empty()) return Error("a= without a name");
    MediaDescription* current = Current();
    if (std::optional<Direction> direction = DirectionFromName(name)) {
      if (current != nullptr) {
        current->direction = *direction;
        media_direction_set_.back() = true;
      } else {
        description_.direction = *direction;
      }
      return absl::OkStatus();
    }
    if (current == nullptr) {
      description_.attributes.emplace_back(std::string(name), std::string(argument));
      return absl::OkStatus();
    }
    if (name == "rtpmap") return RtpMapAttribute(argument);
    if (name == "fmtp") return FmtpAttribute(argument);
    if (name == "ptime" || name == "maxptime") {
      const std::optional<int> ms = ParseNumber<int>(StripWhitespace(argument));
      if (!ms || *ms <= 0 || *ms > 1000) return Error(StrCat(name, " is not a duration"));
      (name == "ptime" ? current->ptime : current->maxptime) = *ms;
      return absl::OkStatus();
    }
    if (name == "rtcp-mux") {
      current->rtcp_mux = true;
      return absl::OkStatus();
    }
    if (name == "rtcp-fb" && RtcpFeedbackAttribute(argument)) return absl::OkStatus();
    if (name == "content" && current->content.empty() && !StripWhitespace(argument).empty()) {
      current->content = std::string(StripWhitespace(argument));
      return absl::OkStatus();
    }
    if (name == "rtcp") {
      const std::vector<std::string_view> fields = Fields(argument);
      const std::optional<uint16_t> port =
          fields.empty() ? std::nullopt : ParseNumber<uint16_t>(fields[0]);
      if (!port) return Error("a=rtcp port is not a number");
      current->rtcp_port = *port;
      return absl::OkStatus();
    }
    current->other_attributes.emplace_back(std::string(name), std::string(argument));
    return absl::OkStatus();
  }

  // a=rtcp-fb:<payload type|*> <type> [<parameter>]. False for a line of
  // another form (a non-RTP format): the caller keeps it as it came.
  bool RtcpFeedbackAttribute(std::string_view argument) {
    const std::vector<std::string_view> fields = Fields(argument);
    if (fields.size() < 2) return false;
    RtcpFeedback feedback;
    if (fields[0] != "*") {
      const std::optional<int> payload_type = ParseNumber<int>(fields[0]);
      if (!payload_type || *payload_type < 0 || *payload_type > 127) return false;
      feedback.payload_type = *payload_type;
    }
    feedback.type = std::string(fields[1]);
    for (size_t i = 2; i < fields.size(); ++i) {
      StrAppend(&feedback.parameter, i > 2 ? " " : "", fields[i]);
    }
    Current()->rtcp_feedback.push_back(std::move(feedback));
    return true;
  }

  // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]
  absl::Status RtpMapAttribute(std::string_view argument) {
    MediaDescription* current = Current();
    const size_t space = argument.find(' ');
    if (space == std::string_view::npos) return Error("malformed rtpmap");
    const std::optional<int> payload_type = ParseNumber<int>(argument.substr(0, space));
    if (!payload_type || *payload_type < 0 || *payload_type > 127) {
      return Error("rtpmap payload type is not a number");
    }
    const std::vector<std::string_view> parts =
        SplitNonEmpty(StripWhitespace(argument.substr(space + 1)), '/');
    if (parts.size() < 2 || parts.size() > 3) return Error("malformed rtpmap encoding");
    const std::optional<int> clock_rate = ParseNumber<int>(parts[1]);
    if (!clock_rate || *clock_rate <= 0) return Error("rtpmap clock rate is not a number");
    RtpMap map{*payload_type, std::string(parts[0]), *clock_rate, 1, {}};
    if (parts.size() == 3) {
      const std::optional<int> channels = ParseNumber<int>(parts[2]);
      if (!channels || *channels < 1 || *channels > 255) return Error("rtpmap channels");
      map.channels = *channels;
    }
    for (RtpMap& existing : current->rtpmaps) {
      if (existing.payload_type == map.payload_type) {
        map.fmtp = std::move(existing.fmtp);
        existing = std::move(map);
        return absl::OkStatus();
      }
    }
    current->rtpmaps.push_back(std::move(map));
    return absl::OkStatus();
  }

  // a=fmtp:<format> <parameters>. May come before its rtpmap; kept until Finish.
  absl::Status FmtpAttribute(std::string_view argument) {
    MediaDescription* current = Current();
    const size_t space = argument.find(' ');
    const std::optional<int> payload_type = ParseNumber<int>(argument.substr(0, space));
    if (!payload_type) {
      // Non-RTP formats (e.g. "a=fmtp:wb ...") are kept as plain attributes.
      current->other_attributes.emplace_back("fmtp", std::string(argument));
      return absl::OkStatus();
    }
    const std::string parameters(
        space == std::string_view::npos ? "" : StripWhitespace(argument.substr(space + 1)));
    for (RtpMap& map : current->rtpmaps) {
      if (map.payload_type == *payload_type) {
        map.fmtp = parameters;
        return absl::OkStatus();
      }
    }
    // No rtpmap yet: hold it in a placeholder that Finish resolves.
    current->rtpmaps.push_back(RtpMap{*payload_type, "", 0, 1, parameters});
    return absl::OkStatus();
  }

  // Static payload types without rtpmap, session-level direction inherited,
  // and fmtp placeholders for formats that never got an rtpmap.
  void Finish() {
    for (size_t m = 0; m < description_.media.size(); ++m) {
      MediaDescription& media = description_.media[m];
      if (!media_direction_set_[m]) media.direction = description_.direction;
      for (const std::string& format : media.formats) {
        const std::optional<int> payload_type = ParseNumber<int>(format);
        if (!payload_type) continue;
        RtpMap* existing = nullptr;
        for (RtpMap& map : media.rtpmaps) {
          if (map.payload_type == *payload_type) existing = &map;
        }
        if (existing != nullptr && !existing->encoding.empty()) continue;
        for (const StaticType& type : kStaticTypes) {
          if (type.payload_type != *payload_type) continue;
          if (existing == nullptr) {
            media.rtpmaps.push_back(
                RtpMap{type.payload_type, std::string(type.encoding), type.clock_rate, 1, {}});
          } else {
            existing->encoding = std::string(type.encoding);
            existing->clock_rate = type.clock_rate;
          }
        }
      }
      std::erase_if(media.rtpmaps, [](const RtpMap& map) { return map.encoding.empty(); });
    }
  }

  SessionDescription description_;
  std::vector<bool> media_direction_set_;
  size_t format_count_ = 0;
  int line_number_ = 0;
  bool seen_version_ = false;
  bool seen_origin_ = false;
};

std::string_view AddressType(std::string_view address) {
  return address.find(':') == std::string_view::npos ? "IP4" : "IP6";
}

void AppendBandwidth(const Bandwidth& bandwidth, std::string* out) {
  if (bandwidth.as_kbps != 0) StrAppend(out, "b=AS:", bandwidth.as_kbps, "\r\n");
  if (bandwidth.tias_bps != 0) StrAppend(out, "b=TIAS:", bandwidth.tias_bps, "\r\n");
}

// The a=rtcp-fb lines for one payload type (-1: those for "*").
void AppendFeedback(const MediaDescription& media, int payload_type, std::string* out) {
  for (const RtcpFeedback& feedback : media.rtcp_feedback) {
    if (feedback.payload_type != payload_type) continue;
    out->append("a=rtcp-fb:");
    if (payload_type < 0) {
      out->push_back('*');
    } else {
      StrAppend(out, payload_type);
    }
    StrAppend(out, " ", feedback.type);
    if (!feedback.parameter.empty()) StrAppend(out, " ", feedback.parameter);
    out->append("\r\n");
  }
}

// The a= lines of one payload type: rtpmap, fmtp, rtcp-fb.
void AppendFormat(const MediaDescription& media, const std::string& format, std::string* out) {
  const std::optional<int> payload_type = ParseNumber<int>(format);
  const RtpMap* map = payload_type ? media.FindRtpMap(*payload_type) : nullptr;
  if (map != nullptr) {
    StrAppend(out, "a=rtpmap:", map->payload_type, " ", map->encoding, "/", map->clock_rate);
    if (map->channels > 1) StrAppend(out, "/", map->channels);
    out->append("\r\n");
    if (!map->fmtp.empty()) StrAppend(out, "a=fmtp:", map->payload_type, " ", map->fmtp, "\r\n");
  }
  if (payload_type) AppendFeedback(media, *payload_type, out);
}

}  // namespace

std::string_view DirectionName(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

const RtpMap* MediaDescription::FindRtpMap(int payload_type) const {
  for (const RtpMap& map : rtpmaps) {
    if (map.payload_type == payload_type) return &map;
  }
  return nullptr;
}

bool MediaDescription::HasContent(std::string_view value) const {
  for (std::string_view listed : SplitNonEmpty(content, ',')) {
    if (EqualsIgnoreCase(StripWhitespace(listed), value)) return true;
  }
  return false;
}

absl::StatusOr<SessionDescription> ParseSdp(std::string_view text) { return Parser().Run(text); }

std::string WriteSdp(const SessionDescription& description) {
  std::string out;
  out.reserve(512);
  const Origin& origin = description.origin;
  StrAppend(&out, "v=0\r\no=", origin.username, " ", std::to_string(origin.session_id), " ",
            std::to_string(origin.session_version), " IN ", origin.address_type, " ",
            origin.address, "\r\ns=", description.session_name, "\r\n");
  if (!description.connection_address.empty()) {
    StrAppend(&out, "c=IN ", description.connection_address_type, " ",
              description.connection_address, "\r\n");
  }
  AppendBandwidth(description.bandwidth, &out);
  out += "t=0 0\r\n";
  for (const auto& [name, value] : description.attributes) {
    StrAppend(&out, "a=", name);
    if (!value.empty()) StrAppend(&out, ":", value);
    out += "\r\n";
  }
  for (const MediaDescription& media : description.media) {
    StrAppend(&out, "m=", media.media, " ", media.port);
    if (media.port_count > 1) StrAppend(&out, "/", media.port_count);
    StrAppend(&out, " ", media.proto);
    for (const std::string& format : media.formats) StrAppend(&out, " ", format);
    out += "\r\n";
    if (!media.connection_address.empty()) {
      StrAppend(&out, "c=IN ", AddressType(media.connection_address), " ", media.connection_address,
                "\r\n");
    }
    AppendBandwidth(media.bandwidth, &out);
    for (const std::string& format : media.formats) AppendFormat(media, format, &out);
    AppendFeedback(media, -1, &out);
    if (media.ptime > 0) StrAppend(&out, "a=ptime:", media.ptime, "\r\n");
    if (media.maxptime > 0) StrAppend(&out, "a=maxptime:", media.maxptime, "\r\n");
    if (media.port != 0) StrAppend(&out, "a=", DirectionName(media.direction), "\r\n");
    if (media.rtcp_mux) out += "a=rtcp-mux\r\n";
    if (media.rtcp_port != 0) StrAppend(&out, "a=rtcp:", media.rtcp_port, "\r\n");
    if (!media.content.empty()) StrAppend(&out, "a=content:", media.content, "\r\n");
    for (const auto& [name, value] : media.other_attributes) {
      StrAppend(&out, "a=", name);
      if (!value.empty()) StrAppend(&out, ":", value);
      out += "\r\n";
    }
  }
  return out;
}

}  // namespace tutti::sdp
