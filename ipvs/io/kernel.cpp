#include "ipvs/io/kernel.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ipvs/genl.hpp"

namespace vigil::ipvs::io {

namespace asio = boost::asio;

namespace {

std::span<const std::uint8_t> bytes_of(const nlmsghdr& nlh) {
  return {reinterpret_cast<const std::uint8_t*>(&nlh), nlh.nlmsg_len};
}

} // namespace

std::string describe(const ServiceKey& k) {
  if (k.fwmark != 0)
    return "FWM " + std::to_string(k.fwmark) + (k.family == core::Family::inet6 ? " IPv6" : "");
  std::string proto = k.protocol == 6     ? "TCP"
                      : k.protocol == 17  ? "UDP"
                      : k.protocol == 132 ? "SCTP"
                                          : "proto " + std::to_string(k.protocol);
  return proto + " [" + k.address.to_string() + "]:" + std::to_string(k.port);
}

std::string describe(const Op& op) {
  std::string svc = describe(op.service.key);
  auto dest = [&] {
    return op.destination ? "[" + op.destination->address.to_string() +
                                "]:" + std::to_string(op.destination->port)
                          : std::string("?");
  };
  switch (op.kind) {
  case OpKind::add_service:
    return "add service " + svc + " (" + op.service.scheduler + ")";
  case OpKind::edit_service:
    return "edit service " + svc + " (" + op.service.scheduler + ")";
  case OpKind::delete_service:
    return "delete service " + svc;
  case OpKind::add_destination:
    return "add destination " + dest() + " to " + svc;
  case OpKind::edit_destination:
    return "edit destination " + dest() + " of " + svc;
  case OpKind::delete_destination:
    return "delete destination " + dest() + " from " + svc;
  }
  return "?";
}

Kernel::Kernel(asio::io_context& ctx) : ctx_(ctx), sock_(ctx, NETLINK_GENERIC) {
  sock_.start({});
}

asio::awaitable<std::optional<core::io::NetlinkError>> Kernel::open() {
  core::io::Message m(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK);
  auto* h = m.extra<genlmsghdr>();
  h->cmd = CTRL_CMD_GETFAMILY;
  h->version = 1;
  m.put_strz(CTRL_ATTR_FAMILY_NAME, genl::family_name);
  std::uint16_t id = 0;
  auto err = co_await sock_.call(m.take(), [&id](const nlmsghdr& nlh) {
    const auto* base = reinterpret_cast<const std::uint8_t*>(&nlh);
    std::size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(genlmsghdr));
    while (off + sizeof(nlattr) <= nlh.nlmsg_len) {
      nlattr a{};
      std::memcpy(&a, base + off, sizeof a);
      if (a.nla_len < sizeof(nlattr) || off + a.nla_len > nlh.nlmsg_len)
        break;
      if ((a.nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID && a.nla_len >= sizeof(nlattr) + 2)
        std::memcpy(&id, base + off + sizeof(nlattr), 2);
      off += NLA_ALIGN(a.nla_len);
    }
  });
  if (err)
    co_return err;
  if (id == 0)
    co_return core::io::NetlinkError{ENOENT, "the kernel named no IPVS family id"};
  family_ = id;
  co_return std::nullopt;
}

asio::awaitable<std::variant<Table, core::io::NetlinkError>>
Kernel::dump(StatsTable* stats, std::vector<TrashKey>* order) {
  Table table;
  std::vector<ServiceKey> listed; // the kernel's order (its hash table's)
  std::vector<std::string> problems;
  if (stats)
    stats->clear();
  if (order)
    order->clear();
  auto err = co_await sock_.call(genl::dump_services(family_), [&](const nlmsghdr& nlh) {
    auto s = genl::parse_service(bytes_of(nlh));
    if (const auto* svc = std::get_if<Service>(&s)) {
      table[svc->key].service = *svc;
      listed.push_back(svc->key);
      if (stats)
        if (auto st = genl::parse_service_stats(bytes_of(nlh)))
          (*stats)[svc->key].service = *st;
    } else {
      problems.push_back(std::get<genl::ParseError>(s).what);
    }
  });
  if (err)
    co_return *err;
  for (const auto& key : listed) {
    auto& entry = table[key];
    auto derr =
        co_await sock_.call(genl::dump_destinations(family_, key), [&](const nlmsghdr& nlh) {
          auto d = genl::parse_destination(bytes_of(nlh));
          if (const auto* dest = std::get_if<Destination>(&d)) {
            entry.destinations[{dest->address, dest->port}] = *dest;
            if (order)
              order->push_back({key, {dest->address, dest->port}});
            if (stats)
              if (auto st = genl::parse_destination_stats(bytes_of(nlh)))
                (*stats)[key].destinations[{dest->address, dest->port}] = *st;
          } else
            problems.push_back(std::get<genl::ParseError>(d).what);
        });
    if (derr)
      co_return core::io::NetlinkError{derr->code,
                                       "destinations of " + describe(key) + ": " + derr->message};
  }
  if (!problems.empty())
    co_return core::io::NetlinkError{EPROTO, "unreadable IPVS reply: " + problems.front()};
  co_return table;
}

asio::awaitable<std::vector<Failure>> Kernel::apply(const std::vector<Op>& ops) {
  // In batches of `batch_size` requests, one datagram each: the kernel runs a datagram's
  // requests inside the send and answers only the refused ones and the last, so 39,000
  // operations cost about 150 system calls and answers instead of 78,000. One batch at a time:
  // the loop runs between them.
  std::vector<Failure> failures;
  for (std::size_t first = 0; first < ops.size(); first += batch_size) {
    const std::size_t last = std::min(ops.size(), first + batch_size);
    genl::Bytes datagram; // the batch's messages, encoded back to back
    datagram.reserve((last - first) * 160);
    for (std::size_t i = first; i < last; ++i)
      genl::encode_to(ops[i], family_, datagram);
    auto lost = co_await sock_.call_batch(std::move(datagram),
                                          [&](std::size_t i, const core::io::NetlinkError& e) {
                                            failures.push_back({ops[first + i], e});
                                          });
    if (lost) {
      // Not sent, or answers dropped: which ones went in is unknown; the caller reads the table
      // again. Each operation of the batch counts as refused with that reason.
      for (std::size_t i = first; i < last; ++i)
        failures.push_back({ops[i], *lost});
    }
  }
  co_return failures;
}

asio::awaitable<std::optional<core::io::NetlinkError>> Kernel::flush() {
  co_return co_await sock_.call(genl::flush(family_), {});
}

asio::awaitable<std::variant<genl::Timeouts, core::io::NetlinkError>> Kernel::timeouts() {
  std::optional<std::variant<genl::Timeouts, genl::ParseError>> got;
  auto err = co_await sock_.call(genl::get_config(family_), [&](const nlmsghdr& nlh) {
    got = genl::parse_timeouts(bytes_of(nlh));
  });
  if (err)
    co_return *err;
  if (!got)
    co_return core::io::NetlinkError{EPROTO, "no reply to the IPVS configuration request"};
  if (const auto* why = std::get_if<genl::ParseError>(&*got))
    co_return core::io::NetlinkError{EPROTO, "unreadable IPVS configuration: " + why->what};
  co_return std::get<genl::Timeouts>(*got);
}

asio::awaitable<std::optional<core::io::NetlinkError>>
Kernel::set_timeouts(const genl::Timeouts& t) {
  co_return co_await sock_.call(genl::set_config(family_, t), {});
}

asio::awaitable<std::variant<std::vector<genl::SyncDaemon>, core::io::NetlinkError>>
Kernel::daemons() {
  std::vector<genl::SyncDaemon> out;
  std::vector<std::string> problems;
  auto err = co_await sock_.call(genl::dump_daemons(family_), [&](const nlmsghdr& nlh) {
    auto d = genl::parse_daemon(bytes_of(nlh));
    if (auto* sd = std::get_if<genl::SyncDaemon>(&d))
      out.push_back(std::move(*sd));
    else
      problems.push_back(std::get<genl::ParseError>(d).what);
  });
  if (err)
    co_return *err;
  if (!problems.empty())
    co_return core::io::NetlinkError{EPROTO, "unreadable IPVS daemon reply: " + problems.front()};
  co_return out;
}

asio::awaitable<std::optional<core::io::NetlinkError>>
Kernel::start_daemon(const genl::SyncDaemon& d) {
  co_return co_await sock_.call(genl::new_daemon(family_, d), {});
}

asio::awaitable<std::optional<core::io::NetlinkError>> Kernel::stop_daemon(std::uint32_t state) {
  co_return co_await sock_.call(genl::del_daemon(family_, state), {});
}

} // namespace vigil::ipvs::io
