// The chat switch's pure parts: reassembly and its bounds, accepted types,
// and the chunks of a relayed message.
#include "signaling/msrp/chat_switch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tutti::msrp {
namespace {

using Verdict = MessageAssembler::Verdict;

MsrpMessage Chunk(std::string id, uint64_t start, std::string body, uint64_t total,
                  Continuation flag) {
  MsrpMessage m;
  m.method = "SEND";
  m.message_id = std::move(id);
  m.content_type = "text/plain";
  m.byte_range = ByteRange{start, start + body.size() - 1, total};
  m.body = std::move(body);
  m.continuation = flag;
  return m;
}

TEST(MessageAssemblerTest, MessagesInPiecesAtOnceShareOneMessagesWorthOfBytes) {
  MessageAssembler assembler(/*max_message_bytes=*/10, /*max_messages_in_progress=*/8);
  EXPECT_EQ(assembler.Add(Chunk("a", 1, "123456", 10, Continuation::kMore)).verdict,
            Verdict::kPartial);
  // b alone would fit; beside a's six bytes it does not.
  EXPECT_EQ(assembler.Add(Chunk("b", 1, "abcdef", 10, Continuation::kMore)).verdict,
            Verdict::kTooLarge);
  MessageAssembler::Result a = assembler.Add(Chunk("a", 7, "7890", 10, Continuation::kEnd));
  EXPECT_EQ(a.verdict, Verdict::kComplete);
  EXPECT_EQ(a.body, "1234567890");
  // With a done, its bytes are free again.
  EXPECT_EQ(assembler.Add(Chunk("c", 1, "abcdef", 10, Continuation::kMore)).verdict,
            Verdict::kPartial);
}

TEST(MessageAssemblerTest, AGapIsABadRangeAndLaterChunksOfATooLargeMessageGet413) {
  MessageAssembler assembler(10, 8);
  EXPECT_EQ(assembler.Add(Chunk("a", 1, "12", 6, Continuation::kMore)).verdict, Verdict::kPartial);
  EXPECT_EQ(assembler.Add(Chunk("a", 5, "56", 6, Continuation::kEnd)).verdict, Verdict::kBadRange);
  EXPECT_EQ(assembler.Add(Chunk("big", 1, "12345", 50, Continuation::kMore)).verdict,
            Verdict::kTooLarge);
  EXPECT_EQ(assembler.Add(Chunk("big", 6, "6", 50, Continuation::kMore)).verdict,
            Verdict::kTooLarge);
  EXPECT_EQ(assembler.Add(Chunk("big", 7, "7", 50, Continuation::kEnd)).verdict,
            Verdict::kTooLarge);
  EXPECT_EQ(assembler.in_progress(), 0u);
}

TEST(ChatSwitchTest, AcceptedTypesHonourWildcardsAndIgnoreParameters) {
  EXPECT_TRUE(AcceptsType({"text/*"}, "text/html"));
  EXPECT_TRUE(AcceptsType({"TEXT/plain"}, "text/plain; charset=utf-8"));
  EXPECT_TRUE(AcceptsType({"*"}, "image/png"));
  EXPECT_TRUE(AcceptsType({}, "image/png"));
  EXPECT_FALSE(AcceptsType({"text/plain"}, "text/html"));
  EXPECT_FALSE(AcceptsType({"tex/*"}, "text/html"));
}

TEST(ChatSwitchTest, ChunksCoverTheBodyWithRangesAndFlags) {
  const MsrpMessage head{.method = "SEND",
                         .to_path = {"msrp://127.0.0.1:1/a;tcp"},
                         .from_path = {"msrp://127.0.0.1:2/b;tcp"},
                         .message_id = "message-1",
                         .content_type = "text/plain"};
  std::vector<MsrpMessage> chunks;
  WriteChunks(head, "abcdefghij", 4, [&](const std::string& id, std::string bytes) {
    FrameResult frame = ParseFrame(bytes);
    ASSERT_EQ(frame.kind, FrameResult::Kind::kMessage) << frame.error << "\n" << bytes;
    EXPECT_EQ(frame.message.transaction_id, id);
    chunks.push_back(frame.message);
  });
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].byte_range, (ByteRange{1, 4, 10}));
  EXPECT_EQ(chunks[2].byte_range, (ByteRange{9, 10, 10}));
  EXPECT_EQ(chunks[1].continuation, Continuation::kMore);
  EXPECT_EQ(chunks[2].continuation, Continuation::kEnd);
  EXPECT_EQ(chunks[0].body + chunks[1].body + chunks[2].body, "abcdefghij");
  EXPECT_NE(chunks[0].transaction_id, chunks[1].transaction_id);
}

}  // namespace
}  // namespace tutti::msrp
