#include <catch2/catch.hpp>

#include "core/ip.hpp"

using vigil::core::IpAddress;
using vigil::core::IpPrefix;

TEST_CASE("IPv4 addresses parse and print") {
  auto a = IpAddress::parse("192.168.0.1");
  REQUIRE(a);
  CHECK(a->is_v4());
  CHECK(a->to_string() == "192.168.0.1");
  for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.100.9", "1.20.199.250"})
    CHECK(IpAddress::parse(text)->to_string() == text);
  CHECK(a->v4_host_order() == 0xC0A80001u);
  CHECK_FALSE(IpAddress::parse("256.0.0.1"));
  CHECK_FALSE(IpAddress::parse("1.2.3"));
  CHECK_FALSE(IpAddress::parse("1.2.3.4.5"));
  CHECK_FALSE(IpAddress::parse("1.2.3.x"));
  CHECK_FALSE(IpAddress::parse(""));
  CHECK(IpAddress::parse("224.0.0.18")->is_multicast());
  CHECK(IpAddress::parse("169.254.1.1")->is_link_local());
}

TEST_CASE("IPv6 addresses parse and print in RFC 5952 form") {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"::", "::"},
      {"::1", "::1"},
      {"ff02::12", "ff02::12"},
      {"FE80:0:0:0:0:0:0:1", "fe80::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"::ffff:192.0.2.1", "::ffff:c000:201"},
      {"1::", "1::"},
  };
  for (const auto& c : cases) {
    auto a = IpAddress::parse(c.in);
    INFO(c.in);
    REQUIRE(a);
    CHECK(a->is_v6());
    CHECK(a->to_string() == c.out);
  }
  for (const char* bad : {":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:"}) {
    INFO(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
  CHECK(IpAddress::parse("fe80::1")->is_link_local());
  CHECK(IpAddress::parse("ff02::12")->is_multicast());
}

TEST_CASE("addresses order by family then value, as the RFC 5798 tie-break needs") {
  CHECK(*IpAddress::parse("10.0.0.1") < *IpAddress::parse("10.0.0.2"));
  CHECK(*IpAddress::parse("10.0.0.2") < *IpAddress::parse("192.168.0.1"));
  CHECK(*IpAddress::parse("255.255.255.255") < *IpAddress::parse("::1"));
}

TEST_CASE("prefixes") {
  auto p = IpPrefix::parse("10.1.2.3/8");
  REQUIRE(p);
  CHECK(p->length == 8);
  CHECK(p->to_string() == "10.1.2.3/8");
  CHECK(p->contains(*IpAddress::parse("10.200.0.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("11.0.0.1")));
  CHECK(IpPrefix::parse("10.0.0.1")->length == 32);
  CHECK(IpPrefix::parse("2001:db8::/32")->contains(*IpAddress::parse("2001:db8:1::5")));
  CHECK(IpPrefix::parse("fe80::1")->length == 128);
  CHECK_FALSE(IpPrefix::parse("10.0.0.0/33"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.0/"));
  CHECK_FALSE(IpPrefix::parse("::/129"));
}
