/* test_main.c — the one main() of build/unit_tests: runs every test. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

int t_passed, t_failed;
const char *t_current = "?";

void t_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  t_failed++;
  printf("FAIL %s:%d [%s] ", file, line, t_current);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

int t_near(double got, double want, double rtol) {
  if (isnan(want)) return isnan(got);
  if (isnan(got)) return 0;
  double scale = fabs(want) > 1 ? fabs(want) : 1;
  return fabs(got - want) <= rtol * scale;
}

int main(void) {
  /* test_expr.c */
  RUN(test_expr_deparse);
  RUN(test_expr_deparse_numbers);
  RUN(test_expr_eval);
  RUN(test_expr_check_arith);
  RUN(test_expr_pi);
  RUN(test_expr_strings);
  /* test_bases.c */
  RUN(test_bases_parse);
  RUN(test_bases_values);
  RUN(test_bases_expr);
  /* test_row_eval.c */
  RUN(test_row_eval_columns);
  RUN(test_row_eval_refusals);
  RUN(test_row_eval_text);
  RUN(test_row_eval_levels);
  /* test_formula_terms.c */
  RUN(test_terms_expansion);
  RUN(test_terms_large_power);
  RUN(test_terms_intercept);
  RUN(test_terms_interaction_order);
  RUN(test_terms_labels);
  RUN(test_formula_columns);
  /* test_formula_dot.c */
  RUN(test_formula_update);
  RUN(test_formula_expand_dot);
  RUN(test_formula_in);
  /* test_formula_bars.c */
  RUN(test_bars_lme4);
  RUN(test_bars_lme4_nested);
  RUN(test_bars_uncorrelated);
  RUN(test_bars_nlme);
  /* test_formula_errors.c */
  RUN(test_formula_syntax_errors);
  RUN(test_formula_semantic_errors);
  /* test_formula_limits.c */
  RUN(test_formula_limits_nesting);
  RUN(test_formula_limits_height);
  RUN(test_formula_limits_nodes);
  RUN(test_formula_limits_terms);
  RUN(test_formula_limits_small_stack);
  /* test_contrasts.c */
  RUN(test_contrasts_poly);
  RUN(test_contrasts_sum_helmert);
  RUN(test_contrasts_names);
  RUN(test_contrasts_values);
  RUN(test_contrasts_errors);
  /* test_options.c */
  RUN(test_options_valid);
  RUN(test_options_errors);
  RUN(test_option_tokens);
  /* test_frame.c */
  RUN(test_frame_text_levels);
  RUN(test_frame_numeric_levels);
  RUN(test_frame_text_keys);
  RUN(test_frame_reserve);
  RUN(test_frame_many_levels);
  RUN(test_frame_rows_bound);
  RUN(test_frame_null_rows);
  RUN(test_frame_errors);
  /* test_numfmt.c */
  RUN(test_numfmt_as_r);
  /* test_pretty.c */
  RUN(test_pretty_as_r);
  RUN(test_hist_counts_as_r);
  RUN(test_lowess_as_r);
  RUN(test_svg_writer);
  RUN(test_plot_options);
  /* test_budget.c */
  RUN(test_alloc_size_arithmetic);
  RUN(test_alloc_host_limits);
  RUN(test_alloc_huge_blocks);
  RUN(test_numfmt_sizes);
  RUN(test_budget_fixed_effects);
  RUN(test_budget_random_effects);
  RUN(test_budget_dense_tail);
  RUN(test_budget_blocks);
  RUN(test_design_term_limits);
  /* test_design.c */
  RUN(test_design_factor_columns);
  RUN(test_design_interactions);
  RUN(test_design_no_intercept);
  RUN(test_design_numeric_by_factor);
  RUN(test_design_random_terms);
  /* test_ols.c */
  RUN(test_ols_by_hand);
  RUN(test_ols_edges);
  /* test_fit_lm.c */
  RUN(test_fit_lm_by_hand);
  /* test_fit_oneway.c */
  RUN(test_fit_oneway_reml_closed_form);
  RUN(test_fit_oneway_ml_closed_form);
  RUN(test_fit_oneway_singular);
  /* test_devfun.c */
  RUN(test_devfun_lme4);
  RUN(test_devfun_not_finite);
  RUN(test_devfun_parts);
  /* test_confint.c */
  RUN(test_confint_percentile);
  RUN(test_confint_wald);
  RUN(test_confint_request);
  RUN(test_fit_dyestuff_reference);
  /* test_factor.c */
  RUN(test_factor_parts_match_one_pass);
  RUN(test_factor_lone_term_parts);
  RUN(test_factor_interrupt);
  RUN(test_factor_crossed_start);
  RUN(test_factor_slope_start);
  RUN(test_factor_dense_tail);
  RUN(test_factor_kept_updates);
  RUN(test_blocks_pattern);
  /* test_feed.c */
  RUN(test_feed_same_frame);
  RUN(test_feed_refused_row);
  /* test_lapack_steps.c */
  RUN(test_steps_qr);
  RUN(test_steps_tpqrt);
  RUN(test_steps_inverse);
  /* test_dense_chol.c */
  RUN(test_dense_chol_factor);
  RUN(test_dense_chol_threads);
  RUN(test_accumulate_parts_add_up);
  RUN(test_accumulate_parts_out_of_memory);
  /* test_inference.c */
  RUN(test_nlme_df);
  RUN(test_ranef_dyestuff);
  /* test_polish.c */
  RUN(test_polish_step);
  RUN(test_polish_refusals);
  RUN(test_polish_to);
  RUN(test_polish_to_ill_conditioned);
  /* test_satterthwaite.c */
  RUN(test_satterthwaite_tests);
  /* test_kenward_roger.c */
  RUN(test_kenward_roger_tests);
  /* test_bootstrap.c */
  RUN(test_bootstrap_rng);
  RUN(test_bootstrap_estimates_order);
  RUN(test_bootstrap_threads);
  RUN(test_bootstrap_lm);
  RUN(test_bootstrap_interrupt);
  RUN(test_bootstrap_options);
  RUN(test_bootstrap_lrt_p);
  RUN(test_bootstrap_structured_draws);
  /* test_code_sort.c */
  RUN(test_code_sort_stable);
  /* test_structure_sums.c */
  RUN(test_structure_sums_ar1_varident);
  RUN(test_structure_sums_car1_and_alone);
  RUN(test_structure_sums_refused);
  /* test_model_errors.c */
  RUN(test_model_errors_grouping);
  RUN(test_model_errors_covariance);
  RUN(test_model_errors_rank);
  RUN(test_model_errors_data);

  printf("%d passed, %d failed\n", t_passed, t_failed);
  return t_failed ? 1 : 0;
}
