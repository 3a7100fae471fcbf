// The SIP requests tutti-load sends as a UAC over UDP (RFC 3261): INVITE with
// an SDP offer, ACK, BYE, and 200 OK to what the server asks in a dialog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/tutti_load/load_call.h"
#include "bench/tutti_load/speech_frames.h"
#include "signaling/sip/sip_message.h"

namespace tutti::load {

struct UacEndpoint {
  std::string local_address = "127.0.0.1";
  uint16_t sip_port = 0;  // tutti-load's SIP socket
  // The SDP's c=: where every participant's RTP arrives (RTCP muxed), at
  // rtp_port; on the DPDK path the DPDK port's address, not local_address.
  std::string media_address = "127.0.0.1";
  uint16_t rtp_port = 0;
  // Every participant's video arrives here (RTCP muxed); 0: audio only.
  uint16_t video_rtp_port = 0;
  int video_kbps = 0;  // offered as b=AS: the most each participant takes
  std::string server_host = "127.0.0.1";
  uint16_t server_port = 5060;
};

std::string NewBranch(const LoadCall& call, int transaction);
std::string InviteText(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint,
                       Codec codec);
// ACK for a 2xx gets a branch of its own; for a failure it reuses the INVITE's.
std::string AckText(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint,
                    bool for_success);
std::string ByeText(const LoadCall& call, const std::string& room, const UacEndpoint& endpoint);
// 200 OK to a request inside a dialog (BYE, OPTIONS, INFO, UPDATE, re-INVITE:
// the last two get the offer back as answer).
std::string OkText(const sip::SipMessage& request, const LoadCall& call,
                   const UacEndpoint& endpoint, Codec codec);
std::string SdpOffer(const LoadCall& call, const UacEndpoint& endpoint, Codec codec);
// MESSAGE (RFC 3428) with a text/plain body, inside the call's dialog: to
// its remote target, both tags, CSeq `cseq` (the dialog's next).
std::string MessageInDialogText(const LoadCall& call, const std::string& room,
                                const UacEndpoint& endpoint, const std::string& branch, int cseq,
                                std::string_view body);
// ...or outside it: to the room's URI, From the call's URI with a tag of
// its own, a Call-ID of its own, CSeq 1.
std::string MessageOutOfDialogText(const LoadCall& call, const std::string& room,
                                   const UacEndpoint& endpoint, const std::string& branch,
                                   const std::string& call_id, std::string_view body);

}  // namespace tutti::load
