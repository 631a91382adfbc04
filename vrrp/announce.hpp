#pragma once
// Address announcements a new master sends for its virtual addresses (RFC 9568 6.4.1 and
// 6.4.2): a gratuitous ARP per IPv4 address, an unsolicited Neighbor Advertisement per IPv6
// address. Pure: complete Ethernet frames as bytes, ready for an AF_PACKET SOCK_RAW socket
// (vrrp/io/announcer.hpp); the caller passes the source MAC and, for IPv6, the link-local
// source address. No padding: an Ethernet frame shorter than 60 bytes (without FCS) is padded
// by the kernel or the NIC, so the builders return the exact header + payload bytes.
#include <array>
#include <cstdint>
#include <vector>

#include "core/ip.hpp"

namespace vigil::vrrp {

/// An IEEE 802 MAC address, in transmission (network) order.
using Mac = std::array<std::uint8_t, 6>;

constexpr std::uint16_t ethertype_arp = 0x0806;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

constexpr std::size_t ethernet_header_size = 14; ///< dst MAC, src MAC, ethertype
constexpr std::size_t garp_frame_size = 42;      ///< Ethernet + 28-byte ARP for IPv4
constexpr std::size_t na_frame_size = 86;        ///< Ethernet + 40 (IPv6) + 32 (NA with one option)

/// The VRRP virtual router MAC: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6
/// (RFC 5798 7.3, unchanged in RFC 9568 7.3).
Mac virtual_mac(core::Family f, std::uint8_t vrid);

/// A gratuitous ARP for the IPv4 address `vip`, as an ARP announcement (RFC 5227 2.3): an
/// Ethernet broadcast (dst ff:ff:ff:ff:ff:ff, src `src_mac`, ethertype 0x0806) carrying an ARP
/// request (RFC 826: htype 1 Ethernet, ptype 0x0800, hlen 6, plen 4, oper 1) whose sender
/// hardware address is `src_mac`, sender and target protocol addresses are both `vip`
/// (RFC 9568 6.4.2 as corrected by errata 7947 and 7949) and target hardware address is zero.
/// Always garp_frame_size (42) bytes, not padded. An IPv6 `vip` yields an empty vector.
std::vector<std::uint8_t> garp_frame(const Mac& src_mac, const core::IpAddress& vip);

/// An unsolicited Neighbor Advertisement for the IPv6 address `vip` (RFC 4861 4.4 and 7.2.6):
/// - Ethernet: dst 33:33:00:00:00:01 (ff02::1 mapped per RFC 2464 7), src `src_mac`, 0x86dd;
/// - IPv6 (RFC 8200 3): traffic class 0, flow label 0, payload length 32, next header 58
///   (ICMPv6), hop limit 255 (required by RFC 4861 7.1.2), src `src_ll`, dst ff02::1 (all
///   nodes). vigil passes the interface's link-local address; RFC 4861 4.4 accepts any
///   address of the sending interface (keepalived 2.2.7 sends from the VIP itself);
/// - ICMPv6 type 136 code 0, checksum over the RFC 8200 8.1 pseudo-header (src, dst,
///   upper-layer length 32, next header 58) and the message; flags Router = `router`,
///   Solicited = 0, Override = 1 (RFC 9568 6.4.1 and 6.4.2 ask for R set, S clear, O set; R
///   is a parameter: keepalived 2.2.7 sets it only when IPv6 forwarding is on); target
///   `vip`; one Target Link-Layer Address option (type 2, length 1 = 8 bytes) with `src_mac`.
/// Always na_frame_size (86) bytes. An IPv4 `src_ll` or `vip` yields an empty vector.
std::vector<std::uint8_t> unsolicited_na_frame(const Mac& src_mac, const core::IpAddress& src_ll,
                                               const core::IpAddress& vip, bool router);

} // namespace vigil::vrrp
