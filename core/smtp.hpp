#pragma once
// SMTP as text, without IO: mail formatting (headers, RFC 5322 dates, dot stuffing) and the
// client side of the dialogue as a state machine fed one reply line at a time. Used by the
// alert mailer (core/io/smtp.hpp) and by SMTP_CHECK (check/io), which runs the same dialogue
// up to HELO and QUIT.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::core {

/// One mail. Addresses are bare (`ops@example.com`, no display name, no angle brackets).
struct Mail {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body; ///< lines separated by "\n" or "\r\n"; sent with CRLF
};

// --- pure text --------------------------------------------------------------------------------

/// Whether `address` can go into MAIL FROM / RCPT TO and the From/To headers as is: 1 to 254
/// printable ASCII bytes without space, `<`, `>`, `,`, `;`, `"`, `(`, `)` or backslash (so no
/// header or command injection is possible through it).
bool valid_address(std::string_view address);

/// Why `mail` cannot be sent (no recipient, an invalid address, quoted for the log), or nullopt.
std::optional<std::string> check_mail(const Mail& mail);

/// `text` made safe for one header line or one log line: CR, LF, TAB and other control bytes
/// become a space, runs of spaces collapse, ends are trimmed, and the result is cut to at most
/// `max_bytes` bytes (never inside a UTF-8 sequence).
std::string one_line(std::string_view text, std::size_t max_bytes = 900);

/// RFC 5322 3.3 date-time in UTC, e.g. "Thu, 26 Nov 2026 04:18:53 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

/// The DATA payload: headers From, To (every recipient), Subject (RFC 2047 encoded when it is not
/// ASCII), Date (`date`, as given), X-Mailer: vigil, MIME-Version: 1.0, Content-Type: text/plain;
/// charset=UTF-8, Content-Transfer-Encoding (7bit or 8bit), a blank line, the body with CRLF
/// line endings and dot stuffing (RFC 5321 4.5.2), and the final ".\r\n" line.
/// Precondition: check_mail(mail) is nullopt (addresses are inserted verbatim). The subject goes
/// through one_line(), so CR/LF in it cannot start a new header.
std::string format_message(const Mail& mail, std::string_view date);

/// One line of an SMTP reply (RFC 5321 4.2): "250-text" (more lines follow) or "250 text" / "250"
/// (the last line).
struct ReplyLine {
  int code = 0; ///< 200..599 (1xx is not used by SMTP)
  bool last = true;
  std::string_view text;
};
/// Parses one reply line without its CRLF; nullopt when it is not a reply line.
std::optional<ReplyLine> parse_reply_line(std::string_view line);

/// The client side of one SMTP session (RFC 5321 3.3 minimal dialog, no extensions):
/// banner 220, HELO -> 250, MAIL FROM -> 250, RCPT TO -> 250/251 for each recipient, DATA -> 354,
/// message -> 250, QUIT -> 221. A rejected recipient is remembered and the others still get the
/// mail; every recipient rejected fails the mail. Pure: the caller moves the bytes.
class SmtpDialog {
public:
  enum class Status : std::uint8_t {
    more,   ///< write `send` (may be empty) and feed the next reply line
    done,   ///< the session is over; delivered() says whether the mail was accepted
    failed, ///< the mail was not accepted: `error`; write `send` (a polite QUIT), then close
  };
  struct Step {
    Status status = Status::more;
    std::string send;
    std::string error;
  };

  /// `date` is the Date header value (rfc5322_date). Precondition: check_mail(mail) is nullopt.
  SmtpDialog(std::string_view helo, const Mail& mail, std::string_view date);

  /// The dialogue of a health check (SMTP_CHECK): the 220 banner, HELO -> 250, then QUIT. No
  /// mail is sent; greeted() says whether the server answered HELO with 250, which is what
  /// the check needs (the reply to QUIT does not matter).
  static SmtpDialog health_check(std::string_view helo);
  bool greeted() const { return greeted_; }

  /// Feeds one reply line (CR/LF stripped or not).
  Step on_line(std::string_view line);

  /// What the session waits for now, for timeout messages: "the 220 banner", "the reply to
  /// RCPT TO <a@b>", ...
  std::string waiting_for() const;
  /// What the last `send` was, for write errors: "HELO", "the message", ...
  std::string sending() const;
  /// Whether the server accepted the message (250 after the final "."); a session that fails
  /// after that point (no reply to QUIT, connection closed) still delivered the mail.
  bool delivered() const { return delivered_; }
  /// Recipients the server accepted, and "RCPT TO <x>: 550 reason" for each it rejected.
  std::size_t accepted() const { return accepted_; }
  const std::vector<std::string>& rejected() const { return rejected_; }
  /// Whether QUIT got its 221.
  bool quit_acknowledged() const { return quit_ok_; }

private:
  enum class Phase : std::uint8_t { banner, helo, mail_from, rcpt, data, message, quit, done };
  Step fail(std::string error, bool polite);
  Step advance(int code, const std::string& text);

  Phase phase_ = Phase::banner;
  std::string helo_;
  std::string from_;
  std::vector<std::string> to_;
  std::string payload_;
  std::size_t rcpt_index_ = 0;
  std::size_t accepted_ = 0;
  std::vector<std::string> rejected_;
  std::string reply_text_; ///< text of the reply being read (continuation lines joined)
  bool delivered_ = false;
  bool quit_ok_ = false;
  bool check_only_ = false;
  bool greeted_ = false;
};

} // namespace vigil::core
