#include "signaling/trunk/phone_number.h"

#include <string>
#include <vector>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::trunk {
namespace {

NumberRules Uk() {
  NumberRules rules;
  rules.country_code = "44";
  return rules;
}

// An INVITE to `request_uri` with `headers` (From, To and the rest as given,
// defaults filled in) as a trunk would send it.
sip::SipMessage Invite(std::string_view request_uri, std::string_view headers,
                       std::string_view to = "<sip:tutti@192.0.2.10>",
                       std::string_view from = "<sip:carrier@192.0.2.1>;tag=f1") {
  std::string text = StrCat("INVITE ", request_uri,
                            " SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
                            "From: ",
                            from, "\r\nTo: ", to,
                            "\r\n"
                            "Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n",
                            headers, "Content-Length: 0\r\n\r\n");
  sip::ParseOutcome outcome = sip::ParseSipMessage(std::move(text));
  // tel: Request-URIs are read (416 is the endpoint's decision, not ours).
  EXPECT_TRUE(outcome.ok() || outcome.reject_status == 416) << outcome.reject_reason;
  return outcome.message;
}

TEST(NormalizeNumberTest, ReadsTheFormsPeopleAndCarriersWrite) {
  struct Case {
    const char* dialled;
    const char* canonical;  // nullptr: not a number
  };
  const std::vector<Case> cases = {
      {"+44 20 7946 0000", "442079460000"},
      {"+44 (20) 7946-0000", "442079460000"},
      {"+1.212.555.0100", "12125550100"},
      {"00442079460000", "442079460000"},  // international prefix
      {"020 7946 0000", "442079460000"},   // national prefix, country code 44
      {"442079460000", "442079460000"},    // E.164 without '+'
      {"2079460000", "2079460000"},        // neither: as dialled
      {"1234", "1234"},                    // an extension
      {"demo", nullptr},                   // a room name
      {"12a4", nullptr},
      {"", nullptr},
      {"+", nullptr},
      {"00", nullptr},  // the prefix alone
      {"0", nullptr},   // the national prefix alone
      {"--", nullptr},
      {"*98", nullptr},
      {"12345678901234567890123456789012", "12345678901234567890123456789012"},
      {"123456789012345678901234567890123", nullptr},  // 33 digits
  };
  for (const Case& c : cases) {
    const std::optional<std::string> got = NormalizeNumber(c.dialled, Uk());
    if (c.canonical == nullptr) {
      EXPECT_FALSE(got) << c.dialled << " -> " << got.value_or("");
    } else {
      EXPECT_EQ(got.value_or("(none)"), c.canonical) << c.dialled;
    }
  }
}

TEST(NormalizeNumberTest, NationalNumbersStayAsDialledWithoutACountryCode) {
  NumberRules rules;  // no country_code
  EXPECT_EQ(NormalizeNumber("020 7946 0000", rules).value_or(""), "02079460000");
  EXPECT_EQ(NormalizeNumber("0044 20 7946 0000", rules).value_or(""), "442079460000");
  const NumberRules north_america{
      .country_code = "1", .national_prefix = "1", .international_prefix = "011"};
  EXPECT_EQ(NormalizeNumber("011 44 20 7946 0000", north_america).value_or(""), "442079460000");
  EXPECT_EQ(NormalizeNumber("1 212 555 0100", north_america).value_or(""), "12125550100");
}

TEST(FormatNumberTest, WritesEachFormat) {
  NumberRules rules = Uk();
  EXPECT_EQ(FormatNumber("442079460000", rules), "+442079460000");
  rules.format = "e164";
  EXPECT_EQ(FormatNumber("442079460000", rules), "442079460000");
  rules.format = "national";
  EXPECT_EQ(FormatNumber("442079460000", rules), "02079460000");
  EXPECT_EQ(FormatNumber("12125550100", rules), "0012125550100");  // abroad
}

TEST(FormatNumberTest, NationalAndBackIsTheSameNumber) {
  NumberRules rules = Uk();
  rules.format = "national";
  for (const char* number : {"442079460000", "33142685300", "4980012345"}) {
    EXPECT_EQ(NormalizeNumber(FormatNumber(number, rules), rules).value_or(""), number);
  }
}

TEST(NumberUriTest, FormatsTheNumberForTheTrunk) {
  NumberRules rules = Uk();
  EXPECT_EQ(NumberUri("442079460000", "sip.carrier.example", rules),
            "sip:+442079460000@sip.carrier.example;user=phone");
  rules.user_phone = false;
  rules.format = "national";
  EXPECT_EQ(NumberUri("442079460000", "192.0.2.1:5080", rules), "sip:02079460000@192.0.2.1:5080");
}

TEST(CalledNumberOfTest, ReadsTheRequestUriThenTo) {
  struct Case {
    const char* request_uri;
    const char* to;
    const char* number;  // nullptr: none
  };
  const std::vector<Case> cases = {
      {"sip:+442079460001@192.0.2.10", "<sip:x@y>", "442079460001"},
      {"sip:442079460001@192.0.2.10", "<sip:x@y>", "442079460001"},
      {"sip:+44-20-7946-0001@192.0.2.10;user=phone", "<sip:x@y>", "442079460001"},
      {"sip:02079460001@192.0.2.10;user=phone", "<sip:x@y>", "442079460001"},
      {"sip:%2B442079460001@192.0.2.10", "<sip:x@y>", "442079460001"},
      {"tel:+44-20-7946-0001", "<sip:x@y>", "442079460001"},
      {"tel:2079460001;phone-context=+44", "<sip:x@y>", "442079460001"},
      {"tel:7946-0001;phone-context=+44-20", "<sip:x@y>", "442079460001"},
      {"tel:02079460001;phone-context=example.com", "<sip:x@y>", "442079460001"},
      {"sip:2079460001;phone-context=+44@192.0.2.10;user=phone", "<sip:x@y>", "442079460001"},
      // Registered trunks send to our contact; the DID is in To.
      {"sip:tutti@192.0.2.10", "<sip:+442079460001@carrier.example>", "442079460001"},
      {"sip:tutti@192.0.2.10", "<tel:+442079460001>", "442079460001"},
      // A call to a room by name is no number.
      {"sip:demo@192.0.2.10", "<sip:demo@192.0.2.10>", nullptr},
      {"sip:192.0.2.10", "<sip:192.0.2.10>", nullptr},
      {"sip:12ab@192.0.2.10", "<sip:alice@y>", nullptr},
  };
  for (const Case& c : cases) {
    const std::optional<std::string> got = CalledNumberOf(Invite(c.request_uri, "", c.to), Uk());
    if (c.number == nullptr) {
      EXPECT_FALSE(got) << c.request_uri << " -> " << got.value_or("");
    } else {
      EXPECT_EQ(got.value_or("(none)"), c.number) << c.request_uri << " To " << c.to;
    }
  }
}

TEST(CallerOfTest, PrefersTheAssertedIdentityWithANumber) {
  const sip::SipMessage invite = Invite(
      "sip:+442079460001@192.0.2.10",
      "P-Asserted-Identity: \"Alice Smith\" <sip:alice@carrier.example>, <tel:+447700900123>\r\n",
      "<sip:x@y>", "\"Spoofed\" <sip:+449999999999@carrier.example>;tag=f1");
  const CallerIdentity caller = CallerOf(invite, Uk());
  EXPECT_EQ(caller.number, "447700900123");
  EXPECT_EQ(caller.display_name, "Alice Smith");
  EXPECT_EQ(caller.source, "pai");
  EXPECT_FALSE(caller.withheld);
}

TEST(CallerOfTest, TakesAssertedIdentitiesFromSeveralHeaders) {
  const sip::SipMessage invite =
      Invite("sip:+442079460001@192.0.2.10",
             "P-Asserted-Identity: <sip:alice@carrier.example>\r\n"
             "P-Asserted-Identity: \"Bob\" <sip:07700900124@carrier.example;user=phone>\r\n");
  const CallerIdentity caller = CallerOf(invite, Uk());
  EXPECT_EQ(caller.number, "447700900124");
  EXPECT_EQ(caller.display_name, "Bob");
}

TEST(CallerOfTest, ToleratesRemotePartyIdAndHonoursItsPrivacy) {
  const sip::SipMessage called =
      Invite("sip:+442079460001@192.0.2.10",
             "Remote-Party-ID: <sip:+442079460001@x>;party=called\r\n"
             "Remote-Party-ID: \"Carol\" "
             "<sip:+447700900125@carrier.example>;party=calling;privacy=off\r\n");
  CallerIdentity caller = CallerOf(called, Uk());
  EXPECT_EQ(caller.number, "447700900125");
  EXPECT_EQ(caller.display_name, "Carol");
  EXPECT_EQ(caller.source, "rpid");
  EXPECT_FALSE(caller.withheld);

  const sip::SipMessage hidden =
      Invite("sip:+442079460001@192.0.2.10",
             "Remote-Party-ID: \"Carol\" <sip:+447700900125@carrier.example>;privacy=full\r\n");
  EXPECT_TRUE(CallerOf(hidden, Uk()).withheld);
}

TEST(CallerOfTest, FallsBackToFromAndCleansTheDisplayName) {
  const sip::SipMessage invite =
      Invite("sip:+442079460001@192.0.2.10", "", "<sip:x@y>",
             "\"Dave \\\"The\\\" \x01Man\" <sip:07700900126@carrier.example>;tag=f1");
  const CallerIdentity caller = CallerOf(invite, Uk());
  EXPECT_EQ(caller.number, "447700900126");
  EXPECT_EQ(caller.display_name, "Dave \"The\" Man");
  EXPECT_EQ(caller.source, "from");
}

TEST(CallerOfTest, BoundsTheDisplayName) {
  const std::string name(500, 'a');
  const sip::SipMessage invite = Invite("sip:+442079460001@192.0.2.10", "", "<sip:x@y>",
                                        StrCat("\"", name, "\" <sip:+447700900126@c>;tag=f1"));
  EXPECT_EQ(CallerOf(invite, Uk()).display_name.size(), 128u);
}

TEST(CallerOfTest, PrivacyIdOrAnAnonymousFromWithholdsTheCaller) {
  const sip::SipMessage private_id = Invite(
      "sip:+442079460001@192.0.2.10", "P-Asserted-Identity: <tel:+447700900127>\r\nPrivacy: id\r\n",
      "<sip:x@y>", "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=f1");
  CallerIdentity caller = CallerOf(private_id, Uk());
  EXPECT_EQ(caller.number, "447700900127");  // the record keeps it
  EXPECT_TRUE(caller.withheld);
  EXPECT_EQ(caller.display_name, "");

  const sip::SipMessage anonymous = Invite("sip:+442079460001@192.0.2.10", "", "<sip:x@y>",
                                           "<sip:anonymous@anonymous.invalid>;tag=f1");
  caller = CallerOf(anonymous, Uk());
  EXPECT_EQ(caller.number, "");
  EXPECT_TRUE(caller.withheld);

  const sip::SipMessage none = Invite("sip:+442079460001@192.0.2.10", "Privacy: none\r\n",
                                      "<sip:x@y>", "<sip:+447700900128@carrier.example>;tag=f1");
  EXPECT_FALSE(CallerOf(none, Uk()).withheld);
}

}  // namespace
}  // namespace tutti::trunk
