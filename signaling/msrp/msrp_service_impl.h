// The inside of MsrpService, shared by its three files: msrp_service.cc
// (the thread, sockets, binding connections to sessions, transactions and
// their deadlines, sessions' ends), msrp_service_chat.cc (the chat switch's
// routing) and msrp_service_files.cc (file sessions). Everything here runs
// on the MSRP thread, but the constructor and Start/Stop.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/event_loop.h"
#include "signaling/msrp/chat_switch.h"
#include "signaling/msrp/file_transfer.h"
#include "signaling/msrp/msrp_connection.h"
#include "signaling/msrp/msrp_service.h"

namespace tutti::msrp {

// A member's message being relayed: to whom a failure REPORT goes when a
// delivery of it fails (once per message), and whether the member asked.
struct RelayOrigin {
  std::string session_id;
  std::string message_id;
  uint64_t bytes = 0;
  bool wants_failure_report = false;
  bool reported = false;
};
// One copy of a message to one member: failed once, however many chunks.
struct Delivery {
  std::shared_ptr<RelayOrigin> origin;  // null: from Deliver()
  bool failed = false;
};

// A SEND of ours waiting for its response.
struct PendingSend {
  enum class Kind : uint8_t { kBind, kRelay, kFileChunk } kind = Kind::kBind;
  std::shared_ptr<Delivery> delivery;  // kRelay
};

inline constexpr size_t kMaxWaitingMessages = 64;

struct ServiceSession {
  ServiceSession(MsrpSession s, const MsrpOptions& options, MsrpUri local);
  MsrpSession info;
  MsrpUri local_uri;
  std::vector<std::string> local_path;  // our From-Path to it
  uint64_t connection = 0;              // 0: none yet
  bool established = false;             // bound (they connected) or connected (we did)
  bool dropping = false;                // too slow: being dropped; nothing more queued
  absl::Time connect_deadline;
  MessageAssembler assembler;
  std::unique_ptr<FileReceiver> receiver;
  std::unique_ptr<FileSender> sender;
  absl::flat_hash_map<std::string, PendingSend> pending;     // by transaction id
  std::deque<std::pair<absl::Time, std::string>> deadlines;  // in send order
  // Chat messages for a member whose connection is not up yet (its 200 OK
  // is on its way, or it is connecting): relayed once it is, so nothing
  // sent to the room meanwhile is lost. Bounded (kMaxWaitingMessages and
  // max_queued_bytes); past the bound a message fails for this member.
  struct Waiting {
    ChatMessage message;
    std::shared_ptr<RelayOrigin> origin;
  };
  std::deque<Waiting> waiting;
  size_t waiting_bytes = 0;
};

struct ServiceConnection {
  std::unique_ptr<MsrpConnection> socket;
  std::string session_id;  // "" until its first request names one
  bool inbound = false;
  absl::Time bind_deadline;
};

struct MsrpService::Impl {
  Impl(MsrpOptions o, FileStore* f, EventSink s);

  // ---- msrp_service.cc ----
  void Run();
  void Teardown();
  void ScheduleSweep();
  void OnAcceptable();
  uint64_t Register(int fd, std::string peer, bool inbound, bool connecting);
  void OnConnectionEvent(uint64_t id, uint32_t events);
  void OnConnected(uint64_t id, ServiceConnection& connection);
  void ReadFrom(uint64_t id);
  void OnFrameError(ServiceConnection& connection, const FrameResult& frame);
  void HandleMessage(uint64_t id, MsrpMessage& message);
  bool Bind(uint64_t id, ServiceConnection& connection, const MsrpMessage& request);
  ServiceSession* NamedSession(const MsrpMessage& request);
  void HandleRequest(ServiceSession& session, const MsrpMessage& request);
  void HandleResponse(ServiceSession& session, const MsrpMessage& response);
  void Respond(ServiceSession& session, const MsrpMessage& request, int code,
               std::string_view comment);
  void ReportReceived(ServiceSession& session, const MsrpMessage& chunk, uint64_t bytes, int code,
                      std::string_view comment);
  // Queues bytes to a session's connection; false when it is too slow (it
  // is then dropped once the current work is done).
  bool QueueTo(ServiceSession& session, std::string bytes);
  bool QueueSend(ServiceSession& session, const std::string& transaction_id, std::string bytes,
                 PendingSend pending);
  void AddSessionNow(MsrpSession session);
  void ConnectActive(ServiceSession& session);
  void SendBindingSend(ServiceSession& session);
  void OnEstablished(ServiceSession& session);
  void CloseConnection(uint64_t id, std::string_view why);
  void EraseConnection(uint64_t id);
  void EndSession(const std::string& session_id, std::string_view why, bool slow, bool notify);
  void FailPending(ServiceSession& session, int code, std::string_view comment);
  void OnSendFailed(ServiceSession& session, const PendingSend& pending, int code,
                    std::string_view comment);
  void DropSlow(const std::string& session_id);
  void Sweep();
  void SweepSession(ServiceSession& session, absl::Time now);
  void Emit(MsrpEvent event) {
    if (sink && !stopping) sink(std::move(event));
  }
  MsrpUri LocalUri(std::string_view session_id) const;

  // ---- msrp_service_chat.cc ----
  void OnChatChunk(ServiceSession& session, const MsrpMessage& chunk);
  void RelayToRoom(const ChatMessage& message, const std::shared_ptr<RelayOrigin>& origin);
  // A member not connected yet: the message waits for it (bounded).
  void HoldFor(ServiceSession& recipient, const ChatMessage& message,
               const std::shared_ptr<RelayOrigin>& origin);
  // Its connection is up: what waited for it goes now.
  void RelayWaiting(ServiceSession& session);
  void RelayTo(ServiceSession& recipient, const ChatMessage& message,
               const std::shared_ptr<RelayOrigin>& origin);
  void OnDeliveryFailed(Delivery& delivery, int code, std::string_view comment);

  // ---- msrp_service_files.cc ----
  void OnFileChunk(ServiceSession& session, const MsrpMessage& chunk);
  void StartFileSend(ServiceSession& session);
  void PumpFile(ServiceSession& session);
  void OnFileChunkAnswered(ServiceSession& session, int code, std::string_view comment);
  void OnFileReport(ServiceSession& session, const MsrpMessage& report);
  void CheckFileSent(ServiceSession& session);
  void FinishFileSend(ServiceSession& session, bool ok, std::string why);
  void EndFileTransfers(ServiceSession& session, std::string_view why);

  const MsrpOptions options;
  FileStore* const files;
  const EventSink sink;
  MsrpStats stats;
  EventLoop loop;
  std::thread thread;
  int listen_fd = -1;
  bool stopping = false;
  std::atomic<uint16_t> port{0};
  uint64_t next_connection_id = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<ServiceConnection>> connections;
  absl::flat_hash_map<std::string, int> per_source;
  absl::flat_hash_map<std::string, std::unique_ptr<ServiceSession>> sessions;
  // room -> its chat sessions (by local session id)
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> rooms;
};

}  // namespace tutti::msrp
