// RFC 4475 "SIP Torture Test Messages" run through the SIP parser.
//
// The messages live in TORTURE_DIR as byte-exact files (one per message of RFC
// 4475 §3.1.1, §3.1.2, §3.2, §3.3 and §3.4; see torture/README.md). Each is
// parsed as a UDP datagram, the way the UAS receives it.
//
// The parser is the syntax layer of a UAS: it rejects what makes a message
// unusable or ambiguous (with the status the RFC asks for when the request can
// be answered) and accepts what is well formed even when the application will
// refuse it later (Require/420, 415, 483, a registrar's 400 ...).
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "signaling/sip/header_values.h"
#include "signaling/sip/sip_message.h"
#include "signaling/sip/sip_parser.h"

#ifndef TORTURE_DIR
#error "TORTURE_DIR must name the directory holding the RFC 4475 .sip files"
#endif

namespace tutti::sip {
namespace {

std::string TorturePath(std::string_view name) {
  return std::string(TORTURE_DIR) + "/" + std::string(name) + ".sip";
}

std::string ReadTorture(std::string_view name) {
  std::ifstream in(TorturePath(name), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

ParseOutcome ParseTorture(std::string_view name) {
  std::string bytes = ReadTorture(name);
  EXPECT_FALSE(bytes.empty()) << "cannot read " << TorturePath(name);
  return ParseSipMessage(std::move(bytes), Framing::kDatagram);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string Repeat(std::string_view part, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text.append(part);
  return text;
}

// Every value of a header, in order (list headers are already one per element).
std::vector<std::string_view> Values(const SipMessage& message, HeaderId id) {
  std::vector<std::string_view> values;
  for (const HeaderField& field : message.headers()) {
    if (field.id == id) values.push_back(field.value);
  }
  return values;
}

// Every Via value, parsed; a value that does not parse fails the test.
std::vector<Via> Vias(const SipMessage& message) {
  std::vector<Via> vias;
  for (std::string_view value : Values(message, HeaderId::kVia)) {
    absl::StatusOr<Via> via = ParseVia(value);
    EXPECT_TRUE(via.ok()) << value << ": " << via.status();
    if (via.ok()) vias.push_back(*via);
  }
  return vias;
}

// The i-th Contact value, parsed.
NameAddr Contact(const SipMessage& message, size_t index = 0) {
  const std::vector<std::string_view> contacts = Values(message, HeaderId::kContact);
  EXPECT_LT(index, contacts.size());
  if (index >= contacts.size()) return {};
  absl::StatusOr<NameAddr> contact = ParseNameAddr(contacts[index]);
  EXPECT_TRUE(contact.ok()) << contacts[index] << ": " << contact.status();
  return contact.ok() ? *contact : NameAddr{};
}

// The SDP body most of the messages carry, for the given addresses.
std::string Sdp(std::string_view origin_ip, std::string_view connection_ip) {
  return "v=0\r\no=mhandley 29739 7272939 IN IP4 " + std::string(origin_ip) + "\r\ns=-\r\n" +
         "c=IN IP4 " + std::string(connection_ip) +
         "\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\n"
         "a=rtpmap:31 LPC\r\n";
}

// ---------------------------------------------------------------------------
// The corpus itself: every message is present, unaltered in size, and uses CRLF
// line ends in its header section (a checkout that rewrote line ends, or an
// editor that stripped trailing white space, shows up here first).

struct CorpusFile {
  const char* name;
  const char* section;
  size_t size;
};

constexpr CorpusFile kCorpus[] = {
    {"wsinv", "3.1.1.1", 1001},      {"intmeth", "3.1.1.2", 641},   {"esc01", "3.1.1.3", 543},
    {"escnull", "3.1.1.4", 359},     {"esc02", "3.1.1.5", 439},     {"lwsdisp", "3.1.1.6", 255},
    {"longreq", "3.1.1.7", 3515},    {"dblreq", "3.1.1.8", 750},    {"semiuri", "3.1.1.9", 380},
    {"transports", "3.1.1.10", 503}, {"mpart01", "3.1.1.11", 1290}, {"unreason", "3.1.1.12", 526},
    {"noreason", "3.1.1.13", 274},   {"badinv01", "3.1.2.1", 472},  {"clerr", "3.1.2.2", 498},
    {"ncl", "3.1.2.3", 486},         {"scalar02", "3.1.2.4", 476},  {"scalarlg", "3.1.2.5", 385},
    {"quotbal", "3.1.2.6", 485},     {"ltgtruri", "3.1.2.7", 452},  {"lwsruri", "3.1.2.8", 541},
    {"lwsstart", "3.1.2.9", 506},    {"trws", "3.1.2.10", 327},     {"escruri", "3.1.2.11", 550},
    {"baddate", "3.1.2.12", 532},    {"regbadct", "3.1.2.13", 307}, {"badaspec", "3.1.2.14", 346},
    {"baddn", "3.1.2.15", 331},      {"badvers", "3.1.2.16", 291},  {"mismatch01", "3.1.2.17", 236},
    {"mismatch02", "3.1.2.18", 449}, {"bigcode", "3.1.2.19", 332},  {"badbranch", "3.2.1", 262},
    {"insuf", "3.3.1", 304},         {"unkscm", "3.3.2", 291},      {"novelsc", "3.3.3", 277},
    {"unksm2", "3.3.4", 282},        {"bext01", "3.3.5", 381},      {"invut", "3.3.6", 391},
    {"regaut01", "3.3.7", 304},      {"multi01", "3.3.8", 643},     {"mcl01", "3.3.9", 382},
    {"bcast", "3.3.10", 516},        {"zeromf", "3.3.11", 272},     {"cparam01", "3.3.12", 321},
    {"cparam02", "3.3.13", 311},     {"regescrt", "3.3.14", 302},   {"sdp01", "3.3.15", 494},
    {"inv2543", "3.4.1", 445},
};

TEST(Rfc4475CorpusTest, EveryMessageIsPresentWithCrlfLineEnds) {
  for (const CorpusFile& file : kCorpus) {
    SCOPED_TRACE(std::string(file.name) + " (RFC 4475 §" + file.section + ")");
    const std::string bytes = ReadTorture(file.name);
    EXPECT_EQ(bytes.size(), file.size);
    // baddn.sip is published without the empty line that ends the headers.
    size_t header_end = bytes.find("\r\n\r\n");
    if (header_end == std::string::npos) header_end = bytes.size();
    for (size_t i = 0; i < header_end; ++i) {
      if (bytes[i] == '\n') {
        ASSERT_TRUE(i > 0 && bytes[i - 1] == '\r') << "bare LF at offset " << i;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// §3.1.1 Valid messages: every element must accept them.

TEST(Rfc4475ValidTest, Wsinv) {  // §3.1.1.1 A Short Tortuous INVITE
  const ParseOutcome outcome = ParseTorture("wsinv");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri_text(), "sip:vivekg@chair-dnrc.example.com;unknownparam");
  EXPECT_EQ(m.request_uri().scheme, "sip");
  EXPECT_EQ(m.request_uri().user, "vivekg");
  EXPECT_EQ(m.request_uri().host, "chair-dnrc.example.com");
  EXPECT_EQ(m.request_uri().port, 0);
  EXPECT_EQ(m.request_uri().Param("unknownparam"), "");  // a parameter with no value
  // "TO :" folded onto the next line; tag with white space around '='.
  EXPECT_EQ(m.to().uri.user, "vivekg");
  EXPECT_EQ(m.to().uri.host, "chair-dnrc.example.com");
  EXPECT_TRUE(m.to().display_name.empty());
  EXPECT_EQ(m.to().tag, "1918181833n");
  // Display name with quoted-pairs, kept as written; tag on continuation lines.
  EXPECT_EQ(m.from().display_name, R"(J Rosenberg \\\")");
  EXPECT_EQ(m.from().uri.user, "jdrosen");
  EXPECT_EQ(m.from().uri.host, "example.com");
  EXPECT_EQ(m.from().tag, "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68);  // "0068"
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m.cseq().number, 9u);  // "0009" folded before "INVITE"
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  EXPECT_EQ(m.cseq().method_name, "INVITE");
  // One folded "Via" plus a compact "v:" holding two comma-joined values.
  EXPECT_EQ(m.CountHeaders(HeaderId::kVia), 3);
  EXPECT_EQ(m.top_via().protocol_name, "SIP");
  EXPECT_EQ(m.top_via().protocol_version, "2.0");
  EXPECT_EQ(m.top_via().transport, "UDP");
  EXPECT_EQ(m.top_via().host, "192.0.2.2");
  EXPECT_EQ(m.top_via().port, 0);
  EXPECT_EQ(m.top_via().branch, "390skdjuw");
  const std::vector<Via> vias = Vias(m);
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[1].transport, "TCP");
  EXPECT_EQ(vias[1].host, "spindle.example.com");
  EXPECT_EQ(vias[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(vias[2].transport, "UDP");
  EXPECT_EQ(vias[2].host, "192.168.255.111");
  EXPECT_EQ(vias[2].branch, "z9hG4bK30239");
  // "s :" is an empty Subject.
  const HeaderField* subject = m.FindHeader("Subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->value, "");
  const HeaderField* fangled = m.FindHeader("NewFangledHeader");
  ASSERT_NE(fangled, nullptr);
  EXPECT_TRUE(fangled->value.starts_with("newfangled value")) << fangled->value;
  EXPECT_TRUE(fangled->value.ends_with("continued newfangled value")) << fangled->value;
  EXPECT_FALSE(Contains(fangled->value, "\r") || Contains(fangled->value, "\n"));
  // Not defined as a list: one value, taken verbatim.
  const HeaderField* unusual = m.FindHeader("UnknownHeaderWithUnusualValue");
  ASSERT_NE(unusual, nullptr);
  EXPECT_EQ(unusual->value, ";;,,;;,;");
  EXPECT_EQ(m.content_type(), "application/sdp");
  EXPECT_EQ(Values(m, HeaderId::kRoute),
            std::vector<std::string_view>{
                "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"});
  ASSERT_EQ(m.CountHeaders(HeaderId::kContact), 1);
  const NameAddr contact = Contact(m);
  EXPECT_EQ(contact.display_name, R"(Quoted string \"\")");
  EXPECT_EQ(contact.uri.user, "jdrosen");
  EXPECT_EQ(contact.Param("newparam"), "newvalue");
  EXPECT_EQ(contact.Param("secondparam"), "");
  EXPECT_EQ(contact.Param("q"), "0.33");
  // 13 header lines; the "v:" line holds two Via values.
  EXPECT_EQ(m.headers().size(), 15u);
  EXPECT_EQ(m.body().size(), 150u);  // "Content-Length   : 150"
  EXPECT_EQ(m.body(), Sdp("192.0.2.3", "192.0.2.4"));
}

TEST(Rfc4475ValidTest, Intmeth) {  // §3.1.1.2 Wide Range of Valid Characters
  const ParseOutcome outcome = ParseTorture("intmeth");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  constexpr std::string_view kMethod = "!interesting-Method0123456789_*+`.%indeed'~";
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), Method::kUnknown);
  EXPECT_EQ(m.method_name(), kMethod);
  EXPECT_EQ(m.request_uri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.request_uri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.top_via().transport, "TCP");
  EXPECT_EQ(m.top_via().host, "host1.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-.!%66*_+`'~");
  // Quoted-pairs escaping BEL, NUL and DEL, left as written.
  const std::string to_display = std::string("BEL:\\\x07 NUL:\\") + '\0' + " DEL:\\\x7f";
  EXPECT_EQ(m.to().display_name, to_display);
  EXPECT_EQ(m.to().uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.to().uri.host, "example.com");
  EXPECT_EQ(m.from().display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from().uri.user, "mundane");
  EXPECT_EQ(m.from().tag, "_token~1'+`*%!-.");
  // A UTF-8 quoted value ("работающий") on a parameter named with token characters.
  EXPECT_EQ(m.from().Param("fromParam''~+*_!.-%"),
            "\"\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9\"");
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m.cseq().number, 139122385u);
  EXPECT_EQ(m.cseq().method, Method::kUnknown);
  EXPECT_EQ(m.cseq().method_name, kMethod);
  EXPECT_EQ(m.max_forwards(), 255);
  const HeaderField* extension = m.FindHeader("extensionHeader-!.%*+_`'~");
  ASSERT_NE(extension, nullptr);
  EXPECT_EQ(extension->id, HeaderId::kOther);
  // U+FEFF U+5927 U+505C U+96FB in UTF-8.
  EXPECT_EQ(extension->value, "\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB");
  EXPECT_EQ(m.headers().size(), 8u);
  EXPECT_TRUE(m.body().empty());
}

TEST(Rfc4475ValidTest, Esc01) {  // §3.1.1.3 Valid Use of the % Escaping Mechanism
  const ParseOutcome outcome = ParseTorture("esc01");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kInvite);
  // URI components keep their escapes as written; unescaping is the caller's.
  EXPECT_EQ(m.request_uri().user, "sips%3Auser%40example.com");
  EXPECT_EQ(m.request_uri().host, "example.net");
  EXPECT_EQ(m.to().uri.user, "%75se%72");
  EXPECT_EQ(m.to().uri.host, "example.com");
  EXPECT_EQ(m.from().uri.user, "I%20have%20spaces");
  EXPECT_EQ(m.from().tag, "938");
  EXPECT_EQ(m.max_forwards(), 87);
  EXPECT_EQ(m.call_id(), "esc01.239409asdfakjkn23onasd0-3234");  // compact "i:"
  EXPECT_EQ(m.cseq().number, 234234u);
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  EXPECT_EQ(m.top_via().host, "host5.example.net");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw");
  EXPECT_EQ(m.content_type(), "application/sdp");  // compact "C:"
  // Contact folded onto its own line, with escaped URI parameter names and values.
  const NameAddr contact = Contact(m);
  EXPECT_EQ(contact.uri.user, "cal%6Cer");
  EXPECT_EQ(contact.uri.host, "host5.example.net");
  EXPECT_EQ(contact.uri.Param("%6C%72"), "");
  EXPECT_EQ(contact.uri.Param("n%61me"), "v%61lue%25%34%31");
  EXPECT_EQ(m.body(), Sdp("192.0.2.1", "192.0.2.1"));
}

TEST(Rfc4475ValidTest, Escnull) {  // §3.1.1.4 Escaped Nulls in URIs
  const ParseOutcome outcome = ParseTorture("escnull");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_TRUE(m.request_uri().user.empty());
  EXPECT_EQ(m.to().uri.user, "null-%00-null");
  EXPECT_EQ(m.from().uri.user, "null-%00-null");
  EXPECT_EQ(m.from().tag, "839923423");
  EXPECT_EQ(m.max_forwards(), 70);
  EXPECT_EQ(m.call_id(), "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd");
  EXPECT_EQ(m.cseq().number, 14398234u);
  EXPECT_EQ(m.cseq().method, Method::kRegister);
  EXPECT_EQ(m.top_via().host, "host5.example.com");
  // Two distinct contacts: "%00" and "%00%00".
  ASSERT_EQ(m.CountHeaders(HeaderId::kContact), 2);
  EXPECT_EQ(Contact(m, 0).uri.user, "%00");
  EXPECT_EQ(Contact(m, 1).uri.user, "%00%00");
  EXPECT_EQ(m.HeaderValue(HeaderId::kContentLength), "0");  // "L:0"
  EXPECT_TRUE(m.body().empty());
}

TEST(Rfc4475ValidTest, Esc02) {  // §3.1.1.5 Use of % When It Is Not an Escape
  const ParseOutcome outcome = ParseTorture("esc02");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  // An unknown method, not REGISTER.
  EXPECT_EQ(m.method(), Method::kUnknown);
  EXPECT_EQ(m.method_name(), "RE%47IST%45R");
  EXPECT_EQ(m.request_uri().host, "registrar.example.com");
  EXPECT_EQ(m.to().display_name, "%Z%45");
  EXPECT_EQ(m.to().uri.user, "resource");
  EXPECT_EQ(m.from().display_name, "%Z%45");
  EXPECT_EQ(m.from().tag, "f232jadfj23");
  EXPECT_EQ(m.call_id(), "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf");
  EXPECT_EQ(m.top_via().transport, "TCP");
  EXPECT_EQ(m.top_via().host, "host.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK209%fzsnel234");
  EXPECT_EQ(m.cseq().number, 29344u);
  EXPECT_EQ(m.cseq().method, Method::kUnknown);
  EXPECT_EQ(m.cseq().method_name, "RE%47IST%45R");
  EXPECT_EQ(m.max_forwards(), 70);
  // Two Contact values, not three: "C%6Fntact" is an unknown header.
  ASSERT_EQ(m.CountHeaders(HeaderId::kContact), 2);
  EXPECT_EQ(Contact(m, 0).uri.user, "alias1");
  EXPECT_EQ(Contact(m, 1).uri.user, "alias3");
  const HeaderField* fake = m.FindHeader("C%6Fntact");
  ASSERT_NE(fake, nullptr);
  EXPECT_EQ(fake->id, HeaderId::kOther);
  EXPECT_EQ(fake->value, "<sip:alias2@host2.example.com>");
  EXPECT_TRUE(m.body().empty());
}

TEST(Rfc4475ValidTest, Lwsdisp) {  // §3.1.1.6 No LWS between Display Name and <
  const ParseOutcome outcome = ParseTorture("lwsdisp");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kOptions);
  EXPECT_EQ(m.request_uri().user, "user");
  EXPECT_EQ(m.from().display_name, "caller");
  EXPECT_EQ(m.from().uri.user, "caller");
  EXPECT_EQ(m.from().uri.host, "example.com");
  EXPECT_EQ(m.from().tag, "323");
  EXPECT_EQ(m.to().uri.user, "user");
  EXPECT_EQ(m.call_id(), "lwsdisp.1234abcd@funky.example.com");
  EXPECT_EQ(m.cseq().number, 60u);
  EXPECT_EQ(m.cseq().method, Method::kOptions);
  EXPECT_EQ(m.top_via().host, "funky.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw");
  EXPECT_EQ(m.max_forwards(), 70);
  EXPECT_TRUE(m.body().empty());
}

TEST(Rfc4475ValidTest, Longreq) {  // §3.1.1.7 Long Values in Header Fields
  const ParseOutcome outcome = ParseTorture("longreq");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.to().display_name, "I have a user name of " + Repeat("extreme", 10) + " proportion");
  EXPECT_EQ(m.to().uri.user, "user");
  EXPECT_EQ(m.to().uri.host, "example.com");
  EXPECT_EQ(m.to().uri.port, 6000);
  EXPECT_EQ(m.to().uri.Param("unknownparam1"), "very" + Repeat("long", 20) + "value");
  EXPECT_EQ(m.to().uri.Param("longparam" + Repeat("name", 25)), "shortvalue");
  EXPECT_EQ(m.to().uri.Param("very" + Repeat("long", 25) + "ParameterNameWithNoValue"), "");
  EXPECT_TRUE(m.to().tag.empty());
  const std::string caller = Repeat("amazinglylongcallername", 5);
  EXPECT_EQ(m.from().uri.user, caller);  // compact "F:"
  EXPECT_EQ(m.from().tag, "12" + Repeat("982", 50) + "424");
  EXPECT_EQ(m.from().Param("unknownheaderparam" + Repeat("name", 20)),
            "unknowheaderparam" + Repeat("value", 15));
  EXPECT_EQ(m.from().Param("unknownValueless" + Repeat("paramname", 10)), "");
  EXPECT_EQ(m.call_id(), "longreq.one" + Repeat("really", 20) + "longcallid");
  EXPECT_EQ(m.cseq().number, 3882340u);
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  const HeaderField* unknown = m.FindHeader("Unknown-" + Repeat("Long", 20) + "-Name");
  ASSERT_NE(unknown, nullptr);
  EXPECT_TRUE(unknown->value.starts_with("unknown-" + Repeat("long", 20) + "-value;"));
  // 34 Via header lines, spelled in every case and with white space before ':'.
  ASSERT_EQ(m.CountHeaders(HeaderId::kVia), 34);
  EXPECT_EQ(m.top_via().transport, "TCP");
  EXPECT_EQ(m.top_via().host, "sip33.example.com");
  EXPECT_TRUE(m.top_via().branch.empty());
  const std::vector<Via> vias = Vias(m);
  ASSERT_EQ(vias.size(), 34u);
  for (int i = 0; i < 33; ++i) {
    EXPECT_EQ(vias[i].host, "sip" + std::to_string(33 - i) + ".example.com");
  }
  EXPECT_EQ(vias[33].host, "host.example.com");
  EXPECT_EQ(vias[33].received, "192.0.2.5");
  EXPECT_EQ(vias[33].branch, "very" + Repeat("long", 50) + "branchvalue");
  EXPECT_EQ(m.max_forwards(), 70);
  EXPECT_EQ(Contact(m).uri.user, caller);
  EXPECT_EQ(m.content_type(), "application/sdp");
  EXPECT_EQ(m.body(), Sdp("192.0.2.1", "192.0.2.1"));  // "l: 150"
}

TEST(Rfc4475ValidTest, Dblreq) {  // §3.1.1.8 Extra Trailing Octets in a UDP Datagram
  const ParseOutcome outcome = ParseTorture("dblreq");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  // A REGISTER with Content-Length 0; the INVITE after it is ignored.
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.to().uri.user, "j.user");
  EXPECT_EQ(m.from().tag, "43251j3j324");
  EXPECT_EQ(m.max_forwards(), 8);
  EXPECT_EQ(m.call_id(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");  // compact "I:"
  EXPECT_EQ(m.cseq().number, 8u);
  EXPECT_EQ(m.cseq().method, Method::kRegister);
  EXPECT_EQ(m.top_via().host, "192.0.2.125");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw23492");
  EXPECT_EQ(Contact(m).uri.host, "host.example.com");
  EXPECT_EQ(m.headers().size(), 8u);
  EXPECT_EQ(m.CountHeaders(HeaderId::kCallId), 1);
  EXPECT_EQ(m.CountHeaders(HeaderId::kCSeq), 1);
  EXPECT_TRUE(m.body().empty());
  EXPECT_EQ(m.raw().size(), 750u);  // the trailing octets were received, and dropped
}

TEST(Rfc4475ValidTest, Semiuri) {  // §3.1.1.9 Semicolon-Separated Parameters in URI User Part
  const ParseOutcome outcome = ParseTorture("semiuri");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kOptions);
  // The ';' belongs to the user part: there are no URI parameters.
  EXPECT_EQ(m.request_uri().user, "user;par=u%40example.net");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_TRUE(m.request_uri().params.empty());
  EXPECT_EQ(m.to().uri.user, "j_user");
  EXPECT_EQ(m.from().tag, "33242");
  EXPECT_EQ(m.max_forwards(), 3);
  EXPECT_EQ(m.call_id(), "semiuri.0ha0isndaksdj");
  EXPECT_EQ(m.cseq().method, Method::kOptions);
  // Accept folded over three lines: six values.
  EXPECT_EQ(
      Values(m, HeaderId::kAccept),
      (std::vector<std::string_view>{"application/sdp", "application/pkcs7-mime", "multipart/mixed",
                                     "multipart/signed", "message/sip", "message/sipfrag"}));
  EXPECT_EQ(m.top_via().host, "192.0.2.1");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw");
  EXPECT_TRUE(m.body().empty());
}

TEST(Rfc4475ValidTest, Transports) {  // §3.1.1.10 Varied and Unknown Transport Types
  const ParseOutcome outcome = ParseTorture("transports");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kOptions);
  EXPECT_EQ(m.from().tag, "323");
  EXPECT_EQ(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
  EXPECT_EQ(m.cseq().number, 60u);
  EXPECT_EQ(m.top_via().transport, "UDP");
  EXPECT_EQ(m.top_via().host, "t1.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw");
  const std::vector<Via> vias = Vias(m);
  ASSERT_EQ(vias.size(), 5u);
  const char* const kTransports[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
  for (size_t i = 0; i < vias.size(); ++i) {
    EXPECT_EQ(vias[i].transport, kTransports[i]);
    EXPECT_EQ(vias[i].host, absl::StrCat("t", i + 1, ".example.com"));
  }
  EXPECT_EQ(vias[4].branch, "z9hG4bK0a9idfnee");
  EXPECT_TRUE(m.body().empty());
}

TEST(Rfc4475ValidTest, Mpart01) {  // §3.1.1.11 Multipart MIME Message
  const ParseOutcome outcome = ParseTorture("mpart01");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kMessage);
  EXPECT_EQ(m.request_uri().user, "kumiko");
  EXPECT_EQ(m.request_uri().host, "example.org");
  EXPECT_EQ(m.top_via().host, "127.0.0.1");
  EXPECT_EQ(m.top_via().port, 5070);
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-");
  EXPECT_TRUE(m.top_via().has_rport);
  EXPECT_EQ(m.top_via().rport, 0);
  EXPECT_EQ(m.max_forwards(), 70);
  EXPECT_EQ(Values(m, HeaderId::kRoute), std::vector<std::string_view>{"<sip:127.0.0.1:5080>"});
  const HeaderField* identity = m.FindHeader("Identity");
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->value.size(), 172u);
  EXPECT_EQ(Contact(m).uri.port, 5070);
  EXPECT_EQ(m.to().uri.user, "kumiko");
  EXPECT_EQ(m.from().uri.user, "fluffy");
  EXPECT_EQ(m.from().tag, "2fb0dcc9");
  EXPECT_EQ(m.call_id(), "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
  EXPECT_EQ(m.cseq().number, 1u);
  EXPECT_EQ(m.cseq().method, Method::kMessage);
  EXPECT_EQ(m.content_type(), "multipart/mixed;boundary=7a9cbec02ceef655");
  // The binary part (a DER blob with NUL, CR and LF octets) is body, framed by
  // Content-Length alone.
  ASSERT_EQ(m.body().size(), 553u);
  EXPECT_TRUE(m.body().starts_with("--7a9cbec02ceef655\r\nContent-Type: text/plain\r\n"));
  EXPECT_TRUE(m.body().ends_with("\r\n--7a9cbec02ceef655--\r\n"));
  EXPECT_TRUE(Contains(m.body(), std::string_view("\x30\x82\x01\x52\x06\x09", 6)));
  EXPECT_TRUE(Contains(m.body(), std::string_view("\x95\x00\x71", 3)));
}

TEST(Rfc4475ValidTest, Unreason) {  // §3.1.1.12 Unusual Reason Phrase
  const ParseOutcome outcome = ParseTorture("unreason");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 200);
  // "= 2**3 * 5**2 но сто девяносто девять - простое" in UTF-8.
  EXPECT_EQ(m.reason_phrase(),
            "= 2**3 * 5**2 \xD0\xBD\xD0\xBE \xD1\x81\xD1\x82\xD0\xBE "
            "\xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F\xD0\xBD\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE "
            "\xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F\xD1\x82\xD1\x8C - "
            "\xD0\xBF\xD1\x80\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE\xD0\xB5");
  EXPECT_EQ(m.top_via().host, "192.0.2.198");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK1324923");
  EXPECT_EQ(m.call_id(), "unreason.1234ksdfak3j2erwedfsASdf");
  EXPECT_EQ(m.cseq().number, 35u);
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  EXPECT_EQ(m.from().tag, "11141343");
  EXPECT_EQ(m.to().tag, "2229");
  EXPECT_EQ(m.to().uri.host, "example.edu");
  EXPECT_EQ(m.body(), Sdp("192.0.2.198", "192.0.2.198"));  // 154 octets
}

TEST(Rfc4475ValidTest, Noreason) {  // §3.1.1.13 Empty Reason Phrase
  const ParseOutcome outcome = ParseTorture("noreason");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 100);
  EXPECT_EQ(m.reason_phrase(), "");  // "SIP/2.0 100 " and nothing after the SP
  EXPECT_EQ(m.top_via().branch, "z9hG4bK2398ndaoe");
  EXPECT_EQ(m.call_id(), "noreason.asndj203insdf99223ndf");
  EXPECT_EQ(m.cseq().number, 35u);
  EXPECT_EQ(m.from().tag, "39ansfi3");
  EXPECT_EQ(m.to().tag, "902jndnke3");
  EXPECT_TRUE(m.body().empty());
}

// ---------------------------------------------------------------------------
// §3.1.2 messages the RFC lets an element accept ("be liberal"), and §3.2-§3.4
// messages that are well formed: the parser accepts them; what the RFC asks of
// them (420, 415, 483, a registrar's 400 ...) belongs to the layers above.

TEST(Rfc4475AcceptedTest, Escruri) {  // §3.1.2.11 Escaped Headers in SIP Request-URI
  // RFC: "acceptable to reject ... with a 400" or be liberal and ignore the
  // headers. The parser keeps them in SipUri::headers; the call layer ignores them.
  const ParseOutcome outcome = ParseTorture("escruri");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri().user, "user");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.request_uri().headers, "Route=%3Csip:example.com%3E");
  EXPECT_EQ(m.call_id(), "escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5");
  EXPECT_EQ(m.cseq().number, 149209342u);
  EXPECT_EQ(m.top_via().host, "host-of-the-hour.example.com");
  EXPECT_EQ(m.body().size(), 150u);
}

TEST(Rfc4475AcceptedTest, Baddate) {  // §3.1.2.12 Invalid Time Zone in Date Header Field
  // RFC: an element that does not use Date may ignore it. The parser does not read Date.
  const ParseOutcome outcome = ParseTorture("baddate");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  const HeaderField* date = m.FindHeader("Date");
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(date->value, "Fri, 01 Jan 2010 16:00:00 EST");
  EXPECT_EQ(m.call_id(), "baddate.239423mnsadf3j23lj42--sedfnm234");
  EXPECT_EQ(m.cseq().number, 1392934u);
  EXPECT_EQ(m.body(), Sdp("192.0.2.5", "192.0.2.5"));
}

TEST(Rfc4475AcceptedTest, Badbranch) {  // §3.2.1 Missing Transaction Identifier
  // RFC: reject with 400 or fall back to RFC 2543 transaction matching; the
  // parser passes the bare magic cookie on and the transaction layer decides.
  const ParseOutcome outcome = ParseTorture("badbranch");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kOptions);
  EXPECT_EQ(m.top_via().host, "192.0.2.1");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK");
  EXPECT_EQ(m.call_id(), "badbranch.sadonfo23i420jv0as0derf3j3n");
  EXPECT_EQ(m.cseq().number, 8u);
  EXPECT_EQ(m.max_forwards(), 3);
}

TEST(Rfc4475AcceptedTest, Unksm2) {  // §3.3.4 Unknown URI Schemes in Header Fields
  // RFC: "The message is syntactically valid"; only a registrar rejects it (400,
  // its To is not a SIP AOR). The Request-URI is sip:, so no 416 either.
  const ParseOutcome outcome = ParseTorture("unksm2");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kRegister);
  EXPECT_TRUE(m.request_uri().is_sip());
  EXPECT_EQ(m.to().uri.scheme, "isbn");
  EXPECT_FALSE(m.to().uri.is_sip());
  EXPECT_EQ(m.to().uri.opaque, "2983792873");
  EXPECT_EQ(m.from().uri.scheme, "http");
  EXPECT_EQ(m.from().tag, "3234233");
  EXPECT_EQ(Contact(m).uri.scheme, "name");
  EXPECT_EQ(Contact(m).uri.opaque, "John_Smith");
  EXPECT_EQ(m.call_id(), "unksm2.daksdj@hyphenated-host.example.com");
  EXPECT_EQ(m.top_via().port, 5060);
}

TEST(Rfc4475AcceptedTest, Bext01) {  // §3.3.5 Proxy-Require and Require
  const ParseOutcome outcome = ParseTorture("bext01");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(Values(m, HeaderId::kRequire),
            (std::vector<std::string_view>{"nothingSupportsThis", "nothingSupportsThisEither"}));
  EXPECT_EQ(Values(m, HeaderId::kProxyRequire),
            (std::vector<std::string_view>{"noProxiesSupportThis", "norDoAnyProxiesSupportThis"}));
  EXPECT_EQ(m.top_via().transport, "TLS");
  EXPECT_EQ(m.top_via().host, "fold-and-staple.example.com");
  EXPECT_EQ(m.call_id(), "bext01.0ha0isndaksdj");
  EXPECT_EQ(m.max_forwards(), 6);
}

TEST(Rfc4475AcceptedTest, Invut) {  // §3.3.6 Unknown Content-Type
  const ParseOutcome outcome = ParseTorture("invut");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.content_type(), "application/unknownformat");
  EXPECT_EQ(m.body(), "<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n");  // 40 octets
  EXPECT_EQ(m.call_id(), "invut.0ha0isndaksdjadsfij34n23d");
  EXPECT_EQ(m.cseq().number, 235448u);
}

TEST(Rfc4475AcceptedTest, Regaut01) {  // §3.3.7 Unknown Authorization Scheme
  const ParseOutcome outcome = ParseTorture("regaut01");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kRegister);
  const HeaderField* authorization = m.FindHeader("Authorization");
  ASSERT_NE(authorization, nullptr);
  EXPECT_EQ(authorization->value, "NoOneKnowsThisScheme opaque-data=here");
  EXPECT_EQ(m.top_via().transport, "TCP");
  EXPECT_EQ(m.call_id(), "regaut01.0ha0isndaksdj");
  EXPECT_TRUE(m.body().empty());  // "Content-Length:0"
}

TEST(Rfc4475AcceptedTest, Bcast) {  // §3.3.10 200 OK Response with Broadcast Via
  // Well formed; it is the transaction layer that must not send anything to
  // 255.255.255.255 (it drops a response whose top Via is not its own).
  const ParseOutcome outcome = ParseTorture("bcast");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status_code(), 200);
  EXPECT_EQ(m.reason_phrase(), "OK");
  const std::vector<Via> vias = Vias(m);
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(vias[0].host, "192.0.2.198");
  EXPECT_EQ(vias[1].host, "255.255.255.255");
  EXPECT_EQ(vias[1].branch, "z9hG4bK1saber23");
  EXPECT_EQ(m.call_id(), "bcast.0384840201234ksdfak3j2erwedfsASdf");
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  EXPECT_EQ(m.body(), Sdp("192.0.2.198", "192.0.2.198"));
}

TEST(Rfc4475AcceptedTest, Zeromf) {  // §3.3.11 Max-Forwards of Zero
  const ParseOutcome outcome = ParseTorture("zeromf");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kOptions);
  EXPECT_EQ(m.max_forwards(), 0);  // a UAS answers it; only a proxy sends 483
  EXPECT_EQ(m.call_id(), "zeromf.jfasdlfnm2o2l43r5u0asdfas");
}

TEST(Rfc4475AcceptedTest, Cparam01) {  // §3.3.12 REGISTER with a Contact Header Parameter
  const ParseOutcome outcome = ParseTorture("cparam01");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  // addr-spec form: ";unknownparam" is a Contact header parameter, not a URI one.
  const NameAddr contact = Contact(outcome.message);
  EXPECT_EQ(contact.uri.user, "+19725552222");
  EXPECT_EQ(contact.uri.host, "gw1.example.net");
  EXPECT_TRUE(contact.uri.params.empty());
  EXPECT_EQ(contact.Param("unknownparam"), "");
  EXPECT_EQ(outcome.message.from().tag, "DkfVgjkrtMwaerKKpe");
}

TEST(Rfc4475AcceptedTest, Cparam02) {  // §3.3.13 REGISTER with a url-parameter
  const ParseOutcome outcome = ParseTorture("cparam02");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  // name-addr form: ";unknownparam" is inside <>, a URI parameter.
  const NameAddr contact = Contact(outcome.message);
  EXPECT_EQ(contact.uri.Param("unknownparam"), "");
  EXPECT_TRUE(contact.params.empty());
  EXPECT_EQ(outcome.message.from().tag, "838293");
}

TEST(Rfc4475AcceptedTest, Regescrt) {  // §3.3.14 REGISTER with a URL Escaped Header
  const ParseOutcome outcome = ParseTorture("regescrt");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const NameAddr contact = Contact(outcome.message);  // compact "M:"
  EXPECT_EQ(contact.uri.user, "user");
  EXPECT_EQ(contact.uri.host, "example.com");
  EXPECT_EQ(contact.uri.headers, "Route=%3Csip:sip.example.com%3E");
  EXPECT_TRUE(outcome.message.body().empty());  // "L:0"
}

TEST(Rfc4475AcceptedTest, Sdp01) {  // §3.3.15 Unacceptable Accept Offering
  const ParseOutcome outcome = ParseTorture("sdp01");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(Values(m, HeaderId::kAccept), std::vector<std::string_view>{"text/nobodyKnowsThis"});
  EXPECT_EQ(m.content_type(), "application/sdp");
  EXPECT_EQ(m.body(), Sdp("192.0.2.5", "192.0.2.5"));
}

TEST(Rfc4475AcceptedTest, Inv2543) {  // §3.4.1 INVITE with RFC 2543 Syntax
  const ParseOutcome outcome = ParseTorture("inv2543");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_status << " " << outcome.reject_reason;
  const SipMessage& m = outcome.message;
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri().user, "UserB");
  // No branch, no Max-Forwards, no Content-Length.
  EXPECT_EQ(m.top_via().host, "iftgw.example.com");
  EXPECT_TRUE(m.top_via().branch.empty());
  EXPECT_EQ(m.max_forwards(), -1);
  EXPECT_EQ(m.from().uri.Param("user"), "phone");
  EXPECT_TRUE(m.from().tag.empty());
  EXPECT_EQ(m.to().uri.user, "+16505552222");
  EXPECT_EQ(m.to().Param("user"), "phone");  // addr-spec: a header parameter
  EXPECT_EQ(m.call_id(), "inv2543.1717@ift.client.example.com");
  EXPECT_EQ(m.cseq().number, 56u);
  EXPECT_EQ(m.CountHeaders(HeaderId::kRecordRoute), 1);
  // Over UDP a missing Content-Length means the rest of the datagram.
  EXPECT_EQ(m.body(),
            "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\n"
            "t=0 0\r\nm=audio 49217 RTP/AVP 0\r\n");
}

// ---------------------------------------------------------------------------
// Rejected messages: the status a request deserves and a reason naming the
// fault. A request whose top Via, From, To, Call-ID and CSeq are readable is
// answerable; a response never is (it is dropped).

struct RejectCase {
  const char* name;
  const char* section;
  int status;  // 0: any reject status (responses are dropped, not answered)
  // The reason must contain every entry of `all_of` and, when `any_of` is not
  // empty, at least one of its entries.
  std::vector<std::string> all_of;
  std::vector<std::string> any_of;
  bool answerable;
  const char* call_id;  // checked when answerable: what the response would carry
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name << " (§" << c.section << ")"; }

// clang-format off
const RejectCase kRejectCases[] = {
    // §3.1.2.1: empty Via and Contact parameters (";;,;,," and ";;;;"). RFC: "should respond
    // with a 400": the top Via's sent-by (192.0.2.15) is readable, so it is answerable.
    {"badinv01", "3.1.2.1", 400, {"Via"}, {}, true,
     "badinv01.0ha0isndaksdjasdf3234nas"},
    // §3.1.2.2: Content-Length 9999 over a 154-octet body, on UDP.
    {"clerr", "3.1.2.2", 400, {"Content-Length"}, {}, true,
     "clerr.0ha0isndaksdjweiafasdk3"},
    // §3.1.2.3: Content-Length -999.
    {"ncl", "3.1.2.3", 400, {"Content-Length"}, {}, true,
     "ncl.0ha0isndaksdj2193423r542w35"},
    // §3.1.2.4: CSeq 2**65 (and Max-Forwards 300, Expires 10**100): 400 for the CSeq.
    {"scalar02", "3.1.2.4", 400, {"CSeq"}, {}, true,
     "scalar02.23o0pd9vanlq3wnrlnewofjas9ui32"},
    // §3.1.2.5: a response with an overlarge CSeq: dropped.
    {"scalarlg", "3.1.2.5", 0, {"CSeq"}, {}, false, ""},
    // §3.1.2.6: unterminated quoted string in the To display name.
    {"quotbal", "3.1.2.6", 400, {"To header"}, {}, true,
     "quotbal.aksdj"},
    // §3.1.2.7: "INVITE <sip:user@example.com> SIP/2.0".
    {"ltgtruri", "3.1.2.7", 400, {"Request-URI"}, {}, true,
     "ltgtruri.1@192.0.2.5"},
    // §3.1.2.8: "sip:user@example.com; lr" in the Request-Line.
    {"lwsruri", "3.1.2.8", 400, {}, {"Request-URI", "Request-Line"}, true,
     "lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423"},
    // §3.1.2.9: two SPs between Request-Line elements (RFC: rejecting is acceptable).
    {"lwsstart", "3.1.2.9", 400, {"Request-Line"}, {}, true,
     "lwsstart.dfknq234oi243099adsdfnawe3@example.com"},
    // §3.1.2.10: SPs after SIP/2.0 (RFC: rejecting is acceptable).
    {"trws", "3.1.2.10", 400, {"Request-Line"}, {}, true,
     "trws.oicu34958239neffasdhr2345r"},
    // §3.1.2.13: addr-spec Contact holding '?': it needs <> (RFC: 400 is reasonable).
    // The parser checks a request's Contact because it becomes a dialog's target.
    {"regbadct", "3.1.2.13", 400, {"Contact"}, {}, true,
     "regbadct.k345asrl3fdbv@10.0.0.1"},
    // §3.1.2.14: "< sip:t.watson@example.org >" (RFC: 400 is reasonable).
    {"badaspec", "3.1.2.14", 400, {"To header"}, {}, true,
     "badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3"},
    // §3.1.2.15: unquoted display names holding ','. The published file also lacks the
    // empty line ending the headers; on UDP the end of the datagram ends them.
    {"baddn", "3.1.2.15", 400, {}, {"From header", "To header"}, true,
     "baddn.31415@c.example.com"},
    // §3.1.2.16: SIP/7.0. RFC: "respond to the request with a 505".
    {"badvers", "3.1.2.16", 505, {"Version"}, {}, true,
     "badvers.31417@c.example.com"},
    // §3.1.2.17: OPTIONS with "CSeq: 8 INVITE".
    {"mismatch01", "3.1.2.17", 400, {"CSeq method does not match request method"}, {}, true,
     "mismatch01.dj0234sxdfl3"},
    // §3.1.2.18: NEWMETHOD with "CSeq: 8 INVITE" (RFC: 501 preferred, 400 acceptable).
    {"mismatch02", "3.1.2.18", 400, {"CSeq method does not match request method"}, {}, true,
     "mismatch02.dj0234sxdfl3"},
    // §3.1.2.19: status code 4294967301: the response is dropped.
    {"bigcode", "3.1.2.19", 0, {"Status"}, {}, false, ""},
    // §3.3.1: no Call-ID, From or To: 400, but nothing to build a response from.
    {"insuf", "3.3.1", 400, {"Missing"}, {"From", "To", "Call-ID"}, false, ""},
    // §3.3.2: a Request-URI scheme nobody knows: 416.
    {"unkscm", "3.3.2", 416, {"URI Scheme"}, {}, true,
     "unkscm.nasdfasser0q239nwsdfasdkl34"},
    // §3.3.3: a soap.beep: Request-URI is well formed, but "if an element receiving this
    // request does not support the URI scheme, it should respond with a 416".
    {"novelsc", "3.3.3", 416, {"URI Scheme"}, {}, true,
     "novelsc.asdfasser0q239nwsdfasdkl34"},
    // §3.3.8: two To, From, Call-ID and CSeq (and Max-Forwards, Contact): 400.
    {"multi01", "3.3.8", 400, {"Multiple"}, {}, true, ""},
    // §3.3.9: Content-Length 13 and 5 over UDP: 400.
    {"mcl01", "3.3.9", 400, {"Content-Length"}, {}, true,
     "mcl01.fhn2323orihawfdoa3o4r52o3irsdf"},
};
// clang-format on

class Rfc4475RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(Rfc4475RejectTest, IsRejected) {
  const RejectCase& c = GetParam();
  const ParseOutcome outcome = ParseTorture(c.name);
  ASSERT_FALSE(outcome.ok()) << "accepted";
  if (c.status != 0) {
    EXPECT_EQ(outcome.reject_status, c.status) << outcome.reject_reason;
  }
  for (const std::string& part : c.all_of) {
    EXPECT_TRUE(Contains(outcome.reject_reason, part))
        << "reason \"" << outcome.reject_reason << "\" lacks \"" << part << "\"";
  }
  if (!c.any_of.empty()) {
    bool found = false;
    for (const std::string& part : c.any_of) found = found || Contains(outcome.reject_reason, part);
    EXPECT_TRUE(found) << "reason \"" << outcome.reject_reason << "\" names none of "
                       << ::testing::PrintToString(c.any_of);
  }
  EXPECT_EQ(outcome.answerable, c.answerable)
      << "answerable, for \"" << outcome.reject_reason << "\"";
  if (c.answerable && *c.call_id != '\0') {
    EXPECT_EQ(outcome.message.call_id(), c.call_id);
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc4475, Rfc4475RejectTest, ::testing::ValuesIn(kRejectCases),
                         [](const ::testing::TestParamInfo<RejectCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace tutti::sip
