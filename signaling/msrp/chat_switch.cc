#include "signaling/msrp/chat_switch.h"

#include <algorithm>
#include <utility>

#include "common/strings.h"
#include "signaling/msrp/cpim.h"

namespace tutti::msrp {
namespace {

constexpr std::string_view kCpim = "message/cpim";

std::string_view MediaType(std::string_view content_type) {
  return StripWhitespace(content_type.substr(0, content_type.find(';')));
}

}  // namespace

MessageAssembler::MessageAssembler(size_t max_message_bytes, size_t max_messages_in_progress)
    : max_message_bytes_(max_message_bytes), max_in_progress_(max_messages_in_progress) {}

MessageAssembler::Result MessageAssembler::Discard(const std::string& message_id, Verdict verdict,
                                                   bool keep_answering) {
  auto it = partial_.find(message_id);
  if (keep_answering && it == partial_.end() && partial_.size() < max_in_progress_) {
    partial_.emplace(message_id, Partial{{}, {}, true});
  } else if (keep_answering && it != partial_.end()) {
    it->second.discarded = true;
    buffered_ -= it->second.bytes.size();
    it->second.bytes = std::string();
  } else if (it != partial_.end()) {
    buffered_ -= it->second.bytes.size();
    partial_.erase(it);
  }
  return Result{verdict, {}, {}};
}

MessageAssembler::Result MessageAssembler::Add(const MsrpMessage& chunk) {
  const ByteRange range = chunk.byte_range.value_or(ByteRange{});
  const bool last = chunk.continuation != Continuation::kMore;
  auto it = partial_.find(chunk.message_id);
  if (it != partial_.end() && it->second.discarded) {
    if (last) partial_.erase(it);  // its end: forget it
    return Result{Verdict::kTooLarge, {}, {}};
  }
  if (chunk.continuation == Continuation::kAbort) {
    return Discard(chunk.message_id, Verdict::kAborted, /*keep_answering=*/false);
  }
  if (range.start == 0) return Discard(chunk.message_id, Verdict::kBadRange, false);
  const uint64_t offset = range.start - 1;
  const bool too_large = (range.total && *range.total > max_message_bytes_) ||
                         offset > max_message_bytes_ ||
                         chunk.body.size() > max_message_bytes_ - offset;
  if (too_large) return Discard(chunk.message_id, Verdict::kTooLarge, /*keep_answering=*/!last);
  if (it == partial_.end() && offset == 0 && last) {  // one chunk: the usual case
    return Result{Verdict::kComplete, chunk.content_type, chunk.body};
  }
  if (it == partial_.end()) {
    if (partial_.size() >= max_in_progress_) return Result{Verdict::kTooLarge, {}, {}};
    it = partial_.emplace(chunk.message_id, Partial{chunk.content_type, {}, false}).first;
  }
  std::string& bytes = it->second.bytes;
  if (offset > bytes.size()) return Discard(chunk.message_id, Verdict::kBadRange, false);
  const size_t growth = std::max(offset + chunk.body.size(), bytes.size()) - bytes.size();
  if (buffered_ + growth > max_message_bytes_) {  // all in pieces at once: one message's worth
    return Discard(chunk.message_id, Verdict::kTooLarge, /*keep_answering=*/!last);
  }
  buffered_ += growth;
  // One TCP connection carries a message's chunks in order; an overlap
  // (a resent chunk) overwrites what it covers.
  if (offset + chunk.body.size() > bytes.size()) bytes.resize(offset + chunk.body.size());
  std::copy(chunk.body.begin(), chunk.body.end(), bytes.begin() + static_cast<ptrdiff_t>(offset));
  if (!last) return Result{Verdict::kPartial, {}, {}};
  buffered_ -= bytes.size();
  Result done{Verdict::kComplete, std::move(it->second.content_type), std::move(bytes)};
  partial_.erase(it);
  return done;
}

bool AcceptsType(const std::vector<std::string>& accept_types, std::string_view content_type) {
  if (accept_types.empty()) return true;
  const std::string_view type = MediaType(content_type);
  const std::string_view major = type.substr(0, type.find('/'));
  for (const std::string& accepted : accept_types) {
    const std::string_view a = MediaType(accepted);
    if (a == "*" || EqualsIgnoreCase(a, type)) return true;
    if (a.size() == major.size() + 2 && a.substr(major.size()) == "/*" &&
        EqualsIgnoreCase(a.substr(0, major.size()), major)) {
      return true;
    }
  }
  return false;
}

ChatMessage MessageFromMember(const MsrpSession& sender, std::string_view content_type,
                              std::string_view body, absl::Time now) {
  ChatMessage message;
  message.room = sender.room;
  message.sender_call = sender.call_id;
  message.sender_uri = sender.member_uri;
  message.sender_name = sender.member_name;
  message.time = now;
  message.via = ChatVia::kMsrp;
  std::optional<CpimMessage> cpim;
  if (EqualsIgnoreCase(MediaType(content_type), kCpim)) cpim = ParseCpim(body);
  if (cpim) {
    message.content_type = std::move(cpim->content_type);
    message.body = std::move(cpim->body);
  } else {
    message.content_type = std::string(content_type.empty() ? "text/plain" : content_type);
    message.body = std::string(body);
  }
  return message;
}

std::optional<ChatContent> ContentFor(const MsrpSession& recipient, const ChatMessage& message) {
  if (recipient.accepts_cpim) {
    CpimMessage cpim;
    cpim.from = CpimAddress(message.sender_name, message.sender_uri);
    cpim.to = CpimAddress(recipient.member_name, recipient.member_uri);
    cpim.date_time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", message.time, absl::UTCTimeZone());
    cpim.content_type = message.content_type;
    cpim.body = message.body;
    return ChatContent{std::string(kCpim), WriteCpim(cpim)};
  }
  if (AcceptsType(recipient.accept_types, message.content_type)) {
    return ChatContent{message.content_type, message.body};
  }
  return std::nullopt;
}

void WriteChunks(MsrpMessage head, std::string_view body, size_t chunk_bytes,
                 const std::function<void(const std::string&, std::string)>& emit) {
  const uint64_t total = body.size();
  uint64_t offset = 0;
  do {
    const size_t length = std::min<uint64_t>(chunk_bytes, total - offset);
    head.transaction_id = NewTransactionId();
    head.byte_range = ByteRange{offset + 1, offset + length, total};
    head.body.assign(body.substr(offset, length));
    offset += length;
    head.continuation = offset < total ? Continuation::kMore : Continuation::kEnd;
    emit(head.transaction_id, WriteMessage(head));
  } while (offset < total);
}

}  // namespace tutti::msrp
