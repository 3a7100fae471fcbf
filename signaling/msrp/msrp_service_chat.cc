// The chat switch's routing (RFC 4975, in the manner of RFC 7701): a
// member's chunks answered and reassembled, the complete message relayed
// to the room's other chat members, failures reported to its sender.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "signaling/msrp/msrp_service_impl.h"

namespace tutti::msrp {

void MsrpService::Impl::OnChatChunk(ServiceSession& session, const MsrpMessage& chunk) {
  MessageAssembler::Result result = session.assembler.Add(chunk);
  switch (result.verdict) {
    case MessageAssembler::Verdict::kPartial:
    case MessageAssembler::Verdict::kAborted:
      Respond(session, chunk, 200, "OK");
      return;
    case MessageAssembler::Verdict::kTooLarge:
      Respond(session, chunk, 413, "Message too large");
      return;
    case MessageAssembler::Verdict::kBadRange:
      Respond(session, chunk, 400, "Byte-Range does not follow the message's last chunk");
      return;
    case MessageAssembler::Verdict::kComplete:
      break;
  }
  Respond(session, chunk, 200, "OK");
  const uint64_t bytes = result.body.size();
  if (chunk.success_report == "yes") ReportReceived(session, chunk, bytes, 200, "OK");
  stats.messages_received.fetch_add(1, std::memory_order_relaxed);
  ChatMessage message =
      MessageFromMember(session.info, result.content_type, result.body, absl::Now());
  auto origin = std::make_shared<RelayOrigin>();
  origin->session_id = session.info.local_session_id;
  origin->message_id = chunk.message_id;
  origin->bytes = bytes;
  origin->wants_failure_report = chunk.failure_report != "no";
  RelayToRoom(message, origin);
  Emit(ChatReceived{session.info.call_id, std::move(message)});
}

void MsrpService::Impl::RelayToRoom(const ChatMessage& message,
                                    const std::shared_ptr<RelayOrigin>& origin) {
  auto room = rooms.find(message.room);
  if (room == rooms.end()) return;
  // Relaying may drop a slow member (later, by a post) but never changes
  // the room under this loop; a copy of its members keeps that obvious.
  const std::vector<std::string> members(room->second.begin(), room->second.end());
  for (const std::string& id : members) {
    auto it = sessions.find(id);
    if (it == sessions.end()) continue;
    ServiceSession& recipient = *it->second;
    if (message.sender_call != 0 && recipient.info.call_id == message.sender_call) continue;
    if (recipient.dropping) continue;
    if (recipient.established) {
      RelayTo(recipient, message, origin);
    } else {
      HoldFor(recipient, message, origin);
    }
  }
}

void MsrpService::Impl::HoldFor(ServiceSession& recipient, const ChatMessage& message,
                                const std::shared_ptr<RelayOrigin>& origin) {
  const size_t bytes = message.body.size();
  if (recipient.waiting.size() >= kMaxWaitingMessages ||
      recipient.waiting_bytes + bytes > options.max_queued_bytes) {
    Delivery failed;
    failed.origin = origin;
    OnDeliveryFailed(failed, 408, "the member has not connected");
    return;
  }
  recipient.waiting.push_back({message, origin});
  recipient.waiting_bytes += bytes;
}

void MsrpService::Impl::RelayWaiting(ServiceSession& session) {
  std::deque<ServiceSession::Waiting> waiting = std::move(session.waiting);
  session.waiting.clear();
  session.waiting_bytes = 0;
  for (const ServiceSession::Waiting& held : waiting) {
    if (session.dropping) return;
    RelayTo(session, held.message, held.origin);
  }
}

void MsrpService::Impl::RelayTo(ServiceSession& recipient, const ChatMessage& message,
                                const std::shared_ptr<RelayOrigin>& origin) {
  std::optional<ChatContent> content = ContentFor(recipient.info, message);
  if (!content) return;  // it takes neither CPIM nor this type
  MsrpMessage head;
  head.method = "SEND";
  head.to_path = recipient.info.remote_path;
  head.from_path = recipient.local_path;
  head.message_id = NewMessageId();
  head.content_type = std::move(content->content_type);
  auto delivery = std::make_shared<Delivery>();
  delivery->origin = origin;
  bool queued = true;
  WriteChunks(std::move(head), content->body, options.chunk_bytes,
              [&](const std::string& transaction_id, std::string bytes) {
                if (!queued) return;
                queued = QueueSend(recipient, transaction_id, std::move(bytes),
                                   PendingSend{PendingSend::Kind::kRelay, delivery});
              });
  if (queued) {
    stats.messages_relayed.fetch_add(1, std::memory_order_relaxed);
  } else {
    OnDeliveryFailed(*delivery, 413, "the member did not read what was sent to it");
  }
}

void MsrpService::Impl::OnDeliveryFailed(Delivery& delivery, int code, std::string_view comment) {
  if (delivery.failed) return;  // one failure per member and message
  delivery.failed = true;
  stats.delivery_failures.fetch_add(1, std::memory_order_relaxed);
  RelayOrigin* origin = delivery.origin.get();
  if (origin == nullptr || !origin->wants_failure_report || origin->reported) return;
  auto sender = sessions.find(origin->session_id);
  if (sender == sessions.end() || !sender->second->established) return;
  // One failure REPORT per message (§7.1.2), for the first member it did
  // not reach: the sender learns its message did not reach everyone.
  origin->reported = true;
  MsrpMessage chunk;
  chunk.message_id = origin->message_id;
  ReportReceived(*sender->second, chunk, origin->bytes, code, comment);
}

}  // namespace tutti::msrp
