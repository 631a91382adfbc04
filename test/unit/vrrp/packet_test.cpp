// Codec byte vectors: the payloads below were captured from keepalived 2.2.7 (Debian 12) in
// network namespaces with tcpdump; see the comments for the configuration that produced them.
#include <catch2/catch.hpp>

#include "vrrp/packet.hpp"

using namespace vigil;
using vrrp::Advert;
using vrrp::ChecksumForm;
using vrrp::Drop;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

// vrrp_instance: version 2, vrid 51, priority 100, advert_int 1, auth PASS "secret",
// VIPs 10.99.0.100 and 10.99.0.101; from 10.99.0.1 to 224.0.0.18.
const std::vector<std::uint8_t> ka_v2 = {0x21, 0x33, 0x64, 0x02, 0x01, 0x01, 0x27, 0xee,
                                         0x0a, 0x63, 0x00, 0x64, 0x0a, 0x63, 0x00, 0x65,
                                         0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x00, 0x00};
// version 3, vrid 52, priority 150, advert_int 0.5, VIP 10.99.0.102; 10.99.0.1 -> 224.0.0.18.
// keepalived's default v3 IPv4 checksum includes the pseudo-header.
const std::vector<std::uint8_t> ka_v3 = {0x31, 0x34, 0x96, 0x01, 0x00, 0x32,
                                         0x42, 0xdc, 0x0a, 0x63, 0x00, 0x66};
// IPv6, vrid 53, priority 200, advert_int 1, VIPs fe80::53 and fd00:99::53;
// fe80::9b:3eff:fe7c:c2f6 -> ff02::12.
const std::vector<std::uint8_t> ka_v6 = {
    0x31, 0x35, 0xc8, 0x02, 0x00, 0x64, 0x0a, 0x67, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53, 0xfd, 0x00, 0x00, 0x99,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53};

} // namespace

TEST_CASE("decode keepalived's VRRPv2 PASS advert") {
  auto d = vrrp::decode(ka_v2, ip("10.99.0.1"), ip("224.0.0.18"));
  REQUIRE(d.drop == Drop::none);
  CHECK(d.advert.version == 2);
  CHECK(d.advert.vrid == 51);
  CHECK(d.advert.priority == 100);
  CHECK(d.advert.interval == 1);
  CHECK(d.advert.auth == vrrp::Auth::simple);
  CHECK(std::string(d.advert.auth_data.begin(), d.advert.auth_data.begin() + 6) == "secret");
  REQUIRE(d.advert.addresses.size() == 2);
  CHECK(d.advert.addresses[1] == ip("10.99.0.101"));
}

TEST_CASE("encode reproduces keepalived's bytes exactly") {
  Advert v2;
  v2.version = 2;
  v2.vrid = 51;
  v2.priority = 100;
  v2.interval = 1;
  v2.auth = vrrp::Auth::simple;
  std::copy_n("secret", 6, v2.auth_data.begin());
  v2.addresses = {ip("10.99.0.100"), ip("10.99.0.101")};
  CHECK(vrrp::encode(v2, ip("10.99.0.1"), ip("224.0.0.18")) == ka_v2);

  Advert v3;
  v3.vrid = 52;
  v3.priority = 150;
  v3.interval = 50;
  v3.addresses = {ip("10.99.0.102")};
  CHECK(vrrp::encode(v3, ip("10.99.0.1"), ip("224.0.0.18")) == ka_v3);

  Advert v6;
  v6.vrid = 53;
  v6.priority = 200;
  v6.interval = 100;
  v6.addresses = {ip("fe80::53"), ip("fd00:99::53")};
  CHECK(vrrp::encode(v6, ip("fe80::9b:3eff:fe7c:c2f6"), ip("ff02::12")) == ka_v6);
}

TEST_CASE("VRRPv3 IPv4: both checksum forms are accepted and told apart") {
  auto d = vrrp::decode(ka_v3, ip("10.99.0.1"), ip("224.0.0.18"));
  REQUIRE(d.drop == Drop::none);
  CHECK(d.form == ChecksumForm::pseudo_header);
  CHECK(d.advert.interval == 50);

  Advert a;
  a.vrid = 52;
  a.priority = 150;
  a.interval = 50;
  a.addresses = {ip("10.99.0.102")};
  auto rfc9568 = vrrp::encode(a, ip("10.99.0.1"), ip("224.0.0.18"), ChecksumForm::message_only);
  CHECK(rfc9568 != ka_v3);
  auto d2 = vrrp::decode(rfc9568, ip("10.99.0.1"), ip("224.0.0.18"));
  REQUIRE(d2.drop == Drop::none);
  CHECK(d2.form == ChecksumForm::message_only);
  // The pseudo-header form depends on the addresses: another source fails both forms.
  CHECK(vrrp::decode(ka_v3, ip("10.99.0.2"), ip("224.0.0.18")).drop == Drop::bad_checksum);
}

TEST_CASE("IPv6 adverts need the pseudo-header") {
  auto d = vrrp::decode(ka_v6, ip("fe80::9b:3eff:fe7c:c2f6"), ip("ff02::12"));
  REQUIRE(d.drop == Drop::none);
  CHECK(d.advert.addresses.size() == 2);
  CHECK(d.advert.addresses[0] == ip("fe80::53"));
  CHECK(vrrp::decode(ka_v6, ip("fe80::1"), ip("ff02::12")).drop == Drop::bad_checksum);
}

TEST_CASE("every codec drop reason") {
  auto src = ip("10.99.0.1");
  auto dst = ip("224.0.0.18");
  CHECK(vrrp::decode(std::vector<std::uint8_t>(7, 0), src, dst).drop == Drop::too_short);
  auto bad_version = ka_v3;
  bad_version[0] = 0x41;
  CHECK(vrrp::decode(bad_version, src, dst).drop == Drop::bad_version);
  auto bad_type = ka_v3;
  bad_type[0] = 0x32;
  CHECK(vrrp::decode(bad_type, src, dst).drop == Drop::bad_type);
  auto truncated = ka_v2;
  truncated.resize(20); // address count says 2 plus 8 auth bytes
  CHECK(vrrp::decode(truncated, src, dst).drop == Drop::too_short);
  auto flipped = ka_v2;
  flipped[10] ^= 1;
  CHECK(vrrp::decode(flipped, src, dst).drop == Drop::bad_checksum);
  // VRRPv2 over IPv6 does not exist.
  CHECK(vrrp::decode(ka_v2, ip("fe80::1"), ip("ff02::12")).drop == Drop::bad_version);
  // Trailing bytes (padding) do not break the checksum.
  auto padded = ka_v3;
  padded.push_back(0);
  padded.push_back(0);
  CHECK(vrrp::decode(padded, src, dst).drop == Drop::none);
}

TEST_CASE("round trips") {
  for (int version : {2, 3}) {
    Advert a;
    a.version = std::uint8_t(version);
    a.vrid = 200;
    a.priority = 254;
    a.interval = version == 2 ? 3 : 4095;
    for (int i = 0; i < 20; ++i)
      a.addresses.push_back(core::IpAddress::v4(0x0a000000u + unsigned(i)));
    auto bytes = vrrp::encode(a, ip("192.0.2.1"), ip("192.0.2.2"));
    auto d = vrrp::decode(bytes, ip("192.0.2.1"), ip("192.0.2.2"));
    REQUIRE(d.drop == Drop::none);
    CHECK(d.advert.vrid == 200);
    CHECK(d.advert.interval == a.interval);
    CHECK(d.advert.addresses == a.addresses);
  }
}

TEST_CASE("the internet checksum of RFC 1071's example") {
  std::vector<std::uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(vrrp::internet_checksum(data) == std::uint16_t(~0xddf2 & 0xffff));
}

TEST_CASE("put_ip_header writes the IPv4 header a raw socket gets from the kernel") {
  // Captured from the kernel: a raw protocol-112 socket with IP_TOS 0xc0, TTL 255, 12-byte
  // payload, from 10.9.0.1 to 224.0.0.18, identification 0x8ae4, DF.
  const std::vector<std::uint8_t> want{0x45, 0xc0, 0x00, 0x20, 0x8a, 0xe4, 0x40, 0x00, 0xff, 0x70,
                                       0x00, 0x00, 0x0a, 0x09, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x12};
  std::vector<std::uint8_t> got(vrrp::ip_header_length(core::Family::inet));
  REQUIRE(got.size() == 20);
  vrrp::IpHeader h{.ttl = 255, .traffic_class = 0xc0, .id = 0x8ae4, .dont_fragment = true};
  REQUIRE(vrrp::put_ip_header(got.data(), ip("10.9.0.1"), ip("224.0.0.18"), h, 12));
  CHECK(vrrp::internet_checksum(got) == 0); // a valid header sums to 0xffff
  got[10] = got[11] = 0;
  CHECK(got == want);
  h.dont_fragment = false;
  h.protocol = 51;
  REQUIRE(vrrp::put_ip_header(got.data(), ip("10.9.0.1"), ip("224.0.0.18"), h, 12));
  CHECK(got[6] == 0);
  CHECK(got[9] == 51);
  CHECK_FALSE(vrrp::put_ip_header(got.data(), ip("10.9.0.1"), ip("ff02::12"), h, 12));
  CHECK_FALSE(vrrp::put_ip_header(got.data(), ip("10.9.0.1"), ip("224.0.0.18"), h, 0xffff));
}

TEST_CASE("put_ip_header writes an IPv6 header with the traffic class and hop limit") {
  std::vector<std::uint8_t> got(vrrp::ip_header_length(core::Family::inet6));
  REQUIRE(got.size() == 40);
  vrrp::IpHeader h{.ttl = 255, .traffic_class = 0xc0};
  REQUIRE(vrrp::put_ip_header(got.data(), ip("fe80::1"), ip("ff02::12"), h, 20));
  const std::vector<std::uint8_t> start{0x6c, 0x00, 0x00, 0x00, 0x00, 0x14, 112, 255};
  CHECK(std::vector<std::uint8_t>(got.begin(), got.begin() + 8) == start);
  CHECK(std::equal(got.begin() + 8, got.begin() + 24, ip("fe80::1").data()));
  CHECK(std::equal(got.begin() + 24, got.end(), ip("ff02::12").data()));
}

TEST_CASE("multicast_mac maps IPv4 and IPv6 groups to Ethernet addresses") {
  using Mac = std::array<std::uint8_t, 6>;
  CHECK(vrrp::multicast_mac(ip("224.0.0.18")) == Mac{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12});
  // The 24th bit from the right is dropped (RFC 1112 6.4).
  CHECK(vrrp::multicast_mac(ip("239.129.2.3")) == Mac{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03});
  CHECK(vrrp::multicast_mac(ip("ff02::12")) == Mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x12});
  CHECK(vrrp::multicast_mac(ip("ff02::1:ff00:abcd")) == Mac{0x33, 0x33, 0xff, 0x00, 0xab, 0xcd});
}
