#include "signaling/sip/dialog.h"

#include <algorithm>

#include "absl/random/random.h"
#include "common/strings.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/reliable_provisional.h"

namespace tutti::sip {
namespace {

// name-addr text without its tag parameter, so we can add our own.
std::string WithoutTag(const NameAddr& address, std::string_view header_value) {
  std::string_view params = address.params;
  std::string kept;
  size_t start = 0;
  while (start < params.size()) {
    size_t end = params.find(';', start + 1);
    if (end == std::string_view::npos) end = params.size();
    std::string_view param = params.substr(start, end - start);  // ";name=value"
    std::string_view name =
        param.substr(1, param.find('=') == std::string_view::npos ? std::string_view::npos
                                                                  : param.find('=') - 1);
    if (!EqualsIgnoreCase(StripWhitespace(name), "tag")) {
      StrAppend(&kept, param);
    }
    start = end;
  }
  // Everything up to the header parameters, as written.
  std::string_view head = header_value;
  if (!params.empty() && params.data() >= header_value.data() &&
      params.data() <= header_value.data() + header_value.size()) {
    head = header_value.substr(0, static_cast<size_t>(params.data() - header_value.data()));
  }
  return StrCat(StripTrailingWhitespace(head), kept);
}

// Text of ours going into a header: control characters (CR, LF above all)
// dropped so nothing can end the line early.
std::string HeaderSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  }
  return out;
}

// "Display" <uri>, or <uri> without a display name (RFC 3261 §20.10).
std::string NameAddrOf(std::string_view display, std::string_view uri) {
  std::string out;
  if (!display.empty()) {
    out.push_back('"');
    for (char c : HeaderSafe(display)) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out += "\" ";
  }
  StrAppend(&out, "<", HeaderSafe(uri), ">");
  return out;
}

uint32_t FirstLocalCSeq() {
  absl::BitGen bitgen;
  // §8.1.1.5: our CSeq space starts anywhere below 2**31; small keeps room to grow.
  return absl::Uniform<uint32_t>(bitgen, 1, 1u << 16);
}

}  // namespace

DialogId IncomingDialogId(const SipMessage& request) {
  return DialogId{std::string(request.call_id()), std::string(request.to().tag),
                  std::string(request.from().tag)};
}

Dialog Dialog::FromInvite(const SipMessage& invite, const MessageSource& source,
                          std::string local_tag, LocalEndpoint local) {
  Dialog dialog;
  dialog.id_ =
      DialogId{std::string(invite.call_id()), std::move(local_tag), std::string(invite.from().tag)};
  dialog.local_uri_ = WithoutTag(invite.to(), invite.HeaderValue(HeaderId::kTo));
  dialog.remote_uri_ = WithoutTag(invite.from(), invite.HeaderValue(HeaderId::kFrom));
  if (const HeaderField* contact = invite.FindHeader(HeaderId::kContact)) {
    if (auto parsed = ParseNameAddr(contact->value); parsed.ok()) {
      dialog.remote_target_ = std::string(parsed->uri_text);
    }
  }
  if (dialog.remote_target_.empty()) dialog.remote_target_ = std::string(invite.from().uri_text);
  // §12.1.1: the UAS keeps Record-Route in order.
  for (const HeaderField& field : invite.headers()) {
    if (field.id == HeaderId::kRecordRoute) dialog.route_set_.emplace_back(field.value);
  }
  dialog.remote_cseq_ = invite.cseq().number;
  dialog.local_cseq_ = FirstLocalCSeq();
  dialog.origin_ = source;
  dialog.local_ = std::move(local);
  dialog.sips_ = EqualsIgnoreCase(invite.request_uri().scheme, "sips");
  dialog.confirmed_ = true;  // by our 2xx; nothing here depends on the ACK
  return dialog;
}

Dialog Dialog::StartAlongside(const Dialog& alongside, std::string call_id, std::string local_tag) {
  Dialog dialog = alongside;
  dialog.id_ = DialogId{std::move(call_id), std::move(local_tag), ""};
  dialog.remote_cseq_ = 0;  // §12.1.2: empty until they send a request
  dialog.local_cseq_ = FirstLocalCSeq();
  dialog.first_target_ = dialog.remote_target_;
  dialog.first_routes_ = dialog.route_set_;
  dialog.confirmed_ = false;
  return dialog;
}

Dialog Dialog::StartOutgoing(const OutgoingDialog& start, LocalEndpoint local) {
  Dialog dialog;
  // The Call-ID names no host of ours (§8.1.1.4 allows it): 128 random bits.
  dialog.id_ = DialogId{StrCat(TransactionLayer::NewTag(), TransactionLayer::NewTag(), "@tutti"),
                        TransactionLayer::NewTag(), ""};
  dialog.local_uri_ = NameAddrOf(start.from_display, start.from_uri);
  dialog.remote_uri_ = NameAddrOf({}, start.to_uri.empty() ? start.request_uri : start.to_uri);
  dialog.remote_target_ = HeaderSafe(start.request_uri);
  for (const std::string& route : start.routes) dialog.route_set_.push_back(HeaderSafe(route));
  dialog.first_target_ = dialog.remote_target_;
  dialog.first_routes_ = dialog.route_set_;
  dialog.local_cseq_ = FirstLocalCSeq();
  dialog.origin_ = MessageSource{start.next_hop.transport, start.next_hop.address,
                                 start.next_hop.connection_id, start.next_hop.local};
  dialog.local_ = std::move(local);
  dialog.contact_user_ = HeaderSafe(start.contact_user);
  if (auto uri = ParseUri(dialog.remote_target_); uri.ok()) {
    dialog.sips_ = EqualsIgnoreCase(uri->scheme, "sips");
  }
  dialog.outgoing_ = true;
  return dialog;
}

bool Dialog::Early(const SipMessage& provisional) {
  if (confirmed_ || provisional.to().tag.empty()) return false;
  if (provisional.to().tag == id_.remote_tag) {  // the same early dialog again
    RefreshRemoteTarget(provisional);
    return true;
  }
  id_.remote_tag = std::string(provisional.to().tag);
  // §12.1.2 as for the 2xx: Record-Route reversed, the target from Contact.
  route_set_.clear();
  for (const HeaderField& field : provisional.headers()) {
    if (field.id == HeaderId::kRecordRoute) route_set_.emplace_back(field.value);
  }
  std::reverse(route_set_.begin(), route_set_.end());
  remote_target_ = first_target_;
  RefreshRemoteTarget(provisional);
  return true;
}

void Dialog::EndEarly() {
  if (confirmed_) return;
  id_.remote_tag.clear();
  remote_target_ = first_target_;
  route_set_ = first_routes_;
}

void Dialog::Confirm(const SipMessage& response) {
  confirmed_ = true;
  id_.remote_tag = std::string(response.to().tag);
  // §12.1.2: the UAC's route set is the Record-Route in reverse order.
  route_set_.clear();
  for (const HeaderField& field : response.headers()) {
    if (field.id == HeaderId::kRecordRoute) route_set_.emplace_back(field.value);
  }
  std::reverse(route_set_.begin(), route_set_.end());
  RefreshRemoteTarget(response);
}

std::string Dialog::BuildCancel(uint32_t invite_cseq, std::string_view invite_branch) const {
  // §9.1: Request-URI, Route, To (without the tag a 1xx gave) as the INVITE had them.
  Dialog as_sent = *this;
  as_sent.confirmed_ = false;
  as_sent.EndEarly();
  return as_sent.BuildRequestWithCSeq(Method::kCancel, invite_cseq, invite_branch, {}, {}, {});
}

std::string Dialog::BuildRetry(Method method, std::string_view branch,
                               std::string_view extra_headers, std::string_view body,
                               std::string_view content_type) {
  EndEarly();
  return BuildRequest(method, branch, extra_headers, body, content_type);
}

std::string Dialog::BuildPrack(std::string_view branch, uint32_t rseq, uint32_t invite_cseq) {
  return BuildRequest(Method::kPrack, branch,
                      StrCat("RAck: ", RAckValue(rseq, invite_cseq), "\r\n"));
}

uint16_t Dialog::local_port() const {
  return origin_.transport == TransportKind::kTls ? local_.tls_port : local_.port;
}

std::string LocalEndpoint::HostFor(bool ipv6) const {
  const std::string& same = ipv6 ? host6 : host;
  return UriHost(!same.empty() ? same : (ipv6 ? host : host6));
}

std::string Dialog::local_contact() const { return ContactFor(origin_.address.is_ipv6()); }

std::string Dialog::ContactFor(bool ipv6) const {
  std::string contact =
      StrCat("<", sips_ ? "sips" : "sip", ":", contact_user_, contact_user_.empty() ? "" : "@",
             local_.HostFor(ipv6), ":", local_port());
  // A sips: URI means TLS already (RFC 5630 §3.1.3 deprecates transport=tls with it).
  if (origin_.transport == TransportKind::kTcp) StrAppend(&contact, ";transport=tcp");
  if (origin_.transport == TransportKind::kTls && !sips_) StrAppend(&contact, ";transport=tls");
  contact.push_back('>');
  return contact;
}

bool Dialog::AcceptRemoteCSeq(const SipMessage& request) {
  if (request.method() == Method::kAck || request.method() == Method::kCancel) return true;
  if (request.cseq().number <= remote_cseq_) return false;
  remote_cseq_ = request.cseq().number;
  return true;
}

void Dialog::RefreshRemoteTarget(const SipMessage& request) {
  if (const HeaderField* contact = request.FindHeader(HeaderId::kContact)) {
    if (auto parsed = ParseNameAddr(contact->value); parsed.ok()) {
      remote_target_ = std::string(parsed->uri_text);
    }
  }
}

std::string Dialog::BuildRequest(Method method, std::string_view branch,
                                 std::string_view extra_headers, std::string_view body,
                                 std::string_view content_type) {
  return BuildRequestWithCSeq(method, ++local_cseq_, branch, extra_headers, body, content_type);
}

std::string Dialog::BuildAck(uint32_t invite_cseq, std::string_view branch) const {
  return BuildRequestWithCSeq(Method::kAck, invite_cseq, branch, {}, {}, {});
}

std::string Dialog::BuildRequestWithCSeq(Method method, uint32_t cseq, std::string_view branch,
                                         std::string_view extra_headers, std::string_view body,
                                         std::string_view content_type) const {
  // §12.2.1.1: with a loose-routing first hop (lr) the Request-URI is the
  // remote target and every route goes into Route; a strict router takes the
  // Request-URI itself and the remote target goes last in Route.
  std::string request_uri = remote_target_;
  std::vector<std::string> routes = route_set_;
  if (!routes.empty()) {
    auto first = ParseNameAddr(routes.front());
    if (first.ok() && !first->uri.Param("lr").has_value()) {
      request_uri = std::string(first->uri_text);
      routes.erase(routes.begin());
      routes.push_back(StrCat("<", remote_target_, ">"));
    }
  }
  // Via and Contact name us in the family of the hop the request goes to,
  // which may differ from the INVITE's (a Contact or route of the other one).
  const bool ipv6 = NextHop().address.is_ipv6();
  MessageWriter writer = MessageWriter::Request(method, request_uri);
  writer.Header(HeaderId::kVia,
                StrCat("SIP/2.0/", TransportName(origin_.transport), " ", local_.HostFor(ipv6), ":",
                       local_port(), ";branch=", branch, ";rport"));
  writer.Header(HeaderId::kMaxForwards, "70");
  for (const std::string& route : routes) writer.Header(HeaderId::kRoute, route);
  writer.Header(HeaderId::kFrom, StrCat(local_uri_, ";tag=", id_.local_tag));
  // No remote tag yet: our dialog-creating INVITE (and its CANCEL).
  writer.Header(HeaderId::kTo, id_.remote_tag.empty()
                                   ? remote_uri_
                                   : StrCat(remote_uri_, ";tag=", id_.remote_tag));
  writer.Header(HeaderId::kCallId, id_.call_id);
  writer.Header(HeaderId::kCSeq, StrCat(cseq, " ", MethodName(method)));
  if (method != Method::kAck && method != Method::kCancel) {
    writer.Header(HeaderId::kContact, ContactFor(ipv6));
  }
  std::string text = std::move(writer).Finish(body, content_type);
  if (!extra_headers.empty()) {
    // Extra lines go just before Content-Length, which Finish writes last.
    const size_t at = text.find("Content-Length:");
    text.insert(at, extra_headers);
  }
  return text;
}

Destination Dialog::NextHop() const {
  Destination destination;
  destination.transport = origin_.transport;
  destination.connection_id = origin_.connection_id;
  destination.address = origin_.address;
  destination.local = origin_.local;
  // Ours, not answered yet: where we were told to send it (§8.1.2's outbound
  // proxy or the trunk), whatever the Request-URI names.
  if (outgoing_ && id_.remote_tag.empty()) return destination;
  std::string_view hop_uri_text = remote_target_;
  std::string route_uri;
  if (!route_set_.empty()) {
    if (auto route = ParseNameAddr(route_set_.front()); route.ok()) {
      route_uri = std::string(route->uri_text);
      hop_uri_text = route_uri;
    }
  }
  auto uri = ParseUri(hop_uri_text);
  if (!uri.ok() || !uri->is_sip()) return destination;
  TransportKind transport = TransportKind::kUdp;
  if (auto param = uri->Param("transport")) {
    if (EqualsIgnoreCase(*param, "tcp")) transport = TransportKind::kTcp;
    if (EqualsIgnoreCase(*param, "tls")) transport = TransportKind::kTls;
  }
  // sips: is TLS; and a dialog that came over TLS stays on TLS: a Contact
  // without transport=tls must not move its requests to a plain transport.
  if (EqualsIgnoreCase(uri->scheme, "sips") || origin_.transport == TransportKind::kTls) {
    transport = TransportKind::kTls;
  }
  const uint16_t default_port = transport == TransportKind::kTls ? 5061 : 5060;
  auto address = SocketAddress::FromIpPort(uri->host, uri->port != 0 ? uri->port : default_port);
  if (!address) return destination;  // a host name: keep the symmetric fallback
  destination.address = *address;
  destination.transport = transport;
  if (destination.transport != origin_.transport) destination.connection_id = 0;
  return destination;
}

}  // namespace tutti::sip
