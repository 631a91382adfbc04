#pragma once
// Which block accepts which keyword: used for "belongs in 'vrrp_instance'" hints. Each lowering
// unit lists its tables' names; the registry joins them.
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::grammar::lower {

/// (keyword, block) pairs; the top level is the empty block name.
using KeywordHome = std::pair<std::string_view, std::string_view>;

void list_global_keywords(std::vector<KeywordHome>& out);
void list_vrrp_keywords(std::vector<KeywordHome>& out);
void list_lvs_keywords(std::vector<KeywordHome>& out);
void list_top_keywords(std::vector<KeywordHome>& out);

/// The blocks (by name; "" = top level) in which `keyword` is valid.
std::vector<std::string_view> blocks_accepting(std::string_view keyword);

/// Adds every name of `table` as valid in `block`.
template <class Table>
void list_names(const Table& table, std::string_view block, std::vector<KeywordHome>& out) {
  for (const auto& k : table)
    out.emplace_back(k.name, block);
}

} // namespace vigil::grammar::lower
