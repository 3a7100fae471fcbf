#include "signaling/sip/digest_auth.h"

#include "common/strings.h"
#include "gtest/gtest.h"

namespace tutti::sip {
namespace {

// RFC 2617 §3.5: Mufasa, "Circle Of Life", GET /dir/index.html, qop=auth.
TEST(DigestTest, Rfc2617Md5Example) {
  const std::string ha1 =
      DigestHa1(DigestAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(ha1, "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(DigestResponse(DigestAlgorithm::kMd5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                           "00000001", "0a4f113b", "auth", "GET", "/dir/index.html"),
            "6629fae49393a05397450978507c4ef1");
}

// RFC 7616 §3.9.1: the same request with SHA-256 and with MD5
// (password "Circle of Life", lower-case o).
TEST(DigestTest, Rfc7616Sha256AndMd5Example) {
  constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  const std::string sha_ha1 =
      DigestHa1(DigestAlgorithm::kSha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(DigestResponse(DigestAlgorithm::kSha256, sha_ha1, kNonce, "00000001", kCnonce, "auth",
                           "GET", "/dir/index.html"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  const std::string md5_ha1 =
      DigestHa1(DigestAlgorithm::kMd5, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(DigestResponse(DigestAlgorithm::kMd5, md5_ha1, kNonce, "00000001", kCnonce, "auth",
                           "GET", "/dir/index.html"),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestTest, ParsesCredentials) {
  std::optional<DigestCredentials> c = ParseDigestCredentials(
      "Digest username=\"alice\",realm=\"tutti\", nonce=\"abc\", uri=\"sip:1000@h\", "
      "response=\"0123\", algorithm=SHA-256, cnonce=\"x\\\"y\", qop=auth, nc=00000001, "
      "opaque=\"o\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->realm, "tutti");
  EXPECT_EQ(c->nonce, "abc");
  EXPECT_EQ(c->uri, "sip:1000@h");
  EXPECT_EQ(c->response, "0123");
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_EQ(c->cnonce, "x\"y");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_FALSE(ParseDigestCredentials("Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
  EXPECT_FALSE(ParseDigestCredentials("Digest username=\"unterminated"));
  EXPECT_FALSE(ParseDigestCredentials("Digest username"));
  EXPECT_FALSE(ParseDigestCredentials("Digest a=b c=d"));
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class AuthenticatorTest : public ::testing::Test {
 protected:
  static DigestOptions Options() {
    DigestOptions options;
    options.realm = "tutti";
    options.nonce_lifetime = absl::Minutes(5);
    options.users = {{"alice", "wonderland", "", ""},
                     {"bob", "", DigestHa1(DigestAlgorithm::kMd5, "bob", "tutti", "builder"), ""}};
    return options;
  }

  // The Authorization a client would send for `nonce`.
  static std::string Answer(std::string_view user, std::string_view password,
                            DigestAlgorithm algorithm, std::string_view nonce,
                            std::string_view realm = "tutti") {
    const std::string ha1 = DigestHa1(algorithm, user, realm, password);
    const std::string response = DigestResponse(algorithm, ha1, nonce, "00000001", "c0ffee", "auth",
                                                "INVITE", "sip:1000@127.0.0.1");
    return StrCat("Digest username=\"", user, "\", realm=\"", realm, "\", nonce=\"", nonce,
                  "\", uri=\"sip:1000@127.0.0.1\", response=\"", response,
                  "\", algorithm=", DigestAlgorithmName(algorithm),
                  ", cnonce=\"c0ffee\", qop=auth, nc=00000001");
  }

  DigestAuthenticator auth_{Options(), "a fixed test secret of 32 bytes!"};
};

TEST_F(AuthenticatorTest, ChallengesOfferSha256FirstThenMd5WithOneNonce) {
  const std::vector<std::string> challenges = auth_.Challenges(kNow, false);
  ASSERT_EQ(challenges.size(), 2u);
  const std::string nonce = auth_.MakeNonce(kNow);
  EXPECT_EQ(challenges[0], StrCat("Digest realm=\"tutti\", nonce=\"", nonce,
                                  "\", algorithm=SHA-256, qop=\"auth\""));
  EXPECT_EQ(challenges[1],
            StrCat("Digest realm=\"tutti\", nonce=\"", nonce, "\", algorithm=MD5, qop=\"auth\""));
  EXPECT_NE(auth_.Challenges(kNow, true)[0].find(", stale=true"), std::string::npos);
}

TEST_F(AuthenticatorTest, RightPasswordWithEitherAlgorithm) {
  const std::string nonce = auth_.MakeNonce(kNow);
  for (DigestAlgorithm algorithm : {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}) {
    const auto result =
        auth_.Verify("INVITE", Answer("alice", "wonderland", algorithm, nonce), kNow);
    EXPECT_EQ(result.outcome, DigestAuthenticator::Outcome::kOk);
    EXPECT_EQ(result.user, "alice");
  }
  // A user configured by MD5 HA1 only.
  EXPECT_EQ(
      auth_.Verify("INVITE", Answer("bob", "builder", DigestAlgorithm::kMd5, nonce), kNow).outcome,
      DigestAuthenticator::Outcome::kOk);
  EXPECT_EQ(auth_.Verify("INVITE", Answer("bob", "builder", DigestAlgorithm::kSha256, nonce), kNow)
                .outcome,
            DigestAuthenticator::Outcome::kWrong);
}

TEST_F(AuthenticatorTest, WrongPasswordUserMethodOrForgedNonce) {
  const std::string nonce = auth_.MakeNonce(kNow);
  using Outcome = DigestAuthenticator::Outcome;
  EXPECT_EQ(
      auth_.Verify("INVITE", Answer("alice", "wonderlanD", DigestAlgorithm::kSha256, nonce), kNow)
          .outcome,
      Outcome::kWrong);
  EXPECT_EQ(
      auth_.Verify("INVITE", Answer("mallory", "wonderland", DigestAlgorithm::kMd5, nonce), kNow)
          .outcome,
      Outcome::kWrong);
  // The response covers the method.
  EXPECT_EQ(auth_.Verify("BYE", Answer("alice", "wonderland", DigestAlgorithm::kMd5, nonce), kNow)
                .outcome,
            Outcome::kWrong);
  // A nonce tutti did not make (another secret), though well formed.
  DigestAuthenticator other(Options(), "another secret, 32 bytes long..");
  const std::string forged = other.MakeNonce(kNow);
  EXPECT_EQ(
      auth_.Verify("INVITE", Answer("alice", "wonderland", DigestAlgorithm::kMd5, forged), kNow)
          .outcome,
      Outcome::kWrong);
  // Without qop (RFC 2069) or with an algorithm not offered.
  std::string no_qop = Answer("alice", "wonderland", DigestAlgorithm::kMd5, nonce);
  no_qop = no_qop.substr(0, no_qop.find(", cnonce"));
  EXPECT_EQ(auth_.Verify("INVITE", no_qop, kNow).outcome, Outcome::kWrong);
  DigestOptions md5_only = Options();
  md5_only.algorithms = {DigestAlgorithm::kMd5};
  DigestAuthenticator strict(md5_only, "a fixed test secret of 32 bytes!");
  EXPECT_EQ(
      strict.Verify("INVITE", Answer("alice", "wonderland", DigestAlgorithm::kSha256, nonce), kNow)
          .outcome,
      Outcome::kWrong);
  // Garbage is wrong; nothing, or another realm's credentials, is a challenge.
  EXPECT_EQ(auth_.Verify("INVITE", "Digest ,,,", kNow).outcome, Outcome::kWrong);
  EXPECT_EQ(auth_.Verify("INVITE", "", kNow).outcome, Outcome::kMissing);
  EXPECT_EQ(auth_
                .Verify("INVITE",
                        Answer("alice", "wonderland", DigestAlgorithm::kMd5, nonce, "proxy"), kNow)
                .outcome,
            Outcome::kMissing);
}

TEST_F(AuthenticatorTest, NonceExpiresAndIsThenStale) {
  const std::string nonce = auth_.MakeNonce(kNow);
  const std::string answer = Answer("alice", "wonderland", DigestAlgorithm::kSha256, nonce);
  using Outcome = DigestAuthenticator::Outcome;
  EXPECT_EQ(auth_.Verify("INVITE", answer, kNow + absl::Minutes(5) - absl::Seconds(1)).outcome,
            Outcome::kOk);
  EXPECT_EQ(auth_.Verify("INVITE", answer, kNow + absl::Minutes(5)).outcome, Outcome::kStale);
  EXPECT_EQ(auth_.Verify("INVITE", answer, kNow + absl::Hours(24)).outcome, Outcome::kStale);
  // A nonce from the future is not accepted either.
  EXPECT_EQ(auth_.Verify("INVITE", answer, kNow - absl::Minutes(1)).outcome, Outcome::kStale);
  // A wrong password on an old nonce is wrong, not stale: stale tells the
  // client its credentials were right.
  EXPECT_EQ(auth_
                .Verify("INVITE", Answer("alice", "x", DigestAlgorithm::kSha256, nonce),
                        kNow + absl::Hours(1))
                .outcome,
            Outcome::kWrong);
  // A tampered timestamp breaks the MAC.
  std::string tampered = nonce;
  tampered[15] = tampered[15] == '0' ? '1' : '0';
  EXPECT_EQ(
      auth_
          .Verify("INVITE", Answer("alice", "wonderland", DigestAlgorithm::kSha256, tampered), kNow)
          .outcome,
      Outcome::kWrong);
}

TEST_F(AuthenticatorTest, NoncesOfTwoProcessesDiffer) {
  // The default constructor draws its secret from RAND_bytes.
  DigestAuthenticator one(Options());
  DigestAuthenticator two(Options());
  EXPECT_NE(one.MakeNonce(kNow), two.MakeNonce(kNow));
  EXPECT_EQ(one.MakeNonce(kNow).size(), 48u);
}

// Issue 19: a reload's users and options, the nonces in flight kept.
TEST_F(AuthenticatorTest, ReconfiguredUsersCountFromTheNextAnswerAndNoncesStayValid) {
  using Outcome = DigestAuthenticator::Outcome;
  const std::string nonce = auth_.MakeNonce(kNow);  // a challenge answered after the reload
  DigestOptions next = Options();
  next.users = {{"alice", "looking-glass", "", ""}, {"carol", "chess", "", ""}};  // bob removed
  auth_.Reconfigure(next);
  auto verify = [&](std::string_view user, std::string_view password) {
    return auth_.Verify("INVITE", Answer(user, password, DigestAlgorithm::kMd5, nonce), kNow)
        .outcome;
  };
  EXPECT_EQ(verify("carol", "chess"), Outcome::kOk);
  EXPECT_EQ(verify("alice", "looking-glass"), Outcome::kOk);
  EXPECT_EQ(verify("alice", "wonderland"), Outcome::kWrong);
  EXPECT_EQ(verify("bob", "builder"), Outcome::kWrong);
  // The nonce lifetime and the algorithms offered are the new ones.
  next.nonce_lifetime = absl::Minutes(1);
  next.algorithms = {DigestAlgorithm::kMd5};
  auth_.Reconfigure(next);
  ASSERT_EQ(auth_.Challenges(kNow, false).size(), 1u);
  EXPECT_EQ(auth_.Verify("INVITE", Answer("carol", "chess", DigestAlgorithm::kSha256, nonce), kNow)
                .outcome,
            Outcome::kWrong);
  EXPECT_EQ(auth_
                .Verify("INVITE", Answer("carol", "chess", DigestAlgorithm::kMd5, nonce),
                        kNow + absl::Minutes(2))
                .outcome,
            Outcome::kStale);
}

TEST_F(AuthenticatorTest, ANewRealmIsChallengedAfreshAndItsNoncesAreItsOwn) {
  using Outcome = DigestAuthenticator::Outcome;
  const std::string old_nonce = auth_.MakeNonce(kNow);
  DigestOptions next = Options();
  next.realm = "bridge";
  auth_.Reconfigure(next);
  EXPECT_EQ(auth_.realm(), "bridge");
  EXPECT_EQ(auth_.Challenges(kNow, false)[0].rfind("Digest realm=\"bridge\"", 0), 0u);
  // An answer to the old realm's challenge: challenged again, not a failure.
  EXPECT_EQ(
      auth_.Verify("INVITE", Answer("alice", "wonderland", DigestAlgorithm::kMd5, old_nonce), kNow)
          .outcome,
      Outcome::kMissing);
  const std::string nonce = auth_.MakeNonce(kNow);
  EXPECT_EQ(auth_
                .Verify("INVITE",
                        Answer("alice", "wonderland", DigestAlgorithm::kMd5, nonce, "bridge"), kNow)
                .outcome,
            Outcome::kOk);
}

}  // namespace
}  // namespace tutti::sip
