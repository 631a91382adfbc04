#pragma once
// The generic statement tree of keepalived.conf: every line is a keyword with arguments,
// optionally followed by a `{ ... }` block of further statements. Offsets point into the
// preprocessed text and are turned into file:line:col through the SourceMap.
//
// The tree is flat: a Tree owns every statement and every argument in two arrays, and a
// statement's arguments and children are views of consecutive runs of them (one allocation per
// array instead of several per statement; a 120,000-line configuration used to spend a third of
// its parse in allocating and freeing them). A Tree can be moved, never copied.
#include <cstdint>
#include <span>
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
  std::span<const Word> args;
  bool has_block = false;
  std::uint32_t open_offset = 0; ///< the '{'
  std::span<const Statement> children;
};

/// A structural problem found while building the tree (unbalanced braces, bad quotes).
struct SyntaxError {
  std::uint32_t offset = 0;
  std::string message;
};

struct Tree {
  Tree() = default;
  Tree(Tree&&) = default;
  Tree& operator=(Tree&&) = default;
  Tree(const Tree&) = delete; // the views would point into the original
  Tree& operator=(const Tree&) = delete;

  std::span<const Statement> statements; ///< the top level
  std::vector<SyntaxError> errors;
  std::vector<Statement> statement_store; ///< every statement; blocks' children are runs of it
  std::vector<Word> word_store;           ///< every argument; statements' args are runs of it
};

} // namespace vigil::grammar::ast
