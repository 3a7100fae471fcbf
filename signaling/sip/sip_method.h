// SIP request methods (RFC 3261 and extensions the bridge meets).
#pragma once

#include <cstdint>
#include <string_view>

namespace tutti::sip {

enum class Method : uint8_t {
  kUnknown,  // an extension method; its token is kept as text
  kInvite,
  kAck,
  kBye,
  kCancel,
  kOptions,
  kRegister,
  kInfo,
  kMessage,
  kNotify,
  kSubscribe,
  kRefer,
  kUpdate,
  kPrack,
  kPublish,
};

// Method names are case-sensitive (RFC 3261 §7.1); "invite" is an unknown method.
Method MethodFromName(std::string_view name);
std::string_view MethodName(Method method);  // "" for kUnknown

}  // namespace tutti::sip
