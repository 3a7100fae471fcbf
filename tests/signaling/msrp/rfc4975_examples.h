// RFC 4975 §7.1's example exchange, byte for byte: what the parser must
// read and the writer must write.
#pragma once

namespace tutti::msrp::rfc4975 {

// §7.1's first example: Alice's SEND and Bob's 200.
inline constexpr char kSend[] =
    "MSRP a786hjs2 SEND\r\n"
    "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
    "From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
    "Message-ID: 87652491\r\n"
    "Byte-Range: 1-25/25\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hey Bob, are you there?\r\n"
    "-------a786hjs2$\r\n";

inline constexpr char kOk[] =
    "MSRP a786hjs2 200 OK\r\n"
    "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
    "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
    "-------a786hjs2$\r\n";

// §7.1.2's REPORT.
inline constexpr char kReport[] =
    "MSRP dkei38sd REPORT\r\n"
    "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
    "From-Path: msrp://bobpc.example.com:8888/9di4eae923wzd;tcp\r\n"
    "Message-ID: 12339sdqwer\r\n"
    "Byte-Range: 1-106/106\r\n"
    "Status: 000 200 OK\r\n"
    "-------dkei38sd$\r\n";

}  // namespace tutti::msrp::rfc4975
