//! The synthetic marketplace, one listing at a time. Every listing is a pure function of
//! (seed, index, horizon), so the SQL layer can stream listings, events, images and ground truth
//! in separate passes without holding anything in memory, and the same seed gives the same rows.

use super::catalog::{Lang, Model, Powertrain, Region, COLOURS, MODELS, REGIONS, SOURCES};
use super::text::{self, DescriptionInput};
use super::time::{pg_us_to_civil, years_between, US_PER_DAY, US_PER_HOUR};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal};

/// Largest marketplace the generator accepts in one call.
pub const MAX_LISTINGS: i32 = 20_000_000;
/// Longest horizon in days.
pub const MAX_DAYS: i32 = 3_650;
/// Share of listings planted as reposts of an earlier listing.
pub const DUPLICATE_RATE: f64 = 0.05;
/// Days between two "seen" events of an active listing.
pub const SEEN_EVERY_DAYS: i64 = 7;

#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub listings: i32,
    pub days: i32,
    pub seed: i32,
    /// End of the horizon (PostgreSQL microseconds); nothing is observed at or after it.
    pub anchor: i64,
}

/// Argument problems, reported by the SQL layer as `invalid_parameter_value`.
#[derive(Debug, PartialEq)]
pub struct ParamError {
    pub message: String,
    pub hint: String,
}

impl Params {
    pub fn new(listings: i32, days: i32, seed: i32, anchor: i64) -> Result<Self, ParamError> {
        if !(0..=MAX_LISTINGS).contains(&listings) {
            return Err(ParamError {
                message: format!("listings must be between 0 and {MAX_LISTINGS}, got {listings}"),
                hint: "Pass the number of listings to generate, e.g. spine.generate_demo_data(10000).".into(),
            });
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(ParamError {
                message: format!("days must be between 1 and {MAX_DAYS}, got {days}"),
                hint: "days is the length of the observed horizon ending at spine.demo_anchor; 90 is the default.".into(),
            });
        }
        Ok(Params { listings, days, seed, anchor })
    }

    fn horizon_start(&self) -> i64 {
        self.anchor - self.days as i64 * US_PER_DAY
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    Sold,
    Removed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Sold => "sold",
            Status::Removed => "removed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Listed,
    Seen,
    PriceChange,
    StatusChange,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Listed => "listed",
            EventType::Seen => "seen",
            EventType::PriceChange => "price_change",
            EventType::StatusChange => "status_change",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub event_type: EventType,
    pub observed_at: i64,
    pub price_eur: f64,
    pub previous_price_eur: Option<f64>,
    pub status: Status,
    pub previous_status: Option<Status>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Listing {
    pub listing_id: i64,
    pub source: &'static str,
    pub source_listing_id: String,
    pub vin: Option<String>,
    pub make: &'static str,
    pub model: &'static str,
    pub year: i32,
    pub body_type: &'static str,
    pub segment: &'static str,
    pub powertrain: Powertrain,
    pub transmission: &'static str,
    pub power_kw: i32,
    pub colour: &'static str,
    pub mileage_km: i32,
    pub seller_type: &'static str,
    pub region_code: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub title: String,
    pub description: String,
    pub n_images: i32,
    pub first_seen_at: i64,
    pub events: Vec<Event>,
    // ground truth
    pub market_value_eur: f64,
    pub duplicate_of: Option<i64>,
    pub battery_kwh: Option<f64>,
    pub soh_pct: Option<f64>,
    pub capacity_stated: bool,
    pub soh_stated: bool,
}

impl Listing {
    pub fn current(&self) -> &Event {
        // events always holds at least the "listed" event
        &self.events[self.events.len() - 1]
    }
    pub fn initial_price(&self) -> f64 {
        self.events[0].price_eur
    }
    pub fn status(&self) -> Status {
        self.current().status
    }
    pub fn last_seen_at(&self) -> i64 {
        self.current().observed_at
    }
    pub fn status_changed_at(&self) -> Option<i64> {
        self.events.iter().rev().find(|e| e.event_type == EventType::StatusChange).map(|e| e.observed_at)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn stream(seed: i32, index: u32, stream: u64) -> ChaCha8Rng {
    let s = splitmix64(splitmix64(seed as u32 as u64) ^ ((index as u64) << 8) ^ stream);
    ChaCha8Rng::seed_from_u64(s)
}

fn weighted<'a, T, R: Rng>(rng: &mut R, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.gen::<f64>() * total;
    for it in items {
        x -= weight(it);
        if x < 0.0 {
            return it;
        }
    }
    &items[items.len() - 1]
}

/// The first draws of a listing's stream decide whether it is a planted repost and of whom.
fn repost_target(p: &Params, index: u32) -> Option<u32> {
    let mut rng = stream(p.seed, index, 0);
    let is_dup = rng.gen::<f64>() < DUPLICATE_RATE;
    let target = rng.gen::<f64>();
    if index < 20 || !is_dup {
        return None;
    }
    Some(((target * index as f64) as u32).min(index - 1))
}

/// The original listing (never itself a repost) a repost copies.
fn root_of(p: &Params, mut index: u32) -> u32 {
    while let Some(t) = repost_target(p, index) {
        index = t;
    }
    index
}

/// Attributes that a repost shares with its original.
struct Vehicle {
    model: &'static Model,
    region: &'static Region,
    year: i32,
    powertrain: Powertrain,
    transmission: &'static str,
    power_kw: i32,
    colour: &'static str,
    mileage_km: i32,
    dealer: bool,
    vin: Option<String>,
    battery_kwh: Option<f64>,
    soh_pct: Option<f64>,
    market_value: f64,
    markup: f64,
    first_seen_at: i64,
    lat: f64,
    lon: f64,
}

const VIN_CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

fn vehicle(p: &Params, index: u32) -> Vehicle {
    let mut rng = stream(p.seed, index, 1);
    let model = weighted(&mut rng, MODELS, |m| m.weight);
    let region = weighted(&mut rng, REGIONS, |r| r.weight);
    let (anchor_year, _, _) = pg_us_to_civil(p.anchor);
    let max_age = (anchor_year - model.first_year).max(0);
    let age_draw: f64 = Exp::new(1.0 / 5.0).map(|d| d.sample(&mut rng)).unwrap_or(5.0);
    let age = (age_draw.floor() as i32).min(max_age);
    let year = anchor_year - age;
    let powertrain = model.powertrains[rng.gen_range(0..model.powertrains.len())];
    let transmission = if powertrain == Powertrain::Ev || rng.gen_bool(0.45) { "automatic" } else { "manual" };
    let base_kw = (model.new_price / 400.0).clamp(45.0, 250.0);
    let power_kw = (base_kw * rng.gen_range(0.8..1.3)).round() as i32;
    let colour = COLOURS[rng.gen_range(0..COLOURS.len())];
    let span = p.horizon_start()..p.anchor;
    let first_seen_at = rng.gen_range(span);
    let age_years: f64 = (age as f64 + rng.gen::<f64>()).max(0.05);
    let km_per_year: f64 = LogNormal::new((13_000f64).ln(), 0.35).map(|d| d.sample(&mut rng)).unwrap_or(13_000.0);
    let mileage_km = ((age_years * km_per_year) / 10.0).round() as i32 * 10 + rng.gen_range(0..10);
    let dealer = rng.gen_bool(0.65);
    let vin = if rng.gen_bool(if dealer { 0.6 } else { 0.3 }) {
        Some((0..17).map(|_| VIN_CHARS[rng.gen_range(0..VIN_CHARS.len())] as char).collect())
    } else {
        None
    };
    let (battery_kwh, soh_pct) = if powertrain == Powertrain::Ev {
        let kwh = model.battery_kwh[rng.gen_range(0..model.battery_kwh.len())];
        let soh: f64 = 100.0 - 1.8 * age_years - 0.00003 * mileage_km as f64 + Normal::new(0.0, 1.5).map(|d| d.sample(&mut rng)).unwrap_or(0.0);
        (Some(kwh), Some((soh.clamp(70.0, 100.0) * 2.0).round() / 2.0))
    } else {
        (None, None)
    };
    // Market value: depreciation by age and mileage, EVs lose value faster, noise for condition.
    let ev_extra: f64 = if powertrain == Powertrain::Ev { 0.03 } else { 0.0 };
    let condition: f64 = LogNormal::new(0.0, 0.08).map(|d| d.sample(&mut rng)).unwrap_or(1.0);
    let market_value = model.new_price * 0.9 * (-(0.12 + ev_extra) * age_years).exp() * (-0.0000025 * mileage_km as f64).exp() * condition;
    let markup: f64 = Normal::new(0.03, if dealer { 0.10 } else { 0.14 }).map(|d| d.sample(&mut rng)).unwrap_or(0.0);
    let lat = region.lat + rng.gen_range(-0.6..0.6);
    let lon = region.lon + rng.gen_range(-0.8..0.8);
    Vehicle {
        model, region, year, powertrain, transmission, power_kw, colour, mileage_km, dealer, vin, battery_kwh, soh_pct,
        market_value: market_value.max(500.0), markup, first_seen_at, lat, lon,
    }
}

fn round_price(v: f64, dealer: bool) -> f64 {
    let step = if dealer { 10.0 } else { 100.0 };
    let r = (v / step).round() * step;
    if dealer { r - 10.0 } else { r }.max(step)
}

/// Baseline daily sale hazard by segment (before price and regional demand).
fn base_hazard(segment: &str) -> f64 {
    match segment {
        "mini" | "small" => 0.050,
        "compact" => 0.045,
        "suv" => 0.042,
        _ => 0.036,
    }
}

/// Simulates the listing's life from first sighting to sale, removal or the end of the horizon.
fn timeline<R: Rng>(rng: &mut R, p: &Params, v: &Vehicle, first_seen_at: i64, dealer: bool, markup0: f64) -> Vec<Event> {
    let mut markup = markup0;
    let mut price = round_price(v.market_value * markup.exp(), dealer);
    let mut events = vec![Event {
        event_type: EventType::Listed,
        observed_at: first_seen_at,
        price_eur: price,
        previous_price_eur: None,
        status: Status::Active,
        previous_status: None,
    }];
    let hazard0 = base_hazard(v.model.segment) * v.region.demand * if dealer { 1.1 } else { 1.0 };
    let mut day = 0i64;
    loop {
        let day_start = first_seen_at + day * US_PER_DAY;
        if day_start >= p.anchor {
            break;
        }
        if day > 0 && day % SEEN_EVERY_DAYS == 0 {
            events.push(Event { event_type: EventType::Seen, observed_at: day_start, price_eur: price, previous_price_eur: None, status: Status::Active, previous_status: None });
        }
        let at = day_start + rng.gen_range(US_PER_HOUR..23 * US_PER_HOUR);
        let sale_p = 1.0 - (-hazard0 * (-5.0 * markup).exp()).exp();
        let u = rng.gen::<f64>();
        let end = if u < sale_p {
            Some(Status::Sold)
        } else if u < sale_p + 0.008 {
            Some(Status::Removed)
        } else {
            None
        };
        if let Some(status) = end {
            if at < p.anchor {
                events.push(Event { event_type: EventType::StatusChange, observed_at: at, price_eur: price, previous_price_eur: None, status, previous_status: Some(Status::Active) });
            }
            break;
        }
        if day > 0 && markup > -0.05 && rng.gen::<f64>() < 0.025 && at < p.anchor {
            let cut = rng.gen_range(0.02..0.08);
            let new_price = round_price(price * (1.0 - cut), dealer);
            if new_price < price {
                markup += (new_price / price).ln();
                events.push(Event { event_type: EventType::PriceChange, observed_at: at, price_eur: new_price, previous_price_eur: Some(price), status: Status::Active, previous_status: None });
                price = new_price;
            }
        }
        day += 1;
    }
    events
}

fn title(v: &Vehicle) -> String {
    let pt = match v.powertrain {
        Powertrain::Petrol => "",
        Powertrain::Diesel => " Diesel",
        Powertrain::Hybrid => " Hybrid",
        Powertrain::Phev => " Plug-in Hybrid",
        Powertrain::Ev => " Electric",
    };
    format!("{} {}{} {}", v.model.make, v.model.model, pt, v.year)
}

fn repost_title<R: Rng>(rng: &mut R, t: &str) -> String {
    match rng.gen_range(0..4) {
        0 => t.to_uppercase(),
        1 => format!("{t} - top condition"),
        2 => format!("{t} !!"),
        _ => t.replace(' ', "  "),
    }
}

/// Generates listing `index` (0-based; listing_id = index + 1).
pub fn listing(p: &Params, index: u32) -> Listing {
    let mut rng = stream(p.seed, index, 2);
    let source_listing_id = format!("{:012x}", splitmix64((p.seed as u32 as u64) << 32 | index as u64) >> 16);
    let root = root_of(p, index);
    let mut v = vehicle(p, root);
    let mut duplicate_of = None;
    let mut source = SOURCES[rng.gen_range(0..SOURCES.len())];
    let mut markup = v.markup;
    let mut first_seen_at = v.first_seen_at;
    let mut repost = false;
    if root != index {
        let reposted_at = v.first_seen_at + rng.gen_range(US_PER_DAY..20 * US_PER_DAY);
        if reposted_at < p.anchor {
            repost = true;
            duplicate_of = Some(root as i64 + 1);
            first_seen_at = reposted_at;
            v.mileage_km += rng.gen_range(0..800);
            markup -= rng.gen_range(0.0..0.03);
            if rng.gen_bool(0.7) {
                // usually the same site; the original's site is drawn from the original's stream
                source = SOURCES[stream(p.seed, root, 2).gen_range(0..SOURCES.len())];
            }
        } else {
            v = vehicle(p, index);
            markup = v.markup;
            first_seen_at = v.first_seen_at;
        }
    }
    let events = timeline(&mut rng, p, &v, first_seen_at, v.dealer, markup);
    // Descriptions of a repost are the original's with a small edit: regenerate the original's
    // text from its own stream so both share the same wording.
    let mut text_rng = stream(p.seed, if repost { root } else { index }, 3);
    let (mut description, stmt) = text::description(
        &mut text_rng,
        &DescriptionInput {
            lang: v.region.lang,
            powertrain: v.powertrain,
            colour: v.colour,
            mileage_km: v.mileage_km,
            year: v.year,
            dealer: v.dealer,
            battery_kwh: v.battery_kwh,
            soh_pct: v.soh_pct,
        },
    );
    let mut t = title(&v);
    if repost {
        t = repost_title(&mut rng, &t);
        if rng.gen_bool(0.5) {
            description.push_str(if v.region.lang == Lang::En { " Price negotiable." } else { " VB." });
        }
    }
    let n_images = rng.gen_range(1..=8);
    Listing {
        listing_id: index as i64 + 1,
        source,
        source_listing_id,
        vin: v.vin.clone(),
        make: v.model.make,
        model: v.model.model,
        year: v.year,
        body_type: v.model.body,
        segment: v.model.segment,
        powertrain: v.powertrain,
        transmission: v.transmission,
        power_kw: v.power_kw,
        colour: v.colour,
        mileage_km: v.mileage_km,
        seller_type: if v.dealer { "dealer" } else { "private" },
        region_code: v.region.code,
        lat: v.lat,
        lon: v.lon,
        title: t,
        description,
        n_images,
        first_seen_at,
        events,
        market_value_eur: (v.market_value * 100.0).round() / 100.0,
        duplicate_of,
        battery_kwh: v.battery_kwh,
        soh_pct: v.soh_pct,
        capacity_stated: stmt.capacity_stated,
        soh_stated: stmt.soh_stated,
    }
}

/// Age of the vehicle in years at the listing's first sighting (used by tests and docs).
pub fn vehicle_age_years(l: &Listing) -> f64 {
    let (y, _, _) = pg_us_to_civil(l.first_seen_at);
    years_between(super::time::civil_to_pg_us(l.year, 7, 1), super::time::civil_to_pg_us(y, 7, 1))
}

#[cfg(test)]
#[path = "gen_test.rs"]
mod tests;
