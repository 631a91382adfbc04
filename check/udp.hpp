#pragma once
// UDP_CHECK without IO: whether a reply satisfies `require_reply`.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/config/lvs.hpp"

namespace vigil::check {

/// Why `reply` fails `checker`'s reply rules, or nullopt: its length within
/// [min_reply_length, max_reply_length], and each byte of the reply pattern (with its mask,
/// x digits being wildcards) equal to the reply's, up to the shorter of the two.
std::optional<std::string> udp_reply_problem(const core::config::Checker& checker,
                                             std::span<const std::uint8_t> reply);

} // namespace vigil::check
