#pragma once
// Builds the generic statement tree from preprocessed text (Spirit X3; instantiated in
// parser.cpp only, so nothing else pays for X3's compile time).
#include <string_view>

#include "grammar/ast.hpp"

namespace vigil::grammar {

/// Never fails: structural problems are returned in `Tree::errors` and parsing continues, so
/// every problem of a file is reported in one run.
ast::Tree parse_tree(std::string_view text);

} // namespace vigil::grammar
