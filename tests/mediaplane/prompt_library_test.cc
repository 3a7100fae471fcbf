#include "mediaplane/prompt_library.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_path.h"

namespace tutti::media {
namespace {

void WriteWav(const std::string& path, int rate, int channels, const std::vector<int16_t>& data) {
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  const auto bytes = static_cast<uint32_t>(data.size() * 2);
  out.write("RIFF", 4);
  u32(36 + bytes);
  out.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(static_cast<uint16_t>(channels));
  u32(static_cast<uint32_t>(rate));
  u32(static_cast<uint32_t>(rate * channels * 2));
  u16(static_cast<uint16_t>(channels * 2));
  u16(16);
  out.write("data", 4);
  u32(bytes);
  out.write(reinterpret_cast<const char*>(data.data()), bytes);
}

TEST(PromptLibraryTest, LoadsWavsAtBothRates) {
  const std::string dir = tutti::testing_support::UniqueTempPath("prompts");
  std::filesystem::create_directories(dir);
  std::vector<int16_t> mono(16000, 1000);  // 1 s at 16 kHz
  WriteWav(dir + "/hello.wav", 16000, 1, mono);
  std::vector<int16_t> stereo(2 * 8000, 2000);  // 1 s at 8 kHz, two channels
  WriteWav(dir + "/beep.wav", 8000, 2, stereo);
  std::ofstream(dir + "/notes.txt") << "not a prompt";

  auto library = PromptLibrary::Load(dir);
  ASSERT_TRUE(library.ok()) << library.status();
  ASSERT_EQ((*library)->size(), 2u);
  EXPECT_EQ((*library)->Names(), (std::vector<std::string>{"beep", "hello"}));
  const Prompt& hello = (*library)->at((*library)->Find("hello"));
  EXPECT_NEAR(static_cast<double>(hello.pcm_48k.size()), 48000, 100);
  EXPECT_NEAR(static_cast<double>(hello.pcm_16k.size()), 16000, 40);
  EXPECT_NEAR(static_cast<double>(hello.pcm_8k.size()), 8000, 20);
  EXPECT_NEAR(hello.pcm_48k[24000], 1000, 20);  // the level survives resampling
  const Prompt& beep = (*library)->at((*library)->Find("beep"));
  EXPECT_NEAR(beep.pcm_8k[4000], 2000, 20);
  EXPECT_EQ((*library)->Find("missing"), -1);
}

TEST(PromptLibraryTest, RefusesWhatItCannotPlay) {
  const std::string dir = tutti::testing_support::UniqueTempPath("bad-prompts");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/broken.wav") << "RIFF....WAVEjunk";
  EXPECT_FALSE(PromptLibrary::Load(dir).ok());
  EXPECT_FALSE(PromptLibrary::Load(dir + "/nope").ok());
  EXPECT_FALSE(ReadWav(dir + "/missing.wav").ok());
}

}  // namespace
}  // namespace tutti::media
