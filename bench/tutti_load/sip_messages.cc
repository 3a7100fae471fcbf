#include "bench/tutti_load/sip_messages.h"

#include "absl/strings/str_cat.h"
#include "signaling/sip/message_writer.h"

namespace tutti::load {
namespace {

std::string Via(const UacEndpoint& endpoint, const std::string& branch) {
  return absl::StrCat("SIP/2.0/UDP ", endpoint.local_address, ":", endpoint.sip_port,
                      ";branch=", branch, ";rport");
}

std::string FromValue(const LoadCall& call, const UacEndpoint& endpoint) {
  return absl::StrCat("<sip:load", call.index, "@", endpoint.local_address,
                      ">;tag=", call.from_tag);
}

std::string ToValue(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint) {
  std::string to = absl::StrCat("<sip:", room, "@", endpoint.server_host, ">");
  if (!call.to_tag.empty()) absl::StrAppend(&to, ";tag=", call.to_tag);
  return to;
}

std::string RoomUri(const std::string& room, const UacEndpoint& endpoint) {
  return absl::StrCat("sip:", room, "@", endpoint.server_host, ":", endpoint.server_port);
}

std::string Contact(const LoadCall& call, const UacEndpoint& endpoint) {
  return absl::StrCat("<sip:load", call.index, "@", endpoint.local_address, ":", endpoint.sip_port,
                      ">");
}

}  // namespace

std::string NewBranch(const LoadCall& call, int transaction) {
  return absl::StrCat("z9hG4bK-", call.call_id, "-", transaction);
}

std::string SdpOffer(const LoadCall& call, const UacEndpoint& endpoint, Codec codec) {
  const CodecInfo info = InfoOf(codec);
  std::string rtpmap =
      absl::StrCat("a=rtpmap:", info.payload_type, " ", info.sdp_name, "/", info.clock_rate);
  if (info.channels > 1) absl::StrAppend(&rtpmap, "/", info.channels);
  const bool opus = codec == Codec::kOpus;
  std::string video;
  if (endpoint.video_rtp_port != 0) {
    // RFC 7741 VP8 with the feedback a forwarder needs (RFC 4585, RFC 5104,
    // goog-remb), on the AVPF profile.
    video = absl::StrCat("m=video ", endpoint.video_rtp_port, " RTP/AVPF 96\r\n",
                         "b=AS:", endpoint.video_kbps, "\r\n", "a=rtpmap:96 VP8/90000\r\n",
                         "a=rtcp-fb:96 nack\r\n", "a=rtcp-fb:96 nack pli\r\n",
                         "a=rtcp-fb:96 ccm fir\r\n", "a=rtcp-fb:96 goog-remb\r\n", "a=rtcp-mux\r\n",
                         "a=sendrecv\r\n");
  }
  return absl::StrCat(
      "v=0\r\n", "o=tutti-load ", call.index, " 1 IN IP4 ", endpoint.local_address, "\r\n",
      "s=tutti-load\r\n", "c=IN IP4 ", endpoint.media_address, "\r\n", "t=0 0\r\n", "m=audio ",
      endpoint.rtp_port, " RTP/AVP ", info.payload_type, " 101\r\n", rtpmap, "\r\n",
      opus ? absl::StrCat("a=fmtp:", info.payload_type, " useinbandfec=1;usedtx=1\r\n") : "",
      "a=rtpmap:101 telephone-event/", info.clock_rate, "\r\n", "a=fmtp:101 0-16\r\n",
      "a=ptime:20\r\n", "a=rtcp-mux\r\n", "a=sendrecv\r\n",
      // RFC 6464: the level of each frame, as browsers send it (sent when
      // the answer takes it and --audio_level is on).
      "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", video);
}

std::string InviteText(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint,
                       Codec codec) {
  return sip::MessageWriter::Request("INVITE", RoomUri(room, endpoint))
      .Header("Via", Via(endpoint, call.branch))
      .Header("Max-Forwards", "70")
      .Header("From", FromValue(call, endpoint))
      .Header("To", ToValue(call, room, endpoint))
      .Header("Call-ID", call.call_id)
      .Header("CSeq", "1 INVITE")
      .Header("Contact", Contact(call, endpoint))
      .Header("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE")
      .Header("User-Agent", "tutti-load")
      .Finish(SdpOffer(call, endpoint, codec), "application/sdp");
}

std::string AckText(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint,
                    bool for_success) {
  const std::string uri =
      for_success && !call.remote_target.empty() ? call.remote_target : RoomUri(room, endpoint);
  return sip::MessageWriter::Request("ACK", uri)
      .Header("Via", Via(endpoint, for_success ? NewBranch(call, 100) : call.branch))
      .Header("Max-Forwards", "70")
      .Header("From", FromValue(call, endpoint))
      .Header("To", ToValue(call, room, endpoint))
      .Header("Call-ID", call.call_id)
      .Header("CSeq", "1 ACK")
      .Finish();
}

std::string ByeText(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint) {
  return sip::MessageWriter::Request(
             "BYE", call.remote_target.empty() ? RoomUri(room, endpoint) : call.remote_target)
      .Header("Via", Via(endpoint, call.branch))
      .Header("Max-Forwards", "70")
      .Header("From", FromValue(call, endpoint))
      .Header("To", ToValue(call, room, endpoint))
      .Header("Call-ID", call.call_id)
      .Header("CSeq", absl::StrCat(call.cseq, " BYE"))
      .Header("User-Agent", "tutti-load")
      .Finish();
}

std::string OkText(const sip::SipMessage& request, const LoadCall& call,
                   const UacEndpoint& endpoint, Codec codec) {
  sip::MessageWriter ok = sip::ResponseTo(request, 200);
  const bool offer_back =
      (request.method() == sip::Method::kInvite || request.method() == sip::Method::kUpdate) &&
      !request.body().empty();
  if (request.method() == sip::Method::kInvite || request.method() == sip::Method::kUpdate) {
    ok.Header("Contact", Contact(call, endpoint));
  }
  return offer_back ? std::move(ok).Finish(SdpOffer(call, endpoint, codec), "application/sdp")
                    : std::move(ok).Finish();
}

std::string MessageInDialogText(const LoadCall& call, const std::string& room,
                                const UacEndpoint& endpoint, const std::string& branch, int cseq,
                                std::string_view body) {
  return sip::MessageWriter::Request(
             "MESSAGE", call.remote_target.empty() ? RoomUri(room, endpoint) : call.remote_target)
      .Header("Via", Via(endpoint, branch))
      .Header("Max-Forwards", "70")
      .Header("From", FromValue(call, endpoint))
      .Header("To", ToValue(call, room, endpoint))
      .Header("Call-ID", call.call_id)
      .Header("CSeq", absl::StrCat(cseq, " MESSAGE"))
      .Header("User-Agent", "tutti-load")
      .Finish(body, "text/plain");
}

std::string MessageOutOfDialogText(const LoadCall& call, const std::string& room,
                                   const UacEndpoint& endpoint, const std::string& branch,
                                   const std::string& call_id, std::string_view body) {
  return sip::MessageWriter::Request("MESSAGE", RoomUri(room, endpoint))
      .Header("Via", Via(endpoint, branch))
      .Header("Max-Forwards", "70")
      .Header("From", absl::StrCat("<sip:load", call.index, "@", endpoint.local_address, ">;tag=o",
                                   call.index))
      .Header("To", absl::StrCat("<sip:", room, "@", endpoint.server_host, ">"))
      .Header("Call-ID", call_id)
      .Header("CSeq", "1 MESSAGE")
      .Header("User-Agent", "tutti-load")
      .Finish(body, "text/plain");
}

}  // namespace tutti::load
