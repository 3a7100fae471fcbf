#include "signaling/sip/dialog.h"

#include "common/strings.h"
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

// ---- Dialogs we start from nothing (UAC): dial-outs and REGISTERs to trunks ----

// A dial-out through a carrier's outbound proxy (a loose route) at
// 203.0.113.5, to a number at the carrier's domain.
OutgoingDialog DialOut() {
  OutgoingDialog start;
  start.request_uri = "sip:+442079460000@carrier.example;user=phone";
  start.from_uri = "sip:+442079460001@carrier.example;user=phone";
  start.from_display = "Room \"1000\"";
  start.routes = {"<sip:203.0.113.5;lr>"};
  start.next_hop =
      Destination{TransportKind::kUdp, *SocketAddress::FromIpPort("203.0.113.5", 5060)};
  return start;
}

LocalEndpoint Us() { return LocalEndpoint{"198.51.100.1", 5060}; }

// A response of the callee's side to our `request` (an INVITE): `status`,
// the callee's To tag, Contact and Record-Route lines.
std::string Answer(const SipMessage& request, int status, std::string_view to_tag,
                   std::string_view contact, std::string_view record_routes = {},
                   std::string_view extra = {}) {
  return StrCat("SIP/2.0 ", status, " X\r\nVia: ", request.HeaderValue(HeaderId::kVia), "\r\n",
                record_routes, "From: ", request.HeaderValue(HeaderId::kFrom), "\r\n",
                "To: ", request.HeaderValue(HeaderId::kTo),
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: ", request.call_id(), "\r\nCSeq: ", request.cseq().number, " ",
                request.cseq().method_name, "\r\n",
                contact.empty() ? std::string() : StrCat("Contact: ", contact, "\r\n"), extra,
                "Content-Length: 0\r\n\r\n");
}

TEST(DialogTest, OutgoingInviteSaysWhoWeAreAndGoesToTheGivenHop) {
  Dialog call = Dialog::StartOutgoing(DialOut(), Us());
  EXPECT_FALSE(call.confirmed());
  EXPECT_TRUE(call.id().remote_tag.empty());
  EXPECT_GE(call.id().call_id.size(), 32u);
  EXPECT_GE(call.id().local_tag.size(), 16u);
  Dialog other = Dialog::StartOutgoing(DialOut(), Us());
  EXPECT_NE(other.id().call_id, call.id().call_id);
  EXPECT_NE(other.id().local_tag, call.id().local_tag);

  SipMessage invite =
      Parse(call.BuildRequest(Method::kInvite, "z9hG4bKout", {}, "v=0\r\n", "application/sdp"));
  EXPECT_EQ(invite.request_uri_text(), "sip:+442079460000@carrier.example;user=phone");
  EXPECT_EQ(invite.HeaderValue(HeaderId::kRoute), "<sip:203.0.113.5;lr>");
  EXPECT_EQ(invite.from().display_name, "Room \\\"1000\\\"");
  EXPECT_EQ(invite.from().uri_text, "sip:+442079460001@carrier.example;user=phone");
  EXPECT_EQ(invite.from().tag, call.id().local_tag);
  EXPECT_EQ(invite.to().uri_text, "sip:+442079460000@carrier.example;user=phone");
  EXPECT_EQ(invite.to().tag, "");
  EXPECT_EQ(invite.call_id(), call.id().call_id);
  EXPECT_EQ(std::string(invite.HeaderValue(HeaderId::kContact)), "<sip:tutti@198.51.100.1:5060>");
  EXPECT_EQ(invite.top_via().transport, "UDP");
  EXPECT_EQ(call.NextHop().address.ToString(), "203.0.113.5:5060");
}

TEST(DialogTest, OutgoingWithoutProxyGoesToTheTrunkNotTheRequestUrisHost) {
  OutgoingDialog start = DialOut();
  start.routes.clear();
  start.request_uri = "sip:442079460000@192.0.2.200";  // a domain that is an address
  start.to_uri = "sip:442079460000@carrier.example";
  start.from_display.clear();
  start.next_hop =
      Destination{TransportKind::kTcp, *SocketAddress::FromIpPort("203.0.113.9", 5080)};
  Dialog call = Dialog::StartOutgoing(start, Us());
  EXPECT_EQ(call.NextHop().address.ToString(), "203.0.113.9:5080");
  EXPECT_EQ(call.NextHop().transport, TransportKind::kTcp);
  SipMessage invite = Parse(call.BuildRequest(Method::kInvite, "z9hG4bKout"));
  EXPECT_EQ(invite.FindHeader(HeaderId::kRoute), nullptr);
  EXPECT_EQ(std::string(invite.HeaderValue(HeaderId::kFrom)),
            StrCat("<sip:+442079460001@carrier.example;user=phone>;tag=", call.id().local_tag));
  EXPECT_EQ(invite.to().uri_text, "sip:442079460000@carrier.example");
  EXPECT_EQ(invite.top_via().transport, "TCP");
  EXPECT_EQ(std::string(invite.HeaderValue(HeaderId::kContact)),
            "<sip:tutti@198.51.100.1:5060;transport=tcp>");
}

TEST(DialogTest, WhatWeWriteCannotAddHeaderLines) {
  OutgoingDialog start = DialOut();
  start.from_display = "Eve\r\nX-Evil: 1";
  start.request_uri = "sip:1@carrier.example\r\nX-Evil: 2";
  Dialog call = Dialog::StartOutgoing(start, Us());
  const std::string invite = call.BuildRequest(Method::kInvite, "z9hG4bKout");
  EXPECT_THAT(invite, Not(HasSubstr("\r\nX-Evil")));
}

TEST(DialogTest, OutgoingConfirmedBy2xxThenAckAndByeFollowTheAnswer) {
  Dialog call = Dialog::StartOutgoing(DialOut(), Us());
  SipMessage invite = Parse(call.BuildRequest(Method::kInvite, "z9hG4bKout"));
  call.Confirm(Parse(Answer(invite, 200, "callee", "<sip:callee@192.0.2.50:5070>",
                            "Record-Route: <sip:203.0.113.5;lr>\r\n")));
  EXPECT_TRUE(call.confirmed());
  EXPECT_EQ(call.id().remote_tag, "callee");
  EXPECT_EQ(call.remote_target(), "sip:callee@192.0.2.50:5070");
  EXPECT_EQ(call.NextHop().address.ToString(), "203.0.113.5:5060");  // the record-routed proxy
  SipMessage ack = Parse(call.BuildAck(invite.cseq().number, "z9hG4bKack"));
  EXPECT_EQ(ack.request_uri_text(), "sip:callee@192.0.2.50:5070");
  EXPECT_EQ(ack.to().tag, "callee");
  EXPECT_EQ(ack.cseq().number, invite.cseq().number);
  SipMessage bye = Parse(call.BuildRequest(Method::kBye, "z9hG4bKbye"));
  EXPECT_EQ(bye.cseq().number, invite.cseq().number + 1);
  EXPECT_EQ(bye.HeaderValue(HeaderId::kRoute), "<sip:203.0.113.5;lr>");
  EXPECT_EQ(bye.from().tag, call.id().local_tag);
  // No Record-Route: in-dialog requests go to the callee's Contact itself.
  Dialog direct = Dialog::StartOutgoing(DialOut(), Us());
  SipMessage invite2 = Parse(direct.BuildRequest(Method::kInvite, "z9hG4bKout2"));
  direct.Confirm(Parse(Answer(invite2, 200, "c2", "<sip:callee@192.0.2.50:5070>")));
  EXPECT_EQ(direct.NextHop().address.ToString(), "192.0.2.50:5070");
}

TEST(DialogTest, A1xxWithATagMakesAnEarlyDialogForPrack) {
  Dialog call = Dialog::StartOutgoing(DialOut(), Us());
  SipMessage invite = Parse(call.BuildRequest(Method::kInvite, "z9hG4bKout"));
  EXPECT_FALSE(call.Early(Parse(Answer(invite, 100, "", ""))));  // 100 Trying: no tag
  EXPECT_TRUE(call.id().remote_tag.empty());
  ASSERT_TRUE(call.Early(Parse(Answer(invite, 183, "early", "<sip:gw@192.0.2.60:5090>",
                                      "Record-Route: <sip:192.0.2.61;lr>\r\n"
                                      "Record-Route: <sip:203.0.113.5;lr>\r\n",
                                      "Require: 100rel\r\nRSeq: 42\r\n"))));
  EXPECT_FALSE(call.confirmed());
  EXPECT_EQ(call.id().remote_tag, "early");
  SipMessage prack = Parse(call.BuildPrack("z9hG4bKprack", 42, invite.cseq().number));
  EXPECT_EQ(prack.method(), Method::kPrack);
  EXPECT_EQ(prack.request_uri_text(), "sip:gw@192.0.2.60:5090");
  EXPECT_EQ(prack.to().tag, "early");
  EXPECT_EQ(prack.cseq().number, invite.cseq().number + 1);
  EXPECT_EQ(prack.cseq().method_name, "PRACK");
  EXPECT_EQ(std::string(prack.FindHeader("RAck")->value),
            StrCat("42 ", invite.cseq().number, " INVITE"));
  EXPECT_EQ(prack.HeaderValue(HeaderId::kRoute), "<sip:203.0.113.5;lr>");  // reversed
  EXPECT_EQ(call.NextHop().address.ToString(), "203.0.113.5:5060");

  // The CANCEL is the INVITE's, not the early dialog's (§9.1).
  SipMessage cancel = Parse(call.BuildCancel(invite.cseq().number, "z9hG4bKout"));
  EXPECT_EQ(cancel.request_uri_text(), invite.request_uri_text());
  EXPECT_EQ(cancel.HeaderValue(HeaderId::kTo), invite.HeaderValue(HeaderId::kTo));
  EXPECT_EQ(cancel.HeaderValue(HeaderId::kRoute), "<sip:203.0.113.5;lr>");
  EXPECT_EQ(cancel.CountHeaders(HeaderId::kRoute), 1);
  EXPECT_EQ(cancel.cseq().number, invite.cseq().number);

  // The 2xx confirms it; the BYE goes on from the PRACK's CSeq.
  call.Confirm(Parse(Answer(invite, 200, "early", "<sip:gw@192.0.2.60:5090>",
                            "Record-Route: <sip:192.0.2.61;lr>\r\n"
                            "Record-Route: <sip:203.0.113.5;lr>\r\n")));
  EXPECT_FALSE(call.Early(Parse(Answer(invite, 180, "other", ""))));  // confirmed: no change
  EXPECT_EQ(call.id().remote_tag, "early");
  SipMessage bye = Parse(call.BuildRequest(Method::kBye, "z9hG4bKbye"));
  EXPECT_EQ(bye.cseq().number, prack.cseq().number + 1);
}

TEST(DialogTest, AForkedProvisionalTakesOverTheEarlyDialog) {
  Dialog call = Dialog::StartOutgoing(DialOut(), Us());
  SipMessage invite = Parse(call.BuildRequest(Method::kInvite, "z9hG4bKout"));
  ASSERT_TRUE(call.Early(Parse(Answer(invite, 180, "a", "<sip:a@192.0.2.70>"))));
  // The same early dialog again without Contact keeps its target.
  ASSERT_TRUE(call.Early(Parse(Answer(invite, 183, "a", ""))));
  EXPECT_EQ(call.remote_target(), "sip:a@192.0.2.70");
  ASSERT_TRUE(call.Early(Parse(Answer(invite, 183, "b", ""))));
  EXPECT_EQ(call.id().remote_tag, "b");
  EXPECT_EQ(call.remote_target(), invite.request_uri_text());  // no Contact: the Request-URI
  EXPECT_TRUE(call.route_set().empty());
}

TEST(DialogTest, AChallengedRequestIsSentAgainWithTheNextCSeqAndNoToTag) {
  Dialog call = Dialog::StartOutgoing(DialOut(), Us());
  SipMessage invite =
      Parse(call.BuildRequest(Method::kInvite, "z9hG4bKout", {}, "v=0\r\n", "application/sdp"));
  call.Early(Parse(Answer(invite, 183, "early", "<sip:gw@192.0.2.60:5090>")));
  const std::string authorization = "Proxy-Authorization: Digest username=\"u\"\r\n";
  SipMessage again = Parse(
      call.BuildRetry(Method::kInvite, "z9hG4bKout2", authorization, "v=0\r\n", "application/sdp"));
  EXPECT_EQ(again.call_id(), invite.call_id());
  EXPECT_EQ(again.from().tag, invite.from().tag);
  EXPECT_EQ(again.to().tag, "");
  EXPECT_EQ(again.cseq().number, invite.cseq().number + 1);
  EXPECT_EQ(again.top_via().branch, "z9hG4bKout2");
  EXPECT_EQ(again.request_uri_text(), invite.request_uri_text());
  EXPECT_EQ(again.HeaderValue(HeaderId::kRoute), "<sip:203.0.113.5;lr>");
  EXPECT_EQ(std::string(again.FindHeader("Proxy-Authorization")->value), "Digest username=\"u\"");
  EXPECT_EQ(again.body(), "v=0\r\n");
  EXPECT_EQ(call.NextHop().address.ToString(), "203.0.113.5:5060");
}

// A registration keeps one Call-ID and counts its CSeq up (RFC 3261 §10.2),
// with the trunk's user in To, From and our Contact.
TEST(DialogTest, RegisterRefreshesKeepTheCallIdAndCountUp) {
  OutgoingDialog start;
  start.request_uri = "sip:carrier.example";
  start.from_uri = "sip:alice@carrier.example";
  start.to_uri = "sip:alice@carrier.example";
  start.contact_user = "alice";
  start.next_hop =
      Destination{TransportKind::kUdp, *SocketAddress::FromIpPort("203.0.113.5", 5060)};
  Dialog registration = Dialog::StartOutgoing(start, Us());
  SipMessage first =
      Parse(registration.BuildRequest(Method::kRegister, "z9hG4bKr1", "Expires: 600\r\n"));
  SipMessage second =
      Parse(registration.BuildRequest(Method::kRegister, "z9hG4bKr2", "Expires: 600\r\n"));
  EXPECT_EQ(first.request_uri_text(), "sip:carrier.example");
  EXPECT_EQ(first.to().uri_text, "sip:alice@carrier.example");
  EXPECT_EQ(first.to().tag, "");
  EXPECT_EQ(first.from().uri_text, "sip:alice@carrier.example");
  EXPECT_EQ(std::string(first.HeaderValue(HeaderId::kContact)), "<sip:alice@198.51.100.1:5060>");
  EXPECT_EQ(first.HeaderValue(HeaderId::kExpires), "600");
  EXPECT_EQ(second.call_id(), first.call_id());
  EXPECT_EQ(second.from().tag, first.from().tag);
  EXPECT_EQ(second.cseq().number, first.cseq().number + 1);
}

}  // namespace
}  // namespace tutti::sip
