#include "check/dns.hpp"

#include <algorithm>
#include <cctype>

namespace vigil::check {

namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint16_t((b[at] << 8) | b[at + 1]);
}

/// The name in wire form (labels, lower case for comparison), without compression.
std::vector<std::uint8_t> wire_name(std::string_view name, bool lower) {
  std::vector<std::uint8_t> out;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos)
      dot = name.size();
    if (dot > start) {
      out.push_back(std::uint8_t(dot - start));
      for (std::size_t i = start; i < dot; ++i)
        out.push_back(lower ? std::uint8_t(std::tolower(static_cast<unsigned char>(name[i])))
                            : std::uint8_t(name[i]));
    }
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

const char* rcode_name(unsigned rcode) {
  static constexpr const char* names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                          "NXDOMAIN", "NOTIMP",  "REFUSED"};
  return rcode < 6 ? names[rcode] : "an error";
}

} // namespace

std::vector<std::uint8_t> dns_query(std::uint16_t id, std::string_view name, std::uint16_t qtype) {
  std::vector<std::uint8_t> q;
  q.reserve(18 + name.size());
  put16(q, id);
  put16(q, 0x0100); // standard query, RD
  put16(q, 1);      // QDCOUNT
  put16(q, 0);
  put16(q, 0);
  put16(q, 0);
  auto n = wire_name(name, false);
  q.insert(q.end(), n.begin(), n.end());
  put16(q, qtype);
  put16(q, 1); // IN
  return q;
}

std::optional<std::string> dns_reply_problem(std::span<const std::uint8_t> r, std::uint16_t id,
                                             std::string_view name, std::uint16_t qtype) {
  if (r.size() < 12)
    return "reply of " + std::to_string(r.size()) + " bytes is shorter than a DNS header";
  if (get16(r, 0) != id)
    return std::string("reply id does not match the query");
  std::uint16_t flags = get16(r, 2);
  if (!(flags & 0x8000))
    return std::string("reply is not a response (QR clear)");
  unsigned rcode = flags & 0x0f;
  if (rcode != 0)
    return "server answered " + std::string(rcode_name(rcode)) + " (RCODE " +
           std::to_string(rcode) + ")";
  if (get16(r, 4) != 1)
    return std::string("reply does not carry the question");
  // The question must be ours (case-insensitive name, same type and class).
  auto want = wire_name(name, true);
  std::size_t at = 12;
  if (r.size() < at + want.size() + 4)
    return std::string("reply truncated in the question");
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::uint8_t b = r[at + i];
    if (std::uint8_t(std::tolower(b)) != want[i])
      return std::string("reply is for another question");
  }
  at += want.size();
  if (get16(r, at) != qtype || get16(r, at + 2) != 1)
    return std::string("reply is for another question");
  if (get16(r, 6) == 0)
    return "no " + dns_type_name(qtype) + " record in the answer";
  return std::nullopt;
}

std::string dns_type_name(std::uint16_t qtype) {
  static constexpr std::pair<std::uint16_t, const char*> names[] = {
      {1, "A"},    {2, "NS"},    {5, "CNAME"},  {6, "SOA"},    {15, "MX"},
      {16, "TXT"}, {28, "AAAA"}, {46, "RRSIG"}, {48, "DNSKEY"}};
  for (const auto& [v, n] : names)
    if (v == qtype)
      return n;
  return "TYPE" + std::to_string(qtype);
}

} // namespace vigil::check
