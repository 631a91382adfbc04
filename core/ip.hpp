#pragma once
// IP address and prefix value types. Pure: parsing and formatting are our own (no libc socket
// headers), so every domain library can use them.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::core {

enum class Family : std::uint8_t { inet = 4, inet6 = 6 };

/// An IPv4 or IPv6 address. Bytes are in network order; an IPv4 address uses the first 4 bytes.
class IpAddress {
public:
  IpAddress() = default;
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress from_bytes(Family f, const std::uint8_t* bytes);

  /// Parses dotted quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::inet; }
  bool is_v6() const { return family_ == Family::inet6; }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint32_t v4_host_order() const;

  bool is_multicast() const;
  bool is_link_local() const; ///< fe80::/10 or 169.254/16
  bool is_unspecified() const;

  /// RFC 5952 text for IPv6, dotted quad for IPv4.
  std::string to_string() const;

  /// Orders by family, then unsigned network-order value (RFC 5798 6.4.3 tie-break order).
  /// (The bytes compared as one block: the member-wise default compared them one by one, which
  /// was a tenth of building a 37,000-destination IPVS table.)
  std::strong_ordering operator<=>(const IpAddress& o) const {
    if (family_ != o.family_)
      return family_ <=> o.family_;
    return std::memcmp(bytes_.data(), o.bytes_.data(), bytes_.size()) <=> 0;
  }
  bool operator==(const IpAddress& o) const {
    return family_ == o.family_ && std::memcmp(bytes_.data(), o.bytes_.data(), bytes_.size()) == 0;
  }

private:
  Family family_ = Family::inet;
  std::array<std::uint8_t, 16> bytes_{};
};

/// An address with a prefix length; `address` keeps the host bits as written.
struct IpPrefix {
  IpAddress address;
  std::uint8_t length = 0;

  /// Parses `ADDR[/LEN]`; without `/LEN` the length is the full width (32 or 128).
  static std::optional<IpPrefix> parse(std::string_view text);
  std::string to_string() const;
  /// Whether `a` lies inside this prefix.
  bool contains(const IpAddress& a) const;
  auto operator<=>(const IpPrefix&) const = default;
  bool operator==(const IpPrefix&) const = default;
};

} // namespace vigil::core
