// tutti's MSRP endpoint (RFC 4975) and the rooms' chat switch (in the
// manner of RFC 7701): one thread of its own (never a media worker, never
// the control thread) with its own EventLoop, one listening TCP socket,
// and every MSRP connection of every room.
//
// Call control negotiates an m=message stream, then registers it here
// (AddSession) with our session-id and the peer's path. The peer connects
// to us, or we connect to it (RFC 6135 a=setup; the offerer connects when
// neither side says). A connection belongs to the session whose session-id
// its first request's To-Path names; one that names none is answered 481
// and closed.
//
// Chat sessions (kChat): a complete message from one member (chunks
// reassembled, up to max_message_bytes, else 413) is relayed to every
// other chat member of the room, wrapped in message/cpim naming the sender
// when the member accepts it, re-chunked at chunk_bytes; transaction
// responses and REPORTs as RFC 4975 asks. The control thread hears of it
// (ChatReceived) and relays it to the room's pager-mode members; messages
// from them come back through Deliver().
//
// File sessions: kFileReceive takes the file a member offers (RFC 5547)
// into the FileStore; kFileSend sends a stored file to a member who
// accepted tutti's offer.
//
// Bounds: connections in all and per source address, bytes queued to a
// member (past it the member is dropped: a failure REPORT or 413 where one
// is owed, the connection closed, SessionEnded{slow}), sessions waiting
// for their connection (connect_timeout). Every method but the
// constructor and Start/Stop is thread-safe: it posts to the MSRP thread.
//
// Implemented in msrp_service.cc and the files it uses (msrp_connection,
// chat_switch, file_transfer).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "signaling/msrp/chat_message.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp {

struct MsrpOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 2855;                  // 0: the kernel picks one (tests)
  std::string advertised_host;           // in our a=path; empty: listen_address
  ParseLimits limits;                    // what one received chunk may be
  size_t max_message_bytes = 64 * 1024;  // a chat message, reassembled
  size_t chunk_bytes = 16 * 1024;        // chunks we send
  int max_connections = 1000;
  int max_connections_per_source = 16;
  size_t max_queued_bytes = size_t{4} << 20;  // per connection
  absl::Duration connect_timeout = absl::Seconds(30);
  absl::Duration transaction_timeout = absl::Seconds(30);  // §7.3: our SENDs' responses
};

enum class SessionRole : uint8_t { kChat, kFileReceive, kFileSend };

// One negotiated m=message stream.
struct MsrpSession {
  uint64_t call_id = 0;  // the controller's call; with local_session_id the key
  std::string room;
  std::string local_session_id;  // in our a=path (NewSessionId)
  // The peer's a=path. Empty for a passive session registered before the
  // peer's SDP is known (tutti's file offers): the first request on the
  // connection that names the session gives it (its From-Path).
  std::vector<std::string> remote_path;
  bool active = false;  // we connect to remote_path's last URI
  // How the others see this member.
  std::string member_uri;
  std::string member_name;
  std::vector<std::string> accept_types;  // the peer's a=accept-types
  bool accepts_cpim = false;              // message/cpim among them
  SessionRole role = SessionRole::kChat;
  FileDescription file;        // kFileReceive: what the peer offered; kFileSend: ours
  std::string stored_file_id;  // kFileSend: the room's stored file to send
};

// What the MSRP thread tells the control thread (through the sink given).
struct ChatReceived {  // a complete chat message, already relayed to the room's MSRP members
  uint64_t call_id = 0;
  ChatMessage message;
};
struct FileReceived {  // a file offered by a member, stored complete
  uint64_t call_id = 0;
  StoredFile file;
};
struct FileTransferFailed {  // kFileReceive ended without a complete file
  uint64_t call_id = 0;
  std::string why;
};
struct FileSent {  // kFileSend: the member's 200s and success REPORT for every byte, or not
  uint64_t call_id = 0;
  std::string file_id;
  bool ok = false;
  std::string why;
};
struct SessionEnded {  // the connection closed, never came, or was dropped
  uint64_t call_id = 0;
  std::string local_session_id;
  std::string why;
  bool slow = false;  // dropped for not reading what was queued to it
};
using MsrpEvent =
    std::variant<ChatReceived, FileReceived, FileTransferFailed, FileSent, SessionEnded>;

struct MsrpStats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};  // past a bound, or no such session
  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> sessions{0};
  std::atomic<uint64_t> messages_received{0};  // complete chat messages
  std::atomic<uint64_t> messages_relayed{0};   // deliveries to members
  std::atomic<uint64_t> delivery_failures{0};  // a member's error response or timeout
  std::atomic<uint64_t> chunks_received{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> malformed{0};  // frames that did not parse (connection closed)
  std::atomic<uint64_t> slow_dropped{0};
  std::atomic<uint64_t> files_received{0};
  std::atomic<uint64_t> files_failed{0};
  std::atomic<uint64_t> files_sent{0};
};

class MsrpService {
 public:
  using EventSink = std::function<void(MsrpEvent)>;  // called on the MSRP thread

  // `files` may be null (file sessions are then refused); it outlives this.
  MsrpService(MsrpOptions options, FileStore* files, EventSink sink);
  ~MsrpService();  // Stop()
  MsrpService(const MsrpService&) = delete;
  MsrpService& operator=(const MsrpService&) = delete;

  absl::Status Start();  // binds the listening socket, starts the thread
  void Stop();           // closes every connection, joins the thread

  uint16_t port() const;  // the bound port (after Start)
  // Our a=path for `session_id`: msrp://<advertised host>:<port>/<session_id>;tcp
  std::string LocalPath(std::string_view session_id) const;

  void AddSession(MsrpSession session);
  void RemoveSession(uint64_t call_id, std::string_view local_session_id);
  // A message from a pager-mode member or the API, to every MSRP chat
  // member of message.room but its sender (message.sender_call).
  void Deliver(const ChatMessage& message);

  const MsrpStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tutti::msrp
