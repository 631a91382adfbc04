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
