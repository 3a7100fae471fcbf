#include "common/command_line.h"

#include <algorithm>
#include <cstdint>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tutti {
namespace {

// absl's own flags, whose meaning lives in absl::ParseCommandLine (reading
// a flag file, listing every library's flags, ...).
constexpr absl::string_view kAbslBuiltins[] = {
    "helpfull",        "helpshort", "helppackage", "helpmatch",  "helpon",
    "only_check_args", "flagfile",  "fromenv",     "tryfromenv", "undefok",
};

// One command-line word that is a flag: its name and, when it had "=", its value.
struct FlagWord {
  absl::string_view name;
  absl::string_view value;
  bool has_value = false;
};

// A word starting with "-" (but not "-" alone, nor "--"): a flag.
bool IsFlagWord(absl::string_view word) {
  return word.size() > 1 && word[0] == '-' && word != "--";
}

FlagWord SplitFlagWord(absl::string_view word) {
  word.remove_prefix(word[1] == '-' ? 2 : 1);
  FlagWord flag;
  const size_t equals = word.find('=');
  flag.name = word.substr(0, equals);
  if (equals != absl::string_view::npos) {
    flag.value = word.substr(equals + 1);
    flag.has_value = true;
  }
  return flag;
}

// What the flags before "--" ask for first: help, version, absl's own.
enum class Special { kNone, kHelp, kVersion, kAbsl };

Special FindSpecial(int argc, char** argv) {
  Special found = Special::kNone;
  for (int i = 1; i < argc && absl::string_view(argv[i]) != "--"; ++i) {
    if (!IsFlagWord(argv[i])) continue;
    const absl::string_view name = SplitFlagWord(argv[i]).name;
    if (name == "help" || name == "h") return Special::kHelp;
    if (name == "version") found = Special::kVersion;
    if (found == Special::kNone && std::find(std::begin(kAbslBuiltins), std::end(kAbslBuiltins),
                                             name) != std::end(kAbslBuiltins)) {
      found = Special::kAbsl;
    }
  }
  return found;
}

CommandLine Error(std::string text) {
  CommandLine line;
  line.ask = CommandLine::Ask::kError;
  line.error = std::move(text);
  return line;
}

// The kind of value a flag takes, as the help and the errors name it.
absl::string_view TypeName(const absl::CommandLineFlag& flag) {
  if (flag.IsOfType<bool>()) return "bool";
  if (flag.IsOfType<std::string>()) return "string";
  if (flag.IsOfType<int>() || flag.IsOfType<int64_t>() || flag.IsOfType<uint64_t>()) return "int";
  if (flag.IsOfType<double>()) return "number";
  return "value";
}

// "--name=<type>" as the help shows it ("--name" for a bool).
std::string FlagSynopsis(const absl::CommandLineFlag& flag) {
  if (flag.IsOfType<bool>()) return absl::StrCat("--", flag.Name());
  return absl::StrCat("--", flag.Name(), "=<", TypeName(flag), ">");
}

// Sets one flag from argv[*i] (and argv[*i + 1] for "--name value");
// an error text when it cannot.
std::string SetFlag(int argc, char** argv, int* i) {
  const FlagWord word = SplitFlagWord(argv[*i]);
  const absl::string_view as_typed =
      absl::string_view(argv[*i]).substr(0, word.name.size() + (argv[*i][1] == '-' ? 2 : 1));
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(word.name);
  std::string value(word.value);
  if (flag == nullptr && absl::StartsWith(word.name, "no")) {
    // --noname: a bool flag set to false, and only that.
    flag = absl::FindCommandLineFlag(word.name.substr(2));
    if (flag == nullptr || !flag->IsOfType<bool>() || word.has_value) {
      return absl::StrCat("unknown flag ", as_typed);
    }
    value = "false";
  } else if (flag == nullptr || flag->IsRetired()) {
    return absl::StrCat("unknown flag ", as_typed);
  } else if (!word.has_value) {
    if (flag->IsOfType<bool>()) {
      value = "true";
    } else if (*i + 1 < argc) {
      value = argv[++*i];
    } else {
      return absl::StrCat("--", word.name, " needs a value");
    }
  }
  // The value is not repeated: it may be a secret (tutti-load's --token).
  std::string why;
  if (!flag->ParseFrom(value, &why)) {
    return absl::StrCat("bad value for --", flag->Name(), " (", TypeName(*flag), " expected)");
  }
  return "";
}

// `text` as lines of at most `width` columns, each indented by `indent`.
void AppendWrapped(absl::string_view text, size_t indent, size_t width, std::string* out) {
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > width) {
      out->push_back('\n');
      column = 0;
    }
    if (column == 0) {
      out->append(indent, ' ');
      column = indent;
    } else {
      out->push_back(' ');
      ++column;
    }
    absl::StrAppend(out, word);
    column += word.size();
  }
  out->push_back('\n');
}

}  // namespace

CommandLine ParseCommandLine(int argc, char** argv) {
  CommandLine line;
  switch (FindSpecial(argc, argv)) {
    case Special::kHelp:
      line.ask = CommandLine::Ask::kHelp;
      return line;
    case Special::kVersion:
      line.ask = CommandLine::Ask::kVersion;
      return line;
    case Special::kAbsl: {
      // absl prints and exits for its help flags; it reads the others.
      std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
      line.positional.assign(rest.begin() + 1, rest.end());
      return line;
    }
    case Special::kNone:
      break;
  }
  for (int i = 1; i < argc; ++i) {
    const absl::string_view word = argv[i];
    if (word == "--") {
      line.positional.insert(line.positional.end(), argv + i + 1, argv + argc);
      break;
    }
    if (!IsFlagWord(word)) {
      line.positional.emplace_back(word);
      continue;
    }
    if (std::string error = SetFlag(argc, argv, &i); !error.empty()) {
      return Error(std::move(error));
    }
  }
  return line;
}

std::string FlagsHelp(absl::string_view usage, absl::string_view defined_in) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), defined_in)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out(usage);
  if (!absl::EndsWith(out, "\n")) out.push_back('\n');
  out.append("\nFlags:\n");
  for (const absl::CommandLineFlag* flag : flags) {
    std::string default_value = flag->DefaultValue();
    if (flag->IsOfType<std::string>()) default_value = absl::StrCat("\"", default_value, "\"");
    absl::StrAppend(&out, "  ", FlagSynopsis(*flag), "  (default: ", default_value, ")\n");
    AppendWrapped(flag->Help(), 6, 80, &out);
  }
  out.append(
      "\n  --help, -h  this text;  --version  the version and the build's features;\n"
      "  --helpfull  every flag, the libraries' too.\n");
  return out;
}

void SetAbslHelpUsage(absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  absl::FlagsUsageConfig config;
  config.normalize_filename = [](absl::string_view path) {
    while (absl::ConsumePrefix(&path, "../") || absl::ConsumePrefix(&path, "./")) {
    }
    return std::string(path);
  };
  absl::SetFlagsUsageConfig(config);
}

std::string CommandLineErrorLine(absl::string_view program, const CommandLine& line) {
  return absl::StrCat(program, ": ", line.error, " (see ", program, " --help)\n");
}

std::optional<int> AnswerCommandLine(const CommandLine& line, absl::string_view program,
                                     const std::function<std::string()>& help,
                                     const std::function<std::string()>& version, std::ostream& out,
                                     std::ostream& err) {
  switch (line.ask) {
    case CommandLine::Ask::kHelp:
      out << help();
      return 0;
    case CommandLine::Ask::kVersion:
      out << version();
      return 0;
    case CommandLine::Ask::kError:
      err << CommandLineErrorLine(program, line);
      return 2;
    case CommandLine::Ask::kRun:
      break;
  }
  if (!line.positional.empty()) {
    CommandLine stray = line;
    stray.error = absl::StrCat("unexpected argument ", line.positional.front());
    err << CommandLineErrorLine(program, stray);
    return 2;
  }
  return std::nullopt;
}

}  // namespace tutti
