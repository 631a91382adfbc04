// HTTP requests and responses for HTTP_GET / SSL_GET / genhash: the bytes keepalived sends,
// digests over the body as received, verdicts, and hostile responses.
#include <catch2/catch.hpp>

#include "check/http.hpp"

using namespace vigil;
using check::HttpResponseReader;
using State = HttpResponseReader::State;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string md5_of(std::string_view s) {
  return core::to_hex(core::md5(bytes(s)));
}

/// Feeds `text` `step` bytes at a time, then closes.
HttpResponseReader read_all(std::string_view text, std::size_t step, bool close = true,
                            check::HttpLimits limits = {}) {
  HttpResponseReader r(true, limits);
  for (std::size_t at = 0; at < text.size() && r.state() == State::need_more; at += step)
    r.feed(bytes(text.substr(at, step)));
  if (close)
    r.end_of_stream();
  return r;
}

} // namespace

TEST_CASE("the request is keepalived's: HTTP/1.0, 1.0C or 1.1, User-Agent, Host") {
  using core::config::HttpProtocol;
  CHECK(check::http_request("/x", HttpProtocol::http_1_0, "10.0.0.1:80") ==
        "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:80\r\n\r\n");
  CHECK(check::http_request("/x", HttpProtocol::http_1_0c, "h") ==
        "GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: h\r\nConnection: close\r\n\r\n");
  CHECK(check::http_request("/", HttpProtocol::http_1_1, "h") ==
        "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nHost: h\r\nConnection: close\r\n\r\n");
  CHECK(check::host_header({}, *core::IpAddress::parse("10.0.0.1"), 8080) == "10.0.0.1:8080");
  CHECK(check::host_header({}, *core::IpAddress::parse("fd00::1"), 80) == "[fd00::1]:80");
  CHECK(check::host_header(std::string("www.example.com"), *core::IpAddress::parse("fd00::1"),
                           80) == "www.example.com");
}

TEST_CASE("Content-Length bodies: digest of exactly that many bytes, in any split") {
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\nEXTRA";
  for (std::size_t step : {1u, 3u, 7u, 1000u}) {
    auto r = read_all(resp, step, false);
    REQUIRE(r.state() == State::done);
    CHECK(r.status() == 200);
    CHECK(r.body_size() == 12);
    CHECK(r.digest() == "6f5902ac237024bdd0c176cb93063dc4"); // md5("hello world\n")
  }
}

TEST_CASE("chunked bodies are hashed as received, framing included (as keepalived)") {
  std::string body = "5\r\nhello\r\n7\r\n world\n\r\n0\r\n\r\n";
  std::string resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
  auto r = read_all(resp, 4);
  REQUIRE(r.state() == State::done);
  CHECK(r.digest() == md5_of(body));
  CHECK(r.body() == body);
}

TEST_CASE("close-delimited bodies end at end of stream; an empty body has the empty digest") {
  auto r = read_all("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nabc", 2);
  REQUIRE(r.state() == State::done);
  CHECK(r.digest() == md5_of("abc"));
  auto e = read_all("HTTP/1.0 204 No Content\r\nContent-Length: 0\r\n\r\n", 100, false);
  REQUIRE(e.state() == State::done);
  CHECK(e.digest() == "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_CASE("hostile and broken responses fail with a reason") {
  CHECK(read_all("", 1).error() == "connection closed before a response");
  CHECK(read_all("HTTP/1.1 200 OK\r\nContent-Le", 5).error() ==
        "connection closed in the middle of the response header");
  CHECK(read_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 5).error() ==
        "connection closed after 3 of 10 body bytes");
  auto garbage = read_all("\x01\x02garbage\r\n\r\n", 3);
  CHECK(garbage.state() == State::failed);
  CHECK(garbage.error().rfind("bad HTTP response", 0) == 0);
  // An endless header line is cut off at the limit.
  check::HttpLimits small;
  small.header_bytes = 64;
  auto big = read_all("HTTP/1.1 200 OK\r\nX: " + std::string(500, 'a'), 10, false, small);
  CHECK(big.state() == State::failed);
  CHECK(big.error() == "response header larger than 64 bytes");
  small.header_bytes = 16384;
  small.header_fields = 3;
  auto many =
      read_all("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 100, false, small);
  CHECK(many.error() == "response header has 4 fields (at most 3)");
  small.header_fields = 100;
  small.body_bytes = 10;
  auto huge = read_all("HTTP/1.0 200 OK\r\n\r\n" + std::string(100, 'x'), 7, false, small);
  CHECK(huge.error() == "response body larger than 10 bytes");
}

TEST_CASE("a url passes on status code, digest, then regex") {
  core::config::UrlSpec u;
  u.path = "/";
  u.status_code = {{200, 299}};
  auto ok = read_all("HTTP/1.0 200 OK\r\n\r\nall is well", 100);
  CHECK(!check::UrlCheck(u).evaluate(ok));
  auto e503 = read_all("HTTP/1.0 503 Busy\r\n\r\n", 100);
  CHECK(check::UrlCheck(u).evaluate(e503) == "HTTP status code 503");
  u.status_code = {{200, 200}, {503, 503}};
  CHECK(!check::UrlCheck(u).evaluate(e503));
  u.digest = md5_of("all is well");
  CHECK(!check::UrlCheck(u).evaluate(ok));
  u.digest = std::string(32, '0');
  CHECK(check::UrlCheck(u).evaluate(ok) ==
        "MD5 digest " + md5_of("all is well") + " differs from " + std::string(32, '0'));
  u.digest.reset();
  u.regex = "WELL$";
  CHECK(check::UrlCheck(u).evaluate(ok) == "body does not match regex 'WELL$'");
  u.regex_options.caseless = true;
  CHECK(!check::UrlCheck(u).evaluate(ok));
  u.regex_no_match = true;
  CHECK(check::UrlCheck(u).evaluate(ok) == "body matches regex_no_match 'WELL$'");
}

TEST_CASE("regex follows PCRE2's defaults and keepalived's offsets") {
  core::config::RegexOptions o;
  core::Regex anchored("^b", o);
  CHECK(anchored.search("a\nb") == core::Regex::Result::no_match);
  o.multiline = true;
  CHECK(core::Regex("^b", o).search("a\nb") == core::Regex::Result::match);
  o = {};
  CHECK(core::Regex("a.b", o).search("a\nb") == core::Regex::Result::no_match);
  o.dotall = true;
  CHECK(core::Regex("a.b", o).search("a\nb") == core::Regex::Result::match);
  o = {};
  core::Regex ok("ok", o);
  CHECK(ok.search("xxok", 3) == core::Regex::Result::no_match);
  CHECK(ok.search("xxok", 2) == core::Regex::Result::match);
  CHECK(ok.search("xxxxok", 0, 3) == core::Regex::Result::no_match);
  CHECK(ok.search("xxxok", 0, 3) == core::Regex::Result::match);
  CHECK(core::Regex::problem("a(b", o).has_value());
  // Catastrophic backtracking ends with a verdict, not a stalled loop.
  core::Regex evil("(a+)+$", o);
  auto r = evil.search(std::string(5000, 'a') + "b");
  CHECK(r != core::Regex::Result::match);
}

TEST_CASE("a header that never ends fails as too large, whatever the read sizes") {
  std::string stream = "HTTP/1.0 200 OK\r\n";
  while (stream.size() < 200 * 1024)
    stream += "X-Filler: " + std::string(100, 'a') + "\r\n";
  for (std::size_t chunk : {1u, 7u, 113u, 1000u, 4096u, 16384u, 65536u}) {
    check::HttpResponseReader r(false);
    auto st = check::HttpResponseReader::State::need_more;
    // The status line alone first (as a server writes it), then reads of `chunk` bytes.
    std::size_t first = 17;
    st = r.feed(std::span(reinterpret_cast<const std::uint8_t*>(stream.data()), first));
    for (std::size_t at = first;
         at < stream.size() && st == check::HttpResponseReader::State::need_more; at += chunk) {
      auto n = std::min(chunk, stream.size() - at);
      st = r.feed(std::span(reinterpret_cast<const std::uint8_t*>(stream.data() + at), n));
    }
    INFO("chunk " << chunk << ": " << r.error());
    CHECK(st == check::HttpResponseReader::State::failed);
    CHECK(r.error().find("larger than") != std::string::npos);
  }
}
