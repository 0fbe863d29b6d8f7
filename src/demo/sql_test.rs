//! In-database tests (#[pg_test]) of demo.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn setup(n: i32) -> i64 {
        Spi::run("SET spine.demo_anchor = '2026-11-01 00:00+00'").unwrap();
        Spi::get_one::<i64>(&format!("SELECT spine.generate_demo_data({n}, 90, 7)")).unwrap().unwrap()
    }

    fn count(sql: &str) -> i64 {
        Spi::get_one::<i64>(sql).unwrap().unwrap()
    }

    #[pg_test]
    fn generates_listings_events_images_and_truth() {
        assert_eq!(setup(2000), 2000);
        assert_eq!(count("SELECT count(*) FROM marketplace.listings"), 2000);
        assert_eq!(count("SELECT count(*) FROM marketplace.regions"), 20);
        // every listing has exactly one 'listed' event, at first_seen_at, with its initial price
        assert_eq!(count("SELECT count(*) FROM marketplace.listing_events WHERE event_type = 'listed'"), 2000);
        assert_eq!(
            count("SELECT count(*) FROM marketplace.listings l JOIN marketplace.listing_events e ON e.listing_id = l.listing_id AND e.event_type = 'listed' WHERE e.observed_at <> l.first_seen_at"),
            0
        );
        // the current state equals the last event
        assert_eq!(
            count("SELECT count(*) FROM marketplace.listings l JOIN LATERAL (SELECT * FROM marketplace.listing_events e WHERE e.listing_id = l.listing_id ORDER BY observed_at DESC LIMIT 1) e ON true WHERE (e.status, e.price_eur, e.observed_at) IS DISTINCT FROM (l.status, l.price_eur, l.last_seen_at)"),
            0
        );
        // nothing observed at or after the anchor, nothing before the horizon
        assert_eq!(count("SELECT count(*) FROM marketplace.listing_events WHERE observed_at >= '2026-11-01 00:00+00' OR observed_at < '2026-08-03 00:00+00'"), 0);
        let dups = count("SELECT count(*) FROM spine.demo_truth_duplicates");
        assert!((50..=120).contains(&dups), "{dups} planted reposts");
        let evs = count("SELECT count(*) FROM marketplace.listings WHERE powertrain = 'ev'");
        assert_eq!(evs, count("SELECT count(*) FROM spine.demo_truth_battery"));
        assert!(count("SELECT count(*) FROM marketplace.listing_images") >= 2000);
        assert_eq!(count("SELECT count(*) FROM marketplace.listings l LEFT JOIN marketplace.region_socio s ON s.region_code = l.region_code AND l.first_seen_at::date >= s.valid_from AND (s.valid_to IS NULL OR l.first_seen_at::date < s.valid_to) WHERE s.region_code IS NULL"), 0);
    }

    #[pg_test]
    fn same_seed_same_rows_after_clear() {
        setup(500);
        let digest = "SELECT md5(string_agg(l::text, '|' ORDER BY listing_id)) FROM marketplace.listings l";
        // event_id comes from a sequence, which concurrent sessions share: compare the content
        let events = "SELECT md5(string_agg(e::text, '|' ORDER BY listing_id, observed_at, event_type)) FROM (SELECT listing_id, event_type, observed_at, price_eur, previous_price_eur, status, previous_status FROM marketplace.listing_events) e";
        let a = (Spi::get_one::<String>(digest).unwrap(), Spi::get_one::<String>(events).unwrap());
        Spi::run("SELECT spine.clear_demo_data()").unwrap();
        assert_eq!(count("SELECT count(*) FROM marketplace.listings"), 0);
        setup(500);
        let b = (Spi::get_one::<String>(digest).unwrap(), Spi::get_one::<String>(events).unwrap());
        assert_eq!(a, b);
        Spi::run("SELECT spine.clear_demo_data()").unwrap();
        Spi::run("SET spine.demo_anchor = '2026-11-01 00:00+00'").unwrap();
        Spi::run("SELECT spine.generate_demo_data(500, 90, 8)").unwrap();
        let c = (Spi::get_one::<String>(digest).unwrap(), Spi::get_one::<String>(events).unwrap());
        assert_ne!(a.0, c.0);
    }

    #[pg_test(error = "spine.generate_demo_data: listings must be between 0 and 20000000, got -5")]
    fn negative_listing_count_is_refused() {
        Spi::run("SELECT spine.generate_demo_data(-5)").unwrap();
    }

    #[pg_test(error = "spine.generate_demo_data: days must be between 1 and 3650, got 0")]
    fn zero_days_is_refused() {
        Spi::run("SELECT spine.generate_demo_data(10, 0)").unwrap();
    }

    #[pg_test(error = "spine.generate_demo_data: marketplace.listings already holds listings")]
    fn refuses_to_mix_with_existing_listings() {
        setup(10);
        Spi::run("SELECT spine.generate_demo_data(10)").unwrap();
    }

    #[pg_test(error = "spine.demo_anchor: \"next tuesday-ish\" is not a timestamp with time zone")]
    fn bad_anchor_is_refused() {
        Spi::run("SET spine.demo_anchor = 'next tuesday-ish'").unwrap();
        Spi::run("SELECT spine.generate_demo_data(10)").unwrap();
    }

    #[pg_test(error = "marketplace.listing_events is append-only: DELETE refused")]
    fn history_is_append_only() {
        setup(10);
        Spi::run("DELETE FROM marketplace.listing_events").unwrap();
    }
}
