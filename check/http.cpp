#include "check/http.hpp"

#include <algorithm>
#include <sstream>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>

namespace vigil::check {

namespace http = boost::beast::http;

std::string host_header(const std::optional<std::string>& virtualhost,
                        const core::IpAddress& address, std::uint16_t port) {
  if (virtualhost)
    return *virtualhost;
  std::string a = address.to_string();
  if (address.is_v6())
    a = "[" + a + "]";
  return a + ":" + std::to_string(port);
}

std::string http_request(std::string_view path, core::config::HttpProtocol protocol,
                         std::string_view host) {
  using core::config::HttpProtocol;
  http::request<http::empty_body> req;
  req.method(http::verb::get);
  req.target(path);
  req.version(protocol == HttpProtocol::http_1_1 ? 11 : 10);
  req.set(http::field::user_agent, "KeepAliveClient");
  req.set(http::field::host, host);
  if (protocol != HttpProtocol::http_1_0)
    req.set(http::field::connection, "close");
  std::ostringstream out;
  out << req;
  return out.str();
}

// --- the response ----------------------------------------------------------------------------

struct HttpResponseReader::Parser {
  http::response_parser<http::empty_body> p;
};

HttpResponseReader::HttpResponseReader(bool keep_body, HttpLimits limits)
    : limits_(limits), keep_body_(keep_body), parser_(std::make_unique<Parser>()) {
  parser_->p.header_limit(std::uint32_t(limits_.header_bytes));
  parser_->p.eager(false);
}

HttpResponseReader::~HttpResponseReader() = default;
HttpResponseReader::HttpResponseReader(HttpResponseReader&&) noexcept = default;
HttpResponseReader& HttpResponseReader::operator=(HttpResponseReader&&) noexcept = default;

HttpResponseReader::State HttpResponseReader::fail(std::string why) {
  error_ = std::move(why);
  state_ = State::failed;
  return state_;
}

HttpResponseReader::State HttpResponseReader::finish() {
  digest_ = core::to_hex(md5_.finish());
  state_ = State::done;
  return state_;
}

HttpResponseReader::State HttpResponseReader::feed(std::span<const std::uint8_t> data) {
  if (state_ != State::need_more)
    return state_;
  if (header_done_)
    return body_bytes(data);
  pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
  // The header goes to Beast whole: first find its end (bounded by the limit), then parse it
  // in one call. (Fed line by line, Beast 1.81 misreads a long header split across reads.)
  const std::size_t from = scanned_ > 3 ? scanned_ - 3 : 0;
  const std::size_t end = pending_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (pending_.size() > limits_.header_bytes)
      return fail("response header larger than " + std::to_string(limits_.header_bytes) + " bytes");
    scanned_ = pending_.size();
    return state_;
  }
  const std::size_t header_len = end + 4;
  if (header_len > limits_.header_bytes)
    return fail("response header larger than " + std::to_string(limits_.header_bytes) + " bytes");
  boost::system::error_code ec;
  std::size_t used = parser_->p.put(boost::asio::buffer(pending_.data(), header_len), ec);
  if (ec == http::error::header_limit)
    return fail("response header larger than " + std::to_string(limits_.header_bytes) + " bytes");
  if (ec && ec != http::error::need_more)
    return fail("bad HTTP response: " + ec.message());
  if (!parser_->p.is_header_done() || used != header_len)
    return fail("bad HTTP response: the header does not parse as a whole");
  header_text_.assign(pending_, 0, header_len);
  pending_.erase(0, header_len);
  const auto& msg = parser_->p.get();
  std::size_t fields = std::size_t(std::distance(msg.begin(), msg.end()));
  if (fields > limits_.header_fields)
    return fail("response header has " + std::to_string(fields) + " fields (at most " +
                std::to_string(limits_.header_fields) + ")");
  header_done_ = true;
  status_ = int(msg.result_int());
  if (auto n = parser_->p.content_length(); n && !parser_->p.chunked())
    content_length_ = *n;
  std::string rest = std::move(pending_);
  pending_.clear();
  if (content_length_ && *content_length_ == 0)
    return finish();
  return body_bytes(std::span(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()));
}

HttpResponseReader::State HttpResponseReader::body_bytes(std::span<const std::uint8_t> data) {
  if (content_length_)
    data = data.first(
        std::size_t(std::min<std::uint64_t>(data.size(), *content_length_ - body_size_)));
  if (body_size_ + data.size() > limits_.body_bytes)
    return fail("response body larger than " + std::to_string(limits_.body_bytes) + " bytes");
  md5_.update(data);
  body_size_ += data.size();
  if (keep_body_ && body_.size() < limits_.kept_body_bytes)
    body_.append(reinterpret_cast<const char*>(data.data()),
                 std::min(data.size(), limits_.kept_body_bytes - body_.size()));
  if (content_length_ && body_size_ == *content_length_)
    return finish();
  return state_;
}

HttpResponseReader::State HttpResponseReader::end_of_stream() {
  if (state_ != State::need_more)
    return state_;
  if (!header_done_)
    return fail(header_text_.empty() && pending_.empty()
                    ? "connection closed before a response"
                    : "connection closed in the middle of the response header");
  if (content_length_ && body_size_ < *content_length_)
    return fail("connection closed after " + std::to_string(body_size_) + " of " +
                std::to_string(*content_length_) + " body bytes");
  return finish();
}

// --- the verdict -----------------------------------------------------------------------------

UrlCheck::UrlCheck(const core::config::UrlSpec& url) : url_(&url) {
  if (url.regex)
    regex_ = std::make_unique<core::Regex>(*url.regex, url.regex_options);
}

UrlCheck::~UrlCheck() = default;
UrlCheck::UrlCheck(UrlCheck&&) noexcept = default;
UrlCheck& UrlCheck::operator=(UrlCheck&&) noexcept = default;

std::optional<std::string> UrlCheck::evaluate(const HttpResponseReader& r) const {
  const auto& u = *url_;
  int code = r.status();
  bool status_ok = std::any_of(u.status_code.begin(), u.status_code.end(), [&](const auto& range) {
    return code >= range.first && code <= range.last;
  });
  if (!status_ok)
    return "HTTP status code " + std::to_string(code);
  if (u.digest && r.digest() != *u.digest)
    return "MD5 digest " + r.digest() + " differs from " + *u.digest;
  if (regex_) {
    auto m = regex_->search(r.body(), u.regex_min_offset, u.regex_max_offset);
    if (m == core::Regex::Result::too_complex)
      return std::string("regex too complex to evaluate on this body");
    bool matched = m == core::Regex::Result::match;
    if (matched == u.regex_no_match)
      return u.regex_no_match ? "body matches regex_no_match '" + *u.regex + "'"
                              : "body does not match regex '" + *u.regex + "'";
  }
  return std::nullopt;
}

} // namespace vigil::check
