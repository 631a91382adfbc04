#include "core/smtp.hpp"

#include <cstdio>
#include <ctime>

namespace vigil::core {

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
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return out;
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

SmtpDialog SmtpDialog::health_check(std::string_view helo) {
  Mail none;
  SmtpDialog d(helo, none, {});
  d.check_only_ = true;
  d.payload_.clear();
  return d;
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
    greeted_ = true;
    if (check_only_) {
      phase_ = Phase::quit;
      next.send = "QUIT\r\n";
      return next;
    }
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

} // namespace vigil::core
