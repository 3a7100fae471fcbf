// A SIP dialog (RFC 3261 §12): identified by Call-ID and the two tags,
// holding the route set, remote target and both CSeq spaces, and building
// the requests we send inside it (BYE, re-INVITE, NOTIFY). Mostly as the
// UAS of a caller's INVITE; tutti also starts dialogs of its own as UAC:
// file offers to members (RFC 5547) alongside a member's call, and calls
// and registrations to SIP trunks (StartOutgoing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/sip_message.h"
#include "signaling/sip/transaction_layer.h"
#include "signaling/sip/transport.h"

namespace tutti::sip {

// How we appear in what we send: Via sent-by and Contact, of the address
// family of the transport the message goes out on.
struct LocalEndpoint {
  std::string host;          // advertised IPv4 address (or a host name)
  uint16_t port = 5060;      // UDP and TCP
  uint16_t tls_port = 5061;  // TLS
  std::string host6;         // advertised IPv6 address, without brackets; "" none

  // The host for a message over IPv6 (bracketed) or IPv4; the other
  // family's when this one has none (tutti does not listen on it).
  std::string HostFor(bool ipv6) const;
};

// Call-ID + local tag + remote tag, the dialog's identity (§12).
struct DialogId {
  std::string call_id;
  std::string local_tag;
  std::string remote_tag;
  friend bool operator==(const DialogId&, const DialogId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const DialogId& id) {
    return H::combine(std::move(h), id.call_id, id.local_tag, id.remote_tag);
  }
};

// The id of the dialog an in-dialog request received by us belongs to.
DialogId IncomingDialogId(const SipMessage& request);

// What we say in a dialog we start from nothing (a dial-out through a
// trunk) or in requests outside any dialog that keep one Call-ID (REGISTER,
// RFC 3261 §10.2). The URIs are ours to make (NumberUri and the like):
// control characters are dropped, not checked.
struct OutgoingDialog {
  std::string request_uri;   // "sip:+442079460000@carrier.example;user=phone"
  std::string from_uri;      // ours: "sip:+442079460001@carrier.example"
  std::string from_display;  // "" for none; quoted and escaped here
  std::string to_uri;        // theirs; empty: the Request-URI
  // The preloaded route set (§8.1.2), e.g. an outbound proxy as a loose
  // route: "<sip:proxy.example;lr>".
  std::vector<std::string> routes;
  // Where requests go until the peer's answers give the dialog a route set
  // and target of its own: the outbound proxy or the trunk's host,
  // resolved. Its transport is the dialog's.
  Destination next_hop;
  std::string contact_user = "tutti";  // our Contact's user part (REGISTER: the trunk's user)
};

class Dialog {
 public:
  // The dialog a 2xx to `invite` creates on the UAS side (§12.1.1).
  static Dialog FromInvite(const SipMessage& invite, const MessageSource& source,
                           std::string local_tag, LocalEndpoint local);

  // A dialog we start (UAC) with the peer of `alongside`, a dialog that
  // peer has with us: the same two URIs (ours in From, theirs in To),
  // remote target, route set (preloaded as Route) and transport, but a new
  // Call-ID, our tag and a CSeq space of its own. Early (no remote tag)
  // until Confirm; its first BuildRequest is the dialog-creating INVITE.
  static Dialog StartAlongside(const Dialog& alongside, std::string call_id, std::string local_tag);
  // A dialog we start (UAC) from nothing: a new Call-ID and tag, our CSeq
  // space, no remote tag. Its first BuildRequest is the dialog-creating
  // INVITE (or a REGISTER: each further BuildRequest is the next one, same
  // Call-ID, next CSeq). Requests go to `start.next_hop` until a 1xx or 2xx
  // gives the dialog a target; CANCEL always goes there (with the INVITE).
  static Dialog StartOutgoing(const OutgoingDialog& start, LocalEndpoint local);

  // §12.1.2: a 1xx with a To tag to our INVITE makes an early dialog: its
  // remote tag, route set and target, so a PRACK (or BYE) can go inside it.
  // False (and nothing changed) without a To tag or once confirmed. A later
  // 1xx with another tag (a fork) takes over.
  bool Early(const SipMessage& provisional);
  // Back to what the INVITE was sent with (no remote tag, the preloaded
  // route set and Request-URI): the early dialogs are over once the INVITE
  // has a final failure (a 401/407 being answered, say).
  void EndEarly();
  // §12.1.2: the 2xx to our INVITE makes the dialog: the remote tag from
  // its To, the route set from its Record-Route in reverse order, the
  // remote target from its Contact.
  void Confirm(const SipMessage& response);
  // §9.1: the CANCEL of our INVITE (CSeq `invite_cseq`, top Via branch
  // `invite_branch`) before its final response: the same Request-URI,
  // Route, From, To, Call-ID and CSeq number, and the INVITE's branch.
  std::string BuildCancel(uint32_t invite_cseq, std::string_view invite_branch) const;
  // §22.2 (and §8.1.3.5): our request again after a 401/407, with the
  // Authorization line (digest_client.h) in `extra_headers`: same Call-ID
  // and From tag, the next CSeq, a new branch, outside any early dialog.
  std::string BuildRetry(Method method, std::string_view branch, std::string_view extra_headers,
                         std::string_view body = {}, std::string_view content_type = {});
  // RFC 3262 §7.2: the PRACK for a reliable 1xx (RSeq `rseq`) to our INVITE
  // (CSeq `invite_cseq`), inside the early dialog Early() made.
  std::string BuildPrack(std::string_view branch, uint32_t rseq, uint32_t invite_cseq);

  const DialogId& id() const { return id_; }
  const std::string& remote_target() const { return remote_target_; }
  const std::vector<std::string>& route_set() const { return route_set_; }
  bool confirmed() const { return confirmed_; }
  uint32_t remote_cseq() const { return remote_cseq_; }
  uint32_t local_cseq() const { return local_cseq_; }
  // Our Contact for responses, which go back the way the INVITE came.
  std::string local_contact() const;

  // §12.2.2: a request inside the dialog must have a higher CSeq than the
  // last one (except ACK and CANCEL, which are not checked). False means
  // "answer 500".
  bool AcceptRemoteCSeq(const SipMessage& request);
  // §12.2.2: a target refresh (re-INVITE, UPDATE) replaces the remote target.
  void RefreshRemoteTarget(const SipMessage& request);

  // §12.2.1.1: a new request inside the dialog with the next local CSeq.
  // `extra_headers` are complete "Name: value\r\n" lines.
  std::string BuildRequest(Method method, std::string_view branch,
                           std::string_view extra_headers = {}, std::string_view body = {},
                           std::string_view content_type = {});
  // The ACK for a 2xx to an INVITE we sent with CSeq `invite_cseq` (§13.2.2.4).
  std::string BuildAck(uint32_t invite_cseq, std::string_view branch) const;

  // Where requests inside the dialog go: the first route, else the remote
  // target, when its host is an IP address; otherwise back where the
  // INVITE came from (symmetric, also right for callers behind NAT).
  Destination NextHop() const;
  TransportKind transport() const { return origin_.transport; }

 private:
  std::string BuildRequestWithCSeq(Method method, uint32_t cseq, std::string_view branch,
                                   std::string_view extra_headers, std::string_view body,
                                   std::string_view content_type) const;

  DialogId id_;
  std::string local_uri_;   // our side: the To of the INVITE, without tag
  std::string remote_uri_;  // their side: the From of the INVITE, without tag
  std::string remote_target_;
  std::vector<std::string> route_set_;
  uint32_t remote_cseq_ = 0;
  uint32_t local_cseq_ = 0;
  // Our port for the dialog's transport (TLS has its own).
  uint16_t local_port() const;
  std::string ContactFor(bool ipv6) const;

  MessageSource origin_;
  LocalEndpoint local_;
  std::string contact_user_ = "tutti";
  // As our dialog-creating INVITE went (UAC): CANCEL and a retry repeat it.
  std::string first_target_;
  std::vector<std::string> first_routes_;
  // We started it (UAC): until it has a remote tag requests go to origin_.
  bool outgoing_ = false;
  bool confirmed_ = false;  // UAS: from the start; UAC: the 2xx
  // The INVITE's Request-URI was sips: (§12.1.1: our Contact must be sips: too).
  bool sips_ = false;
};

}  // namespace tutti::sip
