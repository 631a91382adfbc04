#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "core/config/global_defs.hpp"
#include "core/io/smtp.hpp"

using namespace vigil;
using namespace vigil::core;
using namespace vigil::core::io;
using Status = SmtpDialog::Status;

namespace {

Mail sample() {
  Mail m;
  m.from = "vigil@lb1.example";
  m.to = {"ops@example.com", "oncall@example.com"};
  m.subject = "[lb1] VRRP Instance VI_1 - Entering MASTER state";
  m.body = "line one\n.starts with a dot\n..two dots\nlast";
  return m;
}

constexpr const char* date = "Thu, 26 Nov 2026 04:18:53 +0000";

/// The message text split at CRLF (the final empty piece dropped).
std::vector<std::string> crlf_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find("\r\n", pos);
    REQUIRE(end != std::string::npos); // every line ends with CRLF
    out.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

/// Feeds `reply` (possibly several lines) and returns the last step.
SmtpDialog::Step feed(SmtpDialog& d, const std::vector<std::string>& lines) {
  SmtpDialog::Step s;
  for (const auto& l : lines)
    s = d.on_line(l + "\r\n");
  return s;
}

} // namespace

TEST_CASE("message text: headers, CRLF, dot stuffing") {
  auto text = format_message(sample(), date);
  CHECK(text.find('\n') == text.find("\r\n") + 1); // no bare LF anywhere
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n')
      CHECK(text[i - 1] == '\r');
    if (text[i] == '\r')
      CHECK(text[i + 1] == '\n');
  }
  auto lines = crlf_lines(text);
  std::vector<std::string> expected = {
      "From: vigil@lb1.example",
      "To: ops@example.com, oncall@example.com",
      "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state",
      "Date: Thu, 26 Nov 2026 04:18:53 +0000",
      "X-Mailer: vigil",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=UTF-8",
      "Content-Transfer-Encoding: 7bit",
      "",
      "line one",
      "..starts with a dot",
      "...two dots",
      "last",
      ".",
  };
  CHECK(lines == expected);
}

TEST_CASE("message text: line endings normalized, trailing newline kept single") {
  Mail m = sample();
  m.body = "a\r\nb\rc\n\nd\n";
  auto lines = crlf_lines(format_message(m, date));
  std::vector<std::string> body(lines.begin() + 9, lines.end());
  CHECK(body == std::vector<std::string>{"a", "b", "c", "", "d", "."});

  m.body = "";
  lines = crlf_lines(format_message(m, date));
  CHECK(std::vector<std::string>(lines.begin() + 8, lines.end()) ==
        std::vector<std::string>{"", "."});

  m.body = ".";
  lines = crlf_lines(format_message(m, date));
  CHECK(lines.end()[-2] == "..");
  CHECK(lines.end()[-1] == ".");
}

TEST_CASE("header injection through the subject is impossible") {
  Mail m = sample();
  m.subject = "hello\r\nBcc: victim@example.com\r\n\r\nbody?";
  auto text = format_message(m, date);
  auto lines = crlf_lines(text);
  CHECK(lines[2] == "Subject: hello Bcc: victim@example.com body?");
  for (const auto& l : lines)
    CHECK(l.rfind("Bcc:", 0) != 0);
  // The Date comes from the caller but goes through the same filter.
  lines = crlf_lines(format_message(sample(), "Thu\r\nX-Evil: 1"));
  CHECK(lines[3] == "Date: Thu X-Evil: 1");
}

TEST_CASE("addresses with CR/LF or delimiters are refused") {
  CHECK(valid_address("ops@example.com"));
  CHECK(valid_address("root"));
  CHECK_FALSE(valid_address(""));
  CHECK_FALSE(valid_address("a@b\r\nRCPT TO:<x@y>"));
  CHECK_FALSE(valid_address("a@b\n"));
  CHECK_FALSE(valid_address("a b@c"));
  CHECK_FALSE(valid_address("<a@b>"));
  CHECK_FALSE(valid_address("a@b, c@d"));
  CHECK_FALSE(valid_address("Ops (team) a@b"));
  CHECK_FALSE(valid_address(std::string(255, 'a')));
  CHECK_FALSE(valid_address("\xc3\xa9@example.com"));

  Mail m = sample();
  CHECK_FALSE(check_mail(m));
  m.to.push_back("x@y\r\nBcc: z@w");
  auto why = check_mail(m);
  REQUIRE(why);
  CHECK(*why == "invalid recipient address 'x@y Bcc: z@w'");
  m = sample();
  m.from = "me@x\n";
  REQUIRE(check_mail(m));
  CHECK(check_mail(m)->find("invalid sender address") == 0);
  m = sample();
  m.to.clear();
  REQUIRE(check_mail(m));
  CHECK(check_mail(m)->find("no recipient") == 0);
}

TEST_CASE("one_line") {
  CHECK(one_line("  a\r\n\tb  c ") == "a b c");
  CHECK(one_line("abcdef", 3) == "abc");
  // Never cuts inside a UTF-8 sequence ("é" is two bytes).
  CHECK(one_line("a\xc3\xa9", 2) == "a");
  CHECK(one_line("a\xc3\xa9", 3) == "a\xc3\xa9");
  CHECK(one_line("\x7f\x01") == "");
}

TEST_CASE("a non-ASCII subject is RFC 2047 encoded, never split inside a character") {
  Mail m = sample();
  m.subject = "caf\xc3\xa9";
  auto lines = crlf_lines(format_message(m, date));
  CHECK(lines[2] == "Subject: =?UTF-8?B?Y2Fmw6k=?=");

  std::string long_subject;
  for (int i = 0; i < 40; ++i)
    long_subject += "\xc3\xa9"; // 80 bytes, 40 characters
  m.subject = long_subject;
  lines = crlf_lines(format_message(m, date));
  // Two encoded words on two lines, each at most 75 characters, the second line folded.
  CHECK(lines[2].rfind("Subject: =?UTF-8?B?", 0) == 0);
  CHECK(lines[2].size() - 9 <= 75);
  CHECK(lines[3].rfind(" =?UTF-8?B?", 0) == 0);
  CHECK(lines[3].size() - 1 <= 75);
  CHECK(lines[4].rfind("Date: ", 0) == 0);
  // 44 bytes (22 characters) fit in the first word, not 45 (which would split one).
  CHECK(lines[2] == "Subject: =?UTF-8?B?" +
                        std::string("w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOp"
                                    "w6nDqcOpw6nDqcOpw6k=") +
                        "?=");
}

TEST_CASE("body with 8-bit text says so") {
  Mail m = sample();
  m.body = "priorit\xc3\xa9\n";
  auto lines = crlf_lines(format_message(m, date));
  CHECK(lines[7] == "Content-Transfer-Encoding: 8bit");
}

TEST_CASE("a long To header is folded") {
  Mail m = sample();
  m.to.clear();
  for (int i = 0; i < 10; ++i)
    m.to.push_back("operator" + std::to_string(i) + "@example.com");
  auto lines = crlf_lines(format_message(m, date));
  CHECK(lines[1].rfind("To: operator0@example.com, ", 0) == 0);
  std::string joined;
  std::size_t i = 1;
  for (; lines[i].rfind("Subject:", 0) != 0; ++i) {
    CHECK(lines[i].size() <= 78);
    if (i > 1)
      CHECK(lines[i][0] == ' ');
    joined += lines[i];
  }
  CHECK(i > 2);
  for (const auto& to : m.to)
    CHECK(joined.find(to) != std::string::npos);
}

TEST_CASE("RFC 5322 dates") {
  using namespace std::chrono;
  CHECK(rfc5322_date(system_clock::time_point{}) == "Thu, 01 Jan 1970 00:00:00 +0000");
  // 2026-11-26 04:18:53 UTC
  CHECK(rfc5322_date(system_clock::time_point{seconds{1795666733}}) ==
        "Thu, 26 Nov 2026 04:18:53 +0000");
  CHECK(rfc5322_date(system_clock::time_point{seconds{951782400}}) ==
        "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST_CASE("reply lines") {
  auto r = parse_reply_line("250-mail.example Hello\r\n");
  REQUIRE(r);
  CHECK(r->code == 250);
  CHECK_FALSE(r->last);
  CHECK(r->text == "mail.example Hello");
  r = parse_reply_line("250 OK");
  REQUIRE(r);
  CHECK(r->last);
  CHECK(r->text == "OK");
  r = parse_reply_line("221");
  REQUIRE(r);
  CHECK(r->code == 221);
  CHECK(r->last);
  CHECK(r->text.empty());
  CHECK_FALSE(parse_reply_line(""));
  CHECK_FALSE(parse_reply_line("25"));
  CHECK_FALSE(parse_reply_line("hello"));
  CHECK_FALSE(parse_reply_line("250x"));
  CHECK_FALSE(parse_reply_line("150 old"));
  CHECK_FALSE(parse_reply_line("650 no"));
}

TEST_CASE("dialog: the whole session") {
  Mail m = sample();
  SmtpDialog d("lb1.example", m, date);
  CHECK(d.waiting_for() == "the 220 banner");
  // A multi-line banner counts once.
  auto s = d.on_line("220-mail.example ESMTP\r\n");
  CHECK(s.status == Status::more);
  CHECK(s.send.empty());
  s = d.on_line("220 ready\r\n");
  CHECK(s.status == Status::more);
  CHECK(s.send == "HELO lb1.example\r\n");
  CHECK(d.waiting_for() == "the reply to HELO");
  s = feed(d, {"250 mail.example"});
  CHECK(s.send == "MAIL FROM:<vigil@lb1.example>\r\n");
  s = feed(d, {"250 2.1.0 Ok"});
  CHECK(s.send == "RCPT TO:<ops@example.com>\r\n");
  CHECK(d.waiting_for() == "the reply to RCPT TO <ops@example.com>");
  s = feed(d, {"250 2.1.5 Ok"});
  CHECK(s.send == "RCPT TO:<oncall@example.com>\r\n");
  s = feed(d, {"251 will forward"});
  CHECK(s.send == "DATA\r\n");
  s = feed(d, {"354 End data with <CR><LF>.<CR><LF>"});
  CHECK(s.send == format_message(m, date));
  CHECK_FALSE(d.delivered());
  CHECK(d.waiting_for() == "the reply to the message");
  s = feed(d, {"250 2.0.0 Ok: queued as 1234"});
  CHECK(d.delivered());
  CHECK(s.status == Status::more);
  CHECK(s.send == "QUIT\r\n");
  s = feed(d, {"221 2.0.0 Bye"});
  CHECK(s.status == Status::done);
  CHECK(d.quit_acknowledged());
  CHECK(d.accepted() == 2);
  CHECK(d.rejected().empty());
}

TEST_CASE("dialog: a multi-line HELO reply") {
  SmtpDialog d("h", sample(), date);
  feed(d, {"220 hi"});
  auto s = feed(d, {"250-first", "250-second", "250 third"});
  CHECK(s.send == "MAIL FROM:<vigil@lb1.example>\r\n");
}

TEST_CASE("dialog: one recipient rejected, the others still get the mail") {
  SmtpDialog d("h", sample(), date);
  feed(d, {"220 hi", "250 ok", "250 ok"});
  auto s = feed(d, {"550-5.1.1 no such", "550 5.1.1 user"});
  CHECK(s.status == Status::more);
  CHECK(s.send == "RCPT TO:<oncall@example.com>\r\n");
  s = feed(d, {"250 ok"});
  CHECK(s.send == "DATA\r\n");
  feed(d, {"354 go", "250 queued"});
  s = feed(d, {"221 bye"});
  CHECK(s.status == Status::done);
  CHECK(d.accepted() == 1);
  REQUIRE(d.rejected().size() == 1);
  CHECK(d.rejected()[0] == "RCPT TO <ops@example.com>: 550 5.1.1 no such 5.1.1 user");
}

TEST_CASE("dialog: every recipient rejected is a failure") {
  SmtpDialog d("h", sample(), date);
  feed(d, {"220 hi", "250 ok", "250 ok", "550 no"});
  auto s = feed(d, {"450 4.2.0 busy"});
  CHECK(s.status == Status::failed);
  CHECK(s.error == "server rejected every recipient: RCPT TO <ops@example.com>: 550 no; "
                   "RCPT TO <oncall@example.com>: 450 4.2.0 busy");
  CHECK(s.send == "QUIT\r\n");
  CHECK_FALSE(d.delivered());

  Mail one = sample();
  one.to = {"x@y"};
  SmtpDialog d1("h", one, date);
  s = feed(d1, {"220 hi", "250 ok", "250 ok", "550 5.1.1 unknown"});
  CHECK(s.status == Status::failed);
  CHECK(s.error == "server rejected RCPT TO <x@y>: 550 5.1.1 unknown");
}

TEST_CASE("dialog: each refusal names its step") {
  auto run = [](std::vector<std::string> replies) {
    SmtpDialog d("h", sample(), date);
    return feed(d, replies);
  };
  auto s = run({"554 go away"});
  CHECK(s.status == Status::failed);
  CHECK(s.error == "server refused the session: 554 go away");
  s = run({"220 hi", "501 bad name"});
  CHECK(s.error == "server rejected HELO h: 501 bad name");
  s = run({"220 hi", "250 ok", "553 sender refused"});
  CHECK(s.error == "server rejected MAIL FROM <vigil@lb1.example>: 553 sender refused");
  s = run({"220 hi", "250 ok", "250 ok", "250 ok", "250 ok", "451 later"});
  CHECK(s.error == "server rejected DATA: 451 later");
  s = run({"220 hi", "250 ok", "250 ok", "250 ok", "250 ok", "354 go", "552 too big"});
  CHECK(s.error == "server rejected the message: 552 too big");
  s = run({"220 hi", "garbage"});
  CHECK(s.status == Status::failed);
  CHECK(s.error == "not an SMTP reply while waiting for the reply to HELO: 'garbage'");
}

TEST_CASE("dialog: a missing 221 does not undo the delivery") {
  SmtpDialog d("h", sample(), date);
  auto s = feed(d, {"220 hi", "250 ok", "250 ok", "250 ok", "250 ok", "354 go", "250 ok"});
  CHECK(d.delivered());
  s = feed(d, {"500 what"});
  CHECK(s.status == Status::done);
  CHECK_FALSE(d.quit_acknowledged());
  CHECK(d.delivered());
}

TEST_CASE("dialog: the HELO name is one word") {
  SmtpDialog d("lb1.example\r\nMAIL FROM:<x@y>", sample(), date);
  auto s = feed(d, {"220 hi"});
  CHECK(s.send == "HELO lb1.example\r\n");
  SmtpDialog e("", sample(), date);
  CHECK(feed(e, {"220 hi"}).send == "HELO localhost\r\n");
}

TEST_CASE("dialog: endless continuation lines keep the reply text bounded") {
  SmtpDialog d("h", sample(), date);
  for (int i = 0; i < 10000; ++i)
    CHECK(d.on_line("220-" + std::string(100, 'x')).status == Status::more);
  auto s = d.on_line("554 " + std::string(100, 'y'));
  CHECK(s.status == Status::failed);
  CHECK(s.error.size() < 500);
}

TEST_CASE("keepalived-style VRRP transition mail") {
  core::config::GlobalDefs g;
  g.router_id = "lb1";
  g.notification_email = {"ops@example.com"};
  g.notification_email_from = "vigil@lb1";
  auto m = vrrp_transition_mail(g, "INSTANCE", "VI_1", "MASTER", 150, date);
  CHECK(m.from == "vigil@lb1");
  CHECK(m.to == std::vector<std::string>{"ops@example.com"});
  CHECK(m.subject == "[lb1] VRRP Instance VI_1 - Entering MASTER state");
  CHECK(m.body.find("VI_1") != std::string::npos);
  CHECK(m.body.find("router_id: lb1") != std::string::npos);
  CHECK(m.body.find("priority: 150") != std::string::npos);
  CHECK(m.body.find(date) != std::string::npos);
  CHECK_FALSE(check_mail(m));

  auto gm = vrrp_transition_mail(g, "GROUP", "G1", "BACKUP", -1, date);
  CHECK(gm.subject == "[lb1] VRRP Group G1 - Entering BACKUP state");
  CHECK(gm.body.find("priority") == std::string::npos);
}

TEST_CASE("alerter settings from global_defs") {
  core::config::GlobalDefs g;
  std::string why;
  CHECK_FALSE(alerter_settings(g, why));
  CHECK(why.find("no smtp_server") != std::string::npos);

  g.smtp_server = core::config::SmtpServer{"mail.example.com", 25};
  CHECK_FALSE(alerter_settings(g, why));
  CHECK(why.find("mail.example.com") != std::string::npos);
  CHECK(why.find("not an IP address") != std::string::npos);

  g.smtp_server = core::config::SmtpServer{"2001:db8::25", 2525};
  g.smtp_helo_name = "lb1";
  g.smtp_connect_timeout = std::chrono::seconds(5);
  auto s = alerter_settings(g, why);
  REQUIRE(s);
  CHECK(s->server == *core::IpAddress::parse("2001:db8::25"));
  CHECK(s->port == 2525);
  CHECK(s->helo == "lb1");
  CHECK(s->timeout == std::chrono::seconds(5));
  CHECK(s->queue_limit == 100);
}
