// smtp_tool: sends one mail through vigil's SMTP client (core/io/smtp.hpp) for
// test/daemon/test_smtp.py, while a 5 ms repeating timer runs on the same io_context to show that
// the event loop never stalls.
//
//   smtp_tool --server IP --port N --from ADDR --to ADDR [--to ADDR ...] [--subject TEXT]
//             [--body TEXT] [--helo NAME] [--timeout-ms MS]
//             [--alerter [--count N] [--give-up-ms MS]]
//
// Without --alerter it calls send_mail() once and prints
//   rejected: RCPT TO <x>: 550 ...      (one line per rejected recipient)
//   ok accepted=N quit_acknowledged=0|1  or  error: REASON
// With --alerter it queues --count mails (default 1) on an Alerter (logs on stderr), awaits
// stop() (bounded by --give-up-ms, after which the Alerter is destroyed with its mail still
// queued or in flight) and prints
//   sent=S failed=F dropped=D
// Then, always, once the io_context has no work left:
//   elapsed_ms=T max_gap_ms=G ticks=K
// (G: the longest time between two ticks of the 5 ms timer). Exit status 0 when every mail was
// accepted, 1 otherwise, 2 on a usage error.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/ip.hpp"
#include "core/io/smtp.hpp"

using namespace vigil;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "smtp_tool: %s\nusage: smtp_tool --server IP --port N --from ADDR --to ADDR "
               "[--to ADDR ...] [--subject TEXT] [--body TEXT] [--helo NAME] [--timeout-ms MS] "
               "[--alerter [--count N] [--give-up-ms MS]]\n",
               why);
  return 2;
}

struct Args {
  core::IpAddress server;
  std::uint16_t port = 25;
  std::string helo = "smtp-tool.test";
  core::Mail mail;
  std::chrono::milliseconds timeout{30000};
  bool alerter = false;
  int count = 1;
  std::optional<std::chrono::milliseconds> give_up;
};

/// A 5 ms repeating timer; records the longest gap between two ticks.
struct Ticker {
  explicit Ticker(asio::io_context& ctx) : timer(ctx) {}
  asio::steady_timer timer;
  bool done = false;
  std::chrono::steady_clock::duration max_gap{};
  long ticks = 0;

  asio::awaitable<void> run() {
    auto last = std::chrono::steady_clock::now();
    while (!done) {
      timer.expires_after(5ms);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      auto now = std::chrono::steady_clock::now();
      if (done)
        break;
      max_gap = std::max(max_gap, now - last);
      last = now;
      ++ticks;
    }
  }
};

asio::awaitable<int> send_once(asio::io_context& ctx, const Args& a) {
  core::io::SendReport report;
  auto error =
      co_await core::io::send_mail(ctx, a.server, a.port, a.helo, a.mail, a.timeout, &report);
  for (const auto& r : report.rejected)
    std::printf("rejected: %s\n", r.c_str());
  if (error) {
    std::printf("error: %s\n", error->c_str());
    co_return 1;
  }
  std::printf("ok accepted=%zu quit_acknowledged=%d\n", report.accepted,
              report.quit_acknowledged ? 1 : 0);
  co_return 0;
}

asio::awaitable<int> send_via_alerter(asio::io_context& ctx, const Args& a) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
  spdlog::logger log("daemon", sink);
  core::io::AlerterSettings settings;
  settings.server = a.server;
  settings.port = a.port;
  settings.helo = a.helo;
  settings.timeout = a.timeout;
  core::io::Alerter alerter(ctx, log, settings);
  for (int i = 0; i < a.count; ++i) {
    core::Mail m = a.mail;
    if (a.count > 1)
      m.subject += " #" + std::to_string(i + 1);
    alerter.send(std::move(m));
  }
  asio::steady_timer bound(ctx);
  bound.expires_after(a.give_up ? *a.give_up : a.timeout * (a.count + 1) + 5s);
  co_await (alerter.stop() || bound.async_wait(asio::as_tuple(asio::use_awaitable)));
  std::printf("sent=%llu failed=%llu dropped=%llu\n",
              static_cast<unsigned long long>(alerter.sent()),
              static_cast<unsigned long long>(alerter.failed()),
              static_cast<unsigned long long>(alerter.dropped()));
  co_return alerter.sent() == static_cast<std::uint64_t>(a.count) ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  Args a;
  bool have_server = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view opt = argv[i];
    if (opt == "--alerter") {
      a.alerter = true;
      continue;
    }
    if (i + 1 >= argc)
      return usage("missing value");
    std::string value = argv[++i];
    if (opt == "--server") {
      auto ip = core::IpAddress::parse(value);
      if (!ip)
        return usage("--server takes an IP address");
      a.server = *ip;
      have_server = true;
    } else if (opt == "--port") {
      a.port = static_cast<std::uint16_t>(std::atoi(value.c_str()));
    } else if (opt == "--from") {
      a.mail.from = value;
    } else if (opt == "--to") {
      a.mail.to.push_back(value);
    } else if (opt == "--subject") {
      a.mail.subject = value;
    } else if (opt == "--body") {
      a.mail.body = value;
    } else if (opt == "--helo") {
      a.helo = value;
    } else if (opt == "--timeout-ms") {
      a.timeout = std::chrono::milliseconds(std::atol(value.c_str()));
    } else if (opt == "--give-up-ms") {
      a.give_up = std::chrono::milliseconds(std::atol(value.c_str()));
    } else if (opt == "--count") {
      a.count = std::atoi(value.c_str());
    } else {
      return usage("unknown option");
    }
  }
  if (!have_server || a.mail.from.empty() || a.mail.to.empty() || a.count < 1)
    return usage("--server, --from and --to are required");

  asio::io_context ctx{1};
  Ticker ticker(ctx);
  int status = 1;
  auto start = std::chrono::steady_clock::now();
  asio::co_spawn(ctx, ticker.run(), [](std::exception_ptr e) {
    if (e)
      std::rethrow_exception(e);
  });
  asio::co_spawn(ctx, a.alerter ? send_via_alerter(ctx, a) : send_once(ctx, a),
                 [&](std::exception_ptr e, int result) {
                   if (e)
                     std::rethrow_exception(e);
                   status = result;
                   ticker.done = true;
                   ticker.timer.cancel();
                 });
  ctx.run();
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("elapsed_ms=%.1f max_gap_ms=%.1f ticks=%ld\n",
              ms(std::chrono::steady_clock::now() - start), ms(ticker.max_gap), ticker.ticks);
  return status;
}
