// VRRPv2 AH authentication (vrrp/ah.hpp). The packets below were captured from keepalived 2.2.7
// (Debian 12) with `tcpdump -xx` in network namespaces: IP header onwards, Ethernet stripped.
// Every keepalived instance: version 2, advert_int 1, `authentication { auth_type AH;
// auth_pass ... }`, sending from 10.77.0.1.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "core/digest.hpp"
#include "vrrp/ah.hpp"
#include "vrrp/packet.hpp"

using namespace vigil;
namespace ah = vigil::vrrp::ah;
using ah::Reason;

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : text)
    if (c != ' ')
      digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(std::uint8_t(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(std::span<const std::uint8_t> data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : data) {
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  return out;
}

std::vector<std::uint8_t> key(std::string_view s) {
  return {s.begin(), s.end()};
}

/// The VRRPv2 message keepalived puts behind the AH: auth type 2, authentication data zero.
std::vector<std::uint8_t> message(std::uint8_t vrid, std::uint8_t priority, const char* vip,
                                  const core::IpAddress& src, const core::IpAddress& dst) {
  vrrp::Advert a;
  a.version = 2;
  a.vrid = vrid;
  a.priority = priority;
  a.interval = 1;
  a.auth = vrrp::Auth::ah;
  a.addresses = {ip(vip)};
  return vrrp::encode(a, src, dst);
}

// vrid 51, priority 200, VIP 10.77.0.100, auth_pass secret12; 10.77.0.1 -> 224.0.0.18.
// The first advert after start (IP id 1, sequence 1), the second, and the priority-0 advert
// sent at stop as the sixth.
const auto ka_multicast_1 = hex("45c0 0040 0001 0000 ff33 d069 0a4d 0001 e000 0012 7004 0000"
                                "0a4d 0001 0000 0001 a621 6be2 784b c6e5 398c 4fe1 2133 c801"
                                "0201 0a19 0a4d 0064 0000 0000 0000 0000");
const auto ka_multicast_2 = hex("45c0 0040 0002 0000 ff33 d068 0a4d 0001 e000 0012 7004 0000"
                                "0a4d 0001 0000 0002 02b5 65be a336 280a d828 3303 2133 c801"
                                "0201 0a19 0a4d 0064 0000 0000 0000 0000");
const auto ka_multicast_stop = hex("45c0 0040 0006 0000 ff33 d064 0a4d 0001 e000 0012 7004 0000"
                                   "0a4d 0001 0000 0006 a4af a9b3 a836 53b8 13ee 95e2 2133 0001"
                                   "0201 d219 0a4d 0064 0000 0000 0000 0000");
// The same instance with auth_pass abc (shorter than 8 bytes), first advert.
const auto ka_short_key = hex("45c0 0040 0001 0000 ff33 d069 0a4d 0001 e000 0012 7004 0000"
                              "0a4d 0001 0000 0001 d5e0 62eb 79eb 182b 81bf 4aba 2133 c801"
                              "0201 0a19 0a4d 0064 0000 0000 0000 0000");
// auth_pass longpassword123: keepalived logs "Truncating auth_pass to 8 characters".
const auto ka_long_key = hex("45c0 0040 0001 0000 ff33 d069 0a4d 0001 e000 0012 7004 0000"
                             "0a4d 0001 0000 0001 28da cb53 c58c 29d2 a839 0988 2133 c801"
                             "0201 0a19 0a4d 0064 0000 0000 0000 0000");
// Unicast: vrid 52, priority 150, VIP 10.77.0.101, unicast_src_ip 10.77.0.1, unicast_peer
// 10.77.0.2 and 10.77.0.3, unicast_ttl 64, auth_pass secret12. One advert, two packets with
// the same IP id and sequence number; the ICV leaves the TTL out.
const auto ka_unicast_peer2 = hex("45c0 0040 0001 0000 4033 652e 0a4d 0001 0a4d 0002 7004 0000"
                                  "0a4d 0001 0000 0001 1a17 fc3f 5ccd 3a0c 3088 e54e 2134 9601"
                                  "0201 3c17 0a4d 0065 0000 0000 0000 0000");
const auto ka_unicast_peer3 = hex("45c0 0040 0001 0000 4033 652d 0a4d 0001 0a4d 0003 7004 0000"
                                  "0a4d 0001 0000 0001 7f68 98c5 251f 1bab dd54 c132 2134 9601"
                                  "0201 3c17 0a4d 0065 0000 0000 0000 0000");
// The same without unicast_ttl (TTL 255 on the wire): the very same ICV as with TTL 64.
const auto ka_unicast_ttl255 = hex("45c0 0040 0001 0000 ff33 a62d 0a4d 0001 0a4d 0002 7004 0000"
                                   "0a4d 0001 0000 0001 1a17 fc3f 5ccd 3a0c 3088 e54e 2134 9601"
                                   "0201 3c17 0a4d 0065 0000 0000 0000 0000");

const auto src = ip("10.77.0.1");
const auto group = ip("224.0.0.18");
const auto secret = key("secret12");

} // namespace

TEST_CASE("SPI is the source address") {
  CHECK(ah::spi_for(src) == 0x0a4d0001);
  CHECK(ah::spi_for(ip("192.168.1.254")) == 0xc0a801fe);
}

TEST_CASE("seal reproduces keepalived's multicast adverts byte for byte") {
  auto msg = message(51, 200, "10.77.0.100", src, group);
  CHECK(to_hex(ah::seal(src, group, 1, 255, ah::spi_for(src), 1, msg, secret)) ==
        to_hex(ka_multicast_1));
  CHECK(to_hex(ah::seal(src, group, 2, 255, ah::spi_for(src), 2, msg, secret)) ==
        to_hex(ka_multicast_2));
  auto stop = message(51, 0, "10.77.0.100", src, group);
  CHECK(to_hex(ah::seal(src, group, 6, 255, ah::spi_for(src), 6, stop, secret)) ==
        to_hex(ka_multicast_stop));
}

TEST_CASE("seal: short and truncated passwords, NUL padding changes nothing") {
  auto msg = message(51, 200, "10.77.0.100", src, group);
  CHECK(ah::seal(src, group, 1, 255, ah::spi_for(src), 1, msg, key("abc")) == ka_short_key);
  // The 8-byte NUL-padded form (vrrp::Settings::auth_data) gives the same ICV.
  std::vector<std::uint8_t> padded{'a', 'b', 'c', 0, 0, 0, 0, 0};
  CHECK(ah::seal(src, group, 1, 255, ah::spi_for(src), 1, msg, padded) == ka_short_key);
  CHECK(ah::seal(src, group, 1, 255, ah::spi_for(src), 1, msg, key("longpass")) == ka_long_key);
}

TEST_CASE("seal reproduces keepalived's unicast adverts: the TTL is not covered") {
  auto peer2 = ip("10.77.0.2");
  auto peer3 = ip("10.77.0.3");
  auto msg2 = message(52, 150, "10.77.0.101", src, peer2);
  auto msg3 = message(52, 150, "10.77.0.101", src, peer3);
  CHECK(to_hex(ah::seal(src, peer2, 1, 64, ah::spi_for(src), 1, msg2, secret)) ==
        to_hex(ka_unicast_peer2));
  CHECK(to_hex(ah::seal(src, peer3, 1, 64, ah::spi_for(src), 1, msg3, secret)) ==
        to_hex(ka_unicast_peer3));
  CHECK(to_hex(ah::seal(src, peer2, 1, 255, ah::spi_for(src), 1, msg2, secret)) ==
        to_hex(ka_unicast_ttl255));
}

TEST_CASE("seal refuses what it cannot build") {
  std::vector<std::uint8_t> msg(16, 0);
  CHECK(ah::seal(ip("fe80::1"), ip("ff02::12"), 1, 255, 0, 1, msg, secret).empty());
  CHECK(ah::seal(src, ip("ff02::12"), 1, 255, 0, 1, msg, secret).empty());
  std::vector<std::uint8_t> huge(0xffff - 44 + 1, 0);
  CHECK(ah::seal(src, group, 1, 255, 0, 1, huge, secret).empty());
  huge.pop_back();
  CHECK(ah::seal(src, group, 1, 255, 0, 1, huge, secret).size() == 0xffff);
}

TEST_CASE("open accepts keepalived's adverts and hands out the VRRP message") {
  struct Case {
    const std::vector<std::uint8_t>* packet;
    std::vector<std::uint8_t> key;
    std::uint32_t seq;
  };
  std::vector<Case> cases{{&ka_multicast_1, secret, 1},       {&ka_multicast_2, secret, 2},
                          {&ka_multicast_stop, secret, 6},    {&ka_short_key, key("abc"), 1},
                          {&ka_long_key, key("longpass"), 1}, {&ka_unicast_peer2, secret, 1},
                          {&ka_unicast_peer3, secret, 1},     {&ka_unicast_ttl255, secret, 1}};
  for (const auto& c : cases) {
    auto o = ah::open(*c.packet, c.key);
    INFO(to_hex(*c.packet));
    REQUIRE(o.reason == Reason::none);
    CHECK(o.ok());
    CHECK(o.spi == 0x0a4d0001);
    CHECK(o.seq == c.seq);
    CHECK(o.src == src);
    CHECK(o.message.data() == c.packet->data() + 44);
    CHECK(o.message.size() == 20);
    auto d = vrrp::decode(o.message, o.src, o.dst);
    REQUIRE(d.drop == vrrp::Drop::none);
    CHECK(d.advert.version == 2);
    CHECK(d.advert.auth == vrrp::Auth::ah);
    CHECK(d.advert.auth_data == std::array<std::uint8_t, 8>{});
  }
  auto o = ah::open(ka_unicast_peer2, secret);
  CHECK(o.dst == ip("10.77.0.2"));
  CHECK(o.ttl == 64);
  CHECK(o.ip_id == 1);
  CHECK(vrrp::decode(o.message, o.src, o.dst).advert.priority == 150);
}

TEST_CASE("open rejects a wrong key") {
  CHECK(ah::open(ka_multicast_1, key("secret13")).reason == Reason::bad_icv);
  CHECK(ah::open(ka_multicast_1, key("secret1")).reason == Reason::bad_icv);
  CHECK(ah::open(ka_multicast_1, {}).reason == Reason::bad_icv);
  CHECK(ah::open(ka_short_key, secret).reason == Reason::bad_icv);
  auto o = ah::open(ka_multicast_2, key("wrong"));
  CHECK(o.seq == 2); // still told, for the log
  CHECK(o.message.empty());
}

TEST_CASE("open: every covered byte is covered, the mutable ones are not") {
  // Flip one bit of each byte of a multicast and a unicast packet in turn.
  for (const auto* original : {&ka_multicast_1, &ka_unicast_peer2}) {
    bool unicast = original == &ka_unicast_peer2;
    for (std::size_t i = 0; i < original->size(); ++i) {
      auto p = *original;
      p[i] ^= 0x01;
      auto r = ah::open(p, secret).reason;
      INFO("byte " << i << (unicast ? " (unicast)" : " (multicast)"));
      bool mutable_field = i == 1 || i == 6 || i == 7 || i == 10 || i == 11 || (unicast && i == 8);
      if (mutable_field) {
        CHECK(r == Reason::none);
      } else if (i == 0) {
        CHECK(r == Reason::too_short); // 0x44: an IHL of 4 words
      } else if (i == 2 || i == 3) {
        CHECK((r == Reason::too_short || r == Reason::bad_icv));
      } else if (i == 9) {
        CHECK(r == Reason::not_ah);
      } else if (i == 20 || i == 21) {
        CHECK(r == Reason::bad_ah_header);
      } else if (i >= 24 && i < 28) {
        CHECK(r == Reason::bad_spi);
      } else if (i >= 12 && i < 16) {
        CHECK(r == Reason::bad_spi); // the source address no longer matches the SPI
      } else {
        CHECK(r == Reason::bad_icv);
      }
    }
  }
}

TEST_CASE("open: lengths") {
  for (std::size_t n = 0; n < ka_multicast_1.size(); ++n) {
    std::span<const std::uint8_t> cut(ka_multicast_1.data(), n);
    CHECK(ah::open(cut, secret).reason == Reason::too_short);
  }
  // Bytes after the IP total length are not part of the packet.
  auto padded = ka_multicast_1;
  padded.insert(padded.end(), {0xde, 0xad});
  auto o = ah::open(padded, secret);
  CHECK(o.ok());
  CHECK(o.message.size() == 20);
  // A total length that leaves no room for the AH.
  auto tiny = ka_multicast_1;
  tiny[2] = 0;
  tiny[3] = 30;
  CHECK(ah::open(tiny, secret).reason == Reason::too_short);
}

TEST_CASE("open: IP options are covered as they are") {
  // The captured advert re-sealed by hand with a 4-byte option (NOP x4) after the header.
  auto msg = message(51, 200, "10.77.0.100", src, group);
  auto sealed = ah::seal(src, group, 1, 255, ah::spi_for(src), 1, msg, secret);
  std::vector<std::uint8_t> p(sealed.begin(), sealed.begin() + 20);
  p[0] = 0x46;
  p.insert(p.end(), {1, 1, 1, 1});
  p.insert(p.end(), sealed.begin() + 20, sealed.end());
  p[3] = std::uint8_t(p.size());
  auto r = ah::open(p, secret);
  CHECK(r.reason == Reason::bad_icv); // the ICV was computed without the option
  std::fill_n(p.begin() + 24 + 12, 12, std::uint8_t(0));
  auto copy = p;
  copy[1] = 0;
  copy[10] = copy[11] = 0;
  auto mac = core::hmac_md5(secret, copy);
  std::copy_n(mac.begin(), 12, p.begin() + 24 + 12);
  auto ok = ah::open(p, secret);
  CHECK(ok.ok());
  CHECK(ok.message.data() == p.data() + 48);
}

TEST_CASE("the reasons map onto the receive ladder's counters") {
  CHECK(ah::to_drop(Reason::none) == vrrp::Drop::none);
  CHECK(ah::to_drop(Reason::too_short) == vrrp::Drop::too_short);
  CHECK(ah::to_drop(Reason::not_ipv4) == vrrp::Drop::bad_version);
  for (auto r : {Reason::not_ah, Reason::bad_ah_header, Reason::bad_spi, Reason::bad_icv})
    CHECK(ah::to_drop(r) == vrrp::Drop::auth_mismatch);
  CHECK(ah::to_string(Reason::bad_icv) == "bad_icv");
  CHECK(ah::to_string(Reason::bad_spi) == "bad_spi");
  CHECK(vrrp::to_string(vrrp::Drop::replayed) == "replayed");
}

TEST_CASE("Sequence: keepalived's one counter for sending and receiving") {
  ah::Sequence s;
  CHECK(s.next() == 1); // the first advert after start
  CHECK(s.next() == 2);
  CHECK(s.accept(100));       // a peer's advert lifts the counter ...
  CHECK(s.next() == 101);     // ... and our next advert continues above it
  CHECK_FALSE(s.accept(101)); // "sequence number 101 already processed"
  CHECK_FALSE(s.accept(5));
  CHECK(s.accept(102));
  CHECK(s.last() == 102);
  ah::Sequence fresh;
  CHECK_FALSE(fresh.accept(0)); // 0 is never above the counter
  CHECK(fresh.accept(1));
}

TEST_CASE("IpId: 1, 2, ... and never 0") {
  ah::IpId id;
  CHECK(id.next() == 1);
  CHECK(id.next() == 2);
  for (int i = 3; i <= 0xffff; ++i)
    id.next();
  CHECK(id.next() == 1);
}
