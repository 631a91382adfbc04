#include "core/regex.hpp"

#include <stdexcept>

#include <boost/regex.hpp>

namespace vigil::core {

struct Regex::Impl {
  boost::regex re;
  boost::regex_constants::match_flag_type flags = boost::regex_constants::match_default;
};

namespace {

boost::regex::flag_type syntax(const config::RegexOptions& o) {
  boost::regex::flag_type f = boost::regex::perl;
  if (o.caseless)
    f |= boost::regex::icase;
  if (o.extended)
    f |= boost::regex::mod_x;
  if (o.no_auto_capture)
    f |= boost::regex::nosubs;
  if (!o.dotall)
    f |= boost::regex::no_mod_s; // PCRE2: . does not match a newline
  return f;
}

} // namespace

Regex::Regex(const std::string& pattern, const config::RegexOptions& options)
    : impl_(std::make_unique<Impl>()) {
  try {
    impl_->re.assign(pattern, syntax(options));
  } catch (const boost::regex_error& e) {
    throw std::runtime_error(e.what());
  }
  // PCRE2 without MULTILINE: ^ and $ match at the ends of the subject only.
  if (!options.multiline)
    impl_->flags |= boost::regex_constants::match_single_line;
  if (!options.dotall)
    impl_->flags |= boost::regex_constants::match_not_dot_newline;
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

std::optional<std::string> Regex::problem(const std::string& pattern,
                                          const config::RegexOptions& options) {
  try {
    Regex r(pattern, options);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

Regex::Result Regex::search(std::string_view text, std::size_t min_offset,
                            std::optional<std::size_t> max_offset) const {
  if (min_offset > text.size())
    return Result::no_match;
  const char* begin = text.data() + min_offset;
  const char* end = text.data() + text.size();
  boost::cmatch m;
  try {
    auto flags = impl_->flags;
    if (min_offset > 0)
      flags |= boost::regex_constants::match_prev_avail;
    if (!boost::regex_search(begin, end, m, impl_->re, flags))
      return Result::no_match;
  } catch (const std::runtime_error&) {
    // Boost gives up on matches whose complexity explodes (catastrophic backtracking).
    return Result::too_complex;
  }
  std::size_t at = std::size_t(m[0].first - text.data());
  if (max_offset && at > *max_offset)
    return Result::no_match;
  return Result::match;
}

} // namespace vigil::core
