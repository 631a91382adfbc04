#include <catch2/catch.hpp>

#include "grammar/parser.hpp"

using vigil::grammar::parse_tree;

TEST_CASE("statements, arguments and blocks") {
  auto t = parse_tree("global_defs {\n router_id n1\n}\nvrrp_instance VI_1\n{\n priority 100\n}\n");
  REQUIRE(t.errors.empty());
  REQUIRE(t.statements.size() == 2);
  CHECK(t.statements[0].keyword.text == "global_defs");
  REQUIRE(t.statements[0].children.size() == 1);
  CHECK(t.statements[0].children[0].keyword.text == "router_id");
  CHECK(t.statements[0].children[0].args[0].text == "n1");
  CHECK(t.statements[1].args[0].text == "VI_1");
  CHECK(t.statements[1].has_block);
  CHECK(t.statements[1].children[0].keyword.text == "priority");
}

TEST_CASE("blocks on one line and braces glued to words") {
  auto t = parse_tree("virtual_ipaddress { 10.0.0.1/24 dev eth0 }\nurl{ path / }\nx {a}\n");
  REQUIRE(t.errors.empty());
  REQUIRE(t.statements.size() == 3);
  REQUIRE(t.statements[0].children.size() == 1);
  CHECK(t.statements[0].children[0].keyword.text == "10.0.0.1/24");
  CHECK(t.statements[0].children[0].args.size() == 2);
  CHECK(t.statements[1].keyword.text == "url");
  CHECK(t.statements[1].children[0].args[0].text == "/");
  CHECK(t.statements[2].children[0].keyword.text == "a");
}

TEST_CASE("braces inside a word stay in the word") {
  auto t = parse_tree("regex ^a{2}$\n");
  REQUIRE(t.errors.empty());
  CHECK(t.statements[0].args[0].text == "^a{2}$");
}

TEST_CASE("quoted words keep blanks and decode escapes") {
  auto t = parse_tree("script \"/bin/x 'a b'\\n\\x41\\101\" 'single \\n'\n");
  REQUIRE(t.errors.empty());
  CHECK(t.statements[0].args[0].text == "/bin/x 'a b'\nAA");
  CHECK(t.statements[0].args[0].quoted);
  CHECK(t.statements[0].args[1].text == "single \\n");
}

TEST_CASE("offsets point at each word") {
  auto t = parse_tree("a  bb \"c\"\n");
  CHECK(t.statements[0].keyword.offset == 0);
  CHECK(t.statements[0].args[0].offset == 3);
  CHECK(t.statements[0].args[1].offset == 6);
}

TEST_CASE("structural errors are all reported and parsing goes on") {
  auto t = parse_tree("a {\n b\n}\n}\nc {\n d \"open\n");
  REQUIRE(t.errors.size() == 3);
  CHECK(t.errors[0].message.find("unexpected '}'") != std::string::npos);
  CHECK(t.errors[1].message.find("missing closing") != std::string::npos);
  CHECK(t.errors[2].message.find("missing '}' for 'c'") != std::string::npos);
  CHECK(t.statements.size() == 2);
}

TEST_CASE("a block without a keyword is an error") {
  auto t = parse_tree("{\n a\n}\nb\n");
  REQUIRE(t.errors.size() == 1);
  CHECK(t.errors[0].message.find("without a keyword") != std::string::npos);
  REQUIRE(t.statements.size() == 1);
  CHECK(t.statements[0].keyword.text == "b");
}

TEST_CASE("the flat tree keeps each block's children together, whatever the nesting") {
  auto t = parse_tree("a 1 {\n b 2 3 {\n  c\n  d 4\n }\n e\n}\nf {\n g { h 5 }\n}\ni 6 7 8\n");
  REQUIRE(t.errors.empty());
  REQUIRE(t.statements.size() == 3);
  const auto& a = t.statements[0];
  CHECK(a.keyword.text == "a");
  REQUIRE(a.args.size() == 1);
  CHECK(a.args[0].text == "1");
  REQUIRE(a.children.size() == 2);
  const auto& b = a.children[0];
  CHECK(b.keyword.text == "b");
  REQUIRE(b.args.size() == 2);
  CHECK(b.args[1].text == "3");
  REQUIRE(b.children.size() == 2);
  CHECK(b.children[0].keyword.text == "c");
  CHECK(b.children[0].args.empty());
  CHECK(b.children[1].args[0].text == "4");
  CHECK(a.children[1].keyword.text == "e");
  CHECK(a.children[1].children.empty());
  const auto& g = t.statements[1].children[0];
  CHECK(g.keyword.text == "g");
  REQUIRE(g.children.size() == 1);
  CHECK(g.children[0].keyword.text == "h");
  CHECK(g.children[0].args[0].text == "5");
  CHECK(t.statements[2].args.size() == 3);
  CHECK(t.statements[2].args[2].text == "8");
}

TEST_CASE("a moved tree's views stay valid") {
  auto t = parse_tree("x {\n y 1\n}\n");
  vigil::grammar::ast::Tree moved = std::move(t);
  vigil::grammar::ast::Tree again;
  again = std::move(moved);
  REQUIRE(again.statements.size() == 1);
  REQUIRE(again.statements[0].children.size() == 1);
  CHECK(again.statements[0].children[0].args[0].text == "1");
}

TEST_CASE("what a keyword-less block holds is dropped with it") {
  auto t = parse_tree("a {\n {\n  lost 1 { deeper }\n }\n kept 2\n}\nb\n");
  REQUIRE(t.errors.size() == 1);
  REQUIRE(t.statements.size() == 2);
  REQUIRE(t.statements[0].children.size() == 1);
  CHECK(t.statements[0].children[0].keyword.text == "kept");
  CHECK(t.statements[1].keyword.text == "b");
}

TEST_CASE("a brace inside a bare word is part of it; at its end it opens or closes a block") {
  auto t = parse_tree("r a{b}c x}{y {\n z\n}\n");
  REQUIRE(t.errors.empty());
  REQUIRE(t.statements.size() == 1);
  REQUIRE(t.statements[0].args.size() == 2);
  CHECK(t.statements[0].args[0].text == "a{b}c");
  CHECK(t.statements[0].args[1].text == "x}{y");
  CHECK(t.statements[0].children.size() == 1);
}
