// Preprocessed pixels pinned by Pillow ('F' planes, BICUBIC, clipped to [0, 1], torchvision's
// centre crop and Normalize) in expected.json (tests/reference/onnx_fixtures.py).
use super::*;

fn plan() -> ImagePlan {
    ImagePlan {
        input: "pixel_values".into(),
        output: "image_embeds".into(),
        dimension: 512,
        size: 16,
        resize: 16,
        interpolation: Interpolation::Bicubic,
        mean: [0.48145466, 0.4578275, 0.40821073],
        std: [0.26862954, 0.26130258, 0.27577711],
        batch_size: 16,
        normalize: true,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/onnx/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn resize_and_crop_geometry_is_torchvisions() {
    assert_eq!(resized_dims(40, 24, 16), (26, 16)); // int(16 * 40 / 24) = 26
    assert_eq!(resized_dims(19, 37, 16), (16, 31));
    assert_eq!(resized_dims(640, 480, 224), (298, 224));
    assert_eq!(resized_dims(224, 224, 224), (224, 224));
    assert_eq!(crop_offsets(26, 16, 16), (5, 0));
    assert_eq!(crop_offsets(16, 31, 16), (0, 8)); // round(7.5) = 8 (half to even)
    assert_eq!(crop_offsets(16, 29, 16), (0, 6)); // round(6.5) = 6
    assert_eq!(crop_offsets(298, 224, 224), (37, 0));
}

#[test]
fn pixels_equal_pillow() {
    let e: serde_json::Value = serde_json::from_slice(&fixture("expected.json")).unwrap();
    for (name, tol) in [("img_exact.png", 1e-6), ("img_wide.png", 1e-5), ("img_tall_gray.png", 1e-5), ("img_rgba.png", 1e-6)] {
        let want: Vec<f64> = e["image_tiny"][name]["pixels"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let got = preprocess(&fixture(name), &plan()).unwrap();
        assert_eq!(got.len(), want.len(), "{name}");
        let worst = got.iter().zip(&want).map(|(g, w)| (f64::from(*g) - w).abs()).fold(0.0, f64::max);
        assert!(worst <= tol, "{name}: max difference {worst}");
    }
}

#[test]
fn jpeg_decodes_close_to_libjpeg() {
    // the image crate's JPEG decoder and Pillow's libjpeg-turbo may round an IDCT differently
    let e: serde_json::Value = serde_json::from_slice(&fixture("expected.json")).unwrap();
    let want: Vec<f64> = e["image_tiny"]["img_photo.jpg"]["pixels"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let got = preprocess(&fixture("img_photo.jpg"), &plan()).unwrap();
    let worst = got.iter().zip(&want).map(|(g, w)| (f64::from(*g) - w).abs()).fold(0.0, f64::max);
    assert!(worst <= 0.1, "max difference {worst}");
}

#[test]
fn bad_images_are_errors() {
    assert_eq!(preprocess(b"", &plan()).unwrap_err(), "the image is empty");
    assert!(preprocess(b"definitely not an image", &plan()).unwrap_err().contains("not an image"));
    let png = fixture("img_wide.png");
    assert!(preprocess(&png[..png.len() / 2], &plan()).unwrap_err().contains("decoding"));
}
