#include "mixer/video_rewriter.h"

#include <cstdint>
#include <optional>

#include "gtest/gtest.h"

namespace tutti::mixer {
namespace {

constexpr uint32_t kOut = 0x0a0b0c0d;
constexpr uint32_t kA = 0x11111111;
constexpr uint32_t kB = 0x22222222;
constexpr uint32_t kC = 0x33333333;
constexpr int64_t kMs = 1000;

// One source's packet as the router hands it over.
struct In {
  uint32_t ssrc;
  uint16_t sequence;
  uint32_t timestamp;
  int32_t picture_id = -1;
  int32_t tl0picidx = -1;
};

std::optional<VideoRewriter::Fields> Send(VideoRewriter& w, const In& p, int64_t now_us) {
  return w.Rewrite(p.ssrc, p.sequence, p.timestamp, p.picture_id, p.tl0picidx, now_us);
}

// The fields of a packet that must be forwarded.
VideoRewriter::Fields Out(VideoRewriter& w, const In& p, int64_t now_us) {
  const auto fields = Send(w, p, now_us);
  EXPECT_TRUE(fields.has_value()) << "source seq " << p.sequence << " dropped";
  return fields.value_or(VideoRewriter::Fields{});
}

void ExpectFields(const VideoRewriter::Fields& f, uint16_t sequence, uint32_t timestamp,
                  int32_t picture_id, int32_t tl0picidx) {
  EXPECT_EQ(f.sequence, sequence);
  EXPECT_EQ(f.timestamp, timestamp);
  EXPECT_EQ(f.picture_id, picture_id);
  EXPECT_EQ(f.tl0picidx, tl0picidx);
}

TEST(VideoRewriterTest, NothingIsForwardedBeforeASource) {
  VideoRewriter w(kOut, 100, 5000);
  EXPECT_EQ(w.ssrc(), kOut);
  EXPECT_FALSE(Send(w, {kA, 1, 1}, 0).has_value());
}

TEST(VideoRewriterTest, TheFirstSourceStartsAtTheGivenSequenceAndTimestamp) {
  VideoRewriter w(kOut, 1000, 5000);
  w.SwitchTo(kA);
  // The first source's own picture ids go through.
  ExpectFields(Out(w, {kA, 30000, 777, 10, 3}, 0), 1000, 5000, 10, 3);
  ExpectFields(Out(w, {kA, 30001, 777, 10, 3}, 1 * kMs), 1001, 5000, 10, 3);
  ExpectFields(Out(w, {kA, 30002, 777 + 3000, 11, 4}, 33 * kMs), 1002, 8000, 11, 4);
}

TEST(VideoRewriterTest, ASwitchRunsOnFromTheLastPacketSent) {
  VideoRewriter w(kOut, 1000, 5000);
  w.SwitchTo(kA);
  Out(w, {kA, 10, 90000, 200, 40}, 0);
  const auto last = Out(w, {kA, 11, 93000, 201, 41}, 33 * kMs);
  w.SwitchTo(kB);
  // B's keyframe 40 ms later: the picture follows after the time that passed.
  ExpectFields(Out(w, {kB, 5000, 123456789, 7000, 9}, 73 * kMs), last.sequence + 1,
               last.timestamp + 40 * 90, last.picture_id + 1, last.tl0picidx + 1);
  // ...and B's own steps from there.
  ExpectFields(Out(w, {kB, 5001, 123456789 + 3000, 7001, 9}, 106 * kMs), last.sequence + 2,
               last.timestamp + 40 * 90 + 3000, last.picture_id + 2, last.tl0picidx + 1);
}

TEST(VideoRewriterTest, TheTimestampAdvancesAtLeastOneTickAtASwitch) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  const auto last = Out(w, {kA, 1, 500}, 10 * kMs);
  w.SwitchTo(kB);
  EXPECT_EQ(Out(w, {kB, 9, 42}, 10 * kMs).timestamp, last.timestamp + 1);  // no time passed
  const auto b = Out(w, {kB, 10, 42}, 10 * kMs);
  w.SwitchTo(kA);
  EXPECT_EQ(Out(w, {kA, 20, 42}, 5 * kMs).timestamp, b.timestamp + 1);  // the clock went back
}

TEST(VideoRewriterTest, FifteenBitPictureIdsWrapAcrossASwitch) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  EXPECT_EQ(Out(w, {kA, 1, 0, 32766, 254}, 0).picture_id, 32766);
  const auto last = Out(w, {kA, 2, 3000, 32767, 255}, 33 * kMs);
  EXPECT_EQ(last.picture_id, 32767);
  w.SwitchTo(kB);
  // Both wrap: the picture id at 15 bits, TL0PICIDX at 8.
  ExpectFields(Out(w, {kB, 70, 9, 1234, 17}, 66 * kMs), 2, 3000 + 33 * 90, 0, 0);
  ExpectFields(Out(w, {kB, 71, 3009, 1235, 18}, 99 * kMs), 3, 6000 + 33 * 90, 1, 1);
}

TEST(VideoRewriterTest, SevenBitPictureIdsRunOnModulo128) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  Out(w, {kA, 1, 0, 3, 1}, 0);
  w.SwitchTo(kB);
  // B sends 7-bit ids that wrap 127 -> 0 inside its segment; a 7-bit
  // descriptor carries the outbound id mod 128, which must step by one.
  int expected = 4;
  uint32_t timestamp = 0;
  for (int32_t id : {120, 121, 122, 123, 124, 125, 126, 127, 0, 1, 2}) {
    const auto f = Out(w, {kB, static_cast<uint16_t>(100 + expected), timestamp, id, -1},
                       (33 + expected) * kMs);
    EXPECT_EQ(f.picture_id % 128, expected % 128) << "source id " << id;
    EXPECT_EQ(f.tl0picidx, -1);  // none sent, none made up
    ++expected;
    timestamp += 3000;
  }
}

TEST(VideoRewriterTest, TheSourceSequenceWrapsInsideASegment) {
  VideoRewriter w(kOut, 4000, 0);
  w.SwitchTo(kA);
  uint16_t source = 65533;
  for (uint16_t out = 4000; out < 4006; ++out) {
    EXPECT_EQ(Out(w, {kA, source++, 0}, 0).sequence, out);
  }
}

TEST(VideoRewriterTest, TheOutputSequenceWrapsAcrossASwitch) {
  VideoRewriter w(kOut, 65534, 0);
  w.SwitchTo(kA);
  EXPECT_EQ(Out(w, {kA, 10, 0}, 0).sequence, 65534);
  EXPECT_EQ(Out(w, {kA, 11, 0}, 0).sequence, 65535);
  w.SwitchTo(kB);
  EXPECT_EQ(Out(w, {kB, 300, 0}, 1 * kMs).sequence, 0);
  EXPECT_EQ(Out(w, {kB, 301, 0}, 1 * kMs).sequence, 1);
  // OriginOf maps back across the output wrap.
  ASSERT_TRUE(w.OriginOf(65535).has_value());
  EXPECT_EQ(w.OriginOf(65535)->source_ssrc, kA);
  EXPECT_EQ(w.OriginOf(65535)->sequence, 11);
}

TEST(VideoRewriterTest, ALongSegmentRunsOnPastSeveralWraps) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  uint16_t source = 40000;
  uint16_t expected = 0;
  for (int i = 0; i < 140000; ++i) {
    const auto f = Send(w, {kA, source++, 0}, 0);
    ASSERT_TRUE(f.has_value()) << i;
    ASSERT_EQ(f->sequence, expected++) << i;
  }
  const auto origin = w.OriginOf(static_cast<uint16_t>(expected - 100));
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->sequence, static_cast<uint16_t>(source - 100));
  EXPECT_FALSE(w.OriginOf(expected).has_value());  // the next one is not sent yet
}

TEST(VideoRewriterTest, TheTimestampWraps) {
  VideoRewriter w(kOut, 0, 0xffffff00u);
  w.SwitchTo(kA);
  EXPECT_EQ(Out(w, {kA, 1, 1000}, 0).timestamp, 0xffffff00u);
  EXPECT_EQ(Out(w, {kA, 2, 4000}, 33 * kMs).timestamp, 0xffffff00u + 3000u);  // wrapped
  const uint32_t last = Out(w, {kA, 3, 7000}, 66 * kMs).timestamp;
  w.SwitchTo(kB);
  EXPECT_EQ(Out(w, {kB, 1, 0xfffffff0u}, 100 * kMs).timestamp, last + 34 * 90);
  EXPECT_EQ(Out(w, {kB, 2, 0xfffffff0u + 3000u}, 133 * kMs).timestamp, last + 34 * 90 + 3000);
}

TEST(VideoRewriterTest, LatePacketsOfTheOldSourceAreDroppedAfterASwitch) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  Out(w, {kA, 100, 0}, 0);
  Out(w, {kA, 101, 0}, 0);
  w.SwitchTo(kB);
  EXPECT_FALSE(Send(w, {kA, 102, 0}, 1 * kMs).has_value());  // A is no longer shown
  const auto first_b = Out(w, {kB, 500, 0}, 2 * kMs);
  EXPECT_EQ(first_b.sequence, 2);
  EXPECT_FALSE(Send(w, {kA, 103, 0}, 3 * kMs).has_value());
  // B's own packets from before its keyframe would reuse outbound numbers.
  EXPECT_FALSE(Send(w, {kB, 499, 0}, 3 * kMs).has_value());
  EXPECT_FALSE(Send(w, {kB, 480, 0}, 3 * kMs).has_value());
  EXPECT_EQ(Out(w, {kB, 501, 0}, 4 * kMs).sequence, 3);
}

TEST(VideoRewriterTest, SourceLossStaysAGapAndLateFillsIt) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  EXPECT_EQ(Out(w, {kA, 10, 0}, 0).sequence, 0);
  EXPECT_EQ(Out(w, {kA, 11, 0}, 0).sequence, 1);
  EXPECT_EQ(Out(w, {kA, 14, 0}, 0).sequence, 4);  // 12 and 13 lost: the receiver NACKs 2, 3
  EXPECT_EQ(Out(w, {kA, 12, 0}, 0).sequence, 2);  // late, into its gap
  EXPECT_EQ(Out(w, {kA, 15, 0}, 0).sequence, 5);  // the late one did not move the newest
  // The loss maps back to the source's number (the source may resend it).
  ASSERT_TRUE(w.OriginOf(3).has_value());
  EXPECT_EQ(w.OriginOf(3)->sequence, 13);
}

TEST(VideoRewriterTest, ALatePacketDoesNotMoveTheSwitchPoint) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  Out(w, {kA, 10, 3000}, 0);
  const auto newest = Out(w, {kA, 13, 9000}, 66 * kMs);
  EXPECT_EQ(Out(w, {kA, 11, 6000}, 70 * kMs).sequence, 1);  // late, into its gap
  w.SwitchTo(kB);
  const auto f = Out(w, {kB, 90, 1}, 86 * kMs);
  EXPECT_EQ(f.sequence, newest.sequence + 1);  // not 2: 2 and 3 are taken
  EXPECT_EQ(f.timestamp, newest.timestamp + 20 * 90);
}

TEST(VideoRewriterTest, OriginOfMapsBackAcrossTwoSwitches) {
  VideoRewriter w(kOut, 1000, 0);
  w.SwitchTo(kA);
  for (uint16_t s = 100; s <= 104; ++s) Out(w, {kA, s, 9000, 50, 5}, 0);
  w.SwitchTo(kB);
  for (uint16_t s = 500; s <= 502; ++s) Out(w, {kB, s, 77, 9, 1}, 10 * kMs);
  w.SwitchTo(kC);
  const auto c7 = Out(w, {kC, 7, 123, -1, -1}, 20 * kMs);
  Out(w, {kC, 8, 123}, 20 * kMs);

  struct Case {
    uint16_t out;
    uint32_t ssrc;
    uint16_t sequence;
  };
  for (const Case& c :
       {Case{1000, kA, 100}, Case{1002, kA, 102}, Case{1004, kA, 104}, Case{1005, kB, 500},
        Case{1006, kB, 501}, Case{1007, kB, 502}, Case{1008, kC, 7}, Case{1009, kC, 8}}) {
    const auto origin = w.OriginOf(c.out);
    ASSERT_TRUE(origin.has_value()) << c.out;
    EXPECT_EQ(origin->source_ssrc, c.ssrc) << c.out;
    EXPECT_EQ(origin->sequence, c.sequence) << c.out;
    EXPECT_EQ(origin->out_sequence, c.out);
  }
  EXPECT_FALSE(w.OriginOf(1010).has_value());  // not sent yet
  EXPECT_FALSE(w.OriginOf(999).has_value());   // before the first packet

  // A cached packet resent through its origin comes out as it was sent.
  const auto origin_c = w.OriginOf(1008);
  ASSERT_TRUE(origin_c.has_value());
  const auto again = origin_c->Outbound(123, -1, -1);
  EXPECT_EQ(again.sequence, c7.sequence);
  EXPECT_EQ(again.timestamp, c7.timestamp);
  EXPECT_EQ(again.picture_id, -1);
}

TEST(VideoRewriterTest, AResentPacketKeepsItsRewrittenFields) {
  VideoRewriter w(kOut, 1000, 0);
  w.SwitchTo(kA);
  Out(w, {kA, 1, 100, 300, 30}, 0);
  w.SwitchTo(kB);
  const auto sent = Out(w, {kB, 40, 5000, 12000, 200}, 30 * kMs);
  Out(w, {kB, 41, 8000, 12001, 201}, 60 * kMs);
  w.SwitchTo(kA);
  Out(w, {kA, 9, 900, 308, 38}, 90 * kMs);
  const auto origin = w.OriginOf(sent.sequence);
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->source_ssrc, kB);
  EXPECT_EQ(origin->sequence, 40);
  ExpectFields(origin->Outbound(5000, 12000, 200), sent.sequence, sent.timestamp, sent.picture_id,
               sent.tl0picidx);
}

TEST(VideoRewriterTest, OriginOfForgetsSegmentsBeyondItsHistory) {
  VideoRewriter w(kOut, 0, 0);
  // kHistorySegments + 1 segments of two packets each, alternating A and B.
  for (int i = 0; i <= VideoRewriter::kHistorySegments; ++i) {
    const uint32_t source = i % 2 == 0 ? kA : kB;
    w.SwitchTo(source);
    const auto base = static_cast<uint16_t>(100 * i);
    Out(w, {source, base, 0}, i * kMs);
    Out(w, {source, static_cast<uint16_t>(base + 1), 0}, i * kMs);
  }
  EXPECT_FALSE(w.OriginOf(0).has_value());  // the first segment is forgotten
  EXPECT_FALSE(w.OriginOf(1).has_value());
  const auto oldest_kept = w.OriginOf(2);
  ASSERT_TRUE(oldest_kept.has_value());
  EXPECT_EQ(oldest_kept->source_ssrc, kB);
  EXPECT_EQ(oldest_kept->sequence, 100);
}

TEST(VideoRewriterTest, SwitchingBackToAnEarlierSourceStartsANewSegment) {
  VideoRewriter w(kOut, 0, 1000);
  w.SwitchTo(kA);
  Out(w, {kA, 100, 90000, 10, 1}, 0);
  Out(w, {kA, 101, 93000, 11, 2}, 33 * kMs);
  w.SwitchTo(kB);
  Out(w, {kB, 7, 5, 900, 90}, 50 * kMs);
  const auto last_b = Out(w, {kB, 8, 3005, 901, 91}, 83 * kMs);
  w.SwitchTo(kA);
  // A went on meanwhile; its keyframe comes 100 ms after B's last packet.
  const auto f = Out(w, {kA, 110, 120000, 20, 9}, 183 * kMs);
  ExpectFields(f, last_b.sequence + 1, last_b.timestamp + 100 * 90, last_b.picture_id + 1,
               last_b.tl0picidx + 1);
  EXPECT_FALSE(Send(w, {kA, 109, 117000, 19, 9}, 184 * kMs).has_value());  // before the switch
  const auto origin = w.OriginOf(f.sequence);
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->source_ssrc, kA);
  EXPECT_EQ(origin->sequence, 110);
}

TEST(VideoRewriterTest, SwitchingToTheShownSourceChangesNothing) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  Out(w, {kA, 1, 1000}, 0);
  w.SwitchTo(kA);
  // Still the same mapping: not re-based on the wall clock, no sequence jump.
  const auto f = Out(w, {kA, 3, 7000}, 500 * kMs);
  EXPECT_EQ(f.sequence, 2);
  EXPECT_EQ(f.timestamp, 6000u);
}

TEST(VideoRewriterTest, ACancelledSwitchResumesTheShownSource) {
  VideoRewriter w(kOut, 0, 0);
  w.SwitchTo(kA);
  Out(w, {kA, 1, 1000}, 0);
  w.SwitchTo(kB);  // B's keyframe never came
  EXPECT_FALSE(Send(w, {kA, 2, 1000}, 10 * kMs).has_value());
  w.SwitchTo(kA);
  const auto f = Out(w, {kA, 3, 4000}, 40 * kMs);
  EXPECT_EQ(f.sequence, 2);  // the dropped packet is a gap the receiver NACKs
  EXPECT_EQ(f.timestamp, 3000u);
  ASSERT_TRUE(w.OriginOf(1).has_value());
  EXPECT_EQ(w.OriginOf(1)->sequence, 2);
}

TEST(VideoRewriterTest, SenderReportFigures) {
  VideoRewriter w(kOut, 0, 777);
  EXPECT_EQ(w.TimestampAt(5 * kMs), 777u);  // nothing sent yet
  w.SwitchTo(kA);
  const auto f = Out(w, {kA, 1, 1000}, 100 * kMs);
  w.CountSent(1200);
  w.CountSent(300);
  EXPECT_EQ(w.packets_sent(), 2u);
  EXPECT_EQ(w.octets_sent(), 1500u);
  EXPECT_EQ(w.TimestampAt(1100 * kMs), f.timestamp + 90000);
  EXPECT_EQ(w.TimestampAt(50 * kMs), f.timestamp);  // no earlier than the last packet
}

}  // namespace
}  // namespace tutti::mixer
