#include "mediaplane/rtp/stun_message.h"

#include "mediaplane/rtp/byte_order.h"

namespace tutti::media {

bool IsStunMessage(std::span<const uint8_t> datagram) {
  if (datagram.size() < kStunHeaderSize || datagram[0] > 3) return false;
  const size_t length = LoadBe16(datagram.data() + 2);
  return length % 4 == 0 && kStunHeaderSize + length == datagram.size();
}

}  // namespace tutti::media
