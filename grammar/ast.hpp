#pragma once
// The generic statement tree of keepalived.conf: every line is a keyword with arguments,
// optionally followed by a `{ ... }` block of further statements. Offsets point into the
// preprocessed text and are turned into file:line:col through the SourceMap.
//
// The tree is flat: a Tree owns every statement (in file order), every argument and the lists
// of each block's children in three arrays; a statement's arguments are a run of the argument
// array and its children a run of the index array. A few allocations for a whole configuration
// instead of several per statement, and no copy of the statements to put blocks together (a
// 120,000-line configuration spent a third of its parse allocating, and its page faults are a
// large part of a start on some hosts). A Tree can be moved, never copied.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <vector>

namespace vigil::grammar::ast {

struct Word {
  std::string text;         ///< unquoted, escapes decoded
  std::uint32_t offset = 0; ///< of the first character (the quote for a quoted word)
  bool quoted = false;
};

struct Statement;

/// The statements of a block, in file order: a view of some of the tree's statements by index.
class Statements {
public:
  class iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Statement;
    using difference_type = std::ptrdiff_t;
    using pointer = const Statement*;
    using reference = const Statement&;
    iterator() = default;
    iterator(const Statement* base, const std::uint32_t* at) : base_(base), at_(at) {}
    reference operator*() const;
    pointer operator->() const;
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) {
      iterator was = *this;
      ++at_;
      return was;
    }
    bool operator==(const iterator& o) const { return at_ == o.at_; }

  private:
    const Statement* base_ = nullptr;
    const std::uint32_t* at_ = nullptr;
  };

  Statements() = default;
  Statements(const Statement* base, std::span<const std::uint32_t> index)
      : base_(base), index_(index) {}
  std::size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  const Statement& operator[](std::size_t i) const;
  iterator begin() const { return {base_, index_.data()}; }
  iterator end() const { return {base_, index_.data() + index_.size()}; }

private:
  const Statement* base_ = nullptr;
  std::span<const std::uint32_t> index_;
};

struct Statement {
  Word keyword;
  std::span<const Word> args;
  bool has_block = false;
  std::uint32_t open_offset = 0; ///< the '{'
  Statements children;
};

// (defined here, where a Statement is complete)
inline const Statement& Statements::iterator::operator*() const {
  return base_[*at_];
}
inline const Statement* Statements::iterator::operator->() const {
  return &base_[*at_];
}
inline const Statement& Statements::operator[](std::size_t i) const {
  return base_[index_[i]];
}

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

  Statements statements; ///< the top level
  std::vector<SyntaxError> errors;
  std::vector<Statement> statement_store; ///< every statement, in file order
  std::vector<Word> word_store;           ///< every argument; statements' args are runs of it
  std::vector<std::uint32_t> index_store; ///< the top level, then each block's children
};

} // namespace vigil::grammar::ast
