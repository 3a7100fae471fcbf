#include "signaling/call/spoken_number.h"

#include <climits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tutti {
namespace {

using Words = std::vector<std::string>;

TEST(SpokenNumberTest, SingleWords) {
  EXPECT_EQ(SpokenNumber(0), Words({"n0"}));
  EXPECT_EQ(SpokenNumber(7), Words({"n7"}));
  EXPECT_EQ(SpokenNumber(15), Words({"n15"}));
  EXPECT_EQ(SpokenNumber(19), Words({"n19"}));
  EXPECT_EQ(SpokenNumber(40), Words({"n40"}));
}

TEST(SpokenNumberTest, TensAndUnits) {
  EXPECT_EQ(SpokenNumber(20), Words({"n20"}));
  EXPECT_EQ(SpokenNumber(21), Words({"n20", "n1"}));
  EXPECT_EQ(SpokenNumber(47), Words({"n40", "n7"}));
  EXPECT_EQ(SpokenNumber(99), Words({"n90", "n9"}));
}

TEST(SpokenNumberTest, Hundreds) {
  EXPECT_EQ(SpokenNumber(100), Words({"n1", "n100"}));
  EXPECT_EQ(SpokenNumber(101), Words({"n1", "n100", "n1"}));
  EXPECT_EQ(SpokenNumber(115), Words({"n1", "n100", "n15"}));
  EXPECT_EQ(SpokenNumber(347), Words({"n3", "n100", "n40", "n7"}));
  EXPECT_EQ(SpokenNumber(900), Words({"n9", "n100"}));
}

TEST(SpokenNumberTest, Thousands) {
  EXPECT_EQ(SpokenNumber(1000), Words({"n1", "n1000"}));
  EXPECT_EQ(SpokenNumber(1005), Words({"n1", "n1000", "n5"}));
  EXPECT_EQ(SpokenNumber(2040), Words({"n2", "n1000", "n40"}));
  EXPECT_EQ(SpokenNumber(12345), Words({"n12", "n1000", "n3", "n100", "n40", "n5"}));
  EXPECT_EQ(SpokenNumber(100000), Words({"n1", "n100", "n1000"}));
  EXPECT_EQ(SpokenNumber(999999),
            Words({"n9", "n100", "n90", "n9", "n1000", "n9", "n100", "n90", "n9"}));
}

TEST(SpokenNumberTest, OutOfRange) {
  EXPECT_EQ(SpokenNumber(-1), Words({"n0"}));
  EXPECT_EQ(SpokenNumber(INT_MIN), Words({"n0"}));
  EXPECT_EQ(SpokenNumber(1000000), SpokenNumber(999999));
  EXPECT_EQ(SpokenNumber(INT_MAX), SpokenNumber(999999));
}

}  // namespace
}  // namespace tutti
