#pragma once
// VRRP advertisement codec: RFC 3768 (v2) and RFC 5798 / RFC 9568 (v3), over byte spans.
// Pure: the caller passes the IP source/destination (for v3 checksums) and gets bytes or a
// decoded advert with the reason it was dropped.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/ip.hpp"

namespace vigil::vrrp {

constexpr std::uint8_t ip_proto_vrrp = 112;
constexpr std::uint8_t required_ttl = 255; // RFC 3768 5.2.3, RFC 9568 5.1.1.3 and 5.1.2.3

/// RFC 2338 authentication types carried by VRRPv2 (RFC 3768 keeps the field).
enum class Auth : std::uint8_t { none = 0, simple = 1, ah = 2 };

/// The VRRPv3 IPv4 checksum forms (RFC 9568 5.2.8 versus the RFC 5798 reading).
enum class ChecksumForm : std::uint8_t {
  pseudo_header, ///< IPv4 pseudo-header included: keepalived and FRR default; always for IPv6
  message_only,  ///< RFC 9568 IPv4: the VRRP message only (also VRRPv2's rule)
};

/// A decoded (or to-be-encoded) advertisement. Intervals are in the version's own unit:
/// seconds for v2, centiseconds for v3 (the codec is the only place that knows).
struct Advert {
  std::uint8_t version = 3;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 0;
  std::uint16_t interval = 0;              ///< v2: Adver Int (s), v3: Max Adver Int (cs, 12 bits)
  Auth auth = Auth::none;                  ///< v2 only
  std::array<std::uint8_t, 8> auth_data{}; ///< v2 only
  std::vector<core::IpAddress> addresses;
};

/// Every reason a received packet is dropped (RFC 9568 7.1 ladder and our own checks).
enum class Drop : std::uint8_t {
  none,
  too_short,   ///< shorter than the header, or than its address count says
  bad_version, ///< neither 2 nor 3, or v2 over IPv6
  bad_type,    ///< type is not ADVERTISEMENT (1)
  bad_checksum,
  bad_ttl,           ///< TTL / hop limit is not 255
  unknown_vrid,      ///< no instance for this VRID on this interface
  version_mismatch,  ///< the instance runs the other version
  auth_mismatch,     ///< v2 auth type or password differs
  interval_mismatch, ///< v2 interval differs from ours (RFC 3768 7.1)
  zero_interval,     ///< v3 Max Adver Int of 0 (RFC 9568 erratum 8301)
  zero_count,        ///< v3 address count of 0 (RFC 9568 erratum 8299)
  address_mismatch,  ///< advertised addresses differ from ours (v3: counted, still accepted)
  family_mismatch,
  not_a_peer,       ///< unicast source not in unicast_peer (check_unicast_src)
  own_packet,       ///< our own advert looped back
  unicast_mismatch, ///< multicast advert for a unicast instance, or the reverse
  replayed,         ///< AH sequence number not above the instance's counter (vrrp/ah.hpp)
  count_            ///< number of reasons
};

std::string_view to_string(Drop d);

struct Decoded {
  Drop drop = Drop::none;
  Advert advert;                                   ///< meaningful when drop == none
  ChecksumForm form = ChecksumForm::pseudo_header; ///< the form the sender used (v3 IPv4)
};

/// Decodes the VRRP message `msg` (the IP payload) received from `src` to `dst`.
/// Checks version, type, length and checksum; accepts both v3 IPv4 checksum forms.
Decoded decode(std::span<const std::uint8_t> msg, const core::IpAddress& src,
               const core::IpAddress& dst);

/// Encodes `a` for sending from `src` to `dst`. `form` matters for v3 over IPv4 only.
std::vector<std::uint8_t> encode(const Advert& a, const core::IpAddress& src,
                                 const core::IpAddress& dst,
                                 ChecksumForm form = ChecksumForm::pseudo_header);

/// The Internet checksum (RFC 1071) of `data`, folded, starting from the partial sum `sum`.
std::uint16_t internet_checksum(std::span<const std::uint8_t> data, std::uint32_t sum = 0);

/// What an IP header written by put_ip_header() says besides its addresses.
struct IpHeader {
  std::uint8_t protocol = ip_proto_vrrp; ///< IPv4 protocol / IPv6 next header
  std::uint8_t ttl = 255;                ///< TTL / hop limit
  std::uint8_t traffic_class = 0;        ///< IPv4 TOS / IPv6 traffic class
  std::uint16_t id = 0;                  ///< IPv4 identification
  bool dont_fragment = false;            ///< IPv4 DF
};

/// The size of the header put_ip_header() writes for `family`: 20 (IPv4, no options) or 40.
std::size_t ip_header_length(core::Family family);

/// Writes at `out` (ip_header_length() bytes) the IP header of a packet from `src` to `dst` (one
/// family) carrying `payload_size` bytes: IPv4 with its header checksum, or IPv6 with flow
/// label 0. Returns false (writing nothing) if the addresses differ in family or the packet
/// would be larger than the length fields allow.
bool put_ip_header(std::uint8_t* out, const core::IpAddress& src, const core::IpAddress& dst,
                   const IpHeader& h, std::size_t payload_size);

/// The link-layer (Ethernet) address IP multicast group `group` maps to: 01:00:5e and the low
/// 23 bits of an IPv4 group (RFC 1112 6.4), 33:33 and the low 32 bits of an IPv6 one (RFC 2464
/// 7).
std::array<std::uint8_t, 6> multicast_mac(const core::IpAddress& group);

} // namespace vigil::vrrp
