#include "signaling/call/overload_guard.h"

#include "gtest/gtest.h"

namespace tutti {
namespace {

const absl::Time kT0 = absl::UnixEpoch() + absl::Hours(1);

SourceIp Ip(std::string_view text) { return *SourceIp::Parse(text); }

TEST(OverloadGuardTest, BurstThenRefillAtTheConfiguredRate) {
  OverloadGuard guard(/*requests_per_second=*/10, /*burst=*/3, /*max_calls=*/100);
  const absl::Time t0 = kT0;
  EXPECT_TRUE(guard.AdmitRequest(t0));
  EXPECT_TRUE(guard.AdmitRequest(t0));
  EXPECT_TRUE(guard.AdmitRequest(t0));
  EXPECT_FALSE(guard.AdmitRequest(t0));
  EXPECT_EQ(guard.requests_refused(), 1u);
  // 100 ms at 10/s refills one token, not more.
  EXPECT_TRUE(guard.AdmitRequest(t0 + absl::Milliseconds(100)));
  EXPECT_FALSE(guard.AdmitRequest(t0 + absl::Milliseconds(100)));
  // A long quiet spell refills only up to the burst.
  const absl::Time later = t0 + absl::Seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(guard.AdmitRequest(later));
  EXPECT_FALSE(guard.AdmitRequest(later));
}

TEST(OverloadGuardTest, CallLimit) {
  OverloadGuard guard(100, 100, /*max_calls=*/2);
  EXPECT_TRUE(guard.AdmitCall(0));
  EXPECT_TRUE(guard.AdmitCall(1));
  EXPECT_FALSE(guard.AdmitCall(2));
  EXPECT_EQ(guard.calls_refused(), 1u);
}

OverloadLimits PerSource() {
  OverloadLimits limits;
  limits.requests_per_second = 1000;
  limits.burst_requests = 1000;
  limits.max_calls = 1000;
  limits.max_calls_per_source = 2;
  limits.requests_per_source_per_second = 10;
  limits.burst_requests_per_source = 3;
  limits.dialog_requests_per_second = 10;
  limits.burst_dialog_requests = 2;
  limits.dialog_requests_per_source_per_second = 10;
  limits.burst_dialog_requests_per_source = 3;
  limits.unlimited_sources = *sip::IpPrefixSet::Parse({"10.0.0.0/8", "2001:db8::/32"});
  return limits;
}

TEST(OverloadGuardTest, OneLoudSourceDoesNotSpendTheOthersRequests) {
  OverloadGuard guard(PerSource());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.1"), kT0), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.1"), kT0), Refusal::kSourceRequestRate);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.2"), kT0), Refusal::kNone);
  // 100 ms at 10/s: one more for the loud one.
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.1"), kT0 + absl::Milliseconds(100)), Refusal::kNone);
  EXPECT_EQ(guard.refused(Refusal::kSourceRequestRate), 1u);
}

TEST(OverloadGuardTest, CallsPerSourceCountUntilTheyEnd) {
  OverloadGuard guard(PerSource());
  const SourceIp caller = Ip("192.0.2.1");
  for (uint64_t key = 1; key <= 2; ++key) {
    ASSERT_EQ(guard.AdmitCall(0, caller, kT0), Refusal::kNone);
    guard.CallStarted(key, caller, kT0);
  }
  EXPECT_EQ(guard.AdmitCall(2, caller, kT0), Refusal::kSourceCalls);
  EXPECT_EQ(guard.AdmitCall(2, Ip("192.0.2.2"), kT0), Refusal::kNone);
  guard.CallEnded(1, caller);
  EXPECT_EQ(guard.AdmitCall(1, caller, kT0), Refusal::kNone);
  EXPECT_EQ(guard.calls_from(caller), 1);
}

TEST(OverloadGuardTest, AnIpv6SourceIsItsSlash64) {
  OverloadGuard guard(PerSource());  // 3fff::/20 (RFC 9637), not an exempt block
  // Two calls from one /64, from two interface ids: the limit is reached.
  ASSERT_EQ(guard.AdmitCall(0, Ip("3fff:0:1:2::1"), kT0), Refusal::kNone);
  guard.CallStarted(1, Ip("3fff:0:1:2::1"), kT0);
  ASSERT_EQ(guard.AdmitCall(1, Ip("3fff:0:1:2::2"), kT0), Refusal::kNone);
  guard.CallStarted(2, Ip("3fff:0:1:2::2"), kT0);
  EXPECT_EQ(guard.AdmitCall(2, Ip("3fff:0:1:2:dead:beef::9"), kT0), Refusal::kSourceCalls);
  EXPECT_EQ(guard.calls_from(Ip("3fff:0:1:2::77")), 2);
  // The next /64 is somebody else.
  EXPECT_EQ(guard.AdmitCall(2, Ip("3fff:0:1:3::1"), kT0), Refusal::kNone);
  guard.CallEnded(2, Ip("3fff:0:1:2::2"));
  EXPECT_EQ(guard.AdmitCall(1, Ip("3fff:0:1:2::3"), kT0), Refusal::kNone);
  // And the PIN/digest lockout's key is the same block.
  EXPECT_EQ(SourceKey(*sip::SocketAddress::FromIpPort("3fff:0:1:2::1", 5060)),
            SourceKey(*sip::SocketAddress::FromIpPort("3fff:0:1:2::abcd", 5062)));
  EXPECT_EQ(SourceKey(*sip::SocketAddress::FromIpPort("::ffff:192.0.2.1", 5060)), "192.0.2.1");
}

TEST(OverloadGuardTest, UnlimitedSourcesSkipThePerSourceLimitsOnly) {
  OverloadLimits limits = PerSource();
  limits.max_calls = 5;
  OverloadGuard guard(std::move(limits));
  for (const char* trunk : {"10.1.2.3", "2001:db8::7"}) {
    for (int i = 0; i < 20; ++i) EXPECT_EQ(guard.AdmitNewRequest(Ip(trunk), kT0), Refusal::kNone);
    for (uint64_t key = 1; key <= 4; ++key) {
      EXPECT_EQ(guard.AdmitCall(0, Ip(trunk), kT0), Refusal::kNone);
      guard.CallStarted(key, Ip(trunk), kT0);
    }
  }
  EXPECT_EQ(guard.tracked_sources(), 0u);
  EXPECT_EQ(guard.AdmitCall(5, Ip("10.1.2.3"), kT0), Refusal::kCalls);  // the global cap holds
  EXPECT_EQ(guard.AdmitCall(0, Ip("11.1.2.3"), kT0), Refusal::kNone);
}

TEST(OverloadGuardTest, RequestsInsideACallAreLimitedPerCallThenPerSource) {
  OverloadGuard guard(PerSource());
  const SourceIp nat = Ip("192.0.2.1");
  guard.CallStarted(1, nat, kT0);
  guard.CallStarted(2, nat, kT0);
  EXPECT_EQ(guard.AdmitDialogRequest(1, nat, kT0), Refusal::kNone);
  EXPECT_EQ(guard.AdmitDialogRequest(1, nat, kT0), Refusal::kNone);
  EXPECT_EQ(guard.AdmitDialogRequest(1, nat, kT0), Refusal::kDialogRate);
  // The flooding call spent its own bucket, not all of the source's.
  EXPECT_EQ(guard.AdmitDialogRequest(2, nat, kT0), Refusal::kNone);
  // Requests for no call (answered 481) count against the source.
  EXPECT_EQ(guard.AdmitDialogRequest(0, nat, kT0), Refusal::kSourceDialogRate);
  EXPECT_EQ(guard.refused(Refusal::kDialogRate), 1u);
  EXPECT_EQ(guard.refused(Refusal::kSourceDialogRate), 1u);
}

TEST(OverloadGuardTest, IdleSourcesAreForgottenAndTheTableIsBounded) {
  OverloadLimits limits = PerSource();
  limits.max_tracked_sources = 2;
  OverloadGuard guard(std::move(limits));
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.1"), kT0), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.2"), kT0), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.3"), kT0), Refusal::kSourceTableFull);
  EXPECT_EQ(guard.tracked_sources(), 2u);
  // A source holding a call is remembered; the others' buckets refill.
  guard.CallStarted(7, Ip("192.0.2.1"), kT0);
  const absl::Time later = kT0 + absl::Seconds(2);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.3"), later), Refusal::kNone);
  EXPECT_EQ(guard.tracked_sources(), 2u);
  EXPECT_EQ(guard.calls_from(Ip("192.0.2.1")), 1);
}

}  // namespace
}  // namespace tutti
