#include "mediaplane/telephone_event.h"

#include "mediaplane/rtp/byte_order.h"

namespace tutti::media {

std::optional<TelephoneEvent> ParseTelephoneEvent(std::span<const uint8_t> payload) {
  if (payload.size() < 4) return std::nullopt;
  TelephoneEvent event;
  event.event = payload[0];
  event.end = (payload[1] & 0x80) != 0;
  event.volume = payload[1] & 0x3f;
  event.duration = LoadBe16(&payload[2]);
  return event;
}

char EventDigit(uint8_t event) {
  if (event <= 9) return static_cast<char>('0' + event);
  switch (event) {
    case 10:
      return '*';
    case 11:
      return '#';
    case 12:
      return 'A';
    case 13:
      return 'B';
    case 14:
      return 'C';
    case 15:
      return 'D';
    default:
      return 0;
  }
}

void WriteTelephoneEvent(const TelephoneEvent& event, uint8_t out[4]) {
  out[0] = event.event;
  out[1] = static_cast<uint8_t>((event.end ? 0x80 : 0) | (event.volume & 0x3f));
  StoreBe16(out + 2, event.duration);
}

std::optional<char> DtmfReceiver::OnPacket(uint32_t rtp_timestamp,
                                           std::span<const uint8_t> payload) {
  const std::optional<TelephoneEvent> event = ParseTelephoneEvent(payload);
  if (!event || !event->end) return std::nullopt;
  // All packets of one event share its start timestamp (RFC 4733 §2.5.1.2).
  if (have_last_ && rtp_timestamp == last_reported_timestamp_) return std::nullopt;
  have_last_ = true;
  last_reported_timestamp_ = rtp_timestamp;
  const char digit = EventDigit(event->event);
  if (digit == 0) return std::nullopt;
  return digit;
}

}  // namespace tutti::media
