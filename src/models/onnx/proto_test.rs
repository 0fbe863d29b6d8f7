// Expected structure read with the `onnx` Python package (onnx.load + printable_type) on the
// committed fixtures (tests/reference/onnx_fixtures.py writes them).
use super::*;

const LOGREG: &[u8] = include_bytes!("../../../tests/fixtures/onnx/logreg.onnx");
const ZIPMAP: &[u8] = include_bytes!("../../../tests/fixtures/onnx/logreg_zipmap.onnx");
const LINREG: &[u8] = include_bytes!("../../../tests/fixtures/onnx/linreg_double.onnx");
const TEXT: &[u8] = include_bytes!("../../../tests/fixtures/onnx/text_tiny.onnx");
const IMAGE: &[u8] = include_bytes!("../../../tests/fixtures/onnx/image_tiny.onnx");

fn t(e: i32, dims: &[Dim]) -> PortType {
    PortType::Tensor { elem: e, dims: Some(dims.to_vec()) }
}

#[test]
fn reads_a_skl2onnx_classifier() {
    let m = parse_model(LOGREG).unwrap();
    assert_eq!(m.ir_version, 8);
    assert_eq!((m.producer_name.as_str(), m.producer_version.as_str()), ("skl2onnx", "1.20.0"));
    assert!(m.opsets.contains(&("ai.onnx.ml".to_string(), 1)) && m.opsets.contains(&(String::new(), 17)));
    assert_eq!(m.inputs, vec![Port { name: "float_input".into(), ty: t(elem::FLOAT, &[Dim::Unknown, Dim::Fixed(4)]) }]);
    assert_eq!(m.outputs.len(), 2);
    assert_eq!(m.outputs[0], Port { name: "label".into(), ty: t(elem::INT64, &[Dim::Unknown]) });
    assert_eq!(m.outputs[1], Port { name: "probabilities".into(), ty: t(elem::FLOAT, &[Dim::Unknown, Dim::Fixed(2)]) });
    assert_eq!(m.outputs[1].ty.describe(), "float[?, 2]");
    assert_eq!(m.nodes, 1);
    assert!(m.external_data.is_empty());
}

#[test]
fn reads_zipmap_as_a_sequence_of_maps() {
    let m = parse_model(ZIPMAP).unwrap();
    assert_eq!(m.outputs[1].name, "output_probability");
    assert_eq!(m.outputs[1].ty.describe(), "seq(map(int64, float[?]))");
    assert!(matches!(&m.outputs[1].ty, PortType::Sequence(inner) if matches!(**inner, PortType::Map { key: elem::INT64, .. })));
}

#[test]
fn reads_double_regressor_symbolic_dims_and_metadata() {
    let m = parse_model(LINREG).unwrap();
    assert_eq!(m.inputs[0].ty, t(elem::DOUBLE, &[Dim::Unknown, Dim::Fixed(3)]));
    assert_eq!(m.outputs[0].ty.describe(), "double[?, 1]");
    let m = parse_model(TEXT).unwrap();
    assert_eq!(m.inputs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["input_ids", "attention_mask", "token_type_ids"]);
    assert_eq!(m.inputs[0].ty.describe(), "int64[batch, sequence]");
    assert_eq!(m.outputs[0].ty.describe(), "float[batch, sequence, 8]");
    // initializers are not inputs
    assert_eq!(m.nodes, 9);
    let m = parse_model(IMAGE).unwrap();
    assert_eq!(m.inputs[0].ty.describe(), "float[batch, 3, 16, 16]");
    assert!(m.metadata("spine.preprocess").unwrap().starts_with("{\"size\": 16"));
    assert_eq!(m.metadata("nope"), None);
}

#[test]
fn malformed_bytes_are_errors_not_panics() {
    assert!(parse_model(b"").unwrap_err().0.contains("empty"));
    assert!(parse_model(b"not an onnx model at all").is_err());
    // every truncation of a real model is an error, except a cut between the trailing opset
    // entries (after the graph), which is a complete model with fewer opsets
    for n in 1..LOGREG.len() {
        if let Ok(m) = parse_model(&LOGREG[..n]) {
            assert!(m.opsets.len() < 3 && m.outputs.len() == 2, "prefix of {n} bytes parsed");
        }
    }
    // random bytes never panic
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for len in [1usize, 7, 64, 1000] {
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = parse_model(&bytes);
        }
    }
    // a message that is valid protobuf but not a model
    assert!(parse_model(&[0x08, 0x05]).unwrap_err().0.contains("no graph"));
    assert!(parse_model(&[0x12, 0x01, b'x']).unwrap_err().0.contains("ir_version"));
}

/// protobuf encoding helpers for hand-built models
fn key(num: u64, wire: u64) -> Vec<u8> {
    varint((num << 3) | wire)
}
fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}
fn bytes_field(num: u64, b: &[u8]) -> Vec<u8> {
    let mut out = key(num, 2);
    out.extend(varint(b.len() as u64));
    out.extend_from_slice(b);
    out
}

#[test]
fn external_data_anywhere_is_found() {
    // an initializer with data_location = EXTERNAL
    let tensor = [bytes_field(8, b"w"), key(14, 0), varint(1)].concat();
    let out = bytes_field(12, &bytes_field(1, b"y"));
    let graph = [bytes_field(5, &tensor), out.clone()].concat();
    let model = [key(1, 0), varint(8), bytes_field(7, &graph)].concat();
    assert_eq!(parse_model(&model).unwrap().external_data, vec!["w".to_string()]);
    // a tensor attribute of a node inside an If's subgraph, with external_data entries
    let tensor = [bytes_field(8, b"deep"), bytes_field(13, &bytes_field(1, b"location"))].concat();
    let inner_graph = bytes_field(1, &bytes_field(5, &bytes_field(5, &tensor)));
    let node = bytes_field(5, &bytes_field(6, &inner_graph));
    let graph = [bytes_field(1, &node), out].concat();
    let model = [key(1, 0), varint(8), bytes_field(7, &graph)].concat();
    assert_eq!(parse_model(&model).unwrap().external_data, vec!["deep".to_string()]);
    assert!(parse_model(LOGREG).unwrap().external_data.is_empty());
}

#[test]
fn deep_nesting_is_refused() {
    let out = bytes_field(12, &bytes_field(1, b"y"));
    let mut g = out.clone();
    for _ in 0..40 {
        let node = bytes_field(5, &bytes_field(6, &g));
        g = [bytes_field(1, &node), out.clone()].concat();
    }
    let model = [key(1, 0), varint(8), bytes_field(7, &g)].concat();
    assert!(parse_model(&model).unwrap_err().0.contains("nested"));
}
