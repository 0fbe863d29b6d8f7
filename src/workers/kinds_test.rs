use super::*;
use serde_json::json;

#[test]
fn kinds_round_trip() {
    for k in KINDS {
        assert_eq!(Kind::parse(k.name()), Some(k));
        // every example payload is valid for its kind
        let v: Value = serde_json::from_str(k.example()).unwrap();
        assert!(parse_payload(k, &v).is_ok(), "{}", k.name());
    }
    assert_eq!(Kind::parse("fetch"), None);
    assert_eq!(kind_names(), "fetch_image, label_colour, label_damage, embed_text, embed_image");
}

#[test]
fn payloads_are_checked() {
    let p = parse_payload(Kind::FetchImage, &json!({"image_id": 5})).unwrap();
    assert_eq!(p, Payload { image_id: Some(5), ..Default::default() });
    let p = parse_payload(Kind::FetchImage, &json!({"image_id": 5, "url": "https://x.example/a.jpg"})).unwrap();
    assert_eq!(p.url.as_deref(), Some("https://x.example/a.jpg"));
    let p = parse_payload(Kind::EmbedText, &json!({"listing_id": 9, "model": "minilm"})).unwrap();
    assert_eq!((p.listing_id, p.model.as_deref()), (Some(9), Some("minilm")));

    let err = |k, v| parse_payload(k, &v).unwrap_err();
    assert_eq!(err(Kind::FetchImage, json!([1])), r#"the payload must be a JSON object, e.g. {"image_id": 42}"#);
    assert_eq!(err(Kind::FetchImage, json!({})), "a fetch_image job needs \"image_id\"");
    assert_eq!(err(Kind::FetchImage, json!({"image_id": null})), "a fetch_image job needs \"image_id\"");
    assert_eq!(err(Kind::FetchImage, json!({"image_id": "5"})), "\"image_id\" must be a positive integer, got \"5\"");
    assert_eq!(err(Kind::FetchImage, json!({"image_id": 0})), "\"image_id\" must be a positive integer, got 0");
    assert_eq!(err(Kind::FetchImage, json!({"image_id": 1.5})), "\"image_id\" must be a positive integer, got 1.5");
    assert_eq!(err(Kind::FetchImage, json!({"image_id": 1, "url": "ftp://x/y"})), "\"url\" must be an http(s) URL, got \"ftp://x/y\"");
    assert_eq!(err(Kind::LabelColour, json!({"image_id": 1, "imageid": 2})), "unknown key \"imageid\" for a label_colour job (keys: image_id)");
    assert_eq!(err(Kind::LabelDamage, json!({"image_id": 1})), "a label_damage job needs \"model\"");
    assert_eq!(err(Kind::EmbedText, json!({"listing_id": 1, "model": "Bad Name"})), "\"model\" must be a model name, got \"Bad Name\"");
}

#[test]
fn canonical_payloads_are_equal_for_equal_work() {
    let a = parse_payload(Kind::LabelDamage, &json!({"model": "d", "image_id": 3})).unwrap();
    let b = parse_payload(Kind::LabelDamage, &json!({"image_id": 3, "model": "d"})).unwrap();
    assert_eq!(canonical(&a), canonical(&b));
    assert_eq!(canonical(&a).to_string(), r#"{"image_id":3,"model":"d"}"#);
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    assert_eq!(backoff_seconds(1, 10.0, 3600.0), 10.0);
    assert_eq!(backoff_seconds(2, 10.0, 3600.0), 20.0);
    assert_eq!(backoff_seconds(4, 10.0, 3600.0), 80.0);
    assert_eq!(backoff_seconds(20, 10.0, 3600.0), 3600.0);
    assert_eq!(backoff_seconds(10_000, 10.0, 3600.0), 3600.0);
    assert_eq!(backoff_seconds(0, 10.0, 3600.0), 10.0);
    assert_eq!(after_failure(1, 5, false, 10.0, 3600.0), AfterFailure::Retry(10.0));
    assert_eq!(after_failure(3, 5, false, 10.0, 3600.0), AfterFailure::Retry(40.0));
    assert_eq!(after_failure(5, 5, false, 10.0, 3600.0), AfterFailure::Dead);
    assert_eq!(after_failure(6, 5, false, 10.0, 3600.0), AfterFailure::Dead);
    assert_eq!(after_failure(1, 5, true, 10.0, 3600.0), AfterFailure::Dead);
}

#[test]
fn permanent_sqlstates() {
    for s in ["22023", "22P02", "23503", "42P01", "42883", "0A000", "54000", "55000"] {
        assert!(sqlstate_is_permanent(s), "{s}");
    }
    for s in ["40001", "40P01", "55P03", "53200", "XX000", "58P01", "57014", "08006"] {
        assert!(!sqlstate_is_permanent(s), "{s}");
    }
}

#[test]
fn caption_and_source_text() {
    let labels = vec![("damage".to_string(), "intact".to_string()), ("colour".to_string(), "red/white".to_string())];
    assert_eq!(caption(&labels), "colour: red/white; damage: intact");
    assert_eq!(caption(&[]), "");
    assert_eq!(source_text(Some(" VW Golf "), None, "colour: red"), "VW Golf\ncolour: red");
    assert_eq!(source_text(None, Some(""), ""), "");
    assert_eq!(source_text(Some("a"), Some("b"), "c"), "a\nb\nc");
}

#[test]
fn source_hash_changes_with_text_model_and_version() {
    let h = source_hash("m", 1, "text");
    assert_eq!(h, source_hash("m", 1, "text"));
    assert_ne!(h, source_hash("m", 1, "text!"));
    assert_ne!(h, source_hash("m", 2, "text"));
    assert_ne!(h, source_hash("n", 1, "text"));
    // the model name is delimited: ("m", "1...") and ("m1", "...") differ
    assert_ne!(source_hash("ab", 1, "c"), source_hash("a", 1, "bc"));
}

#[test]
fn cosine_by_hand() {
    assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), Some(0.0));
    assert_eq!(cosine(&[1.0, 2.0], &[2.0, 4.0]).map(|c| (c * 1e12).round() / 1e12), Some(1.0));
    // (1,2,3)·(4,5,6) = 32; |a| = √14, |b| = √77
    let c = cosine(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
    assert!((c - 32.0 / (14f64.sqrt() * 77f64.sqrt())).abs() < 1e-12);
    assert_eq!(cosine(&[1.0], &[1.0, 2.0]), None);
    assert_eq!(cosine(&[0.0, 0.0], &[1.0, 2.0]), None);
    assert_eq!(cosine(&[], &[]), None);
}

#[test]
fn top_label() {
    let p = vec![("intact".to_string(), 0.3), ("damaged".to_string(), 0.7)];
    assert_eq!(top(&p), Some(("damaged".to_string(), 0.7)));
    assert_eq!(top(&[]), None);
}
