#include "signaling/sip/reliable_provisional.h"

#include "common/strings.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::sip {
namespace {

// A 183 to an INVITE with `extra` header lines.
SipMessage Provisional(std::string_view extra) {
  ParseOutcome outcome = ParseSipMessage(StrCat(
      "SIP/2.0 183 Session Progress\r\n", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n",
      "From: <sip:tutti@example.com>;tag=a\r\n", "To: <sip:442079460000@example.com>;tag=b\r\n",
      "Call-ID: c1\r\nCSeq: 7 INVITE\r\n", extra, "Content-Length: 0\r\n\r\n"));
  EXPECT_TRUE(outcome.ok()) << outcome.reject_reason;
  return outcome.message;
}

TEST(ReliableProvisionalTest, FindsTheOptionTagInLists) {
  EXPECT_TRUE(Supports100rel(Provisional("Supported: timer, 100rel\r\n")));
  EXPECT_FALSE(Requires100rel(Provisional("Supported: timer, 100rel\r\n")));
  EXPECT_TRUE(Requires100rel(Provisional("Require: 100REL\r\n")));
  EXPECT_TRUE(Supports100rel(Provisional("Require: 100REL\r\n")));  // required is supported
  EXPECT_TRUE(Supports100rel(Provisional("k: replaces\r\nk: 100rel\r\n")));  // compact form
  EXPECT_TRUE(Requires100rel(Provisional("Require: timer\r\nRequire: precondition,100rel\r\n")));
  EXPECT_FALSE(Supports100rel(Provisional("Supported: 100relx, x100rel\r\n")));
  EXPECT_FALSE(Supports100rel(Provisional("")));
  EXPECT_FALSE(Requires100rel(Provisional("Proxy-Require: 100rel\r\n")));
}

TEST(ReliableProvisionalTest, ReadsRSeq) {
  EXPECT_EQ(RSeqOf(Provisional("RSeq: 988789\r\n")), 988789u);
  EXPECT_EQ(RSeqOf(Provisional("rseq:  1 \r\n")), 1u);
  EXPECT_EQ(RSeqOf(Provisional("RSeq: 4294967295\r\n")), 4294967295u);
  EXPECT_FALSE(RSeqOf(Provisional("RSeq: 4294967296\r\n")));
  EXPECT_FALSE(RSeqOf(Provisional("RSeq: 0\r\n")));
  EXPECT_FALSE(RSeqOf(Provisional("RSeq: -1\r\n")));
  EXPECT_FALSE(RSeqOf(Provisional("RSeq: 12a\r\n")));
  EXPECT_FALSE(RSeqOf(Provisional("")));
}

TEST(ReliableProvisionalTest, ParsesAndWritesRAck) {
  std::optional<RAck> rack = ParseRAck("776656 1 INVITE");  // RFC 3262 §7.2's example
  ASSERT_TRUE(rack);
  EXPECT_EQ(rack->rseq, 776656u);
  EXPECT_EQ(rack->cseq, 1u);
  EXPECT_EQ(rack->method, "INVITE");
  rack = ParseRAck("  5 \t 314159   INVITE ");
  ASSERT_TRUE(rack);
  EXPECT_EQ(rack->rseq, 5u);
  EXPECT_EQ(rack->cseq, 314159u);
  EXPECT_FALSE(ParseRAck("5 314159"));
  EXPECT_FALSE(ParseRAck("5 314159 INVITE extra"));
  EXPECT_FALSE(ParseRAck("x 314159 INVITE"));
  EXPECT_FALSE(ParseRAck("5 99999999999 INVITE"));
  EXPECT_FALSE(ParseRAck("5 1 INV<ITE"));
  EXPECT_FALSE(ParseRAck(""));
  EXPECT_EQ(RAckValue(776656, 1), "776656 1 INVITE");
  EXPECT_EQ(ParseRAck(RAckValue(4294967295u, 2147483647u))->rseq, 4294967295u);
}

}  // namespace
}  // namespace tutti::sip
