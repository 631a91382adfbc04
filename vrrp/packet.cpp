#include "vrrp/packet.hpp"

#include <algorithm>
#include <array>

namespace vigil::vrrp {
namespace {

constexpr std::size_t header_size = 8;
constexpr std::size_t v2_auth_size = 8;

std::uint32_t partial_sum(std::span<const std::uint8_t> data, std::uint32_t sum) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += (std::uint32_t(data[i]) << 8) | data[i + 1];
  if (i < data.size())
    sum += std::uint32_t(data[i]) << 8;
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return std::uint16_t(~sum & 0xffff);
}

/// Partial sum of the pseudo-header: IPv6 per RFC 8200 8.1, IPv4 per RFC 768's shape.
std::uint32_t pseudo_header_sum(const core::IpAddress& src, const core::IpAddress& dst,
                                std::size_t length) {
  std::uint32_t sum = 0;
  sum = partial_sum({src.data(), src.size()}, sum);
  sum = partial_sum({dst.data(), dst.size()}, sum);
  sum += std::uint32_t(length >> 16) + std::uint32_t(length & 0xffff);
  sum += ip_proto_vrrp;
  return sum;
}

std::uint16_t message_checksum(std::span<const std::uint8_t> msg, const core::IpAddress& src,
                               const core::IpAddress& dst, std::uint8_t version,
                               ChecksumForm form) {
  bool pseudo = version == 3 && (src.is_v6() || form == ChecksumForm::pseudo_header);
  std::uint32_t sum = pseudo ? pseudo_header_sum(src, dst, msg.size()) : 0;
  return fold(partial_sum(msg, sum));
}

} // namespace

std::string_view to_string(Drop d) {
  static constexpr std::array<std::string_view, std::size_t(Drop::count_)> names{
      "none",
      "too_short",
      "bad_version",
      "bad_type",
      "bad_checksum",
      "bad_ttl",
      "unknown_vrid",
      "version_mismatch",
      "auth_mismatch",
      "interval_mismatch",
      "zero_interval",
      "zero_count",
      "address_mismatch",
      "family_mismatch",
      "not_a_peer",
      "own_packet",
      "unicast_mismatch",
      "replayed"};
  return names[std::size_t(d)];
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> data, std::uint32_t sum) {
  return fold(partial_sum(data, sum));
}

std::size_t ip_header_length(core::Family family) {
  return family == core::Family::inet ? 20 : 40;
}

bool put_ip_header(std::uint8_t* out, const core::IpAddress& src, const core::IpAddress& dst,
                   const IpHeader& h, std::size_t payload_size) {
  if (src.family() != dst.family())
    return false;
  auto put16 = [](std::uint8_t* p, std::size_t v) {
    p[0] = std::uint8_t(v >> 8);
    p[1] = std::uint8_t(v);
  };
  if (src.is_v4()) {
    std::size_t total = 20 + payload_size;
    if (total > 0xffff)
      return false;
    std::fill_n(out, 20, std::uint8_t(0));
    out[0] = 0x45; // version 4, IHL 5
    out[1] = h.traffic_class;
    put16(out + 2, total);
    put16(out + 4, h.id);
    out[6] = h.dont_fragment ? 0x40 : 0; // flags; fragment offset 0
    out[8] = h.ttl;
    out[9] = h.protocol;
    std::copy_n(src.data(), 4, out + 12);
    std::copy_n(dst.data(), 4, out + 16);
    put16(out + 10, internet_checksum(std::span<const std::uint8_t>(out, 20)));
    return true;
  }
  if (payload_size > 0xffff)
    return false;
  out[0] = std::uint8_t(0x60 | (h.traffic_class >> 4)); // version 6, traffic class, flow 0
  out[1] = std::uint8_t(h.traffic_class << 4);
  out[2] = out[3] = 0;
  put16(out + 4, payload_size);
  out[6] = h.protocol;
  out[7] = h.ttl;
  std::copy_n(src.data(), 16, out + 8);
  std::copy_n(dst.data(), 16, out + 24);
  return true;
}

std::array<std::uint8_t, 6> multicast_mac(const core::IpAddress& group) {
  const std::uint8_t* a = group.data();
  if (group.is_v4())
    return {0x01, 0x00, 0x5e, std::uint8_t(a[1] & 0x7f), a[2], a[3]};
  return {0x33, 0x33, a[12], a[13], a[14], a[15]};
}

Decoded decode(std::span<const std::uint8_t> msg, const core::IpAddress& src,
               const core::IpAddress& dst) {
  Decoded out;
  if (msg.size() < header_size) {
    out.drop = Drop::too_short;
    return out;
  }
  std::uint8_t version = msg[0] >> 4;
  std::uint8_t type = msg[0] & 0x0f;
  if (version != 2 && version != 3) {
    out.drop = Drop::bad_version;
    return out;
  }
  if (version == 2 && src.is_v6()) {
    out.drop = Drop::bad_version; // VRRPv2 is IPv4 only
    return out;
  }
  if (type != 1) {
    out.drop = Drop::bad_type;
    return out;
  }
  Advert& a = out.advert;
  a.version = version;
  a.vrid = msg[1];
  a.priority = msg[2];
  std::size_t count = msg[3];
  std::size_t addr_size = src.size();
  std::size_t need = header_size + count * addr_size + (version == 2 ? v2_auth_size : 0);
  if (msg.size() < need) {
    out.drop = Drop::too_short;
    return out;
  }
  // The checksum covers the message as sent: exactly `need` bytes (trailing bytes are padding).
  auto body = msg.first(need);
  if (version == 3 && src.is_v4()) {
    // Accept both forms and tell the caller which one the sender used.
    if (message_checksum(body, src, dst, 3, ChecksumForm::pseudo_header) == 0)
      out.form = ChecksumForm::pseudo_header;
    else if (message_checksum(body, src, dst, 3, ChecksumForm::message_only) == 0)
      out.form = ChecksumForm::message_only;
    else {
      out.drop = Drop::bad_checksum;
      return out;
    }
  } else {
    ChecksumForm f = version == 2 ? ChecksumForm::message_only : ChecksumForm::pseudo_header;
    if (message_checksum(body, src, dst, version, f) != 0) {
      out.drop = Drop::bad_checksum;
      return out;
    }
    out.form = f;
  }
  if (version == 2) {
    a.auth = Auth(msg[4]);
    a.interval = msg[5];
  } else {
    a.interval = std::uint16_t(((msg[4] & 0x0f) << 8) | msg[5]);
  }
  a.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    a.addresses.push_back(
        core::IpAddress::from_bytes(src.family(), msg.data() + header_size + i * addr_size));
  if (version == 2)
    std::copy_n(msg.data() + header_size + count * addr_size, v2_auth_size, a.auth_data.begin());
  return out;
}

std::vector<std::uint8_t> encode(const Advert& a, const core::IpAddress& src,
                                 const core::IpAddress& dst, ChecksumForm form) {
  std::size_t addr_size = src.size();
  std::size_t size =
      header_size + a.addresses.size() * addr_size + (a.version == 2 ? v2_auth_size : 0);
  std::vector<std::uint8_t> msg(size, 0);
  msg[0] = std::uint8_t((a.version << 4) | 1);
  msg[1] = a.vrid;
  msg[2] = a.priority;
  msg[3] = std::uint8_t(a.addresses.size());
  if (a.version == 2) {
    msg[4] = std::uint8_t(a.auth);
    msg[5] = std::uint8_t(a.interval);
  } else {
    msg[4] = std::uint8_t((a.interval >> 8) & 0x0f);
    msg[5] = std::uint8_t(a.interval & 0xff);
  }
  std::size_t off = header_size;
  for (const auto& addr : a.addresses) {
    std::copy_n(addr.data(), addr_size, msg.begin() + std::ptrdiff_t(off));
    off += addr_size;
  }
  if (a.version == 2)
    std::copy(a.auth_data.begin(), a.auth_data.end(), msg.begin() + std::ptrdiff_t(off));
  std::uint16_t sum = message_checksum(msg, src, dst, a.version,
                                       a.version == 2 ? ChecksumForm::message_only : form);
  msg[6] = std::uint8_t(sum >> 8);
  msg[7] = std::uint8_t(sum & 0xff);
  return msg;
}

} // namespace vigil::vrrp
