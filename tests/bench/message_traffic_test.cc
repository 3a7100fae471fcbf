#include "bench/tutti_load/message_traffic.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "signaling/sip/message_writer.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::load {
namespace {

sip::SipMessage Parse(const std::string& text) {
  sip::ParseOutcome parsed = sip::ParseSipMessage(text);
  EXPECT_TRUE(parsed.ok()) << parsed.reject_reason << "\n" << text;
  return parsed.message;
}

TEST(MessageTagTest, FoundInPlainTextAndInsideCpim) {
  const std::string body = MessageBody({.id = 42, .sender = 7, .sent_us = 123456789}, 100);
  EXPECT_EQ(body.size(), 100u);
  std::optional<MessageTag> tag = FindMessageTag(body);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->id, 42);
  EXPECT_EQ(tag->sender, 7);
  EXPECT_EQ(tag->sent_us, 123456789);
  tag = FindMessageTag("From: <sip:load7@h>\r\n\r\nContent-Type: text/plain\r\n\r\n" + body);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->id, 42);
  EXPECT_FALSE(FindMessageTag("hello"));
  EXPECT_FALSE(FindMessageTag("tutti-load m12 x"));
  // Shorter than the tag: the tag whole all the same.
  EXPECT_TRUE(FindMessageTag(MessageBody({.id = 1, .sender = 2, .sent_us = 3}, 0)));
}

struct Fixture {
  Fixture(bool in_dialog, int count) {
    endpoint.sip_port = 5071;
    endpoint.server_port = 5060;
    options.per_second = 10;
    options.in_dialog = in_dialog;
    for (int i = 0; i < count; ++i) {
      LoadCall call;
      call.index = i;
      call.room = 0;
      call.call_id = absl::StrCat("tl1-", i);
      call.from_tag = absl::StrCat("t", i);
      call.to_tag = absl::StrCat("srv", i);
      call.remote_target = absl::StrCat("sip:room@127.0.0.1:5060;x=", i);
      call.state = CallState::kUp;
      this->calls.push_back(std::move(call));
    }
  }
  MessageTraffic Traffic() {
    return MessageTraffic(
        options, "tl1", 3, &endpoint, [](int room) { return absl::StrCat("load-", room); },
        [this](const std::string& text) { sent.push_back(text); });
  }
  // What the server would send member `to` for the MESSAGE `text`.
  std::string Delivery(const std::string& text, int to) {
    const sip::SipMessage original = Parse(text);
    return sip::MessageWriter::Request("MESSAGE", absl::StrCat("sip:load", to, "@127.0.0.1:5071"))
        .Header("Via", absl::StrCat("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-srv", to))
        .Header("From", "<sip:load-0@127.0.0.1>;tag=r")
        .Header("To", absl::StrCat("<sip:load", to, "@127.0.0.1>"))
        .Header("Call-ID", absl::StrCat("srv-", to))
        .Header("CSeq", "1 MESSAGE")
        .Finish(std::string(original.body()), "text/plain");
  }
  UacEndpoint endpoint;
  MessageOptions options;
  std::vector<LoadCall> calls;
  std::vector<std::string> sent;
};

TEST(MessageTrafficTest, InDialogMessagesUseTheDialogAndTheNextCSeq) {
  Fixture f(true, 3);
  MessageTraffic traffic = f.Traffic();
  traffic.SendDue(1'000'000, f.calls);
  ASSERT_EQ(f.sent.size(), 1u);
  const sip::SipMessage message = Parse(f.sent[0]);
  EXPECT_EQ(message.method(), sip::Method::kMessage);
  EXPECT_EQ(message.request_uri_text(), "sip:room@127.0.0.1:5060;x=0");
  EXPECT_EQ(message.call_id(), "tl1-0");
  EXPECT_EQ(message.to().tag, "srv0");
  EXPECT_EQ(message.cseq().number, 2u);
  EXPECT_EQ(message.content_type(), "text/plain");
  EXPECT_EQ(f.calls[0].cseq, 2);
  // The rate: 10/s, so a second later ten more, the calls taking turns.
  traffic.SendDue(2'000'000, f.calls);
  ASSERT_EQ(f.sent.size(), 11u);
  EXPECT_EQ(Parse(f.sent[1]).call_id(), "tl1-1");
  EXPECT_EQ(Parse(f.sent[3]).call_id(), "tl1-0");
  EXPECT_EQ(Parse(f.sent[3]).cseq().number, 3u);
}

TEST(MessageTrafficTest, OutOfDialogMessagesGoToTheRoomUri) {
  Fixture f(false, 3);
  MessageTraffic traffic = f.Traffic();
  traffic.SendDue(0, f.calls);
  const sip::SipMessage message = Parse(f.sent.at(0));
  EXPECT_EQ(message.request_uri_text(), "sip:load-0@127.0.0.1:5060");
  EXPECT_EQ(message.to().tag, "");
  EXPECT_EQ(message.from().uri.user, "load0");
  EXPECT_NE(message.call_id(), "tl1-0");
  EXPECT_EQ(f.calls[0].cseq, 1);  // the dialog's CSeq is left alone
}

TEST(MessageTrafficTest, CountsEachDeliveryOnceAndWhatWentWhereItShouldNot) {
  Fixture f(true, 3);
  f.calls[2].state = CallState::kDone;  // two members up: one delivery expected
  MessageTraffic traffic = f.Traffic();
  traffic.SendDue(0, f.calls);
  ASSERT_EQ(f.sent.size(), 1u);
  const std::string message = f.sent[0];
  EXPECT_FALSE(traffic.Drained(0, 2'000'000));
  EXPECT_TRUE(traffic.OnResponse(Parse(sip::ResponseTo(Parse(message), 200).Finish()), 1000));
  EXPECT_FALSE(traffic.Drained(1000, 2'000'000));  // the delivery has not come
  traffic.OnRequest(Parse(f.Delivery(message, 1)), f.calls, 3000);
  ASSERT_EQ(f.sent.size(), 2u);
  EXPECT_EQ(Parse(f.sent[1]).status_code(), 200);                   // the delivery answered
  traffic.OnRequest(Parse(f.Delivery(message, 1)), f.calls, 4000);  // again
  traffic.OnRequest(Parse(f.Delivery(message, 0)), f.calls, 5000);  // back to its sender
  EXPECT_TRUE(traffic.Drained(5000, 2'000'000));
  MessageResult result;
  traffic.Finish(&result);
  EXPECT_EQ(result.sent, 1);
  EXPECT_EQ(result.accepted, 1);
  EXPECT_EQ(result.deliveries_expected, 1);
  EXPECT_EQ(result.deliveries, 2);
  EXPECT_EQ(result.duplicates, 1);
  EXPECT_EQ(result.echoes, 1);
  EXPECT_EQ(result.wrong_room, 0);
  EXPECT_DOUBLE_EQ(result.latency_ms.p50, 5.0);  // the larger of 3 ms and 5 ms
}

TEST(MessageTrafficTest, RetransmitsThenTimesOut) {
  Fixture f(true, 2);
  MessageTraffic traffic = f.Traffic();
  traffic.SendDue(0, f.calls);
  traffic.Timers(499'999);
  EXPECT_EQ(f.sent.size(), 1u);
  traffic.Timers(500'000);  // T1
  EXPECT_EQ(f.sent.size(), 2u);
  EXPECT_EQ(f.sent[1], f.sent[0]);
  traffic.Timers(1'499'999);  // the interval doubled: nothing yet
  EXPECT_EQ(f.sent.size(), 2u);
  traffic.Timers(1'500'000);  // 2*T1 later
  EXPECT_EQ(f.sent.size(), 3u);
  for (int64_t t = 1'500'000; t <= 32'000'000; t += 100'000) traffic.Timers(t);
  MessageResult result;
  traffic.Finish(&result);
  EXPECT_EQ(result.failed, 1);
  EXPECT_EQ(result.failures_by_status[408], 1);
  EXPECT_TRUE(traffic.Drained(32'000'000, 2'000'000));
  // A late final response for it changes nothing.
  EXPECT_TRUE(
      traffic.OnResponse(Parse(sip::ResponseTo(Parse(f.sent[0]), 200).Finish()), 33'000'000));
  traffic.Finish(&result);
  EXPECT_EQ(result.accepted, 0);
}

TEST(MessageTrafficTest, RefusalsAreCountedByStatus) {
  Fixture f(true, 2);
  MessageTraffic traffic = f.Traffic();
  traffic.SendDue(0, f.calls);
  EXPECT_TRUE(traffic.OnResponse(Parse(sip::ResponseTo(Parse(f.sent[0]), 405).Finish()), 10));
  MessageResult result;
  traffic.Finish(&result);
  EXPECT_EQ(result.failures_by_status[405], 1);
  EXPECT_EQ(result.deliveries_expected, 0);
  // A response to a call's INVITE or BYE is not ours.
  EXPECT_FALSE(traffic.OnResponse(
      Parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-x\r\nFrom: "
            "<sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: tl1-0\r\nCSeq: 2 BYE\r\n"
            "Content-Length: 0\r\n\r\n"),
      20));
}

}  // namespace
}  // namespace tutti::load
