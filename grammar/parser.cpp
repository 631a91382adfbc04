// The one translation unit that instantiates the Spirit X3 grammar of the statement tree.
//
// The grammar is flat on purpose: a line is a sequence of words and braces. Semantic actions
// build the tree with an explicit stack, which lets `{` stand on the keyword's line or on the next
// one, several statements share a line (`virtual_ipaddress { 10.0.0.1/24 }`), and unbalanced
// braces be reported without stopping, so one run shows every problem of a file.
#include "grammar/parser.hpp"

#include <deque>
#include <functional>

#include <boost/spirit/home/x3.hpp>

namespace vigil::grammar {
namespace {

namespace x3 = boost::spirit::x3;

struct BuildState {
  const char* begin = nullptr;
  ast::Tree tree;
  std::vector<ast::Statement*> stack; ///< open blocks, innermost last
  ast::Statement* current = nullptr;  ///< statement being built on this line
  ast::Statement* last = nullptr;     ///< may still take a `{`
  std::deque<ast::Statement> orphans; ///< blocks opened without a keyword (error recovery)

  std::uint32_t offset(const char* p) const { return std::uint32_t(p - begin); }
  std::vector<ast::Statement>& container() {
    return stack.empty() ? tree.statements : stack.back()->children;
  }
  void error(const char* at, std::string msg) {
    tree.errors.push_back({offset(at), std::move(msg)});
  }

  void word(ast::Word w) {
    if (current == nullptr) {
      auto& c = container();
      c.emplace_back();
      current = &c.back();
      current->keyword = std::move(w);
      last = current;
    } else {
      current->args.push_back(std::move(w));
    }
  }

  void open(const char* at) {
    if (last != nullptr && !last->has_block) {
      last->has_block = true;
      last->open_offset = offset(at);
      stack.push_back(last);
    } else {
      error(at, "'{' without a keyword before it");
      orphans.emplace_back();
      orphans.back().has_block = true;
      orphans.back().open_offset = offset(at);
      stack.push_back(&orphans.back());
    }
    current = nullptr;
    last = nullptr;
  }

  void close(const char* at) {
    if (stack.empty())
      error(at, "unexpected '}' (no block is open here)");
    else
      stack.pop_back();
    current = nullptr;
    last = nullptr;
  }

  void end_of_line() { current = nullptr; }
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
const auto brace = x3::char_("{}");

const auto dq_word =
    x3::raw[x3::lit('"') >> *((x3::lit('\\') >> (x3::char_ - '\n')) | (x3::char_ - '"' - '\n')) >>
            -x3::lit('"')];
const auto sq_word = x3::raw[x3::lit('\'') >> *(x3::char_ - '\'' - '\n') >> -x3::lit('\'')];
// A bare word: anything but blanks; a brace ends it only where the brace stands at the end.
const auto bare_word =
    x3::raw[(x3::char_ - blank - '\n' - brace - '"' - '\'') >>
            *(!(brace >> (blank | eol | x3::eoi)) >> (x3::char_ - blank - '\n'))];

const auto item = x3::raw[x3::lit('{')][on_open] | x3::raw[x3::lit('}')][on_close] |
                  dq_word[on_dq] | sq_word[on_sq] | bare_word[on_bare];
const auto file = *(+blank | eol[on_eol] | item) >> x3::eoi;

} // namespace

ast::Tree parse_tree(std::string_view text) {
  BuildState st;
  st.begin = text.data();
  const char* first = text.data();
  const char* last = text.data() + text.size();
  bool ok = x3::parse(first, last, x3::with<state_tag>(std::ref(st))[file]);
  if (!ok || first != last)
    st.error(first, "unexpected character");
  for (auto it = st.stack.rbegin(); it != st.stack.rend(); ++it) {
    const ast::Statement* s = *it;
    std::string what = s->keyword.text;
    for (const auto& a : s->args)
      what += ' ' + a.text;
    st.tree.errors.push_back(
        {s->open_offset, what.empty() ? std::string("missing '}' for the block opened here")
                                      : "missing '}' for '" + what + "' (block opened here)"});
  }
  return std::move(st.tree);
}

} // namespace vigil::grammar
