// A program's command line read into its Abseil flags, with the manners of a
// Unix tool (issue 19): --help and --version print to stdout and exit 0, an
// unknown flag or a bad value is one line on stderr and exit status 2.
// absl::ParseCommandLine exits on its own instead (1 for --help, 1 for an
// unknown flag) and its help names every flag's source file as the build
// machine saw it, so tuttid and tutti-load read their flags here and print a
// help of their own (FlagsHelp). --helpfull and absl's other built-in flags
// (--flagfile, --fromenv, ...) are still absl's: a command line naming one
// is handed to absl::ParseCommandLine whole.
#ifndef TUTTI_COMMON_COMMAND_LINE_H_
#define TUTTI_COMMON_COMMAND_LINE_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tutti {

struct CommandLine {
  enum class Ask { kRun, kHelp, kVersion, kError };
  Ask ask = Ask::kRun;
  // Arguments that are no flags, in order (argv[0] left out).
  std::vector<std::string> positional;
  // kError: what was wrong, one line naming the flag (no program name).
  std::string error;
};

// Sets the flags argv names: --name=value, --name value, -name, a bool's
// --name and --noname, "--" ending the flags. --help, -help, -h ask for
// kHelp and --version for kVersion (nothing else is set then).
CommandLine ParseCommandLine(int argc, char** argv);

// The help text: `usage`, then every flag defined in a source file whose
// name ends in `defined_in` (e.g. "tuttid_main.cc"), by name, with its type,
// default and help wrapped to 80 columns; no path of the build machine.
std::string FlagsHelp(absl::string_view usage, absl::string_view defined_in);

// Sets what absl's own help (--helpfull) prints first, and has it name the
// flags' files from the source tree's root, not as the build saw them.
void SetAbslHelpUsage(absl::string_view usage);

// What a program prints for CommandLine::kError: "<program>: <error> (see
// <program> --help)".
std::string CommandLineErrorLine(absl::string_view program, const CommandLine& line);

// What main() does with `line` before anything else: the help or the
// version on `out` and 0; the error, or the first argument that is no flag
// (neither program takes any), as one line on `err` and 2. nullopt: run.
std::optional<int> AnswerCommandLine(const CommandLine& line, absl::string_view program,
                                     const std::function<std::string()>& help,
                                     const std::function<std::string()>& version, std::ostream& out,
                                     std::ostream& err);

}  // namespace tutti

#endif  // TUTTI_COMMON_COMMAND_LINE_H_
