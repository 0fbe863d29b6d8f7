use super::*;

fn ev(my: &str, age: f64, km: f64, cap: Option<f64>, soh: Option<f64>) -> EvRow {
    EvRow { model_year: my.into(), model: my.split(' ').next().unwrap().into(), age_years: age, mileage_km: Some(km), stated_capacity: cap, stated_soh: soh }
}

#[test]
fn capacities_are_kept_corrected_or_filled_with_their_source() {
    let rows = vec![
        ev("ID.3 2022", 2.0, 30_000.0, Some(58.0), None),
        ev("ID.3 2022", 2.0, 20_000.0, Some(58.0), None),
        ev("ID.3 2022", 2.0, 25_000.0, Some(77.0), None),
        ev("ID.3 2022", 2.0, 25_000.0, Some(580.0), None),
        ev("ID.3 2022", 2.0, 25_000.0, None, None),
        ev("ID.3 2021", 3.0, 25_000.0, None, None),
        ev("Zoe 2019", 5.0, 60_000.0, None, None),
    ];
    let (out, _) = refit(&rows);
    // model-year median of 58, 58, 77, 580 = 67.5; 77 is within 35 %, 580 is not
    assert_eq!((out[0].capacity, out[0].capacity_source), (Some(58.0), "stated"));
    assert_eq!((out[2].capacity, out[2].capacity_source), (Some(77.0), "stated"));
    assert_eq!((out[3].capacity, out[3].capacity_source), (Some(67.5), "model_year_median"));
    assert_eq!(out[3].capacity_confidence, Some(0.9 * 4.0 / 6.0));
    assert_eq!((out[4].capacity, out[4].capacity_source), (Some(67.5), "model_year_median"));
    // no stated value for 2021: the model's median (over all years) fills it
    assert_eq!((out[5].capacity, out[5].capacity_source), (Some(67.5), "model_median"));
    assert_eq!((out[6].capacity, out[6].capacity_source, out[6].capacity_confidence), (None, "none", None));
}

#[test]
fn soh_regression_recovers_a_known_linear_law() {
    // SoH = 100 - 1.5 per year - 0.8 per 10 000 km, exactly
    let law = |a: f64, km: f64| 100.0 - 1.5 * a - 0.8 * km / 10_000.0;
    let mut rows: Vec<EvRow> = (0..30).map(|i| {
        let (a, km) = ((i % 7) as f64, (i * 7_919 % 150_000) as f64);
        ev("X 2020", a, km, None, Some(law(a, km)))
    }).collect();
    rows.push(ev("X 2020", 4.0, 80_000.0, None, None));
    let (out, model) = refit(&rows);
    let m = model.unwrap();
    assert!((m.intercept - 100.0).abs() < 1e-9 && (m.per_year + 1.5).abs() < 1e-9 && (m.per_10k_km + 0.8).abs() < 1e-9, "{m:?}");
    assert!(m.rmse < 1e-9);
    let last = out.last().unwrap();
    assert_eq!(last.soh_source, "age_mileage_regression");
    assert!((last.soh.unwrap() - law(4.0, 80_000.0)).abs() < 1e-9);
    assert_eq!(last.soh_confidence, Some(0.9));
    // fewer than 10 stated values: no model, nothing filled
    let (out, model) = refit(&rows[25..]);
    assert!(model.is_none());
    assert_eq!(out.last().unwrap().soh_source, "none");
}

#[test]
fn spelling_keys_fold_case_accents_and_punctuation() {
    assert_eq!(spelling_key("Škoda"), "skoda");
    assert_eq!(spelling_key("CITROËN"), "citroen");
    assert_eq!(spelling_key("ID.3"), spelling_key("id 3"));
    assert_eq!(spelling_key("Mercedes-Benz"), "mercedesbenz");
    assert_eq!(spelling_key("Mégane"), "megane");
}
