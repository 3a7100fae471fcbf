// How a file a stranger named and typed is handed to an API client: a
// Content-Disposition that always downloads it, under a name that cannot
// be a path, a hidden file or a header injection, and a Content-Type that
// is either a plain type/subtype or application/octet-stream.
#pragma once

#include <string>
#include <string_view>

namespace tutti::api {

// The offered name for a quoted filename="...": printable ASCII but quotes,
// backslashes and slashes (a run of others becomes one '_'), no leading
// dots, at most 100 bytes; "file" when nothing is left.
std::string AttachmentName(std::string_view offered);
// `attachment; filename="<AttachmentName>"; filename*=UTF-8''<offered,
// percent-encoded>` (RFC 6266, RFC 8187): the exact name for clients that
// read it, a safe one for the others.
std::string AttachmentDisposition(std::string_view offered);
// The offered type when it is a plain type/subtype of token characters,
// else application/octet-stream.
std::string DownloadType(std::string_view offered);

}  // namespace tutti::api
