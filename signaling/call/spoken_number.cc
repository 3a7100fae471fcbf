#include "signaling/call/spoken_number.h"

#include "common/strings.h"

namespace tutti {
namespace {

// 1..999 (0 says nothing: in 1005 or 2000 the zero groups are silent).
void SayBelowThousand(int n, std::vector<std::string>& out) {
  if (n >= 100) {
    out.push_back(StrCat("n", n / 100));
    out.push_back("n100");
    n %= 100;
  }
  if (n == 0) return;
  if (n < 20) {
    out.push_back(StrCat("n", n));
    return;
  }
  out.push_back(StrCat("n", n / 10 * 10));
  if (n % 10 != 0) out.push_back(StrCat("n", n % 10));
}

}  // namespace

std::vector<std::string> SpokenNumber(int n) {
  constexpr int kLargest = 999'999;
  if (n <= 0) return {"n0"};
  if (n > kLargest) n = kLargest;
  std::vector<std::string> out;
  if (n >= 1000) {
    SayBelowThousand(n / 1000, out);
    out.push_back("n1000");
  }
  SayBelowThousand(n % 1000, out);
  return out;
}

}  // namespace tutti
