#include "signaling/sip/digest_client.h"

#include "common/strings.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::sip {
namespace {

// RFC 7616 §3.9.1's challenge (qop offers auth and auth-int, an opaque).
constexpr std::string_view kRfc7616Challenge =
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
constexpr std::string_view kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const DigestClientCredentials kMufasa{"Mufasa", "Circle of Life"};

SipMessage ParseOrDie(const std::string& text) {
  ParseOutcome outcome = ParseSipMessage(text);
  EXPECT_TRUE(outcome.ok()) << outcome.reject_reason << "\n" << text;
  return outcome.message;
}

// A 401 or 407 to a REGISTER carrying `challenges` as its
// WWW-Authenticate (or Proxy-Authenticate) headers.
SipMessage Challenge(int status, const std::vector<std::string>& challenges) {
  const std::string_view header = status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
  std::string text =
      StrCat("SIP/2.0 ", status, " Unauthorized\r\n",
             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n",
             "From: <sip:alice@example.com>;tag=a\r\n", "To: <sip:alice@example.com>;tag=b\r\n",
             "Call-ID: c1\r\n", "CSeq: 1 REGISTER\r\n");
  for (const std::string& challenge : challenges) StrAppend(&text, header, ": ", challenge, "\r\n");
  text += "Content-Length: 0\r\n\r\n";
  return ParseOrDie(text);
}

// The value of an "Authorization: ...\r\n" line.
std::string ValueOf(std::string_view line) {
  line.remove_suffix(2);
  return std::string(line.substr(line.find(": ") + 2));
}

TEST(DigestClientTest, ParsesRfc7616Challenge) {
  std::optional<DigestChallenge> challenge = ParseDigestChallenge(kRfc7616Challenge);
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->realm, "http-auth@example.org");
  EXPECT_EQ(challenge->nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
  EXPECT_EQ(challenge->opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kSha256);
  EXPECT_TRUE(challenge->qop_auth);
  EXPECT_FALSE(challenge->stale);
  EXPECT_FALSE(challenge->proxy);
}

TEST(DigestClientTest, ParsesQuotedCommasTokensAndStale) {
  std::optional<DigestChallenge> challenge = ParseDigestChallenge(
      "digest REALM=\"a, \\\"b\\\" c\",nonce=\"n,1\" ,stale=TRUE, qop=\"auth-int,auth\", "
      "algorithm=md5, domain=\"sip:x sip:y\", future=thing");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->realm, "a, \"b\" c");
  EXPECT_EQ(challenge->nonce, "n,1");
  EXPECT_TRUE(challenge->stale);
  EXPECT_TRUE(challenge->qop_auth);
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kMd5);
  // No algorithm: MD5 (RFC 2617); no qop: the RFC 2069 form.
  challenge = ParseDigestChallenge("Digest realm=\"r\", nonce=\"n\", stale=false");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->algorithm, DigestAlgorithm::kMd5);
  EXPECT_FALSE(challenge->qop_auth);
  EXPECT_FALSE(challenge->stale);
}

TEST(DigestClientTest, RefusesWhatItCannotAnswer) {
  EXPECT_FALSE(ParseDigestChallenge("Basic realm=\"r\""));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256"));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\""));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"r\""));  // no nonce
  EXPECT_FALSE(ParseDigestChallenge("Digest nonce=\"n\""));  // no realm
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"r\", nonce=\"unterminated"));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"r\" nonce=\"n\""));  // no comma
  EXPECT_FALSE(ParseDigestChallenge(""));
}

// RFC 7616 §3.9.1: the published responses for SHA-256 and MD5.
TEST(DigestClientTest, AnswersRfc7616ExampleWithSha256AndMd5) {
  DigestChallenge challenge = *ParseDigestChallenge(kRfc7616Challenge);
  EXPECT_EQ(AuthorizationHeader(challenge, kMufasa, "GET", "/dir/index.html", 1, kRfc7616Cnonce),
            "Authorization: Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
            "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", uri=\"/dir/index.html\", "
            "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
            "algorithm=SHA-256, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
            "qop=auth, nc=00000001, opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"\r\n");
  challenge.algorithm = DigestAlgorithm::kMd5;
  const std::string md5 =
      AuthorizationHeader(challenge, kMufasa, "GET", "/dir/index.html", 1, kRfc7616Cnonce);
  EXPECT_NE(md5.find("response=\"8ca523f5e9506fed4657c9700eebdbec\", algorithm=MD5,"),
            std::string::npos)
      << md5;
  // nc counts the requests on one nonce, 8 hex digits.
  challenge.proxy = true;
  const std::string third =
      AuthorizationHeader(challenge, kMufasa, "GET", "/dir/index.html", 0x1a, kRfc7616Cnonce);
  EXPECT_TRUE(third.starts_with("Proxy-Authorization: Digest ")) << third;
  EXPECT_NE(third.find("nc=0000001a"), std::string::npos) << third;
}

// RFC 2617 §3.5's request answered without qop (RFC 2069's form): no
// cnonce, qop or nc; response = MD5(HA1:nonce:HA2).
TEST(DigestClientTest, AnswersWithoutQopInRfc2069Form) {
  DigestChallenge challenge = *ParseDigestChallenge(
      "Digest realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"");
  const std::string line = AuthorizationHeader(challenge, {"Mufasa", "Circle Of Life"}, "GET",
                                               "/dir/index.html", 1, "0a4f113b");
  EXPECT_EQ(line,
            "Authorization: Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
            "response=\"670fd8c2df070c60b045671b8b24ff02\", algorithm=MD5\r\n");
}

// What a hostile challenge carries cannot end our header line or add one.
TEST(DigestClientTest, EchoedValuesCannotInjectHeaders) {
  DigestChallenge challenge;
  challenge.realm = "r\r\nX-Evil: 1";
  challenge.nonce = "n\"x";
  challenge.opaque = "o\\";
  challenge.qop_auth = true;
  const std::string line = AuthorizationHeader(challenge, kMufasa, "INVITE", "sip:a@b", 1, "c");
  EXPECT_EQ(line.find('\r'), line.size() - 2) << line;
  EXPECT_NE(line.find("realm=\"rX-Evil: 1\""), std::string::npos) << line;
  EXPECT_NE(line.find("nonce=\"n\\\"x\""), std::string::npos) << line;
  EXPECT_NE(line.find("opaque=\"o\\\\\""), std::string::npos) << line;
}

TEST(DigestClientTest, PicksSha256OverMd5WhateverTheOrder) {
  const std::string md5 = "Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"";
  const std::string sha = "Digest realm=\"r\", nonce=\"n2\", algorithm=SHA-256, qop=\"auth\"";
  const std::string sess = "Digest realm=\"r\", nonce=\"n3\", algorithm=MD5-sess, qop=\"auth\"";
  for (const auto& order :
       std::vector<std::vector<std::string>>{{md5, sha}, {sha, md5}, {sess, md5, sha}}) {
    std::optional<DigestChallenge> picked = PickChallenge(Challenge(401, order));
    ASSERT_TRUE(picked);
    EXPECT_EQ(picked->algorithm, DigestAlgorithm::kSha256);
    EXPECT_EQ(picked->nonce, "n2");
    EXPECT_FALSE(picked->proxy);
  }
  std::optional<DigestChallenge> only_md5 = PickChallenge(Challenge(407, {sess, md5}));
  ASSERT_TRUE(only_md5);
  EXPECT_EQ(only_md5->nonce, "n1");
  EXPECT_TRUE(only_md5->proxy);
  EXPECT_FALSE(PickChallenge(Challenge(401, {sess})));
  // A 401's challenge is in WWW-Authenticate; a Proxy-Authenticate there is not ours to answer.
  EXPECT_FALSE(PickChallenge(Challenge(401, {})));
}

// Our client answering our own server's challenge must verify, with each
// algorithm it offers.
TEST(DigestClientTest, OurServerAcceptsOurAnswer) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  for (const auto& algorithms :
       std::vector<std::vector<DigestAlgorithm>>{{DigestAlgorithm::kSha256, DigestAlgorithm::kMd5},
                                                 {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256},
                                                 {DigestAlgorithm::kMd5}}) {
    DigestOptions options;
    options.realm = "tutti";
    options.algorithms = algorithms;
    options.users = {{"alice", "wonderland", "", ""}};
    DigestAuthenticator server(options, "a fixed test secret of 32 bytes!");
    std::optional<DigestChallenge> challenge =
        PickChallenge(Challenge(401, server.Challenges(now, false)));
    ASSERT_TRUE(challenge);
    EXPECT_EQ(challenge->algorithm,
              algorithms.size() > 1 ? DigestAlgorithm::kSha256 : DigestAlgorithm::kMd5);
    const std::string line = AuthorizationHeader(challenge.value(), {"alice", "wonderland"},
                                                 "INVITE", "sip:1000@127.0.0.1", 1, NewCnonce());
    const DigestAuthenticator::Result result = server.Verify("INVITE", ValueOf(line), now);
    EXPECT_EQ(result.outcome, DigestAuthenticator::Outcome::kOk) << line;
    EXPECT_EQ(result.user, "alice");
    const std::string wrong = AuthorizationHeader(challenge.value(), {"alice", "wonderlanD"},
                                                  "INVITE", "sip:1000@127.0.0.1", 1, NewCnonce());
    EXPECT_EQ(server.Verify("INVITE", ValueOf(wrong), now).outcome,
              DigestAuthenticator::Outcome::kWrong);
  }
}

TEST(DigestClientTest, CnoncesAreFreshHex) {
  const std::string a = NewCnonce();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, NewCnonce());
}

}  // namespace
}  // namespace tutti::sip
