#include "signaling/sip/sip_method.h"

#include <array>
#include <utility>

namespace tutti::sip {
namespace {

constexpr std::array<std::pair<std::string_view, Method>, 14> kMethods = {{
    {"INVITE", Method::kInvite},
    {"ACK", Method::kAck},
    {"BYE", Method::kBye},
    {"CANCEL", Method::kCancel},
    {"OPTIONS", Method::kOptions},
    {"REGISTER", Method::kRegister},
    {"INFO", Method::kInfo},
    {"MESSAGE", Method::kMessage},
    {"NOTIFY", Method::kNotify},
    {"SUBSCRIBE", Method::kSubscribe},
    {"REFER", Method::kRefer},
    {"UPDATE", Method::kUpdate},
    {"PRACK", Method::kPrack},
    {"PUBLISH", Method::kPublish},
}};

}  // namespace

Method MethodFromName(std::string_view name) {
  for (const auto& [text, method] : kMethods) {
    if (text == name) return method;
  }
  return Method::kUnknown;
}

std::string_view MethodName(Method method) {
  for (const auto& [text, known] : kMethods) {
    if (known == method) return text;
  }
  return {};
}

}  // namespace tutti::sip
