#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "core/io/process.hpp"

using namespace vigil::core::io;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using Kind = ProcessResult::Kind;
using SteadyClock = std::chrono::steady_clock;

namespace {

/// Runs `ctx` until `done()` or `limit`; false on timeout. Never hangs.
template <class Pred>
bool drive(asio::io_context& ctx, Pred done, std::chrono::milliseconds limit = 30s) {
  auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() >= deadline)
      return false;
    if (ctx.stopped())
      ctx.restart();
    if (ctx.run_for(5ms) == 0)
      std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// Runs `ctx` for `d` (lets pending completions and log lines happen).
void settle(asio::io_context& ctx, std::chrono::milliseconds d) {
  drive(
      ctx, [] { return false; }, d);
}

/// Runs one awaitable to completion on `ctx` (bounded).
template <class T>
T complete(asio::io_context& ctx, asio::awaitable<T> op, std::chrono::milliseconds limit = 30s) {
  std::optional<T> out;
  std::exception_ptr error;
  asio::co_spawn(ctx, std::move(op), [&](std::exception_ptr e, T v) {
    error = e;
    out = std::move(v);
  });
  REQUIRE(drive(
      ctx, [&] { return out.has_value(); }, limit));
  if (error)
    std::rethrow_exception(error);
  return std::move(*out);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

/// The pid written (with a newline) in `path`, once it is there.
std::optional<pid_t> pid_in(const std::string& path) {
  std::string text = read_file(path);
  if (text.empty() || text.back() != '\n')
    return std::nullopt;
  return static_cast<pid_t>(std::stol(text));
}

/// Gone, or a zombie nobody reaped yet (reaping orphans is init's business, not ours).
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0)
    return errno == ESRCH;
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(") ");
  return paren != std::string::npos && paren + 2 < stat.size() &&
         (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X');
}

std::vector<std::string> sh(const std::string& script, std::vector<std::string> args = {}) {
  std::vector<std::string> argv{"/bin/sh", "-c", script, "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/vigil-process-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    dir = tmpl;
    log.set_level(spdlog::level::debug);
  }
  ~Fixture() {
    runner.reset();
    // Never leave a `sleep 100` behind, even when a check failed.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".pid")
        if (auto pid = pid_in(e.path().string()); pid && *pid > 1 && !gone(*pid))
          ::kill(*pid, SIGKILL);
    }
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return dir + '/' + name; }
  /// Waits (running the loop) until a pid file is complete.
  pid_t wait_pid(const std::string& name) {
    std::optional<pid_t> pid;
    REQUIRE(drive(
        ctx, [&] { return (pid = pid_in(path(name))).has_value(); }, 20s));
    return *pid;
  }
  /// Waits (running the loop) until `pid` is gone.
  bool wait_gone(pid_t pid, std::chrono::milliseconds limit = 10s) {
    return drive(
        ctx, [&] { return gone(pid); }, limit);
  }
  ProcessResult run(std::vector<std::string> argv, std::chrono::nanoseconds timeout = 30s,
                    std::optional<RunAs> as = std::nullopt,
                    std::vector<std::pair<std::string, std::string>> env = {}) {
    return complete(ctx, runner->run(std::move(argv), std::move(as), timeout, std::move(env)));
  }

  std::string dir;
  std::ostringstream log_text;
  spdlog::logger log{"test", std::make_shared<spdlog::sinks::ostream_sink_st>(log_text)};
  asio::io_context ctx{1};
  std::unique_ptr<ProcessRunner> runner = std::make_unique<ProcessRunner>(ctx, log);
};

bool is_root() {
  return ::geteuid() == 0;
}

} // namespace

TEST_CASE_METHOD(Fixture, "exit status", "[process]") {
  auto r = run({"true"});
  CHECK(r.kind == Kind::exited);
  CHECK(r.code == 0);
  CHECK(r.success());
  CHECK(r.duration > 0ns);

  r = run(sh("exit 3"));
  CHECK(r.kind == Kind::exited);
  CHECK(r.code == 3);
  CHECK_FALSE(r.success());
  CHECK(describe(r).find("exited with status 3") == 0);

  r = run(sh("exit 255"));
  CHECK(r.kind == Kind::exited);
  CHECK(r.code == 255);

  // No limit: zero, negative, or beyond the clock's range.
  CHECK(run({"true"}, 0ns).success());
  CHECK(run({"true"}, -1s).success());
  CHECK(run({"true"}, std::chrono::nanoseconds::max()).success());
  CHECK(runner->running() == 0);
}

TEST_CASE_METHOD(Fixture, "killed by a signal", "[process]") {
  auto r = run(sh("kill -USR2 $$; sleep 5"));
  CHECK(r.kind == Kind::signaled);
  CHECK(r.code == SIGUSR2);
  CHECK(describe(r).find("was killed by SIGUSR2") == 0);

  r = run(sh("kill -9 $$"));
  CHECK(r.kind == Kind::signaled);
  CHECK(r.code == SIGKILL);
}

TEST_CASE_METHOD(Fixture, "a program that cannot be started fails with the errno text",
                 "[process]") {
  auto r = run({"/nonexistent/program", "arg"});
  CHECK(r.kind == Kind::failed);
  CHECK(r.error == "cannot execute /nonexistent/program: No such file or directory");
  CHECK(describe(r) == "could not be started: " + r.error);

  r = run({"vigil-no-such-program"});
  CHECK(r.kind == Kind::failed);
  CHECK(r.error.find("cannot find 'vigil-no-such-program' in PATH=") == 0);
  CHECK(r.error.find("No such file or directory") != std::string::npos);

  { std::ofstream(path("noexec.sh")) << "#!/bin/sh\nexit 0\n"; }
  ::chmod(path("noexec.sh").c_str(), 0644);
  r = run({path("noexec.sh")});
  CHECK(r.kind == Kind::failed);
  CHECK(r.error.find("Permission denied") != std::string::npos);

  r = run({});
  CHECK(r.kind == Kind::failed);
  CHECK(r.error == "empty command");

  r = run({"true"}, 30s, std::nullopt, {{"BAD=NAME", "x"}});
  CHECK(r.kind == Kind::failed);
  CHECK(runner->running() == 0);
}

TEST_CASE_METHOD(Fixture, "the environment is clean", "[process]") {
  ::setenv("VIGIL_SHOULD_NOT_LEAK", "1", 1);
  const std::string dump = R"(tr '\0' '\n' < /proc/$$/environ > "$1")";
  auto r = run(sh(dump, {path("env1")}), 30s, std::nullopt,
               {{"VIGIL_INSTANCE", "VI 1"}, {"VIGIL_STATE", "MASTER"}});
  REQUIRE(r.success());
  CHECK(
      lines(read_file(path("env1"))) ==
      std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "VIGIL_INSTANCE=VI 1", "VIGIL_STATE=MASTER"});

  // A PATH pair replaces the default one; a repeated name keeps the last value.
  r = run(sh(dump, {path("env2")}), 30s, std::nullopt, {{"PATH", "/bin"}, {"A", "1"}, {"A", "2"}});
  REQUIRE(r.success());
  CHECK(lines(read_file(path("env2"))) == std::vector<std::string>{"PATH=/bin", "A=2"});
  ::unsetenv("VIGIL_SHOULD_NOT_LEAK");
}

TEST_CASE_METHOD(Fixture, "streams, descriptors, session, directory and signals are reset",
                 "[process]") {
  // A descriptor without FD_CLOEXEC, a blocked signal, an ignored one and an Asio handler:
  // none of it may reach the program.
  int leaked = ::open(path("leak-marker").c_str(), O_CREAT | O_RDWR, 0600);
  REQUIRE(leaked > 2);
  struct Restore {
    sigset_t mask;
    void (*usr2)(int);
    int fd;
    ~Restore() {
      ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
      ::signal(SIGUSR2, usr2);
      ::close(fd);
    }
  } restore{};
  restore.fd = leaked;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &block, &restore.mask);
  restore.usr2 = ::signal(SIGUSR2, SIG_IGN);
  asio::signal_set signals(ctx, SIGHUP);
  int hups = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int) { hups += !ec; });

  // Inspected from here while it runs: the shell execs sleep, which keeps what it was given.
  std::optional<ProcessResult> result;
  asio::co_spawn(
      ctx, runner->run(sh(R"(echo $$ > "$1"; exec sleep 30)", {path("p.pid")}), std::nullopt, 60s),
      [&](std::exception_ptr, ProcessResult r) { result = r; });
  pid_t pid = wait_pid("p.pid");
  const std::string proc = "/proc/" + std::to_string(pid);
  REQUIRE(drive(
      ctx, [&] { return read_file(proc + "/comm") == "sleep\n"; }, 10s));

  std::vector<std::string> fds;
  auto list_fds = [&] {
    fds.clear();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(proc + "/fd", ec)) {
      auto target = fs::read_symlink(e.path(), ec);
      fds.push_back(e.path().filename().string() + " -> " + target.string());
    }
    std::sort(fds.begin(), fds.end());
    return fds.size() <= 3;
  };
  // comm says "sleep" as soon as the exec starts, while sleep's dynamic loader may still hold
  // libc open for a moment: wait for what stays (a leaked descriptor would never go).
  (void)drive(ctx, list_fds, 10s);
  CHECK(fds == std::vector<std::string>{"0 -> /dev/null", "1 -> /dev/null", "2 -> /dev/null"});
  std::string status = read_file(proc + "/status");
  CHECK(status.find("SigBlk:\t0000000000000000") != std::string::npos);
  CHECK(status.find("SigIgn:\t0000000000000000") != std::string::npos);
  // Its own session and process group: "pid (comm) state ppid pgrp session ...".
  std::istringstream stat(
      read_file(proc + "/stat").substr(read_file(proc + "/stat").rfind(')') + 2));
  std::string state;
  pid_t ppid = 0, pgrp = 0, session = 0;
  stat >> state >> ppid >> pgrp >> session;
  CHECK(ppid == ::getpid());
  CHECK(pgrp == pid);
  CHECK(session == pid);
  CHECK(fs::read_symlink(proc + "/cwd") == "/");

  ::kill(pid, SIGTERM);
  REQUIRE(drive(
      ctx, [&] { return result.has_value(); }, 10s));
  CHECK(result->kind == Kind::signaled);
  CHECK(result->code == SIGTERM);

  // vigild's own signal handling still works after the spawn.
  ::raise(SIGHUP);
  CHECK(drive(
      ctx, [&] { return hups == 1; }, 5s));
}

TEST_CASE_METHOD(Fixture, "a timeout kills the whole process group", "[process]") {
  SECTION("SIGTERM is enough") {
    auto r = run(sh(R"(sleep 100 & echo $! > "$1"; echo $$ > "$2"; wait)",
                    {path("bg.pid"), path("leader.pid")}),
                 300ms);
    CHECK(r.kind == Kind::timed_out);
    CHECK(r.code == SIGTERM);
    CHECK(r.duration >= 300ms);
    CHECK(r.duration < 1s); // the leader went on SIGTERM: no 1 s grace wait
    CHECK(describe(r).find("timed out and was killed (SIGTERM)") == 0);
    auto bg = pid_in(path("bg.pid"));
    auto leader = pid_in(path("leader.pid"));
    REQUIRE(bg);
    REQUIRE(leader);
    CHECK(wait_gone(*leader));
    CHECK(wait_gone(*bg));
  }
  SECTION("the leader exits on SIGTERM, a background child ignores it: SIGKILL at once") {
    auto r = run(sh(R"((trap '' TERM; exec sleep 100) & echo $! > "$1"; wait)", {path("bg.pid")}),
                 300ms);
    CHECK(r.kind == Kind::timed_out);
    CHECK(r.code == SIGTERM);
    CHECK(r.duration < 1s);
    auto bg = pid_in(path("bg.pid"));
    REQUIRE(bg);
    CHECK(wait_gone(*bg, 2s));
  }
  SECTION("everything ignores SIGTERM: SIGKILL 1 s later") {
    auto r = run(sh(R"(trap '' TERM; sleep 100 & echo $! > "$1"; echo $$ > "$2"; wait)",
                    {path("bg.pid"), path("leader.pid")}),
                 300ms);
    CHECK(r.kind == Kind::timed_out);
    CHECK(r.code == SIGKILL);
    CHECK(r.duration >= 1300ms);
    CHECK(r.duration < 5s);
    auto bg = pid_in(path("bg.pid"));
    auto leader = pid_in(path("leader.pid"));
    REQUIRE(bg);
    REQUIRE(leader);
    CHECK(wait_gone(*leader));
    CHECK(wait_gone(*bg));
  }
  CHECK(runner->running() == 0);
}

TEST_CASE_METHOD(Fixture, "an output flood neither stalls the loop nor the program", "[process]") {
  bool finished = false;
  SteadyClock::duration worst{};
  int ticks = 0;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(ctx);
        auto last = SteadyClock::now();
        while (!finished) {
          t.expires_after(10ms);
          co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
          auto now = SteadyClock::now();
          worst = std::max(worst, now - last);
          last = now;
          ++ticks;
        }
      },
      asio::detached);
  auto r = run(sh("head -c 52428800 /dev/zero; head -c 10485760 /dev/zero >&2; "
                  "i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done"),
               60s);
  finished = true;
  settle(ctx, 50ms);
  CHECK(r.success());
  CHECK(ticks > 0);
  double worst_ms = std::chrono::duration<double, std::milli>(worst).count();
  INFO("worst gap of a 10 ms timer: " << worst_ms << " ms over " << ticks << " ticks");
  CHECK(worst < 100ms);
}

TEST_CASE_METHOD(Fixture, "runs as another user", "[process]") {
  if (!is_root()) {
    WARN("not root: skipped");
    return;
  }
  ::chmod(dir.c_str(), 0755);
  fs::create_directory(path("shared"));
  ::chmod(path("shared").c_str(), 0777);
  const std::string ids = R"sh(echo "$(id -u) $(id -g) $(id -G)" > "$1")sh";
  std::string why;
  auto nobody = resolve_user("nobody", std::nullopt, why);
  REQUIRE(nobody);
  auto r = run(sh(ids, {path("shared/a")}), 30s, nobody);
  REQUIRE(r.success());
  CHECK(read_file(path("shared/a")) == "65534 65534 65534\n");

  auto nobody_users = resolve_user("nobody", std::string("users"), why);
  REQUIRE(nobody_users);
  r = run(sh(ids, {path("shared/b")}), 30s, nobody_users);
  REQUIRE(r.success());
  CHECK(read_file(path("shared/b")) == "65534 100 100\n");

  // A program only root may execute: the failure comes back from the child with its errno.
  { std::ofstream(path("root-only.sh")) << "#!/bin/sh\nexit 0\n"; }
  ::chmod(path("root-only.sh").c_str(), 0700);
  r = run({path("root-only.sh")}, 30s, nobody);
  CHECK(r.kind == Kind::failed);
  CHECK(r.error == "cannot execute " + path("root-only.sh") + ": Permission denied");
  r = run({path("root-only.sh")});
  CHECK(r.success());
}

TEST_CASE_METHOD(Fixture, "200 concurrent runs all complete", "[process]") {
  constexpr int n = 200;
  std::vector<std::optional<ProcessResult>> results(n);
  std::size_t peak = 0;
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(ctx, runner->run(sh("exit $1", {std::to_string(i % 100)}), std::nullopt, 60s),
                   [&results, i](std::exception_ptr, ProcessResult r) { results[i] = r; });
  }
  auto all_done = [&] {
    peak = std::max(peak, runner->running());
    return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
  };
  REQUIRE(drive(ctx, all_done, 120s));
  for (int i = 0; i < n; ++i) {
    CHECK(results[i]->kind == Kind::exited);
    CHECK(results[i]->code == i % 100);
  }
  CHECK(peak > 1);
  CHECK(runner->running() == 0);
}

TEST_CASE_METHOD(Fixture, "start() logs failures and calls back", "[process]") {
  std::vector<ProcessResult> results;
  runner->start(sh("exit 4"), std::nullopt, 30s,
                [&](const ProcessResult& r) { results.push_back(r); });
  runner->start({"/nonexistent/notify.sh", "INSTANCE", "VI_1", "MASTER"}, std::nullopt, 30s,
                [&](const ProcessResult& r) { results.push_back(r); });
  runner->start({"true"}, std::nullopt, 30s);
  REQUIRE(drive(
      ctx, [&] { return results.size() == 2 && runner->running() == 0; }, 30s));
  settle(ctx, 50ms);
  std::string text = log_text.str();
  CHECK(text.find("[warning] `/bin/sh -c 'exit 4' sh` exited with status 4") != std::string::npos);
  CHECK(text.find("[warning] `/nonexistent/notify.sh INSTANCE VI_1 MASTER` could not be "
                  "started: cannot execute /nonexistent/notify.sh: No such file or directory") !=
        std::string::npos);
  CHECK(text.find("[debug] `true` exited with status 0") != std::string::npos);
}

TEST_CASE_METHOD(Fixture, "cancelling run() kills the process group", "[process]") {
  using namespace asio::experimental::awaitable_operators;
  auto raced = [&]() -> asio::awaitable<int> {
    asio::steady_timer t(ctx, 200ms);
    // (argv built outside the co_await: GCC 12 miscompiles braced lists inside it)
    auto argv = sh(R"(sleep 100 & echo $! > "$1"; wait)", {path("bg.pid")});
    auto v = co_await (runner->run(std::move(argv), std::nullopt, 60s) ||
                       t.async_wait(asio::use_awaitable));
    co_return static_cast<int>(v.index());
  };
  auto started = SteadyClock::now();
  CHECK(complete(ctx, raced(), 10s) == 1);
  CHECK(SteadyClock::now() - started < 5s);
  CHECK(runner->running() == 0);
  auto bg = pid_in(path("bg.pid"));
  REQUIRE(bg);
  CHECK(wait_gone(*bg));
}

TEST_CASE_METHOD(Fixture, "the destructor kills what still runs", "[process]") {
  bool called = false;
  runner->start(sh(R"(sleep 100 & echo $! > "$1"; echo $$ > "$2"; wait)",
                   {path("bg1.pid"), path("leader1.pid")}),
                std::nullopt, 0ns, [&](const ProcessResult&) { called = true; });
  std::optional<ProcessResult> awaited;
  asio::co_spawn(ctx,
                 runner->run(sh(R"(echo $$ > "$1"; exec sleep 100)", {path("leader2.pid")}),
                             std::nullopt, 60s),
                 [&](std::exception_ptr, ProcessResult r) { awaited = r; });
  pid_t bg1 = wait_pid("bg1.pid");
  pid_t leader1 = wait_pid("leader1.pid");
  pid_t leader2 = wait_pid("leader2.pid");
  CHECK(runner->running() == 2);

  runner.reset();
  CHECK(wait_gone(bg1));
  CHECK(wait_gone(leader2));
  // Killed, and reaped by the still-running coroutines once the loop runs.
  REQUIRE(drive(
      ctx, [&] { return awaited.has_value(); }, 10s));
  CHECK(awaited->kind == Kind::signaled);
  CHECK(awaited->code == SIGKILL);
  // Reaped, not left as zombies.
  CHECK(drive(
      ctx, [&] { return ::kill(leader1, 0) != 0 && ::kill(leader2, 0) != 0; }, 10s));
  settle(ctx, 100ms);
  CHECK_FALSE(called); // no callback into an owner that may be gone
}

TEST_CASE("find_program", "[process]") {
  auto sh_path = find_program("sh");
  REQUIRE(sh_path);
  CHECK(sh_path->front() == '/');
  CHECK(sh_path->size() > 3);
  CHECK(sh_path->substr(sh_path->size() - 3) == "/sh");
  CHECK(find_program("/x/y") == "/x/y");
  CHECK_FALSE(find_program("vigil-no-such-program"));
  CHECK_FALSE(find_program("sh", "/nonexistent:"));
  CHECK(find_program("sh", "/nonexistent::/bin") == "/bin/sh");
  char cwd[4096];
  REQUIRE(::getcwd(cwd, sizeof cwd));
  CHECK(find_program("./x.sh") == std::string(cwd) + "/./x.sh");
}

TEST_CASE("resolve_user", "[process]") {
  std::string why;
  auto nobody = resolve_user("nobody", std::nullopt, why);
  REQUIRE(nobody);
  CHECK(nobody->uid == 65534);
  CHECK(nobody->gid == 65534);
  CHECK(nobody->user == "nobody");
  CHECK(std::find(nobody->groups.begin(), nobody->groups.end(), 65534U) != nobody->groups.end());

  auto with_group = resolve_user("nobody", std::string("users"), why);
  REQUIRE(with_group);
  CHECK(with_group->gid == 100);
  CHECK(with_group->groups == std::vector<gid_t>{100});

  auto numeric = resolve_user("65534", std::string("4242"), why);
  REQUIRE(numeric);
  CHECK(numeric->user == "nobody");
  CHECK(numeric->gid == 4242);

  auto root = resolve_user("root", std::nullopt, why);
  REQUIRE(root);
  CHECK(root->uid == 0);

  CHECK_FALSE(resolve_user("vigil-no-such-user", std::nullopt, why));
  CHECK(why == "unknown user 'vigil-no-such-user'");
  CHECK_FALSE(resolve_user("nobody", std::string("vigil-no-such-group"), why));
  CHECK(why == "unknown group 'vigil-no-such-group'");
}

TEST_CASE("script_security_problem", "[process]") {
  if (!is_root()) {
    WARN("not root: skipped");
    return;
  }
  char tmpl[] = "/tmp/vigil-security-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  const std::string d = tmpl; // root, 0700, in /tmp (root, 1777)
  ::chmod(d.c_str(), 0755);
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{d};
  const uid_t nobody = 65534;
  auto file = [&](const std::string& name, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
    std::string p = d + '/' + name;
    std::ofstream(p) << "#!/bin/sh\n";
    REQUIRE(::chown(p.c_str(), uid, gid) == 0);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  };
  auto dir = [&](const std::string& name, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
    std::string p = d + '/' + name;
    REQUIRE(::mkdir(p.c_str(), 0700) == 0);
    REQUIRE(::chown(p.c_str(), uid, gid) == 0);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  };
  auto link = [&](const std::string& target, const std::string& name, uid_t uid = 0) {
    std::string p = d + '/' + name;
    REQUIRE(::symlink(target.c_str(), p.c_str()) == 0);
    REQUIRE(::lchown(p.c_str(), uid, 0) == 0);
    return p;
  };

  auto safe = file("safe.sh", 0755);
  CHECK(script_security_problem(safe) == "");
  CHECK(script_security_problem(d + "/./safe.sh") == "");
  CHECK(script_security_problem(file("readonly.sh", 0500)) == "");

  auto g = file("group.sh", 0664, 0, 100);
  CHECK(script_security_problem(g) == g + " is writable by group 'users' (mode 0664)");
  auto o = file("other.sh", 0646);
  CHECK(script_security_problem(o) == o + " is writable by everyone (mode 0646)");
  auto go = file("both.sh", 0777, 0, 100);
  CHECK(script_security_problem(go) ==
        go + " is writable by group 'users' and by everyone (mode 0777)");
  auto owned = file("owned.sh", 0755, nobody, 0);
  CHECK(script_security_problem(owned) == owned + " is owned by user 'nobody', not root");

  auto open_dir = dir("open", 0757);
  auto in_open = file("open/x.sh", 0755);
  CHECK(script_security_problem(in_open) ==
        "directory " + open_dir + " is writable by everyone (mode 0757)");
  auto all_dir = dir("all", 0777, 0, 100);
  CHECK(script_security_problem(file("all/x.sh", 0755)) ==
        "directory " + all_dir + " is writable by group 'users' and by everyone (mode 0777)");
  auto group_dir = dir("groupdir", 02775, 0, 100);
  CHECK(script_security_problem(file("groupdir/x.sh", 0755)) ==
        "directory " + group_dir + " is writable by group 'users' (mode 2775)");
  auto nobody_dir = dir("nobodydir", 0755, nobody);
  CHECK(script_security_problem(file("nobodydir/x.sh", 0755)) ==
        "directory " + nobody_dir + " is owned by user 'nobody', not root");

  // A root-owned sticky directory (like /tmp): others cannot replace root's entries.
  dir("sticky", 01777);
  CHECK(script_security_problem(file("sticky/x.sh", 0755)) == "");
  CHECK(script_security_problem(file("sticky/y.sh", 0755, nobody)) ==
        d + "/sticky/y.sh is owned by user 'nobody', not root");
  auto nobody_sticky = dir("nobodysticky", 01777, nobody);
  CHECK(script_security_problem(file("nobodysticky/x.sh", 0755)) ==
        "directory " + nobody_sticky + " is owned by user 'nobody', not root");

  // Symbolic links: the target must obey the same rules, and so must the way there.
  CHECK(script_security_problem(link(safe, "to-safe")) == "");
  CHECK(script_security_problem(link("safe.sh", "to-safe-relative")) == "");
  dir("sub", 0755);
  CHECK(script_security_problem(link("../safe.sh", "sub/up")) == "");
  auto to_group = link(g, "to-group");
  CHECK(script_security_problem(to_group) == g +
                                                 " is writable by group 'users' (mode 0664) "
                                                 "(reached through the symbolic link " +
                                                 to_group + ")");
  auto to_open = link("open/x.sh", "to-open");
  CHECK(script_security_problem(to_open).find("directory " + open_dir +
                                              " is writable by everyone") == 0);
  // Nobody but root can replace a link in a root-owned, non-writable directory, whoever owns it.
  CHECK(script_security_problem(link(safe, "nobody-link", nobody)) == "");
  auto sticky_link = link(safe, "sticky/nobody-link", nobody);
  CHECK(script_security_problem(sticky_link) ==
        "symbolic link " + sticky_link + " is owned by user 'nobody' in the shared directory " + d +
            "/sticky (mode 1777): its owner can replace it");
  CHECK(script_security_problem(link(safe, "sticky/root-link")) == "");

  link("loop2", "loop1");
  link("loop1", "loop2");
  CHECK(script_security_problem(d + "/loop1") == d + "/loop1: too many levels of symbolic links");
  CHECK(script_security_problem(d + "/missing.sh") ==
        "cannot check " + d + "/missing.sh: No such file or directory");
  CHECK(script_security_problem(d + "/sub") == d + "/sub is not a regular file");
  CHECK(script_security_problem(safe + "/x") == safe + " is not a directory");
  CHECK(script_security_problem("relative.sh") == "'relative.sh' is not an absolute path");
  CHECK(script_security_problem("/bin/sh") == "");
}

// Numbers for the record, not checks: ./unit_daemon "[.bench]" -s
TEST_CASE_METHOD(Fixture, "spawn cost", "[.bench]") {
  constexpr int n = 200;
  // Parent-side cost of one spawn (the loop is blocked for this), nothing else running.
  int done = 0;
  SteadyClock::duration blocked{}, worst_blocked{};
  for (int i = 0; i < n; ++i) {
    runner->start({"/bin/true"}, std::nullopt, 30s, [&](const ProcessResult&) { ++done; });
    ctx.restart();
    auto t0 = SteadyClock::now();
    ctx.poll();
    auto b = SteadyClock::now() - t0;
    blocked += b;
    worst_blocked = std::max(worst_blocked, b);
    REQUIRE(drive(
        ctx, [&] { return done == i + 1; }, 10s));
  }
  // The same with 200 at once (children exec and run on the other core meanwhile).
  done = 0;
  for (int i = 0; i < n; ++i)
    runner->start({"/bin/true"}, std::nullopt, 30s, [&](const ProcessResult&) { ++done; });
  ctx.restart();
  auto t0 = SteadyClock::now();
  ctx.poll();
  auto burst = SteadyClock::now() - t0;
  REQUIRE(drive(
      ctx, [&] { return done == n; }, 60s));

  // Sequential spawn + exec + exit + reap.
  t0 = SteadyClock::now();
  for (int i = 0; i < n; ++i)
    REQUIRE(run({"/bin/true"}).success());
  auto sequential = SteadyClock::now() - t0;

  // Baseline: fork() + execve + waitpid, the parent's fork() call alone timed.
  SteadyClock::duration fork_blocked{};
  t0 = SteadyClock::now();
  for (int i = 0; i < n; ++i) {
    auto f0 = SteadyClock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/true", "true", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    fork_blocked += SteadyClock::now() - f0;
    ::waitpid(pid, nullptr, 0);
  }
  auto forked = SteadyClock::now() - t0;
  auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count() / n; };
  std::printf(
      "spawn cost per program over %d runs:\n"
      "  ProcessRunner: loop blocked %.1f us per spawn (worst %.1f us, %.1f us in a burst of "
      "%d); run(/bin/true) end to end %.1f us\n"
      "  fork() baseline: fork() call %.1f us; fork+exec+waitpid %.1f us\n",
      n, us(blocked), us(worst_blocked) * n, us(burst), n, us(sequential), us(fork_blocked),
      us(forked));
}
