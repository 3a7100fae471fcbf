#include "signaling/sip/message_writer.h"

#include "common/strings.h"

namespace tutti::sip {

// long-function: a table, one case per status code of RFC 3261 section 21 and its extensions.
std::string_view DefaultReasonPhrase(int status_code) {
  switch (status_code) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 380:
      return "Alternative Service";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 422:
      return "Session Interval Too Small";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      return "Unknown";
  }
}

MessageWriter MessageWriter::Request(std::string_view method, std::string_view request_uri) {
  MessageWriter writer;
  writer.text_.reserve(512);
  StrAppend(&writer.text_, method, " ", request_uri, " SIP/2.0\r\n");
  return writer;
}

MessageWriter MessageWriter::Request(Method method, std::string_view request_uri) {
  return Request(MethodName(method), request_uri);
}

MessageWriter MessageWriter::Response(int status_code, std::string_view reason) {
  MessageWriter writer;
  writer.text_.reserve(512);
  StrAppend(&writer.text_, "SIP/2.0 ", status_code, " ",
            reason.empty() ? DefaultReasonPhrase(status_code) : reason, "\r\n");
  return writer;
}

MessageWriter& MessageWriter::Header(std::string_view name, std::string_view value) & {
  StrAppend(&text_, name, ": ", value, "\r\n");
  return *this;
}

MessageWriter& MessageWriter::Header(HeaderId id, std::string_view value) & {
  return Header(CanonicalHeaderName(id), value);
}

std::string MessageWriter::Finish(std::string_view body, std::string_view content_type) && {
  if (!body.empty() && !content_type.empty()) Header(HeaderId::kContentType, content_type);
  StrAppend(&text_, "Content-Length: ", body.size(), "\r\n\r\n", body);
  return std::move(text_);
}

MessageWriter ResponseTo(const SipMessage& request, int status_code, std::string_view reason,
                         std::string_view to_tag, std::string_view top_via) {
  MessageWriter response = MessageWriter::Response(status_code, reason);
  bool first_via = true;
  for (const HeaderField& field : request.headers()) {
    if (field.id != HeaderId::kVia) continue;
    response.Header(HeaderId::kVia, first_via && !top_via.empty() ? top_via : field.value);
    first_via = false;
  }
  response.Header(HeaderId::kFrom, request.HeaderValue(HeaderId::kFrom));
  // RFC 3261 §8.2.6.2: the UAS tags To, except that 100 Trying need not.
  const std::string_view to = request.HeaderValue(HeaderId::kTo);
  if (request.to().tag.empty() && !to_tag.empty() && status_code != 100) {
    response.Header(HeaderId::kTo, StrCat(to, ";tag=", to_tag));
  } else {
    response.Header(HeaderId::kTo, to);
  }
  response.Header(HeaderId::kCallId, request.HeaderValue(HeaderId::kCallId));
  response.Header(HeaderId::kCSeq, request.HeaderValue(HeaderId::kCSeq));
  // §8.2.6.1: a 100 echoes the request's Timestamp.
  if (status_code == 100) {
    if (const HeaderField* timestamp = request.FindHeader(HeaderId::kTimestamp)) {
      response.Header(HeaderId::kTimestamp, timestamp->value);
    }
  }
  return response;
}

}  // namespace tutti::sip
