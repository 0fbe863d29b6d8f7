use super::*;

// expected values from scikit-learn 1.9.1:
// roc_auc_score, brier_score_loss, log_loss, accuracy_score(y, p >= 0.5)
const Y: [bool; 10] = [false, false, true, true, false, true, true, false, true, false];
const P: [f64; 10] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.4, 0.2, 0.7, 0.6];

#[test]
fn equal_to_scikit_learn() {
    assert!((auc(&Y, &P).unwrap() - 0.8).abs() < 1e-15);
    assert!((brier(&Y, &P) - 0.16525000000000004).abs() < 1e-15);
    assert!((log_loss(&Y, &P) - 0.4917737913661774).abs() < 1e-15);
    assert_eq!(accuracy(&Y, &P, 0.5), 0.7);
}

#[test]
fn auc_edge_cases() {
    assert_eq!(auc(&[true, true], &[0.1, 0.2]), None);
    assert_eq!(auc(&[true, false], &[0.5, 0.5]), Some(0.5));
    assert_eq!(auc(&[true, false], &[0.9, 0.1]), Some(1.0));
}

#[test]
fn calibration_bins_cover_every_row() {
    let c = calibration(&Y, &P);
    assert_eq!(c.len(), 10);
    assert_eq!(c.iter().map(|b| b.n).sum::<usize>(), 10);
    assert_eq!(c[0], CalibrationBin { n: 1, mean_predicted: 0.1, observed_rate: 0.0 });
}

#[test]
fn precision_threshold_is_the_lowest_that_reaches_the_target() {
    // sorted by score: 0.9 T, 0.8 T, 0.7 T, 0.6 F, 0.4 {F, F, T}, 0.35 T, 0.2 F, 0.1 F
    assert_eq!(threshold_for_precision(&Y, &P, 1.0), Some((0.7, 1.0, 0.6)));
    assert_eq!(threshold_for_precision(&Y, &P, 0.75), Some((0.6, 0.75, 0.6)));
    assert_eq!(threshold_for_precision(&[false, true], &[0.9, 0.1], 0.9), None);
}

#[test]
fn best_precision_threshold_respects_the_minimum_recall() {
    // recall >= 0.4 needs the top 2 positives (0.9, 0.8): precision 1 at 0.8
    assert_eq!(best_precision_threshold(&Y, &P, 0.4), Some((0.8, 1.0, 0.4)));
    assert_eq!(best_precision_threshold(&[false], &[0.3], 0.1), None);
}
