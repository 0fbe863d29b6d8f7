//! SQL entry points of the ONNX support (thin wrappers over import.rs and models::predict).

use crate::common::error::SpineError;
use crate::models::predict;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

pgrx::extension_sql_file!("../../../sql/055_onnx.sql", name = "onnx_sql", requires = ["models_registry", _import_onnx, _import_onnx_embedding, _import_onnx_image_classifier]);

fn need_name(func: &str, model: Option<String>) -> String {
    model.unwrap_or_else(|| {
        SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{func}: model must not be NULL")).hint("Name a deployed model, e.g. 'minilm'.").raise()
    })
}

#[pg_schema]
mod ml {
    use super::*;

    /// The internal half of ml.import_onnx (a SQL function returning the ml.models row).
    #[pg_extern(volatile, parallel_unsafe, security_definer, requires = ["models_registry"])]
    #[search_path(pg_catalog, pg_temp)]
    fn _import_onnx(model: Option<String>, onnx: Option<Vec<u8>>, features: Option<Vec<Option<String>>>) -> i64 {
        crate::models::onnx::import::import_tabular(model, onnx, features)
    }

    /// The internal half of ml.import_onnx_embedding.
    #[pg_extern(volatile, parallel_unsafe, security_definer, requires = ["models_registry"])]
    #[search_path(pg_catalog, pg_temp)]
    fn _import_onnx_embedding(model: Option<String>, onnx: Option<Vec<u8>>, kind: Option<String>, tokenizer: Option<String>, config: Option<pgrx::JsonB>) -> i64 {
        crate::models::onnx::import::import_embedding(model, onnx, kind, tokenizer, config)
    }

    /// Scores many rows with one call: `features` holds rows × features values (a 2-D array, or
    /// a flat one read row by row); returns one prediction per row, in order. ONNX models score
    /// 8192 rows per ONNX Runtime call.
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn predict_batch(model: Option<String>, features: Option<Vec<Option<f64>>>) -> Vec<f64> {
        let name = need_name("ml.predict_batch", model);
        let Some(x) = features else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "ml.predict_batch: features must not be NULL")
                .hint("Pass ARRAY[[f1, f2, ...], [f1, f2, ...]] with one row per prediction.")
                .raise()
        };
        predict::predict_batch("ml.predict_batch", &name, &x)
    }

    /// The internal half of ml.import_onnx_image_classifier.
    #[pg_extern(volatile, parallel_unsafe, security_definer, requires = ["models_registry"])]
    #[search_path(pg_catalog, pg_temp)]
    fn _import_onnx_image_classifier(model: Option<String>, onnx: Option<Vec<u8>>, labels: Option<Vec<Option<String>>>, config: Option<pgrx::JsonB>) -> i64 {
        crate::models::onnx::import::import_image_classifier(model, onnx, labels, config)
    }

    /// Class probabilities of an image (PNG or JPEG bytes) with a registered image classifier,
    /// most probable first (NULL image → no rows).
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn classify_image(model: Option<String>, image: Option<Vec<u8>>) -> TableIterator<'static, (name!(label, String), name!(probability, f64))> {
        let name = need_name("ml.classify_image", model);
        let Some(image) = image else { return TableIterator::new(Vec::new()) };
        let (mut rows, _) = predict::classify_image("ml.classify_image", &name, &image);
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        TableIterator::new(rows)
    }

    /// The embedding of a text with a registered text model (NULL text → NULL).
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn embed_text(model: Option<String>, input: Option<String>) -> Option<Vec<f32>> {
        let name = need_name("ml.embed_text", model);
        let input = input?;
        predict::embed_texts("ml.embed_text", &name, &[input.as_str()]).pop()
    }

    /// Embeddings of many texts, batched through the model (`batch_size` texts per call);
    /// one row per input in order, a NULL text gives a NULL embedding.
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn embed_texts(
        model: Option<String>,
        inputs: Option<Vec<Option<String>>>,
    ) -> TableIterator<'static, (name!(ordinality, i32), name!(embedding, Option<Vec<f32>>))> {
        let name = need_name("ml.embed_texts", model);
        let Some(inputs) = inputs else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "ml.embed_texts: inputs must not be NULL").hint("Pass an array of texts, e.g. array_agg(description ORDER BY listing_id).").raise()
        };
        let present: Vec<&str> = inputs.iter().flatten().map(String::as_str).collect();
        let mut vecs = predict::embed_texts("ml.embed_texts", &name, &present).into_iter();
        let rows: Vec<(i32, Option<Vec<f32>>)> = inputs.iter().enumerate().map(|(i, t)| (i as i32 + 1, t.as_ref().and_then(|_| vecs.next()))).collect();
        TableIterator::new(rows)
    }

    /// The embedding of an image (PNG or JPEG bytes) with a registered image model (NULL → NULL).
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn embed_image(model: Option<String>, image: Option<Vec<u8>>) -> Option<Vec<f32>> {
        let name = need_name("ml.embed_image", model);
        let image = image?;
        predict::embed_images("ml.embed_image", &name, &[image.as_slice()]).pop()
    }

    /// Embeddings of many images, batched; one row per input in order (NULL → NULL).
    #[pg_extern(stable, parallel_safe, requires = ["models_registry"])]
    fn embed_images(
        model: Option<String>,
        images: Option<pgrx::datum::Array<'_, &[u8]>>,
    ) -> TableIterator<'static, (name!(ordinality, i32), name!(embedding, Option<Vec<f32>>))> {
        let name = need_name("ml.embed_images", model);
        let Some(images) = images else {
            SpineError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "ml.embed_images: images must not be NULL").hint("Pass an array of images (bytea).").raise()
        };
        let images: Vec<Option<&[u8]>> = images.iter().collect();
        let present: Vec<&[u8]> = images.iter().flatten().copied().collect();
        let mut vecs = predict::embed_images("ml.embed_images", &name, &present).into_iter();
        let rows: Vec<(i32, Option<Vec<f32>>)> = images.iter().enumerate().map(|(i, t)| (i as i32 + 1, t.as_ref().and_then(|_| vecs.next()))).collect();
        TableIterator::new(rows)
    }

    /// The ONNX Runtime this backend uses (loading it if needed): the library path, its version,
    /// its build information and the intra-op threads.
    #[allow(clippy::type_complexity)]
    #[pg_extern(volatile, parallel_safe)]
    fn onnxruntime_info() -> TableIterator<'static, (name!(path, String), name!(version, Option<String>), name!(build_info, String), name!(threads, i32))> {
        TableIterator::once(crate::models::onnx::runtime::info("ml.onnxruntime_info"))
    }
}
