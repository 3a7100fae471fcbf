// The RFC 4575 document a subscriber gets: the roster as it is, escaped.
#include "signaling/call/conference_info_xml.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RosterEndpoint Endpoint(uint64_t id, std::string user, std::string display = {}) {
  RosterEndpoint endpoint;
  endpoint.participant = id;
  endpoint.user = std::move(user);
  endpoint.display_name = std::move(display);
  return endpoint;
}

// How often `needle` occurs in `text`.
int Count(const std::string& text, std::string_view needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ConferenceInfoXmlTest, AnEmptyRoomIsAFullStateDocumentWithNoUsers) {
  ConferenceRoster roster;
  roster.display_text = "1000";
  const std::string xml = ConferenceInfoXml("sip:1000@192.0.2.1", roster, 7);
  for (std::string_view part : {"<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\"",
                                "entity=\"sip:1000@192.0.2.1\" state=\"full\" version=\"7\"",
                                "<display-text>1000</display-text>", "<user-count>0</user-count>",
                                "<active>false</active>", "<users>\n  </users>"}) {
    EXPECT_THAT(xml, HasSubstr(part));
  }
  EXPECT_THAT(xml, Not(HasSubstr("maximum-user-count")));
}

TEST(ConferenceInfoXmlTest, EachParticipantsStatusMediaAndTalking) {
  ConferenceRoster roster;
  roster.display_text = "1000";
  roster.max_users = 10;
  roster.locked = true;
  RosterEndpoint talking = Endpoint(1, "sip:alice@example.com", "Alice");
  talking.talking = true;
  talking.moderator = true;
  RosterEndpoint muted = Endpoint(2, "sip:bob@example.com");
  muted.muted = true;
  muted.talking = true;  // talking into a mute: nobody hears it
  RosterEndpoint held = Endpoint(3, "sip:carol@example.com");
  held.held = true;
  RosterEndpoint gone = Endpoint(4, "sip:dave@example.com");
  gone.connected = false;
  roster.endpoints = {talking, muted, held, gone};
  const std::string xml = ConferenceInfoXml("sip:1000@192.0.2.1", roster, 1);

  EXPECT_THAT(xml, HasSubstr("<maximum-user-count>10</maximum-user-count>"));
  EXPECT_THAT(xml, HasSubstr("<user-count>3</user-count>"));  // the one who left is not counted
  EXPECT_THAT(xml, HasSubstr("<locked>true</locked>"));
  EXPECT_THAT(xml, HasSubstr("<user entity=\"sip:alice@example.com\" state=\"full\">\n"
                             "      <display-text>Alice</display-text>\n"
                             "      <roles><entry>moderator</entry></roles>\n"
                             "      <endpoint entity=\"urn:tutti:participant:1\">\n"
                             "        <status>connected</status>\n"));
  EXPECT_THAT(xml, HasSubstr("<media id=\"audio-1\">\n          <type>audio</type>\n"
                             "          <status>sendrecv</status>\n"
                             "          <tutti:talking>true</tutti:talking>"));
  EXPECT_THAT(xml, HasSubstr("<status>recvonly</status>\n"
                             "          <tutti:talking>false</tutti:talking>"));
  EXPECT_THAT(xml, HasSubstr("<status>on-hold</status>"));
  EXPECT_THAT(xml, HasSubstr("<status>inactive</status>"));
  EXPECT_THAT(xml, HasSubstr("<endpoint entity=\"urn:tutti:participant:4\">\n"
                             "        <status>disconnected</status>\n"
                             "        <disconnection-method>departed</disconnection-method>"));
  EXPECT_EQ(Count(xml, "<roles><entry>participant</entry></roles>"), 3);
  EXPECT_THAT(xml, HasSubstr("xmlns:tutti=\"urn:tutti:params:xml:ns:conference-info\""));
}

TEST(ConferenceInfoXmlTest, CallsFromOneUriAreOneUserWithAnEndpointEach) {
  ConferenceRoster roster;
  roster.endpoints = {Endpoint(1, "sip:alice@example.com"), Endpoint(2, "sip:bob@example.com"),
                      Endpoint(3, "sip:alice@example.com")};
  const std::string xml = ConferenceInfoXml("sip:1000@192.0.2.1", roster, 1);
  EXPECT_EQ(Count(xml, "<user entity="), 2);
  EXPECT_EQ(Count(xml, "<endpoint entity="), 3);
  // Alice's two endpoints sit together, before Bob's user.
  EXPECT_LT(xml.find("participant:3"), xml.find("sip:bob@example.com"));
}

TEST(ConferenceInfoXmlTest, WhatAStrangerWroteIsEscaped) {
  ConferenceRoster roster;
  roster.display_text = "a&b";
  roster.endpoints = {Endpoint(1, "sip:x@example.com;a=\"><user entity=\"evil",
                               "</display-text><evil/>&'\x01 Zo\xC3\xAB \xE2\x82\xAC \xFF\xC3")};
  const std::string xml = ConferenceInfoXml("sip:1000@h\"ost", roster, 1);
  EXPECT_THAT(xml, HasSubstr("entity=\"sip:1000@h&quot;ost\""));
  EXPECT_THAT(xml, HasSubstr("<display-text>a&amp;b</display-text>"));
  EXPECT_THAT(xml, HasSubstr("<user entity=\"sip:x@example.com;a=&quot;&gt;&lt;user "
                             "entity=&quot;evil\""));
  // Control characters dropped, UTF-8 kept, bytes that are not UTF-8 become '?'.
  EXPECT_THAT(xml, HasSubstr("<display-text>&lt;/display-text&gt;&lt;evil/&gt;&amp;&apos; "
                             "Zo\xC3\xAB \xE2\x82\xAC ?"
                             "?</display-text>"));
  EXPECT_EQ(Count(xml, "<user "), 1);
}

TEST(XmlEscapeTest, RefusesOverlongFormsSurrogatesAndNonCharacters) {
  EXPECT_EQ(XmlEscape("\xC0\xAF"), "??");            // overlong '/'
  EXPECT_EQ(XmlEscape("\xED\xA0\x80"), "???");       // a UTF-16 surrogate
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBE"), "???");       // U+FFFE
  EXPECT_EQ(XmlEscape("\xF4\x90\x80\x80"), "????");  // above U+10FFFF
  EXPECT_EQ(XmlEscape("\xF0\x9F\x8E\xB5 ok\t"), "\xF0\x9F\x8E\xB5 ok\t");
}

}  // namespace
}  // namespace tutti
