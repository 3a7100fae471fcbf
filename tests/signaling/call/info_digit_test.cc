// Key presses carried by SIP INFO bodies.
#include "signaling/call/info_digit.h"

#include "gtest/gtest.h"

namespace tutti {
namespace {

TEST(InfoDigitTest, DtmfRelaySignalLineIsTheKey) {
  EXPECT_EQ(DigitFromInfo("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"), '5');
  EXPECT_EQ(DigitFromInfo("Application/DTMF-Relay; x=y", "Duration=160\r\nsignal = #\r\n"), '#');
  EXPECT_EQ(DigitFromInfo("application/dtmf-relay", "Signal=10\r\n"), '*');
  EXPECT_EQ(DigitFromInfo("application/dtmf-relay", "Signal=11\r\n"), '#');
  EXPECT_EQ(DigitFromInfo("application/dtmf-relay", "Signal=d\r\n"), 'D');
}

TEST(InfoDigitTest, DtmfBodyIsTheKeyAlone) {
  EXPECT_EQ(DigitFromInfo("application/dtmf", "7"), '7');
  EXPECT_EQ(DigitFromInfo("application/dtmf", " * \r\n"), '*');
}

TEST(InfoDigitTest, AnythingElseIsNoKey) {
  EXPECT_EQ(DigitFromInfo("application/dtmf-relay", "Duration=160\r\n"), std::nullopt);
  EXPECT_EQ(DigitFromInfo("application/dtmf-relay", "Signal=55\r\n"), std::nullopt);
  EXPECT_EQ(DigitFromInfo("application/dtmf", "x"), std::nullopt);
  EXPECT_EQ(DigitFromInfo("application/media_control+xml", "5"), std::nullopt);
  EXPECT_EQ(DigitFromInfo("", ""), std::nullopt);
}

}  // namespace
}  // namespace tutti
