#include "signaling/call/session_timer.h"

#include <string>

#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"

namespace tutti {
namespace {

sip::SipMessage Invite(std::string extra) {
  std::string text =
      "INVITE sip:1000@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n"
      "From: <sip:a@h>;tag=1\r\nTo: <sip:1000@h>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n" +
      extra + "Content-Length: 0\r\n\r\n";
  sip::ParseOutcome outcome = sip::ParseSipMessage(text);
  EXPECT_TRUE(outcome.ok()) << outcome.reject_reason;
  return outcome.message;
}

const SessionTimerPolicy kPolicy{.min_se_s = 90, .default_se_s = 1800};

TEST(SessionTimerTest, NoTimerWhenTheCallerKnowsNone) {
  EXPECT_FALSE(DecideSessionTimer(Invite(""), kPolicy).active);
}

TEST(SessionTimerTest, CallerRefreshesWhenItSupportsTimers) {
  SessionTimerDecision d =
      DecideSessionTimer(Invite("Supported: timer\r\nSession-Expires: 600\r\n"), kPolicy);
  EXPECT_TRUE(d.active);
  EXPECT_EQ(d.interval_s, 600);
  EXPECT_FALSE(d.we_refresh);
  EXPECT_TRUE(d.require_timer);
}

TEST(SessionTimerTest, WeRefreshForCallersWithoutTimerSupport) {
  SessionTimerDecision d = DecideSessionTimer(Invite("Session-Expires: 600\r\n"), kPolicy);
  EXPECT_TRUE(d.active);
  EXPECT_TRUE(d.we_refresh);
  EXPECT_FALSE(d.require_timer);
}

TEST(SessionTimerTest, TheCallersRefresherChoiceIsKept) {
  SessionTimerDecision d =
      DecideSessionTimer(Invite("Supported: timer\r\nx: 1200;refresher=uas\r\n"), kPolicy);
  EXPECT_EQ(d.interval_s, 1200);
  EXPECT_TRUE(d.we_refresh);
}

TEST(SessionTimerTest, TooSmallIsRejectedWith422OrRaised) {
  EXPECT_EQ(DecideSessionTimer(Invite("Supported: timer\r\nSession-Expires: 30\r\n"), kPolicy)
                .reject_min_se,
            90);
  // A caller without timer support cannot retry: raise instead of refusing.
  SessionTimerDecision d = DecideSessionTimer(Invite("Session-Expires: 30\r\n"), kPolicy);
  EXPECT_EQ(d.reject_min_se, 0);
  EXPECT_EQ(d.interval_s, 90);
}

TEST(SessionTimerTest, DefaultIntervalAndMinSe) {
  SessionTimerDecision d =
      DecideSessionTimer(Invite("Supported: timer\r\nMin-SE: 2000\r\n"), kPolicy);
  EXPECT_EQ(d.interval_s, 2000);  // the default 1800 raised to the caller's Min-SE
}

}  // namespace
}  // namespace tutti
