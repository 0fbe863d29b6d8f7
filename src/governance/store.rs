//! A governed store as the guards see it: its registration, policy and columns; and the outcome
//! types every check returns. Identifiers always come from the catalog and are quoted.

use super::policy::Policy;
use crate::common::sqlstate::Sp;
use pgrx::pg_sys;

use pgrx::spi::{quote_identifier, SpiClient};
use serde_json::Value;

/// A failed check: the cause's SQLSTATE, message naming the store, evidence and fix.
#[derive(Debug, Clone)]
pub struct Failure {
    pub sp: Sp,
    pub message: String,
    pub detail: String,
    pub hint: String,
    pub cert_id: Option<i64>,
    pub evidence: Option<Value>,
}

impl Failure {
    pub fn new(sp: Sp, message: impl Into<String>, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure { sp, message: message.into(), detail: detail.into(), hint: hint.into(), cert_id: None, evidence: None }
    }
    pub fn cert(mut self, cert_id: Option<i64>) -> Self {
        self.cert_id = cert_id;
        self
    }
    pub fn evidence(mut self, e: Value) -> Self {
        self.evidence = Some(e);
        self
    }
}

pub type Check<T> = Result<T, Failure>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Numeric,
    Temporal,
    Categorical,
    Other,
}

impl Kind {
    pub fn profile_kind(self) -> &'static str {
        match self {
            Kind::Numeric | Kind::Temporal => "numeric",
            Kind::Categorical => "categorical",
            Kind::Other => "other",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_name: String,
    pub kind: Kind,
}

impl Column {
    /// `s."name"`
    pub fn qualified(&self) -> String {
        format!("s.{}", quote_identifier(&self.name))
    }
    /// The value as a model feature: float8, booleans as 0/1.
    pub fn feature_expr(&self) -> String {
        let q = self.qualified();
        if self.type_name == "boolean" {
            format!("({q})::int::float8")
        } else {
            format!("({q})::float8")
        }
    }
    /// The value as float8 (numeric and temporal columns) or text (categorical).
    pub fn sample_expr(&self) -> String {
        let q = self.qualified();
        match self.kind {
            Kind::Numeric => format!("({q})::float8"),
            Kind::Temporal => format!("extract(epoch from {q})::float8"),
            Kind::Categorical | Kind::Other => format!("({q})::text"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Store {
    pub oid: pg_sys::Oid,
    /// regclass text: quoted and schema-qualified (the guards pin search_path).
    pub name: String,
    pub key: String,
    pub t0: String,
    pub labels: Vec<String>,
    pub policy: Policy,
    pub columns: Vec<Column>,
}

impl Store {
    pub fn q(&self, col: &str) -> String {
        format!("s.{}", quote_identifier(col))
    }
    /// Columns profiled for drift: all but key, T0 and labels.
    pub fn features(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(move |c| c.name != self.key && c.name != self.t0 && !self.labels.contains(&c.name))
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Column `name` of `columns` as a model feature (see `Column::feature_expr`); a column that is
/// not there is read as float8, so PostgreSQL names it in its error.
pub fn feature_expr(columns: &[Column], name: &str) -> String {
    match columns.iter().find(|c| c.name == name) {
        Some(c) => c.feature_expr(),
        None => format!("(s.{})::float8", quote_identifier(name)),
    }
}

/// The relation's name (regclass text) or None when it does not exist.
pub fn relation_name(client: &SpiClient<'_>, oid: pg_sys::Oid) -> Option<String> {
    client
        .select("SELECT c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.oid = $1", Some(1), &[oid.into()])
        .ok()?
        .into_iter()
        .next()
        .and_then(|r| r.get::<String>(1).ok().flatten())
}

pub fn columns(client: &SpiClient<'_>, oid: pg_sys::Oid) -> Vec<Column> {
    let rows = client.select(
        "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typcategory::text
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        None,
        &[oid.into()],
    );
    let Ok(rows) = rows else { return Vec::new() };
    rows.filter_map(|r| {
        let name = r.get::<String>(1).ok()??;
        let type_name = r.get::<String>(2).ok()??;
        let cat = r.get::<String>(3).ok()??;
        let kind = match cat.as_str() {
            "N" => Kind::Numeric,
            "D" => Kind::Temporal,
            "B" | "S" | "E" => Kind::Categorical,
            _ => Kind::Other,
        };
        Some(Column { name, type_name, kind })
    })
    .collect()
}

/// Loads a registered store; `Err` names what is missing.
pub fn load(client: &SpiClient<'_>, oid: pg_sys::Oid) -> Check<Store> {
    let Some(name) = relation_name(client, oid) else {
        return Err(Failure::new(
            Sp::NotCertified,
            format!("relation with OID {} does not exist", oid.to_u32()),
            "The store was dropped, or the OID is wrong.",
            "Pass the store by name, e.g. audit.require_certified('ml.survival_feature_store_t0_v1_v').",
        ));
    };
    let row = client
        .select(
            "SELECT key_column, t0_column, label_columns, policy FROM audit.store_policies WHERE store = $1",
            Some(1),
            &[oid.into()],
        )
        .map_err(|e| Failure::new(Sp::CheckFailed, format!("{name}: could not read its policy"), e.to_string(), "Check the spine installation."))?
        .into_iter()
        .next();
    let Some(row) = row else {
        return Err(Failure::new(
            Sp::NotCertified,
            format!("{name} is not a registered store"),
            format!("audit.store_policies has no row for {name}."),
            format!("An admin registers it with audit.register_store('{name}', key_column, t0_column, label_columns, policy) and certifies it with audit.certify('{name}')."),
        ));
    };
    let read = |e: String| Failure::new(Sp::CheckFailed, format!("{name}: its registration is unreadable"), e, "Re-register the store with audit.register_store.");
    let key = row.get::<String>(1).map_err(|e| read(e.to_string()))?.unwrap_or_default();
    let t0 = row.get::<String>(2).map_err(|e| read(e.to_string()))?.unwrap_or_default();
    let labels = row.get::<Vec<String>>(3).map_err(|e| read(e.to_string()))?.unwrap_or_default();
    let policy_json = row.get::<pgrx::JsonB>(4).map_err(|e| read(e.to_string()))?.map(|j| j.0).unwrap_or(Value::Null);
    let policy = Policy::parse(&policy_json).map_err(|e| read(e.0))?;
    let columns = columns(client, oid);
    for (what, col) in [("key column", &key), ("T0 column", &t0)] {
        if !columns.iter().any(|c| &c.name == col) {
            return Err(Failure::new(
                Sp::DefinitionChanged,
                format!("{name}: its {what} \"{col}\" no longer exists"),
                format!("The store was registered with {what} \"{col}\"."),
                "Restore the column, or re-register and re-certify the store.",
            ));
        }
    }
    Ok(Store { oid, name, key, t0, labels, policy, columns })
}

#[derive(Debug, Clone)]
pub struct Cert {
    pub cert_id: i64,
    pub at: i64,
    pub viewdef_hash: String,
    pub dataset_hash: String,
    pub row_count: i64,
    /// at + max_age under the current policy (None = never expires).
    pub expires_at: Option<i64>,
}

fn ts(v: Option<pgrx::datum::TimestampWithTimeZone>) -> Option<i64> {
    v.map(|t| t.into_inner())
}

/// The store's active certification: its newest registry row, which must be a certification.
pub fn active_cert(client: &SpiClient<'_>, store: &Store) -> Check<Cert> {
    let fail = |e: String| Failure::new(Sp::CheckFailed, format!("{}: could not read the certification registry", store.name), e, "Check the spine installation.");
    let row = client
        .select(
            "SELECT r.cert_id, r.action, r.at, r.by_role, r.note, r.viewdef_hash, r.dataset_hash, r.row_count,
                    r.at + $2::interval AS expires_at, r.at::text
             FROM audit.t0_cert_registry r WHERE r.store = $1 ORDER BY r.cert_id DESC LIMIT 1",
            Some(1),
            &[store.oid.into(), store.policy.max_age.clone().into()],
        )
        .map_err(|e| fail(e.to_string()))?
        .into_iter()
        .next();
    let Some(row) = row else {
        return Err(Failure::new(
            Sp::NotCertified,
            format!("{} is not certified", store.name),
            "The registry has no certification for it.",
            format!("An admin certifies it with audit.certify('{}').", store.name),
        ));
    };
    let g = |e: pgrx::spi::SpiError| fail(e.to_string());
    let cert_id = row.get::<i64>(1).map_err(g)?.unwrap_or(0);
    let action = row.get::<String>(2).map_err(g)?.unwrap_or_default();
    let by = row.get::<String>(4).map_err(g)?.unwrap_or_default();
    let note = row.get::<String>(5).map_err(g)?.unwrap_or_default();
    let at_text = row.get::<String>(10).map_err(g)?.unwrap_or_default();
    if action != "certify" {
        return Err(Failure::new(
            Sp::NotCertified,
            format!("{} is not certified: its certification was revoked", store.name),
            format!("revoked at {at_text} by {by}: {note}"),
            format!("Fix the cause, then an admin certifies it again with audit.certify('{}').", store.name),
        )
        .cert(Some(cert_id)));
    }
    Ok(Cert {
        cert_id,
        at: ts(row.get(3).map_err(g)?).unwrap_or(0),
        viewdef_hash: row.get::<String>(6).map_err(g)?.unwrap_or_default(),
        dataset_hash: row.get::<String>(7).map_err(g)?.unwrap_or_default(),
        row_count: row.get::<i64>(8).map_err(g)?.unwrap_or(0),
        expires_at: ts(row.get(9).map_err(g)?),
    })
}
