// A path under the test temp directory that no other test process shares.
// ctest runs every test case in a process of its own, several at once, and
// a release and an ASan run may go side by side: a fixed name let one test's
// SetUp delete the file another was reading. A name made of the pid alone
// was not enough either: files left by an earlier run on the same machine
// met a later process that drew the same pid. So each process gets a fresh
// directory of its own (mkdtemp), removed with everything in it at exit.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace tutti::testing_support {

class ProcessTempDir {
 public:
  ProcessTempDir() {
    std::string pattern = ::testing::TempDir() + "tutti-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern << " failed";
      return;
    }
    path_ = pattern + "/";
  }
  ~ProcessTempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ProcessTempDir(const ProcessTempDir&) = delete;
  ProcessTempDir& operator=(const ProcessTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string UniqueTempPath(std::string_view name) {
  static ProcessTempDir dir;
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = dir.path();
  if (test != nullptr) path += std::string(test->test_suite_name()) + "." + test->name() + "-";
  path += std::string(name);
  return path;
}

}  // namespace tutti::testing_support
