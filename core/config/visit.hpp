#pragma once
// Visits every value of one type inside the configuration model (e.g. every Command, to check
// the programs it names), through the Boost.Describe descriptions of the model structs.
#include <optional>
#include <type_traits>
#include <vector>

#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include "core/config/common.hpp"

namespace vigil::core::config {

namespace detail {
template <class> struct is_optional : std::false_type {};
template <class U> struct is_optional<std::optional<U>> : std::true_type {};
template <class U> struct is_optional<Boxed<U>> : std::true_type {};
template <class> struct is_vector : std::false_type {};
template <class U> struct is_vector<std::vector<U>> : std::true_type {};
} // namespace detail

/// Calls `f(const Target&)` for every Target reachable from `value`.
template <class Target, class T, class F> void visit_all(const T& value, F&& f) {
  if constexpr (std::is_same_v<T, Target>) {
    f(value);
  } else if constexpr (detail::is_optional<T>::value) {
    if (value)
      visit_all<Target>(*value, f);
  } else if constexpr (detail::is_vector<T>::value) {
    for (const auto& item : value)
      visit_all<Target>(item, f);
  } else if constexpr (boost::describe::has_describe_members<T>::value) {
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>(
        [&](auto member) { visit_all<Target>(value.*member.pointer, f); });
  }
}

} // namespace vigil::core::config
