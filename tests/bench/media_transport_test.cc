#include "bench/tutti_load/media_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace tutti::load {
namespace {

// The kernel path: what is queued and flushed to the transport's own port
// comes back through Drain, with the sender's port and an arrival time on
// the steady clock (from the kernel's receive timestamp).
TEST(MediaTransportTest, KernelSocketSendsAndDrainsWithArrivalTimes) {
  absl::StatusOr<std::unique_ptr<MediaTransport>> transport = OpenKernelTransport("127.0.0.1");
  ASSERT_TRUE(transport.ok()) << transport.status();
  MediaTransport& media = **transport;
  EXPECT_EQ(media.address(), "127.0.0.1");
  ASSERT_NE(media.port(), 0);
  EXPECT_FALSE(media.busy_poll());
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_port = htons(media.port());
  inet_pton(AF_INET, "127.0.0.1", &self.sin_addr);
  const auto before = std::chrono::steady_clock::now();
  for (const std::string text : {"one", "two"}) {
    std::copy(text.begin(), text.end(), media.next_out());
    EXPECT_FALSE(media.Queue(text.size(), self));
  }
  EXPECT_EQ(media.Flush(), 2u);

  std::vector<std::string> got;
  for (int i = 0; i < 200 && got.size() < 2; ++i) {
    media.Drain([&](std::span<const uint8_t> payload, uint16_t from_port, int64_t at_us) {
      got.emplace_back(payload.begin(), payload.end());
      EXPECT_EQ(from_port, media.port());
      const int64_t before_us =
          std::chrono::duration_cast<std::chrono::microseconds>(before.time_since_epoch()).count();
      // Kernel and steady clocks are converted to one another: allow a ms.
      EXPECT_GE(at_us, before_us - 1000);
    });
    if (got.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(media.Drain([](std::span<const uint8_t>, uint16_t, int64_t) {}), 0u);
}

TEST(MediaTransportTest, DpdkWantsAnIpv4AddressBeforeStartingEal) {
  DpdkMediaOptions options;
  options.eal_args = "--no-huge";
  options.address = "not-an-address";
  absl::StatusOr<std::unique_ptr<MediaTransport>> transport = OpenDpdkTransport(options);
  ASSERT_FALSE(transport.ok());
  // Checked before EAL starts (it can start once per process); a build
  // without DPDK says so instead.
  const std::string why(transport.status().message());
  EXPECT_TRUE(why.find("IPv4") != std::string::npos ||
              why.find("without DPDK") != std::string::npos)
      << why;
}

}  // namespace
}  // namespace tutti::load
