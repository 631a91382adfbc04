#pragma once
// Regular expressions for HTTP_GET's `regex` (keepalived uses PCRE2): Boost.Regex with Perl
// syntax and PCRE2's defaults (^ and $ only at the ends, . not matching a newline, unless the
// options say otherwise), bounded in time by Boost's matching complexity limit so that a hostile
// body cannot stall the loop. Compiled once per configuration, used for every check.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/lvs.hpp"

namespace vigil::core {

class Regex {
public:
  /// Throws std::runtime_error with the engine's reason when `pattern` is invalid.
  Regex(const std::string& pattern, const config::RegexOptions& options);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  /// Why `pattern` does not compile, or nullopt.
  static std::optional<std::string> problem(const std::string& pattern,
                                            const config::RegexOptions& options);

  enum class Result { match, no_match, too_complex };
  /// Searches `text` from `min_offset`; a match must start at or before `max_offset`.
  Result search(std::string_view text, std::size_t min_offset = 0,
                std::optional<std::size_t> max_offset = std::nullopt) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace vigil::core
