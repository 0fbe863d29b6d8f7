use super::*;

const DESC: &str = "Gepflegter Golf aus erster Hand, scheckheftgepflegt, Nichtraucherfahrzeug, Winterreifen auf Stahlfelgen, TÜV neu, Farbe blau";

fn rec(id: i64, first_seen: i64, mileage: i32, colour: &str, desc: &str) -> Rec {
    Rec {
        id,
        first_seen,
        vin: None,
        block: block_key("Volkswagen", "Golf", 2019, Some("petrol"), Some("DE-BY"), Some(colour)),
        mileage: Some(mileage),
        price: Some(15_000.0),
        colour: field_hash(Some(colour)),
        power_kw: Some(85),
        transmission: field_hash(Some("manual")),
        seller: field_hash(Some("private")),
        lat: Some(48.1),
        lon: Some(11.5),
        title: minhash(Some("Volkswagen Golf 2019")),
        description: minhash(Some(desc)),
    }
}

#[test]
fn minhash_estimates_jaccard() {
    let a = minhash(Some(DESC));
    assert_eq!(jaccard(&a, &a), Some(1.0));
    let b = minhash(Some(&format!("{DESC} VB.")));
    assert!(jaccard(&a, &b).unwrap() > 0.7, "{:?}", jaccard(&a, &b));
    let c = minhash(Some("Sportlicher Kombi mit Panoramadach, Anhängerkupplung und neuer Kupplung, Farbe schwarz"));
    assert!(jaccard(&a, &c).unwrap() < 0.2);
    assert_eq!(jaccard(&a, &minhash(None)), None);
    // case, punctuation and numbers do not matter
    assert_eq!(jaccard(&a, &minhash(Some(&DESC.to_uppercase().replace(',', " ;")))), Some(1.0));
    assert_eq!(jaccard(&minhash(Some("Farbe gelb, 29842 km, keine Garantie")), &minhash(Some("Farbe gelb, 30041 km, keine Garantie"))), Some(1.0));
}

#[test]
fn a_repost_scores_above_the_threshold_and_a_lookalike_below() {
    let original = rec(1, 0, 50_000, "blue", DESC);
    let repost = rec(2, 5, 50_300, "blue", &format!("{DESC} Price negotiable."));
    let (s, why) = score(&original, &repost);
    assert!(s >= THRESHOLD, "{s} {why:?}");
    assert!(why.iter().any(|w| w.starts_with("description similarity")));
    let mut other = rec(3, 2, 51_000, "blue", "Golf mit Schiebedach, Sitzheizung, Tempomat und Einparkhilfe hinten, Farbe schwarz");
    other.power_kw = Some(110);
    other.lat = Some(48.4);
    let (s, why) = score(&original, &other);
    assert!(s < THRESHOLD, "{s} {why:?}");
    // different VINs are never the same car
    let (mut x, mut y) = (original.clone(), repost.clone());
    x.vin = Some("WVWZZZ1KZAW000001".into());
    y.vin = Some("WVWZZZ1KZAW000002".into());
    assert_eq!(score(&x, &y).0, 0.0);
}

#[test]
fn blocking_uses_vin_and_a_mileage_window() {
    let mut recs = vec![rec(1, 0, 10_000, "blue", DESC), rec(2, 1, 12_000, "blue", DESC), rec(3, 2, 40_000, "blue", DESC)];
    let mut far = rec(4, 3, 90_000, "red", DESC);
    far.block = block_key("BMW", "X1", 2018, Some("diesel"), Some("DE-BE"), Some("red"));
    far.vin = Some("WBA00000000000001".into());
    recs[2].vin = Some("WBA00000000000001".into());
    recs.push(far);
    assert_eq!(candidates(&recs), vec![(0, 1), (2, 3)]);
}

#[test]
fn clustering_chains_reposts_to_the_earliest_and_honours_overrides() {
    let recs = vec![rec(10, 0, 1, "blue", DESC), rec(11, 5, 2, "blue", DESC), rec(12, 9, 3, "blue", DESC), rec(13, 1, 4, "blue", DESC)];
    let link = |a, b, score| Link { a, b, score, reasons: vec![] };
    let (canon, accepted) = cluster(&recs, vec![link(1, 2, 0.9), link(0, 1, 0.8), link(2, 3, 0.5)], &[]);
    assert_eq!(canon, vec![0, 0, 0, 3]);
    assert_eq!(accepted.len(), 2);
    // never-merge between 0 and 2 keeps them apart even through 1 (the stronger link wins)
    let (canon, _) = cluster(&recs, vec![link(1, 2, 0.9), link(0, 1, 0.8)], &[(0, 2, Override::NeverMerge)]);
    assert_eq!(canon, vec![0, 1, 1, 3]);
    // force-merge joins what the score would not
    let (canon, accepted) = cluster(&recs, vec![link(2, 3, 0.5)], &[(2, 3, Override::ForceMerge)]);
    assert_eq!(canon, vec![0, 1, 3, 3]);
    assert_eq!(accepted[0].reasons, vec!["force-merge override".to_string()]);
}

#[test]
fn pair_quality_counts_same_group_pairs() {
    // truth: {1,2,3} one group; predicted {1,2} and {3} alone
    let (p, r, f) = pair_quality(&[(2, 1)], &[(2, 1), (3, 1)]);
    assert_eq!((p, r), (1.0, 1.0 / 3.0));
    assert!((f - 0.5).abs() < 1e-12);
    assert_eq!(pair_quality(&[], &[]), (1.0, 1.0, 1.0));
}
