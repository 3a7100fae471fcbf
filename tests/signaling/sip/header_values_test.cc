#include "signaling/sip/header_values.h"

#include "gtest/gtest.h"

namespace tutti::sip {
namespace {

TEST(ParseUriTest, FullSipUri) {
  auto uri = ParseUri("sips:alice:secret@example.com:5061;transport=tcp;lr?subject=project%20x");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->scheme, "sips");
  EXPECT_EQ(uri->user, "alice");
  EXPECT_EQ(uri->password, "secret");
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_EQ(uri->port, 5061);
  EXPECT_EQ(uri->params, ";transport=tcp;lr");
  EXPECT_EQ(uri->headers, "subject=project%20x");
  EXPECT_TRUE(uri->is_sip());
  EXPECT_EQ(uri->Param("TRANSPORT"), "tcp");
  EXPECT_EQ(uri->Param("lr"), "");
  EXPECT_FALSE(uri->Param("maddr").has_value());
}

TEST(ParseUriTest, RoomUriWithoutPort) {
  auto uri = ParseUri("sip:1000@127.0.0.1");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->user, "1000");
  EXPECT_EQ(uri->host, "127.0.0.1");
  EXPECT_EQ(uri->port, 0);
  EXPECT_TRUE(uri->params.empty());
}

TEST(ParseUriTest, Ipv6Reference) {
  auto uri = ParseUri("sip:[2001:db8::10]:5070;maddr=[2001:db8::1]");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->host, "2001:db8::10");
  EXPECT_TRUE(uri->host_is_ipv6);
  EXPECT_EQ(uri->port, 5070);
  EXPECT_EQ(uri->Param("maddr"), "[2001:db8::1]");
}

TEST(ParseUriTest, Ipv6HostsAsRfc5118WritesThem) {
  // §4.3/4.4: the port is outside the brackets; a colon inside is the address's.
  auto with_port = ParseUri("sip:room@[2001:db8::10]:5060;transport=tcp");
  ASSERT_TRUE(with_port.ok()) << with_port.status();
  EXPECT_EQ(with_port->user, "room");
  EXPECT_EQ(with_port->host, "2001:db8::10");
  EXPECT_EQ(with_port->port, 5060);
  EXPECT_EQ(with_port->Param("transport"), "tcp");
  auto no_port = ParseUri("sips:[2001:db8::10:5070]");
  ASSERT_TRUE(no_port.ok()) << no_port.status();
  EXPECT_EQ(no_port->host, "2001:db8::10:5070");
  EXPECT_EQ(no_port->port, 0);
  auto mapped = ParseUri("sip:1000@[::ffff:192.0.2.1]");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(mapped->host, "::ffff:192.0.2.1");
  // §4.2: an IPv6 address must be bracketed in a URI.
  for (const char* bad : {"sip:user@2001:db8::10", "sip:user@[2001:db8::10", "sip:user@[]",
                          "sip:user@[2001:db8::10]5060", "sip:user@[2001:db8::zz]"}) {
    EXPECT_FALSE(ParseUri(bad).ok()) << bad;
  }
}

TEST(ParseNameAddrTest, Ipv6InFromToAndContact) {
  auto from = ParseNameAddr("\"Alice\" <sip:alice@[2001:db8::10]:5062;transport=udp>;tag=a6");
  ASSERT_TRUE(from.ok()) << from.status();
  EXPECT_EQ(from->uri_text, "sip:alice@[2001:db8::10]:5062;transport=udp");
  EXPECT_EQ(from->uri.host, "2001:db8::10");
  EXPECT_TRUE(from->uri.host_is_ipv6);
  EXPECT_EQ(from->uri.port, 5062);
  EXPECT_EQ(from->tag, "a6");
  // addr-spec form: the parameters after the URI are the header's.
  auto to = ParseNameAddr("sip:1000@[::1];tag=t6");
  ASSERT_TRUE(to.ok()) << to.status();
  EXPECT_EQ(to->uri.host, "::1");
  EXPECT_EQ(to->tag, "t6");
  auto contact = ParseNameAddr("<sip:[::1]:40000;ob>;expires=60");
  ASSERT_TRUE(contact.ok()) << contact.status();
  EXPECT_EQ(contact->uri.host, "::1");
  EXPECT_EQ(contact->uri.port, 40000);
  EXPECT_EQ(contact->Param("expires"), "60");
}

TEST(ParseViaTest, ReceivedWithOrWithoutBrackets) {
  // RFC 5118 §4.5: received= is written bare by the ABNF; some write it
  // bracketed, which is taken as well.
  auto bare = ParseVia("SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKa");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->host, "2001:db8::9:1");
  EXPECT_EQ(bare->port, 0);
  EXPECT_EQ(bare->received, "2001:db8::9:255");
  auto bracketed =
      ParseVia("SIP/2.0/UDP [2001:db8::9:1]:5060;received=[2001:db8::9:255];branch=z9hG4bKb");
  ASSERT_TRUE(bracketed.ok()) << bracketed.status();
  EXPECT_EQ(bracketed->port, 5060);
  EXPECT_EQ(bracketed->received, "[2001:db8::9:255]");
}

TEST(ParseUriTest, UserPartWithUserUnreservedCharacters) {
  auto uri = ParseUri("sip:user;par=u%40example.net@example.com");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->user, "user;par=u%40example.net");
  EXPECT_EQ(uri->host, "example.com");
  EXPECT_TRUE(uri->params.empty());
}

TEST(ParseUriTest, OtherSchemesAreOpaque) {
  auto uri = ParseUri("tel:+1-201-555-0123");
  ASSERT_TRUE(uri.ok());
  EXPECT_FALSE(uri->is_sip());
  EXPECT_EQ(uri->opaque, "+1-201-555-0123");
}

TEST(ParseUriTest, RejectsMalformed) {
  for (const char* text :
       {"", "sip:", "example.com", "sip:user@", "sip:user@host:99999", "sip:user@host:",
        "sip:us er@host", "sip:user@[::1", "sip:@host", "sip:user@host;=x", "sip:bad%zzuser@host",
        "sip:user@host;lr=", "1sip:host", "sip:user@-host", "sip:user@host?a=<b>"}) {
    EXPECT_FALSE(ParseUri(text).ok()) << text;
  }
}

TEST(ParseNameAddrTest, QuotedDisplayNameWithEscapes) {
  auto address = ParseNameAddr(R"("J Rosenberg \\\"" <sip:jdrosen@example.com> ; tag = 98asjd8)");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->display_name, R"(J Rosenberg \\\")");
  EXPECT_EQ(address->uri_text, "sip:jdrosen@example.com");
  EXPECT_EQ(address->uri.user, "jdrosen");
  EXPECT_EQ(address->tag, "98asjd8");
}

TEST(ParseNameAddrTest, TokenDisplayNameWithoutSpaceBeforeBracket) {
  auto address = ParseNameAddr("caller<sip:caller@example.com>;tag=323");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->display_name, "caller");
  EXPECT_EQ(address->tag, "323");
}

TEST(ParseNameAddrTest, AddrSpecParametersBelongToTheHeader) {
  auto address = ParseNameAddr("sip:bob@biloxi.example.com;tag=a6c85cf;expires=60");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->uri_text, "sip:bob@biloxi.example.com");
  EXPECT_TRUE(address->uri.params.empty());
  EXPECT_EQ(address->params, ";tag=a6c85cf;expires=60");
  EXPECT_EQ(address->tag, "a6c85cf");
  EXPECT_EQ(address->Param("expires"), "60");
}

TEST(ParseNameAddrTest, UriParametersInsideBrackets) {
  auto address = ParseNameAddr("<sip:proxy.example.com;lr>");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->uri.Param("lr"), "");
  EXPECT_TRUE(address->params.empty());
  EXPECT_TRUE(address->tag.empty());
}

TEST(ParseNameAddrTest, QuotedParameterValue) {
  auto address = ParseNameAddr(
      R"(<sip:a@192.0.2.1>;+sip.instance="<urn:uuid:0c5c2c1c-1f5b-4a5b-9c2e-7b1b0c3f2e11>")");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->Param("+sip.instance"),
            R"("<urn:uuid:0c5c2c1c-1f5b-4a5b-9c2e-7b1b0c3f2e11>")");
}

TEST(ParseNameAddrTest, RejectsMalformed) {
  for (const char* text : {"", R"("Mr. J. User <sip:j.user@example.com>)",
                           "Bell, Alexander <sip:a.g.bell@bell-tel.com>", "<sip:a@b",
                           "sip:user@example.com?Route=%3Csip:x%3E", "<sip:a@b>;;", "\"x\" sip:a@b",
                           "<sip:a@b>;tag=\"open"}) {
    EXPECT_FALSE(ParseNameAddr(text).ok()) << text;
  }
}

TEST(ParseViaTest, TypicalUdpVia) {
  auto via = ParseVia("SIP/2.0/UDP 192.0.2.4:5062;branch=z9hG4bK776asdhds;rport");
  ASSERT_TRUE(via.ok()) << via.status();
  EXPECT_EQ(via->protocol_name, "SIP");
  EXPECT_EQ(via->protocol_version, "2.0");
  EXPECT_EQ(via->transport, "UDP");
  EXPECT_EQ(via->host, "192.0.2.4");
  EXPECT_EQ(via->port, 5062);
  EXPECT_EQ(via->branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(via->has_rport);
  EXPECT_EQ(via->rport, 0);
  EXPECT_EQ(via->params, ";branch=z9hG4bK776asdhds;rport");
}

TEST(ParseViaTest, WhitespaceEverywhereTheGrammarAllowsIt) {
  auto via = ParseVia(
      "SIP  /   2.0   / TCP     spindle.example.com   :  5070 ;  branch  =   z9hG4bK9ikj8");
  ASSERT_TRUE(via.ok()) << via.status();
  EXPECT_EQ(via->transport, "TCP");
  EXPECT_EQ(via->host, "spindle.example.com");
  EXPECT_EQ(via->port, 5070);
  EXPECT_EQ(via->branch, "z9hG4bK9ikj8");
}

TEST(ParseViaTest, ReceivedAndRportValues) {
  auto via =
      ParseVia("SIP/2.0/UDP [2001:db8::9]:5060;received=2001:db8::9;rport=40000;branch=z9hG4bKx");
  ASSERT_TRUE(via.ok()) << via.status();
  EXPECT_TRUE(via->host_is_ipv6);
  EXPECT_EQ(via->received, "2001:db8::9");
  EXPECT_EQ(via->rport, 40000);
}

TEST(ParseViaTest, RejectsMalformed) {
  for (const char* text : {"", "SIP/2.0", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0/UDP host:port",
                           "SIP/2.0/UDP 192.0.2.15;;,;,,", "SIP/2.0/UDP h;rport=x",
                           "SIP/2.0/UDP h;rport=70000", "SIP/2.0 UDP h"}) {
    EXPECT_FALSE(ParseVia(text).ok()) << text;
  }
}

TEST(ParseCSeqTest, NumberAndMethod) {
  auto cseq = ParseCSeq("0009\r\n  INVITE");
  ASSERT_TRUE(cseq.ok());
  EXPECT_EQ(cseq->number, 9u);
  EXPECT_EQ(cseq->method_name, "INVITE");
  EXPECT_EQ(cseq->method, Method::kInvite);
  auto extension = ParseCSeq("1 NEWMETHOD");
  ASSERT_TRUE(extension.ok());
  EXPECT_EQ(extension->method, Method::kUnknown);
}

TEST(ParseCSeqTest, RejectsOverlargeAndMalformed) {
  for (const char* text : {"36893488147419103232 INVITE", "2147483648 INVITE", "INVITE", "1",
                           "1INVITE", "-1 INVITE", "1 INVITE x", ""}) {
    EXPECT_FALSE(ParseCSeq(text).ok()) << text;
  }
  EXPECT_TRUE(ParseCSeq("2147483647 BYE").ok());
}

TEST(FindParamTest, CaseInsensitiveNamesAndFlags) {
  EXPECT_EQ(FindParam(";Tag=abc;lr;expires=3", "tag"), "abc");
  EXPECT_EQ(FindParam(";Tag=abc;lr;expires=3", "LR"), "");
  EXPECT_FALSE(FindParam(";Tag=abc;lr", "branch").has_value());
  EXPECT_EQ(FindParam(R"(;a="x;y";b=2)", "b"), "2");
  EXPECT_FALSE(FindParam("", "a").has_value());
}

TEST(MethodTest, NamesAreCaseSensitive) {
  EXPECT_EQ(MethodFromName("INVITE"), Method::kInvite);
  EXPECT_EQ(MethodFromName("invite"), Method::kUnknown);
  EXPECT_EQ(MethodName(Method::kCancel), "CANCEL");
  EXPECT_EQ(MethodName(Method::kUnknown), "");
}

}  // namespace
}  // namespace tutti::sip
