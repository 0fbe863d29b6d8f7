//! In-database models (DESIGN §6). This build has the survival statistics (Kaplan–Meier,
//! Nelson–Aalen, log-rank, concordance) equal to lifelines and L2 logistic regression equal to
//! scikit-learn, WOE bins equal to optbinning and Cox PH (Efron) equal to lifelines; classifiers
//! (logistic, random forest, WOE scorecard, Cox deployment), the registry, governed training and
//! scoring with a per-backend cache (registry.rs, train.rs, predict.rs, sql.rs).

pub mod linalg;
pub mod cox;
pub mod artifact;
pub mod forest;
pub mod metrics;
pub mod logistic;
pub mod woe;
pub mod special;
pub mod survival;
pub mod onnx;
pub mod predict;
pub mod registry;
mod sql;
pub mod train;

use crate::common::args::{f64_array, no_nulls};
use crate::common::error::{OrRaise, SpineError};
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

fn or_raise<T>(func: &str, r: Result<T, survival::SurvivalError>) -> T {
    r.unwrap_or_else(|e| {
        SpineError::invalid(format!("{func}: {e}"))
            .hint("durations are finite and non-negative, events and groups have one entry per duration.")
            .raise()
    })
}

#[pg_schema]
mod ml {
    use super::*;

    /// Kaplan–Meier estimate with its 95 % exponential Greenwood band, one row per distinct time
    /// (equal to lifelines' KaplanMeierFitter).
    #[allow(clippy::type_complexity)]
    #[pg_extern(immutable, parallel_safe)]
    fn kaplan_meier(
        durations: Option<Vec<Option<f64>>>,
        events: Option<Vec<Option<bool>>>,
    ) -> TableIterator<
        'static,
        (
            name!(time, f64),
            name!(at_risk, i64),
            name!(events, i64),
            name!(censored, i64),
            name!(survival, f64),
            name!(ci_lower, f64),
            name!(ci_upper, f64),
        ),
    > {
        const F: &str = "ml.kaplan_meier";
        let (d, e) = (no_nulls(F, "durations", durations), no_nulls(F, "events", events));
        let rows = or_raise(F, survival::kaplan_meier(&d, &e));
        TableIterator::new(rows.into_iter().map(|r| (r.time, r.at_risk, r.events, r.censored, r.survival, r.ci_lower, r.ci_upper)))
    }

    /// Median survival time: the first time the Kaplan–Meier curve is at or below 0.5,
    /// 'Infinity' when it never gets there (as lifelines).
    #[pg_extern(immutable, parallel_safe)]
    fn kaplan_meier_median(durations: Option<Vec<Option<f64>>>, events: Option<Vec<Option<bool>>>) -> f64 {
        const F: &str = "ml.kaplan_meier_median";
        let (d, e) = (no_nulls(F, "durations", durations), no_nulls(F, "events", events));
        or_raise(F, survival::kaplan_meier_median(&d, &e))
    }

    /// Nelson–Aalen cumulative hazard Σ d/n, one row per distinct time (lifelines,
    /// nelson_aalen_smoothing=False).
    #[pg_extern(immutable, parallel_safe)]
    fn nelson_aalen(
        durations: Option<Vec<Option<f64>>>,
        events: Option<Vec<Option<bool>>>,
    ) -> TableIterator<'static, (name!(time, f64), name!(cumulative_hazard, f64))> {
        const F: &str = "ml.nelson_aalen";
        let (d, e) = (no_nulls(F, "durations", durations), no_nulls(F, "events", events));
        TableIterator::new(or_raise(F, survival::nelson_aalen(&d, &e)))
    }

    /// Log-rank test across two or more groups (lifelines' multivariate_logrank_test).
    #[pg_extern(immutable, parallel_safe)]
    fn logrank(
        durations: Option<Vec<Option<f64>>>,
        events: Option<Vec<Option<bool>>>,
        groups: Option<Vec<Option<String>>>,
    ) -> TableIterator<'static, (name!(statistic, f64), name!(dof, i32), name!(pvalue, f64))> {
        const F: &str = "ml.logrank";
        let (d, e, g) = (no_nulls(F, "durations", durations), no_nulls(F, "events", events), no_nulls(F, "groups", groups));
        TableIterator::once(or_raise(F, survival::logrank(&d, &e, &g)))
    }

    /// Harrell's concordance index, lifelines' convention: a higher score means longer survival.
    #[pg_extern(immutable, parallel_safe)]
    fn concordance_index(durations: Option<Vec<Option<f64>>>, scores: Option<Vec<Option<f64>>>, events: Option<Vec<Option<bool>>>) -> f64 {
        const F: &str = "ml.concordance_index";
        let (d, s, e) = (no_nulls(F, "durations", durations), no_nulls(F, "scores", scores), no_nulls(F, "events", events));
        or_raise(F, survival::concordance_index(&d, &s, &e))
    }

    /// L2-penalised logistic regression solved to the optimum: minimises
    /// Σ logloss + ‖w‖²/(2c) with the intercept unpenalised (scikit-learn's C); c = 'Infinity'
    /// fits without a penalty. `x` holds one row of features per label, row-major
    /// (ARRAY[[x11, x12], [x21, x22]]). With standardize, features are z-scored for the fit and
    /// the coefficients returned for the raw features.
    #[pg_extern(immutable, parallel_safe)]
    fn logistic_fit(
        x: Option<pgrx::datum::Array<'_, f64>>,
        y: Option<Vec<Option<bool>>>,
        c: default!(Option<f64>, 1.0),
        standardize: default!(Option<bool>, false),
    ) -> TableIterator<'static, (name!(intercept, f64), name!(coef, Vec<f64>))> {
        const F: &str = "ml.logistic_fit";
        let (x, y) = (f64_array(F, "x", x), no_nulls(F, "y", y));
        let (Some(c), Some(standardize)) = (c, standardize) else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{F}: c and standardize must not be NULL"))
                .hint("Omit them for c = 1.0 and standardize = false.")
                .raise()
        };
        match logistic::fit_with(&x, &y, c, standardize, &mut || { pgrx::check_for_interrupts!(); }) {
            Ok(f) => TableIterator::once((f.intercept, f.coef)),
            Err(e) => SpineError::invalid(format!("{F}: {e}"))
                .hint("x is a rows × features array with one row per label; y has both classes; c > 0.")
                .raise(),
        }
    }

    /// Weight-of-evidence bins (optbinning's conventions): left-closed bins [lower, upper) from
    /// −∞ to +∞ around the interior `edges`, or around the values' quantiles at k/bins when
    /// `edges` is NULL; event = target true; WOE = ln(%non-event / %event); a bin with an
    /// empty class has WOE 0 and IV 0.
    #[allow(clippy::type_complexity)]
    #[pg_extern(immutable, parallel_safe)]
    fn woe_bins(
        values: Option<Vec<Option<f64>>>,
        target: Option<Vec<Option<bool>>>,
        edges: default!(Option<Vec<Option<f64>>>, "NULL"),
        bins: default!(Option<i32>, 10),
    ) -> TableIterator<
        'static,
        (
            name!(bin, i32),
            name!(lower, f64),
            name!(upper, f64),
            name!(count, i64),
            name!(non_events, i64),
            name!(events, i64),
            name!(event_rate, f64),
            name!(woe, f64),
            name!(iv, f64),
        ),
    > {
        const F: &str = "ml.woe_bins";
        let (v, t) = (no_nulls(F, "values", values), no_nulls(F, "target", target));
        let e = edges.map(|e| no_nulls(F, "edges", Some(e)));
        let Some(bins) = bins else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{F}: bins must not be NULL")).hint("Omit it for 10 bins.").raise()
        };
        match woe::woe_bins(&v, &t, e.as_deref(), bins) {
            Ok(rows) => TableIterator::new(rows.into_iter().map(|b| (b.bin, b.lower, b.upper, b.count, b.non_events, b.events, b.event_rate, b.woe, b.iv))),
            Err(err) => SpineError::invalid(format!("{F}: {err}"))
                .hint("values and target have one entry per row, both classes occur, edges are strictly increasing.")
                .raise(),
        }
    }

    pgrx::extension_sql!(
        r#"
CREATE TYPE ml.coxph_fit AS (
    names text[],
    coef float8[],
    se float8[],
    z float8[],
    p float8[],
    log_likelihood float8,
    log_likelihood_null float8,
    concordance float8,
    n bigint,
    events bigint
);
COMMENT ON TYPE ml.coxph_fit IS 'A Cox proportional-hazards fit: coefficients with model-based standard errors, Wald z and two-sided p, partial log-likelihoods at the optimum and at zero, Harrell''s C.';
"#,
        name = "coxph_fit_type"
    );

    /// Cox proportional hazards with Efron ties, equal to lifelines' CoxPHFitter: `covariates`
    /// holds one row per duration and one column per name.
    #[pg_extern(immutable, parallel_safe, requires = ["coxph_fit_type"])]
    fn coxph(
        durations: Option<Vec<Option<f64>>>,
        events: Option<Vec<Option<bool>>>,
        covariates: Option<pgrx::datum::Array<'_, f64>>,
        names: Option<Vec<Option<String>>>,
    ) -> pgrx::composite_type!('static, "ml.coxph_fit") {
        const F: &str = "ml.coxph";
        let (d, e) = (no_nulls(F, "durations", durations), no_nulls(F, "events", events));
        let (x, names) = (f64_array(F, "covariates", covariates), no_nulls(F, "names", names));
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() != names.len() || names.iter().any(|n| n.trim().is_empty()) {
            SpineError::invalid(format!("{F}: names must be distinct and non-empty"))
                .hint("Name each covariate column once, e.g. ARRAY['price_ratio', 'age_years'].")
                .raise()
        }
        let fit = match cox::coxph_with(&d, &e, &x, names.len(), &mut || { pgrx::check_for_interrupts!(); }) {
            Ok(f) => f,
            Err(err) => SpineError::invalid(format!("{F}: {err}"))
                .hint("covariates is a rows × covariates array with one row per duration; drop constant or collinear columns.")
                .raise(),
        };
        let mut t = PgHeapTuple::new_composite_type("ml.coxph_fit").unwrap_or_else(|e| SpineError::internal(format!("{F}: type ml.coxph_fit: {e}")).raise());
        t.set_by_name("names", names).or_raise("building ml.coxph_fit");
        t.set_by_name("coef", fit.coef).or_raise("building ml.coxph_fit");
        t.set_by_name("se", fit.se).or_raise("building ml.coxph_fit");
        t.set_by_name("z", fit.z).or_raise("building ml.coxph_fit");
        t.set_by_name("p", fit.p).or_raise("building ml.coxph_fit");
        t.set_by_name("log_likelihood", fit.log_likelihood).or_raise("building ml.coxph_fit");
        t.set_by_name("log_likelihood_null", fit.log_likelihood_null).or_raise("building ml.coxph_fit");
        t.set_by_name("concordance", fit.concordance).or_raise("building ml.coxph_fit");
        t.set_by_name("n", fit.n).or_raise("building ml.coxph_fit");
        t.set_by_name("events", fit.events).or_raise("building ml.coxph_fit");
        t
    }
}
