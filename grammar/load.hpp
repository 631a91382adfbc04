#pragma once
// The public face of the grammar library: keepalived.conf text -> immutable Config.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/diagnostic.hpp"

namespace vigil::grammar {

struct LoadOptions {
  std::string config_id;   ///< for `@ID` lines (keepalived -i; default: the short host name)
  std::string hostname;    ///< default router_id, smtp_helo_name, email sender
  bool all_config = false; ///< `-e`: an include matching nothing is an error
  /// Expansion limits (see PreprocessOptions); 0 keeps the preprocessor's default.
  std::size_t max_expanded_bytes = 0;
  std::uint64_t max_expansion_steps = 0;
};

/// A keyword the model accepts but this vigild build does not act on yet.
struct Unacted {
  core::SourcePos pos;
  std::string source_line;
  std::string keyword;
  std::string block; ///< enclosing block keyword ("" at the top level)
};

struct LoadResult {
  /// Set only when there are no errors.
  core::config::ConfigPtr config;
  core::Diagnostics diagnostics;
  std::vector<Unacted> unacted;
  bool file_unreadable = false; ///< the top file could not be read (`-t` exit code 4)
  /// The statement text the parser read: includes, variables and ~SEQ expanded, comments,
  /// blank lines and indentation gone (what the daemon's configuration hash covers: a
  /// 40,000-real-server configuration is 2.5 MB of it, its normalized JSON 200 MB).
  std::shared_ptr<const std::string> text;
};

LoadResult load_file(const std::string& path, const LoadOptions& options);
LoadResult load_text(std::string_view text, const std::string& name, const LoadOptions& options);

} // namespace vigil::grammar
