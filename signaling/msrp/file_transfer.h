// File transfers over MSRP (RFC 5547) for the MSRP service: receiving the
// one file a member offers into the FileStore, and sending a stored file
// to a member in chunks read from disk (never the whole file in memory).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_message.h"
#include "signaling/msrp/msrp_service.h"

namespace tutti::msrp {

// kFileReceive: the chunks of the offered file, written where their
// Byte-Range says. Destroyed before kDone: the partial file goes with it.
class FileReceiver {
 public:
  struct Result {
    enum class Kind {
      kMore,      // 200, more to come
      kDone,      // 200, `file` stored complete
      kRejected,  // `status` for this chunk; the transfer goes on
      kFailed,    // `status` for this chunk; the transfer is over, nothing stored
    } kind = Kind::kMore;
    int status = 200;
    std::string why;
    StoredFile file;
  };

  FileReceiver(FileStore* store, const MsrpSession& session);
  ~FileReceiver();
  Result Add(const MsrpMessage& chunk);
  bool in_progress() const { return upload_ != nullptr; }
  uint64_t bytes_received() const;

 private:
  Result Fail(int status, std::string why);

  FileStore* store_;
  const MsrpSession& session_;
  std::unique_ptr<FileUpload> upload_;
  std::string message_id_;  // the file's Message-ID, from its first chunk
  bool over_ = false;
};

// kFileSend: a stored file's chunks, one at a time, with Success-Report:
// yes; which chunks were acknowledged, and whether the success REPORT
// covered every byte.
class FileSender {
 public:
  // Opens the file's bytes (its path in the store).
  static absl::StatusOr<std::unique_ptr<FileSender>> Open(const StoredFile& file,
                                                          size_t chunk_bytes);
  ~FileSender();
  FileSender(const FileSender&) = delete;
  FileSender& operator=(const FileSender&) = delete;

  const std::string& message_id() const { return message_id_; }
  const StoredFile& file() const { return file_; }
  bool all_queued() const { return queued_all_; }
  int unacknowledged() const { return unacknowledged_; }
  // The next chunk: `head` gives its paths; the bytes come from disk.
  absl::StatusOr<std::string> NextChunk(MsrpMessage head, std::string* transaction_id);
  void OnChunkAcknowledged() { --unacknowledged_; }
  bool all_acknowledged() const { return queued_all_ && unacknowledged_ == 0; }
  // A REPORT for our message: true when it says 200 for bytes 1..size.
  bool ReportCoversAll(const MsrpMessage& report) const;

  bool finished = false;  // FileSent was told
  bool report_ok = false;
  absl::Time report_deadline = absl::InfiniteFuture();

 private:
  FileSender(StoredFile file, int fd, size_t chunk_bytes);

  StoredFile file_;
  int fd_;
  size_t chunk_bytes_;
  std::string message_id_;
  uint64_t next_offset_ = 0;
  bool queued_all_ = false;
  int unacknowledged_ = 0;
};

}  // namespace tutti::msrp
