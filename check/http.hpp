#pragma once
// HTTP for HTTP_GET, SSL_GET and genhash, without IO: the request bytes, a response reader fed
// bytes as they arrive, and the verdict on one url. Digests equal keepalived's genhash: MD5 of
// the body bytes exactly as received (a chunked body is not decoded: chunk-size lines,
// extensions and trailers are hashed as they come), up to Content-Length when the server sends
// one, else until the server closes the connection.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/config/lvs.hpp"
#include "core/digest.hpp"
#include "core/regex.hpp"

namespace vigil::check {

/// The Host header keepalived sends: `virtualhost` when set, else "ADDR:PORT" ("[ADDR]:PORT"
/// for IPv6).
std::string host_header(const std::optional<std::string>& virtualhost,
                        const core::IpAddress& address, std::uint16_t port);

/// The request for `path`: "GET path HTTP/1.0" (1.0C adds "Connection: close"; 1.1 sends
/// HTTP/1.1 with "Connection: close"), then User-Agent and Host, serialized by Beast.
std::string http_request(std::string_view path, core::config::HttpProtocol protocol,
                         std::string_view host);

/// Bounds against hostile servers: each one exceeded fails the check with a reason.
struct HttpLimits {
  std::size_t header_bytes = 16 * 1024; ///< status line and fields together
  std::uint32_t header_fields = 100;
  std::size_t body_bytes = 64 * 1024 * 1024; ///< hashed at most this much
  std::size_t kept_body_bytes = 1024 * 1024; ///< kept for a regex (the first bytes)
};

/// Reads one response. Feed it what the socket returns; it stops wanting bytes when the body
/// is complete (Content-Length) and otherwise at end_of_stream().
class HttpResponseReader {
public:
  enum class State : std::uint8_t { need_more, done, failed };

  /// `keep_body`: keep the first kept_body_bytes of the body for a regex.
  explicit HttpResponseReader(bool keep_body, HttpLimits limits = {});
  ~HttpResponseReader();
  HttpResponseReader(HttpResponseReader&&) noexcept;
  HttpResponseReader& operator=(HttpResponseReader&&) noexcept;

  /// Consumes `data` (bytes past the end of a Content-Length body are ignored).
  State feed(std::span<const std::uint8_t> data);
  /// The server closed the connection.
  State end_of_stream();
  State state() const { return state_; }

  /// After the header: the status code (100..999) and the header bytes as received.
  int status() const { return status_; }
  bool header_done() const { return header_done_; }
  const std::string& header_text() const { return header_text_; }
  std::optional<std::uint64_t> content_length() const { return content_length_; }
  /// The body's MD5 (lower-case hex) once done.
  std::string digest() const { return digest_; }
  std::uint64_t body_size() const { return body_size_; }
  /// The first bytes of the body, when asked to keep them.
  const std::string& body() const { return body_; }
  /// Why it failed: "response header larger than 16384 bytes", "bad HTTP response: ...".
  const std::string& error() const { return error_; }

private:
  struct Parser;
  State fail(std::string why);
  State body_bytes(std::span<const std::uint8_t> data);
  State finish();

  HttpLimits limits_;
  bool keep_body_;
  std::unique_ptr<Parser> parser_;
  std::string pending_;     ///< header bytes not yet consumed by the parser
  std::size_t scanned_ = 0; ///< how far pending_ was searched for the end of the header
  std::string header_text_;
  bool header_done_ = false;
  int status_ = 0;
  std::optional<std::uint64_t> content_length_;
  core::Md5Stream md5_;
  std::uint64_t body_size_ = 0;
  std::string body_;
  std::string digest_;
  std::string error_;
  State state_ = State::need_more;
};

/// The verdict on one url: status code within the url's ranges, then the digest, then the
/// regex (or its absence with regex_no_match), as keepalived checks them.
class UrlCheck {
public:
  /// Compiles the url's regex (`url` must outlive the check). Throws std::runtime_error on a
  /// bad pattern (the loader refuses those first).
  explicit UrlCheck(const core::config::UrlSpec& url);
  ~UrlCheck();
  UrlCheck(UrlCheck&&) noexcept;
  UrlCheck& operator=(UrlCheck&&) noexcept;

  const core::config::UrlSpec& url() const { return *url_; }
  /// Whether the reader must keep the body (a regex is configured).
  bool wants_body() const { return regex_ != nullptr; }
  /// nullopt when the response passes, else the reason it fails.
  std::optional<std::string> evaluate(const HttpResponseReader& response) const;

private:
  const core::config::UrlSpec* url_;
  std::unique_ptr<core::Regex> regex_;
};

} // namespace vigil::check
