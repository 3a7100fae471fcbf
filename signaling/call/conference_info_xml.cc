#include "signaling/call/conference_info_xml.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "common/strings.h"

namespace tutti {
namespace {

// The length of the well-formed UTF-8 sequence at `text[at]` (RFC 3629 §4),
// 0 when it is not one. Surrogates, overlong forms and U+FFFE/U+FFFF (not
// XML characters) are refused.
size_t Utf8SequenceLength(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  if (lead == 0xEF && byte(1) == 0xBF && (byte(2) == 0xBE || byte(2) == 0xBF)) return 0;
  return length;
}

// The entity for a character XML reserves; empty for any other.
std::string_view EntityFor(char c) {
  constexpr std::pair<char, std::string_view> kEntities[] = {
      {'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&apos;"}};
  for (const auto& [reserved, entity] : kEntities) {
    if (c == reserved) return entity;
  }
  return {};
}

std::string_view BoolText(bool value) { return value ? "true" : "false"; }

void AppendEndpoint(std::string* xml, const RosterEndpoint& endpoint) {
  // The endpoint's entity names the participant as the control API does,
  // not its Contact: a roster must not hand out callers' addresses.
  StrAppend(xml, "      <endpoint entity=\"urn:tutti:participant:", endpoint.participant, "\">\n");
  if (!endpoint.connected) {
    StrAppend(xml,
              "        <status>disconnected</status>\n"
              "        <disconnection-method>departed</disconnection-method>\n"
              "      </endpoint>\n");
    return;
  }
  StrAppend(xml, "        <status>", endpoint.held ? "on-hold" : "connected", "</status>\n",
            "        <joining-method>dialed-in</joining-method>\n");
  // What the bridge takes from the caller: nothing while muted, nothing
  // either way while held.
  const std::string_view media_status =
      endpoint.held ? "inactive" : (endpoint.muted ? "recvonly" : "sendrecv");
  StrAppend(xml, "        <media id=\"audio-", endpoint.participant,
            "\">\n"
            "          <type>audio</type>\n"
            "          <status>",
            media_status, "</status>\n", "          <tutti:talking>",
            BoolText(endpoint.talking && !endpoint.muted && !endpoint.held), "</tutti:talking>\n",
            "        </media>\n", "      </endpoint>\n");
}

void AppendUsers(std::string* xml, const ConferenceRoster& roster) {
  // One <user> per From URI (RFC 4575 §5.6: a user's entity is unique),
  // in the order each first joined.
  std::vector<std::vector<const RosterEndpoint*>> users;
  absl::flat_hash_map<std::string, size_t> index;
  for (const RosterEndpoint& endpoint : roster.endpoints) {
    auto [it, added] = index.try_emplace(endpoint.user, users.size());
    if (added) users.emplace_back();
    users[it->second].push_back(&endpoint);
  }
  StrAppend(xml, "  <users>\n");
  for (const std::vector<const RosterEndpoint*>& endpoints : users) {
    const RosterEndpoint& first = *endpoints.front();
    StrAppend(xml, "    <user entity=\"", XmlEscape(first.user), "\" state=\"full\">\n");
    if (!first.display_name.empty()) {
      StrAppend(xml, "      <display-text>", XmlEscape(first.display_name), "</display-text>\n");
    }
    bool moderator = false;
    for (const RosterEndpoint* endpoint : endpoints) moderator |= endpoint->moderator;
    StrAppend(xml, "      <roles><entry>", moderator ? "moderator" : "participant",
              "</entry></roles>\n");
    for (const RosterEndpoint* endpoint : endpoints) AppendEndpoint(xml, *endpoint);
    StrAppend(xml, "    </user>\n");
  }
  StrAppend(xml, "  </users>\n");
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out.push_back('?');
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
    if (const std::string_view entity = EntityFor(static_cast<char>(c)); !entity.empty()) {
      out.append(entity);
    } else if (c >= 0x20 || c == '\t') {
      // Other control characters (line breaks too) have no place in a name.
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string ConferenceInfoXml(std::string_view conference_uri, const ConferenceRoster& roster,
                              uint32_t version) {
  int connected = roster.unlisted;
  for (const RosterEndpoint& endpoint : roster.endpoints) connected += endpoint.connected ? 1 : 0;
  std::string xml = StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" xmlns:tutti=\"",
      kTuttiConferenceInfoNamespace, "\" entity=\"", XmlEscape(conference_uri),
      "\" state=\"full\" version=\"", version, "\">\n", "  <conference-description>\n",
      "    <display-text>", XmlEscape(roster.display_text), "</display-text>\n");
  if (roster.max_users > 0) {
    StrAppend(&xml, "    <maximum-user-count>", roster.max_users, "</maximum-user-count>\n");
  }
  StrAppend(&xml,
            "    <available-media>\n"
            "      <entry label=\"audio\"><type>audio</type><status>sendrecv</status></entry>\n"
            "    </available-media>\n"
            "  </conference-description>\n"
            "  <conference-state>\n"
            "    <user-count>",
            connected, "</user-count>\n", "    <active>", BoolText(connected > 0), "</active>\n",
            "    <locked>", BoolText(roster.locked), "</locked>\n", "  </conference-state>\n");
  AppendUsers(&xml, roster);
  StrAppend(&xml, "</conference-info>\n");
  return xml;
}

}  // namespace tutti
