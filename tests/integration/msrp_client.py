"""An MSRP client (RFC 4975) for the integration tests, written from the RFC
and not from tutti's parser: framing, chunking, reassembly, transaction
responses and REPORTs, over a TCP connection it opens (active) or accepts
(passive). Standard library only.

The wire format (RFC 4975 §7, ABNF §9):

    MSRP <transact-id> <method>          (or MSRP <transact-id> <code> [comment])
    To-Path: <msrp-uri> ...
    From-Path: <msrp-uri> ...
    <other headers>                      (Message-ID, Byte-Range, Status, ...)
    Content-Type: <type>                 (only with a body)
    <blank line>
    <body>
    -------<transact-id><flag>           flag: $ end, + more chunks, # aborted

A request without a body goes straight from its last header to the
end-line. The body is the bytes between the blank line and the CRLF before
the end-line: framing never relies on Byte-Range (RFC 4975 §7.1: the
sender picks a transaction id the body does not contain as an end-line).
"""

import hashlib
import re
import secrets
import socket
import string
import threading
import time

END, MORE, ABORT = "$", "+", "#"
_TID_CHARS = string.ascii_letters + string.digits
_TID_RE = re.compile(rb"[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}")
MAX_HEADER_BYTES = 16 * 1024


class MsrpFramingError(Exception):
    """Bytes on the connection that are no MSRP (RFC 4975 §9)."""


def new_id(length=16):
    """A transaction, message or session id: random, URI-safe (§6, §7.1)."""
    return "".join(secrets.choice(_TID_CHARS) for _ in range(length))


def path_uri(host, port, session_id):
    """msrp://host:port/session-id;tcp (RFC 4975 §6)."""
    return f"msrp://{host}:{port}/{session_id};tcp"


def parse_uri(uri):
    """(host, port, session_id) of an msrp URI; raises ValueError."""
    m = re.fullmatch(r"msrps?://(?:[^@/]*@)?(\[[^\]]+\]|[^:/;]+):(\d+)/([^;/]+);(\w+)", uri,
                     re.IGNORECASE)
    if not m:
        raise ValueError(f"not an MSRP URI: {uri!r}")
    return m.group(1).strip("[]"), int(m.group(2)), m.group(3)


def same_uri(a, b):
    """RFC 4975 §6.1: scheme and host without case, port, session-id with case."""
    try:
        ha, pa, sa = parse_uri(a)
        hb, pb, sb = parse_uri(b)
    except ValueError:
        return False
    return (a.split(":", 1)[0].lower() == b.split(":", 1)[0].lower()
            and ha.lower() == hb.lower() and pa == pb and sa == sb
            and a.rsplit(";", 1)[1].lower() == b.rsplit(";", 1)[1].lower())


def format_range(start, end, total):
    """Byte-Range's value: 1-based inclusive, '*' for an unknown end or total."""
    return f"{start}-{'*' if end is None else end}/{'*' if total is None else total}"


def parse_range(value):
    """(start, end or None, total or None) of a Byte-Range value."""
    m = re.fullmatch(r"\s*(\d+)-(\d+|\*)/(\d+|\*)\s*", value or "")
    if not m:
        raise MsrpFramingError(f"bad Byte-Range {value!r}")
    star = lambda text: None if text == "*" else int(text)  # noqa: E731
    return int(m.group(1)), star(m.group(2)), star(m.group(3))


class Frame:
    """One MSRP request or response as read or to be written. headers is a
    list of (name, value) in wire order, To-Path and From-Path first."""

    def __init__(self, tid, method=None, status=None, comment="", headers=None, body=b"",
                 flag=END, content_type=None):
        self.tid = tid
        self.method = method  # requests
        self.status = status  # responses
        self.comment = comment
        self.headers = list(headers or [])
        self.body = body
        self.flag = flag
        self.content_type = content_type

    @property
    def is_request(self):
        return self.method is not None

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def paths(self, name):
        value = self.header(name)
        return value.split() if value else []

    def to_bytes(self):
        start = (f"MSRP {self.tid} {self.method}" if self.is_request else
                 f"MSRP {self.tid} {self.status}" + (f" {self.comment}" if self.comment else ""))
        lines = [start] + [f"{name}: {value}" for name, value in self.headers]
        head = "\r\n".join(lines) + "\r\n"
        if self.content_type is not None:
            head += f"Content-Type: {self.content_type}\r\n\r\n"
            return head.encode() + self.body + f"\r\n-------{self.tid}{self.flag}\r\n".encode()
        return (head + f"-------{self.tid}{self.flag}\r\n").encode()

    def __repr__(self):
        what = self.method if self.is_request else f"{self.status} {self.comment}"
        return (f"<MSRP {self.tid} {what} {dict(self.headers)} ct={self.content_type} "
                f"{len(self.body)} bytes {self.flag}>")


class FrameReader:
    """Cuts a TCP byte stream into Frames (feed() bytes as they come)."""

    def __init__(self, max_body=64 * 1024 * 1024):
        self.buffer = bytearray()
        self.max_body = max_body

    def feed(self, data):
        """The complete frames now in the buffer; MsrpFramingError on bytes
        that are no MSRP."""
        self.buffer += data
        frames = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def _next(self):
        line_end = self.buffer.find(b"\r\n")
        if line_end < 0:
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise MsrpFramingError("no start line within the header limit")
            return None
        start = bytes(self.buffer[:line_end]).decode("utf-8", "replace")
        m = re.fullmatch(r"MSRP ([^ ]+) (?:([A-Z]+)|(\d{3})(?: (.*))?)", start)
        if not m or not _TID_RE.fullmatch(m.group(1).encode()):
            raise MsrpFramingError(f"bad start line {start!r}")
        tid = m.group(1)
        end_line = f"-------{tid}".encode()
        # Headers: lines up to the blank line (a body follows) or the end-line.
        headers, content_type, pos = [], None, line_end + 2
        while True:
            nl = self.buffer.find(b"\r\n", pos)
            if nl < 0:
                if len(self.buffer) - line_end > MAX_HEADER_BYTES:
                    raise MsrpFramingError("headers above the limit")
                return None
            line = bytes(self.buffer[pos:nl])
            if line.startswith(end_line) and len(line) == len(end_line) + 1:
                return self._finish(m, tid, headers, None, b"", chr(line[-1]), nl + 2)
            if line == b"":
                if content_type is None:
                    raise MsrpFramingError("a body without Content-Type")
                body_start = nl + 2
                break
            name, sep, value = line.decode("utf-8", "replace").partition(":")
            if not sep or not re.fullmatch(r"[A-Za-z0-9\-]+", name):
                raise MsrpFramingError(f"bad header line {line!r}")
            if name.lower() == "content-type":
                content_type = value.strip()
            else:
                headers.append((name, value.strip()))
            pos = nl + 2
        # The body ends at CRLF + end-line + flag + CRLF.
        search = self.buffer.find(b"\r\n" + end_line, body_start)
        while search >= 0:
            after = search + 2 + len(end_line)
            if after + 3 > len(self.buffer):
                return None
            flag = chr(self.buffer[after])
            if flag in (END, MORE, ABORT) and self.buffer[after + 1:after + 3] == b"\r\n":
                body = bytes(self.buffer[body_start:search])
                return self._finish(m, tid, headers, content_type, body, flag, after + 3)
            search = self.buffer.find(b"\r\n" + end_line, search + 1)
        if len(self.buffer) - body_start > self.max_body:
            raise MsrpFramingError("a body above the limit without its end-line")
        return None

    def _finish(self, m, tid, headers, content_type, body, flag, consumed):
        if flag not in (END, MORE, ABORT):
            raise MsrpFramingError(f"bad continuation flag {flag!r}")
        names = [name.lower() for name, _ in headers]
        if names[:2] != ["to-path", "from-path"]:
            raise MsrpFramingError(f"To-Path and From-Path must come first, got {names[:2]}")
        del self.buffer[:consumed]
        if m.group(2):
            return Frame(tid, method=m.group(2), headers=headers, body=body, flag=flag,
                         content_type=content_type)
        return Frame(tid, status=int(m.group(3)), comment=m.group(4) or "", headers=headers,
                     body=body, flag=flag, content_type=content_type)


class Reassembly:
    """The chunks of one incoming message (by Message-ID), placed by their
    Byte-Range (§7.1.1: chunks may come in any order, may repeat)."""

    def __init__(self, content_type):
        self.content_type = content_type
        self.parts = {}  # start (0-based) -> bytes
        self.total = None
        self.last_seen = False  # a chunk with '$' arrived
        self.aborted = False
        self.chunks = 0

    def add(self, frame):
        start, _end, total = parse_range(frame.header("Byte-Range") or "1-*/*")
        if total is not None:
            self.total = total
        self.parts[start - 1] = frame.body
        self.chunks += 1
        if frame.flag == END:
            self.last_seen = True
            if self.total is None:
                self.total = start - 1 + len(frame.body)
        if frame.flag == ABORT:
            self.aborted = True

    def data(self):
        """The whole message once every byte is here, else None."""
        if not self.last_seen or self.aborted or self.total is None:
            return None
        out = bytearray(self.total)
        have = bytearray(self.total)
        for start, part in self.parts.items():
            if start + len(part) > self.total:
                return None
            out[start:start + len(part)] = part
            have[start:start + len(part)] = b"\1" * len(part)
        return bytes(out) if all(have) else None


class Received:
    """A complete message received: content type, body, the SEND chunks'
    headers of its first chunk, and how many chunks it came in."""

    def __init__(self, message_id, content_type, body, first_headers, chunks):
        self.message_id = message_id
        self.content_type = content_type
        self.body = body
        self.headers = first_headers
        self.chunks = chunks

    def cpim(self):
        """(CPIM headers dict, inner content type, inner body) when the
        message is message/cpim (RFC 3862), else None."""
        if not (self.content_type or "").lower().startswith("message/cpim"):
            return None
        return parse_cpim(self.body)


def parse_cpim(data):
    """RFC 3862 message/cpim: message headers, a blank line, the encapsulated
    MIME headers, a blank line, the content. Returns (headers, content type,
    content bytes)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("message/cpim without the blank line after its headers")
    headers = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(":")
        headers.setdefault(name.strip(), value.strip())
    mime, sep, content = rest.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("message/cpim without the blank line after its MIME headers")
    content_type = None
    for line in mime.decode("utf-8", "replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            content_type = value.strip()
    return headers, content_type, content


def make_cpim(from_uri, to_uri, content_type, body):
    """A message/cpim body (RFC 3862) from `from_uri` to `to_uri`."""
    return (f"From: <{from_uri}>\r\nTo: <{to_uri}>\r\n"
            f"DateTime: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\r\n\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + body


class MsrpEndpoint:
    """One MSRP session's end: our path (one URI, no relays), the peer's
    path, one TCP connection. The reader thread answers 200 to every SEND
    (unless Failure-Report: no), sends a success REPORT when asked,
    reassembles messages into self.received, and records the responses and
    REPORTs it gets."""

    def __init__(self, name="msrp", host="127.0.0.1"):
        self.name = name
        self.host = host
        self.session_id = new_id(20)  # ~119 bits
        self.listener = None  # passive: bound before the SDP names its port
        self.port = 9  # the m= line's port when active (RFC 4975 §8: ignored)
        self.remote_path = []
        self.sock = None
        self.received = []  # Received, in completion order
        self.aborted = []  # Message-IDs the peer gave up ('#')
        self.responses = {}  # tid -> Frame
        self.reports = []  # REPORT Frames
        self.requests = []  # every request Frame read, in order
        self.errors = []  # framing errors
        self.closed = threading.Event()  # the peer closed or a framing error
        self._partial = {}
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._reader = None
        self.bytes_in = 0

    # --- Paths and connections
    @property
    def local_path(self):
        return path_uri(self.host, self.port, self.session_id)

    def listen(self):
        """Passive: binds a port the peer connects to (our a=path names it)."""
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((self.host, 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        return self.port

    def accept(self, timeout=10):
        """Passive: waits for the peer's connection."""
        self.listener.settimeout(timeout)
        try:
            self.sock, _ = self.listener.accept()
        except socket.timeout:
            raise AssertionError(f"{self.name}: nobody connected to {self.local_path} "
                                 f"within {timeout}s") from None
        self.listener.close()
        self.listener = None
        self._start_reader()

    def connect(self, bind_first=True, timeout=10):
        """Active: connects to the last URI of the peer's path (§5.4) and,
        with bind_first, sends the empty SEND that binds the connection to
        the session (the active side speaks first)."""
        host, port, _ = parse_uri(self.remote_path[-1])
        # Our path keeps the port the SDP gave (9 for an active end, as RFC
        # 4145 does): the peer may check From-Path against the a=path it got.
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._start_reader()
        if bind_first:
            return self.send_empty()
        return None

    def attach(self, sock):
        """Uses a connection made elsewhere (the self-test's socketpair)."""
        self.sock = sock
        self._start_reader()

    def _start_reader(self):
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, name=f"msrp-{self.name}",
                                        daemon=True)
        self._reader.start()

    def close(self):
        """Closes the connection (and a listener not yet used)."""
        for s in (self.sock, self.listener):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=5)

    # --- Writing
    def send_raw(self, data):
        with self._send_lock:
            self.sock.sendall(data)

    def _request(self, method, headers, body=None, content_type=None, flag=END, tid=None):
        frame = Frame(tid or new_id(), method=method,
                      headers=[("To-Path", " ".join(self.remote_path)),
                               ("From-Path", self.local_path), *headers],
                      body=body or b"", flag=flag, content_type=content_type)
        self.send_raw(frame.to_bytes())
        return frame.tid

    def send_empty(self):
        """An empty SEND (no body): binds a connection (§7.1.1)."""
        return self._request("SEND", [("Message-ID", new_id())])

    def send_message(self, content_type, body, chunk_size=2048, success_report=False,
                     failure_report=None, stop_after=None, total_known=True):
        """Sends one message in chunks of chunk_size bytes, without waiting
        for responses (transactions may overlap, §7.1.1). stop_after: send
        only the chunks holding that many bytes, then stop (a transfer cut
        off). Returns (message_id, [transaction ids])."""
        if isinstance(body, str):
            body = body.encode()
        message_id, tids, offset = new_id(), [], 0
        total = len(body)
        while True:
            piece = body[offset:offset + chunk_size]
            last = offset + len(piece) >= total
            headers = [("Message-ID", message_id)]
            if success_report:
                headers.append(("Success-Report", "yes"))
            if failure_report:
                headers.append(("Failure-Report", failure_report))
            end = offset + len(piece) if piece else (0 if total == 0 else offset)
            headers.append(("Byte-Range", format_range(offset + 1, end,
                                                       total if total_known else None)))
            tids.append(self._request("SEND", headers, piece, content_type,
                                      END if last else MORE))
            offset += len(piece)
            if last or (stop_after is not None and offset >= stop_after):
                return message_id, tids

    def abort_message(self, message_id, content_type, offset, total):
        """A last, empty chunk with '#': we gave the message up (§7.1.1)."""
        return self._request("SEND", [("Message-ID", message_id),
                                      ("Byte-Range", format_range(offset + 1, offset, total))],
                             b"", content_type, ABORT)

    def _respond(self, request, status, comment):
        """A transaction response (§7.2): To-Path is the request's
        From-Path's first URI, From-Path our URI."""
        frame = Frame(request.tid, status=status, comment=comment,
                      headers=[("To-Path", request.paths("From-Path")[0]),
                               ("From-Path", self.local_path)])
        self.send_raw(frame.to_bytes())

    def _report(self, request, total):
        """A success REPORT covering the whole message (§7.1.2)."""
        self._request("REPORT", [("Message-ID", request.header("Message-ID")),
                                 ("Byte-Range", format_range(1, total, total)),
                                 ("Status", "000 200 OK")])

    # --- Reading
    def _read_loop(self):
        reader = FrameReader()
        try:
            while True:
                data = self.sock.recv(256 * 1024)
                if not data:
                    break
                self.bytes_in += len(data)
                for frame in reader.feed(data):
                    self._on_frame(frame)
        except MsrpFramingError as error:
            self.errors.append(str(error))
        except OSError:
            pass
        finally:
            with self._cond:
                self.closed.set()
                self._cond.notify_all()

    def _on_frame(self, frame):
        with self._cond:
            if not frame.is_request:
                self.responses[frame.tid] = frame
            elif frame.method == "REPORT":
                self.reports.append(frame)
                self.requests.append(frame)
            else:
                self.requests.append(frame)
            self._cond.notify_all()
        if frame.is_request and frame.method == "SEND":
            self._on_send(frame)
        elif frame.is_request and frame.method != "REPORT":
            self._respond(frame, 501, "Unknown method")

    def _on_send(self, frame):
        if (frame.header("Failure-Report") or "yes").lower() != "no":
            self._respond(frame, 200, "OK")
        message_id = frame.header("Message-ID")
        if frame.content_type is None and not frame.body:
            return  # an empty SEND: binds the connection, carries nothing
        with self._cond:
            partial = self._partial.get(message_id)
            if partial is None:
                partial = self._partial[message_id] = Reassembly(frame.content_type)
                partial.first_headers = list(frame.headers)
            partial.add(frame)
            if partial.aborted:
                del self._partial[message_id]
                self.aborted.append(message_id)
                self._cond.notify_all()
                return
            data = partial.data()
            if data is None:
                return
            del self._partial[message_id]
            self.received.append(Received(message_id, partial.content_type, data,
                                          partial.first_headers, partial.chunks))
            self._cond.notify_all()
        if (frame.header("Success-Report") or "no").lower() == "yes":
            self._report(frame, len(data))

    # --- Waiting
    def wait_for(self, what, predicate, timeout=10):
        """Waits until predicate() (called under the lock) is true."""
        return wait_under(self._cond, predicate, timeout, lambda: AssertionError(
            f"{self.name}: {what} within {timeout}s; {self.describe()}"))

    def wait_for_messages(self, count, timeout=10):
        self.wait_for(f"{count} messages", lambda: len(self.received) >= count, timeout)
        return list(self.received)

    def wait_for_responses(self, tids, timeout=10):
        """The responses to these transactions, once all are here."""
        self.wait_for(f"responses to {len(tids)} transactions",
                      lambda: all(t in self.responses for t in tids), timeout)
        return [self.responses[t] for t in tids]

    def wait_for_report(self, message_id, timeout=10):
        return self.wait_for(f"a REPORT for {message_id}",
                             lambda: next((r for r in self.reports
                                           if r.header("Message-ID") == message_id), None),
                             timeout)

    def wait_closed(self, timeout=10):
        if not self.closed.wait(timeout):
            raise AssertionError(f"{self.name}: the peer never closed the connection; "
                                 f"{self.describe()}")

    def describe(self):
        statuses = sorted({r.status for r in self.responses.values()})
        return (f"received {len(self.received)} messages, {len(self.requests)} requests, "
                f"{len(self.responses)} responses (statuses {statuses}), "
                f"{len(self.reports)} reports, "
                f"{self.bytes_in} bytes in, closed={self.closed.is_set()}, "
                f"errors={self.errors}")


def wait_under(cond, predicate, timeout, failure):
    """predicate()'s first true value, called holding `cond` (a Condition
    its producers notify) and at least every 50 ms; raises failure() after
    timeout seconds."""
    deadline = time.monotonic() + timeout
    with cond:
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise failure()
            cond.wait(min(left, 0.05))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def sha1_colons(data):
    """RFC 5547's hash:sha-1 value: upper-case hex pairs joined by ':'."""
    digest = hashlib.sha1(data).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
