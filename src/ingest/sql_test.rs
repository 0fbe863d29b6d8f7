//! In-database tests (#[pg_test]) of ingest.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn count(sql: &str) -> i64 {
        Spi::get_one::<i64>(sql).unwrap().unwrap()
    }

    fn regions() {
        Spi::run("INSERT INTO marketplace.regions VALUES ('DE-BY', 'Bayern', 'DE', 'de', 48.8, 11.5) ON CONFLICT DO NOTHING").unwrap();
    }

    const BATCH: &str = r#"[
      {"source_listing_id": "a", "observed_at": "2026-10-01T08:00:00Z", "make": "VW", "model": "Golf", "year": 2019, "price_eur": 15000, "region_code": "DE-BY", "image_urls": ["https://img.test/a1.jpg", "https://img.test/a2.jpg"]},
      {"source_listing_id": "a", "observed_at": "2026-10-05T08:00:00Z", "make": "VW", "model": "Golf", "year": 2019, "price_eur": "14500"},
      {"source_listing_id": "a", "observed_at": "2026-10-09T08:00:00Z", "make": "VW", "model": "Golf", "year": 2019, "price_eur": 14500, "status": "sold"},
      {"source_listing_id": "b", "observed_at": "2026-10-02T08:00:00Z", "make": "Fiat", "model": "500", "year": 2021, "price_eur": 9900},
      {"source_listing_id": "c", "observed_at": "2026-10-02T08:00:00Z", "make": "Fiat", "model": "500", "year": 1850, "price_eur": "cheap"},
      {"source_listing_id": "d", "observed_at": "2026-10-02 10:00:00", "make": "Opel", "model": "Corsa", "year": 2015, "price_eur": 5000},
      "not an object"
    ]"#;

    #[pg_test]
    fn ingests_good_rows_and_quarantines_bad_ones_with_reasons() {
        regions();
        let batch = Spi::get_one_with_args::<i64>("SELECT spine.land_batch('site', $1::jsonb)", &[BATCH.into()]).unwrap().unwrap();
        let r = Spi::get_three_with_args::<i32, i32, i64>("SELECT rows_ingested, rows_quarantined, events_written FROM spine.ingest_landing($1)", &[batch.into()]).unwrap();
        // a: listed, price_change, status_change; b: listed
        assert_eq!(r, (Some(4), Some(3), Some(4)));
        let row = Spi::get_three_with_args::<i32, i32, i32>("SELECT rows_total, rows_ingested, rows_quarantined FROM marketplace.landing_batches WHERE batch_id = $1", &[batch.into()]).unwrap();
        assert_eq!(row, (Some(7), Some(4), Some(3)));
        assert_eq!(count("SELECT count(*) FROM marketplace.listings"), 2);
        let a = Spi::get_three::<String, pgrx::AnyNumeric, String>("SELECT status, price_eur, to_char(status_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM marketplace.listings WHERE source_listing_id = 'a'").unwrap();
        assert_eq!(a.0.as_deref(), Some("sold"));
        assert_eq!(a.1.map(|n| n.to_string()), Some("14500.00".to_string()));
        assert_eq!(a.2.as_deref(), Some("2026-10-09"));
        let types = Spi::get_one::<String>("SELECT string_agg(event_type, ',' ORDER BY observed_at, event_type) FROM marketplace.listing_events e JOIN marketplace.listings l USING (listing_id) WHERE l.source_listing_id = 'a'").unwrap();
        assert_eq!(types.as_deref(), Some("listed,price_change,status_change"));
        assert_eq!(count("SELECT count(*) FROM marketplace.listing_images"), 2);
        let reasons = Spi::get_one::<String>("SELECT string_agg(row_no || ': ' || reason, E'\\n' ORDER BY row_no) FROM marketplace.landing_quarantine").unwrap().unwrap();
        assert_eq!(
            reasons,
            "5: year: 1850 outside 1900..2100; price_eur: \"cheap\" is not a number\n\
             6: observed_at: \"2026-10-02 10:00:00\" is not an RFC 3339 timestamp with offset (e.g. 2026-11-01T10:00:00Z)\n\
             7: payload: expected a JSON object, got a string"
        );
    }

    #[pg_test]
    fn the_same_batch_twice_changes_nothing() {
        regions();
        let b1 = Spi::get_one_with_args::<i64>("SELECT spine.land_batch('site', $1::jsonb)", &[BATCH.into()]).unwrap().unwrap();
        Spi::run_with_args("SELECT * FROM spine.ingest_landing($1)", &[b1.into()]).unwrap();
        let snapshot = "SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM (SELECT l.source_listing_id, l.status, l.price_eur, l.first_seen_at, l.last_seen_at, l.status_changed_at, e.event_type, e.observed_at FROM marketplace.listings l JOIN marketplace.listing_events e USING (listing_id)) x";
        let before = Spi::get_one::<String>(snapshot).unwrap();
        // the same batch id again: refused as already ingested, nothing returned
        assert_eq!(count(&format!("SELECT count(*) FROM spine.ingest_landing({b1})")), 0);
        // the same rows as a new batch: every good row is a duplicate
        let b2 = Spi::get_one_with_args::<i64>("SELECT spine.land_batch('site', $1::jsonb)", &[BATCH.into()]).unwrap().unwrap();
        let r = Spi::get_three_with_args::<i32, i32, i64>("SELECT rows_ingested, rows_duplicate, events_written FROM spine.ingest_landing($1)", &[b2.into()]).unwrap();
        assert_eq!(r, (Some(0), Some(4), Some(0)));
        assert_eq!(Spi::get_one::<String>(snapshot).unwrap(), before);
    }

    #[pg_test]
    fn late_observation_is_history_and_first_seen_moves_earlier() {
        regions();
        let b1 = Spi::get_one_with_args::<i64>("SELECT spine.land_batch('site', $1::jsonb)", &[BATCH.into()]).unwrap().unwrap();
        Spi::run_with_args("SELECT * FROM spine.ingest_landing($1)", &[b1.into()]).unwrap();
        Spi::run(r#"SELECT spine.land_batch('site', '[{"source_listing_id": "b", "observed_at": "2026-09-20T08:00:00Z", "make": "Fiat", "model": "500", "year": 2021, "price_eur": 10900}]')"#).unwrap();
        Spi::run("SELECT * FROM spine.ingest_landing()").unwrap();
        let r = Spi::get_three::<String, pgrx::AnyNumeric, String>("SELECT to_char(first_seen_at AT TIME ZONE 'UTC', 'MM-DD'), price_eur, to_char(last_seen_at AT TIME ZONE 'UTC', 'MM-DD') FROM marketplace.listings WHERE source_listing_id = 'b'").unwrap();
        assert_eq!((r.0.as_deref(), r.1.map(|n| n.to_string()), r.2.as_deref()), (Some("09-20"), Some("9900.00".to_string()), Some("10-02")));
        assert_eq!(count("SELECT count(*) FROM marketplace.listing_events e JOIN marketplace.listings l USING (listing_id) WHERE l.source_listing_id = 'b'"), 2);
    }

    #[pg_test(error = "spine.ingest_landing: landing batch 999999 does not exist")]
    fn unknown_batch_is_an_error() {
        Spi::run("SELECT * FROM spine.ingest_landing(999999)").unwrap();
    }

    #[pg_test(error = "spine.land_batch: rows must be a JSON array of objects")]
    fn land_batch_needs_an_array() {
        Spi::run(r#"SELECT spine.land_batch('site', '{"a": 1}')"#).unwrap();
    }
}
