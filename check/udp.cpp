#include "check/udp.hpp"

#include <algorithm>

namespace vigil::check {

std::optional<std::string> udp_reply_problem(const core::config::Checker& k,
                                             std::span<const std::uint8_t> reply) {
  if (reply.size() < k.min_reply_length || reply.size() > k.max_reply_length)
    return "reply of " + std::to_string(reply.size()) + " bytes is outside " +
           std::to_string(k.min_reply_length) + ".." + std::to_string(k.max_reply_length);
  std::size_t n = std::min(reply.size(), k.reply_pattern.size());
  for (std::size_t i = 0; i < n; ++i)
    if ((reply[i] & k.reply_mask[i]) != (k.reply_pattern[i] & k.reply_mask[i]))
      return "reply differs from require_reply at byte " + std::to_string(i);
  return std::nullopt;
}

} // namespace vigil::check
