#!/usr/bin/env python3
"""ops/function_length.py on small made-up sources: it must flag what is long
and nothing else, whatever braces hide in strings, comments and initializers."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "ops", "function_length.py")
sys.path.insert(0, os.path.join(ROOT, "ops"))
import function_length  # noqa: E402


def function_of(lines, signature="int Long(int x) {", above=""):
    """A function of exactly `lines` lines, signature and closing brace included."""
    body = ["  x += 1;"] * (lines - 3) + ["  return x;"]
    return above + "\n".join([signature] + body + ["}"]) + "\n"


class CheckTest(unittest.TestCase):
    def run_check(self, files, allow=None, max_lines=80):
        with tempfile.TemporaryDirectory() as root:
            for name, text in files.items():
                os.makedirs(os.path.join(root, os.path.dirname(name)), exist_ok=True)
                with open(os.path.join(root, name), "w") as f:
                    f.write(text)
            args = [sys.executable, SCRIPT, "--root", root, "--max-lines", str(max_lines)]
            if allow is not None:
                with open(os.path.join(root, "allowed.txt"), "w") as f:
                    f.write(allow)
                args += ["--allow", os.path.join(root, "allowed.txt")]
            done = subprocess.run(args + ["server"], capture_output=True, text=True)
            return done.returncode, done.stdout

    def test_an_81_line_function_fails(self):
        status, out = self.run_check({"server/a.cc": function_of(81)})
        self.assertEqual(status, 1)
        self.assertIn("server/a.cc:1: Long is 81 lines", out)

    def test_an_80_line_function_passes(self):
        self.assertEqual(self.run_check({"server/a.cc": function_of(80)}), (0, ""))

    def test_a_reason_just_above_lets_it_pass(self):
        above = "// long-function: one case per status code, a table\n\n\n"
        self.assertEqual(self.run_check({"server/a.cc": function_of(81, above=above)}), (0, ""))

    def test_a_reason_too_far_above_or_without_words_does_not(self):
        far = "// long-function: a table\n\n\n\n"
        self.assertEqual(self.run_check({"server/a.cc": function_of(81, above=far)})[0], 1)
        empty = "// long-function:\n"
        self.assertEqual(self.run_check({"server/a.cc": function_of(81, above=empty)})[0], 1)

    def test_the_allow_list_names_it_and_must_not_go_stale(self):
        files = {"server/a.cc": function_of(81)}
        self.assertEqual(self.run_check(files, allow="server/a.cc:Long  being split\n"), (0, ""))
        status, out = self.run_check(
            {"server/a.cc": function_of(20)}, allow="server/a.cc:Long  being split\n")
        self.assertEqual(status, 1)
        self.assertIn("no longer a function over 80 lines", out)
        status, out = self.run_check(files, allow="server/a.cc:Long\n")
        self.assertEqual(status, 1)
        self.assertIn("want `path:function  reason`", out)

    def test_only_cc_and_h_files_of_the_paths_given(self):
        files = {"server/a.txt": function_of(90), "other/b.cc": function_of(90)}
        self.assertEqual(self.run_check(files), (0, ""))
        self.assertEqual(self.run_check({"server/x/b.h": function_of(90)})[0], 1)


def found(text):
    return [(f.name, f.first_line, f.last_line)
            for f in function_length.find_functions("x.cc", text)]


class ScannerTest(unittest.TestCase):
    def test_braces_in_literals_and_comments_do_not_count(self):
        text = """\
int F() {
  const char* a = "{{ \\" {";
  char b = '{';
  const char* c = R"json({"a": {)json";
  // }
  /* } */
  return 1'000;
}
#define OPEN {
void G() {}
"""
        self.assertEqual(found(text), [("F", 1, 8), ("G", 10, 10)])

    def test_methods_in_namespaces_and_classes_lambdas_inside(self):
        text = """\
namespace a {
namespace {
struct S : public B<decltype(1)> {
 public:
  int x_{0};
  std::function<void()> f_{};
  void M() const override {
    auto l = [this] {
      return 1;
    };
  }
};
enum class E { kA, kB };
const int kTable[] = {1, 2};
}  // namespace
template <typename T>
T C<T>::operator==(const T&) -> bool {
  return {};
}
}  // namespace a
"""
        self.assertEqual(found(text), [("M", 7, 11), ("C<T>::operator==", 16, 19)])

    def test_a_constructors_brace_initializers_are_not_its_body(self):
        text = """\
Foo::Foo(int a)
    : a_(a),
      b_{a, 2},
      Base<int>{3} {
  Go();
}
"""
        self.assertEqual(found(text), [("Foo::Foo", 1, 6)])


if __name__ == "__main__":
    unittest.main()
