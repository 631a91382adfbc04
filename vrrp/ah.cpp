#include "vrrp/ah.hpp"

#include <algorithm>
#include <array>

#include "core/digest.hpp"

namespace vigil::vrrp::ah {
namespace {

// --- the packet ------------------------------------------------------------------------------

constexpr std::uint8_t next_header_vrrp = ip_proto_vrrp;

void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = std::uint8_t(v >> (24 - 8 * i));
}

std::uint16_t get16(const std::uint8_t* p) {
  return std::uint16_t((p[0] << 8) | p[1]);
}

std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         p[3];
}

/// keepalived's ICV over `packet` (IP header of `ihl` bytes first, AH right after it): a copy
/// with the mutable fields zeroed, HMAC-MD5 under `key`, truncated to 96 bits.
std::array<std::uint8_t, icv_size> compute_icv(std::span<const std::uint8_t> packet,
                                               std::size_t ihl, bool zero_ttl,
                                               std::span<const std::uint8_t> key) {
  std::vector<std::uint8_t> copy(packet.begin(), packet.end());
  copy[1] = 0;           // TOS
  copy[6] = copy[7] = 0; // flags, fragment offset
  if (zero_ttl)
    copy[8] = 0;           // unicast: routers on the way may lower the TTL
  copy[10] = copy[11] = 0; // header checksum
  std::fill_n(copy.begin() + std::ptrdiff_t(ihl + 12), icv_size, std::uint8_t(0)); // the ICV
  auto mac = core::hmac_md5(key, copy);
  std::array<std::uint8_t, icv_size> icv{};
  std::copy_n(mac.begin(), icv_size, icv.begin());
  return icv;
}

} // namespace

std::uint32_t spi_for(const core::IpAddress& src) {
  return src.is_v4() ? get32(src.data()) : 0;
}

std::vector<std::uint8_t> seal(const core::IpAddress& src, const core::IpAddress& dst,
                               std::uint16_t ip_id, std::uint8_t ttl, std::uint32_t spi,
                               std::uint32_t seq, std::span<const std::uint8_t> vrrp_message,
                               std::span<const std::uint8_t> key) {
  std::size_t total = ip_header_size + ah_size + vrrp_message.size();
  if (!src.is_v4() || !dst.is_v4() || total > 0xffff)
    return {};
  std::vector<std::uint8_t> p(total, 0);
  std::uint8_t* ip = p.data();
  // No DF: keepalived does not set it. The header checksum is left out of the ICV.
  IpHeader h{.protocol = ip_proto_ah, .ttl = ttl, .traffic_class = tos, .id = ip_id};
  put_ip_header(ip, src, dst, h, total - ip_header_size);
  std::uint8_t* ah = ip + ip_header_size;
  ah[0] = next_header_vrrp;
  ah[1] = payload_length;
  put32(ah + 4, spi);
  put32(ah + 8, seq);
  std::copy(vrrp_message.begin(), vrrp_message.end(), ah + ah_size);
  auto icv = compute_icv(p, ip_header_size, !dst.is_multicast(), key);
  std::copy(icv.begin(), icv.end(), ah + 12);
  return p;
}

std::string_view to_string(Reason r) {
  static constexpr std::array<std::string_view, std::size_t(Reason::count_)> names{
      "none", "too_short", "not_ipv4", "not_ah", "bad_ah_header", "bad_spi", "bad_icv"};
  return names[std::size_t(r)];
}

Drop to_drop(Reason r) {
  switch (r) {
  case Reason::none:
    return Drop::none;
  case Reason::too_short:
    return Drop::too_short;
  case Reason::not_ipv4:
    return Drop::bad_version;
  default:
    return Drop::auth_mismatch;
  }
}

Opened open(std::span<const std::uint8_t> ip_packet, std::span<const std::uint8_t> key) {
  Opened out;
  if (ip_packet.size() < ip_header_size) {
    out.reason = Reason::too_short;
    return out;
  }
  const std::uint8_t* ip = ip_packet.data();
  if ((ip[0] >> 4) != 4) {
    out.reason = Reason::not_ipv4;
    return out;
  }
  std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
  std::size_t total = get16(ip + 2);
  if (ihl < ip_header_size || total < ihl || total > ip_packet.size()) {
    out.reason = Reason::too_short;
    return out;
  }
  out.src = core::IpAddress::from_bytes(core::Family::inet, ip + 12);
  out.dst = core::IpAddress::from_bytes(core::Family::inet, ip + 16);
  out.ttl = ip[8];
  out.ip_id = get16(ip + 4);
  if (ip[9] != ip_proto_ah) {
    out.reason = Reason::not_ah;
    return out;
  }
  if (total < ihl + ah_size) {
    out.reason = Reason::too_short;
    return out;
  }
  const std::uint8_t* ah = ip + ihl;
  if (ah[0] != next_header_vrrp || ah[1] != payload_length) {
    out.reason = Reason::bad_ah_header;
    return out;
  }
  out.spi = get32(ah + 4);
  out.seq = get32(ah + 8);
  if (out.spi != spi_for(out.src)) {
    out.reason = Reason::bad_spi;
    return out;
  }
  auto packet = ip_packet.first(total);
  auto icv = compute_icv(packet, ihl, !out.dst.is_multicast(), key);
  // Compare without an early exit, so timing does not tell how much of a forgery was right.
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < icv_size; ++i)
    diff |= std::uint8_t(icv[i] ^ ah[12 + i]);
  if (diff != 0) {
    out.reason = Reason::bad_icv;
    return out;
  }
  out.message = packet.subspan(ihl + ah_size);
  return out;
}

} // namespace vigil::vrrp::ah
