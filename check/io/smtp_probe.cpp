// SMTP_CHECK: the server's 220 banner, HELO, its 250, then QUIT (the same dialogue as the
// alert mailer's, in its health-check mode).
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "check/io/detail.hpp"
#include "core/smtp.hpp"

namespace vigil::check::io {

namespace {

/// Longest reply line read (RFC 5321 allows 512 bytes).
constexpr std::size_t max_line = 4096;

} // namespace

asio::awaitable<ProbeResult> smtp_probe(Prober::Impl&, const core::config::Checker& k,
                                        const Target& t, Progress& progress) {
  ProbeResult r;
  tcp::socket socket(co_await asio::this_coro::executor);
  progress.phase = "the connection";
  if (auto why = co_await detail::connect(socket, k, t)) {
    r.reason = *why;
    co_return r;
  }
  auto dialog = core::SmtpDialog::health_check(k.helo_name.value_or("localhost"));
  asio::streambuf in(max_line);
  for (;;) {
    progress.phase = dialog.waiting_for();
    auto [ec, n] = co_await asio::async_read_until(socket, in, '\n', as_value);
    if (ec == asio::error::not_found) {
      r.reason = "reply line longer than " + std::to_string(max_line) + " bytes";
      co_return r;
    }
    if (ec) {
      r.reason =
          (ec == asio::error::eof ? std::string("connection closed") : detail::error_text(ec)) +
          " while waiting for " + dialog.waiting_for();
      co_return r;
    }
    std::string line(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + long(n));
    in.consume(n);
    auto step = dialog.on_line(line);
    if (!step.send.empty()) {
      progress.phase = "sending " + dialog.sending();
      auto [wec, w] = co_await asio::async_write(socket, asio::buffer(step.send), as_value);
      (void)w;
      if (wec && !dialog.greeted()) {
        r.reason = "cannot send " + dialog.sending() + ": " + detail::error_text(wec);
        co_return r;
      }
    }
    if (dialog.greeted()) {
      r.ok = true;
      r.reason = "HELO accepted";
      co_return r;
    }
    if (step.status == core::SmtpDialog::Status::failed) {
      r.reason = step.error;
      co_return r;
    }
  }
}

} // namespace vigil::check::io
