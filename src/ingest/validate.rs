//! Validation of one landing row (a scraped observation as a JSON object). Pure: the SQL layer
//! hands in the payload and the known region codes and gets back a typed row or every problem
//! found, which becomes the quarantine reason.

use crate::demo::time::{civil_to_pg_us, pg_us_to_civil, US_PER_SEC};
use serde_json::{Map, Value};
use std::collections::HashSet;

pub const STATUSES: &[&str] = &["active", "sold", "removed"];
pub const POWERTRAINS: &[&str] = &["petrol", "diesel", "hybrid", "phev", "ev", "lpg", "cng", "hydrogen"];
pub const MAX_PRICE_EUR: f64 = 10_000_000.0;
pub const MAX_MILEAGE_KM: i64 = 2_000_000;
pub const MAX_IMAGES: usize = 50;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct LandingRow {
    pub source: Option<String>,
    pub source_listing_id: String,
    pub observed_at: i64,
    pub make: String,
    pub model: String,
    pub year: i32,
    pub price_eur: f64,
    pub status: String,
    pub vin: Option<String>,
    pub mileage_km: Option<i32>,
    pub body_type: Option<String>,
    pub segment: Option<String>,
    pub powertrain: Option<String>,
    pub transmission: Option<String>,
    pub power_kw: Option<i32>,
    pub colour: Option<String>,
    pub seller_type: Option<String>,
    pub region_code: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_urls: Vec<String>,
}

/// Parses an RFC 3339 timestamp that carries its offset ("2026-11-01T10:00:00Z",
/// "2026-11-01 10:00:00.5+01:00") into PostgreSQL microseconds (UTC). Local times without an
/// offset are refused: their meaning would depend on the server's TimeZone.
pub fn parse_timestamptz(s: &str) -> Result<i64, String> {
    let b = s.trim().as_bytes();
    let bad = || format!("{s:?} is not an RFC 3339 timestamp with offset (e.g. 2026-11-01T10:00:00Z)");
    if b.len() < 20 {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let part = &b[r];
        if part.iter().all(u8::is_ascii_digit) {
            Ok(part.iter().fold(0i64, |a, d| a * 10 + (d - b'0') as i64))
        } else {
            Err(bad())
        }
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut micros = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        if digits.is_empty() {
            return Err(bad());
        }
        for k in 0..6 {
            micros = micros * 10 + digits.get(k).map(|d| (d - b'0') as i64).unwrap_or(0);
        }
    }
    let offset_s = match b.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let o = oh * 3600 + om * 60;
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return Err(bad()),
    };
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d < 1 || d > days_in_month || h > 23 || mi > 59 || se > 59 {
        return Err(bad());
    }
    Ok(civil_to_pg_us(y as i32, mo as u32, d as u32) + ((h * 3600 + mi * 60 + se - offset_s) * US_PER_SEC) + micros)
}

struct Check<'a> {
    obj: &'a Map<String, Value>,
    problems: Vec<String>,
}

impl<'a> Check<'a> {
    fn present(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn text(&mut self, key: &str, required: bool, max_len: usize) -> Option<String> {
        match self.present(key) {
            None if required => {
                self.problems.push(format!("{key}: missing"));
                None
            }
            None => None,
            Some(Value::String(s)) if s.trim().is_empty() && required => {
                self.problems.push(format!("{key}: empty"));
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) if s.chars().count() > max_len => {
                self.problems.push(format!("{key}: longer than {max_len} characters"));
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Number(n)) if required => Some(n.to_string()),
            Some(other) => {
                self.problems.push(format!("{key}: expected a string, got {}", kind(other)));
                None
            }
        }
    }

    fn number(&mut self, key: &str, required: bool) -> Option<f64> {
        let v = match self.present(key) {
            None => {
                if required {
                    self.problems.push(format!("{key}: missing"));
                }
                return None;
            }
            Some(v) => v,
        };
        let parsed = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| !s.trim().is_empty() && x.is_finite()),
            _ => None,
        };
        match parsed {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.problems.push(format!("{key}: {} is not a number", short(v)));
                None
            }
        }
    }

    fn integer(&mut self, key: &str, required: bool, lo: i64, hi: i64) -> Option<i64> {
        let x = self.number(key, required)?;
        if x.fract() != 0.0 {
            self.problems.push(format!("{key}: {x} is not a whole number"));
            None
        } else if x < lo as f64 || x > hi as f64 {
            self.problems.push(format!("{key}: {x} outside {lo}..{hi}"));
            None
        } else {
            Some(x as i64)
        }
    }

    fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let s = self.text(key, false, 64)?.to_lowercase();
        if allowed.contains(&s.as_str()) {
            Some(s)
        } else {
            self.problems.push(format!("{key}: {s:?} is not one of {}", allowed.join(", ")));
            None
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// Validates one landing payload. `known_regions` are the codes in marketplace.regions.
pub fn validate(payload: &Value, known_regions: &HashSet<String>) -> Result<LandingRow, String> {
    let Some(obj) = payload.as_object() else {
        return Err(format!("payload: expected a JSON object, got {}", kind(payload)));
    };
    let mut c = Check { obj, problems: Vec::new() };
    let source = c.text("source", false, 100);
    let source_listing_id = c.text("source_listing_id", true, 200);
    let observed_at = match c.text("observed_at", true, 64) {
        Some(s) => match parse_timestamptz(&s) {
            Ok(t) => Some(t),
            Err(e) => {
                c.problems.push(format!("observed_at: {e}"));
                None
            }
        },
        None => None,
    };
    let make = c.text("make", true, 100);
    let model = c.text("model", true, 100);
    let year = c.integer("year", true, 1900, 2100);
    if let (Some(y), Some(t)) = (year, observed_at) {
        let (obs_year, _, _) = pg_us_to_civil(t);
        if y > obs_year as i64 + 1 {
            c.problems.push(format!("year: {y} is after the observation year {obs_year} + 1"));
        }
    }
    let price = c.number("price_eur", true);
    if let Some(p) = price {
        if p <= 0.0 || p >= MAX_PRICE_EUR {
            c.problems.push(format!("price_eur: {p} outside (0, {MAX_PRICE_EUR})"));
        }
    }
    let status = if c.present("status").is_some() { c.one_of("status", STATUSES) } else { Some("active".to_string()) };
    let vin = c.text("vin", false, 64).map(|v| v.to_uppercase());
    if let Some(v) = &vin {
        if v.len() != 17 || !v.bytes().all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !matches!(b, b'I' | b'O' | b'Q'))) {
            c.problems.push(format!("vin: {v:?} is not 17 characters of A-Z (without I, O, Q) and 0-9"));
        }
    }
    let mileage = c.integer("mileage_km", false, 0, MAX_MILEAGE_KM);
    let body_type = c.text("body_type", false, 64);
    let segment = c.text("segment", false, 64);
    let powertrain = c.one_of("powertrain", POWERTRAINS);
    let transmission = c.one_of("transmission", &["manual", "automatic"]);
    let power_kw = c.integer("power_kw", false, 1, 2000);
    let colour = c.text("colour", false, 64);
    let seller_type = c.one_of("seller_type", &["dealer", "private"]);
    let region_code = c.text("region_code", false, 32);
    if let Some(r) = &region_code {
        if !known_regions.contains(r) {
            c.problems.push(format!("region_code: {r:?} is not in marketplace.regions"));
        }
    }
    let lat = c.number("lat", false);
    let lon = c.number("lon", false);
    if lat.is_some() != lon.is_some() {
        c.problems.push("lat/lon: give both or neither".to_string());
    }
    if lat.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        c.problems.push("lat: outside -90..90".to_string());
    }
    if lon.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        c.problems.push("lon: outside -180..180".to_string());
    }
    let title = c.text("title", false, 500);
    let description = c.text("description", false, 20_000);
    let mut image_urls = Vec::new();
    match c.present("image_urls") {
        None => {}
        Some(Value::Array(items)) if items.len() > MAX_IMAGES => c.problems.push(format!("image_urls: more than {MAX_IMAGES} images")),
        Some(Value::Array(items)) => {
            for (k, it) in items.iter().enumerate() {
                match it.as_str() {
                    Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2048 => image_urls.push(u.to_string()),
                    _ => c.problems.push(format!("image_urls[{k}]: not an http(s) URL")),
                }
            }
        }
        Some(other) => c.problems.push(format!("image_urls: expected an array, got {}", kind(other))),
    }
    if !c.problems.is_empty() {
        return Err(c.problems.join("; "));
    }
    // every required field parsed, or a problem was recorded above
    match (source_listing_id, observed_at, make, model, year, price, status) {
        (Some(source_listing_id), Some(observed_at), Some(make), Some(model), Some(year), Some(price_eur), Some(status)) => Ok(LandingRow {
            source,
            source_listing_id,
            observed_at,
            make,
            model,
            year: year as i32,
            price_eur: (price_eur * 100.0).round() / 100.0,
            status,
            vin,
            mileage_km: mileage.map(|m| m as i32),
            body_type,
            segment,
            powertrain,
            transmission,
            power_kw: power_kw.map(|p| p as i32),
            colour,
            seller_type,
            region_code,
            lat,
            lon,
            title,
            description,
            image_urls,
        }),
        _ => Err("payload: required fields missing".to_string()),
    }
}

#[cfg(test)]
#[path = "validate_test.rs"]
mod tests;
