#pragma once
// The generic statement tree of keepalived.conf: every line is a keyword with arguments,
// optionally followed by a `{ ... }` block of further statements. Offsets point into the
// preprocessed text and are turned into file:line:col through the SourceMap.
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::grammar::ast {

struct Word {
  std::string text;         ///< unquoted, escapes decoded
  std::uint32_t offset = 0; ///< of the first character (the quote for a quoted word)
  bool quoted = false;
};

struct Statement {
  Word keyword;
  std::vector<Word> args;
  bool has_block = false;
  std::uint32_t open_offset = 0; ///< the '{'
  std::vector<Statement> children;
};

/// A structural problem found while building the tree (unbalanced braces, bad quotes).
struct SyntaxError {
  std::uint32_t offset = 0;
  std::string message;
};

struct Tree {
  std::vector<Statement> statements;
  std::vector<SyntaxError> errors;
};

} // namespace vigil::grammar::ast
