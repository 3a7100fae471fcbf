#include "signaling/msrp/file_transfer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/strings.h"

namespace tutti::msrp {

FileReceiver::FileReceiver(FileStore* store, const MsrpSession& session)
    : store_(store), session_(session) {}

FileReceiver::~FileReceiver() = default;

uint64_t FileReceiver::bytes_received() const {
  return upload_ != nullptr ? upload_->bytes_received() : 0;
}

FileReceiver::Result FileReceiver::Fail(int status, std::string why) {
  upload_.reset();  // the partial file goes
  over_ = true;
  return Result{Result::Kind::kFailed, status, std::move(why), {}};
}

FileReceiver::Result FileReceiver::Add(const MsrpMessage& chunk) {
  using Kind = Result::Kind;
  if (over_) return Result{Kind::kRejected, 403, "the file was already received", {}};
  if (upload_ == nullptr) {
    auto upload = store_->BeginUpload(session_.room, session_.file, session_.member_uri);
    if (!upload.ok()) {
      const bool full =
          absl::IsResourceExhausted(upload.status()) || absl::IsOutOfRange(upload.status());
      return Fail(full ? 413 : 400, std::string(upload.status().message()));
    }
    upload_ = std::move(*upload);
    message_id_ = chunk.message_id;
  } else if (chunk.message_id != message_id_) {
    return Result{Kind::kRejected, 400, "one file per session", {}};
  }
  if (chunk.continuation == Continuation::kAbort) return Fail(200, "the sender aborted the file");
  const ByteRange range = chunk.byte_range.value_or(ByteRange{});
  if (range.start == 0) return Fail(400, "bad Byte-Range");
  if (absl::Status s = upload_->Write(range.start - 1, chunk.body); !s.ok()) {
    return Fail(absl::IsOutOfRange(s) ? 413 : 400, std::string(s.message()));
  }
  if (chunk.continuation == Continuation::kMore) return Result{};
  absl::StatusOr<StoredFile> stored = upload_->Finish();
  if (!stored.ok()) return Fail(400, std::string(stored.status().message()));
  upload_.reset();
  over_ = true;
  return Result{Kind::kDone, 200, "", *std::move(stored)};
}

absl::StatusOr<std::unique_ptr<FileSender>> FileSender::Open(const StoredFile& file,
                                                             size_t chunk_bytes) {
  const int fd = open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(StrCat("cannot open ", file.path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<FileSender>(new FileSender(file, fd, chunk_bytes));
}

FileSender::FileSender(StoredFile file, int fd, size_t chunk_bytes)
    : file_(std::move(file)), fd_(fd), chunk_bytes_(chunk_bytes), message_id_(NewMessageId()) {}

FileSender::~FileSender() { close(fd_); }

absl::StatusOr<std::string> FileSender::NextChunk(MsrpMessage head, std::string* transaction_id) {
  const uint64_t length = std::min<uint64_t>(chunk_bytes_, file_.size - next_offset_);
  head.body.resize(length);
  size_t done = 0;
  while (done < length) {  // pread may return less than asked
    const ssize_t n =
        pread(fd_, head.body.data() + done, length - done, static_cast<off_t>(next_offset_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::DataLossError(StrCat("cannot read ", file_.path, " at ", next_offset_ + done));
    }
    done += static_cast<size_t>(n);
  }
  head.transaction_id = NewTransactionId();
  head.message_id = message_id_;
  head.content_type = file_.type.empty() ? "application/octet-stream" : file_.type;
  head.success_report = "yes";
  head.byte_range = ByteRange{next_offset_ + 1, next_offset_ + length, file_.size};
  next_offset_ += length;
  queued_all_ = next_offset_ >= file_.size;
  head.continuation = queued_all_ ? Continuation::kEnd : Continuation::kMore;
  ++unacknowledged_;
  *transaction_id = head.transaction_id;
  return WriteMessage(head);
}

bool FileSender::ReportCoversAll(const MsrpMessage& report) const {
  if (report.report_status != 200 || !report.byte_range) return false;
  const ByteRange& range = *report.byte_range;
  return range.start == 1 && range.end.value_or(0) >= file_.size;
}

}  // namespace tutti::msrp
