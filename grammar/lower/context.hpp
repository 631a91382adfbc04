#pragma once
// Lowering: the generic statement tree -> the typed, validated model. This header holds the
// shared machinery: diagnostics with positions, value parsers that never substitute a default
// for a bad value, and keyword tables driving each block.
#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/diagnostic.hpp"
#include "grammar/ast.hpp"
#include "grammar/load.hpp"
#include "grammar/source_map.hpp"

namespace vigil::grammar::lower {

using ast::Statement;
using ast::Word;
using core::Micros;
using grammar::Unacted;

class Ctx {
public:
  Ctx(const SourceMap& map, core::Diagnostics& diags) : map_(map), diags_(diags) {}

  // --- diagnostics -------------------------------------------------------------------------
  void error(std::uint32_t offset, std::string message, std::string note = {});
  void warning(std::uint32_t offset, std::string message, std::string note = {});
  void error(const Word& at, std::string message, std::string note = {}) {
    error(at.offset, std::move(message), std::move(note));
  }
  void warning(const Word& at, std::string message, std::string note = {}) {
    warning(at.offset, std::move(message), std::move(note));
  }
  /// Diagnostics about whole objects, found after lowering (duplicates, references).
  void error(const core::config::Where& at, std::string message, std::string note = {});
  void warning(const core::config::Where& at, std::string message, std::string note = {});
  core::config::Where where(const Word& w) const { return {map_.resolve(w.offset, &hint_)}; }
  core::SourcePos pos(std::uint32_t offset) const { return map_.resolve(offset, &hint_); }
  std::string describe(const core::config::Where& w) const; ///< "file:line:col"
  std::size_t error_count() const { return diags_.error_count(); }

  void unacted(const Statement& s, std::string_view block);
  /// An option or value inside an acting keyword that the daemon does not act on yet.
  void unacted(const Word& at, std::string what, std::string_view block);
  const std::vector<Unacted>& unacted() const { return unacted_; }
  void enter_unacted(bool yes) { unacted_depth_ += yes ? 1 : 0; }
  void leave_unacted(bool yes) { unacted_depth_ -= yes ? 1 : 0; }

  // --- arguments -----------------------------------------------------------------------------
  /// Checks the argument count; reports "'kw' takes ..." and returns false when wrong.
  bool args(const Statement& s, std::size_t min, std::size_t max);
  /// Reports an unexpected block on a keyword that takes none.
  void no_block(const Statement& s);

  // --- values (each reports its own error and returns nullopt on a bad value) --------------
  std::optional<long long> integer(const Word& w, std::string_view what, long long min,
                                   long long max);
  std::optional<Micros> seconds(const Word& w, std::string_view what, Micros min, Micros max);
  std::optional<bool> boolean(const Word& w, std::string_view what);
  std::optional<core::IpAddress> ip(const Word& w, std::string_view what);
  std::optional<core::IpPrefix> prefix(const Word& w, std::string_view what);
  std::optional<std::uint16_t> port(const Word& w, std::string_view what);
  /// `CMD [USER [GROUP]]`: the command split like shell words, never run through a shell.
  std::optional<core::config::Command> command(const Statement& s, std::size_t first_arg = 0);

  // --- setters for the common keyword shapes -----------------------------------------------
  template <class Int> void set(const Statement& s, Int& field, long long min, long long max) {
    if (!args(s, 1, 1))
      return;
    if (auto v = integer(s.args[0], s.keyword.text, min, max))
      field = static_cast<Int>(*v);
  }
  void set_seconds(const Statement& s, Micros& field, Micros min, Micros max);
  void set_seconds(const Statement& s, std::optional<Micros>& field, Micros min, Micros max);
  /// `KEYWORD [BOOL]`: no argument means true.
  void set_flag(const Statement& s, bool& field);
  void set_flag(const Statement& s, std::optional<bool>& field);
  void set_string(const Statement& s, std::string& field);
  void set_string(const Statement& s, std::optional<std::string>& field);
  void set_ip(const Statement& s, std::optional<core::IpAddress>& field);
  void set_command(const Statement& s, std::optional<core::config::Command>& field);
  void set_command(const Statement& s, core::config::Boxed<core::config::Command>& field);
  /// A block whose lines are single words (e.g. `notification_email`, sync-group `group`).
  std::vector<std::string> word_list(const Statement& s);

private:
  const SourceMap& map_;
  core::Diagnostics& diags_;
  std::vector<Unacted> unacted_;
  int unacted_depth_ = 0;
  mutable std::size_t hint_ = 0; ///< the source map segment of the last position asked for
};

// --- keyword tables ------------------------------------------------------------------------

enum class Shape : std::uint8_t {
  line,   ///< keyword with arguments, no block
  block,  ///< keyword with a `{ ... }` block (arguments allowed)
  either, ///< both forms are accepted
};

/// Phase lets a block's settings apply before its sub-blocks whatever the order in the file
/// (a `real_server` inherits `delay_loop` even when `delay_loop` is written after it).
enum class Phase : std::uint8_t { first, second };

template <class T> struct Keyword {
  std::string_view name;
  void (*handler)(Ctx&, const Statement&, T&);
  Shape shape = Shape::line;
  Phase phase = Phase::first;
  bool acts = false; ///< the running daemon acts on it (else: refused at start, see Unacted)
};

/// A keepalived keyword vigil does not implement: rejected by name.
struct Unsupported {
  std::string_view name;
  std::string_view what; ///< e.g. "BFD", "SNMP"; may be empty
};

/// Reports an unknown keyword with a did-you-mean hint drawn from `candidates`.
void unknown_keyword(Ctx& c, const Statement& s, std::string_view block,
                     std::span<const std::string_view> candidates);

/// Reports a keepalived keyword that vigil does not support; false if `s` is not one.
bool reject_unsupported(Ctx& c, const Statement& s, std::span<const Unsupported> list);

/// The keepalived keywords vigil rejects by name, wherever they appear.
std::span<const Unsupported> unsupported_keywords();

/// A keyword table's names hashed once, so that finding a block's keywords costs a hash each
/// instead of a walk of the table (a virtual server's real servers went through 37 names twice).
class KeywordIndex {
public:
  explicit KeywordIndex(std::span<const std::string_view> names);
  /// The position of `word` among the names, or -1.
  int find(std::string_view word) const;

private:
  std::vector<std::string_view> names_;
  std::vector<std::int16_t> slots_; ///< open addressing, a power of two, -1 when empty
};

/// The index of `table` (built on first use, per thread: configurations are read on the main
/// thread at start and on the worker at reload).
template <class T> const KeywordIndex& keyword_index(std::span<const Keyword<T>> table) {
  // (a deque: blocks nest, and an outer block's index must stay where it is while an inner
  // block of the same draft type adds its table's)
  thread_local std::deque<std::pair<const Keyword<T>*, KeywordIndex>> cache;
  for (const auto& [t, index] : cache)
    if (t == table.data())
      return index;
  std::vector<std::string_view> names;
  names.reserve(table.size());
  for (const auto& k : table)
    names.push_back(k.name);
  return cache.emplace_back(table.data(), KeywordIndex(names)).second;
}

/// Whether a table's keywords act: each as its `acts` says, or all of them (tables whose
/// every keyword the daemon honours, such as the checker blocks).
enum class TableActs : std::uint8_t { per_keyword, all };

/// Runs every statement of `s`'s block through `table` (phase first, then second).
template <class T>
void lower_block(Ctx& c, const Statement& s, std::span<const Keyword<T>> table, T& target,
                 std::string_view block, TableActs table_acts = TableActs::per_keyword) {
  // Only the top level has second-phase keywords; other blocks need one pass, not two.
  const bool two_phases = std::any_of(table.begin(), table.end(),
                                      [](const Keyword<T>& k) { return k.phase == Phase::second; });
  const KeywordIndex& index = keyword_index(table);
  // The first pass remembers what it found for the second (up to a point).
  constexpr std::size_t remembered = 64;
  std::array<std::int16_t, remembered> found;
  for (Phase phase : {Phase::first, Phase::second}) {
    if (phase == Phase::second && !two_phases)
      break;
    for (std::size_t n = 0; n < s.children.size(); ++n) {
      const Statement& child = s.children[n];
      int at;
      if (phase == Phase::second && n < remembered) {
        at = found[n];
      } else {
        at = index.find(child.keyword.text);
        if (n < remembered)
          found[n] = std::int16_t(at);
      }
      const Keyword<T>* kw = at < 0 ? nullptr : &table[std::size_t(at)];
      if (kw == nullptr) {
        if (phase == Phase::first && !reject_unsupported(c, child, unsupported_keywords())) {
          std::vector<std::string_view> names;
          names.reserve(table.size());
          for (const auto& k : table)
            names.push_back(k.name);
          unknown_keyword(c, child, block, names);
        }
        continue;
      }
      if (kw->phase != phase)
        continue;
      if (kw->shape == Shape::line && child.has_block) {
        c.no_block(child);
        continue;
      }
      if (kw->shape == Shape::block && !child.has_block) {
        c.error(child.keyword, "'" + child.keyword.text + "' needs a '{ ... }' block");
        continue;
      }
      // Only the outermost keyword the daemon does not act on is reported.
      const bool acts = kw->acts || table_acts == TableActs::all;
      if (!acts)
        c.unacted(child, block);
      c.enter_unacted(!acts);
      kw->handler(c, child, target);
      c.leave_unacted(!acts);
    }
  }
}

/// Shell-like word splitting: blanks separate words, single quotes keep everything, double
/// quotes allow backslash escapes, a backslash outside quotes escapes the next character.
/// Returns nullopt on an unterminated quote.
std::optional<std::vector<std::string>> split_words(std::string_view text);

/// Levenshtein distance, for did-you-mean hints.
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace vigil::grammar::lower
