// The chat switch's message handling (RFC 4975 chunks, in the manner of
// RFC 7701): reassembling a member's chunked messages, deciding what each
// other member receives of a message (CPIM naming the sender, or the bare
// content), and cutting it into chunks again. No sockets: the service
// (msrp_service.cc) routes what these produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "signaling/msrp/chat_message.h"
#include "signaling/msrp/msrp_message.h"
#include "signaling/msrp/msrp_service.h"

namespace tutti::msrp {

// One member's messages in pieces, by Message-ID. Bounded: each message,
// and all of them in pieces at once, by max_message_bytes; the messages in
// progress at once by max_messages_in_progress.
class MessageAssembler {
 public:
  enum class Verdict {
    kPartial,   // more chunks to come
    kComplete,  // content_type and body are the whole message
    kAborted,   // '#': the sender gave it up; discarded
    kTooLarge,  // above max_message_bytes (or too many at once): 413, discarded
    kBadRange,  // a chunk that does not follow what came before: 400, discarded
  };
  struct Result {
    Verdict verdict = Verdict::kPartial;
    std::string content_type;
    std::string body;
  };

  MessageAssembler(size_t max_message_bytes, size_t max_messages_in_progress);
  Result Add(const MsrpMessage& chunk);
  size_t in_progress() const { return partial_.size(); }

 private:
  struct Partial {
    std::string content_type;
    std::string bytes;
    bool discarded = false;  // answered 413 once; its later chunks get 413 too
  };
  Result Discard(const std::string& message_id, Verdict verdict, bool keep_answering);

  size_t max_message_bytes_;
  size_t max_in_progress_;
  size_t buffered_ = 0;  // bytes of every partial message
  absl::flat_hash_map<std::string, Partial> partial_;
};

// Content types compared as RFC 2045 says: case-insensitive, parameters
// left out. "*" and "type/*" in `accept_types` accept what they cover; an
// empty list accepts everything.
bool AcceptsType(const std::vector<std::string>& accept_types, std::string_view content_type);

// A complete message a member sent, as the room sees it: the sender named
// by its session (never by what the member wrote in a CPIM From), a CPIM
// wrapper taken off.
ChatMessage MessageFromMember(const MsrpSession& sender, std::string_view content_type,
                              std::string_view body, absl::Time now);

// What `recipient` receives of `message`: message/cpim naming the sender
// when it accepts CPIM, else the bare content when it accepts that type,
// else nothing.
struct ChatContent {
  std::string content_type;
  std::string body;
};
std::optional<ChatContent> ContentFor(const MsrpSession& recipient, const ChatMessage& message);

// `body` as one message of chunks of at most `chunk_bytes` (Byte-Range
// start-end/total, '+' on every chunk but the last, '$' on it), each with a
// new transaction id; `head` gives the paths, Message-ID and headers.
// `emit` gets each chunk's transaction id and bytes.
void WriteChunks(
    MsrpMessage head, std::string_view body, size_t chunk_bytes,
    const std::function<void(const std::string& transaction_id, std::string bytes)>& emit);

}  // namespace tutti::msrp
