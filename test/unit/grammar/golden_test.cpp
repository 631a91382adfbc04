// Golden tests: every test/golden/*.conf is loaded; its normalized model must equal NAME.json
// and its rendered diagnostics NAME.diag (when it has any). VIGIL_GOLDEN_UPDATE=1 rewrites the
// expectations (review the diff before committing).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config/config.hpp"
#include "grammar/load.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path golden_dir() {
  const char* env = std::getenv("VIGIL_GOLDEN_DIR");
  return env ? fs::path(env) : fs::path(VIGIL_SOURCE_DIR) / "test" / "golden";
}

void compare(const fs::path& expected_path, const std::string& actual, bool update) {
  if (update) {
    if (actual.empty())
      fs::remove(expected_path);
    else
      std::ofstream(expected_path) << actual;
    return;
  }
  std::string expected = fs::exists(expected_path) ? slurp(expected_path) : std::string();
  INFO("expectation file: " << expected_path.string());
  CHECK(actual == expected);
}

} // namespace

TEST_CASE("golden configurations") {
  fs::path dir = golden_dir();
  bool update = std::getenv("VIGIL_GOLDEN_UPDATE") != nullptr;
  std::vector<fs::path> confs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".conf")
      confs.push_back(e.path().filename());
  std::sort(confs.begin(), confs.end());
  REQUIRE(confs.size() >= 20);

  // Diagnostics name files relative to the golden folder.
  auto cwd = fs::current_path();
  fs::current_path(dir);
  std::size_t error_cases = 0;
  for (const auto& name : confs) {
    DYNAMIC_SECTION(name.string()) {
      vigil::grammar::LoadOptions o;
      o.config_id = "testhost";
      o.hostname = "testhost";
      auto r = vigil::grammar::load_file(name.string(), o);
      std::string diag =
          r.diagnostics.items().empty() ? std::string() : vigil::core::render_all(r.diagnostics);
      std::string json = r.config ? vigil::core::config::to_json(*r.config) : std::string();
      fs::path stem = name.stem();
      compare(stem.string() + ".diag", diag, update);
      compare(stem.string() + ".json", json, update);
      // A file named err_* must fail to load; any other must load.
      bool expect_error = name.string().rfind("err_", 0) == 0;
      CHECK(r.diagnostics.has_errors() == expect_error);
      if (expect_error)
        ++error_cases;
    }
  }
  fs::current_path(cwd);
}

TEST_CASE("the golden corpus covers at least 40 distinct error cases") {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(golden_dir())) {
    auto f = e.path().filename().string();
    if (f.rfind("err_", 0) == 0 && e.path().extension() == ".conf")
      ++n;
  }
  CHECK(n >= 40);
}
