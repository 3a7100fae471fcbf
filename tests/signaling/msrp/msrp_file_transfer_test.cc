// MsrpService's file sessions (RFC 5547 over MSRP) over real loopback TCP,
// with a FileStore in a temporary folder.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/signaling/msrp/msrp_service_fixture.h"

namespace tutti::msrp {
namespace {

using testing::MsrpServiceTest;
using testing::MsrpTestPeer;

std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + i / 256) & 0xff);
  return bytes;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class MsrpFileTest : public MsrpServiceTest {
 protected:
  void SetUp() override {
    OpenStore();
    StartService();
  }

  // A member offering `bytes` as a file, connected and bound.
  Member Offerer(const std::string& bytes) {
    Member member{NewSession(1, "alice", SessionRole::kFileReceive), {}, {}, {}};
    member.uri = member.session.remote_path.back();
    member.session.file.name = "notes.bin";
    member.session.file.type = "application/octet-stream";
    member.session.file.size = bytes.size();
    AddAndWait(member.session);
    member.peer = MsrpTestPeer::Connect(service_->port());
    return member;
  }

  StoredFile Store(const std::string& bytes, const FileDescription& description) {
    auto upload = store_->BeginUpload("1000", description, "sip:alice@example.com");
    EXPECT_TRUE(upload.ok());
    EXPECT_TRUE((*upload)->Write(0, bytes).ok());
    absl::StatusOr<StoredFile> stored = (*upload)->Finish();
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : StoredFile{};
  }

  // A member tutti sends `file` to, connected and bound by an empty SEND.
  Member Recipient(const StoredFile& file) {
    Member member{NewSession(2, "bob", SessionRole::kFileSend), {}, {}, {}};
    member.uri = member.session.remote_path.back();
    member.session.stored_file_id = file.id;
    AddAndWait(member.session);
    member.peer = MsrpTestPeer::Connect(service_->port());
    EXPECT_TRUE(member.peer.Send(WriteMessage(Request(member, ""))));  // answered 200
    return member;
  }

  MsrpMessage FileHead(const Member& member) {
    MsrpMessage head = Request(member, "");
    head.content_type = "application/octet-stream";
    return head;
  }

  // A member offering `bytes` that has sent the first `part` of them; `head`
  // names the file's message for what it sends next.
  Member OfferPart(const std::string& bytes, size_t part, MsrpMessage* head) {
    Member member = Offerer(bytes);
    *head = FileHead(member);
    SendInChunks(member, *head, bytes, 0, part, 1000);
    return member;
  }
};

TEST_F(MsrpFileTest, AFileReceivedWholeIsStoredAndReported) {
  const std::string bytes = Pattern(5000);
  Member alice = Offerer(bytes);
  MsrpMessage head = FileHead(alice);
  head.success_report = "yes";
  SendInChunks(alice, head, bytes, 0, bytes.size(), 1000);
  std::optional<FileReceived> received = WaitEvent<FileReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->call_id, 1u);
  EXPECT_EQ(received->file.size, 5000u);
  EXPECT_EQ(received->file.sender, "sip:alice@example.com");
  EXPECT_EQ(ReadWhole(received->file.path), bytes);
  EXPECT_EQ(store_->List("1000").size(), 1u);
  std::optional<MsrpMessage> report = alice.peer.ReadRequest();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->method, "REPORT");
  EXPECT_EQ(report->report_status, 200);
  EXPECT_EQ(report->byte_range, (ByteRange{1, 5000, 5000}));
  EXPECT_EQ(service_->stats().files_received.load(), 1u);
}

TEST_F(MsrpFileTest, AFileCutInTheMiddleIsNeverStored) {
  MsrpMessage head;
  Member alice = OfferPart(Pattern(5000), 2000, &head);
  alice.peer.Close();
  std::optional<FileTransferFailed> failed = WaitEvent<FileTransferFailed>();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->call_id, 1u);
  EXPECT_TRUE(WaitEvent<SessionEnded>());
  EXPECT_TRUE(store_->List("1000").empty());
  EXPECT_EQ(service_->stats().files_failed.load(), 1u);
  EXPECT_EQ(service_->stats().files_received.load(), 0u);
}

TEST_F(MsrpFileTest, AnAbortedFileIsNeverStored) {
  const std::string bytes = Pattern(3000);
  MsrpMessage head;
  Member alice = OfferPart(bytes, 1000, &head);
  head.transaction_id = NewTransactionId();
  head.byte_range = ByteRange{1001, 2000, 3000};
  head.body = bytes.substr(1000, 1000);
  head.continuation = Continuation::kAbort;
  ASSERT_TRUE(alice.peer.Send(WriteMessage(head)));
  EXPECT_TRUE(WaitEvent<FileTransferFailed>());
  EXPECT_TRUE(store_->List("1000").empty());
}

TEST_F(MsrpFileTest, AStoredFileIsSentInChunksUntilTheSuccessReport) {
  const std::string bytes = Pattern(40000);  // three chunks of 16 KB at most
  const StoredFile stored = Store(bytes, {"photo.jpg", "image/jpeg", bytes.size(), "", "", ""});
  Member bob = Recipient(stored);
  std::string received;
  std::optional<MsrpMessage> chunk;
  while ((chunk = bob.peer.ReadRequest()) && chunk->continuation == Continuation::kMore) {
    received += chunk->body;
  }
  ASSERT_TRUE(chunk);
  received += chunk->body;
  EXPECT_EQ(received, bytes);
  EXPECT_EQ(chunk->content_type, "image/jpeg");
  EXPECT_EQ(chunk->success_report, "yes");
  // Every chunk answered (the empty SEND's 200 comes after them all), and
  // no success REPORT yet: not sent yet.
  const MsrpMessage probe = Request(bob, "");
  ASSERT_TRUE(bob.peer.Send(WriteMessage(probe)));
  std::optional<MsrpMessage> answer;
  while ((answer = bob.peer.Read()) && answer->transaction_id != probe.transaction_id) {
  }
  ASSERT_TRUE(answer);
  EXPECT_EQ(CountEvents<FileSent>(), 0);
  ASSERT_TRUE(bob.peer.Send(WriteReport({service_->LocalPath(bob.session.local_session_id)},
                                        {bob.uri}, chunk->message_id,
                                        ByteRange{1, bytes.size(), bytes.size()}, 200, "OK")));
  std::optional<FileSent> sent = WaitEvent<FileSent>();
  ASSERT_TRUE(sent);
  EXPECT_TRUE(sent->ok) << sent->why;
  EXPECT_EQ(sent->file_id, stored.id);
  EXPECT_EQ(service_->stats().files_sent.load(), 1u);
}

TEST_F(MsrpFileTest, AMemberThatSendsNoReportIsTakenAtItsAnswers) {
  // Again, with a shorter wait for the success REPORT: 2 s after the last
  // 200 (the same 2 s bound each chunk's 200, ample for a peer on loopback).
  service_->Stop();
  options_.transaction_timeout = absl::Seconds(2);
  StartService();
  const std::string bytes = Pattern(20000);
  Member bob = Recipient(Store(bytes, {"b.bin", "", bytes.size(), "", "", ""}));
  std::string received;
  std::optional<MsrpMessage> chunk;
  while ((chunk = bob.peer.ReadRequest()) && chunk->continuation == Continuation::kMore) {
    received += chunk->body;
  }
  ASSERT_TRUE(chunk);
  EXPECT_EQ(received + chunk->body, bytes);
  std::optional<FileSent> sent = WaitEvent<FileSent>();
  ASSERT_TRUE(sent);
  EXPECT_TRUE(sent->ok);
  EXPECT_NE(sent->why.find("no success REPORT"), std::string::npos) << sent->why;
}

TEST_F(MsrpFileTest, AFileTheMemberRefusesIsNotSent) {
  const std::string bytes = Pattern(1000);
  Member bob = Recipient(Store(bytes, {"a.txt", "text/plain", bytes.size(), "", "", ""}));
  std::optional<MsrpMessage> chunk = bob.peer.ReadRequest(/*answer=*/false);
  ASSERT_TRUE(chunk);
  ASSERT_TRUE(bob.peer.Send(WriteResponse(*chunk, 415, "Unsupported media type")));
  std::optional<FileSent> sent = WaitEvent<FileSent>();
  ASSERT_TRUE(sent);
  EXPECT_FALSE(sent->ok);
  EXPECT_EQ(service_->stats().files_sent.load(), 0u);
}

}  // namespace
}  // namespace tutti::msrp
