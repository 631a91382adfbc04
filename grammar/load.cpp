#include "grammar/load.hpp"

#include "grammar/lower/lower.hpp"
#include "grammar/parser.hpp"
#include "grammar/preprocess.hpp"

namespace vigil::grammar {
namespace {

LoadResult finish(Preprocessed pre, const LoadOptions& options, LoadResult result) {
  ast::Tree tree = parse_tree(pre.text);
  lower::Ctx ctx(pre.map, result.diagnostics);
  lower::LowerOptions lo{options.hostname};
  core::config::Config cfg = lower::lower_tree(ctx, std::move(tree), lo);
  result.unacted = ctx.unacted();
  result.text = std::make_shared<const std::string>(std::move(pre.text));
  if (!result.diagnostics.has_errors())
    result.config = std::make_shared<const core::config::Config>(std::move(cfg));
  return result;
}

PreprocessOptions pp_options(const LoadOptions& options) {
  PreprocessOptions pp;
  pp.config_id = options.config_id;
  pp.all_config = options.all_config;
  if (options.max_expanded_bytes != 0)
    pp.max_output_bytes = options.max_expanded_bytes;
  if (options.max_expansion_steps != 0)
    pp.max_expansion_steps = options.max_expansion_steps;
  return pp;
}

} // namespace

LoadResult load_file(const std::string& path, const LoadOptions& options) {
  LoadResult result;
  auto pre = preprocess_file(path, pp_options(options), result.diagnostics);
  if (pre.main_file_missing) {
    result.file_unreadable = true;
    return result;
  }
  return finish(std::move(pre.out), options, std::move(result));
}

LoadResult load_text(std::string_view text, const std::string& name, const LoadOptions& options) {
  LoadResult result;
  auto pre = preprocess_text(name, text, pp_options(options), result.diagnostics);
  return finish(std::move(pre), options, std::move(result));
}

} // namespace vigil::grammar
