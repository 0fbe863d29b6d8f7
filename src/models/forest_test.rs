use super::*;

fn data() -> (Vec<f64>, Vec<bool>) {
    // class 1 iff x0 + noise-free threshold on x0 > 0.5; x1 is noise
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..400 {
        let a = (i % 100) as f64 / 100.0;
        let b = ((i * 37) % 101) as f64 / 101.0;
        x.extend([a, b]);
        y.push(a > 0.5);
    }
    (x, y)
}

#[test]
fn learns_a_threshold_and_gives_probabilities() {
    let (x, y) = data();
    let f = fit(&x, 2, &y, &ForestParams { n_trees: 20, max_features: 1.0, ..Default::default() }, &mut || {}).unwrap();
    assert!(f.predict_one(&[0.9, 0.3]).unwrap() > 0.9);
    assert!(f.predict_one(&[0.1, 0.3]).unwrap() < 0.1);
    let p = f.predict_one(&[0.5, 0.5]).unwrap();
    assert!((0.0..=1.0).contains(&p));
}

#[test]
fn is_deterministic_per_seed_and_serializes() {
    let (x, y) = data();
    let params = ForestParams { n_trees: 10, ..Default::default() };
    let a = fit(&x, 2, &y, &params, &mut || {}).unwrap();
    let b = fit(&x, 2, &y, &params, &mut || {}).unwrap();
    let row = [0.52, 0.7];
    assert_eq!(a.predict_one(&row).unwrap(), b.predict_one(&row).unwrap());
    let json = serde_json::to_string(&a).unwrap();
    let back: Forest = serde_json::from_str(&json).unwrap();
    assert_eq!(back.predict_one(&row).unwrap(), a.predict_one(&row).unwrap());
}

#[test]
fn refuses_one_class_and_bad_params() {
    let (x, _) = data();
    assert_eq!(fit(&x, 2, &vec![true; 400], &ForestParams::default(), &mut || {}).err(), Some(ForestError::OneClass));
    assert!(matches!(fit(&x, 2, &vec![true; 399].into_iter().chain([false]).collect::<Vec<_>>(), &ForestParams { n_trees: 0, ..Default::default() }, &mut || {}), Err(ForestError::Params(_))));
}
