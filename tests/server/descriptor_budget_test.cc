#include "server/descriptor_budget.h"

#include "gtest/gtest.h"

namespace tutti {
namespace {

Config WithStreams(bool tcp, bool tls, int connections) {
  Config config;
  config.sip.tcp = tcp;
  config.sip.tls = tls;
  config.sip.max_tcp_connections = connections;
  config.media.rtp_port_min = 20000;
  config.media.rtp_port_max = 20999;  // 500 pairs, 1000 sockets
  return config;
}

TEST(DescriptorBudgetTest, CountsConnectionsOfEachStreamTransportAndEveryMediaSocket) {
  const DescriptorBudget budget = PlanDescriptors(WithStreams(true, true, 100), 4096);
  EXPECT_EQ(budget.connections, 200u);
  EXPECT_EQ(budget.media_sockets, 1000u);
  EXPECT_EQ(budget.needed(), 200u + 1000u + kDescriptorMargin);
  EXPECT_TRUE(budget.fits());
  EXPECT_FALSE(budget.hopeless());
}

TEST(DescriptorBudgetTest, CountsTheControlApisConnectionsWhenItIsOn) {
  Config config = WithStreams(true, false, 100);
  config.api.enabled = true;
  config.api.max_connections = 40;
  EXPECT_EQ(PlanDescriptors(config, 4096).connections, 140u);
  config.api.enabled = false;
  EXPECT_EQ(PlanDescriptors(config, 4096).connections, 100u);
}

TEST(DescriptorBudgetTest, TooLowLimitSaysHowManyCallsFit) {
  const DescriptorBudget budget = PlanDescriptors(WithStreams(true, false, 100), 1024);
  EXPECT_FALSE(budget.fits());
  EXPECT_FALSE(budget.hopeless());
  EXPECT_EQ(budget.calls_that_fit(), (1024u - kDescriptorMargin - 100u) / 2);
}

TEST(DescriptorBudgetTest, BelowTheMarginIsHopeless) {
  EXPECT_TRUE(PlanDescriptors(WithStreams(true, false, 1), kDescriptorMargin - 1).hopeless());
  EXPECT_EQ(PlanDescriptors(WithStreams(true, false, 1), 10).calls_that_fit(), 0u);
}

TEST(DescriptorBudgetTest, KernelBypassMediaTakesNoDescriptors) {
  Config config = WithStreams(false, false, 100);
  config.sip.udp = true;
  config.media.backend = "dpdk";
  const DescriptorBudget budget = PlanDescriptors(config, 1024);
  EXPECT_EQ(budget.media_sockets, 0u);
  EXPECT_EQ(budget.connections, 0u);
}

}  // namespace
}  // namespace tutti
