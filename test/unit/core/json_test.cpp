#include <catch2/catch.hpp>

#include "core/diagnostic.hpp"
#include "core/json.hpp"

using vigil::core::Json;

TEST_CASE("compact JSON") {
  Json j;
  j.begin_object()
      .key("a")
      .value(1)
      .key("b")
      .begin_array()
      .value("x\"y")
      .value(true)
      .null()
      .end_array()
      .key("c")
      .begin_object()
      .end_object()
      .end_object();
  CHECK(j.str() == R"({"a":1,"b":["x\"y",true,null],"c":{}})");
}

TEST_CASE("pretty JSON") {
  Json j(true);
  j.begin_object().key("a").begin_array().value(1).value(2).end_array().end_object();
  CHECK(j.str() == "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
}

TEST_CASE("exact seconds") {
  CHECK(vigil::core::seconds_text(1000000) == "1");
  CHECK(vigil::core::seconds_text(1500000) == "1.5");
  CHECK(vigil::core::seconds_text(10000) == "0.01");
  CHECK(vigil::core::seconds_text(1) == "0.000001");
  CHECK(vigil::core::seconds_text(0) == "0");
}

TEST_CASE("diagnostics render with a caret under the column") {
  vigil::core::Diagnostics ds;
  ds.error({"a.conf", 3, 5}, "bad thing", "\tfoo bar", "try baz");
  ds.warning({"a.conf", 4, 1}, "odd", "x");
  auto text = vigil::core::render_all(ds);
  CHECK(text == "a.conf:3:5: error: bad thing\n  \tfoo bar\n  \t   ^\n  note: try baz\n"
                "a.conf:4:1: warning: odd\n  x\n  ^\n1 error, 1 warning\n");
}
