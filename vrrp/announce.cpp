#include "vrrp/announce.hpp"

#include <algorithm>
#include <span>

#include "vrrp/packet.hpp"

namespace vigil::vrrp {
namespace {

constexpr Mac broadcast_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
// RFC 2464 7: 33:33 followed by the low 32 bits of ff02::1.
constexpr Mac all_nodes_mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
constexpr std::array<std::uint8_t, 16> all_nodes_ip{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                    0,    0,    0, 0, 0, 0, 0, 1};

constexpr std::uint8_t next_header_icmpv6 = 58;
constexpr std::uint8_t nd_hop_limit = 255; // RFC 4861 7.1.2: receivers drop anything else
constexpr std::uint8_t icmpv6_neighbor_advertisement = 136;
constexpr std::uint8_t nd_option_target_lladdr = 2;
constexpr std::size_t ipv6_header_size = 40;
constexpr std::size_t na_message_size = 32; // 4 ICMPv6 + 4 flags + 16 target + 8 option

// RFC 4861 4.4: the flags are the top three bits of the 32 bits after the checksum.
constexpr std::uint8_t na_flag_router = 0x80;
constexpr std::uint8_t na_flag_override = 0x20; // Solicited (0x40) stays clear

/// Appends bytes to a frame being built; the frames are small and fixed, so no bounds logic.
class Writer {
public:
  explicit Writer(std::size_t size) { out_.reserve(size); }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(std::uint8_t(v >> 8));
    out_.push_back(std::uint8_t(v & 0xff));
  }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void address(const core::IpAddress& a) { bytes({a.data(), a.size()}); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, std::uint8_t(0)); }
  std::vector<std::uint8_t>& frame() { return out_; }

private:
  std::vector<std::uint8_t> out_;
};

void ethernet_header(Writer& w, const Mac& dst, const Mac& src, std::uint16_t ethertype) {
  w.bytes(dst);
  w.bytes(src);
  w.u16(ethertype);
}

} // namespace

Mac virtual_mac(core::Family f, std::uint8_t vrid) {
  // RFC 5798 7.3: IANA's 00-00-5E OUI, then 00-01 (IPv4) or 00-02 (IPv6), then the VRID.
  return {0x00, 0x00, 0x5e, 0x00, std::uint8_t(f == core::Family::inet ? 0x01 : 0x02), vrid};
}

std::vector<std::uint8_t> garp_frame(const Mac& src_mac, const core::IpAddress& vip) {
  if (!vip.is_v4())
    return {};
  Writer w(garp_frame_size);
  ethernet_header(w, broadcast_mac, src_mac, ethertype_arp);
  w.u16(1);      // hardware type: Ethernet (RFC 826)
  w.u16(0x0800); // protocol type: IPv4
  w.u8(6);       // hardware address length
  w.u8(4);       // protocol address length
  w.u16(1);      // operation: request. RFC 5227 3 explains why an announcement is a request:
                 // every host processes a broadcast request, while replies are often ignored.
  w.bytes(src_mac);
  w.address(vip); // sender IP = VIP ...
  w.zeros(6);     // target hardware address: unknown, zero (RFC 5227 2.3)
  w.address(vip); // ... = target IP (RFC 9568 errata 7947 and 7949)
  return std::move(w.frame());
}

std::vector<std::uint8_t> unsolicited_na_frame(const Mac& src_mac, const core::IpAddress& src_ll,
                                               const core::IpAddress& vip, bool router) {
  if (!src_ll.is_v6() || !vip.is_v6())
    return {};
  Writer w(na_frame_size);
  ethernet_header(w, all_nodes_mac, src_mac, ethertype_ipv6);

  // IPv6 header (RFC 8200 3): version 6, traffic class 0, flow label 0.
  w.u8(0x60);
  w.zeros(3);
  w.u16(std::uint16_t(na_message_size));
  w.u8(next_header_icmpv6);
  w.u8(nd_hop_limit);
  w.address(src_ll);
  w.bytes(all_nodes_ip);

  // ICMPv6 Neighbor Advertisement (RFC 4861 4.4), checksum zero until computed.
  const std::size_t icmp_at = ethernet_header_size + ipv6_header_size;
  w.u8(icmpv6_neighbor_advertisement);
  w.u8(0); // code
  w.u16(0);
  w.u8(std::uint8_t(na_flag_override | (router ? na_flag_router : 0)));
  w.zeros(3); // rest of the reserved field
  w.address(vip);
  w.u8(nd_option_target_lladdr);
  w.u8(1); // option length in units of 8 bytes: type, length and the 6-byte MAC
  w.bytes(src_mac);

  // RFC 4443 2.3 and RFC 8200 8.1: the checksum covers a pseudo-header (source, destination,
  // the 32-bit upper-layer length, 3 zero bytes and the next header) followed by the message.
  std::vector<std::uint8_t>& frame = w.frame();
  std::array<std::uint8_t, 40 + na_message_size> covered{};
  std::copy_n(src_ll.data(), 16, covered.begin());
  std::copy(all_nodes_ip.begin(), all_nodes_ip.end(), covered.begin() + 16);
  covered[35] = std::uint8_t(na_message_size);
  covered[39] = next_header_icmpv6;
  std::copy(frame.begin() + std::ptrdiff_t(icmp_at), frame.end(), covered.begin() + 40);
  std::uint16_t sum = internet_checksum(covered);
  frame[icmp_at + 2] = std::uint8_t(sum >> 8);
  frame[icmp_at + 3] = std::uint8_t(sum & 0xff);
  return std::move(frame);
}

} // namespace vigil::vrrp
