#include "signaling/sip/dialog.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::sip {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

SipMessage Parse(const std::string& text) {
  ParseOutcome outcome = ParseSipMessage(text);
  EXPECT_TRUE(outcome.ok()) << outcome.reject_reason;
  return outcome.message;
}

constexpr char kInvite[] =
    "INVITE sip:1000@198.51.100.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKdlg\r\n"
    "Record-Route: <sip:proxy1.example;lr>\r\n"
    "Record-Route: <sip:192.0.2.99:5070;lr>\r\n"
    "From: \"Alice\" <sip:alice@example.com>;tag=alice-tag\r\n"
    "To: <sip:1000@198.51.100.1>\r\n"
    "Call-ID: dialog-1@192.0.2.10\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5062>\r\n"
    "Content-Length: 0\r\n\r\n";

MessageSource Source() {
  return MessageSource{TransportKind::kUdp, *SocketAddress::FromIpPort("192.0.2.10", 5062), 0};
}

TEST(DialogTest, UasDialogFromInvite) {
  Dialog dialog =
      Dialog::FromInvite(Parse(kInvite), Source(), "our-tag", LocalEndpoint{"198.51.100.1", 5060});
  EXPECT_EQ(dialog.id().call_id, "dialog-1@192.0.2.10");
  EXPECT_EQ(dialog.id().local_tag, "our-tag");
  EXPECT_EQ(dialog.id().remote_tag, "alice-tag");
  EXPECT_EQ(dialog.remote_target(), "sip:alice@192.0.2.10:5062");
  ASSERT_EQ(dialog.route_set().size(), 2u);
  EXPECT_EQ(dialog.route_set()[0], "<sip:proxy1.example;lr>");
  EXPECT_EQ(dialog.remote_cseq(), 10u);
}

TEST(DialogTest, ByeFollowsTheRouteSetWithTagsSwapped) {
  Dialog dialog =
      Dialog::FromInvite(Parse(kInvite), Source(), "our-tag", LocalEndpoint{"198.51.100.1", 5060});
  const uint32_t before = dialog.local_cseq();
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKbye1"));
  EXPECT_EQ(bye.method(), Method::kBye);
  EXPECT_EQ(bye.request_uri_text(), "sip:alice@192.0.2.10:5062");  // loose routing
  EXPECT_EQ(bye.from().tag, "our-tag");
  EXPECT_EQ(bye.to().tag, "alice-tag");
  EXPECT_EQ(bye.to().display_name, "Alice");
  EXPECT_EQ(bye.call_id(), "dialog-1@192.0.2.10");
  EXPECT_EQ(bye.cseq().number, before + 1);
  EXPECT_EQ(bye.top_via().branch, "z9hG4bKbye1");
  EXPECT_EQ(bye.CountHeaders(HeaderId::kRoute), 2);
  EXPECT_EQ(bye.HeaderValue(HeaderId::kRoute), "<sip:proxy1.example;lr>");
  // The next request takes the next CSeq.
  SipMessage second = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKbye2"));
  EXPECT_EQ(second.cseq().number, before + 2);
}

TEST(DialogTest, NextHopIsTheFirstRouteOrTheOriginWhenItIsAName) {
  Dialog routed =
      Dialog::FromInvite(Parse(kInvite), Source(), "t", LocalEndpoint{"198.51.100.1", 5060});
  // proxy1.example is a name, not an address: back to where the INVITE came from.
  EXPECT_EQ(routed.NextHop().address.ToString(), "192.0.2.10:5062");

  std::string direct(kInvite);
  direct.erase(direct.find("Record-Route"), direct.find("From:") - direct.find("Record-Route"));
  std::string contact_elsewhere = direct;
  contact_elsewhere.replace(contact_elsewhere.find("192.0.2.10:5062>"), 16, "203.0.113.5:5080>");
  Dialog dialog = Dialog::FromInvite(Parse(contact_elsewhere), Source(), "t",
                                     LocalEndpoint{"198.51.100.1", 5060});
  EXPECT_EQ(dialog.NextHop().address.ToString(), "203.0.113.5:5080");
  EXPECT_EQ(dialog.NextHop().transport, TransportKind::kUdp);
}

TEST(DialogTest, StrictRouterTakesTheRequestUri) {
  std::string strict(kInvite);
  strict.replace(strict.find("<sip:proxy1.example;lr>"), 23, "<sip:192.0.2.50:5060>");
  Dialog dialog =
      Dialog::FromInvite(Parse(strict), Source(), "t", LocalEndpoint{"198.51.100.1", 5060});
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKs"));
  EXPECT_EQ(bye.request_uri_text(), "sip:192.0.2.50:5060");
  // The remaining route, then the remote target last.
  std::vector<std::string_view> routes;
  for (const HeaderField& field : bye.headers()) {
    if (field.id == HeaderId::kRoute) routes.push_back(field.value);
  }
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1], "<sip:alice@192.0.2.10:5062>");
}

TEST(DialogTest, RemoteCSeqMustGrowAndTargetRefreshes) {
  Dialog dialog =
      Dialog::FromInvite(Parse(kInvite), Source(), "our-tag", LocalEndpoint{"198.51.100.1", 5060});
  std::string reinvite(kInvite);
  reinvite.replace(reinvite.find("To: <sip:1000@198.51.100.1>"), 27,
                   "To: <sip:1000@198.51.100.1>;tag=our-tag");
  std::string stale = reinvite;
  EXPECT_FALSE(dialog.AcceptRemoteCSeq(Parse(stale)));  // CSeq 10 again
  reinvite.replace(reinvite.find("CSeq: 10"), 8, "CSeq: 11");
  reinvite.replace(reinvite.find("<sip:alice@192.0.2.10:5062>"), 27, "<sip:alice@192.0.2.10:6000>");
  SipMessage refresh = Parse(reinvite);
  EXPECT_EQ(IncomingDialogId(refresh), dialog.id());
  EXPECT_TRUE(dialog.AcceptRemoteCSeq(refresh));
  dialog.RefreshRemoteTarget(refresh);
  EXPECT_EQ(dialog.remote_target(), "sip:alice@192.0.2.10:6000");
}

TEST(DialogTest, ContactCarriesTransportForTcp) {
  MessageSource tcp{TransportKind::kTcp, *SocketAddress::FromIpPort("192.0.2.10", 40000), 7};
  Dialog dialog = Dialog::FromInvite(Parse(kInvite), tcp, "t", LocalEndpoint{"198.51.100.1", 5060});
  EXPECT_EQ(dialog.local_contact(), "<sip:tutti@198.51.100.1:5060;transport=tcp>");
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKt"));
  EXPECT_THAT(std::string(bye.HeaderValue(HeaderId::kVia)), StartsWith("SIP/2.0/TCP "));
  EXPECT_THAT(std::string(bye.raw()), Not(HasSubstr("tag=t;tag")));
}

TEST(DialogTest, TlsDialogSaysTlsAndItsPortAndStaysOnTheConnection) {
  MessageSource tls{TransportKind::kTls, *SocketAddress::FromIpPort("192.0.2.10", 40000), 9};
  // A Contact without transport=tls must not move the dialog to UDP.
  Dialog dialog =
      Dialog::FromInvite(Parse(kInvite), tls, "t", LocalEndpoint{"198.51.100.1", 5060, 5061});
  EXPECT_EQ(dialog.local_contact(), "<sip:tutti@198.51.100.1:5061;transport=tls>");
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKt"));
  EXPECT_THAT(std::string(bye.HeaderValue(HeaderId::kVia)),
              StartsWith("SIP/2.0/TLS 198.51.100.1:5061;"));
  std::string direct = kInvite;
  direct.replace(direct.find("Record-Route: <sip:proxy1.example;lr>\r\n"),
                 std::string("Record-Route: <sip:proxy1.example;lr>\r\n").size(), "");
  direct.replace(direct.find("Record-Route: <sip:192.0.2.99:5070;lr>\r\n"),
                 std::string("Record-Route: <sip:192.0.2.99:5070;lr>\r\n").size(), "");
  Dialog unrouted =
      Dialog::FromInvite(Parse(direct), tls, "t", LocalEndpoint{"198.51.100.1", 5060, 5061});
  const Destination hop = unrouted.NextHop();
  EXPECT_EQ(hop.transport, TransportKind::kTls);
  EXPECT_EQ(hop.connection_id, 9u);
  EXPECT_EQ(hop.address.ToString(), "192.0.2.10:5062");
}

TEST(DialogTest, SipsInviteGetsASipsContactAndSipsTargetsGoOverTls) {
  std::string invite = kInvite;
  invite.replace(0, std::string("INVITE sip:").size(), "INVITE sips:");
  invite.replace(invite.find("Contact: <sip:alice@192.0.2.10:5062>"),
                 std::string("Contact: <sip:alice@192.0.2.10:5062>").size(),
                 "Contact: <sips:alice@192.0.2.10>");
  invite.replace(invite.find("Record-Route: <sip:proxy1.example;lr>\r\n"),
                 std::string("Record-Route: <sip:proxy1.example;lr>\r\n").size(), "");
  invite.replace(invite.find("Record-Route: <sip:192.0.2.99:5070;lr>\r\n"),
                 std::string("Record-Route: <sip:192.0.2.99:5070;lr>\r\n").size(), "");
  MessageSource tls{TransportKind::kTls, *SocketAddress::FromIpPort("192.0.2.10", 40000), 9};
  Dialog dialog =
      Dialog::FromInvite(Parse(invite), tls, "t", LocalEndpoint{"198.51.100.1", 5060, 5061});
  EXPECT_EQ(dialog.local_contact(), "<sips:tutti@198.51.100.1:5061>");
  const Destination hop = dialog.NextHop();
  EXPECT_EQ(hop.transport, TransportKind::kTls);
  EXPECT_EQ(hop.address.ToString(), "192.0.2.10:5061");  // sips: defaults to 5061
}

TEST(DialogTest, TransportTlsInTheTargetMovesAPlainDialogToTls) {
  std::string invite = kInvite;
  invite.replace(invite.find("Record-Route: <sip:proxy1.example;lr>\r\n"),
                 std::string("Record-Route: <sip:proxy1.example;lr>\r\n").size(), "");
  invite.replace(invite.find("Record-Route: <sip:192.0.2.99:5070;lr>\r\n"),
                 std::string("Record-Route: <sip:192.0.2.99:5070;lr>\r\n").size(), "");
  invite.replace(invite.find("<sip:alice@192.0.2.10:5062>"),
                 std::string("<sip:alice@192.0.2.10:5062>").size(),
                 "<sip:alice@192.0.2.10:5063;transport=TLS>");
  Dialog dialog = Dialog::FromInvite(Parse(invite), Source(), "t", LocalEndpoint{"198.51.100.1"});
  const Destination hop = dialog.NextHop();
  EXPECT_EQ(hop.transport, TransportKind::kTls);
  EXPECT_EQ(hop.connection_id, 0u);
  EXPECT_EQ(hop.address.ToString(), "192.0.2.10:5063");
}

constexpr char kInvite6[] =
    "INVITE sip:1000@[2001:db8::1] SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bKdlg6\r\n"
    "From: <sip:alice@[2001:db8::10]>;tag=alice-tag\r\n"
    "To: <sip:1000@[2001:db8::1]>\r\n"
    "Call-ID: dialog-6\r\n"
    "CSeq: 10 INVITE\r\n"
    "Contact: <sip:alice@[2001:db8::10]:5062>\r\n"
    "Content-Length: 0\r\n\r\n";

// Both families advertised, as with listen = ["198.51.100.1", "2001:db8::1"].
const LocalEndpoint kDualStack{"198.51.100.1", 5060, 5061, "2001:db8::1"};

TEST(DialogTest, OverIpv6WeAdvertiseOurIpv6AddressInBrackets) {
  MessageSource v6{TransportKind::kUdp, *SocketAddress::FromIpPort("2001:db8::10", 5062), 0};
  Dialog dialog = Dialog::FromInvite(Parse(kInvite6), v6, "t", kDualStack);
  EXPECT_EQ(dialog.local_contact(), "<sip:tutti@[2001:db8::1]:5060>");
  const Destination hop = dialog.NextHop();
  EXPECT_EQ(hop.address.ToString(), "[2001:db8::10]:5062");
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKt"));
  EXPECT_EQ(bye.request_uri_text(), "sip:alice@[2001:db8::10]:5062");
  EXPECT_EQ(std::string(bye.HeaderValue(HeaderId::kVia)),
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKt;rport");
  EXPECT_EQ(std::string(bye.HeaderValue(HeaderId::kContact)), "<sip:tutti@[2001:db8::1]:5060>");
  EXPECT_EQ(bye.top_via().host, "2001:db8::1");
  EXPECT_TRUE(bye.top_via().host_is_ipv6);
}

TEST(DialogTest, OverIpv4WeAdvertiseOurIpv4Address) {
  Dialog dialog = Dialog::FromInvite(Parse(kInvite), Source(), "t", kDualStack);
  EXPECT_EQ(dialog.local_contact(), "<sip:tutti@198.51.100.1:5060>");
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKt"));
  EXPECT_THAT(std::string(bye.HeaderValue(HeaderId::kVia)),
              StartsWith("SIP/2.0/UDP 198.51.100.1:5060;"));
}

TEST(DialogTest, ARequestGoingToTheOtherFamilyNamesUsInThatFamily) {
  // The INVITE came over IPv6, its Contact is IPv4: the BYE goes over IPv4,
  // so its Via and Contact must be our IPv4 address (responses, which go
  // back over IPv6, keep the IPv6 one).
  std::string invite = kInvite6;
  invite.replace(invite.find("<sip:alice@[2001:db8::10]:5062>"),
                 std::string("<sip:alice@[2001:db8::10]:5062>").size(),
                 "<sip:alice@192.0.2.10:5062>");
  MessageSource v6{TransportKind::kUdp, *SocketAddress::FromIpPort("2001:db8::10", 5062), 0};
  Dialog dialog = Dialog::FromInvite(Parse(invite), v6, "t", kDualStack);
  EXPECT_EQ(dialog.local_contact(), "<sip:tutti@[2001:db8::1]:5060>");
  EXPECT_EQ(dialog.NextHop().address.ToString(), "192.0.2.10:5062");
  SipMessage bye = Parse(dialog.BuildRequest(Method::kBye, "z9hG4bKt"));
  EXPECT_THAT(std::string(bye.HeaderValue(HeaderId::kVia)),
              StartsWith("SIP/2.0/UDP 198.51.100.1:5060;"));
  EXPECT_EQ(std::string(bye.HeaderValue(HeaderId::kContact)), "<sip:tutti@198.51.100.1:5060>");
}

TEST(DialogTest, WithOneFamilyAdvertisedItIsUsedForBoth) {
  MessageSource v6{TransportKind::kUdp, *SocketAddress::FromIpPort("2001:db8::10", 5062), 0};
  Dialog only_v6 =
      Dialog::FromInvite(Parse(kInvite6), v6, "t", LocalEndpoint{"", 5060, 5061, "::1"});
  EXPECT_EQ(only_v6.local_contact(), "<sip:tutti@[::1]:5060>");
  Dialog only_v4 = Dialog::FromInvite(Parse(kInvite6), v6, "t", LocalEndpoint{"192.0.2.1", 5060});
  EXPECT_EQ(only_v4.local_contact(), "<sip:tutti@192.0.2.1:5060>");
}

// ---- Dialogs we start (UAC): tutti offering a stored file to a member ----

Dialog MembersCall() {
  return Dialog::FromInvite(Parse(kInvite), Source(), "call-tag",
                            LocalEndpoint{"198.51.100.1", 5060});
}

TEST(DialogTest, OurInviteGoesToTheMembersContactFromTheRoom) {
  Dialog offer = Dialog::StartAlongside(MembersCall(), "offer-1", "offer-tag");
  EXPECT_EQ(offer.id(), (DialogId{"offer-1", "offer-tag", ""}));
  SipMessage invite =
      Parse(offer.BuildRequest(Method::kInvite, "z9hG4bKoffer", {}, "v=0\r\n", "application/sdp"));
  EXPECT_EQ(invite.method(), Method::kInvite);
  EXPECT_EQ(invite.request_uri_text(), "sip:alice@192.0.2.10:5062");  // the member's contact
  EXPECT_EQ(invite.from().uri_text, "sip:1000@198.51.100.1");         // the room
  EXPECT_EQ(invite.from().tag, "offer-tag");
  EXPECT_EQ(invite.to().uri_text, "sip:alice@example.com");
  EXPECT_EQ(invite.to().tag, "");
  EXPECT_EQ(invite.call_id(), "offer-1");
  EXPECT_EQ(invite.cseq().number, offer.local_cseq());
  EXPECT_EQ(invite.CountHeaders(HeaderId::kRoute), 2);  // the call's route set, preloaded
  EXPECT_EQ(invite.HeaderValue(HeaderId::kRoute), "<sip:proxy1.example;lr>");
  EXPECT_EQ(std::string(invite.HeaderValue(HeaderId::kContact)), "<sip:tutti@198.51.100.1:5060>");
  EXPECT_EQ(offer.NextHop().address.ToString(), "192.0.2.10:5062");
}

TEST(DialogTest, TheCancelRepeatsTheInvitesIdentityAndBranch) {
  Dialog offer = Dialog::StartAlongside(MembersCall(), "offer-1", "offer-tag");
  SipMessage invite = Parse(offer.BuildRequest(Method::kInvite, "z9hG4bKoffer"));
  SipMessage cancel = Parse(offer.BuildCancel(invite.cseq().number, "z9hG4bKoffer"));
  EXPECT_EQ(cancel.method(), Method::kCancel);
  EXPECT_EQ(cancel.request_uri_text(), invite.request_uri_text());
  EXPECT_EQ(cancel.top_via().branch, "z9hG4bKoffer");
  EXPECT_EQ(cancel.cseq().number, invite.cseq().number);
  EXPECT_EQ(cancel.cseq().method_name, "CANCEL");
  EXPECT_EQ(cancel.HeaderValue(HeaderId::kFrom), invite.HeaderValue(HeaderId::kFrom));
  EXPECT_EQ(cancel.HeaderValue(HeaderId::kTo), invite.HeaderValue(HeaderId::kTo));
  EXPECT_EQ(cancel.call_id(), invite.call_id());
  EXPECT_EQ(cancel.CountHeaders(HeaderId::kRoute), 2);
  EXPECT_EQ(cancel.FindHeader(HeaderId::kContact), nullptr);
}

constexpr char kOfferAccepted[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKoffer;rport\r\n"
    "Record-Route: <sip:192.0.2.98:5070;lr>\r\n"
    "Record-Route: <sip:192.0.2.99:5070;lr>\r\n"
    "From: <sip:1000@198.51.100.1>;tag=offer-tag\r\n"
    "To: \"Alice\" <sip:alice@example.com>;tag=alice-offer-tag\r\n"
    "Call-ID: offer-1\r\n"
    "CSeq: %u INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:7000>\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(DialogTest, The2xxGivesTheRemoteTagTargetAndReversedRouteSet) {
  Dialog offer = Dialog::StartAlongside(MembersCall(), "offer-1", "offer-tag");
  SipMessage invite = Parse(offer.BuildRequest(Method::kInvite, "z9hG4bKoffer"));
  char ok[sizeof kOfferAccepted + 16];
  std::snprintf(ok, sizeof ok, kOfferAccepted, invite.cseq().number);
  offer.Confirm(Parse(ok));
  EXPECT_EQ(offer.id(), (DialogId{"offer-1", "offer-tag", "alice-offer-tag"}));
  EXPECT_EQ(offer.remote_target(), "sip:alice@192.0.2.10:7000");
  ASSERT_EQ(offer.route_set().size(), 2u);
  EXPECT_EQ(offer.route_set()[0], "<sip:192.0.2.99:5070;lr>");  // §12.1.2: reversed
  EXPECT_EQ(offer.route_set()[1], "<sip:192.0.2.98:5070;lr>");
  EXPECT_EQ(offer.NextHop().address.ToString(), "192.0.2.99:5070");

  SipMessage ack = Parse(offer.BuildAck(invite.cseq().number, "z9hG4bKack"));
  EXPECT_EQ(ack.cseq().number, invite.cseq().number);
  EXPECT_EQ(ack.cseq().method_name, "ACK");
  EXPECT_EQ(ack.to().tag, "alice-offer-tag");
  EXPECT_EQ(ack.request_uri_text(), "sip:alice@192.0.2.10:7000");

  SipMessage bye = Parse(offer.BuildRequest(Method::kBye, "z9hG4bKbye"));
  EXPECT_EQ(bye.cseq().number, invite.cseq().number + 1);  // our CSeq goes on from the INVITE's
  EXPECT_EQ(bye.from().tag, "offer-tag");
  EXPECT_EQ(bye.to().tag, "alice-offer-tag");
  EXPECT_EQ(bye.request_uri_text(), "sip:alice@192.0.2.10:7000");
  EXPECT_EQ(bye.HeaderValue(HeaderId::kRoute), "<sip:192.0.2.99:5070;lr>");

  // A BYE from the member belongs to this dialog, with any CSeq (none seen yet).
  std::string member_bye =
      "BYE sip:tutti@198.51.100.1:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:7000;branch=z9hG4bKmb\r\n"
      "From: <sip:alice@example.com>;tag=alice-offer-tag\r\n"
      "To: <sip:1000@198.51.100.1>;tag=offer-tag\r\n"
      "Call-ID: offer-1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  SipMessage their_bye = Parse(member_bye);
  EXPECT_EQ(IncomingDialogId(their_bye), offer.id());
  EXPECT_TRUE(offer.AcceptRemoteCSeq(their_bye));
}

TEST(DialogTest, StartingADialogAlongsideLeavesTheCallAlone) {
  Dialog call = MembersCall();
  const uint32_t cseq = call.local_cseq();
  Dialog offer = Dialog::StartAlongside(call, "offer-1", "offer-tag");
  offer.BuildRequest(Method::kInvite, "z9hG4bKoffer");
  EXPECT_EQ(call.local_cseq(), cseq);
  EXPECT_EQ(call.id().call_id, "dialog-1@192.0.2.10");
  EXPECT_EQ(call.remote_cseq(), 10u);
}

}  // namespace
}  // namespace tutti::sip
