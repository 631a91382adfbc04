#include "grammar/lower/context.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "grammar/lower/registry.hpp"

namespace vigil::grammar::lower {

void Ctx::error(std::uint32_t offset, std::string message, std::string note) {
  auto [pos, line] = map_.locate(offset);
  diags_.error(std::move(pos), std::move(message), std::string(line), std::move(note));
}

void Ctx::warning(std::uint32_t offset, std::string message, std::string note) {
  auto [pos, line] = map_.locate(offset);
  diags_.warning(std::move(pos), std::move(message), std::string(line), std::move(note));
}

void Ctx::error(const core::config::Where& at, std::string message, std::string note) {
  diags_.error(at.pos, std::move(message), std::string(map_.line_text(at.pos)), std::move(note));
}

void Ctx::warning(const core::config::Where& at, std::string message, std::string note) {
  diags_.warning(at.pos, std::move(message), std::string(map_.line_text(at.pos)), std::move(note));
}

std::string Ctx::describe(const core::config::Where& w) const {
  return w.pos.file + ':' + std::to_string(w.pos.line) + ':' + std::to_string(w.pos.col);
}

void Ctx::unacted(const Statement& s, std::string_view block) {
  if (unacted_depth_ > 0)
    return;
  auto [pos, line] = map_.locate(s.keyword.offset);
  unacted_.push_back({std::move(pos), std::string(line), s.keyword.text, std::string(block)});
}

void Ctx::unacted(const Word& at, std::string what, std::string_view block) {
  if (unacted_depth_ > 0)
    return;
  auto [pos, line] = map_.locate(at.offset);
  unacted_.push_back({std::move(pos), std::string(line), std::move(what), std::string(block)});
}

bool Ctx::args(const Statement& s, std::size_t min, std::size_t max) {
  std::size_t n = s.args.size();
  if (n >= min && n <= max)
    return true;
  std::string expected;
  if (min == max)
    expected =
        min == 0 ? "no argument" : std::to_string(min) + (min == 1 ? " argument" : " arguments");
  else if (max == SIZE_MAX)
    expected = "at least " + std::to_string(min) + (min == 1 ? " argument" : " arguments");
  else
    expected = std::to_string(min) + " to " + std::to_string(max) + " arguments";
  std::uint32_t at = n > max ? s.args[max].offset : s.keyword.offset;
  error(at, "'" + s.keyword.text + "' takes " + expected + ", not " + std::to_string(n));
  return false;
}

void Ctx::no_block(const Statement& s) {
  error(s.open_offset, "'" + s.keyword.text + "' does not take a '{ ... }' block");
}

std::optional<long long> Ctx::integer(const Word& w, std::string_view what, long long min,
                                      long long max) {
  const std::string& t = w.text;
  long long v = 0;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  int base = 10;
  bool neg = false;
  if (first != last && (*first == '-' || *first == '+')) {
    neg = *first == '-';
    ++first;
  }
  if (last - first > 2 && first[0] == '0' && (first[1] == 'x' || first[1] == 'X')) {
    base = 16;
    first += 2;
  }
  auto [ptr, ec] = std::from_chars(first, last, v, base);
  if (first != last && ptr == last && ec == std::errc::result_out_of_range) {
    error(w, "'" + std::string(what) + "' must be in the range " + std::to_string(min) + ".." +
                 std::to_string(max) + ", not " + t);
    return std::nullopt;
  }
  if (first == last || ptr != last || ec != std::errc()) {
    error(w, "'" + t + "' is not an integer (for '" + std::string(what) + "')");
    return std::nullopt;
  }
  if (neg)
    v = -v;
  if (v < min || v > max) {
    error(w, "'" + std::string(what) + "' must be in the range " + std::to_string(min) + ".." +
                 std::to_string(max) + ", not " + t);
    return std::nullopt;
  }
  return v;
}

std::optional<Micros> Ctx::seconds(const Word& w, std::string_view what, Micros min, Micros max) {
  // Decimal seconds, microsecond resolution: 1, 0.5, 4.12, .25
  const std::string& t = w.text;
  std::size_t i = 0;
  long long whole = 0;
  long long frac = 0;
  int frac_digits = 0;
  bool digits = false;
  bool bad = t.empty();
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
    digits = true;
    // Past 10^8 s every bound is exceeded: stop there (saturate) so that a long digit string
    // gets the range error below instead of overflowing.
    if (whole <= 100'000'000)
      whole = whole * 10 + (t[i] - '0');
    ++i;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      digits = true;
      if (frac_digits < 6) {
        frac = frac * 10 + (t[i] - '0');
        ++frac_digits;
      } else if (t[i] != '0') {
        error(w, "'" + std::string(what) + "' has a resolution of one microsecond; '" + t +
                     "' has more decimals");
        return std::nullopt;
      }
      ++i;
    }
  }
  if (bad || !digits || i != t.size()) {
    error(w, "'" + t + "' is not a number of seconds (for '" + std::string(what) + "')");
    return std::nullopt;
  }
  while (frac_digits < 6) {
    frac *= 10;
    ++frac_digits;
  }
  Micros v{whole * 1'000'000 + frac};
  if (v < min || v > max) {
    auto fmt = [](Micros m) {
      std::string s = std::to_string(m.count() / 1'000'000);
      auto f = m.count() % 1'000'000;
      if (f != 0) {
        std::string fs = std::to_string(f + 1'000'000).substr(1);
        while (fs.back() == '0')
          fs.pop_back();
        s += '.' + fs;
      }
      return s;
    };
    error(w, "'" + std::string(what) + "' must be between " + fmt(min) + " and " + fmt(max) +
                 " seconds, not " + t);
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Ctx::boolean(const Word& w, std::string_view what) {
  std::string t = w.text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (t == "on" || t == "true" || t == "yes")
    return true;
  if (t == "off" || t == "false" || t == "no")
    return false;
  error(w, "'" + w.text + "' is not a boolean (for '" + std::string(what) + "')",
        "use on/off, true/false or yes/no");
  return std::nullopt;
}

std::optional<core::IpAddress> Ctx::ip(const Word& w, std::string_view what) {
  auto a = core::IpAddress::parse(w.text);
  if (!a)
    error(w, "'" + w.text + "' is not an IP address (for '" + std::string(what) + "')");
  return a;
}

std::optional<core::IpPrefix> Ctx::prefix(const Word& w, std::string_view what) {
  auto p = core::IpPrefix::parse(w.text);
  if (!p) {
    auto slash = w.text.find('/');
    if (slash != std::string::npos && core::IpAddress::parse(w.text.substr(0, slash)))
      error(w, "'" + w.text + "' has a bad prefix length (for '" + std::string(what) + "')");
    else
      error(w, "'" + w.text + "' is not an IP address or prefix (for '" + std::string(what) + "')");
  }
  return p;
}

std::optional<std::uint16_t> Ctx::port(const Word& w, std::string_view what) {
  auto v = integer(w, what, 0, 65535);
  if (!v)
    return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::optional<core::config::Command> Ctx::command(const Statement& s, std::size_t first_arg) {
  if (!args(s, first_arg + 1, first_arg + 3))
    return std::nullopt;
  const Word& w = s.args[first_arg];
  auto words = split_words(w.text);
  if (!words) {
    error(w, "unterminated quote in the command of '" + s.keyword.text + "'");
    return std::nullopt;
  }
  if (words->empty()) {
    error(w, "'" + s.keyword.text + "' has an empty command");
    return std::nullopt;
  }
  core::config::Command cmd;
  cmd.where = where(s.keyword);
  cmd.text = w.text;
  cmd.argv = std::move(*words);
  if (s.args.size() > first_arg + 1) {
    core::config::RunAs ra;
    ra.user = s.args[first_arg + 1].text;
    if (s.args.size() > first_arg + 2)
      ra.group = s.args[first_arg + 2].text;
    cmd.run_as = std::move(ra);
  }
  return cmd;
}

void Ctx::set_seconds(const Statement& s, Micros& field, Micros min, Micros max) {
  if (!args(s, 1, 1))
    return;
  if (auto v = seconds(s.args[0], s.keyword.text, min, max))
    field = *v;
}

void Ctx::set_seconds(const Statement& s, std::optional<Micros>& field, Micros min, Micros max) {
  if (!args(s, 1, 1))
    return;
  if (auto v = seconds(s.args[0], s.keyword.text, min, max))
    field = *v;
}

void Ctx::set_flag(const Statement& s, bool& field) {
  if (!args(s, 0, 1))
    return;
  if (s.args.empty()) {
    field = true;
    return;
  }
  if (auto v = boolean(s.args[0], s.keyword.text))
    field = *v;
}

void Ctx::set_flag(const Statement& s, std::optional<bool>& field) {
  bool v = false;
  std::size_t before = diags_.error_count();
  set_flag(s, v);
  if (diags_.error_count() == before)
    field = v;
}

void Ctx::set_string(const Statement& s, std::string& field) {
  if (!args(s, 1, 1))
    return;
  field = s.args[0].text;
}

void Ctx::set_string(const Statement& s, std::optional<std::string>& field) {
  if (!args(s, 1, 1))
    return;
  field = s.args[0].text;
}

void Ctx::set_ip(const Statement& s, std::optional<core::IpAddress>& field) {
  if (!args(s, 1, 1))
    return;
  if (auto a = ip(s.args[0], s.keyword.text))
    field = *a;
}

void Ctx::set_command(const Statement& s, std::optional<core::config::Command>& field) {
  if (auto c = command(s))
    field = std::move(*c);
}

void Ctx::set_command(const Statement& s, core::config::Boxed<core::config::Command>& field) {
  if (auto c = command(s))
    field = std::move(*c);
}

std::vector<std::string> Ctx::word_list(const Statement& s) {
  std::vector<std::string> out;
  if (!s.args.empty())
    error(s.args[0], "'" + s.keyword.text + "' takes its entries in the block");
  for (const Statement& line : s.children) {
    if (line.has_block)
      no_block(line);
    out.push_back(line.keyword.text);
    for (const Word& a : line.args)
      out.push_back(a.text);
  }
  return out;
}

std::optional<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool have = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (have)
        words.push_back(std::move(cur));
      cur.clear();
      have = false;
      ++i;
    } else if (c == '\'') {
      auto end = text.find('\'', i + 1);
      if (end == std::string_view::npos)
        return std::nullopt;
      cur.append(text.substr(i + 1, end - i - 1));
      have = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size() &&
            (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' ||
             text[i + 1] == '`')) {
          cur += text[i + 1];
          i += 2;
        } else if (text[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          cur += text[i++];
        }
      }
      if (!closed)
        return std::nullopt;
      have = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[i + 1];
      have = true;
      i += 2;
    } else {
      cur += c;
      have = true;
      ++i;
    }
  }
  if (have)
    words.push_back(std::move(cur));
  return words;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {
std::size_t name_hash(std::string_view w) {
  std::size_t h = 1469598103934665603ull; // FNV-1a
  for (unsigned char ch : w)
    h = (h ^ ch) * 1099511628211ull;
  return h;
}
} // namespace

KeywordIndex::KeywordIndex(std::span<const std::string_view> names)
    : names_(names.begin(), names.end()) {
  std::size_t size = 16;
  while (size < names.size() * 4)
    size *= 2;
  slots_.assign(size, -1);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    std::size_t at = name_hash(names_[i]) & (size - 1);
    while (slots_[at] >= 0 && names_[std::size_t(slots_[at])] != names_[i])
      at = (at + 1) & (size - 1);
    if (slots_[at] < 0) // (a name listed twice keeps its first entry, as the walk found it)
      slots_[at] = std::int16_t(i);
  }
}

int KeywordIndex::find(std::string_view word) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = name_hash(word) & mask;; at = (at + 1) & mask) {
    const int i = slots_[at];
    if (i < 0 || names_[std::size_t(i)] == word)
      return i;
  }
}

void unknown_keyword(Ctx& c, const Statement& s, std::string_view block,
                     std::span<const std::string_view> candidates) {
  const std::string& kw = s.keyword.text;
  std::string where =
      block.empty() ? std::string("at the top level") : "in '" + std::string(block) + "'";
  // A keyword that belongs to another block: most often a missing '}' or a misplaced line.
  auto homes = blocks_accepting(kw);
  if (!homes.empty()) {
    std::string list;
    for (std::size_t i = 0; i < homes.size(); ++i) {
      if (i)
        list += i + 1 == homes.size() ? " or " : ", ";
      list += homes[i].empty() ? std::string("the top level") : "'" + std::string(homes[i]) + "'";
    }
    bool top = std::find(homes.begin(), homes.end(), std::string_view{}) != homes.end();
    c.error(s.keyword, "'" + kw + "' is not valid " + where + "; it belongs in " + list,
            top ? "is a '}' missing before this line?" : std::string());
    return;
  }
  std::string_view best;
  std::size_t best_d = SIZE_MAX;
  for (auto cand : candidates) {
    std::size_t d = edit_distance(kw, cand);
    if (d < best_d) {
      best_d = d;
      best = cand;
    }
  }
  std::size_t limit = std::max<std::size_t>(2, kw.size() / 3);
  std::string note;
  if (!best.empty() && best_d <= limit)
    note = "did you mean '" + std::string(best) + "'?";
  c.error(s.keyword, "unknown keyword '" + kw + "' " + where, note);
}

bool reject_unsupported(Ctx& c, const Statement& s, std::span<const Unsupported> list) {
  for (const auto& u : list) {
    if (u.name != s.keyword.text)
      continue;
    std::string msg = "'" + s.keyword.text + "' is a keepalived feature vigil does not support";
    if (!u.what.empty())
      msg += " (" + std::string(u.what) + ")";
    c.error(s.keyword, msg);
    return true;
  }
  return false;
}

} // namespace vigil::grammar::lower
