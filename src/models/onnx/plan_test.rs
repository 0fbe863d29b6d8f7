// Plans for the committed fixtures (tests/reference/onnx_fixtures.py) and hand-built graphs.
use super::*;
use crate::models::onnx::proto::parse_model;

fn fixture(name: &str) -> ModelInfo {
    let path = format!("{}/tests/fixtures/onnx/{name}", env!("CARGO_MANIFEST_DIR"));
    parse_model(&std::fs::read(path).unwrap()).unwrap()
}

fn cfg(v: serde_json::Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn tensor(name: &str, e: i32, dims: Option<Vec<Dim>>) -> Port {
    Port { name: name.into(), ty: PortType::Tensor { elem: e, dims } }
}

use Dim::{Fixed, Unknown};

#[test]
fn skl2onnx_classifiers_are_binary_with_probability_column_1() {
    for f in ["logreg.onnx", "forest.onnx"] {
        let p = plan_tabular(&fixture(f), 4, &[]).unwrap();
        assert_eq!(
            p,
            TabularPlan { input: "float_input".into(), input_type: Real::Float, output: "probabilities".into(), output_type: Real::Float, output_kind: OutputKind::Probability, fixed_batch: None }
        );
        assert_eq!(p.task(), "binary");
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["output_kind"], "probability");
        assert_eq!(serde_json::from_value::<TabularPlan>(json).unwrap(), p);
    }
}

#[test]
fn a_double_regressor_is_a_value() {
    let p = plan_tabular(&fixture("linreg_double.onnx"), 3, &[]).unwrap();
    assert_eq!((p.input_type, p.output_type, p.output_kind, p.task()), (Real::Double, Real::Double, OutputKind::Value, "regression"));
    assert_eq!(p.output, "variable");
}

#[test]
fn refusals_say_why_and_how() {
    let e = plan_tabular(&fixture("logreg_zipmap.onnx"), 4, &[]).unwrap_err();
    assert!(e.message.contains("output_probability") && e.message.contains("zipmap on"), "{e:?}");
    assert!(e.hint.contains("'zipmap': False"));
    let e = plan_tabular(&fixture("multiclass.onnx"), 4, &[]).unwrap_err();
    assert!(e.message.contains("has 3 classes"), "{e:?}");
    let e = plan_tabular(&fixture("logreg.onnx"), 3, &[]).unwrap_err();
    assert_eq!(e.message, "input float_input takes 4 features (float[?, 4]), but 3 feature names were given");
    assert!(e.hint.contains("exactly 4 names"));
    let e = plan_tabular(&fixture("text_tiny.onnx"), 4, &[]).unwrap_err();
    assert!(e.message.contains("3 inputs"), "{e:?}");
    let e = plan_tabular(&fixture("image_tiny.onnx"), 4, &[]).unwrap_err();
    assert!(e.message.contains("4 dimensions"), "{e:?}");
}

#[test]
fn unknown_shapes_are_settled_by_the_probe() {
    let m = ModelInfo {
        inputs: vec![tensor("x", elem::FLOAT, Some(vec![Unknown, Unknown]))],
        outputs: vec![tensor("label", elem::INT64, Some(vec![Unknown])), tensor("p", elem::FLOAT, Some(vec![Unknown, Unknown]))],
        ..Default::default()
    };
    assert!(plan_tabular(&m, 5, &[]).unwrap_err().message.starts_with("no output"));
    let p = plan_tabular(&m, 5, &[("label".into(), vec![1]), ("p".into(), vec![1, 2])]).unwrap();
    assert_eq!((p.output.as_str(), p.output_kind), ("p", OutputKind::Probability));
    let p = plan_tabular(&m, 5, &[("p".into(), vec![1])]).unwrap();
    assert_eq!(p.output_kind, OutputKind::Value);
    // a fixed batch of 1 (typical of PyTorch exports) is kept
    let m1 = ModelInfo { inputs: vec![tensor("x", elem::FLOAT, Some(vec![Fixed(1), Fixed(5)]))], ..m.clone() };
    assert_eq!(plan_tabular(&m1, 5, &[("p".into(), vec![1, 1])]).unwrap().fixed_batch, Some(1));
    // two scores: ambiguous
    let m2 = ModelInfo { outputs: vec![tensor("a", elem::FLOAT, Some(vec![Unknown, Fixed(1)])), tensor("b", elem::DOUBLE, Some(vec![Unknown]))], ..m.clone() };
    assert!(plan_tabular(&m2, 5, &[]).unwrap_err().message.contains("several score outputs (a, b)"));
    // integer features are not fed
    let m3 = ModelInfo { inputs: vec![tensor("x", elem::INT64, Some(vec![Unknown, Fixed(5)]))], ..m };
    assert!(plan_tabular(&m3, 5, &[]).unwrap_err().message.contains("float or double features"));
}

#[test]
fn text_encoder_plan() {
    let m = fixture("text_tiny.onnx");
    let p = plan_text(&m, &Map::new(), &[]).unwrap();
    assert_eq!(
        p,
        TextPlan {
            input_ids: "input_ids".into(),
            attention_mask: Some("attention_mask".into()),
            token_type_ids: Some("token_type_ids".into()),
            id_type: IdType::Int64,
            output: "last_hidden_state".into(),
            pooling: Pooling::Mean,
            dimension: 8,
            max_length: None,
            batch_size: 32,
            normalize: true,
        }
    );
    let p = plan_text(&m, &cfg(serde_json::json!({"max_length": 12, "batch_size": 4, "normalize": false, "dimension": 8, "source": "x"})), &[]).unwrap();
    assert_eq!((p.max_length, p.batch_size, p.normalize), (Some(12), 4, false));
    let e = plan_text(&m, &cfg(serde_json::json!({"dimension": 384})), &[]).unwrap_err();
    assert_eq!(e.message, "the model returns 8-dimensional embeddings, config says 384");
    assert!(plan_text(&m, &cfg(serde_json::json!({"max_lenght": 12})), &[]).unwrap_err().message.contains("unknown config key \"max_lenght\""));
    assert!(plan_text(&m, &cfg(serde_json::json!({"max_length": 1})), &[]).unwrap_err().message.contains("between 2 and"));
    assert!(plan_text(&m, &cfg(serde_json::json!({"normalize": "yes"})), &[]).unwrap_err().message.contains("true or false"));
    assert!(plan_text(&fixture("logreg.onnx"), &Map::new(), &[]).unwrap_err().message.contains("int64 or int32"));
    // a pooled output [N, D] is used as it is, and is preferred over token embeddings
    let pooled = ModelInfo {
        inputs: vec![tensor("input_ids", elem::INT64, Some(vec![Unknown, Unknown]))],
        outputs: vec![tensor("last_hidden_state", elem::FLOAT, Some(vec![Unknown, Unknown, Fixed(6)])), tensor("sentence_embedding", elem::FLOAT, Some(vec![Unknown, Fixed(6)]))],
        ..Default::default()
    };
    let p = plan_text(&pooled, &Map::new(), &[]).unwrap();
    assert_eq!((p.output.as_str(), p.pooling, p.attention_mask.clone()), ("sentence_embedding", Pooling::None, None));
    // token embeddings without an attention mask cannot be pooled
    let no_mask = ModelInfo { outputs: vec![pooled.outputs[0].clone()], ..pooled };
    assert!(plan_text(&no_mask, &Map::new(), &[]).unwrap_err().message.contains("no attention_mask"));
}

#[test]
fn image_encoder_plan_from_metadata_and_config() {
    let m = fixture("image_tiny.onnx");
    let p = plan_image(&m, &Map::new(), &[]).unwrap();
    assert_eq!(
        p,
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
    );
    let p = plan_image(&m, &cfg(serde_json::json!({"resize": 20, "interpolation": "bilinear", "mean": [0.5, 0.5, 0.5]})), &[]).unwrap();
    assert_eq!((p.resize, p.interpolation, p.mean, p.std[0]), (20, Interpolation::Bilinear, [0.5; 3], 0.26862954));
    assert_eq!(plan_image(&m, &cfg(serde_json::json!({"dimension": 768})), &[]).unwrap_err().message, "the model returns 512-dimensional embeddings, 768 expected");
    assert!(plan_image(&m, &cfg(serde_json::json!({"size": 32})), &[]).unwrap_err().message.contains("not the model's input size 16"));
    assert!(plan_image(&m, &cfg(serde_json::json!({"resize": 8})), &[]).unwrap_err().message.contains("smaller than the crop size"));
    assert!(plan_image(&m, &cfg(serde_json::json!({"std": [0.2, 0, 0.2]})), &[]).unwrap_err().message.contains("positive"));
    assert!(plan_image(&m, &cfg(serde_json::json!({"interpolation": "lanczos"})), &[]).unwrap_err().message.contains("lanczos"));
    // no metadata: the normalisation must be given, the input size comes from the graph
    let bare = ModelInfo { metadata: vec![], ..m.clone() };
    assert!(plan_image(&bare, &Map::new(), &[]).unwrap_err().message.contains("mean and std"));
    let p = plan_image(&bare, &cfg(serde_json::json!({"mean": [0.4, 0.4, 0.4], "std": [0.3, 0.3, 0.3], "resize": 18})), &[]).unwrap();
    assert_eq!((p.size, p.resize, p.dimension), (16, 18, 512));
    // not an image encoder
    assert!(plan_image(&fixture("logreg.onnx"), &Map::new(), &[]).unwrap_err().message.contains("not [batch, 3, H, W]"));
    // dynamic spatial size: size from config; the output dimension from the probe
    let dynamic = ModelInfo {
        inputs: vec![tensor("x", elem::FLOAT, Some(vec![Unknown, Fixed(3), Unknown, Unknown]))],
        outputs: vec![tensor("y", elem::FLOAT, Some(vec![Unknown, Unknown]))],
        metadata: m.metadata.clone(),
        ..Default::default()
    };
    assert!(plan_image(&dynamic, &Map::new(), &[]).unwrap_err().message.contains("not [batch, dim]"));
    let p = plan_image(&dynamic, &cfg(serde_json::json!({"size": 224, "resize": 224})), &[("y".into(), vec![1, 512])]).unwrap();
    assert_eq!((p.size, p.dimension), (224, 512));
}
