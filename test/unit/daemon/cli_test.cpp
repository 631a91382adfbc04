#include <catch2/catch.hpp>

#include "daemon/cli.hpp"

using namespace vigil::daemon;

TEST_CASE("keepalived-style options") {
  auto r = parse_cli({"-f", "/x.conf", "-n", "-l", "-D", "--log-level", "debug"});
  REQUIRE(r.options);
  CHECK(r.options->config_file == "/x.conf");
  CHECK(r.options->log_level == "debug");
  CHECK(r.options->mode == Mode::run);
  CHECK(parse_cli({"--use-file=/y.conf"}).options->config_file == "/y.conf");
  CHECK(parse_cli({"--config", "/z.conf"}).options->config_file == "/z.conf");
  CHECK(parse_cli({}).options->config_file == "/etc/keepalived/keepalived.conf");
  CHECK(parse_cli({"-t"}).options->mode == Mode::config_test);
  CHECK(parse_cli({"--config-test"}).options->mode == Mode::config_test);
  CHECK(parse_cli({"--dump-config"}).options->mode == Mode::dump_config);
  CHECK(parse_cli({"-v"}).options->mode == Mode::version);
  CHECK(parse_cli({"--help"}).options->mode == Mode::help);
  CHECK(parse_cli({"-i", "node2"}).options->config_id == "node2");
  CHECK(parse_cli({"-e"}).options->all_config);
  CHECK(parse_cli({"--pid-file", "/run/v.pid"}).options->pid_file == "/run/v.pid");
}

TEST_CASE("bad usage is reported") {
  CHECK_FALSE(parse_cli({"--bogus"}).options);
  CHECK(parse_cli({"--bogus"}).error.find("--bogus") != std::string::npos);
  CHECK_FALSE(parse_cli({"-f"}).options);
  CHECK_FALSE(parse_cli({"--log-level", "loud"}).options);
  CHECK_FALSE(parse_cli({"-t=x"}).options);
  CHECK_FALSE(parse_cli({"--config-test=x"}).options);
}

TEST_CASE("--status-listen takes an IP literal and a port; --log-format text or json") {
  auto r = parse_cli({"--status-listen", "127.0.0.1:9165", "--log-format", "json"});
  REQUIRE(r.options);
  REQUIRE(r.options->status_listen);
  CHECK(r.options->status_listen->address == "127.0.0.1");
  CHECK(r.options->status_listen->port == 9165);
  CHECK(r.options->log_json);
  auto v6 = parse_cli({"--status-listen=[::1]:80"});
  REQUIRE(v6.options);
  CHECK(v6.options->status_listen->address == "::1");
  CHECK(!parse_cli({"--status-listen", "::1:80"}).options); // brackets needed
  CHECK(!parse_cli({"--status-listen", "localhost:80"}).options);
  CHECK(!parse_cli({"--status-listen", "10.0.0.1:0"}).options);
  CHECK(!parse_cli({"--status-listen", "10.0.0.1:65536"}).options);
  CHECK(!parse_cli({"--status-listen", "10.0.0.1"}).options);
  CHECK(parse_cli({"--status-listen", "10.0.0.1"}).error.find("ADDR:PORT") != std::string::npos);
  CHECK(!parse_cli({"--log-format", "xml"}).options);
  CHECK(!parse_cli({}).options->log_json);
}

TEST_CASE("--state-dir") {
  auto r = vigil::daemon::parse_cli({"--state-dir", "/tmp/x"});
  REQUIRE(r.options);
  CHECK(r.options->state_dir == "/tmp/x");
  CHECK(vigil::daemon::parse_cli({}).options->state_dir == "/run/vigil");
  CHECK_FALSE(vigil::daemon::parse_cli({"--state-dir"}).options);
}

TEST_CASE("--ip-output-adverts: off by default, takes no value") {
  using vigil::daemon::parse_cli;
  CHECK_FALSE(parse_cli({}).options->ip_output_adverts);
  auto r = parse_cli({"--ip-output-adverts"});
  REQUIRE(r.options);
  CHECK(r.options->ip_output_adverts);
  CHECK_FALSE(parse_cli({"--ip-output-adverts=yes"}).options);
  CHECK(vigil::daemon::usage().find("--ip-output-adverts") != std::string::npos);
}
