#include "signaling/sip/transaction_layer.h"

#include <malloc.h>

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/strings.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::sip {
namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";

std::string Lower(std::string_view text) { return AsciiLowered(text); }

// RFC 3261 §17.2.3: branch, sent-by and method identify a server transaction;
// an ACK matches the INVITE it acknowledges. Requests from RFC 2543 peers
// (no magic cookie) fall back to the dialog-ish identity of §17.2.3's end.
std::string ServerKey(const SipMessage& request) {
  const Via& via = request.top_via();
  const Method method = request.method() == Method::kAck ? Method::kInvite : request.method();
  const std::string method_name = method == Method::kUnknown ? std::string(request.method_name())
                                                             : std::string(MethodName(method));
  if (via.branch.starts_with(kMagicCookie)) {
    return StrCat(via.branch, "|", Lower(via.host), ":", via.port, "|", method_name);
  }
  return StrCat("2543|", request.request_uri_text(), "|", request.from().tag, "|",
                request.call_id(), "|", request.cseq().number, "|", Lower(via.host), ":", via.port,
                "|", via.branch, "|", method_name);
}

// Map slots, timers and allocator headers a server transaction costs beyond
// its strings (an estimate: what matters is that it grows with them).
constexpr size_t kTransactionOverheadBytes = 256;
// A drain: the server transactions fell below half a peak of at least this
// many. Then freed memory goes back to the system every few MB freed, and
// below 1/64 of the peak the tables shrink too and the drain is over (what
// is left of the peak is under a MB).
constexpr size_t kDrainPeak = 4096;
constexpr size_t kTrimEveryFreedBytes = size_t{2} << 20;

std::string ClientKey(std::string_view branch, std::string_view cseq_method) {
  return StrCat(branch, "|", cseq_method);
}

bool IsTokenParamNamed(std::string_view param, std::string_view name) {
  std::string_view key = param.substr(0, param.find('='));
  return EqualsIgnoreCase(StripWhitespace(key), name);
}

}  // namespace

std::string StampedTopVia(const SipMessage& request, const MessageSource& source) {
  const Via& via = request.top_via();
  const HeaderField* field = request.FindHeader(HeaderId::kVia);
  if (field == nullptr) return {};
  const std::string_view value = field->value;
  // Everything before the parameters is kept as written; the parameters are
  // rewritten so rport gets its value and received is set afresh.
  std::string_view head = value;
  if (!via.params.empty() && via.params.data() >= value.data() &&
      via.params.data() <= value.data() + value.size()) {
    head = value.substr(0, static_cast<size_t>(via.params.data() - value.data()));
  }
  std::string stamped(StripTrailingWhitespace(head));
  const std::string source_ip = source.address.ip();
  for (std::string_view param : SplitNonEmpty(via.params, ';')) {
    param = StripWhitespace(param);
    if (IsTokenParamNamed(param, "received")) continue;
    if (IsTokenParamNamed(param, "rport")) {
      StrAppend(&stamped, ";rport=", source.address.port());
      continue;
    }
    StrAppend(&stamped, ";", param);
  }
  // Compared as addresses ("[::1]" is "0:0::1"; a v4-mapped sent-by is its
  // IPv4 address), and received= is written bare, IPv6 too: RFC 3261's
  // via-received is IPv4address / IPv6address, without brackets, which is the
  // valid form RFC 5118 §4.5 shows.
  const std::optional<SocketAddress> sent_by = SocketAddress::FromIpPort(via.host, 0);
  if (via.has_rport || !sent_by || sent_by->ip() != source_ip) {
    StrAppend(&stamped, ";received=", source_ip);
  }
  return stamped;
}

Destination ResponseDestination(const SipMessage& request, const MessageSource& source) {
  Destination destination;
  destination.transport = source.transport;
  destination.connection_id = source.connection_id;
  destination.local = source.local;
  const Via& via = request.top_via();
  if (source.transport != TransportKind::kUdp || via.has_rport) {
    // Reliable: the same connection (or, if it closed, the source address).
    // rport: the source port, which is what gets through a NAT.
    destination.address = source.address;
    return destination;
  }
  // §18.2.2: to the source address (the "received" address) at the sent-by port.
  const uint16_t port = via.port != 0 ? via.port : 5060;
  destination.address = *SocketAddress::FromIpPort(source.address.ip(), port);
  return destination;
}

// ---------------------------------------------------------------------------

struct TransactionLayer::ServerTransaction {
  enum class State { kTrying, kProceeding, kCompleted, kConfirmed, kAccepted };
  TransactionId id;
  bool invite;
  State state;
  std::string key;
  SipMessage request;
  Destination response_destination;
  std::string stamped_via;
  std::string last_response;
  int last_status = 0;
  absl::Duration retransmit_interval;
  EventLoop::TimerId retransmit_timer = 0;
  EventLoop::TimerId end_timer = 0;
  // Kept when the request is dropped: the timer H log names the call.
  std::string call_id;
  bool holds_request = true;
  size_t footprint = 0;  // counted in held_bytes_
  bool lingering = false;
  std::list<TransactionId>::iterator lingering_at;
};

struct TransactionLayer::ClientTransaction {
  enum class State { kCalling, kProceeding, kCompleted, kAccepted };
  TransactionId id;
  bool invite;
  State state = State::kCalling;
  std::string key;
  Destination destination;
  std::string bytes;
  SipMessage request;
  ResponseCallback callback;
  absl::Duration retransmit_interval;
  EventLoop::TimerId retransmit_timer = 0;
  EventLoop::TimerId end_timer = 0;
  std::string ack;  // for a non-2xx final: resent when the final is retransmitted
};

TransactionLayer::TransactionLayer(EventLoop* loop, MessageSender* sender, TransactionUser* user,
                                   TimerSettings timers)
    : loop_(loop), sender_(sender), user_(user), timers_(timers) {}

TransactionLayer::~TransactionLayer() {
  for (auto& [id, t] : servers_) {
    loop_->CancelTimer(t->retransmit_timer);
    loop_->CancelTimer(t->end_timer);
  }
  for (auto& [id, t] : clients_) {
    loop_->CancelTimer(t->retransmit_timer);
    loop_->CancelTimer(t->end_timer);
  }
}

std::string TransactionLayer::NewBranch() {
  static thread_local absl::BitGen bitgen;
  return StrCat(kMagicCookie, absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(bitgen)),
                                           absl::Hex(absl::Uniform<uint32_t>(bitgen))));
}

std::string TransactionLayer::NewTag() {
  static thread_local absl::BitGen bitgen;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(bitgen), absl::kZeroPad16));
}

void TransactionLayer::OnMessage(const SipMessage& message, const MessageSource& source) {
  if (message.is_request()) {
    OnRequestMessage(message, source);
  } else {
    OnResponseMessage(message);
  }
}

void TransactionLayer::OnRequestMessage(const SipMessage& request, const MessageSource& source) {
  const std::string key = ServerKey(request);
  if (auto found = server_keys_.find(key); found != server_keys_.end()) {
    ServerTransaction& t = *servers_.at(found->second);
    using State = ServerTransaction::State;
    if (request.method() == Method::kAck) {
      if (t.state == State::kCompleted) {
        // ACK for our non-2xx final: stop retransmitting, linger for stray ACKs (timer I).
        t.state = State::kConfirmed;
        loop_->CancelTimer(t.retransmit_timer);
        loop_->CancelTimer(t.end_timer);
        const TransactionId id = t.id;
        t.end_timer = loop_->AddTimer(
            Reliable(t.response_destination.transport) ? absl::ZeroDuration() : timers_.t4,
            [this, id] { TerminateServer(id); });
      } else if (t.state == State::kAccepted) {
        user_->OnAck(request, source);  // a 2xx ACK that reused the INVITE's branch
      }
      return;
    }
    // A retransmission: answer it with what we last sent, if anything.
    ++retransmissions_absorbed_;
    if (!t.last_response.empty() && t.state != State::kAccepted && t.state != State::kConfirmed) {
      sender_->Send(t.response_destination, t.last_response);
    }
    return;
  }

  if (request.method() == Method::kAck) {
    user_->OnAck(request, source);
    return;
  }
  if (!MakeRoom()) {
    RefuseForRoom(request, source);
    return;
  }

  auto t = std::make_unique<ServerTransaction>();
  t->id = next_id_++;
  t->invite = request.method() == Method::kInvite;
  t->state = t->invite ? ServerTransaction::State::kProceeding : ServerTransaction::State::kTrying;
  t->key = key;
  t->request = request;
  t->response_destination = ResponseDestination(request, source);
  t->stamped_via = StampedTopVia(request, source);
  if (t->invite) t->call_id = std::string(request.call_id());
  Account(*t);
  const TransactionId id = t->id;
  server_keys_.emplace(key, id);
  servers_.emplace(id, std::move(t));
  high_water_ = std::max(high_water_, servers_.size());

  if (request.method() == Method::kCancel) {
    OnCancelRequest(request);
    return;
  }
  if (servers_.at(id)->invite && !Reliable(source.transport)) {
    servers_.at(id)->retransmit_timer = loop_->AddTimer(timers_.trying_delay, [this, id] {
      auto it = servers_.find(id);
      if (it == servers_.end() || it->second->last_status != 0) return;
      it->second->retransmit_timer = 0;
      Respond(id, 100, ResponseFor(id, 100).Finish());
    });
  }
  // The TU holds a reference to the request while it runs: a final answer
  // given meanwhile drops the request only once it has returned.
  delivering_ = id;
  user_->OnRequest(id, servers_.at(id)->request, source);
  delivering_ = 0;
  if (auto it = servers_.find(id); it != servers_.end() && it->second->last_status >= 200) {
    Strip(*it->second);
  }
}

void TransactionLayer::OnCancelRequest(const SipMessage& cancel) {
  const TransactionId cancel_id = server_keys_.at(ServerKey(cancel));
  // RFC 3261 §9.2: the CANCEL matches the INVITE with the same branch and sent-by.
  std::string invite_key = ServerKey(cancel);
  invite_key.replace(invite_key.rfind('|') + 1, std::string::npos, "INVITE");
  auto invite = server_keys_.find(invite_key);
  if (invite == server_keys_.end()) {
    Respond(cancel_id, 481, ResponseFor(cancel_id, 481).Finish());
    return;
  }
  ServerTransaction& invite_transaction = *servers_.at(invite->second);
  // The 200 to CANCEL carries the To tag the INVITE's responses carry (§9.2).
  std::string to_tag;
  if (!invite_transaction.last_response.empty()) {
    auto parsed = ParseSipMessage(invite_transaction.last_response);
    if (parsed.ok()) to_tag = std::string(parsed.message.to().tag);
  }
  Respond(cancel_id, 200, ResponseFor(cancel_id, 200, {}, to_tag).Finish());
  if (invite_transaction.last_status < 200) user_->OnCancel(invite_transaction.id);
}

bool TransactionLayer::Matches(const SipMessage& request) const {
  return server_keys_.contains(ServerKey(request));
}

const SipMessage* TransactionLayer::Request(TransactionId id) const {
  auto it = servers_.find(id);
  return it == servers_.end() || !it->second->holds_request ? nullptr : &it->second->request;
}

MessageWriter TransactionLayer::ResponseFor(TransactionId id, int status_code,
                                            std::string_view reason,
                                            std::string_view to_tag) const {
  const ServerTransaction& t = *servers_.at(id);
  // After the final response the request is gone; Respond() refuses anyway.
  return ResponseTo(t.request, status_code, reason, to_tag, t.stamped_via);
}

bool TransactionLayer::IsPending(TransactionId id) const {
  auto it = servers_.find(id);
  return it != servers_.end() && it->second->invite && it->second->last_status < 200;
}

bool TransactionLayer::Respond(TransactionId id, int status_code, std::string bytes) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return false;
  ServerTransaction& t = *it->second;
  using State = ServerTransaction::State;
  if (t.last_status >= 200) return false;  // a transaction has one final response
  ++responses_sent_[status_code];
  sender_->Send(t.response_destination, bytes);
  t.last_response = std::move(bytes);
  t.last_status = status_code;
  if (status_code < 200) {
    if (t.state == State::kTrying) t.state = State::kProceeding;
    if (t.invite) {
      loop_->CancelTimer(t.retransmit_timer);  // no 100 Trying needed any more
      t.retransmit_timer = 0;
    }
    Account(t);
    return true;
  }
  if (id != delivering_) Strip(t);
  if (!t.invite || status_code >= 300) {
    // From now on it only absorbs retransmissions (and, for an INVITE,
    // waits for the ACK): the first to go when room is short.
    t.lingering = true;
    t.lingering_at = lingering_.insert(lingering_.end(), id);
  }
  loop_->CancelTimer(t.retransmit_timer);
  t.retransmit_timer = 0;
  const bool reliable = Reliable(t.response_destination.transport);
  if (!t.invite) {
    t.state = State::kCompleted;  // timer J
    t.end_timer = loop_->AddTimer(reliable ? absl::ZeroDuration() : 64 * timers_.t1,
                                  [this, id] { TerminateServer(id); });
  } else if (status_code < 300) {
    t.state = State::kAccepted;  // RFC 6026 timer L
    t.end_timer = loop_->AddTimer(64 * timers_.t1, [this, id] { TerminateServer(id); });
  } else {
    t.state = State::kCompleted;
    if (!reliable) {
      t.retransmit_interval = timers_.t1;  // timer G
      t.retransmit_timer =
          loop_->AddTimer(t.retransmit_interval, [this, id] { RetransmitServer(id); });
    }
    t.end_timer = loop_->AddTimer(64 * timers_.t1, [this, id] {  // timer H
      LogInfo("sip.transaction", "no ACK for final response")
          .With("call_id", servers_.at(id)->call_id);
      TerminateServer(id);
    });
  }
  return true;
}

void TransactionLayer::RetransmitServer(TransactionId id) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return;
  ServerTransaction& t = *it->second;
  sender_->Send(t.response_destination, t.last_response);
  t.retransmit_interval = std::min(2 * t.retransmit_interval, timers_.t2);
  t.retransmit_timer = loop_->AddTimer(t.retransmit_interval, [this, id] { RetransmitServer(id); });
}

void TransactionLayer::TerminateServer(TransactionId id) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return;
  ServerTransaction& t = *it->second;
  loop_->CancelTimer(t.retransmit_timer);
  loop_->CancelTimer(t.end_timer);
  if (t.lingering) lingering_.erase(t.lingering_at);
  held_bytes_ -= t.footprint;
  freed_since_trim_ += t.footprint;
  server_keys_.erase(t.key);
  servers_.erase(it);
  if (high_water_ >= kDrainPeak &&
      ((servers_.size() < high_water_ / 2 && freed_since_trim_ >= kTrimEveryFreedBytes) ||
       servers_.size() < high_water_ / 64)) {
    GiveBackMemoryAfterDrain();
  }
}

bool TransactionLayer::MakeRoom() {
  while (servers_.size() >= limits_.max_transactions || held_bytes_ >= limits_.max_bytes) {
    if (lingering_.empty()) return false;
    ++evicted_;
    TerminateServer(lingering_.front());
  }
  return true;
}

void TransactionLayer::RefuseForRoom(const SipMessage& request, const MessageSource& source) {
  ++refused_full_;
  ++responses_sent_[503];
  MessageWriter response =
      ResponseTo(request, 503, "Service Unavailable", NewTag(), StampedTopVia(request, source));
  response.Header(HeaderId::kRetryAfter, StrCat(limits_.retry_after_s));
  sender_->Send(ResponseDestination(request, source), std::move(response).Finish());
}

void TransactionLayer::Account(ServerTransaction& t) {
  held_bytes_ -= t.footprint;
  t.footprint = sizeof(ServerTransaction) + kTransactionOverheadBytes + t.key.capacity() +
                t.stamped_via.capacity() + t.last_response.capacity() + t.call_id.capacity();
  if (t.holds_request) {
    t.footprint += t.request.raw().size() + t.request.headers().capacity() * sizeof(HeaderField);
  }
  held_bytes_ += t.footprint;
}

void TransactionLayer::Strip(ServerTransaction& t) {
  // RFC 3261 §17.2: once the final response is out, a server transaction
  // needs only its key, the response and where it goes. The request (the
  // whole received message and its parsed headers) was most of its size.
  t.request = SipMessage();
  t.holds_request = false;
  t.stamped_via = std::string();
  t.last_response.shrink_to_fit();  // kept for 32 s: no room to grow needed
  Account(t);
}

void TransactionLayer::GiveBackMemoryAfterDrain() {
  // The tables keep their peak capacity, and glibc keeps freed heap pages
  // (transactions freed out of order leave the heap's top pinned): after a
  // flood drains, both would stay at their peak for good. Measured with
  // 250,000 INFOs answered in one dialog: 732 MB resident 36 s after the
  // last one, 60 MB after malloc_trim. Steady traffic never gets here (the
  // table stays near its peak); a drain trims a few times, each ~ms.
  if (servers_.size() < high_water_ / 64) {
    servers_.rehash(0);
    server_keys_.rehash(0);
    high_water_ = servers_.size();
  }
  freed_since_trim_ = 0;
  ++memory_trims_;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// ---------------------------------------------------------------------------

TransactionId TransactionLayer::SendRequest(const Destination& next_hop, std::string bytes,
                                            ResponseCallback callback) {
  auto t = std::make_unique<ClientTransaction>();
  t->id = next_id_++;
  ParseOutcome parsed = ParseSipMessage(bytes);
  if (!parsed.ok()) {
    LogError("sip.transaction", "refusing to send a malformed request")
        .With("reason", parsed.reject_reason);
    return 0;
  }
  t->request = std::move(parsed.message);
  t->invite = t->request.method() == Method::kInvite;
  t->key = ClientKey(t->request.top_via().branch, t->request.cseq().method_name);
  t->destination = next_hop;
  t->bytes = std::move(bytes);
  t->callback = std::move(callback);
  const TransactionId id = t->id;
  sender_->Send(t->destination, t->bytes);
  if (!Reliable(next_hop.transport)) {
    t->retransmit_interval = timers_.t1;  // timer A or E
    t->retransmit_timer =
        loop_->AddTimer(t->retransmit_interval, [this, id] { RetransmitClient(id); });
  }
  ArmClientTimeout(*t, 64 * timers_.t1);  // timer B or F
  if (t->request.method() == Method::kCancel) OnCancelSent(t->request);
  client_keys_.emplace(t->key, id);
  clients_.emplace(id, std::move(t));
  return id;
}

void TransactionLayer::ArmClientTimeout(ClientTransaction& t, absl::Duration delay) {
  loop_->CancelTimer(t.end_timer);
  const TransactionId id = t.id;
  t.end_timer = loop_->AddTimer(delay, [this, id] {
    // Only armed until a final response arrives, which replaces it.
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    it->second->end_timer = 0;
    ResponseCallback report = it->second->callback;
    TerminateClient(id);
    report(nullptr);
  });
}

void TransactionLayer::OnCancelSent(const SipMessage& cancel) {
  // The CANCEL carries the INVITE's branch (§9.1).
  auto found = client_keys_.find(ClientKey(cancel.top_via().branch, MethodName(Method::kInvite)));
  if (found == client_keys_.end()) return;
  ClientTransaction& invite = *clients_.at(found->second);
  if (invite.state == ClientTransaction::State::kProceeding) {
    ArmClientTimeout(invite, 64 * timers_.t1);
  }
}

void TransactionLayer::SendStateless(const Destination& destination, std::string_view bytes) {
  sender_->Send(destination, bytes);
}

void TransactionLayer::RetransmitClient(TransactionId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  ClientTransaction& t = *it->second;
  sender_->Send(t.destination, t.bytes);
  // INVITE doubles without bound (timer A); non-INVITE caps at T2 (timer E).
  t.retransmit_interval =
      t.invite ? 2 * t.retransmit_interval : std::min(2 * t.retransmit_interval, timers_.t2);
  if (!t.invite && t.state == ClientTransaction::State::kProceeding) {
    t.retransmit_interval = timers_.t2;
  }
  t.retransmit_timer = loop_->AddTimer(t.retransmit_interval, [this, id] { RetransmitClient(id); });
}

void TransactionLayer::OnResponseMessage(const SipMessage& response) {
  auto found = client_keys_.find(ClientKey(response.top_via().branch, response.cseq().method_name));
  if (found == client_keys_.end()) {
    ++stray_responses_;
    return;
  }
  const TransactionId id = found->second;
  ClientTransaction& t = *clients_.at(id);
  using State = ClientTransaction::State;
  const int code = response.status_code();
  const bool reliable = Reliable(t.destination.transport);

  if (code < 200) {
    if (t.state != State::kCalling && t.state != State::kProceeding) return;
    if (t.invite && t.state == State::kCalling) {
      // A provisional stops INVITE retransmissions, and timer B, which
      // applies in Calling only (§17.1.1.2): from here the TU decides how
      // long it rings, and ends it by CANCEL.
      loop_->CancelTimer(t.retransmit_timer);
      t.retransmit_timer = 0;
      ArmClientTimeout(t, timers_.invite_proceeding_limit);
    }
    t.state = State::kProceeding;
    t.callback(&response);
    return;
  }

  if (t.state == State::kCompleted) {  // a retransmitted final
    if (t.invite && !t.ack.empty()) sender_->Send(t.destination, t.ack);
    return;
  }
  if (t.state == State::kAccepted) {
    if (code < 300) t.callback(&response);  // 2xx retransmission: the TU ACKs again
    return;
  }

  loop_->CancelTimer(t.retransmit_timer);
  t.retransmit_timer = 0;
  loop_->CancelTimer(t.end_timer);
  if (t.invite && code < 300) {
    t.state = State::kAccepted;  // RFC 6026 timer M
    t.end_timer = loop_->AddTimer(64 * timers_.t1, [this, id] { TerminateClient(id); });
  } else {
    t.state = State::kCompleted;
    if (t.invite) SendAckForFailure(t, response);
    // Timer D (INVITE, at least 32 s) or K (non-INVITE, T4); zero on reliable transports.
    const absl::Duration linger =
        reliable ? absl::ZeroDuration()
                 : (t.invite ? std::max(absl::Seconds(32), 64 * timers_.t1) : timers_.t4);
    t.end_timer = loop_->AddTimer(linger, [this, id] { TerminateClient(id); });
  }
  // Copy: the callback may send new requests and so change clients_.
  ResponseCallback callback = t.callback;
  callback(&response);
}

void TransactionLayer::SendAckForFailure(ClientTransaction& t, const SipMessage& response) {
  // RFC 3261 §17.1.1.3: same Request-URI, Call-ID, From, CSeq number and top
  // Via as the INVITE; To from the response; the INVITE's Route headers.
  const SipMessage& invite = t.request;
  MessageWriter ack = MessageWriter::Request(Method::kAck, invite.request_uri_text());
  ack.Header(HeaderId::kVia, invite.HeaderValue(HeaderId::kVia));
  for (const HeaderField& field : invite.headers()) {
    if (field.id == HeaderId::kRoute) ack.Header(HeaderId::kRoute, field.value);
  }
  ack.Header(HeaderId::kMaxForwards, "70");
  ack.Header(HeaderId::kFrom, invite.HeaderValue(HeaderId::kFrom));
  ack.Header(HeaderId::kTo, response.HeaderValue(HeaderId::kTo));
  ack.Header(HeaderId::kCallId, invite.call_id());
  ack.Header(HeaderId::kCSeq, StrCat(invite.cseq().number, " ACK"));
  t.ack = std::move(ack).Finish();
  sender_->Send(t.destination, t.ack);
}

void TransactionLayer::TerminateClient(TransactionId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  loop_->CancelTimer(it->second->retransmit_timer);
  loop_->CancelTimer(it->second->end_timer);
  client_keys_.erase(it->second->key);
  clients_.erase(it);
}

}  // namespace tutti::sip
