#include "daemon/smtp.hpp"

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

namespace vigil::daemon {

// --- pure text --------------------------------------------------------------------------------

namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

bool is_ascii_printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f)
      return false;
  return true;
}

/// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
void cut_utf8(std::string& s, std::size_t max) {
  if (s.size() <= max)
    return;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  s.resize(n);
}

std::string base64(std::string_view in) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = std::uint32_t(static_cast<unsigned char>(in[i])) << 16 |
                      std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8 |
                      std::uint32_t(static_cast<unsigned char>(in[i + 2]));
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += table[v >> 6 & 63];
    out += table[v & 63];
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2)
      v |= std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8;
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += rest == 2 ? table[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

/// RFC 2047 "B" encoded words, at most 75 characters each, folded onto continuation lines;
/// a multi-byte UTF-8 character never straddles two words (RFC 2047 5 (3)).
std::string encoded_words(std::string_view text) {
  constexpr std::size_t chunk = 45; // 60 base64 characters + 12 of "=?UTF-8?B?" and "?="
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t n = std::min(chunk, text.size() - pos);
    while (n > 0 && pos + n < text.size() &&
           (static_cast<unsigned char>(text[pos + n]) & 0xC0) == 0x80)
      --n;
    if (n == 0) // not UTF-8 after all: cut anywhere
      n = std::min(chunk, text.size() - pos);
    if (!out.empty())
      out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(pos, n)) + "?=";
    pos += n;
  }
  return out;
}

/// The To header value: addresses separated by ", ", folded before a line would pass 78 columns.
std::string to_header(const std::vector<std::string>& to) {
  std::string out = "To: ";
  std::size_t column = out.size();
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (i > 0) {
      out += ',';
      ++column;
      if (column + 1 + to[i].size() > 78) {
        out += "\r\n";
        column = 0;
      }
      out += ' ';
      ++column;
    }
    out += to[i];
    column += to[i].size();
  }
  return out + "\r\n";
}

std::string quoted_for_log(std::string_view s) {
  return '\'' + one_line(s, 200) + '\'';
}

} // namespace

bool valid_address(std::string_view a) {
  if (a.empty() || a.size() > 254)
    return false;
  for (unsigned char c : a) {
    if (c <= 0x20 || c >= 0x7f)
      return false;
    switch (c) {
    case '<':
    case '>':
    case ',':
    case ';':
    case '"':
    case '(':
    case ')':
    case '\\':
      return false;
    default:
      break;
    }
  }
  return true;
}

std::optional<std::string> check_mail(const Mail& mail) {
  if (!valid_address(mail.from))
    return "invalid sender address " + quoted_for_log(mail.from);
  if (mail.to.empty())
    return std::string("no recipient (notification_email is empty)");
  for (const auto& to : mail.to)
    if (!valid_address(to))
      return "invalid recipient address " + quoted_for_log(to);
  return std::nullopt;
}

std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes + 1));
  bool space = false;
  for (unsigned char c : text) {
    if (is_control(c) || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += static_cast<char>(c);
    if (out.size() > max_bytes)
      break;
  }
  cut_utf8(out, max_bytes);
  return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm); // pure arithmetic: UTC needs no time zone file
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", days[tm.tm_wday % 7], tm.tm_mday,
                     months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_message(const Mail& mail, std::string_view date) {
  std::string subject = one_line(mail.subject);
  std::string out;
  out.reserve(mail.body.size() + mail.body.size() / 32 + 512);
  out += "From: " + mail.from + "\r\n";
  out += to_header(mail.to);
  out += "Subject: ";
  out += is_ascii_printable(subject) ? subject : encoded_words(subject);
  out += "\r\n";
  out += "Date: " + one_line(date, 100) + "\r\n";
  out += "X-Mailer: vigil\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  bool eight_bit = false;
  for (unsigned char c : mail.body)
    eight_bit = eight_bit || c >= 0x80;
  out += eight_bit ? "Content-Transfer-Encoding: 8bit\r\n" : "Content-Transfer-Encoding: 7bit\r\n";
  out += "\r\n";

  // Every line ends with CRLF whatever the body used (RFC 5321 2.3.8 forbids bare CR and LF);
  // a line starting with '.' gets one more (4.5.2) so it cannot end the DATA early.
  std::string_view body = mail.body;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find_first_of("\r\n", pos);
    std::string_view line = body.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!line.empty() && line.front() == '.')
      out += '.';
    for (char c : line)
      if (c != '\0')
        out += c;
    out += "\r\n";
    if (end == std::string_view::npos)
      break;
    pos = end + (body.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  out += ".\r\n";
  return out;
}

std::optional<ReplyLine> parse_reply_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
      line[2] < '0' || line[2] > '9')
    return std::nullopt;
  ReplyLine r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (line.size() == 3)
    return r;
  if (line[3] != '-' && line[3] != ' ')
    return std::nullopt;
  r.last = line[3] == ' ';
  r.text = line.substr(4);
  return r;
}

SmtpDialog::SmtpDialog(std::string_view helo, const Mail& mail, std::string_view date)
    : from_(mail.from), to_(mail.to), payload_(format_message(mail, date)) {
  // HELO takes one domain (RFC 5321 4.1.1.1): the first word of the name, never a CR/LF.
  helo_ = one_line(helo, 255);
  helo_ = helo_.substr(0, helo_.find(' '));
  if (helo_.empty())
    helo_ = "localhost";
}

SmtpDialog::Step SmtpDialog::fail(std::string error, bool polite) {
  phase_ = Phase::done;
  Step s;
  s.status = Status::failed;
  s.error = std::move(error);
  if (polite)
    s.send = "QUIT\r\n";
  return s;
}

SmtpDialog::Step SmtpDialog::on_line(std::string_view line) {
  if (phase_ == Phase::done)
    return Step{Status::done, {}, {}};
  auto r = parse_reply_line(line);
  if (!r)
    return fail("not an SMTP reply while waiting for " + waiting_for() + ": " +
                    quoted_for_log(line),
                phase_ != Phase::banner);
  // A multi-line reply (RFC 5321 4.2.1) counts once, with its last line's code; its text is
  // kept bounded so that a server sending endless continuation lines costs no memory.
  if (reply_text_.size() < 400) {
    if (!reply_text_.empty() && !r->text.empty())
      reply_text_ += ' ';
    reply_text_ += one_line(r->text, 400 - reply_text_.size());
  }
  if (!r->last)
    return Step{};
  std::string text = std::move(reply_text_);
  reply_text_.clear();
  return advance(r->code, text);
}

SmtpDialog::Step SmtpDialog::advance(int code, const std::string& text) {
  const std::string reply = std::to_string(code) + (text.empty() ? "" : " " + text);
  Step next;
  switch (phase_) {
  case Phase::banner:
    if (code != 220)
      return fail("server refused the session: " + reply, true);
    phase_ = Phase::helo;
    next.send = "HELO " + helo_ + "\r\n";
    return next;
  case Phase::helo:
    if (code != 250)
      return fail("server rejected HELO " + helo_ + ": " + reply, true);
    phase_ = Phase::mail_from;
    next.send = "MAIL FROM:<" + from_ + ">\r\n";
    return next;
  case Phase::mail_from:
    if (code != 250)
      return fail("server rejected MAIL FROM <" + from_ + ">: " + reply, true);
    phase_ = Phase::rcpt;
    rcpt_index_ = 0;
    next.send = "RCPT TO:<" + to_[0] + ">\r\n";
    return next;
  case Phase::rcpt:
    if (code == 250 || code == 251)
      ++accepted_;
    else
      rejected_.push_back("RCPT TO <" + to_[rcpt_index_] + ">: " + reply);
    if (++rcpt_index_ < to_.size()) {
      next.send = "RCPT TO:<" + to_[rcpt_index_] + ">\r\n";
      return next;
    }
    if (accepted_ == 0) {
      std::string why = rejected_.size() == 1 ? "server rejected " + rejected_[0]
                                              : "server rejected every recipient: ";
      for (std::size_t i = 0; rejected_.size() > 1 && i < rejected_.size(); ++i)
        why += (i ? "; " : "") + rejected_[i];
      return fail(std::move(why), true);
    }
    phase_ = Phase::data;
    next.send = "DATA\r\n";
    return next;
  case Phase::data:
    if (code != 354)
      return fail("server rejected DATA: " + reply, true);
    phase_ = Phase::message;
    next.send = payload_;
    return next;
  case Phase::message:
    if (code != 250)
      return fail("server rejected the message: " + reply, true);
    delivered_ = true;
    phase_ = Phase::quit;
    next.send = "QUIT\r\n";
    return next;
  case Phase::quit:
    quit_ok_ = code == 221;
    phase_ = Phase::done;
    return Step{Status::done, {}, {}};
  case Phase::done:
    break;
  }
  return Step{Status::done, {}, {}};
}

std::string SmtpDialog::sending() const {
  switch (phase_) {
  case Phase::banner:
    return "nothing";
  case Phase::helo:
    return "HELO";
  case Phase::mail_from:
    return "MAIL FROM";
  case Phase::rcpt:
    return "RCPT TO <" + to_[rcpt_index_] + ">";
  case Phase::data:
    return "DATA";
  case Phase::message:
    return "the message";
  case Phase::quit:
  case Phase::done:
    return "QUIT";
  }
  return "QUIT";
}

std::string SmtpDialog::waiting_for() const {
  switch (phase_) {
  case Phase::banner:
    return "the 220 banner";
  case Phase::done:
    return "nothing";
  default:
    return "the reply to " + sending();
  }
}

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

tcp::endpoint to_endpoint(const core::IpAddress& a, std::uint16_t port) {
  if (a.is_v4()) {
    asio::ip::address_v4::bytes_type b;
    std::copy(a.data(), a.data() + 4, b.begin());
    return {asio::ip::address_v4(b), port};
  }
  asio::ip::address_v6::bytes_type b;
  std::copy(a.data(), a.data() + 16, b.begin());
  return {asio::ip::address_v6(b), port};
}

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
  auto outcome = co_await (session(socket, to_endpoint(server, port), where, dialog, progress) ||
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

} // namespace vigil::daemon
