//! SQL entry points of the registry, training and scoring (thin wrappers).

use crate::common::error::SpineError;
use crate::common::regclass::RegClass;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

pgrx::extension_sql_file!("../../sql/050_models.sql", name = "models_registry", requires = ["governance"]);
pgrx::extension_sql_file!("../../sql/070_deployments.sql", name = "model_deployments", requires = ["models_registry", ml::score_listing, ml::score_store]);

fn need_name(func: &str, model: Option<String>) -> String {
    model.unwrap_or_else(|| {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: model must not be NULL")).hint("Name a deployed model, e.g. 'slow21_gate'.").raise()
    })
}

#[pg_schema]
mod ml {
    use super::*;

    /// The internal half of ml.train (which runs the strict guard first). Returns the model_id.
    #[pg_extern(volatile, parallel_unsafe, security_definer, requires = ["models_registry"])]
    #[search_path(pg_catalog, pg_temp)]
    fn _train(
        model: Option<String>,
        store: Option<RegClass>,
        target: Option<String>,
        algorithm: Option<String>,
        features: Option<Vec<Option<String>>>,
        params: Option<pgrx::JsonB>,
    ) -> i64 {
        crate::models::train::train(model, store, target, algorithm, features, params)
    }

    /// P(class 1) for binary classifiers, the predicted median time for survival models.
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn predict(model: Option<String>, features: Option<Vec<Option<f64>>>) -> f64 {
        let name = need_name("ml.predict", model);
        let Some(x) = features else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "ml.predict: features must not be NULL").hint("Pass ARRAY[f1, f2, ...] in the model's feature order.").raise()
        };
        crate::models::predict::predict("ml.predict", &name, &x)
    }

    /// Scores the store row of one entity (e.g. a listing) with the deployed model: its
    /// features are read by name from the store the model was trained on.
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    pub fn score_listing(model: Option<String>, listing_id: Option<i64>) -> f64 {
        let name = need_name("ml.score_listing", model);
        let Some(id) = listing_id else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "ml.score_listing: listing_id must not be NULL").raise()
        };
        crate::models::predict::score_key("ml.score_listing", &name, id)
    }

    /// Scores every row of the deployed model's store: one (key, score) per row.
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    pub fn score_store(model: Option<String>) -> TableIterator<'static, (name!(key, i64), name!(score, f64))> {
        let name = need_name("ml.score_store", model);
        TableIterator::new(crate::models::predict::score_store("ml.score_store", &name))
    }

    /// Deploys a version (NULL = the newest) of a registered model; returns its model_id.
    #[pg_extern(volatile, parallel_unsafe, security_definer, requires = ["models_registry"])]
    #[search_path(pg_catalog, pg_temp)]
    fn deploy(model: Option<String>, version: default!(Option<i32>, "NULL")) -> i64 {
        crate::models::registry::deploy(&need_name("ml.deploy", model), version)
    }

    /// Goes back to the previously deployed version; returns its model_id.
    #[pg_extern(volatile, parallel_unsafe, security_definer, requires = ["models_registry"])]
    #[search_path(pg_catalog, pg_temp)]
    fn rollback(model: Option<String>) -> i64 {
        crate::models::registry::rollback(&need_name("ml.rollback", model))
    }
}
