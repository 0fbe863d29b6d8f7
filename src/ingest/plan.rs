//! Turning validated observations into listing state changes and events, given the listings'
//! current state. Pure, so the rules are unit-tested:
//! - an observation newer than the listing's last sighting updates the current state and writes
//!   `listed` (new listing), `price_change`, `status_change`, or else `seen`;
//! - one at exactly the last sighting is a duplicate (already reflected) and changes nothing;
//! - an older one (arrived late) is kept as a `seen` history event and does not touch the state.

use super::validate::LandingRow;
use std::collections::HashMap;

pub type Key = (String, String);

#[derive(Clone, Debug, PartialEq)]
pub struct Current {
    pub price_eur: Option<f64>,
    pub status: String,
    pub last_seen_at: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedEvent {
    pub key: Key,
    pub event_type: &'static str,
    pub observed_at: i64,
    pub price_eur: f64,
    pub previous_price_eur: Option<f64>,
    pub status: String,
    pub previous_status: Option<String>,
    /// Late observation: written only if the listing has no event at that instant yet.
    pub late: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Late,
    Duplicate,
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Per key, the listing's new state: the applied observations merged in time order (a
    /// field an observation omits keeps its earlier value), and when its status last changed in
    /// this batch.
    pub final_rows: Vec<(Key, LandingRow, Option<i64>)>,
    /// Per key, the earliest observation in the batch (first_seen_at can only move earlier).
    pub earliest: Vec<(Key, i64)>,
    pub events: Vec<PlannedEvent>,
    pub outcomes: Vec<Outcome>,
}

/// A newer observation over an older one: required fields from the newer, optional fields from
/// the newer where it states them.
fn merge(old: LandingRow, new: &LandingRow) -> LandingRow {
    fn pick<T: Clone>(new: &Option<T>, old: Option<T>) -> Option<T> {
        new.clone().or(old)
    }
    LandingRow {
        source: new.source.clone(),
        source_listing_id: new.source_listing_id.clone(),
        observed_at: new.observed_at,
        make: new.make.clone(),
        model: new.model.clone(),
        year: new.year,
        price_eur: new.price_eur,
        status: new.status.clone(),
        vin: pick(&new.vin, old.vin),
        mileage_km: pick(&new.mileage_km, old.mileage_km),
        body_type: pick(&new.body_type, old.body_type),
        segment: pick(&new.segment, old.segment),
        powertrain: pick(&new.powertrain, old.powertrain),
        transmission: pick(&new.transmission, old.transmission),
        power_kw: pick(&new.power_kw, old.power_kw),
        colour: pick(&new.colour, old.colour),
        seller_type: pick(&new.seller_type, old.seller_type),
        region_code: pick(&new.region_code, old.region_code),
        lat: pick(&new.lat, old.lat),
        lon: pick(&new.lon, old.lon),
        title: pick(&new.title, old.title),
        description: pick(&new.description, old.description),
        image_urls: if new.image_urls.is_empty() { old.image_urls } else { new.image_urls.clone() },
    }
}

/// `rows[i].1` is the row's effective source. Rows may come in any order.
pub fn plan(rows: &[(LandingRow, String)], current: &HashMap<Key, Current>) -> Plan {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&rows[a], &rows[b]);
        (&ra.1, &ra.0.source_listing_id, ra.0.observed_at, a).cmp(&(&rb.1, &rb.0.source_listing_id, rb.0.observed_at, b))
    });
    let mut p = Plan { outcomes: vec![Outcome::Duplicate; rows.len()], ..Plan::default() };
    let mut i = 0;
    while i < order.len() {
        let key: Key = (rows[order[i]].1.clone(), rows[order[i]].0.source_listing_id.clone());
        let mut state = current.get(&key).cloned();
        let mut merged: Option<LandingRow> = None;
        let mut status_changed = None;
        p.earliest.push((key.clone(), rows[order[i]].0.observed_at));
        while i < order.len() && rows[order[i]].1 == key.0 && rows[order[i]].0.source_listing_id == key.1 {
            let idx = order[i];
            let r = &rows[idx].0;
            let ev = |event_type, previous_price_eur, previous_status, late| PlannedEvent {
                key: key.clone(),
                event_type,
                observed_at: r.observed_at,
                price_eur: r.price_eur,
                previous_price_eur,
                status: r.status.clone(),
                previous_status,
                late,
            };
            match &state {
                None => {
                    p.events.push(ev("listed", None, None, false));
                    if r.status != "active" {
                        status_changed = Some(r.observed_at);
                    }
                    p.outcomes[idx] = Outcome::Applied;
                }
                Some(s) if r.observed_at > s.last_seen_at => {
                    let price_changed = s.price_eur.is_none_or(|old| old != r.price_eur);
                    let status_changes = s.status != r.status;
                    if price_changed {
                        p.events.push(ev("price_change", s.price_eur, None, false));
                    }
                    if status_changes {
                        p.events.push(ev("status_change", None, Some(s.status.clone()), false));
                        status_changed = Some(r.observed_at);
                    }
                    if !price_changed && !status_changes {
                        p.events.push(ev("seen", None, None, false));
                    }
                    p.outcomes[idx] = Outcome::Applied;
                }
                Some(s) if r.observed_at == s.last_seen_at => p.outcomes[idx] = Outcome::Duplicate,
                Some(_) => {
                    p.events.push(ev("seen", None, None, true));
                    p.outcomes[idx] = Outcome::Late;
                }
            }
            if p.outcomes[idx] == Outcome::Applied {
                state = Some(Current { price_eur: Some(r.price_eur), status: r.status.clone(), last_seen_at: r.observed_at });
                merged = Some(match merged.take() {
                    None => r.clone(),
                    Some(prev) => merge(prev, r),
                });
            }
            i += 1;
        }
        if let Some(m) = merged {
            p.final_rows.push((key, m, status_changed));
        }
    }
    p
}

#[cfg(test)]
#[path = "plan_test.rs"]
mod tests;
