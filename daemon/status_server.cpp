#include "daemon/status_server.hpp"

#include <list>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/logger.h>

namespace vigil::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct StatusServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& c, spdlog::logger& l, StatusPages p, StatusLimits lim)
      : ctx(c), log(l), pages(std::move(p)), limits(lim), acceptor(c) {}

  asio::io_context& ctx;
  spdlog::logger& log;
  StatusPages pages;
  StatusLimits limits;
  tcp::acceptor acceptor;
  std::list<beast::tcp_stream*> open; ///< to close them at stop
  std::uint64_t requests = 0;
  std::uint64_t evicted = 0;
  bool stopped = false;

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
      auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (stopped || ec == asio::error::operation_aborted)
          co_return;
        // EMFILE and the like: say so and go on (the loop must not spin on it)
        log.warn("status endpoint: accept failed: {}", ec.message());
        asio::steady_timer t(ctx, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      if (open.size() >= limits.max_connections) {
        // At the cap the oldest connection goes (slowloris clients hold the oldest ones), so
        // a scrape still gets through while hundreds of idle connections are open.
        ++evicted;
        boost::system::error_code ignored;
        open.front()->socket().close(ignored);
        open.pop_front();
      }
      asio::co_spawn(ctx, session(std::move(sock)), asio::detached);
      // One connection per turn of the loop: a burst of hundreds of connects must not hold
      // the VRRP timers behind it.
      co_await asio::post(ctx, asio::use_awaitable);
    }
  }

  /// `rendered`: the /metrics or /status page, when that is what was asked.
  http::response<http::string_body> answer(const http::request<http::empty_body>& req,
                                           std::string rendered) {
    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(req.keep_alive());
    res.set(http::field::server, "vigild");
    auto target = std::string_view(req.target());
    if (auto q = target.find('?'); q != std::string_view::npos)
      target = target.substr(0, q);
    auto page = [&](http::status st, std::string_view type, std::string body) {
      res.result(st);
      res.set(http::field::content_type, type);
      res.body() = std::move(body);
    };
    const bool known = target == "/metrics" || target == "/status" || target == "/healthz";
    if (!known) {
      page(http::status::not_found, "text/plain; charset=utf-8",
           "not found: try /metrics, /status or /healthz\n");
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
      page(http::status::method_not_allowed, "text/plain; charset=utf-8",
           "method not allowed: GET or HEAD\n");
      res.set(http::field::allow, "GET, HEAD");
    } else if (target == "/metrics") {
      page(http::status::ok, "text/plain; version=0.0.4", std::move(rendered));
    } else if (target == "/status") {
      page(http::status::ok, "application/json", std::move(rendered));
    } else {
      auto [healthy, why] = pages.health();
      page(healthy ? http::status::ok : http::status::service_unavailable,
           "text/plain; charset=utf-8", why + "\n");
    }
    res.prepare_payload();
    if (req.method() == http::verb::head)
      res.body().clear(); // Content-Length stays that of the GET
    return res;
  }

  asio::awaitable<void> session(tcp::socket sock) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(sock));
    open.push_back(&stream);
    auto mine = [&] {
      for (auto i = open.begin(); i != open.end(); ++i)
        if (*i == &stream)
          return i;
      return open.end();
    };
    beast::flat_buffer buffer(limits.header_bytes + 1024);
    for (;;) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(std::uint32_t(limits.header_bytes));
      parser.body_limit(0);
      // The whole request (and the wait for it on a kept-alive connection) within the deadline.
      stream.expires_after(std::chrono::seconds(limits.request_seconds));
      auto [ec, n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == http::error::header_limit || ec == http::error::body_limit ||
            ec == http::error::buffer_overflow) {
          http::response<http::string_body> res{http::status::request_header_fields_too_large, 11};
          res.set(http::field::content_type, "text/plain; charset=utf-8");
          res.set(http::field::connection, "close");
          res.body() = "request too large\n";
          res.prepare_payload();
          stream.expires_after(std::chrono::seconds(limits.request_seconds));
          co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        } else if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
                   ec != asio::error::operation_aborted && ec != asio::error::eof &&
                   ec != asio::error::connection_reset && !stopped) {
          // garbage: a short 400 and close
          http::response<http::string_body> res{http::status::bad_request, 11};
          res.set(http::field::content_type, "text/plain; charset=utf-8");
          res.set(http::field::connection, "close");
          res.body() = "bad request\n";
          res.prepare_payload();
          stream.expires_after(std::chrono::seconds(limits.request_seconds));
          co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        }
        break;
      }
      ++requests;
      const auto& req = parser.get();
      // The two large pages are rendered in parts across turns of the loop, before answering.
      std::string rendered;
      auto is = [&](std::string_view path) {
        auto t = std::string_view(req.target());
        return t.substr(0, path.size()) == path &&
               (t.size() == path.size() || t[path.size()] == '?') &&
               (req.method() == http::verb::get || req.method() == http::verb::head);
      };
      if (is("/metrics"))
        rendered = co_await pages.metrics();
      else if (is("/status"))
        rendered = co_await pages.status() + "\n";
      if (stopped)
        break;
      auto res = answer(req, std::move(rendered));
      bool keep = res.keep_alive();
      stream.expires_after(std::chrono::seconds(limits.request_seconds));
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || !keep || stopped)
        break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    if (auto i = mine(); i != open.end())
      open.erase(i); // (an evicted connection is no longer listed)
  }
};

StatusServer::StatusServer(asio::io_context& ctx, spdlog::logger& log, const std::string& address,
                           std::uint16_t port, StatusPages pages, StatusLimits limits)
    : impl_(std::make_shared<Impl>(ctx, log, std::move(pages), limits)) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec)
    throw std::system_error(ec, "'" + address + "' is not an IP address");
  tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  std::string where = (addr.is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(port);
  if (a.open(ep.protocol(), ec); ec)
    throw std::system_error(ec, "cannot open a socket for " + where);
  a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (addr.is_v6())
    a.set_option(asio::ip::v6_only(true), ec);
  if (a.bind(ep, ec); ec)
    throw std::system_error(ec, "cannot bind " + where);
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec)
    throw std::system_error(ec, "cannot listen on " + where);
  log.info("status endpoint on http://{}/ (/metrics, /status, /healthz)", where);
  asio::co_spawn(ctx, impl_->accept_loop(), asio::detached);
}

StatusServer::~StatusServer() {
  stop();
}

void StatusServer::stop() {
  if (!impl_ || impl_->stopped)
    return;
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto* s : impl_->open)
    s->socket().close(ignored);
}

std::size_t StatusServer::connections() const {
  return impl_->open.size();
}

std::uint64_t StatusServer::requests() const {
  return impl_->requests;
}

} // namespace vigil::daemon
