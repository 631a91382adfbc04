#pragma once
// VRRPv2 "IP Authentication Header" authentication (RFC 2338 5.3.6.3 and 10), as keepalived
// 2.2.7 puts it on the wire. Pure: builds and checks whole IPv4 packets over byte spans; the
// HMAC-MD5 comes from core/digest.hpp (libcrypto, no IO), so the codec stays testable and
// fuzzable.
//
// What keepalived 2.2.7 sends and accepts (established by capturing it with tcpdump in network
// namespaces and by feeding it hand-built packets; Debian 12 package):
//
// Packet: IPv4 header (20 bytes, no options) + AH (24 bytes) + the VRRPv2 message.
//   - IP header built by keepalived (IP_HDRINCL): TOS 0xc0, flags/fragment offset 0, TTL 255
//     (multicast) or unicast_ttl (unicast), protocol 51, valid header checksum.
//   - IP id: a per-instance counter, 1 for the first advert after start, +1 per advert (every
//     unicast peer of one advert gets the same id). Not persisted. Linux replaces an id of 0 in
//     an IP_HDRINCL packet by its own, which breaks the ICV: never send id 0.
//   - AH: next header 112, payload length 4 (24-byte AH: 12 fixed bytes + 12-byte ICV),
//     reserved 0, SPI = the sender's IPv4 address (10.77.0.1 -> 0x0a4d0001), sequence number,
//     ICV = HMAC-MD5-96 (RFC 2403): the first 12 bytes of HMAC-MD5.
//   - VRRP message: auth type 2, the 8 authentication-data bytes all zero (the password is never
//     on the wire), the usual VRRPv2 checksum over the message.
// Key: auth_pass truncated to 8 bytes ("Truncating auth_pass to 8 characters" is logged). A
//   shorter password is used as is; zero padding makes no difference to HMAC, so the 8-byte
//   NUL-padded password gives the same ICV.
// ICV coverage: the whole IP packet (header, AH, VRRP message) with these fields zeroed: TOS,
//   flags/fragment offset, header checksum, the ICV itself, and the TTL when the packet goes to
//   a unicast destination (a unicast instance). For a multicast destination the TTL (255) is
//   covered as it is. The IP id, total length, addresses, SPI and sequence number are covered.
//   keepalived applies the same rule on receipt (a multicast instance drops a bad TTL before it
//   looks at the ICV: "invalid TTL/HL. Received 254 and expect 255").
// Sequence numbers: ONE counter per instance, shared by sending and receiving, starting at 0
//   (so the first advert after start carries 1), not persisted across restarts. An accepted
//   advert sets the counter to its sequence number; each sent advert carries counter + 1 and
//   advances it (a backup that accepted seq 102 and then becomes master sends 103, 104, ...).
//   Receipt demands seq > counter, otherwise: "(VI_1) IPSEC-AH : sequence number 6 already
//   processed. Packet dropped. Local(6)". A restarted keepalived starts at 0 again but in
//   BACKUP (it refuses `state MASTER` with AH: "Initial state master is incompatible with AH
//   authentication - clearing"), so the current master's adverts lift its counter before it
//   sends; observed: a stop/start of the priority-200 router hands back to it without a single
//   replay drop. A router that sends before hearing its peers starts at seq 1 and is dropped as
//   a replay by every peer whose counter is higher.
// Receipt checks, each logged by keepalived and counted in the instance's stats as an
//   "Authentication Errors: Failure": SPI != source address ("IPSEC AH : invalid IPSEC SPI
//   value. 16796938 and expect 2018915346" for SPI 0x12345678 from 10.77.0.1: both numbers
//   byte-swapped and the labels the wrong way round; no instance name), bad ICV (wrong key or a
//   mutated covered field: "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields
//   mutation or bad password !"), replay (above). Every dropped packet is logged.
// Kernel: with no xfrm state (and on kernels without the ah4 handler) a raw IPPROTO_AH socket
//   receives these packets like any raw socket; nothing else in the stack consumes them.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/ip.hpp"
#include "vrrp/packet.hpp"

namespace vigil::vrrp::ah {

constexpr std::uint8_t ip_proto_ah = 51;
constexpr std::size_t ip_header_size = 20; ///< what seal() builds (no options)
constexpr std::size_t icv_size = 12;       ///< HMAC-MD5-96
constexpr std::size_t ah_size = 12 + icv_size;
constexpr std::uint8_t payload_length = ah_size / 4 - 2; ///< RFC 4302 2.2: 4
constexpr std::uint8_t tos = 0xc0;                       ///< DSCP CS6, keepalived's TOS
constexpr std::size_t max_key_size = 8;                  ///< keepalived truncates auth_pass to 8

/// The SPI keepalived uses and expects: the sender's IPv4 address as a 32-bit number.
std::uint32_t spi_for(const core::IpAddress& src);

/// Builds a complete IPv4 packet: IP header + AH + `vrrp_message`, byte-identical to what
/// keepalived 2.2.7 sends for the same inputs (see the facts above). `ttl` goes on the wire and
/// is covered by the ICV only for a multicast `dst`. `ip_id` must not be 0 (Linux would replace
/// it after the ICV was computed). `key`: the password bytes, at most 64 (keepalived's is at
/// most 8; NUL padding does not change the result). Returns an empty vector when `src` or `dst`
/// is not IPv4 or the packet would exceed 65535 bytes.
std::vector<std::uint8_t> seal(const core::IpAddress& src, const core::IpAddress& dst,
                               std::uint16_t ip_id, std::uint8_t ttl, std::uint32_t spi,
                               std::uint32_t seq, std::span<const std::uint8_t> vrrp_message,
                               std::span<const std::uint8_t> key);

/// Why open() refused a packet.
enum class Reason : std::uint8_t {
  none,
  too_short,     ///< shorter than its IP header, its total length, or IP header + AH
  not_ipv4,      ///< IP version is not 4
  not_ah,        ///< IP protocol is not 51
  bad_ah_header, ///< next header is not 112, or payload length is not 4 (no 96-bit ICV)
  bad_spi,       ///< SPI is not the source address (keepalived's rule)
  bad_icv,       ///< the ICV does not match: wrong key or a covered field changed
  count_
};

std::string_view to_string(Reason r);

/// The receive-ladder counter a refusal falls under: too_short -> Drop::too_short, not_ipv4 ->
/// Drop::bad_version, every AH failure -> Drop::auth_mismatch (keepalived counts them all as
/// authentication failures).
Drop to_drop(Reason r);

/// A checked packet. The spans point into the packet given to open().
struct Opened {
  Reason reason = Reason::none;
  std::span<const std::uint8_t> message; ///< the VRRP message (after the AH), when accepted
  std::uint32_t spi = 0;                 ///< also set for bad_spi and bad_icv
  std::uint32_t seq = 0;                 ///< also set for bad_spi and bad_icv
  core::IpAddress src;                   ///< from the IP header, when it was long enough
  core::IpAddress dst;
  std::uint8_t ttl = 0;
  std::uint16_t ip_id = 0;
  bool ok() const { return reason == Reason::none; }
};

/// Checks an IPv4 packet starting at its IP header (what an IPv4 raw socket delivers): IP
/// version, lengths (bytes past the IP total length are ignored), protocol 51, AH next header
/// 112 with a 96-bit ICV, SPI == source address, and the ICV under `key` with keepalived's
/// zeroing rule (TTL zeroed when `dst` is unicast). The sequence number is NOT judged here: pass
/// `seq` to the instance's Sequence::accept().
Opened open(std::span<const std::uint8_t> ip_packet, std::span<const std::uint8_t> key);

/// keepalived's per-instance sequence counter, shared by sending and receiving (see above).
class Sequence {
public:
  /// The sequence number for the next advert (all unicast peers of one advert share it).
  std::uint32_t next() { return ++last_; }
  /// Judges a received sequence number (after its ICV was verified): true and remembered when
  /// it is above the counter; false means Drop::replayed.
  bool accept(std::uint32_t seq) {
    if (seq <= last_)
      return false;
    last_ = seq;
    return true;
  }
  std::uint32_t last() const { return last_; }

private:
  std::uint32_t last_ = 0;
};

/// The IP id of an instance's AH adverts: 1, 2, ... per advert, skipping 0 on wrap-around.
class IpId {
public:
  std::uint16_t next() {
    if (++last_ == 0)
      last_ = 1;
    return last_;
  }

private:
  std::uint16_t last_ = 0;
};

} // namespace vigil::vrrp::ah
