#include "mediaplane/rtp/stun_message.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/dtls_srtp.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"

namespace tutti::media {
namespace {

// As linphonec 5.1 (mediastreamer2) sent it, without ICE, to tutti's RTP
// and RTCP ports: a Binding request with the RFC 5389 magic cookie and no
// attributes (the transaction id is random). tutti counted each one as
// malformed RTP or RTCP: 2 and 9-10 of them per call.
const std::vector<uint8_t> kLinphoneBindingRequest = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4,
                                                      0x42, 0x92, 0xdd, 0xa4, 0x5b, 0x55, 0x2d,
                                                      0x21, 0x0b, 0xfd, 0x76, 0xb4, 0x93};

TEST(StunMessageTest, LinphonesBindingRequestIsStunAndNeitherRtpNorRtcp) {
  EXPECT_TRUE(IsStunMessage(kLinphoneBindingRequest));
  EXPECT_FALSE(ParseRtp(kLinphoneBindingRequest).has_value());
  EXPECT_FALSE(ParseRtcp(kLinphoneBindingRequest).has_value());
  EXPECT_FALSE(IsDtlsRecord(kLinphoneBindingRequest));
}

TEST(StunMessageTest, AttributesAndMessagesWithoutTheCookieAreStun) {
  // A Binding success response with XOR-MAPPED-ADDRESS (12 bytes of attribute).
  std::vector<uint8_t> response = kLinphoneBindingRequest;
  response[0] = 0x01;
  response[3] = 12;
  response.insert(response.end(),
                  {0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0x5e, 0x12, 0xa4, 0x43});
  EXPECT_TRUE(IsStunMessage(response));
  // RFC 3489 (classic STUN): no magic cookie.
  std::vector<uint8_t> classic = kLinphoneBindingRequest;
  classic[4] = classic[5] = classic[6] = classic[7] = 0x5a;
  EXPECT_TRUE(IsStunMessage(classic));
}

TEST(StunMessageTest, OtherKindsAndBrokenHeadersAreNot) {
  std::vector<uint8_t> rtp(kRtpHeaderSize + 8, 0);
  WriteRtpHeader({.payload_type = 0, .sequence = 1, .timestamp = 160, .ssrc = 7}, rtp.data());
  EXPECT_FALSE(IsStunMessage(rtp));
  std::vector<uint8_t> rtcp(64);
  rtcp.resize(WriteRtcp(7, nullptr, {}, "x", false, rtcp));
  EXPECT_FALSE(IsStunMessage(rtcp));
  std::vector<uint8_t> dtls = kLinphoneBindingRequest;
  dtls[0] = 22;  // a DTLS handshake record
  EXPECT_FALSE(IsStunMessage(dtls));
  std::vector<uint8_t> first_byte_4 = kLinphoneBindingRequest;
  first_byte_4[0] = 4;
  EXPECT_FALSE(IsStunMessage(first_byte_4));

  const std::vector<uint8_t> truncated(kLinphoneBindingRequest.begin(),
                                       kLinphoneBindingRequest.end() - 1);
  EXPECT_FALSE(IsStunMessage(truncated));
  std::vector<uint8_t> longer_than_said = kLinphoneBindingRequest;
  longer_than_said.insert(longer_than_said.end(), 4, 0);
  EXPECT_FALSE(IsStunMessage(longer_than_said));
  std::vector<uint8_t> says_longer = kLinphoneBindingRequest;
  says_longer[3] = 4;
  EXPECT_FALSE(IsStunMessage(says_longer));
  std::vector<uint8_t> not_in_words = kLinphoneBindingRequest;
  not_in_words[3] = 2;
  not_in_words.insert(not_in_words.end(), 2, 0);
  EXPECT_FALSE(IsStunMessage(not_in_words));
  EXPECT_FALSE(IsStunMessage({}));
}

}  // namespace
}  // namespace tutti::media
