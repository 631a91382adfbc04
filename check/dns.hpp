#pragma once
// DNS_CHECK without IO: the query (RFC 1035 4.1) and the verdict on a reply.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::check {

/// A standard query for `name` (e.g. "example.com", "." for the root) of type `qtype`, class
/// IN, with recursion desired. Precondition: `name` is a valid domain name (the loader checks).
std::vector<std::uint8_t> dns_query(std::uint16_t id, std::string_view name, std::uint16_t qtype);

/// Why `reply` does not answer the query (`id`, `name`, `qtype`), or nullopt when it does: a
/// response (QR set) with the same id, the same question, RCODE NOERROR and at least one
/// answer record.
std::optional<std::string> dns_reply_problem(std::span<const std::uint8_t> reply, std::uint16_t id,
                                             std::string_view name, std::uint16_t qtype);

/// The name of a query type for logs ("SOA", "A", ...; else the number).
std::string dns_type_name(std::uint16_t qtype);

} // namespace vigil::check
