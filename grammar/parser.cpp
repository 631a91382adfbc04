// The one translation unit that instantiates the Spirit X3 grammar of the statement tree.
//
// The grammar is flat on purpose: a line is a sequence of words and braces. Semantic actions
// build the tree with an explicit stack, which lets `{` stand on the keyword's line or on the next
// one, several statements share a line (`virtual_ipaddress { 10.0.0.1/24 }`), and unbalanced
// braces be reported without stopping, so one run shows every problem of a file.
#include "grammar/parser.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <functional>

#include <boost/spirit/home/x3.hpp>

namespace vigil::grammar {
namespace {

namespace x3 = boost::spirit::x3;

constexpr std::uint32_t none = UINT32_MAX;

/// Where a statement sits while the tree is being read (its place among its parent's children
/// is known only at the end).
struct Link {
  std::uint32_t parent = none;  ///< none: the top level
  std::uint32_t args_begin = 0; ///< its arguments are words [args_begin, args_end)
  std::uint32_t args_end = 0;
  bool orphan =
      false; ///< a block opened without a keyword (error recovery): dropped, with its content
};

struct BuildState {
  const char* begin = nullptr;
  std::vector<ast::Statement> stmts; ///< every statement, in file order (the tree's own array)
  std::vector<Link> links;           ///< per statement
  std::vector<ast::Word> words;      ///< every argument, in file order
  std::vector<std::uint32_t> stack;  ///< open blocks, innermost last
  std::uint32_t current = none;      ///< statement being built on this line
  std::uint32_t last = none;         ///< may still take a `{`
  std::vector<ast::SyntaxError> errors;

  std::uint32_t offset(const char* p) const { return std::uint32_t(p - begin); }
  void error(const char* at, std::string msg) { errors.push_back({offset(at), std::move(msg)}); }

  std::uint32_t add(bool orphan) {
    stmts.emplace_back();
    const auto at = std::uint32_t(words.size());
    links.push_back({stack.empty() ? none : stack.back(), at, at, orphan});
    return std::uint32_t(stmts.size() - 1);
  }

  void word(ast::Word&& w) {
    if (current == none) {
      current = last = add(false);
      stmts[current].keyword = std::move(w);
    } else {
      words.push_back(std::move(w));
      links[current].args_end = std::uint32_t(words.size());
    }
  }

  void open(const char* at) {
    std::uint32_t block = last;
    if (block == none || stmts[block].has_block) {
      error(at, "'{' without a keyword before it");
      block = add(true);
    }
    stmts[block].has_block = true;
    stmts[block].open_offset = offset(at);
    stack.push_back(block);
    current = none;
    last = none;
  }

  void close(const char* at) {
    if (stack.empty())
      error(at, "unexpected '}' (no block is open here)");
    else
      stack.pop_back();
    current = none;
    last = none;
  }

  void end_of_line() { current = none; }

  /// Lists each block's children (and the top level) and hands the arrays to the tree.
  ast::Tree finish() {
    const std::size_t n = stmts.size();
    // index_store: the top level, then the children of statement p at [first[p], first[p + 1]).
    std::vector<std::uint32_t> first(n + 1, 0);
    std::uint32_t top = 0;
    for (const Link& l : links)
      if (l.orphan)
        continue;
      else if (l.parent == none)
        ++top;
      else
        ++first[l.parent + 1];
    first[0] = top;
    for (std::size_t i = 1; i <= n; ++i)
      first[i] += first[i - 1];
    ast::Tree t;
    t.index_store.resize(first[n]);
    {
      std::uint32_t roots = 0;
      std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
      for (std::uint32_t i = 0; i < n; ++i)
        if (links[i].orphan)
          continue;
        else if (links[i].parent == none)
          t.index_store[roots++] = i;
        else
          t.index_store[fill[links[i].parent]++] = i;
    }
    t.word_store = std::move(words);
    t.statement_store = std::move(stmts);
    const ast::Statement* base = t.statement_store.data();
    const std::uint32_t* index = t.index_store.data();
    for (std::size_t i = 0; i < n; ++i) {
      ast::Statement& s = t.statement_store[i];
      s.args = {t.word_store.data() + links[i].args_begin, links[i].args_end - links[i].args_begin};
      s.children = {base, {index + first[i], first[i + 1] - first[i]}};
    }
    t.statements = {base, {index, top}};
    t.errors = std::move(errors);
    return t;
  }
};

struct state_tag;

BuildState& state(auto& ctx) {
  return x3::get<state_tag>(ctx).get();
}

std::string decode_double_quoted(const char* first, const char* last) {
  // first points at the opening quote; last is one past the closing quote (if any).
  std::string out;
  const char* p = first + 1;
  const char* end = (last > p && *(last - 1) == '"') ? last - 1 : last;
  auto hexval = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  while (p < end) {
    char c = *p++;
    if (c != '\\' || p >= end) {
      out += c;
      continue;
    }
    char e = *p++;
    switch (e) {
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    case 'x': {
      int v = 0;
      int n = 0;
      while (n < 2 && p < end && hexval(*p) >= 0)
        v = v * 16 + hexval(*p++), ++n;
      if (n == 0)
        out += 'x';
      else
        out += char(v);
      break;
    }
    default:
      if (e >= '0' && e <= '7') {
        int v = e - '0';
        int n = 1;
        while (n < 3 && p < end && *p >= '0' && *p <= '7')
          v = v * 8 + (*p++ - '0'), ++n;
        out += char(v);
      } else {
        out += e; // \\ \" \' and any other escaped character stand for themselves
      }
    }
  }
  return out;
}

const auto on_dq = [](auto& ctx) {
  auto& st = state(ctx);
  auto range = x3::_attr(ctx);
  const char* first = &*range.begin();
  const char* last = first + (range.end() - range.begin());
  if (last - first < 2 || *(last - 1) != '"')
    st.error(first, "missing closing '\"'");
  st.word({decode_double_quoted(first, last), st.offset(first), true});
};

const auto on_sq = [](auto& ctx) {
  auto& st = state(ctx);
  auto range = x3::_attr(ctx);
  const char* first = &*range.begin();
  const char* last = first + (range.end() - range.begin());
  bool closed = last - first >= 2 && *(last - 1) == '\'';
  if (!closed)
    st.error(first, "missing closing \"'\"");
  st.word({std::string(first + 1, closed ? last - 1 : last), st.offset(first), true});
};

const auto on_bare = [](auto& ctx) {
  auto& st = state(ctx);
  auto range = x3::_attr(ctx);
  const char* first = &*range.begin();
  st.word({std::string(first, std::size_t(range.end() - range.begin())), st.offset(first), false});
};

const auto on_open = [](auto& ctx) {
  auto& st = state(ctx);
  st.open(&*x3::_attr(ctx).begin());
};
const auto on_close = [](auto& ctx) {
  auto& st = state(ctx);
  st.close(&*x3::_attr(ctx).begin());
};
const auto on_eol = [](auto& ctx) { state(ctx).end_of_line(); };

const auto blank = x3::char_(" \t\r");
const auto eol = x3::lit('\n');

const auto dq_word =
    x3::raw[x3::lit('"') >> *((x3::lit('\\') >> (x3::char_ - '\n')) | (x3::char_ - '"' - '\n')) >>
            -x3::lit('"')];
const auto sq_word = x3::raw[x3::lit('\'') >> *(x3::char_ - '\'' - '\n') >> -x3::lit('\'')];
// A bare word: anything but blanks; a brace ends it only where the brace stands at the end.
// It is the most frequent token by far, so it is one primitive parser with a table loop rather
// than a combinator per character (a third of the parse of a large configuration).
enum CharClass : std::uint8_t { word_char = 1, word_start = 2, brace_char = 4, ends_brace = 8 };
constexpr auto char_classes = [] {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    const bool blank_or_eol = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    const bool brace_c = c == '{' || c == '}';
    if (!blank_or_eol && !brace_c)
      t[c] |= word_char;
    if (!blank_or_eol && !brace_c && c != '"' && c != '\'')
      t[c] |= word_start;
    if (brace_c)
      t[c] |= brace_char;
    if (blank_or_eol)
      t[c] |= ends_brace; // a brace followed by one of these (or the end) stands alone
  }
  return t;
}();

struct BareWord : x3::parser<BareWord> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <class It, class Ctx, class RCtx, class Attr>
  bool parse(It& first, const It& last, const Ctx&, RCtx&, Attr&) const {
    It p = first;
    if (p == last || !(char_classes[static_cast<unsigned char>(*p)] & word_start))
      return false;
    for (++p; p != last; ++p) {
      const auto k = char_classes[static_cast<unsigned char>(*p)];
      if (k & word_char)
        continue;
      if (!(k & brace_char))
        break;
      const It next = std::next(p);
      if (next == last || (char_classes[static_cast<unsigned char>(*next)] & ends_brace))
        break;
    }
    first = p;
    return true;
  }
};
const auto bare_word = x3::raw[BareWord{}];

const auto item = x3::raw[x3::lit('{')][on_open] | x3::raw[x3::lit('}')][on_close] |
                  dq_word[on_dq] | sq_word[on_sq] | bare_word[on_bare];
const auto file = *(+blank | eol[on_eol] | item) >> x3::eoi;

} // namespace

ast::Tree parse_tree(std::string_view text) {
  BuildState st;
  st.begin = text.data();
  // Room for about one statement and one argument per 16 bytes (a guess that spares most of
  // the growing; an exact count would cost another pass over the text).
  st.stmts.reserve(text.size() / 16 + 1);
  st.links.reserve(text.size() / 16 + 1);
  st.words.reserve(text.size() / 16 + 1);
  const char* first = text.data();
  const char* last = text.data() + text.size();
  bool ok = x3::parse(first, last, x3::with<state_tag>(std::ref(st))[file]);
  if (!ok || first != last)
    st.error(first, "unexpected character");
  for (auto it = st.stack.rbegin(); it != st.stack.rend(); ++it) {
    const ast::Statement& s = st.stmts[*it];
    std::string what = s.keyword.text;
    for (std::uint32_t a = st.links[*it].args_begin; a < st.links[*it].args_end; ++a)
      what += ' ' + st.words[a].text;
    st.errors.push_back(
        {s.open_offset, what.empty() ? std::string("missing '}' for the block opened here")
                                     : "missing '}' for '" + what + "' (block opened here)"});
  }
  return st.finish();
}

} // namespace vigil::grammar
