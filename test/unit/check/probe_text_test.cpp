// DNS_CHECK queries and replies, UDP_CHECK reply matching.
#include <catch2/catch.hpp>

#include "check/dns.hpp"
#include "check/udp.hpp"

using namespace vigil;

namespace {

std::vector<std::uint8_t> reply_to(std::vector<std::uint8_t> q, std::uint16_t flags,
                                   std::uint16_t answers) {
  q[2] = std::uint8_t(flags >> 8);
  q[3] = std::uint8_t(flags);
  q[6] = std::uint8_t(answers >> 8);
  q[7] = std::uint8_t(answers);
  return q; // the answer records themselves are not inspected
}

} // namespace

TEST_CASE("a DNS query in wire form (RFC 1035 4.1)") {
  auto q = check::dns_query(0x1234, "Example.com", 6);
  std::vector<std::uint8_t> want{0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,
                                 0,    0,    7,    'E',  'x', 'a', 'm', 'p', 'l', 'e',
                                 3,    'c',  'o',  'm',  0,   0,   6,   0,   1};
  CHECK(q == want);
  auto root = check::dns_query(1, ".", 2);
  CHECK(root.size() == 12 + 1 + 4);
  CHECK(root[12] == 0);
}

TEST_CASE("a DNS reply passes with our id and question, NOERROR and an answer") {
  auto q = check::dns_query(77, "example.com", 1);
  CHECK(!check::dns_reply_problem(reply_to(q, 0x8180, 1), 77, "EXAMPLE.com.", 1));
  CHECK(check::dns_reply_problem(reply_to(q, 0x8180, 1), 78, "example.com", 1) ==
        "reply id does not match the query");
  CHECK(check::dns_reply_problem(q, 77, "example.com", 1) == "reply is not a response (QR clear)");
  CHECK(check::dns_reply_problem(reply_to(q, 0x8183, 0), 77, "example.com", 1) ==
        "server answered NXDOMAIN (RCODE 3)");
  CHECK(check::dns_reply_problem(reply_to(q, 0x8180, 0), 77, "example.com", 1) ==
        "no A record in the answer");
  CHECK(check::dns_reply_problem(reply_to(q, 0x8180, 1), 77, "example.org", 1) ==
        "reply is for another question");
  CHECK(check::dns_reply_problem(reply_to(q, 0x8180, 1), 77, "example.com", 28) ==
        "reply is for another question");
  CHECK(check::dns_reply_problem(std::vector<std::uint8_t>(5, 0), 77, "x", 1) ==
        "reply of 5 bytes is shorter than a DNS header");
  auto cut = reply_to(q, 0x8180, 1);
  cut.resize(20);
  CHECK(check::dns_reply_problem(cut, 77, "example.com", 1) == "reply truncated in the question");
}

TEST_CASE("UDP replies: length bounds and the pattern with x wildcards") {
  core::config::Checker k;
  k.kind = core::config::CheckerKind::udp_check;
  k.require_reply = true;
  k.reply_pattern = {0xAB, 0x10};
  k.reply_mask = {0xFF, 0xF0}; // "AB 1x"
  k.min_reply_length = 2;
  k.max_reply_length = 4;
  std::vector<std::uint8_t> good{0xAB, 0x1F, 0x00};
  CHECK(!check::udp_reply_problem(k, good));
  std::vector<std::uint8_t> bad{0xAB, 0x2F};
  CHECK(check::udp_reply_problem(k, bad) == "reply differs from require_reply at byte 1");
  std::vector<std::uint8_t> shortr{0xAB};
  CHECK(check::udp_reply_problem(k, shortr) == "reply of 1 bytes is outside 2..4");
  std::vector<std::uint8_t> longr(5, 0xAB);
  CHECK(check::udp_reply_problem(k, longr) == "reply of 5 bytes is outside 2..4");
  // Only the shorter of pattern and reply is compared.
  k.min_reply_length = 1;
  CHECK(!check::udp_reply_problem(k, shortr));
}
