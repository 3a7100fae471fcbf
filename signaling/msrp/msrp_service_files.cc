// File sessions of the MSRP service (RFC 5547 over RFC 4975): the file a
// member offers, received into the FileStore; a stored file sent to a
// member who accepted tutti's offer.
//
// A sent file is reported sent (FileSent{ok}) when every chunk got its 200
// and the member's success REPORT covers every byte; a member that answers
// every chunk but sends no REPORT within transaction_timeout of the last
// 200 is taken at its 200s (ok, and `why` says so): RFC 4975 lets a
// receiver leave REPORTs out, and the 200s already say each chunk arrived.
#include <string>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/msrp/msrp_service_impl.h"

namespace tutti::msrp {
namespace {

// Chunks of a file in flight to a member: enough to fill the pipe, few
// enough that a member who stops answering costs little.
constexpr int kFileWindowChunks = 64;

}  // namespace

void MsrpService::Impl::OnFileChunk(ServiceSession& session, const MsrpMessage& chunk) {
  if (session.receiver == nullptr) {
    session.receiver = std::make_unique<FileReceiver>(files, session.info);
  }
  FileReceiver::Result result = session.receiver->Add(chunk);
  Respond(session, chunk, result.status, result.status == 200 ? "OK" : result.why);
  using Kind = FileReceiver::Result::Kind;
  if (result.kind == Kind::kDone) {
    if (chunk.success_report == "yes") {
      ReportReceived(session, chunk, result.file.size, 200, "OK");
    }
    stats.files_received.fetch_add(1, std::memory_order_relaxed);
    LogInfo("msrp", "file received")
        .With("call_id", session.info.call_id)
        .With("room", session.info.room)
        .With("bytes", result.file.size);
    Emit(FileReceived{session.info.call_id, std::move(result.file)});
  } else if (result.kind == Kind::kFailed) {
    stats.files_failed.fetch_add(1, std::memory_order_relaxed);
    Emit(FileTransferFailed{session.info.call_id, std::move(result.why)});
  }
}

void MsrpService::Impl::StartFileSend(ServiceSession& session) {
  std::optional<StoredFile> stored = files->Find(session.info.room, session.info.stored_file_id);
  absl::StatusOr<std::unique_ptr<FileSender>> sender =
      stored ? FileSender::Open(*stored, options.chunk_bytes)
             : absl::NotFoundError("no such file in the room");
  if (!sender.ok()) {
    Emit(FileSent{session.info.call_id, session.info.stored_file_id, false,
                  std::string(sender.status().message())});
    return;
  }
  session.sender = *std::move(sender);
  PumpFile(session);
}

void MsrpService::Impl::PumpFile(ServiceSession& session) {
  FileSender* sender = session.sender.get();
  if (sender == nullptr || sender->finished || session.dropping) return;
  auto connection = connections.find(session.connection);
  if (connection == connections.end()) return;
  const MsrpConnection& socket = *connection->second->socket;
  // Read from disk only what the member takes: the queue holds at most two
  // chunks beyond what the kernel accepted.
  while (!sender->all_queued() && sender->unacknowledged() < kFileWindowChunks &&
         socket.queued_bytes() < 2 * options.chunk_bytes) {
    MsrpMessage head;
    head.method = "SEND";
    head.to_path = session.info.remote_path;
    head.from_path = session.local_path;
    std::string transaction_id;
    absl::StatusOr<std::string> chunk = sender->NextChunk(std::move(head), &transaction_id);
    if (!chunk.ok()) {
      FinishFileSend(session, false, std::string(chunk.status().message()));
      return;
    }
    if (!QueueSend(session, transaction_id, *std::move(chunk),
                   PendingSend{PendingSend::Kind::kFileChunk, nullptr})) {
      return;
    }
  }
}

void MsrpService::Impl::OnFileChunkAnswered(ServiceSession& session, int code,
                                            std::string_view comment) {
  FileSender* sender = session.sender.get();
  if (sender == nullptr || sender->finished) return;
  if (code != 200) {
    FinishFileSend(session, false, StrCat("the member answered ", code, " ", comment));
    return;
  }
  sender->OnChunkAcknowledged();
  CheckFileSent(session);
  PumpFile(session);
}

void MsrpService::Impl::OnFileReport(ServiceSession& session, const MsrpMessage& report) {
  FileSender* sender = session.sender.get();
  if (sender == nullptr || sender->finished || report.message_id != sender->message_id()) return;
  if (report.report_status != 200) {
    FinishFileSend(
        session, false,
        StrCat("the member reported ", report.report_status, " ", report.report_comment));
    return;
  }
  if (sender->ReportCoversAll(report)) sender->report_ok = true;
  CheckFileSent(session);
}

void MsrpService::Impl::CheckFileSent(ServiceSession& session) {
  FileSender& sender = *session.sender;
  if (!sender.all_acknowledged()) return;
  if (sender.report_ok) {
    FinishFileSend(session, true, "");
  } else if (sender.report_deadline == absl::InfiniteFuture()) {
    sender.report_deadline = loop.Now() + options.transaction_timeout;  // Sweep decides
  }
}

void MsrpService::Impl::FinishFileSend(ServiceSession& session, bool ok, std::string why) {
  FileSender& sender = *session.sender;
  if (sender.finished) return;
  sender.finished = true;
  if (ok) stats.files_sent.fetch_add(1, std::memory_order_relaxed);
  LogInfo("msrp", ok ? "file sent" : "file not sent")
      .With("call_id", session.info.call_id)
      .With("file", sender.file().id)
      .With("why", why);
  Emit(FileSent{session.info.call_id, sender.file().id, ok, std::move(why)});
}

void MsrpService::Impl::EndFileTransfers(ServiceSession& session, std::string_view why) {
  if (session.receiver != nullptr && session.receiver->in_progress()) {
    session.receiver.reset();  // the partial file goes; nothing is listed
    stats.files_failed.fetch_add(1, std::memory_order_relaxed);
    Emit(FileTransferFailed{session.info.call_id, StrCat("cut: ", why)});
  }
  if (session.sender != nullptr && !session.sender->finished) {
    FinishFileSend(session, false, StrCat("cut: ", why));
  }
}

}  // namespace tutti::msrp
