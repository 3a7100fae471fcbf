// A shared file's name and type as a download hands them out: always an
// attachment, under a name that is no path, hidden file or header
// injection, with a type that is plain or application/octet-stream.
#include "server/api/attachment.h"

#include <string>

#include "gtest/gtest.h"

namespace tutti::api {
namespace {

TEST(AttachmentTest, PlainNamesStayAsTheyAre) {
  EXPECT_EQ(AttachmentName("report-2026_v2.pdf"), "report-2026_v2.pdf");
  EXPECT_EQ(AttachmentDisposition("a.txt"),
            "attachment; filename=\"a.txt\"; filename*=UTF-8''a.txt");
}

TEST(AttachmentTest, NamesCannotEscapeTheQuotesOrTheFolder) {
  // A quote would end the filename and let the rest be read as parameters
  // or a header of its own.
  EXPECT_EQ(AttachmentName("a\"; x=\"y"), "a_;_x=_y");
  EXPECT_EQ(AttachmentName("evil\r\nSet-Cookie: x=1"), "evil_Set-Cookie:_x=1");
  EXPECT_EQ(AttachmentName("../../etc/passwd"), "_.._etc_passwd");
  EXPECT_EQ(AttachmentName("..\\..\\boot.ini"), "_.._boot.ini");
  EXPECT_EQ(AttachmentName(".bashrc"), "bashrc");
  EXPECT_EQ(AttachmentName("..."), "file");
  EXPECT_EQ(AttachmentName(""), "file");
  EXPECT_EQ(AttachmentName(std::string("a\0b", 3)), "a_b");
  // Non-ASCII (UTF-8 "Grüße.txt"): one '_' per run in the quoted name, the
  // exact bytes percent-encoded in filename*.
  EXPECT_EQ(AttachmentName("Gr\xc3\xbc\xc3\x9f"
                           "e.txt"),
            "Gr_e.txt");
  EXPECT_EQ(AttachmentDisposition("Gr\xc3\xbc\xc3\x9f"
                                  "e \"1\".txt"),
            "attachment; filename=\"Gr_e_1_.txt\"; "
            "filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%221%22.txt");
  EXPECT_EQ(AttachmentName(std::string(300, 'x')).size(), 100u);
}

TEST(AttachmentTest, OnlyPlainTypesAreServedAsTheyWereOffered) {
  EXPECT_EQ(DownloadType("image/png"), "image/png");
  EXPECT_EQ(DownloadType("application/vnd.ms-excel"), "application/vnd.ms-excel");
  EXPECT_EQ(DownloadType(""), "application/octet-stream");
  EXPECT_EQ(DownloadType("image"), "application/octet-stream");
  EXPECT_EQ(DownloadType("/png"), "application/octet-stream");
  EXPECT_EQ(DownloadType("image/"), "application/octet-stream");
  EXPECT_EQ(DownloadType("a/b/c"), "application/octet-stream");
  EXPECT_EQ(DownloadType("text/html; charset=utf-8"), "application/octet-stream");
  EXPECT_EQ(DownloadType("text/html\r\nX-Evil: 1"), "application/octet-stream");
}

}  // namespace
}  // namespace tutti::api
