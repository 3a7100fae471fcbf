// SIP parsing and response writing throughput for the messages a conference
// bridge sees most: an INVITE with SDP as baresip sends it, and the BYE/ACK
// that follow. Reports messages per second (items/s) and bytes per second.
#include <string>

#include "benchmark/benchmark.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_parser.h"

namespace {

const std::string kInvite =
    "INVITE sip:1000@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:46123;branch=z9hG4bK1d1bb7e8a4d2cd54;rport\r\n"
    "Contact: <sip:alice-0x55d5c0@127.0.0.1:46123;transport=udp>\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:1000@127.0.0.1>\r\n"
    "From: \"Alice\" <sip:alice@127.0.0.1>;tag=6e2bb2e1fbb9cf56\r\n"
    "Call-ID: 0b6dd1e95d3c1e7d\r\n"
    "CSeq: 23815 INVITE\r\n"
    "User-Agent: baresip v1.0.0 (x86_64/linux)\r\n"
    "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER\r\n"
    "Supported: replaces,norefersub\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 281\r\n"
    "\r\n"
    "v=0\r\n"
    "o=- 1553213384 3294658532 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 10226 RTP/AVP 96 0 8 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtcp-mux\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n"
    "a=ssrc:1418330126 cname:1c0aff5c-5c2f\r\n";

const std::string kBye =
    "BYE sip:1000@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:46123;branch=z9hG4bK8bf1e6f1a3b1;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:1000@127.0.0.1>;tag=93c2a1f0\r\n"
    "From: \"Alice\" <sip:alice@127.0.0.1>;tag=6e2bb2e1fbb9cf56\r\n"
    "Call-ID: 0b6dd1e95d3c1e7d\r\n"
    "CSeq: 23816 BYE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

void ParseMessage(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    // The parser takes its buffer over, as the transports hand it.
    tutti::sip::ParseOutcome outcome = tutti::sip::ParseSipMessage(std::string(text));
    if (!outcome.ok()) state.SkipWithError(outcome.reject_reason.c_str());
    benchmark::DoNotOptimize(outcome);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

void BM_ParseInvite(benchmark::State& state) { ParseMessage(state, kInvite); }
BENCHMARK(BM_ParseInvite);

void BM_ParseBye(benchmark::State& state) { ParseMessage(state, kBye); }
BENCHMARK(BM_ParseBye);

void BM_WriteResponseToInvite(benchmark::State& state) {
  tutti::sip::ParseOutcome invite = tutti::sip::ParseSipMessage(kInvite);
  for (auto _ : state) {
    std::string response = tutti::sip::ResponseTo(invite.message, 200, {}, "93c2a1f0")
                               .Header("Contact", "<sip:1000@127.0.0.1:5060>")
                               .Finish();
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WriteResponseToInvite);

}  // namespace
