// The restart-without-failover state file: its text round-trips, it is replaced atomically,
// its age comes from the heartbeat, and a graceful stop leaves nothing to adopt.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/state_file.hpp"

using namespace vigil::daemon;
using namespace std::chrono_literals;

TEST_CASE("state file text round-trips; bad lines are skipped") {
  std::vector<SavedInstance> v{{"VI_1", 51, "inet", "eth0", "MASTER", "ab12"},
                               {"VI_6", 7, "inet6", "", "BACKUP", "cd34"}};
  auto text = render_state(v);
  CHECK(parse_state(text) == v);
  CHECK(parse_state(text + "garbage line\nVI_2 300 inet eth0 MASTER x\nVI_3 1 inet\n") == v);
}

TEST_CASE("state file: written atomically, aged by the heartbeat, removed on stop") {
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto dir =
      std::filesystem::temp_directory_path() / ("vigil-state-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto path = (dir / "sub" / "vigild.state").string();
  {
    StateFile f(path, *log);
    CHECK_FALSE(f.previous().has_value()); // the directory was created, no file yet
    std::vector<SavedInstance> v{{"VI_1", 51, "inet", "eth0", "MASTER", "ab12"}};
    f.write(v);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    std::this_thread::sleep_for(300ms);
    f.heartbeat();
    StateFile next(path, *log);
    auto p = next.previous();
    REQUIRE(p.has_value());
    CHECK(p->instances == v);
    // refreshed by the heartbeat, not 300 ms old (generous: a loaded machine)
    CHECK(p->age < 250ms);
    std::this_thread::sleep_for(300ms);
    p = next.previous();
    REQUIRE(p.has_value());
    CHECK(p->age >= 300ms);
    f.remove();
    CHECK_FALSE(next.previous().has_value());
  }
  std::filesystem::remove_all(dir);
}
