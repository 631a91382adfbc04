#include <catch2/catch.hpp>

#include <cstring>

#include "ipvs/genl.hpp"

using namespace vigil;
using ipvs::genl::Bytes;

// Netlink lengths, types and integer attributes are in host order: these byte vectors are the
// little-endian (x86) form. Ports are network order everywhere.

namespace {

core::IpAddress ip(const char* s) {
  return *core::IpAddress::parse(s);
}

ipvs::Service tcp_service(const char* vip, std::uint16_t port) {
  ipvs::Service s;
  s.key = {0, core::Family::inet, 6, ip(vip), port};
  s.scheduler = "wlc";
  return s;
}

template <class T> const T& ok(const std::variant<T, ipvs::genl::ParseError>& v) {
  if (const auto* e = std::get_if<ipvs::genl::ParseError>(&v))
    FAIL("parse error: " << e->what);
  return std::get<T>(v);
}

} // namespace

TEST_CASE("deleting a fwmark service: the exact bytes") {
  ipvs::Service s;
  s.key.fwmark = 7;
  Bytes m = ipvs::genl::encode({ipvs::OpKind::delete_service, s, std::nullopt}, 0x1c);
  const Bytes want = {
      0x28, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, // len 40, family 28, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // seq, port: the socket's
      0x03, 0x01, 0x00, 0x00,                         // IPVS_CMD_DEL_SERVICE, version 1
      0x14, 0x00, 0x01, 0x80,                         // nested IPVS_CMD_ATTR_SERVICE, 20 bytes
      0x06, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, // IPVS_SVC_ATTR_AF = AF_INET, padded
      0x08, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00, // IPVS_SVC_ATTR_FWMARK = 7
  };
  CHECK(m == want);
}

TEST_CASE("adding a TCP service: key, scheduler, flags with a full mask, timeout, netmask") {
  auto s = tcp_service("10.0.0.1", 80);
  s.flags = 0x0001; // persistent
  s.timeout = 360;
  s.netmask = 0xffffffff;
  Bytes m = ipvs::genl::encode({ipvs::OpKind::add_service, s, std::nullopt}, 0x1c);
  REQUIRE(m.size() == 16 + 4 + 84);
  CHECK(m[16] == ipvs::genl::cmd_new_service);
  const Bytes nested_head = {0x54, 0x00, 0x01, 0x80}; // 84 bytes, nested type 1
  CHECK(Bytes(m.begin() + 20, m.begin() + 24) == nested_head);
  const Bytes addr = {0x14, 0x00, 0x03, 0x00, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(Bytes(m.begin() + 40, m.begin() + 60) == addr); // after AF and PROTOCOL
  const Bytes port = {0x06, 0x00, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00};
  CHECK(Bytes(m.begin() + 60, m.begin() + 68) == port);
  const Bytes sched = {0x08, 0x00, 0x06, 0x00, 'w', 'l', 'c', 0};
  CHECK(Bytes(m.begin() + 68, m.begin() + 76) == sched);
  const Bytes flags = {0x0c, 0x00, 0x07, 0x00, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  CHECK(Bytes(m.begin() + 76, m.begin() + 88) == flags);
  // What the kernel lists reads back as the same service.
  CHECK(ok(ipvs::genl::parse_service(m)) == s);
}

TEST_CASE("a listed service: the kernel's hashed flag and statistics are not part of it") {
  auto s = tcp_service("2001:db8::1", 443);
  s.key.family = core::Family::inet6;
  s.scheduler = "mh";
  s.flags = 0x0010 | 0x0008; // mh-port, mh-fallback
  s.netmask = 128;
  s.pe_name = "sip";
  Bytes m = ipvs::genl::encode({ipvs::OpKind::add_service, s, std::nullopt}, 0x1c);
  // Set IP_VS_SVC_F_HASHED as the kernel does, and append a nested stats attribute.
  std::size_t flags_at = 0;
  for (std::size_t i = 24; i + 4 <= m.size();) {
    std::uint16_t len, type;
    std::memcpy(&len, &m[i], 2);
    std::memcpy(&type, &m[i + 2], 2);
    if (type == ipvs::genl::svc_flags)
      flags_at = i + 4;
    i += (len + 3u) & ~3u;
  }
  REQUIRE(flags_at != 0);
  m[flags_at] |= 0x02;
  const Bytes stats = {0x0c, 0x00, 0x0a, 0x80, 0x08, 0x00, 0x01, 0x00, 5, 0, 0, 0};
  m.insert(m.end(), stats.begin(), stats.end());
  std::uint16_t nest_len;
  std::memcpy(&nest_len, &m[20], 2);
  nest_len = std::uint16_t(nest_len + stats.size());
  std::memcpy(&m[20], &nest_len, 2);
  auto total = std::uint32_t(m.size());
  std::memcpy(&m[0], &total, 4);
  CHECK(ok(ipvs::genl::parse_service(m)) == s);
}

TEST_CASE("destinations: NAT without tunnel attributes, a GUE tunnel with them, round trip") {
  auto s = tcp_service("10.0.0.1", 80);
  ipvs::Destination nat;
  nat.address = ip("10.0.1.2");
  nat.port = 8080;
  nat.forward = 0; // IP_VS_CONN_F_MASQ
  nat.weight = 3;
  nat.upper_threshold = 100;
  Bytes m = ipvs::genl::encode({ipvs::OpKind::add_destination, s, nat}, 0x1c);
  CHECK(m[16] == ipvs::genl::cmd_new_dest);
  CHECK(ok(ipvs::genl::parse_destination(m)) == nat);
  ipvs::Destination gue = nat;
  gue.forward = 2; // IP_VS_CONN_F_TUNNEL
  gue.tunnel_type = 1;
  gue.tunnel_port = 6080;
  gue.tunnel_flags = 1;
  Bytes t = ipvs::genl::encode({ipvs::OpKind::edit_destination, s, gue}, 0x1c);
  CHECK(t[16] == ipvs::genl::cmd_set_dest);
  CHECK(t.size() > m.size());
  CHECK(ok(ipvs::genl::parse_destination(t)) == gue);
  // Deleting names the destination only.
  Bytes d = ipvs::genl::encode({ipvs::OpKind::delete_destination, s, nat}, 0x1c);
  CHECK(d[16] == ipvs::genl::cmd_del_dest);
  CHECK(d.size() < m.size());
  auto back = ok(ipvs::genl::parse_destination(d));
  CHECK(back.address == nat.address);
  CHECK(back.port == nat.port);
}

TEST_CASE("a batch: messages encoded back to back are the single messages, each its own length") {
  auto s = tcp_service("10.0.0.1", 80);
  s.pe_name = "sip"; // an odd-length string: padding inside the message
  ipvs::Destination d;
  d.address = ip("10.0.1.2");
  d.port = 8080;
  const std::vector<ipvs::Op> ops = {{ipvs::OpKind::add_service, s, std::nullopt},
                                     {ipvs::OpKind::add_destination, s, d},
                                     {ipvs::OpKind::delete_destination, s, d}};
  Bytes batch = {0xee}; // whatever is before stays
  batch.resize(4, 0);
  Bytes want = batch;
  for (const auto& op : ops) {
    ipvs::genl::encode_to(op, 0x1c, batch);
    const Bytes one = ipvs::genl::encode(op, 0x1c);
    CHECK(one.size() % 4 == 0);
    want.insert(want.end(), one.begin(), one.end());
  }
  CHECK(batch == want);
}

TEST_CASE("dump requests ask for every service, or one service's destinations") {
  Bytes all = ipvs::genl::dump_services(0x1c);
  const Bytes want = {0x14, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x03, 0,    0,
                      0,    0,    0,    0,    0,    0,    0x04, 0x01, 0x00, 0x00};
  CHECK(all == want); // NLM_F_REQUEST | NLM_F_DUMP, IPVS_CMD_GET_SERVICE
  Bytes dests = ipvs::genl::dump_destinations(0x1c, tcp_service("10.0.0.1", 80).key);
  CHECK(dests[16] == ipvs::genl::cmd_get_dest);
  CHECK(dests.size() == 20 + 4 + 8 + 8 + 20 + 8);
}

TEST_CASE("broken replies are errors, never reads past the end") {
  auto s = tcp_service("10.0.0.1", 80);
  Bytes m = ipvs::genl::encode({ipvs::OpKind::add_service, s, std::nullopt}, 0x1c);
  for (std::size_t cut : {0u, 10u, 19u, 23u, 30u, 60u}) {
    Bytes part(m.begin(), m.begin() + std::ptrdiff_t(cut));
    CHECK(std::holds_alternative<ipvs::genl::ParseError>(ipvs::genl::parse_service(part)));
  }
  // An attribute whose length runs past the message.
  Bytes bad = m;
  bad[24] = 0xff;
  CHECK(std::holds_alternative<ipvs::genl::ParseError>(ipvs::genl::parse_service(bad)));
  // A destination reply is not a service.
  ipvs::Destination d;
  d.address = ip("10.0.1.2");
  Bytes dm = ipvs::genl::encode({ipvs::OpKind::add_destination, s, d}, 0x1c);
  CHECK(std::holds_alternative<ipvs::genl::ParseError>(ipvs::genl::parse_destination(m)));
  // A destination message names its service by key only.
  CHECK(ok(ipvs::genl::parse_service(dm)).key == s.key);
  CHECK(ok(ipvs::genl::parse_service(dm)).scheduler.empty());
}

TEST_CASE("flush, and the connection timeouts: only the ones set are sent") {
  Bytes f = ipvs::genl::flush(0x1c);
  const Bytes want_flush = {
      0x14, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, // len 20, family 28, REQUEST|ACK
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
      0x11, 0x01, 0x00, 0x00,                         // IPVS_CMD_FLUSH, version 1
  };
  CHECK(f == want_flush);

  Bytes m = ipvs::genl::set_config(0x1c, {1000, 0, 200});
  const Bytes want = {
      0x24, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, // len 36
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
      0x0c, 0x01, 0x00, 0x00,                         // IPVS_CMD_SET_CONFIG
      0x08, 0x00, 0x04, 0x00, 0xe8, 0x03, 0x00, 0x00, // IPVS_CMD_ATTR_TIMEOUT_TCP = 1000
      0x08, 0x00, 0x06, 0x00, 0xc8, 0x00, 0x00, 0x00, // IPVS_CMD_ATTR_TIMEOUT_UDP = 200
  };
  CHECK(m == want);

  // The kernel's reply to GET_CONFIG carries all three.
  Bytes reply = ipvs::genl::set_config(0x1c, {900, 120, 300});
  CHECK(ok(ipvs::genl::parse_timeouts(reply)) == ipvs::genl::Timeouts{900, 120, 300});
  CHECK(std::holds_alternative<ipvs::genl::ParseError>(ipvs::genl::parse_timeouts(m)));
}

TEST_CASE("a sync daemon: the exact bytes, and what a dump of it reads back") {
  ipvs::genl::SyncDaemon d;
  d.state = ipvs::genl::daemon_master;
  d.interface = "vs0";
  d.sync_id = 7;
  d.maxlen = 1400;
  d.group = ip("224.0.0.82");
  d.port = 8850;
  d.ttl = 2;
  Bytes m = ipvs::genl::new_daemon(0x1c, d);
  const Bytes want = {
      0x50, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, // len 80
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
      0x09, 0x01, 0x00, 0x00,                         // IPVS_CMD_NEW_DAEMON
      0x3c, 0x00, 0x03, 0x80,                         // nested IPVS_CMD_ATTR_DAEMON, 60 bytes
      0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, // STATE = master
      0x08, 0x00, 0x02, 0x00, 'v',  's',  '0',  0x00, // MCAST_IFN "vs0"
      0x08, 0x00, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, // SYNC_ID 7
      0x06, 0x00, 0x04, 0x00, 0x78, 0x05, 0x00, 0x00, // SYNC_MAXLEN 1400
      0x08, 0x00, 0x05, 0x00, 224,  0,    0,    82,   // MCAST_GROUP
      0x06, 0x00, 0x07, 0x00, 0x92, 0x22, 0x00, 0x00, // MCAST_PORT 8850, host order (the kernel's)
      0x05, 0x00, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, // MCAST_TTL 2
  };
  CHECK(m == want);
  CHECK(ok(ipvs::genl::parse_daemon(m)) == d);

  Bytes del = ipvs::genl::del_daemon(0x1c, ipvs::genl::daemon_backup);
  const Bytes want_del = {
      0x20, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x05, 0x00, //
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
      0x0a, 0x01, 0x00, 0x00,                         // IPVS_CMD_DEL_DAEMON
      0x0c, 0x00, 0x03, 0x80,                         //
      0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, // STATE = backup
  };
  CHECK(del == want_del);
  CHECK(std::holds_alternative<ipvs::genl::ParseError>(ipvs::genl::parse_daemon(del)));
}
