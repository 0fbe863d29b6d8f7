//! In-database tests of healing: the battery extractor against the generator's planted truth.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn battery_extraction_recovers_every_planted_statement() {
        Spi::run("SET spine.demo_anchor = '2026-11-01 00:00+00'").unwrap();
        Spi::run("SELECT spine.generate_demo_data(4000, 90, 3)").unwrap();
        // per listing: what the text states (truth) against what the extractor reads
        let (stated_cap, right_cap, stated_soh) = Spi::get_three::<i64, i64, i64>(
            "SELECT count(*) FILTER (WHERE t.capacity_stated),
                    count(*) FILTER (WHERE t.capacity_stated AND x.capacity_kwh = t.capacity_kwh),
                    count(*) FILTER (WHERE t.soh_stated)
             FROM spine.demo_truth_battery t JOIN marketplace.listings l USING (listing_id), spine.extract_battery(l.description) x",
        )
        .unwrap();
        let right_soh = Spi::get_one::<i64>(
            "SELECT count(*) FROM spine.demo_truth_battery t JOIN marketplace.listings l USING (listing_id), spine.extract_battery(l.description) x
             WHERE t.soh_stated AND x.soh_pct = t.soh_pct",
        )
        .unwrap();
        assert!(stated_cap.unwrap() > 400 && stated_soh.unwrap() > 300);
        assert_eq!(right_cap, stated_cap, "capacity recall");
        assert_eq!(right_soh, stated_soh, "state-of-health recall");
        // no value is read where none is stated (listings without EV truth or without the statement)
        let false_positives = Spi::get_one::<i64>(
            "SELECT count(*) FROM marketplace.listings l LEFT JOIN spine.demo_truth_battery t USING (listing_id), spine.extract_battery(l.description) x
             WHERE (x.capacity_kwh IS NOT NULL AND NOT coalesce(t.capacity_stated, false))
                OR (x.soh_pct IS NOT NULL AND NOT coalesce(t.soh_stated, false))",
        )
        .unwrap();
        assert_eq!(false_positives, Some(0));
    }

    #[pg_test]
    fn null_description_states_nothing() {
        let r = Spi::get_two::<f64, f64>("SELECT capacity_kwh, soh_pct FROM spine.extract_battery(NULL)").unwrap();
        assert_eq!(r, (None, None));
    }
}
