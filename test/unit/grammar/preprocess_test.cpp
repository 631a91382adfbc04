#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "grammar/preprocess.hpp"

using namespace vigil;
using grammar::preprocess_file;
using grammar::preprocess_text;
using grammar::PreprocessOptions;

namespace {

std::string pp(std::string_view text, core::Diagnostics& d, std::string id = "node1") {
  PreprocessOptions o;
  o.config_id = std::move(id);
  return preprocess_text("t.conf", text, o, d).text;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/vigil-pp-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path / name).parent_path());
    std::ofstream(path / name) << text;
  }
};

} // namespace

TEST_CASE("comments are stripped outside quotes only") {
  core::Diagnostics d;
  CHECK(pp("a b # c\nd ! e\n\"x # y\" 'p ! q' # z\n", d) == "a b\nd\n\"x # y\" 'p ! q'\n");
  CHECK(d.items().empty());
}

TEST_CASE("conditionals") {
  core::Diagnostics d;
  CHECK(pp("@node1 a\n@node2 b\n@^node1 c\n@^node2 d\n  @node1 e\n", d) == "a\nd\ne\n");
}

TEST_CASE("variables: single line, braces, multi-line, nested, undefined") {
  core::Diagnostics d;
  std::string text = "$IF=eth0\n"
                     "$PRIO=100\n"
                     "$BLOCK=a $IF \\\n"
                     "  b ${PRIO}x\n"
                     "interface $IF\n"
                     "$BLOCK\n"
                     "keep $UNDEFINED here\n"
                     "lit ${_HASH}${_BANG}\n";
  CHECK(pp(text, d) == "interface eth0\na eth0\nb 100x\nkeep $UNDEFINED here\nlit #!\n");
  CHECK(d.items().empty());
}

TEST_CASE("self-referencing variables are an error, not a hang") {
  core::Diagnostics d;
  pp("$A=x $A\nuse $A\n", d);
  CHECK(d.has_errors());
}

TEST_CASE("exponential or endless expansion is an error, not a hang") {
  // Each variable uses the previous one twice: $V30 would be 2^30 words.
  std::string text = "$V0=x\n";
  for (int k = 1; k <= 30; ++k)
    text += "$V" + std::to_string(k) + "=$V" + std::to_string(k - 1) + " $V" +
            std::to_string(k - 1) + "\n";
  text += "use $V30\n";
  core::Diagnostics d;
  PreprocessOptions o;
  o.max_expansion_steps = 100000;
  auto out = preprocess_text("t.conf", text, o, d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.items().front().message.find("more than 100000 steps") != std::string::npos);
  CHECK(d.items().front().pos.line == 32);
  CHECK(out.text.size() < 1000000);

  // Nested ~SEQ producing nothing still ends: every step counts.
  core::Diagnostics d2;
  preprocess_text("t.conf", "~SEQ(a, 1000000) ~SEQ(b, 1000000) ~SEQ(c, 1000000)\n", o, d2);
  CHECK(d2.error_count() == 1);

  // A long variable repeated many times hits the byte limit.
  core::Diagnostics d3;
  PreprocessOptions small;
  small.max_output_bytes = 1 << 20;
  preprocess_text("t.conf", "$L=" + std::string(100000, 'y') + "\n~SEQ(i, 100) $L\n", small, d3);
  REQUIRE(d3.error_count() == 1);
  CHECK(d3.items().front().message.find("larger than 1 MiB") != std::string::npos);

  // A ~SEQ ending at the largest integer does not overflow its counter.
  core::Diagnostics d4;
  auto edge =
      preprocess_text("t.conf", "~SEQ(i, 9223372036854775806, 9223372036854775807) n $i\n", o, d4);
  CHECK(d4.items().empty());
  CHECK(edge.text == "n 9223372036854775806\nn 9223372036854775807\n");
}

TEST_CASE("~SEQ repeats the rest of the line") {
  core::Diagnostics d;
  CHECK(pp("~SEQ(i, 3) x $i\n", d) == "x 1\nx 2\nx 3\n");
  CHECK(pp("~SEQ(i, 5, 2, 9) y${i}\n", d) == "y5\ny7\ny9\n");
  CHECK(pp("~SEQ(i, 3, -1, 2) z $i\n", d) == "z 3\nz 2\n");
  CHECK(pp("~SEQ(i, 1, 2) ~SEQ(j, 1, 2) $i.$j\n", d) == "1.1\n1.2\n2.1\n2.2\n");
  CHECK(pp("~SEQx(i, 9, 11) h$i\n", d) == "h9\nha\nhb\n");
  CHECK(d.items().empty());
  core::Diagnostics bad;
  pp("~SEQ(i, 1, 0, 3) x\n~SEQ(1) y\n~SEQ(i, a) z\n", bad);
  CHECK(bad.error_count() == 3);
}

TEST_CASE("positions map back through variables") {
  core::Diagnostics d;
  PreprocessOptions o;
  auto out = preprocess_text("t.conf", "$V=hello world\n\n  say $V\n", o, d);
  CHECK(out.text == "say hello world\n");
  auto p = out.map.resolve(0);
  CHECK(p.line == 3);
  CHECK(p.col == 3);
  // "world" came from the definition on line 1, column 10.
  auto w = out.map.resolve(out.text.find("world"));
  CHECK(w.line == 1);
  CHECK(w.col == 10);
}

TEST_CASE("includes: relative, glob, braces, missing, cycles") {
  TempDir t;
  t.write("main.conf", "top\ninclude sub/*.conf\ninclude \"other.{a,b}\"\ninclude none*.conf\n");
  t.write("sub/1.conf", "one\n");
  t.write("sub/2.conf", "two\ninclude ../leaf.inc\n");
  t.write("leaf.inc", "leaf\n");
  t.write("other.a", "oa\n");
  t.write("other.b", "ob\n");
  core::Diagnostics d;
  PreprocessOptions o;
  auto r = preprocess_file((t.path / "main.conf").string(), o, d);
  CHECK(r.out.text == "top\none\ntwo\nleaf\noa\nob\n");
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].severity == core::Severity::warning);
  CHECK(d.items()[0].pos.line == 4);
  auto leaf = r.out.map.resolve(r.out.text.find("leaf"));
  CHECK(leaf.file == (t.path / "sub/../leaf.inc").string());
  CHECK(leaf.line == 1);

  core::Diagnostics strict;
  o.all_config = true;
  preprocess_file((t.path / "main.conf").string(), o, strict);
  CHECK(strict.error_count() == 1);

  t.write("cyc1.conf", "include cyc2.conf\n");
  t.write("cyc2.conf", "include cyc1.conf\n");
  core::Diagnostics cyc;
  preprocess_file((t.path / "cyc1.conf").string(), PreprocessOptions{}, cyc);
  REQUIRE(cyc.error_count() == 1);
  CHECK(cyc.items()[0].message.find("include cycle") != std::string::npos);

  core::Diagnostics missing;
  auto m = preprocess_file((t.path / "nope.conf").string(), PreprocessOptions{}, missing);
  CHECK(m.main_file_missing);
}

TEST_CASE("a NUL byte anywhere on a line drops the line, even inside a comment") {
  core::Diagnostics d;
  using namespace std::string_literals;
  CHECK(pp("a 1\nb \0 2\nc 3 # x\0y\n  d 4\n"s, d) == "a 1\nd 4\n");
  REQUIRE(d.items().size() == 2);
  CHECK(d.items()[0].pos.line == 2);
  CHECK(d.items()[1].pos.line == 3);
}

TEST_CASE("indentation, comments and words that only start like include") {
  core::Diagnostics d;
  CHECK(pp("\t  inclusive 1\n   includes\n  # include nothing\n\t! x\n  \"a # b\" # c\n", d) ==
        "inclusive 1\nincludes\n\"a # b\"\n");
  CHECK(d.items().empty());
}
