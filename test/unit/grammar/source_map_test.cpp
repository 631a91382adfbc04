#include <catch2/catch.hpp>

#include "core/diagnostic.hpp"
#include "grammar/lower/context.hpp"
#include "grammar/load.hpp"
#include "grammar/preprocess.hpp"

#include <thread>

using namespace vigil;

TEST_CASE("positions found with a hint equal those found without, in any order") {
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += std::string(std::size_t(i % 7), ' ') + "k" + std::to_string(i) + " v\n";
  core::Diagnostics d;
  auto pre = grammar::preprocess_text("h.conf", text, {}, d);
  const auto& map = pre.map;
  std::vector<std::size_t> offsets;
  for (std::size_t o = 0; o < pre.text.size(); o += 3)
    offsets.push_back(o);
  std::size_t hint = 0;
  auto check = [&](std::size_t o) {
    auto with = map.resolve(o, &hint);
    auto without = map.resolve(o);
    CHECK(with == without);
    CHECK(with == map.locate(o).first);
  };
  for (auto o : offsets) // increasing
    check(o);
  for (auto it = offsets.rbegin(); it != offsets.rend(); ++it) // decreasing
    check(*it);
  for (std::size_t i = 0; i < offsets.size(); ++i) // jumping about
    check(offsets[(i * 37) % offsets.size()]);
  // (the last line's statement: "k199 v" at column 4 (199 % 7 = 3 blanks))
  auto last = map.resolve(pre.text.size() - 2, &hint);
  CHECK(last.line == 200);
  CHECK(last.col == 3 + 6);
}

TEST_CASE("a keyword index finds every name and nothing else") {
  std::vector<std::string_view> names = {
      "delay_loop", "lb_algo", "real_server", "quorum", "lb_algo", "sorry_server", "a", "ab", "ba"};
  grammar::lower::KeywordIndex index(names);
  CHECK(index.find("delay_loop") == 0);
  CHECK(index.find("lb_algo") == 1); // a name listed twice: its first entry, as a walk finds it
  CHECK(index.find("real_server") == 2);
  CHECK(index.find("sorry_server") == 5);
  CHECK(index.find("a") == 6);
  CHECK(index.find("ab") == 7);
  CHECK(index.find("ba") == 8);
  CHECK(index.find("") == -1);
  CHECK(index.find("b") == -1);
  CHECK(index.find("real_serve") == -1);
  CHECK(index.find("real_serverx") == -1);
  // A large table (open addressing must wrap around and still find everything).
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i)
    many.push_back("kw" + std::to_string(i));
  std::vector<std::string_view> views(many.begin(), many.end());
  grammar::lower::KeywordIndex big(views);
  for (int i = 0; i < 300; ++i)
    CHECK(big.find(many[std::size_t(i)]) == i);
  CHECK(big.find("kw300") == -1);
}

TEST_CASE("nested blocks of one draft type keep their keyword indexes apart (fresh thread)") {
  // SMTP_CHECK's host blocks use a second table of the checker's draft type: the outer block's
  // index must survive the inner one being built (each thread builds its own, so this runs on a
  // thread of its own to start from none).
  bool ok = false;
  std::string diags;
  std::thread([&] {
    grammar::LoadOptions o;
    o.hostname = "n";
    auto r = grammar::load_text("virtual_server 10.0.0.1 25 {\n protocol TCP\n"
                                " real_server 10.0.0.2 25 {\n  SMTP_CHECK {\n   host {\n"
                                "    connect_ip 10.0.0.3\n    connect_port 25\n   }\n"
                                "   helo_name x\n   connect_timeout 3\n  }\n }\n}\n",
                                "n.conf", o);
    ok = r.config != nullptr;
    diags = core::render_all(r.diagnostics);
  }).join();
  CHECK(ok);
  INFO(diags);
}
