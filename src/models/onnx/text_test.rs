// Token ids pinned by Python's `tokenizers` on the same tokenizer.json (expected.json, written by
// tests/reference/onnx_fixtures.py); pooling and normalisation checked by hand.
use super::*;

fn expected() -> serde_json::Value {
    let path = format!("{}/tests/fixtures/onnx/expected.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn tiny() -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/onnx/tokenizer_tiny.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn ids_equal_python_tokenizers_and_padding_is_batch_longest() {
    let e = expected();
    let texts: Vec<String> = e["text_tiny"]["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
    // Python's ids were taken with the file's fixed padding to 16: strip the padding
    let want: Vec<Vec<i64>> = e["text_tiny"]["ids"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect()).collect();
    let t = load_tokenizer(&tiny(), None).unwrap();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let b = encode(&t, &refs).unwrap();
    let longest = want.iter().map(|r| r.iter().filter(|&&v| v != 0).count()).max().unwrap();
    assert_eq!((b.rows, b.cols), (texts.len(), longest));
    for (r, w) in want.iter().enumerate() {
        let n = w.iter().filter(|&&v| v != 0).count();
        assert_eq!(&b.ids[r * b.cols..r * b.cols + n], &w[..n], "text {r}");
        assert!(b.ids[r * b.cols + n..(r + 1) * b.cols].iter().all(|&v| v == 0));
        assert_eq!(b.mask[r * b.cols..(r + 1) * b.cols].iter().sum::<i64>(), n as i64);
        assert!(b.types[r * b.cols..(r + 1) * b.cols].iter().all(|&v| v == 0));
    }
    // one text alone: no padding at all
    let one = encode(&t, &["the red car"]).unwrap();
    assert_eq!((one.rows, one.cols, one.ids.clone()), (1, 5, vec![2, 4, 11, 7, 3]));
    // the file truncates at 16 tokens; max_length overrides
    let long = ["the car is red and blue and white and black and fast and slow and new and old"];
    assert_eq!(encode(&t, &long).unwrap().cols, 16);
    assert_eq!(encode(&load_tokenizer(&tiny(), Some(6)).unwrap(), &long).unwrap().cols, 6);
}

#[test]
fn bad_tokenizer_json_is_an_error() {
    assert!(load_tokenizer(b"{}", None).unwrap_err().contains("not a valid tokenizer.json"));
    assert!(load_tokenizer(b"not json", None).is_err());
}

#[test]
fn mean_pooling_over_the_mask() {
    // 2 texts × 3 tokens × 2 dims; text 0 has 2 real tokens, text 1 has 3
    let hidden = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0, 1.0, 1.0, 2.0, 2.0, 6.0, 0.0];
    let mask = [1, 1, 0, 1, 1, 1];
    let p = mean_pool(&hidden, &mask, 2, 3, 2).unwrap();
    assert_eq!(p, vec![vec![2.0, 3.0], vec![3.0, 1.0]]);
    // no tokens at all: zeros (sentence-transformers clamps the count at 1e-9)
    assert_eq!(mean_pool(&[5.0, 5.0], &[0], 1, 1, 2).unwrap(), vec![vec![0.0, 0.0]]);
    assert!(mean_pool(&hidden, &mask, 2, 3, 3).is_err());
}

#[test]
fn l2_normalisation() {
    let mut v = [3.0f32, 4.0];
    l2_normalize(&mut v);
    assert_eq!(v, [0.6, 0.8]);
    let mut z = [0.0f32; 3];
    l2_normalize(&mut z);
    assert_eq!(z, [0.0; 3]);
}
