#include "core/io/smtp.hpp"

#include <ctime>
#include <deque>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/logger.h>

#include "core/config/global_defs.hpp"
#include "core/io/asio_ip.hpp"

namespace vigil::core::io {

Mail vrrp_transition_mail(const core::config::GlobalDefs& g, std::string_view kind,
                          std::string_view name, std::string_view state, int priority,
                          std::string_view date) {
  const bool group = kind == "GROUP";
  Mail m;
  m.from = g.notification_email_from;
  m.to = g.notification_email;
  m.subject = fmt::format("[{}] VRRP {} {} - Entering {} state", g.router_id,
                          group ? "Group" : "Instance", name, state);
  m.body = fmt::format("=> VRRP {} {} is now in {} state <=\n\n", group ? "sync group" : "instance",
                       name, state);
  m.body += fmt::format("router_id: {}\n", g.router_id);
  m.body += fmt::format("{}: {}\n", group ? "group" : "instance", name);
  m.body += fmt::format("new state: {}\n", state);
  if (priority >= 0)
    m.body += fmt::format("priority: {}\n", priority);
  m.body += fmt::format("date: {}\n", date);
  return m;
}

std::optional<AlerterSettings> alerter_settings(const core::config::GlobalDefs& g,
                                                std::string& why) {
  if (!g.smtp_server) {
    why = "no smtp_server in global_defs";
    return std::nullopt;
  }
  auto address = core::IpAddress::parse(g.smtp_server->host);
  if (!address) {
    why = "smtp_server " + g.smtp_server->host +
          " is not an IP address (vigild resolves no host names; write the server's address)";
    return std::nullopt;
  }
  AlerterSettings s;
  s.server = *address;
  s.port = g.smtp_server->port;
  s.helo = g.smtp_helo_name;
  s.timeout = g.smtp_connect_timeout;
  return s;
}

// --- io ---------------------------------------------------------------------------------------

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

/// Longest reply line we buffer (RFC 5321 4.5.3.1.5 allows 512 bytes); beyond it the session
/// fails instead of growing the buffer.
constexpr std::size_t max_reply_line = 4096;

std::string endpoint_text(const core::IpAddress& a, std::uint16_t port) {
  return a.is_v4() ? fmt::format("{}:{}", a.to_string(), port)
                   : fmt::format("[{}]:{}", a.to_string(), port);
}

std::string seconds_text(std::chrono::nanoseconds d) {
  return fmt::format("{:g} s", std::chrono::duration<double>(d).count());
}

enum class Progress : std::uint8_t { connecting, reading, writing };

/// The session itself, without a deadline (send_mail races it against one).
asio::awaitable<std::optional<std::string>> session(tcp::socket& socket, tcp::endpoint endpoint,
                                                    const std::string& where, SmtpDialog& dialog,
                                                    Progress& progress) {
  progress = Progress::connecting;
  auto [cec] = co_await socket.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
  if (cec)
    co_return "connect to " + where + ": " + cec.message();
  std::string buffer;
  for (;;) {
    progress = Progress::reading;
    auto [rec, n] =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, max_reply_line), '\n',
                                        asio::as_tuple(asio::use_awaitable));
    if (rec) {
      if (dialog.delivered())
        co_return std::nullopt; // only QUIT's reply is missing
      if (rec == asio::error::eof)
        co_return "connection closed by " + where + " while waiting for " + dialog.waiting_for();
      if (rec == asio::error::not_found)
        co_return fmt::format("a reply line longer than {} bytes from {} while waiting for {}",
                              max_reply_line, where, dialog.waiting_for());
      co_return "reading from " + where + ": " + rec.message() + " (waiting for " +
          dialog.waiting_for() + ")";
    }
    auto step = dialog.on_line(std::string_view(buffer).substr(0, n));
    buffer.erase(0, n);
    if (!step.send.empty()) {
      progress = Progress::writing;
      auto [wec, written] = co_await asio::async_write(socket, asio::buffer(step.send),
                                                       asio::as_tuple(asio::use_awaitable));
      (void)written;
      // A failed polite QUIT after a failure changes nothing: the failure is the news.
      if (wec && step.status == SmtpDialog::Status::more)
        co_return "sending " + dialog.sending() + " to " + where + ": " + wec.message();
    }
    if (step.status == SmtpDialog::Status::failed)
      co_return step.error;
    if (step.status == SmtpDialog::Status::done)
      co_return std::nullopt;
  }
}

} // namespace

asio::awaitable<std::optional<std::string>>
send_mail(asio::io_context& ctx, const core::IpAddress& server, std::uint16_t port,
          const std::string& helo, const Mail& mail, std::chrono::nanoseconds timeout,
          SendReport* report) {
  if (auto why = check_mail(mail))
    co_return why;
  const std::string where = endpoint_text(server, port);
  SmtpDialog dialog(helo, mail, rfc5322_date(std::chrono::system_clock::now()));
  tcp::socket socket(ctx);
  asio::steady_timer deadline(ctx);
  deadline.expires_after(timeout);
  Progress progress = Progress::connecting;

  // One deadline for the whole session (connect, every read and write): the per-read timeouts
  // of a naive client let a server that trickles a byte now and then hold it for ever.
  auto outcome = co_await (session(socket, endpoint<tcp>(server, port), where, dialog, progress) ||
                           deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  boost::system::error_code ignored;
  socket.close(ignored);

  std::optional<std::string> error;
  if (outcome.index() == 0) {
    error = std::get<0>(std::move(outcome));
  } else if (!dialog.delivered()) {
    const std::string after = "timed out after " + seconds_text(timeout);
    switch (progress) {
    case Progress::connecting:
      error = after + " connecting to " + where;
      break;
    case Progress::reading:
      error = after + " waiting for " + dialog.waiting_for() + " from " + where;
      break;
    case Progress::writing:
      error = after + " sending " + dialog.sending() + " to " + where;
      break;
    }
  }
  if (report) {
    report->accepted = dialog.accepted();
    report->rejected = dialog.rejected();
    report->quit_acknowledged = dialog.quit_acknowledged();
  }
  co_return error;
}

namespace detail {

struct AlerterState {
  AlerterState(asio::io_context& c, spdlog::logger& l, AlerterSettings s)
      : ctx(c), log(&l), settings(std::move(s)), wake(c) {}
  asio::io_context& ctx;
  spdlog::logger* log; ///< nullptr once the Alerter is gone: the loop then logs nothing
  AlerterSettings settings;
  std::deque<Mail> queue;
  asio::steady_timer wake; ///< parked at time_point::max() while the queue is empty
  asio::cancellation_signal cancel;
  bool in_flight = false;
  bool stopping = false;
  std::uint64_t sent = 0;
  std::uint64_t failed = 0;
  std::uint64_t dropped = 0;
};

} // namespace detail

namespace {

/// The one sender: takes mail from the queue, one at a time. Owns the state with the Alerter so
/// that destroying the Alerter while a mail is in flight is safe.
asio::awaitable<void> alerter_loop(std::shared_ptr<detail::AlerterState> s) {
  for (;;) {
    while (s->queue.empty() && s->log) {
      s->wake.expires_at(asio::steady_timer::time_point::max());
      co_await s->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!s->log)
      co_return;
    Mail mail = std::move(s->queue.front());
    s->queue.pop_front();
    const AlerterSettings cfg = s->settings;
    SendReport report;
    s->in_flight = true;
    auto error =
        co_await send_mail(s->ctx, cfg.server, cfg.port, cfg.helo, mail, cfg.timeout, &report);
    s->in_flight = false;
    if (!s->log)
      co_return;
    const std::string subject = one_line(mail.subject, 200);
    const std::string where = endpoint_text(cfg.server, cfg.port);
    for (const auto& r : report.rejected)
      s->log->warn("mail '{}': {} rejected {}", subject, where, r);
    if (error) {
      ++s->failed;
      s->log->error("mail '{}' not sent via {}: {}", subject, where, *error);
    } else {
      ++s->sent;
      s->log->info("mail '{}' sent to {} recipient(s) via {}", subject, report.accepted, where);
    }
  }
}

} // namespace

Alerter::Alerter(asio::io_context& ctx, spdlog::logger& log, AlerterSettings settings)
    : state_(std::make_shared<detail::AlerterState>(ctx, log, std::move(settings))) {
  if (state_->settings.queue_limit == 0)
    state_->settings.queue_limit = 1;
  auto s = state_;
  asio::co_spawn(ctx, alerter_loop(s),
                 asio::bind_cancellation_slot(s->cancel.slot(), [s](std::exception_ptr e) {
                   // Once the Alerter is gone its loop may end by cancellation: nothing to say.
                   if (!e || !s->log)
                     return;
                   // Not a network failure (those are values): escalate out of io_context::run.
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     s->log->critical("the SMTP alert sender failed: {}", ex.what());
                   }
                   std::rethrow_exception(e);
                 }));
}

Alerter::~Alerter() {
  auto& s = *state_;
  const std::size_t abandoned = s.queue.size() + (s.in_flight ? 1 : 0);
  if (abandoned > 0)
    s.log->warn("{} mail alert(s) abandoned (queued or in flight at shutdown)", abandoned);
  s.dropped += s.queue.size();
  s.queue.clear();
  s.log = nullptr;
  s.wake.cancel();
  s.cancel.emit(asio::cancellation_type::terminal);
}

void Alerter::send(Mail mail) {
  auto& s = *state_;
  if (s.stopping) {
    ++s.dropped;
    s.log->warn("mail '{}' dropped: alerts are stopping", one_line(mail.subject, 200));
    return;
  }
  if (auto why = check_mail(mail)) {
    ++s.failed;
    s.log->error("mail '{}' not sent: {}", one_line(mail.subject, 200), *why);
    return;
  }
  if (s.queue.size() >= s.settings.queue_limit) {
    ++s.dropped;
    s.log->warn("mail queue full ({} waiting): dropped the oldest mail '{}'", s.queue.size(),
                one_line(s.queue.front().subject, 200));
    s.queue.pop_front();
  }
  s.queue.push_back(std::move(mail));
  s.wake.cancel_one();
}

void Alerter::reconfigure(AlerterSettings settings) {
  if (settings.queue_limit == 0)
    settings.queue_limit = 1;
  state_->settings = std::move(settings);
  while (state_->queue.size() > state_->settings.queue_limit) {
    ++state_->dropped;
    state_->log->warn("mail queue limit lowered to {}: dropped the oldest mail '{}'",
                      state_->settings.queue_limit, one_line(state_->queue.front().subject, 200));
    state_->queue.pop_front();
  }
}

asio::awaitable<void> Alerter::stop() {
  auto s = state_;
  s->stopping = true;
  asio::steady_timer poll(s->ctx);
  while (!s->queue.empty() || s->in_flight) {
    poll.expires_after(std::chrono::milliseconds(10));
    auto [ec] = co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec)
      co_return; // the caller gave up
  }
}

std::uint64_t Alerter::sent() const {
  return state_->sent;
}
std::uint64_t Alerter::failed() const {
  return state_->failed;
}
std::uint64_t Alerter::dropped() const {
  return state_->dropped;
}
std::size_t Alerter::queued() const {
  return state_->queue.size();
}
bool Alerter::busy() const {
  return state_->in_flight;
}

} // namespace vigil::core::io
