// HTTP_GET and SSL_GET: one url per connection, the whole exchange bounded by the caller.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>

#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "check/io/detail.hpp"

namespace vigil::check::io {

namespace {

/// Sends the request and reads the response into `reader` until it is complete.
template <class Stream>
asio::awaitable<std::optional<std::string>>
exchange(Stream& s, const std::string& request, HttpResponseReader& reader, Progress& progress) {
  progress.phase = "the request to be sent";
  auto [wec, written] = co_await asio::async_write(s, asio::buffer(request), as_value);
  (void)written;
  if (wec)
    co_return "cannot send the request: " + detail::error_text(wec);
  progress.phase = "the response";
  std::array<std::uint8_t, 16384> buf;
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), as_value);
    if (n > 0 && reader.feed(std::span(buf.data(), n)) != HttpResponseReader::State::need_more)
      break;
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      reader.end_of_stream();
      break;
    }
    if (ec)
      co_return "reading the response: " + detail::error_text(ec);
    progress.phase = reader.header_done() ? "the rest of the body" : "the response header";
  }
  if (reader.state() == HttpResponseReader::State::failed)
    co_return reader.error();
  co_return std::nullopt;
}

std::string tls_error(const boost::system::error_code& ec) {
  // OpenSSL's reason ("certificate verify failed", "wrong version number") says more than the
  // category's generic text.
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ::ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason)
      return reason;
  }
  return detail::error_text(ec);
}

} // namespace

asio::awaitable<HttpFetch> http_fetch(Prober::Impl& p, const core::config::Checker& k,
                                      const Target& t, const std::string& path,
                                      const std::optional<std::string>& virtualhost, bool keep_body,
                                      Progress& progress) {
  HttpFetch f;
  f.response = std::make_unique<HttpResponseReader>(keep_body);
  tcp::socket socket(co_await asio::this_coro::executor);
  progress.phase = "the connection";
  if (auto why = co_await detail::connect(socket, k, t)) {
    f.failure = *why;
    co_return f;
  }
  f.request = http_request(path, k.http_protocol, host_header(virtualhost, t.address, t.port));
  if (k.kind == core::config::CheckerKind::ssl_get) {
    if (!p.tls) {
      f.failure = "no TLS context";
      co_return f;
    }
    asio::ssl::stream<tcp::socket&> tls(socket, *p.tls);
    // keepalived sends SNI (with enable_sni) for the virtual host only.
    if (k.enable_sni && virtualhost)
      ::SSL_set_tlsext_host_name(tls.native_handle(), virtualhost->c_str());
    progress.phase = "the TLS handshake";
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, as_value);
    if (hec) {
      f.failure = "TLS handshake: " + tls_error(hec);
      co_return f;
    }
    f.failure = co_await exchange(tls, f.request, *f.response, progress);
  } else {
    f.failure = co_await exchange(socket, f.request, *f.response, progress);
  }
  co_return f;
}

asio::awaitable<ProbeResult> http_probe(Prober::Impl& p, const core::config::Checker& k,
                                        const Target& t, const UrlCheck& url, Progress& progress) {
  ProbeResult r;
  const auto& u = url.url();
  auto f = co_await http_fetch(p, k, t, u.path, u.virtualhost, url.wants_body(), progress);
  const auto& reader = *f.response;
  r.http_status = reader.status();
  if (reader.state() == HttpResponseReader::State::done)
    r.digest = reader.digest();
  if (f.failure) {
    r.reason = *f.failure;
    co_return r;
  }
  if (auto why = url.evaluate(reader)) {
    r.reason = *why;
    co_return r;
  }
  r.ok = true;
  r.reason = "HTTP status " + std::to_string(reader.status());
  co_return r;
}

} // namespace vigil::check::io
