# Turns the console's static files into a C++ source (console_files.h says
# why): one string literal per file, all bytes as \x escapes (so no byte can
# end or change the literal), its content type and an ETag made from its
# SHA-256. Run at build time by server/CMakeLists.txt:
#   cmake -DSOURCE_DIR=<server/console> -DFILES="index.html;console.js" -DOUT=<file.cc> -P embed_console.cmake
cmake_minimum_required(VERSION 3.18)

set(types_html "text/html; charset=utf-8")
set(types_js "text/javascript; charset=utf-8")
set(types_css "text/css; charset=utf-8")
set(types_svg "image/svg+xml")

# CMake's regular expressions take at most 9 groups: one group of 32 bytes.
string(REPEAT "\\\\x.." 32 line_of_bytes)

set(code "// Made by server/console/embed_console.cmake from server/console/: do not edit.\n")
string(APPEND code "#include \"server/console/console_files.h\"\n\nnamespace tutti::console {\nnamespace {\n\n")
set(table "")
set(index 0)
foreach(name IN LISTS FILES)
  set(path "${SOURCE_DIR}/${name}")
  get_filename_component(extension "${name}" LAST_EXT)
  string(SUBSTRING "${extension}" 1 -1 extension)
  if(NOT DEFINED types_${extension})
    message(FATAL_ERROR "embed_console: no content type for ${name}")
  endif()
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  file(SHA256 "${path}" digest)
  string(SUBSTRING "${digest}" 0 32 digest)
  # 32 bytes a line: "\x3c\x21..." pieces the compiler joins.
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
  string(REGEX REPLACE "(${line_of_bytes})" "\\1\"\n    \"" escaped "${escaped}")
  string(APPEND code "// ${name}: ${size} bytes\nconstexpr std::string_view kFile${index}{\n    \"${escaped}\",\n    ${size}};\n\n")
  string(APPEND table "    {\"${name}\", \"${types_${extension}}\", \"\\\"${digest}\\\"\", kFile${index}},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND code "constexpr StaticFile kFiles[] = {\n${table}};\n\n}  // namespace\n\n")
string(APPEND code "std::span<const StaticFile> ConsoleFiles() { return kFiles; }\n\n}  // namespace tutti::console\n")

file(WRITE "${OUT}" "${code}")
