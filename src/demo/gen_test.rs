//! Unit tests of gen.

use super::*;
use crate::demo::time::civil_to_pg_us;

fn params(n: i32) -> Params {
    Params::new(n, 90, 42, civil_to_pg_us(2026, 11, 1)).unwrap()
}

#[test]
fn rejects_bad_arguments() {
    assert!(Params::new(-1, 90, 1, 0).is_err());
    assert!(Params::new(MAX_LISTINGS + 1, 90, 1, 0).is_err());
    assert!(Params::new(10, 0, 1, 0).is_err());
    assert!(Params::new(10, MAX_DAYS + 1, 1, 0).is_err());
    assert!(Params::new(0, 1, 1, 0).is_ok());
}

#[test]
fn same_seed_same_listing_other_seed_other_listing() {
    let p = params(1000);
    for i in [0u32, 17, 500, 999] {
        assert_eq!(listing(&p, i), listing(&p, i));
    }
    let q = Params { seed: 43, ..p };
    assert_ne!(listing(&p, 5).source_listing_id, listing(&q, 5).source_listing_id);
}

#[test]
fn events_are_ordered_inside_the_horizon() {
    let p = params(3000);
    for i in 0..3000 {
        let l = listing(&p, i);
        assert_eq!(l.events[0].event_type, EventType::Listed);
        assert!(l.first_seen_at >= p.anchor - 90 * US_PER_DAY && l.first_seen_at < p.anchor);
        for w in l.events.windows(2) {
            assert!(w[0].observed_at < w[1].observed_at, "listing {i}: {:?}", l.events);
        }
        assert!(l.last_seen_at() < p.anchor);
        // a status change, if any, is the last event
        for e in &l.events[..l.events.len() - 1] {
            assert_ne!(e.event_type, EventType::StatusChange);
        }
        assert!(l.mileage_km >= 0 && l.initial_price() > 0.0);
    }
}

#[test]
fn plants_about_five_percent_reposts_of_earlier_originals() {
    let p = params(20_000);
    let mut dups = 0;
    for i in 0..20_000u32 {
        let l = listing(&p, i);
        if let Some(orig) = l.duplicate_of {
            dups += 1;
            assert!(orig < l.listing_id);
            let o = listing(&p, orig as u32 - 1);
            assert_eq!(o.duplicate_of, None);
            assert_eq!((o.make, o.model, o.year, o.region_code, &o.vin), (l.make, l.model, l.year, l.region_code, &l.vin));
            assert!(l.first_seen_at > o.first_seen_at);
            assert!(l.mileage_km >= o.mileage_km && l.mileage_km < o.mileage_km + 800);
        }
    }
    let rate = dups as f64 / 20_000.0;
    assert!((0.035..0.055).contains(&rate), "repost rate {rate}");
}

#[test]
fn about_a_fifth_are_evs_with_battery_truth() {
    let p = params(10_000);
    let mut ev = 0;
    for i in 0..10_000u32 {
        let l = listing(&p, i);
        if l.powertrain == Powertrain::Ev {
            ev += 1;
            let kwh = l.battery_kwh.unwrap();
            let soh = l.soh_pct.unwrap();
            assert!((15.0..=110.0).contains(&kwh) && (70.0..=100.0).contains(&soh));
        } else {
            assert!(l.battery_kwh.is_none() && !l.capacity_stated && !l.soh_stated);
        }
    }
    let share = ev as f64 / 10_000.0;
    assert!((0.15..0.30).contains(&share), "EV share {share}");
}

#[test]
fn overpriced_listings_sell_more_slowly() {
    // The sale hazard falls with markup over market value: models have a real signal.
    let p = params(30_000);
    let (mut cheap, mut cheap_sold, mut dear, mut dear_sold) = (0, 0, 0, 0);
    for i in 0..30_000u32 {
        let l = listing(&p, i);
        let ratio = l.initial_price() / l.market_value_eur;
        let sold_within_21d = l.events.iter().any(|e| e.status == Status::Sold && e.observed_at - l.first_seen_at <= 21 * US_PER_DAY);
        if l.first_seen_at + 21 * US_PER_DAY >= p.anchor {
            continue;
        }
        if ratio < 0.95 {
            cheap += 1;
            cheap_sold += sold_within_21d as i32;
        } else if ratio > 1.10 {
            dear += 1;
            dear_sold += sold_within_21d as i32;
        }
    }
    let (a, b) = (cheap_sold as f64 / cheap as f64, dear_sold as f64 / dear as f64);
    assert!(a > b + 0.15, "sold within 21 days: underpriced {a:.2}, overpriced {b:.2}");
}
