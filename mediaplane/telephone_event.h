// RFC 4733 telephone-event payloads: DTMF digits received from RTP, and
// digits written as event packets.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace tutti::media {

struct TelephoneEvent {
  uint8_t event = 0;  // 0-9, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash
  bool end = false;
  uint8_t volume = 0;
  uint16_t duration = 0;  // timestamp units
};

std::optional<TelephoneEvent> ParseTelephoneEvent(std::span<const uint8_t> payload);
// '0'..'9', '*', '#', 'A'..'D'; 0 for events that are not digits.
char EventDigit(uint8_t event);
void WriteTelephoneEvent(const TelephoneEvent& event, uint8_t out[4]);

// Turns the stream of event packets (each event is sent many times, its end
// three times) into one digit per key press.
class DtmfReceiver {
 public:
  // The digit, once, when an event's first end packet arrives.
  std::optional<char> OnPacket(uint32_t rtp_timestamp, std::span<const uint8_t> payload);

 private:
  bool have_last_ = false;
  uint32_t last_reported_timestamp_ = 0;
};

}  // namespace tutti::media
