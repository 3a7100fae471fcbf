// A shared file's name and type as a download hands them out: always an
// attachment, under a name that is no path, hidden file or header
// injection, with a type that is plain or application/octet-stream.
#include "server/api/attachment.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace tutti::api {
namespace {

TEST(AttachmentTest, PlainNamesStayAsTheyAre) {
  EXPECT_EQ(AttachmentName("report-2026_v2.pdf"), "report-2026_v2.pdf");
  EXPECT_EQ(AttachmentDisposition("a.txt"),
            "attachment; filename=\"a.txt\"; filename*=UTF-8''a.txt");
}

TEST(AttachmentTest, NamesCannotEscapeTheQuotesOrTheFolder) {
  const std::pair<std::string, std::string> kNames[] = {
      // A quote would end the filename and let the rest be read as
      // parameters, a line break as a header of its own.
      {"a\"; x=\"y", "a_;_x=_y"},
      {"evil\r\nSet-Cookie: x=1", "evil_Set-Cookie:_x=1"},
      {"../../etc/passwd", "_.._etc_passwd"},
      {"..\\..\\boot.ini", "_.._boot.ini"},
      {".bashrc", "bashrc"},
      {"...", "file"},
      {"", "file"},
      {std::string("a\0b", 3), "a_b"},
      // Non-ASCII (UTF-8 "Grüße.txt"): one '_' per run.
      {"Gr\xc3\xbc\xc3\x9f"
       "e.txt",
       "Gr_e.txt"},
  };
  for (const auto& [offered, safe] : kNames) EXPECT_EQ(AttachmentName(offered), safe) << offered;
  // The exact bytes, percent-encoded, in filename*.
  EXPECT_EQ(AttachmentDisposition("Gr\xc3\xbc\xc3\x9f"
                                  "e \"1\".txt"),
            "attachment; filename=\"Gr_e_1_.txt\"; "
            "filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%221%22.txt");
  EXPECT_EQ(AttachmentName(std::string(300, 'x')).size(), 100u);
}

TEST(AttachmentTest, OnlyPlainTypesAreServedAsTheyWereOffered) {
  for (const char* plain : {"image/png", "application/vnd.ms-excel", "text/html"}) {
    EXPECT_EQ(DownloadType(plain), plain);
  }
  for (const char* odd : {"", "image", "/png", "image/", "a/b/c", "text/html; charset=utf-8",
                          "text/html\r\nX-Evil: 1"}) {
    EXPECT_EQ(DownloadType(odd), "application/octet-stream") << odd;
  }
}

}  // namespace
}  // namespace tutti::api
