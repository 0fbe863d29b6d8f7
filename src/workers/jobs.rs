//! What each job kind does (the seed's image-pipeline controllers):
//!
//! | kind          | seed controller                          | writes                                  |
//! |---------------|------------------------------------------|-----------------------------------------|
//! | fetch_image   | scrape_images_playwright                 | marketplace.image_fetches               |
//! | label_colour  | label_color                              | marketplace.image_labels ('colour')     |
//! | label_damage  | label_damage                             | marketplace.image_labels ('damage')     |
//! | embed_text    | sbert_vec_upsert_title_desc_caption      | ml.text_embeddings                      |
//! | embed_image   | build_img_vec512_openclip_pg             | ml.image_embeddings                     |
//!
//! A job runs in two halves: `prepare` outside any transaction (the HTTP request of a fetch,
//! so no transaction stays open while a remote server answers) and `apply` in the job's
//! transaction (reads, model calls and writes, committed with the job's `done`). Errors raised
//! inside `apply` are caught by the worker (a subtransaction) and fail the job.

use super::colour;
use super::fetch::{self, FetchError, FetchPolicy};
use super::imageinfo;
use super::kinds::{self, Kind, Payload};
use super::queue::{one, Claimed, Failure};
use crate::common::error::OrRaise;
use crate::common::guc;
use crate::models::predict;
use pgrx::prelude::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The colour labeller's name in marketplace.image_labels.model.
pub const COLOUR_MODEL: &str = "spine_kmeans_lab";

pub fn permanent(code: &str, message: String) -> Failure {
    Failure { code: code.to_string(), message, permanent: true }
}

/// What `prepare` produced.
pub enum Prepared {
    Nothing,
    Fetched { url: String, fetched: fetch::Fetched, info: imageinfo::ImageInfo },
}

fn payload(c: &Claimed) -> Result<(Kind, Payload), Failure> {
    let kind = Kind::parse(&c.kind).ok_or_else(|| permanent("22023", format!("unknown job kind \"{}\"", c.kind)))?;
    let p = kinds::parse_payload(kind, &c.payload).map_err(|e| permanent("22023", format!("invalid payload: {e}")))?;
    Ok((kind, p))
}

fn image_id(p: &Payload) -> i64 {
    p.image_id.unwrap_or(0)
}

/// In the claim transaction: the URL a fetch_image job fetches (the payload's, else the image's).
pub fn url_to_fetch(c: &Claimed) -> Result<Option<String>, Failure> {
    let (kind, p) = payload(c)?;
    if kind != Kind::FetchImage {
        return Ok(None);
    }
    if let Some(u) = p.url {
        return Ok(Some(u));
    }
    let url = one::<String>("reading the image's URL", "SELECT url FROM marketplace.listing_images WHERE image_id = $1", &[image_id(&p).into()]);
    url.map(Some).ok_or_else(|| permanent("23503", format!("image {} is not in marketplace.listing_images", image_id(&p))))
}

fn list(setting: &pgrx::guc::GucSetting<Option<std::ffi::CString>>) -> Vec<String> {
    guc::string(setting).map(|s| FetchPolicy::parse_list(&s)).unwrap_or_default()
}

/// The fetch policy from the spine.fetch_* settings.
pub fn policy() -> FetchPolicy {
    let ms = |v: i32| Duration::from_millis(v.max(1) as u64);
    FetchPolicy {
        allow_hosts: list(&guc::FETCH_ALLOW_HOSTS),
        allow_addresses: list(&guc::FETCH_ALLOW_ADDRESSES),
        connect_timeout: ms(guc::FETCH_CONNECT_TIMEOUT.get()),
        read_timeout: ms(guc::FETCH_READ_TIMEOUT.get()),
        total_timeout: ms(guc::FETCH_TOTAL_TIMEOUT.get()),
        max_bytes: guc::FETCH_MAX_BYTES.get().max(1) as usize * 1024,
        max_redirects: guc::FETCH_MAX_REDIRECTS.get().max(0) as u32,
        content_types: list(&guc::FETCH_CONTENT_TYPES),
    }
}

fn fetch_failure(e: &FetchError) -> Failure {
    Failure { code: format!("fetch:{}", e.code()), message: e.to_string(), permanent: !e.transient() }
}

fn max_pixels() -> u64 {
    guc::IMAGE_MAX_PIXELS.get().max(1) as u64
}

/// `prepare`, with a panic inside it (a bug) turned into a failed, retried attempt.
pub fn prepare_caught(url: Option<String>, policy: &FetchPolicy) -> Result<Prepared, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prepare(url, policy)))
        .unwrap_or_else(|_| Err(Failure { code: "XX000".into(), message: "the fetch panicked (a bug in spine)".into(), permanent: false }))
}

/// Outside any transaction: the HTTP request of a fetch_image job and what the bytes are.
pub fn prepare(url: Option<String>, policy: &FetchPolicy) -> Result<Prepared, Failure> {
    let Some(url) = url else { return Ok(Prepared::Nothing) };
    let fetched = fetch::fetch(&url, policy).map_err(|e| fetch_failure(&e))?;
    let info = imageinfo::inspect(&fetched.bytes, max_pixels()).map_err(|e| permanent("fetch:not_an_image", format!("{url}: {e}")))?;
    Ok(Prepared::Fetched { url, fetched, info })
}

/// In the job's transaction: the job's reads, model calls and writes; the result recorded with `done`.
pub fn apply(c: &Claimed, prepared: Prepared) -> Result<Value, Failure> {
    let (kind, p) = payload(c)?;
    match kind {
        Kind::FetchImage => store_fetch(c, &p, prepared),
        Kind::LabelColour => label_colour(c, &p),
        Kind::LabelDamage => label_damage(&p),
        Kind::EmbedText => embed_text(c, &p),
        Kind::EmbedImage => embed_image(c, &p),
    }
}

fn store_fetch(c: &Claimed, p: &Payload, prepared: Prepared) -> Result<Value, Failure> {
    let Prepared::Fetched { url, fetched, info } = prepared else { return Err(permanent("XX000", "the fetch did not run".into())) };
    let id = image_id(p);
    let current = one::<String>("reading the image's URL", "SELECT url FROM marketplace.listing_images WHERE image_id = $1", &[id.into()]);
    match current {
        None => return Err(permanent("23503", format!("image {id} was deleted while it was fetched"))),
        Some(u) if u != url => return Ok(json!({"superseded": true, "fetched_url": url, "current_url": u})),
        Some(_) => {}
    }
    Spi::run_with_args(
        "INSERT INTO marketplace.image_fetches (image_id, url, final_url, fetched_at, content_type, format, byte_size, bytes, blake3, width, height, dhash, job_id)
         VALUES ($1, $2, $3, now(), $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (image_id) DO UPDATE SET url = EXCLUDED.url, final_url = EXCLUDED.final_url, fetched_at = EXCLUDED.fetched_at,
             content_type = EXCLUDED.content_type, format = EXCLUDED.format, byte_size = EXCLUDED.byte_size, bytes = EXCLUDED.bytes,
             blake3 = EXCLUDED.blake3, width = EXCLUDED.width, height = EXCLUDED.height, dhash = EXCLUDED.dhash, job_id = EXCLUDED.job_id",
        &[
            id.into(),
            url.as_str().into(),
            fetched.final_url.as_str().into(),
            fetched.content_type.as_str().into(),
            info.format.into(),
            (fetched.bytes.len() as i32).into(),
            fetched.bytes.as_slice().into(),
            info.blake3.as_slice().into(),
            (info.width as i32).into(),
            (info.height as i32).into(),
            (info.dhash as i64).into(),
            c.job_id.into(),
        ],
    )
    .or_raise("storing the fetched image");
    Ok(json!({"bytes": fetched.bytes.len(), "width": info.width, "height": info.height, "format": info.format,
              "redirects": fetched.redirects, "dhash": format!("{:016x}", info.dhash)}))
}

/// The fetched bytes of an image (and their BLAKE3), or a permanent failure naming what is missing.
fn fetched_bytes(id: i64) -> Result<(Vec<u8>, Vec<u8>), Failure> {
    let row = Spi::connect(|c| {
        c.select("SELECT bytes, blake3 FROM marketplace.image_fetches WHERE image_id = $1", Some(1), &[id.into()])
            .or_raise("reading the fetched image")
            .into_iter()
            .next()
            .map(|r| (r.get::<Vec<u8>>(1).or_raise("bytes").unwrap_or_default(), r.get::<Vec<u8>>(2).or_raise("blake3").unwrap_or_default()))
    });
    row.ok_or_else(|| permanent("55000", format!("image {id} has not been fetched (no row in marketplace.image_fetches); enqueue a fetch_image job first")))
}

fn upsert_label(id: i64, kind: &str, label: &str, confidence: f64, model: &str) {
    Spi::run_with_args(
        "INSERT INTO marketplace.image_labels (image_id, label_kind, label, confidence, model, labeled_at) VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (image_id, label_kind, model) DO UPDATE SET label = EXCLUDED.label, confidence = EXCLUDED.confidence, labeled_at = EXCLUDED.labeled_at",
        &[id.into(), kind.into(), label.into(), confidence.clamp(0.0, 1.0).into(), model.into()],
    )
    .or_raise("storing the image label");
}

/// linfa's k-means runs its assignment step on rayon's global pool. A PostgreSQL backend must
/// not get signals delivered to helper threads: the pool is created here, once per process,
/// with one thread and every signal blocked (the thread inherits the mask).
fn kmeans_pool() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let built = crate::models::onnx::runtime::with_signals_blocked(|| rayon::ThreadPoolBuilder::new().num_threads(1).thread_name(|_| "spine k-means".into()).build_global());
        if let Err(e) = built {
            pgrx::log!("spine: rayon's global pool was already built ({e}); k-means uses it as it is");
        }
    });
}

fn label_colour(_c: &Claimed, p: &Payload) -> Result<Value, Failure> {
    kmeans_pool();
    let id = image_id(p);
    let (bytes, _) = fetched_bytes(id)?;
    let rgb = imageinfo::decode_rgb(&bytes, max_pixels()).map_err(|e| permanent("22023", format!("image {id}: {e}")))?;
    let l = colour::label_colour(&rgb, id as u64).map_err(|e| permanent("22023", format!("image {id}: {e}")))?;
    upsert_label(id, "colour", &l.label, l.confidence, COLOUR_MODEL);
    let clusters: Vec<Value> = l.clusters.iter().map(|k| json!({"colour": k.name, "share": k.share, "delta_e": k.delta_e})).collect();
    Ok(json!({"label": l.label, "confidence": l.confidence, "clusters": clusters}))
}

fn label_damage(p: &Payload) -> Result<Value, Failure> {
    let id = image_id(p);
    let model = p.model.clone().unwrap_or_default();
    let (bytes, _) = fetched_bytes(id)?;
    let (probs, version) = predict::classify_image("label_damage job", &model, &bytes);
    let (label, confidence) = kinds::top(&probs).ok_or_else(|| permanent("22023", format!("model \"{model}\" returned no classes")))?;
    upsert_label(id, "damage", &label, confidence, &model);
    Ok(json!({"label": label, "confidence": confidence, "model_version": version}))
}

fn embed_text(c: &Claimed, p: &Payload) -> Result<Value, Failure> {
    let id = p.listing_id.unwrap_or(0);
    let model = p.model.clone().unwrap_or_default();
    let listing = Spi::connect(|s| {
        s.select("SELECT title, description FROM marketplace.listings WHERE listing_id = $1", Some(1), &[id.into()])
            .or_raise("reading the listing")
            .into_iter()
            .next()
            .map(|r| (r.get::<String>(1).or_raise("title"), r.get::<String>(2).or_raise("description")))
    });
    let Some((title, description)) = listing else { return Err(permanent("23503", format!("listing {id} is not in marketplace.listings"))) };
    let labels: Vec<(String, String)> = Spi::connect(|s| {
        s.select(
            "SELECT DISTINCT ON (l.label_kind) l.label_kind, l.label
             FROM marketplace.image_labels l JOIN marketplace.listing_images i USING (image_id)
             WHERE i.listing_id = $1 ORDER BY l.label_kind, i.position, l.labeled_at DESC",
            None,
            &[id.into()],
        )
        .or_raise("reading the listing's image labels")
        .filter_map(|r| Some((r.get::<String>(1).ok()??, r.get::<String>(2).ok()??)))
        .collect()
    });
    let caption = kinds::caption(&labels);
    let text = kinds::source_text(title.as_deref(), description.as_deref(), &caption);
    if text.is_empty() {
        return Err(permanent("22023", format!("listing {id} has no title, description or image labels to embed")));
    }
    let version = predict::load("embed_text job", &model).version;
    let hash = kinds::source_hash(&model, version, &text);
    let old = one::<Vec<u8>>("reading the stored embedding", "SELECT source_hash FROM ml.text_embeddings WHERE listing_id = $1 AND model = $2", &[id.into(), model.as_str().into()]);
    if old.as_deref() == Some(&hash[..]) {
        // checked now: the pipeline does not enqueue it again until the listing changes again
        Spi::run_with_args("UPDATE ml.text_embeddings SET embedded_at = now() WHERE listing_id = $1 AND model = $2", &[id.into(), model.as_str().into()])
            .or_raise("recording the check");
        return Ok(json!({"unchanged": true, "model_version": version}));
    }
    let v = predict::embed_texts("embed_text job", &model, &[text.as_str()]).pop().unwrap_or_default();
    Spi::run_with_args(
        "INSERT INTO ml.text_embeddings (listing_id, model, model_version, source_hash, source_text, embedding, embedded_at, job_id)
         VALUES ($1, $2, $3, $4, $5, $6, now(), $7)
         ON CONFLICT (listing_id, model) DO UPDATE SET model_version = EXCLUDED.model_version, source_hash = EXCLUDED.source_hash,
             source_text = EXCLUDED.source_text, embedding = EXCLUDED.embedding, embedded_at = EXCLUDED.embedded_at, job_id = EXCLUDED.job_id",
        &[id.into(), model.as_str().into(), version.into(), hash.as_slice().into(), text.as_str().into(), v.clone().into(), c.job_id.into()],
    )
    .or_raise("storing the text embedding");
    Ok(json!({"dimension": v.len(), "model_version": version, "caption": caption}))
}

fn embed_image(c: &Claimed, p: &Payload) -> Result<Value, Failure> {
    let id = image_id(p);
    let model = p.model.clone().unwrap_or_default();
    let (bytes, blake) = fetched_bytes(id)?;
    let version = predict::load("embed_image job", &model).version;
    let same = one::<bool>(
        "reading the stored embedding",
        "SELECT source_blake3 = $3 AND model_version = $4 FROM ml.image_embeddings WHERE image_id = $1 AND model = $2",
        &[id.into(), model.as_str().into(), blake.as_slice().into(), version.into()],
    );
    if same == Some(true) {
        return Ok(json!({"unchanged": true, "model_version": version}));
    }
    let v = predict::embed_images("embed_image job", &model, &[bytes.as_slice()]).pop().unwrap_or_default();
    Spi::run_with_args(
        "INSERT INTO ml.image_embeddings (image_id, model, model_version, source_blake3, embedding, embedded_at, job_id)
         VALUES ($1, $2, $3, $4, $5, now(), $6)
         ON CONFLICT (image_id, model) DO UPDATE SET model_version = EXCLUDED.model_version, source_blake3 = EXCLUDED.source_blake3,
             embedding = EXCLUDED.embedding, embedded_at = EXCLUDED.embedded_at, job_id = EXCLUDED.job_id",
        &[id.into(), model.as_str().into(), version.into(), blake.as_slice().into(), v.clone().into(), c.job_id.into()],
    )
    .or_raise("storing the image embedding");
    Ok(json!({"dimension": v.len(), "model_version": version}))
}
