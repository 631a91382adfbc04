// Announcement frames, byte for byte. The expected frames are written field by field from
// RFC 826 / RFC 5227 (ARP) and RFC 8200 / RFC 4861 (IPv6, NA); the two ICMPv6 checksums were
// computed independently with a Python RFC 1071 sum over the RFC 8200 8.1 pseudo-header:
//   src fe80::5054:ff:fe12:3456, dst ff02::1, length 32, next header 58, then the message:
//   R|O (0xa0) -> 0xcf0b, O only (0x20) -> 0x4f0c.
#include <catch2/catch.hpp>

#include <algorithm>

#include "vrrp/announce.hpp"
#include "vrrp/packet.hpp"

using namespace vigil;
using vrrp::Mac;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

const Mac mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

using Bytes = std::vector<std::uint8_t>;

const Bytes garp_10_99_0_100 = {
    // Ethernet: broadcast destination, source, ethertype ARP
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
    // ARP: htype 1, ptype 0x0800, hlen 6, plen 4, oper 1 (request)
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
    // sender hardware address, sender protocol address 10.99.0.100
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x63, 0x00, 0x64,
    // target hardware address 0, target protocol address 10.99.0.100
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x63, 0x00, 0x64};

Bytes na_fd00_99__100(std::uint8_t flags, std::uint8_t sum_hi, std::uint8_t sum_lo) {
  return {// Ethernet: 33:33:00:00:00:01, source, ethertype IPv6
          0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd,
          // IPv6: version 6, class 0, flow 0, payload 32, next header 58, hop limit 255
          0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff,
          // source fe80::5054:ff:fe12:3456
          0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34,
          0x56,
          // destination ff02::1
          0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x01,
          // ICMPv6: type 136, code 0, checksum, flags, reserved
          0x88, 0x00, sum_hi, sum_lo, flags, 0x00, 0x00, 0x00,
          // target fd00:99::100
          0xfd, 0x00, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
          0x00,
          // option: Target Link-Layer Address (2), length 1 (8 bytes), the MAC
          0x02, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
}

/// The ICMPv6 checksum verified the receiver's way: the sum over pseudo-header and message,
/// checksum field included, folds to 0.
std::uint16_t icmpv6_verify(const Bytes& frame) {
  std::span<const std::uint8_t> f(frame);
  Bytes covered(f.begin() + 22, f.begin() + 54); // source and destination addresses
  std::uint32_t length = std::uint32_t(frame[18]) << 8 | frame[19];
  covered.insert(covered.end(),
                 {0, 0, std::uint8_t(length >> 8), std::uint8_t(length), 0, 0, 0, frame[20]});
  covered.insert(covered.end(), f.begin() + 54, f.end());
  return vrrp::internet_checksum(covered);
}

// Captured with tcpdump from keepalived 2.2.7 (Debian 12) in network namespaces, vrrp_instance
// with virtual_ipaddress fd00:99::100/64 on eth0 (MAC e2:82:cd:6d:4f:49), entering MASTER with
// IPv6 forwarding off (so keepalived clears the Router flag). keepalived sends the NA from the
// VIP itself rather than from the link-local address.
const Bytes ka_na = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0xe2, 0x82, 0xcd, 0x6d, 0x4f, 0x49, 0x86,
                     0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfd, 0x00, 0x00, 0x99,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff,
                     0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0x00, 0x01, 0x88, 0x00, 0x5a, 0x32, 0x20, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x00,
                     0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                     0x02, 0x01, 0xe2, 0x82, 0xcd, 0x6d, 0x4f, 0x49};
// Same capture, VIP 10.99.0.100/24: keepalived fills the target hardware address with
// ff:ff:ff:ff:ff:ff where RFC 5227 2.1.1 and 2.3 ask for zeros.
const Bytes ka_garp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe2, 0x82, 0xcd, 0x6d, 0x4f,
                       0x49, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
                       0xe2, 0x82, 0xcd, 0x6d, 0x4f, 0x49, 0x0a, 0x63, 0x00, 0x64, 0xff,
                       0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x63, 0x00, 0x64};
const Mac ka_mac{0xe2, 0x82, 0xcd, 0x6d, 0x4f, 0x49};

} // namespace

TEST_CASE("unsolicited NA equals keepalived's for the same inputs") {
  Bytes f = vrrp::unsolicited_na_frame(ka_mac, ip("fd00:99::100"), ip("fd00:99::100"), false);
  CHECK(f == ka_na);
}

TEST_CASE("gratuitous ARP differs from keepalived's only in the zero target MAC") {
  Bytes f = vrrp::garp_frame(ka_mac, ip("10.99.0.100"));
  Bytes expected = ka_garp;
  std::fill(expected.begin() + 32, expected.begin() + 38, std::uint8_t(0));
  CHECK(f == expected);
  CHECK(f != ka_garp);
}

TEST_CASE("gratuitous ARP is an RFC 5227 announcement, byte for byte") {
  Bytes f = vrrp::garp_frame(mac, ip("10.99.0.100"));
  CHECK(f.size() == vrrp::garp_frame_size);
  CHECK(f == garp_10_99_0_100); // 42 bytes: not padded to the 60-byte Ethernet minimum
}

TEST_CASE("gratuitous ARP: sender IP equals target IP, target MAC is zero") {
  Bytes f = vrrp::garp_frame(mac, ip("192.0.2.255"));
  REQUIRE(f.size() == 42);
  CHECK(Bytes(f.begin() + 28, f.begin() + 32) == Bytes{192, 0, 2, 255});
  CHECK(Bytes(f.begin() + 38, f.begin() + 42) == Bytes{192, 0, 2, 255});
  CHECK(Bytes(f.begin() + 32, f.begin() + 38) == Bytes(6, 0));
  CHECK(Bytes(f.begin() + 6, f.begin() + 12) == Bytes(mac.begin(), mac.end()));
  CHECK(Bytes(f.begin() + 22, f.begin() + 28) == Bytes(mac.begin(), mac.end()));
}

TEST_CASE("gratuitous ARP of an IPv6 address is empty") {
  CHECK(vrrp::garp_frame(mac, ip("fd00::1")).empty());
}

TEST_CASE("unsolicited NA with the Router flag, byte for byte") {
  Bytes f =
      vrrp::unsolicited_na_frame(mac, ip("fe80::5054:ff:fe12:3456"), ip("fd00:99::100"), true);
  CHECK(f.size() == vrrp::na_frame_size);
  CHECK(f == na_fd00_99__100(0xa0, 0xcf, 0x0b));
  CHECK(icmpv6_verify(f) == 0);
}

TEST_CASE("unsolicited NA without the Router flag, byte for byte") {
  Bytes f =
      vrrp::unsolicited_na_frame(mac, ip("fe80::5054:ff:fe12:3456"), ip("fd00:99::100"), false);
  CHECK(f == na_fd00_99__100(0x20, 0x4f, 0x0c));
  CHECK(icmpv6_verify(f) == 0);
}

TEST_CASE("unsolicited NA: Solicited clear, Override set, checksum valid for other inputs") {
  const Mac vmac = vrrp::virtual_mac(core::Family::inet6, 0xfe);
  const char* targets[] = {"2001:db8::1", "fe80::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                           "::1"};
  for (const char* t : targets) {
    for (bool router : {false, true}) {
      CAPTURE(t, router);
      const core::IpAddress target = ip(t);
      Bytes f = vrrp::unsolicited_na_frame(vmac, ip("fe80::ffff:ffff:ffff:ffff"), target, router);
      REQUIRE(f.size() == vrrp::na_frame_size);
      CHECK(icmpv6_verify(f) == 0);
      CHECK((f[58] & 0x40) == 0);    // S
      CHECK((f[58] & 0x20) == 0x20); // O
      CHECK(bool(f[58] & 0x80) == router);
      CHECK(Bytes(f.begin() + 62, f.begin() + 78) == Bytes(target.data(), target.data() + 16));
      CHECK(Bytes(f.begin() + 80, f.end()) == Bytes(vmac.begin(), vmac.end()));
      CHECK(Bytes(f.begin() + 6, f.begin() + 12) == Bytes(vmac.begin(), vmac.end()));
    }
  }
}

TEST_CASE("unsolicited NA needs IPv6 addresses") {
  CHECK(vrrp::unsolicited_na_frame(mac, ip("10.0.0.1"), ip("fd00::1"), true).empty());
  CHECK(vrrp::unsolicited_na_frame(mac, ip("fe80::1"), ip("10.0.0.1"), true).empty());
}

TEST_CASE("virtual router MAC (RFC 5798 7.3)") {
  CHECK(vrrp::virtual_mac(core::Family::inet, 51) == Mac{0x00, 0x00, 0x5e, 0x00, 0x01, 0x33});
  CHECK(vrrp::virtual_mac(core::Family::inet6, 1) == Mac{0x00, 0x00, 0x5e, 0x00, 0x02, 0x01});
  CHECK(vrrp::virtual_mac(core::Family::inet, 255) == Mac{0x00, 0x00, 0x5e, 0x00, 0x01, 0xff});
}
