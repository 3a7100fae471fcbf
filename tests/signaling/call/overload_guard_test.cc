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

// Issue 19: a reload's new limits (SetLimits) keep what the guard counted.
TEST(OverloadGuardTest, NewLimitsKeepTheCallsCountedPerSource) {
  OverloadGuard guard(PerSource());  // 2 calls per source
  const SourceIp caller = Ip("192.0.2.1");
  for (uint64_t key = 1; key <= 2; ++key) guard.CallStarted(key, caller, kT0);
  OverloadLimits raised = PerSource();
  raised.max_calls_per_source = 3;
  guard.SetLimits(raised, kT0);
  EXPECT_EQ(guard.calls_from(caller), 2);
  ASSERT_EQ(guard.AdmitCall(2, caller, kT0), Refusal::kNone);
  guard.CallStarted(3, caller, kT0);
  EXPECT_EQ(guard.AdmitCall(3, caller, kT0), Refusal::kSourceCalls);
  // Lowered below what the source has: its calls stay, it gets no more
  // until enough of them end.
  OverloadLimits lowered = PerSource();
  lowered.max_calls_per_source = 1;
  lowered.max_calls = 3;
  guard.SetLimits(lowered, kT0);
  EXPECT_EQ(guard.calls_from(caller), 3);
  EXPECT_EQ(guard.AdmitCall(3, Ip("192.0.2.2"), kT0), Refusal::kCalls);
  EXPECT_EQ(guard.AdmitCall(2, caller, kT0), Refusal::kSourceCalls);
  guard.CallEnded(1, caller);
  guard.CallEnded(2, caller);
  EXPECT_EQ(guard.AdmitCall(1, caller, kT0), Refusal::kSourceCalls);
  guard.CallEnded(3, caller);
  EXPECT_EQ(guard.AdmitCall(0, caller, kT0), Refusal::kNone);
}

TEST(OverloadGuardTest, NewLimitsKeepTheBucketsLevelsAndRefillAtTheNewRateFromThen) {
  OverloadGuard guard(PerSource());  // 10/s per source, burst 3
  const SourceIp loud = Ip("192.0.2.1");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(guard.AdmitNewRequest(loud, kT0), Refusal::kNone);
  ASSERT_EQ(guard.AdmitNewRequest(loud, kT0), Refusal::kSourceRequestRate);
  // 200 ms later: 2 tokens earned at the old rate. A bigger burst and a
  // faster rate do not refill the bucket at once...
  const absl::Time reload = kT0 + absl::Milliseconds(200);
  OverloadLimits faster = PerSource();
  faster.requests_per_source_per_second = 1000;
  faster.burst_requests_per_source = 100;
  guard.SetLimits(faster, reload);
  EXPECT_EQ(guard.AdmitNewRequest(loud, reload), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(loud, reload), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(loud, reload), Refusal::kSourceRequestRate);
  // ... they refill it from then on: 10 ms at 1000/s is 10 more.
  const absl::Time later = reload + absl::Milliseconds(10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(guard.AdmitNewRequest(loud, later), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(loud, later), Refusal::kSourceRequestRate);
  // A smaller burst caps a fuller bucket: a quiet source had 3, now 1.
  const SourceIp quiet = Ip("192.0.2.2");
  ASSERT_EQ(guard.AdmitNewRequest(quiet, later), Refusal::kNone);  // 99 left
  OverloadLimits tighter = PerSource();
  tighter.burst_requests_per_source = 1;
  guard.SetLimits(tighter, later);
  EXPECT_EQ(guard.AdmitNewRequest(quiet, later), Refusal::kNone);
  EXPECT_EQ(guard.AdmitNewRequest(quiet, later), Refusal::kSourceRequestRate);
}

TEST(OverloadGuardTest, ACallsOwnBucketAndTheGlobalOneTakeTheNewLimitsToo) {
  OverloadLimits limits = PerSource();  // 2 in-dialog requests per call at once
  limits.requests_per_second = 10;
  limits.burst_requests = 5;
  OverloadGuard guard(limits);
  guard.CallStarted(1, Ip("10.0.0.1"), kT0);  // exempt: only the call's bucket counts
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(guard.AdmitDialogRequest(1, Ip("10.0.0.1"), kT0), Refusal::kNone);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(guard.AdmitRequest(kT0));
  OverloadLimits next = limits;
  next.dialog_requests_per_second = 1000;
  next.burst_dialog_requests = 50;
  next.requests_per_second = 1000;
  next.burst_requests = 50;
  guard.SetLimits(next, kT0);
  EXPECT_EQ(guard.AdmitDialogRequest(1, Ip("10.0.0.1"), kT0), Refusal::kDialogRate);
  EXPECT_FALSE(guard.AdmitRequest(kT0));
  const absl::Time later = kT0 + absl::Milliseconds(5);  // 5 tokens at 1000/s
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(guard.AdmitDialogRequest(1, Ip("10.0.0.1"), later), Refusal::kNone);
    EXPECT_TRUE(guard.AdmitRequest(later));
  }
  EXPECT_EQ(guard.AdmitDialogRequest(1, Ip("10.0.0.1"), later), Refusal::kDialogRate);
  EXPECT_FALSE(guard.AdmitRequest(later));
}

TEST(OverloadGuardTest, ASourceMadeUnlimitedEndsItsCallsAsTheyWereCounted) {
  OverloadGuard guard(PerSource());  // 2 calls per source
  const SourceIp pbx = Ip("192.0.2.1");
  for (uint64_t key = 1; key <= 2; ++key) guard.CallStarted(key, pbx, kT0);
  OverloadLimits exempt = PerSource();
  exempt.unlimited_sources = *sip::IpPrefixSet::Parse({"192.0.2.1/32"});
  guard.SetLimits(exempt, kT0);
  guard.CallStarted(3, pbx, kT0);  // not counted: exempt now
  for (uint64_t key = 1; key <= 3; ++key) guard.CallEnded(key, pbx);
  EXPECT_EQ(guard.calls_from(pbx), 0);
  // Limited again: a full allowance, not one spent by calls long gone.
  guard.SetLimits(PerSource(), kT0 + absl::Seconds(5));
  EXPECT_EQ(guard.tracked_sources(), 0u);
  for (uint64_t key = 4; key <= 5; ++key) {
    ASSERT_EQ(guard.AdmitCall(0, pbx, kT0 + absl::Seconds(5)), Refusal::kNone);
    guard.CallStarted(key, pbx, kT0 + absl::Seconds(5));
  }
  EXPECT_EQ(guard.AdmitCall(2, pbx, kT0 + absl::Seconds(5)), Refusal::kSourceCalls);
}

TEST(OverloadGuardTest, ACallStartedExemptEndsWithoutTakingOffItsNeighboursCount) {
  // One IPv6 /64: ::1 is limited (its calls counted in the block's entry),
  // ::7 exempt. ::7 loses its exemption while its call is up.
  OverloadLimits limits = PerSource();
  limits.unlimited_sources = *sip::IpPrefixSet::Parse({"3fff:0:1:2::7/128"});
  OverloadGuard guard(limits);
  guard.CallStarted(1, Ip("3fff:0:1:2::1"), kT0);
  guard.CallStarted(2, Ip("3fff:0:1:2::7"), kT0);
  EXPECT_EQ(guard.calls_from(Ip("3fff:0:1:2::1")), 1);
  guard.SetLimits(PerSource(), kT0);
  guard.CallEnded(2, Ip("3fff:0:1:2::7"));
  EXPECT_EQ(guard.calls_from(Ip("3fff:0:1:2::1")), 1);
}

TEST(OverloadGuardTest, ALoweredSourceTableBoundForgetsIdleSourcesAndKeepsBusyOnes) {
  OverloadLimits limits = PerSource();
  limits.max_tracked_sources = 10;
  OverloadGuard guard(limits);
  guard.CallStarted(1, Ip("192.0.2.1"), kT0);                              // busy: a call
  ASSERT_EQ(guard.AdmitNewRequest(Ip("192.0.2.2"), kT0), Refusal::kNone);  // busy: a spent token
  ASSERT_EQ(guard.AdmitNewRequest(Ip("192.0.2.3"), kT0), Refusal::kNone);
  // 192.0.2.3's bucket is full again by then: idle, forgotten at once.
  const absl::Time reload = kT0 + absl::Milliseconds(100);
  ASSERT_EQ(guard.AdmitNewRequest(Ip("192.0.2.2"), reload - absl::Milliseconds(10)),
            Refusal::kNone);
  limits.max_tracked_sources = 1;
  guard.SetLimits(limits, reload);
  EXPECT_EQ(guard.tracked_sources(), 2u);
  EXPECT_EQ(guard.calls_from(Ip("192.0.2.1")), 1);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.4"), reload), Refusal::kSourceTableFull);
  EXPECT_EQ(guard.AdmitCall(1, Ip("192.0.2.1"), reload), Refusal::kNone);  // known: still served
  // Once 192.0.2.2 is idle, a sweep makes room down to the new bound.
  const absl::Time later = reload + absl::Seconds(2);
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.4"), later), Refusal::kSourceTableFull);
  guard.CallEnded(1, Ip("192.0.2.1"));
  EXPECT_EQ(guard.AdmitNewRequest(Ip("192.0.2.4"), later + absl::Seconds(2)), Refusal::kNone);
  EXPECT_EQ(guard.tracked_sources(), 1u);
}

}  // namespace
}  // namespace tutti
