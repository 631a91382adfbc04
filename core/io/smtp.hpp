#pragma once
// SMTP alerts (global_defs `smtp_alert`): mail to the operator on state changes.
//
// Three layers:
//  - pure text: header sanitizing, RFC 5322 dates, the message text (headers, CRLF, dot
//    stuffing) and the SMTP dialog as a state machine fed one reply line at a time;
//  - send_mail(): one mail over one TCP connection on the io_context, the whole dialog (connect
//    included) bounded by one deadline;
//  - Alerter: a bounded queue drained by one coroutine, one mail after another, with counters and
//    logs. Alerter::send() never blocks and never fails.
//
// No name resolution anywhere: the server is an IP address. `smtp_server` may hold a host name in
// the configuration model (keepalived resolves it); alerter_settings() refuses such a
// configuration with a reason, and the caller decides what to do with it (refuse the
// configuration, or run without alerts and log why). Resolving must never happen on the loop.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ip.hpp"
#include "core/smtp.hpp"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}
namespace vigil::core::config {
struct GlobalDefs;
}

namespace vigil::core::io {

/// Subject and body of keepalived-style VRRP transition mail, from `g.notification_email_from` to
/// `g.notification_email`. `kind` is "INSTANCE" or "GROUP", `state` "MASTER", "BACKUP", "FAULT",
/// "STOP"...; `priority` below 0 is left out of the body. Subject e.g.
/// "[lb1] VRRP Instance VI_1 - Entering MASTER state".
Mail vrrp_transition_mail(const core::config::GlobalDefs& g, std::string_view kind,
                          std::string_view name, std::string_view state, int priority,
                          std::string_view date);

// --- io -------------------------------------------------------------------------------------

/// What a send_mail() call learnt besides its result.
struct SendReport {
  std::size_t accepted = 0;          ///< recipients the server accepted
  std::vector<std::string> rejected; ///< "RCPT TO <x>: 550 reason" per rejected recipient
  bool quit_acknowledged = false;    ///< QUIT got its 221
};

/// Sends `mail` to `server`:`port` with HELO `helo` (a name without spaces; sanitized). The whole
/// session, connect included, ends within `timeout`: a server that never answers or trickles
/// bytes cannot hold it longer. Returns nullopt when the server accepted the mail (for at least
/// one recipient), else an operator-facing reason: "connect to 127.0.0.1:2525: Connection
/// refused", "timed out after 30 s waiting for the 220 banner from 10.0.0.1:25", "server rejected
/// RCPT TO <x>: 550 ...". Never throws for network or protocol failures (a cancellation requested
/// before it starts throws operation_aborted, as any Asio awaitable does).
/// The arguments are references: co_await the result in the same full expression (or keep them
/// alive until it completes). Cancellation (e.g. `||` with a timer) closes the connection.
boost::asio::awaitable<std::optional<std::string>>
send_mail(boost::asio::io_context& ctx, const core::IpAddress& server, std::uint16_t port,
          const std::string& helo, const Mail& mail, std::chrono::nanoseconds timeout,
          SendReport* report = nullptr);

/// Where and how the Alerter sends.
struct AlerterSettings {
  core::IpAddress server;
  std::uint16_t port = 25;
  std::string helo;                                            ///< smtp_helo_name
  std::chrono::nanoseconds timeout = std::chrono::seconds(30); ///< smtp_connect_timeout
  std::size_t queue_limit = 100; ///< mails waiting beyond the one in flight; >= 1
};

/// The Alerter settings of `g`, or nullopt with `why` set: no `smtp_server`, or `smtp_server`
/// holds a host name (vigild resolves no names on its event loop; the caller must refuse it or
/// run without alerts, and say so). Recipients are not checked here (an Alerter without
/// recipients is valid; vrrp_transition_mail() produces mail check_mail() refuses).
std::optional<AlerterSettings> alerter_settings(const core::config::GlobalDefs& g,
                                                std::string& why);

namespace detail {
struct AlerterState;
}

/// Sends mail one after another from one coroutine on `ctx`. Logs through `log` (which must
/// outlive the Alerter): info "mail 'subject' sent to N recipient(s)", warn for rejected
/// recipients, error for failed mail, warn for mail dropped from a full queue.
/// Destroying the Alerter abandons queued mail (logged, counted as dropped) and cancels the mail in
/// flight (its connection is closed); the sender coroutine then ends without touching the logger.
/// Destroy it before the io_context.
class Alerter {
public:
  Alerter(boost::asio::io_context& ctx, spdlog::logger& log, AlerterSettings settings);
  ~Alerter();
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  /// Queues `mail`. Never blocks. When the queue is full the oldest waiting mail is dropped and
  /// counted; after stop() every mail is dropped. A mail check_mail() refuses counts as failed.
  void send(Mail mail);

  /// New settings (reload); they apply from the next mail on.
  void reconfigure(AlerterSettings settings);

  /// Takes no more mail and completes when the queue is empty and nothing is in flight. The caller
  /// bounds it (e.g. `stop() || timer`); cancelling it leaves the rest to the destructor.
  boost::asio::awaitable<void> stop();

  std::uint64_t sent() const;    ///< mails the server accepted
  std::uint64_t failed() const;  ///< mails not accepted (connect, timeout, rejection, invalid)
  std::uint64_t dropped() const; ///< mails dropped from a full queue or after stop()
  std::size_t queued() const;    ///< mails waiting, the one in flight excluded
  bool busy() const;             ///< a mail is in flight

private:
  std::shared_ptr<detail::AlerterState> state_;
};

} // namespace vigil::core::io
