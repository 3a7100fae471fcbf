#!/usr/bin/env python3
"""Finds functions longer than a limit in tutti's C++ (issue 14's rule).

    ops/function_length.py [--max-lines N] [--allow FILE] [--root DIR] [PATH...]

Reports every function in the .cc/.h files under PATH (default: signaling/,
mixer/, server/ and common/, relative to --root, default the repository)
whose definition, from the first line of its signature to its closing brace,
spans more than N lines (default 80), unless
  - a comment within the 3 lines above the signature (or on the signature's
    own lines) says `long-function: <reason>`, or
  - the allow-list file names it as `path:function  reason` (entries for code
    other engineers are splitting; an entry that no longer matches an
    over-long function is an error, so the list only shrinks).
Exits 1 when it reports anything, 0 otherwise.

Why not libclang: Debian's Python bindings (python3-clang-14) pull in
libclang-14-dev (240 MB), and parsing one of tutti's files with its real
include paths took 30-55 s on the build machine; this scanner reads the
whole tree in well under a second. It blanks comments, string, character
and raw-string literals and preprocessor lines, then matches braces: a `{`
after a parameter list (and its qualifiers, trailing return type or
constructor initializers) opens a function body; namespace, class, struct
and union bodies are searched for more; anything else (initializers, enum
bodies) is skipped. Lambdas and local classes count toward the function
that holds them.
"""

import argparse
import os
import re
import sys

DEFAULT_PATHS = ["signaling", "mixer", "server", "common"]
MARKER = re.compile(r"(//|/\*|\*).*long-function:\s*\S")
MARKER_LINES_ABOVE = 3

_SCOPE_HEAD = re.compile(r"^(?:typedef\s+)?(?:namespace|class|struct|union|extern)\b")
_ENUM_HEAD = re.compile(r"^(?:typedef\s+)?enum\b")
_ACCESS = re.compile(r"^\s*(?:public|private|protected)\s*:(?!:)")
_TEMPLATE = re.compile(r"^\s*template\s*<")
# What may follow a function's parameter list before its body.
_AFTER_PARAMS = re.compile(
    r"^(?:\s|const\b|volatile\b|&|noexcept\b|override\b|final\b|mutable\b|constexpr\b"
    r"|try\b|\(\s*\)|\[\[[^\]]*\]\])*"
    r"(?:->.*|requires\b.*|:(?!:).*)?$",
    re.S,
)


def blank(text):
    """Returns text with comments, literals and preprocessor lines made spaces.

    Newlines stay, so offsets and line numbers are those of the original.
    Quotes stay too, so `extern "C"` still reads as extern.
    """
    out = list(text)
    n = len(text)
    i = 0
    line_start = True

    def wipe(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if line_start and c == "#":
            j = i
            while j < n:  # to the end of the line and its continuations
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    j += 2
                    continue
                if text[j] == "\n":
                    break
                if text.startswith("/*", j):  # a block comment may run past the line
                    end = text.find("*/", j + 2)
                    j = n if end < 0 else end + 2
                    continue
                j += 1
            wipe(i, j)
            i = j
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            wipe(i, j)
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            wipe(i, j)
            i = j
            continue
        if c == '"':
            prefix = re.search(r"(?:u8|u|U|L)?R$", text[max(0, i - 3) : i])
            if prefix and not _ident_char_before(text, i - len(prefix.group(0))):
                m = re.match(r'"([^()\\\s]{0,16})\(', text[i:])
                if m:
                    close = ")" + m.group(1) + '"'
                    end = text.find(close, i + len(m.group(0)))
                    j = n if end < 0 else end + len(close)
                    wipe(i + 1, j - 1)
                    i = j
                    continue
            j = _end_of_quoted(text, i, '"')
            wipe(i + 1, j - 1)
            i = j
            continue
        if c == "'":
            # A digit separator (1'000'000) sits inside a number.
            k = i
            while k > 0 and (text[k - 1].isalnum() or text[k - 1] in "_."):
                k -= 1
            if k < i and text[k].isdigit():
                i += 1
                continue
            j = _end_of_quoted(text, i, "'")
            wipe(i + 1, j - 1)
            i = j
            continue
        i += 1
    return "".join(out)


def _ident_char_before(text, i):
    return i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")


def _end_of_quoted(text, i, quote):
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == quote or text[j] == "\n":
            return j + 1
        j += 1
    return j


def matching(code, i, open_char, close_char):
    """Index just past the bracket that closes the one at i."""
    depth = 0
    for j in range(i, len(code)):
        if code[j] == open_char:
            depth += 1
        elif code[j] == close_char:
            depth -= 1
            if depth == 0:
                return j + 1
    return len(code)


def strip_template_heads(head):
    while True:
        m = _TEMPLATE.match(head)
        if not m:
            return head
        end = matching(head, m.end() - 1, "<", ">")
        head = head[end:]


def parameter_list(head):
    """(name, after) for a function head, or None.

    The parameter list is the first top-level parenthesis that follows a
    name (or an operator); `after` is the text between it and the body.
    """
    depth = 0
    for m in re.finditer(r"[()]", head):
        if m.group(0) == ")":
            depth -= 1
            continue
        depth += 1
        if depth != 1:
            continue
        before = head[: m.start()].rstrip()
        name = re.search(r"(~?[A-Za-z_]\w*(?:\s*<[^<>;{}()]*>)?(?:\s*::\s*~?[A-Za-z_]\w*)*)$", before)
        op = re.search(r"((?:[A-Za-z_]\w*(?:\s*<[^<>;{}()]*>)?\s*::\s*)*operator\s*(?:\(\s*\)|[^\s(]+))$", before)
        if op:
            name_text = op.group(1)
        elif name:
            name_text = name.group(1)
        else:
            continue
        if re.fullmatch(r"(?:if|for|while|switch|return|sizeof|decltype|alignof)", name_text):
            return None
        end = matching(head, m.start(), "(", ")")
        return re.sub(r"\s+", "", name_text), head[end:]
    return None


class Function:
    def __init__(self, path, name, first_line, last_line):
        self.path = path
        self.name = name
        self.first_line = first_line
        self.last_line = last_line

    @property
    def lines(self):
        return self.last_line - self.first_line + 1


def find_functions(path, text):
    """Every function definition of a file, outermost only."""
    code = blank(text)
    functions = []
    line_of = _line_index(code)

    def scan(start, stop):
        head_start = start
        i = start
        while i < stop:
            c = code[i]
            if c in ";}":
                head_start = i + 1
                i += 1
                continue
            if c == "(":
                i = matching(code, i, "(", ")")
                continue
            if c != "{":
                i += 1
                continue
            end = matching(code, i, "{", "}")
            head = code[head_start:i]
            lead = len(head) - len(head.lstrip())
            while True:  # access specifiers are not part of the head
                m = _ACCESS.match(head, lead)
                if not m:
                    break
                lead = m.end()
                lead += len(head[lead:]) - len(head[lead:].lstrip())
            body = strip_template_heads(head[lead:]).strip()
            if _SCOPE_HEAD.match(body) and parameter_list(body) is None:
                scan(i + 1, end - 1)
                head_start = end
                i = end
                continue
            params = None if _ENUM_HEAD.match(body) or _has_top_level_assign(body) else parameter_list(body)
            if params and _AFTER_PARAMS.match(params[1]):
                if re.match(r"\s*:(?!:)", params[1]) and re.search(r"[\w>]\s*$", head):
                    # A brace initializer of a constructor's member, not its body.
                    i = end
                    continue
                first = line_of(head_start + lead)
                functions.append(Function(path, params[0], first, line_of(end - 1)))
                head_start = end
                i = end
                continue
            # An initializer: part of the declaration that goes on to its `;`.
            i = end
        return

    scan(0, len(code))
    return functions


def _has_top_level_assign(head):
    depth = 0
    for m in re.finditer(r"operator\s*[=!<>+\-*/%&|^]*=|[()\[\]<>]|=", head):
        tok = m.group(0)
        if tok.startswith("operator"):
            continue
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        elif tok == "=" and depth == 0:
            return True
    return False


def _line_index(code):
    starts = [0]
    for m in re.finditer("\n", code):
        starts.append(m.end())

    def line_of(offset):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    return line_of


def has_marker(lines, function):
    """A `long-function:` reason just above the signature or on it."""
    first = max(1, function.first_line - MARKER_LINES_ABOVE)
    for number in range(first, function.first_line + 1):
        if MARKER.search(lines[number - 1]):
            return True
    return False


def read_allow_list(path):
    """{"path:function": reason}; a line without a reason is an error."""
    allowed = {}
    errors = []
    if not path:
        return allowed, errors
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) < 2 or ":" not in parts[0]:
                errors.append(f"{path}:{number}: want `path:function  reason`, got `{line}`")
                continue
            allowed[parts[0]] = parts[1]
    return allowed, errors


def source_files(root, paths):
    for top in paths:
        full = os.path.join(root, top)
        if os.path.isfile(full):
            yield top
            continue
        for directory, _, names in sorted(os.walk(full)):
            for name in sorted(names):
                if name.endswith((".cc", ".h")):
                    yield os.path.relpath(os.path.join(directory, name), root)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-lines", type=int, default=80)
    parser.add_argument("--allow", help="allow-list file (path:function  reason)")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args(argv)

    allowed, errors = read_allow_list(args.allow)
    used = set()
    reports = []
    for rel in source_files(args.root, args.paths):
        with open(os.path.join(args.root, rel), encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        for function in find_functions(rel, text):
            if function.lines <= args.max_lines or has_marker(lines, function):
                continue
            key = f"{rel}:{function.name}"
            if key in allowed:
                used.add(key)
                continue
            reports.append(
                f"{rel}:{function.first_line}: {function.name} is {function.lines} lines "
                f"(over {args.max_lines}): split it, or write `// long-function: <reason>` "
                "just above it"
            )
    for key in sorted(set(allowed) - used):
        errors.append(
            f"{args.allow}: {key} is no longer a function over {args.max_lines} lines: "
            "remove its entry"
        )
    for line in reports + errors:
        print(line)
    return 1 if reports or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
