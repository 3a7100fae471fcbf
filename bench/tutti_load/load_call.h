// One participant of a tutti-load run: its SIP dialog, its RTP stream out
// and what it measures of the stream back.
#pragma once

#include <netinet/in.h>
#include <opus/opus.h>

#include <cstdint>
#include <memory>
#include <string>

#include "bench/tutti_load/stream_meter.h"

namespace tutti::load {

enum class CallState { kPending, kInviting, kUp, kHangingUp, kDone, kFailed };

struct OpusDecoderDeleter {
  void operator()(OpusDecoder* decoder) const { opus_decoder_destroy(decoder); }
};

struct LoadCall {
  int index = 0;
  int room = 0;
  int member = 0;  // place in its room, for the talk model
  int room_size = 0;
  CallState state = CallState::kPending;

  // SIP.
  std::string call_id;
  std::string from_tag;
  std::string to_tag;
  std::string remote_target;  // the 200's Contact URI: where in-dialog requests go
  std::string branch;         // of the transaction in flight
  std::string request;        // its text, for retransmission
  int cseq = 1;
  bool provisional = false;  // a 1xx stopped INVITE retransmissions
  int64_t first_sent_us = 0;
  int64_t sent_us = 0;
  int64_t retransmit_us = 0;
  int64_t answered_us = 0;
  int64_t hangup_at_us = 0;  // churn mode: when to send BYE
  int final_status = 0;
  bool watched = false;  // in the engine's timer list

  // RTP out, to the server's port from the SDP answer.
  sockaddr_in media_to{};
  uint32_t ssrc = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  size_t speech_at = 0;
  size_t silence_at = 0;
  bool marker_next = true;
  int audio_level_id = 0;  // the answer's RFC 6464 extension id (0: not sent)

  // RTP in.
  StreamMeter meter;
  std::unique_ptr<OpusDecoder, OpusDecoderDeleter> decoder;  // Opus only
};

}  // namespace tutti::load
