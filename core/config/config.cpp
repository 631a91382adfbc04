#include "core/config/config.hpp"

#include "core/json.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <type_traits>

#include <boost/describe/enum_to_string.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

namespace vigil::core::config {
namespace {

template <class T> const T* find_named(const std::vector<T>& items, std::string_view name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& t) { return t.name == name; });
  return it == items.end() ? nullptr : &*it;
}

// Writes any described model type through the shared JSON writer.
template <class> struct is_optional : std::false_type {};
template <class U> struct is_optional<std::optional<U>> : std::true_type {};
template <class U> struct is_optional<Boxed<U>> : std::true_type {};
template <class> struct is_vector : std::false_type {};
template <class U> struct is_vector<std::vector<U>> : std::true_type {};

template <class T> void write(Json& j, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    j.value(v);
  } else if constexpr (std::is_enum_v<T>) {
    j.value(boost::describe::enum_to_string(v, "?"));
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    j.value(static_cast<long long>(v));
  } else if constexpr (std::is_integral_v<T>) {
    j.value(static_cast<unsigned long long>(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    j.value(v);
  } else if constexpr (std::is_same_v<T, IpAddress> || std::is_same_v<T, IpPrefix>) {
    j.value(v.to_string());
  } else if constexpr (std::is_same_v<T, Micros>) {
    j.number_text(seconds_text(v.count()));
  } else if constexpr (std::is_same_v<T, std::array<std::uint8_t, 6>>) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2], v[3], v[4],
                  v[5]);
    j.value(buf);
  } else if constexpr (is_optional<T>::value) {
    if (v)
      write(j, *v);
    else
      j.null();
  } else if constexpr (is_vector<T>::value) {
    j.begin_array();
    for (const auto& item : v)
      write(j, item);
    j.end_array();
  } else {
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    j.begin_object();
    boost::mp11::mp_for_each<Members>([&](auto member) {
      j.key(member.name);
      write(j, v.*member.pointer);
    });
    j.end_object();
  }
}

} // namespace

const VrrpScript* Config::find_script(std::string_view name) const {
  return find_named(vrrp_scripts, name);
}
const TrackFile* Config::find_track_file(std::string_view name) const {
  return find_named(track_files, name);
}
const VrrpInstance* Config::find_instance(std::string_view name) const {
  return find_named(vrrp_instances, name);
}

std::string to_json(const Config& config) {
  Json j(true);
  write(j, config);
  std::string out = j.take();
  out += '\n';
  return out;
}

const char* protocol_name(Protocol p) {
  switch (p) {
  case Protocol::tcp:
    return "tcp";
  case Protocol::udp:
    return "udp";
  case Protocol::sctp:
    return "sctp";
  }
  return "?";
}

std::string describe_vs(const VirtualServer& vs) {
  switch (vs.kind) {
  case VsKind::fwmark:
    return "FWM " + std::to_string(vs.fwmark);
  case VsKind::group:
    return "[group " + vs.group + "]:" + protocol_name(vs.protocol) + ":" + std::to_string(vs.port);
  case VsKind::address:
    break;
  }
  return "[" + (vs.address ? vs.address->to_string() : std::string("?")) +
         "]:" + protocol_name(vs.protocol) + ":" + std::to_string(vs.port);
}

std::string describe_rs(const VirtualServer& vs, const RealServer& rs) {
  std::string s;
  s.reserve(48);
  s += '[';
  s += rs.address.to_string();
  s += "]:";
  s += protocol_name(vs.protocol);
  s += ':';
  s += std::to_string(rs.port);
  return s;
}

const char* checker_keyword(CheckerKind kind) {
  switch (kind) {
  case CheckerKind::http_get:
    return "HTTP_GET";
  case CheckerKind::ssl_get:
    return "SSL_GET";
  case CheckerKind::tcp_check:
    return "TCP_CHECK";
  case CheckerKind::smtp_check:
    return "SMTP_CHECK";
  case CheckerKind::misc_check:
    return "MISC_CHECK";
  case CheckerKind::dns_check:
    return "DNS_CHECK";
  case CheckerKind::udp_check:
    return "UDP_CHECK";
  case CheckerKind::ping_check:
    return "PING_CHECK";
  case CheckerKind::file_check:
    return "FILE_CHECK";
  }
  return "?";
}

} // namespace vigil::core::config
