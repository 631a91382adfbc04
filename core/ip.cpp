#include "core/ip.hpp"

#include <algorithm>
#include <cstring>

namespace vigil::core {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::optional<std::array<std::uint8_t, 4>> parse_v4(std::string_view s) {
  std::array<std::uint8_t, 4> out{};
  std::size_t part = 0;
  std::size_t i = 0;
  while (part < 4) {
    unsigned value = 0;
    std::size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + unsigned(s[i] - '0');
      ++digits;
      ++i;
      if (digits > 3)
        return std::nullopt;
    }
    if (digits == 0 || value > 255)
      return std::nullopt;
    out[part++] = std::uint8_t(value);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.')
        return std::nullopt;
      ++i;
    }
  }
  if (i != s.size())
    return std::nullopt;
  return out;
}

std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view s) {
  std::array<std::uint16_t, 8> head{};
  std::array<std::uint16_t, 8> tail{};
  std::size_t nhead = 0;
  std::size_t ntail = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.size() < 2)
    return std::nullopt;
  if (s[0] == ':') {
    if (s[1] != ':')
      return std::nullopt;
    compressed = true;
    i = 2;
  }
  std::optional<std::array<std::uint8_t, 4>> v4tail;
  while (i < s.size()) {
    // An embedded IPv4 address may end the text.
    std::size_t next_colon = s.find(':', i);
    std::string_view group =
        s.substr(i, next_colon == std::string_view::npos ? s.npos : next_colon - i);
    if (group.find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos)
        return std::nullopt;
      v4tail = parse_v4(group);
      if (!v4tail)
        return std::nullopt;
      i = s.size();
      break;
    }
    if (group.empty() || group.size() > 4)
      return std::nullopt;
    unsigned value = 0;
    for (char c : group) {
      int h = hex_value(c);
      if (h < 0)
        return std::nullopt;
      value = value * 16 + unsigned(h);
    }
    auto& arr = compressed ? tail : head;
    auto& n = compressed ? ntail : nhead;
    if (n >= 8)
      return std::nullopt;
    arr[n++] = std::uint16_t(value);
    i += group.size();
    if (i == s.size())
      break;
    ++i; // the ':'
    if (i < s.size() && s[i] == ':') {
      if (compressed)
        return std::nullopt;
      compressed = true;
      ++i;
    } else if (i == s.size()) {
      return std::nullopt; // trailing single ':'
    }
  }
  std::size_t groups = nhead + ntail + (v4tail ? 2 : 0);
  if (compressed ? groups > 7 : groups != 8)
    return std::nullopt;
  std::array<std::uint8_t, 16> out{};
  std::size_t pos = 0;
  for (std::size_t k = 0; k < nhead; ++k) {
    out[pos++] = std::uint8_t(head[k] >> 8);
    out[pos++] = std::uint8_t(head[k] & 0xff);
  }
  std::size_t tail_bytes = ntail * 2 + (v4tail ? 4 : 0);
  pos = 16 - tail_bytes;
  for (std::size_t k = 0; k < ntail; ++k) {
    out[pos++] = std::uint8_t(tail[k] >> 8);
    out[pos++] = std::uint8_t(tail[k] & 0xff);
  }
  if (v4tail)
    std::copy(v4tail->begin(), v4tail->end(), out.begin() + 12);
  return out;
}

} // namespace

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::inet;
  a.bytes_[0] = std::uint8_t(host_order >> 24);
  a.bytes_[1] = std::uint8_t(host_order >> 16);
  a.bytes_[2] = std::uint8_t(host_order >> 8);
  a.bytes_[3] = std::uint8_t(host_order);
  return a;
}

IpAddress IpAddress::from_bytes(Family f, const std::uint8_t* bytes) {
  IpAddress a;
  a.family_ = f;
  std::memcpy(a.bytes_.data(), bytes, f == Family::inet ? 4 : 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    auto b = parse_v6(text);
    if (!b)
      return std::nullopt;
    return from_bytes(Family::inet6, b->data());
  }
  auto b = parse_v4(text);
  if (!b)
    return std::nullopt;
  return from_bytes(Family::inet, b->data());
}

std::uint32_t IpAddress::v4_host_order() const {
  return (std::uint32_t(bytes_[0]) << 24) | (std::uint32_t(bytes_[1]) << 16) |
         (std::uint32_t(bytes_[2]) << 8) | std::uint32_t(bytes_[3]);
}

bool IpAddress::is_multicast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::is_link_local() const {
  return is_v4() ? (bytes_[0] == 169 && bytes_[1] == 254)
                 : (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

bool IpAddress::is_unspecified() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + std::ptrdiff_t(size()),
                     [](std::uint8_t b) { return b == 0; });
}

std::string IpAddress::to_string() const {
  if (is_v4()) {
    // Written into one buffer: start-up names tens of thousands of real servers.
    char buf[16];
    char* p = buf;
    for (std::size_t k = 0; k < 4; ++k) {
      unsigned b = bytes_[k];
      if (b >= 100)
        *p++ = char('0' + b / 100);
      if (b >= 10)
        *p++ = char('0' + b / 10 % 10);
      *p++ = char('0' + b % 10);
      if (k < 3)
        *p++ = '.';
    }
    return std::string(buf, std::size_t(p - buf));
  }
  std::array<unsigned, 8> g{};
  for (std::size_t k = 0; k < 8; ++k)
    g[k] = (unsigned(bytes_[2 * k]) << 8) | bytes_[2 * k + 1];
  // RFC 5952 4.2: compress the longest run (first one on ties) of two or more zero groups.
  int best = -1;
  int best_len = 0;
  for (int k = 0; k < 8;) {
    if (g[std::size_t(k)] != 0) {
      ++k;
      continue;
    }
    int start = k;
    while (k < 8 && g[std::size_t(k)] == 0)
      ++k;
    if (k - start > best_len) {
      best = start;
      best_len = k - start;
    }
  }
  if (best_len < 2)
    best = -1;
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':')
      out += ':';
    unsigned v = g[std::size_t(k)];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned d = (v >> shift) & 0xf;
      if (d != 0 || started || shift == 0) {
        out += digits[d];
        started = true;
      }
    }
  }
  return out;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr)
    return std::nullopt;
  unsigned max = addr->is_v4() ? 32 : 128;
  unsigned len = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3)
      return std::nullopt;
    len = 0;
    for (char c : digits) {
      if (c < '0' || c > '9')
        return std::nullopt;
      len = len * 10 + unsigned(c - '0');
    }
    if (len > max)
      return std::nullopt;
  }
  return IpPrefix{*addr, std::uint8_t(len)};
}

std::string IpPrefix::to_string() const {
  return address.to_string() + '/' + std::to_string(length);
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != address.family())
    return false;
  unsigned full = length / 8;
  if (std::memcmp(a.data(), address.data(), full) != 0)
    return false;
  unsigned rest = length % 8;
  if (rest == 0)
    return true;
  std::uint8_t mask = std::uint8_t(0xff << (8 - rest));
  return (a.data()[full] & mask) == (address.data()[full] & mask);
}

} // namespace vigil::core
