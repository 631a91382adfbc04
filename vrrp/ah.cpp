#include "vrrp/ah.hpp"

#include <algorithm>
#include <array>

namespace vigil::vrrp::ah {
namespace {

// --- MD5, RFC 1321 ---------------------------------------------------------------------------

// T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 3.4, tabulated.
constexpr std::array<std::uint32_t, 64> md5_k{
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// Per-round left rotations (RFC 1321 3.4), four per round.
constexpr std::array<unsigned, 16> md5_s = {7, 12, 17, 22, 5, 9,  14, 20,
                                            4, 11, 16, 23, 6, 10, 15, 21};

constexpr std::uint32_t rotl(std::uint32_t x, unsigned n) {
  return (x << n) | (x >> (32 - n));
}

class Md5 {
public:
  void update(std::span<const std::uint8_t> data) {
    for (std::uint8_t b : data) {
      block_[fill_++] = b;
      if (fill_ == block_.size()) {
        compress();
        fill_ = 0;
      }
    }
    length_ += data.size();
  }

  std::array<std::uint8_t, 16> finish() {
    // RFC 1321 3.1-3.2: a 1 bit, zeros up to 56 mod 64, then the bit length, little-endian.
    std::uint64_t bits = length_ * 8;
    static constexpr std::array<std::uint8_t, 1> one{0x80};
    static constexpr std::array<std::uint8_t, 1> zero{0x00};
    update(one);
    while (fill_ != 56)
      update(zero);
    std::array<std::uint8_t, 8> len{};
    for (std::size_t i = 0; i < 8; ++i)
      len[i] = std::uint8_t(bits >> (8 * i));
    update(len);
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < 4; ++i)
      for (std::size_t j = 0; j < 4; ++j)
        out[i * 4 + j] = std::uint8_t(state_[i] >> (8 * j));
    return out;
  }

private:
  void compress() {
    std::array<std::uint32_t, 16> m{};
    for (std::size_t i = 0; i < 16; ++i)
      m[i] = std::uint32_t(block_[i * 4]) | (std::uint32_t(block_[i * 4 + 1]) << 8) |
             (std::uint32_t(block_[i * 4 + 2]) << 16) | (std::uint32_t(block_[i * 4 + 3]) << 24);
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    for (std::size_t i = 0; i < 64; ++i) {
      std::uint32_t f;
      std::size_t g;
      std::size_t round = i / 16;
      if (round == 0) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (round == 1) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (round == 2) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      std::uint32_t next = b + rotl(a + f + md5_k[i] + m[g], md5_s[round * 4 + i % 4]);
      a = d;
      d = c;
      c = b;
      b = next;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
  }

  std::array<std::uint32_t, 4> state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  std::array<std::uint8_t, 64> block_{};
  std::size_t fill_ = 0;
  std::uint64_t length_ = 0;
};

// --- the packet ------------------------------------------------------------------------------

constexpr std::uint8_t next_header_vrrp = ip_proto_vrrp;

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v >> 8);
  p[1] = std::uint8_t(v);
}

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
  auto mac = hmac_md5(key, copy);
  std::array<std::uint8_t, icv_size> icv{};
  std::copy_n(mac.begin(), icv_size, icv.begin());
  return icv;
}

} // namespace

std::array<std::uint8_t, 16> md5(std::span<const std::uint8_t> data) {
  Md5 h;
  h.update(data);
  return h.finish();
}

std::array<std::uint8_t, 16> hmac_md5(std::span<const std::uint8_t> key,
                                      std::span<const std::uint8_t> data) {
  // RFC 2104 2: H(K ^ opad, H(K ^ ipad, text)), K zero-padded to the 64-byte block.
  std::array<std::uint8_t, 64> k{};
  if (key.size() > k.size()) {
    auto digest = md5(key);
    std::copy(digest.begin(), digest.end(), k.begin());
  } else {
    std::copy(key.begin(), key.end(), k.begin());
  }
  std::array<std::uint8_t, 64> pad{};
  for (std::size_t i = 0; i < pad.size(); ++i)
    pad[i] = k[i] ^ 0x36;
  Md5 inner;
  inner.update(pad);
  inner.update(data);
  auto inner_digest = inner.finish();
  for (std::size_t i = 0; i < pad.size(); ++i)
    pad[i] = k[i] ^ 0x5c;
  Md5 outer;
  outer.update(pad);
  outer.update(inner_digest);
  return outer.finish();
}

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
  ip[0] = 0x45; // version 4, IHL 5
  ip[1] = tos;
  put16(ip + 2, std::uint16_t(total));
  put16(ip + 4, ip_id);
  // bytes 6-7: no flags (keepalived does not set DF), offset 0
  ip[8] = ttl;
  ip[9] = ip_proto_ah;
  std::copy_n(src.data(), 4, ip + 12);
  std::copy_n(dst.data(), 4, ip + 16);
  std::uint8_t* ah = ip + ip_header_size;
  ah[0] = next_header_vrrp;
  ah[1] = payload_length;
  put32(ah + 4, spi);
  put32(ah + 8, seq);
  std::copy(vrrp_message.begin(), vrrp_message.end(), ah + ah_size);
  auto icv = compute_icv(p, ip_header_size, !dst.is_multicast(), key);
  std::copy(icv.begin(), icv.end(), ah + 12);
  put16(ip + 10, internet_checksum(std::span<const std::uint8_t>(ip, ip_header_size)));
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
