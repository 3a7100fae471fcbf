// A path under the test temp directory that no other test process shares.
// ctest runs every test case in a process of its own, several at once, and
// a release and an ASan run may go side by side: a fixed name let one test's
// SetUp delete the file another was reading.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <string_view>

namespace tutti::testing_support {

inline std::string UniqueTempPath(std::string_view name) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = ::testing::TempDir();
  if (test != nullptr) path += std::string(test->test_suite_name()) + "." + test->name() + "-";
  path += std::to_string(getpid()) + "-" + std::string(name);
  return path;
}

}  // namespace tutti::testing_support
