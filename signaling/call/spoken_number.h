// Says a number with the recorded number prompts ("n0".."n19", the tens
// "n20".."n90", "n100" for "hundred", "n1000" for "thousand"), for the IVR's
// participant count and similar announcements.
#pragma once

#include <string>
#include <vector>

namespace tutti {

// The prompt names that say `n` in English, in order: 347 is
// {n3, n100, n40, n7}, 12345 is {n12, n1000, n3, n100, n40, n5}. American
// style, no "and". Negative numbers say zero; above 999999 says 999999, the
// largest the prompts can say without a "million".
std::vector<std::string> SpokenNumber(int n);

}  // namespace tutti
