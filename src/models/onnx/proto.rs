//! A minimal reader of the ONNX protobuf (`ModelProto`), enough to validate an upload before ONNX
//! Runtime sees it: is it a model at all, its graph inputs and outputs with types and shapes, its
//! producer, opsets and `metadata_props`, and whether any tensor points at external data (a file
//! path on the server — refused: an imported model must be self-contained). Pure Rust, no
//! dependency; unknown fields are skipped as protobuf requires.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct ProtoError(pub String);

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, ProtoError> {
    Err(ProtoError(msg.into()))
}

/// Nesting deeper than this (graphs inside attributes inside graphs…) is refused.
const MAX_DEPTH: usize = 32;

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else { return err(format!("truncated varint at byte {}", self.pos)) };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        err(format!("varint longer than 10 bytes at byte {}", self.pos))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else { return err(format!("field of {n} bytes at byte {} runs past the end ({} bytes)", self.pos, self.buf.len())) };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next (field number, value), None at the end.
    fn next(&mut self) -> Result<Option<(u64, Field<'a>)>, ProtoError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (num, wire) = (key >> 3, key & 7);
        if num == 0 {
            return err(format!("field number 0 at byte {}", self.pos));
        }
        let f = match wire {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Field::Fixed
            }
            2 => {
                let n = self.varint()?;
                Field::Bytes(self.take(usize::try_from(n).unwrap_or(usize::MAX))?)
            }
            5 => {
                self.take(4)?;
                Field::Fixed
            }
            w => return err(format!("wire type {w} (field {num}) at byte {} is not used by ONNX", self.pos)),
        };
        Ok(Some((num, f)))
    }
}

fn text(b: &[u8], what: &str) -> Result<String, ProtoError> {
    String::from_utf8(b.to_vec()).or_else(|_| err(format!("{what} is not UTF-8")))
}

/// ONNX `TensorProto.DataType` numbers spine can feed or read.
pub mod elem {
    pub const FLOAT: i32 = 1;
    pub const INT32: i32 = 6;
    pub const INT64: i32 = 7;
    pub const STRING: i32 = 8;
    pub const DOUBLE: i32 = 11;

    pub fn name(t: i32) -> &'static str {
        match t {
            1 => "float",
            2 => "uint8",
            3 => "int8",
            4 => "uint16",
            5 => "int16",
            6 => "int32",
            7 => "int64",
            8 => "string",
            9 => "bool",
            10 => "float16",
            11 => "double",
            12 => "uint32",
            13 => "uint64",
            16 => "bfloat16",
            _ => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Fixed(i64),
    Symbolic(String),
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PortType {
    /// dims None = shape not given at all
    Tensor { elem: i32, dims: Option<Vec<Dim>> },
    Sequence(Box<PortType>),
    Map { key: i32, value: Box<PortType> },
    Optional(Box<PortType>),
    Other,
}

impl PortType {
    /// `float[batch, 4]`, `seq(map(int64, float))`, …
    pub fn describe(&self) -> String {
        match self {
            PortType::Tensor { elem: e, dims } => {
                let d = match dims {
                    None => "?".to_string(),
                    Some(d) => d
                        .iter()
                        .map(|d| match d {
                            Dim::Fixed(v) => v.to_string(),
                            Dim::Symbolic(s) => s.clone(),
                            Dim::Unknown => "?".to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                format!("{}[{d}]", elem::name(*e))
            }
            PortType::Sequence(t) => format!("seq({})", t.describe()),
            PortType::Map { key, value } => format!("map({}, {})", elem::name(*key), value.describe()),
            PortType::Optional(t) => format!("optional({})", t.describe()),
            PortType::Other => "unsupported type".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub name: String,
    pub ty: PortType,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelInfo {
    pub ir_version: i64,
    pub producer_name: String,
    pub producer_version: String,
    pub domain: String,
    pub model_version: i64,
    pub graph_name: String,
    pub opsets: Vec<(String, i64)>,
    pub metadata: Vec<(String, String)>,
    /// graph inputs that are not initializers (what a caller feeds)
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
    pub nodes: usize,
    /// names of tensors whose data lives in an external file
    pub external_data: Vec<String>,
}

impl ModelInfo {
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Parses a serialized `ModelProto`.
pub fn parse_model(bytes: &[u8]) -> Result<ModelInfo, ProtoError> {
    if bytes.is_empty() {
        return err("the bytes are empty");
    }
    let mut m = ModelInfo::default();
    let mut graph: Option<&[u8]> = None;
    let mut functions: Vec<&[u8]> = Vec::new();
    let mut r = Reader::new(bytes);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Varint(v)) => m.ir_version = v as i64,
            (2, Field::Bytes(b)) => m.producer_name = text(b, "producer_name")?,
            (3, Field::Bytes(b)) => m.producer_version = text(b, "producer_version")?,
            (4, Field::Bytes(b)) => m.domain = text(b, "domain")?,
            (5, Field::Varint(v)) => m.model_version = v as i64,
            (7, Field::Bytes(b)) => graph = Some(b),
            (8, Field::Bytes(b)) => m.opsets.push(opset(b)?),
            (14, Field::Bytes(b)) => m.metadata.push(string_pair(b)?),
            (25, Field::Bytes(b)) => functions.push(b),
            (1 | 5, _) | (2 | 3 | 4 | 7 | 8 | 14 | 25, _) => return err(format!("ModelProto field {num} has the wrong wire type")),
            _ => {}
        }
    }
    if m.ir_version <= 0 {
        return err("no ir_version: these bytes are not an ONNX model");
    }
    let Some(graph) = graph else { return err("no graph: these bytes are not an ONNX model") };
    let mut initializers = Vec::new();
    let (inputs, outputs) = parse_graph(graph, &mut m, &mut initializers, 0, true)?;
    m.inputs = inputs.into_iter().filter(|p| !initializers.contains(&p.name)).collect();
    m.outputs = outputs;
    for f in functions {
        scan_function(f, &mut m, 1)?;
    }
    if m.outputs.is_empty() {
        return err("the graph has no outputs");
    }
    Ok(m)
}

fn opset(b: &[u8]) -> Result<(String, i64), ProtoError> {
    let (mut domain, mut version) = (String::new(), 0i64);
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Bytes(b)) => domain = text(b, "opset domain")?,
            (2, Field::Varint(v)) => version = v as i64,
            _ => {}
        }
    }
    Ok((domain, version))
}

fn string_pair(b: &[u8]) -> Result<(String, String), ProtoError> {
    let (mut k, mut v) = (String::new(), String::new());
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Bytes(b)) => k = text(b, "metadata key")?,
            (2, Field::Bytes(b)) => v = text(b, "metadata value")?,
            _ => {}
        }
    }
    Ok((k, v))
}

type Ports = (Vec<Port>, Vec<Port>);

fn parse_graph(b: &[u8], m: &mut ModelInfo, initializers: &mut Vec<String>, depth: usize, top: bool) -> Result<Ports, ProtoError> {
    if depth > MAX_DEPTH {
        return err(format!("graphs nested deeper than {MAX_DEPTH}"));
    }
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        let Field::Bytes(b) = f else { continue };
        match num {
            1 => {
                m.nodes += 1;
                scan_node(b, m, depth)?;
            }
            2 if top => m.graph_name = text(b, "graph name")?,
            5 => {
                let name = scan_tensor(b, m)?;
                if top {
                    initializers.push(name);
                }
            }
            15 => scan_sparse(b, m)?,
            11 if top => inputs.push(value_info(b)?),
            12 if top => outputs.push(value_info(b)?),
            _ => {}
        }
    }
    Ok((inputs, outputs))
}

fn scan_node(b: &[u8], m: &mut ModelInfo, depth: usize) -> Result<(), ProtoError> {
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        if let (5, Field::Bytes(a)) = (num, f) {
            scan_attribute(a, m, depth)?;
        }
    }
    Ok(())
}

fn scan_attribute(b: &[u8], m: &mut ModelInfo, depth: usize) -> Result<(), ProtoError> {
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        let Field::Bytes(b) = f else { continue };
        match num {
            5 | 10 => {
                scan_tensor(b, m)?;
            }
            6 | 11 => {
                parse_graph(b, m, &mut Vec::new(), depth + 1, false)?;
            }
            22 | 23 => scan_sparse(b, m)?,
            _ => {}
        }
    }
    Ok(())
}

fn scan_function(b: &[u8], m: &mut ModelInfo, depth: usize) -> Result<(), ProtoError> {
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        if let (7, Field::Bytes(n)) = (num, f) {
            scan_node(n, m, depth)?;
        }
    }
    Ok(())
}

fn scan_sparse(b: &[u8], m: &mut ModelInfo) -> Result<(), ProtoError> {
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        if let (1 | 2, Field::Bytes(t)) = (num, f) {
            scan_tensor(t, m)?;
        }
    }
    Ok(())
}

/// A TensorProto's name; records it when its data is external (data_location = EXTERNAL or
/// external_data entries).
fn scan_tensor(b: &[u8], m: &mut ModelInfo) -> Result<String, ProtoError> {
    let (mut name, mut external) = (String::new(), false);
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (8, Field::Bytes(b)) => name = text(b, "tensor name")?,
            (13, Field::Bytes(_)) => external = true,
            (14, Field::Varint(v)) => external |= v == 1,
            _ => {}
        }
    }
    if external {
        m.external_data.push(if name.is_empty() { "(unnamed)".to_string() } else { name.clone() });
    }
    Ok(name)
}

fn value_info(b: &[u8]) -> Result<Port, ProtoError> {
    let (mut name, mut ty) = (String::new(), PortType::Other);
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Bytes(b)) => name = text(b, "input/output name")?,
            (2, Field::Bytes(b)) => ty = type_proto(b, 0)?,
            _ => {}
        }
    }
    Ok(Port { name, ty })
}

fn type_proto(b: &[u8], depth: usize) -> Result<PortType, ProtoError> {
    if depth > MAX_DEPTH {
        return err("types nested too deeply");
    }
    let mut r = Reader::new(b);
    let mut ty = PortType::Other;
    while let Some((num, f)) = r.next()? {
        let Field::Bytes(b) = f else { continue };
        ty = match num {
            1 => tensor_type(b)?,
            4 => {
                let mut inner = PortType::Other;
                let mut r = Reader::new(b);
                while let Some((n, f)) = r.next()? {
                    if let (1, Field::Bytes(t)) = (n, f) {
                        inner = type_proto(t, depth + 1)?;
                    }
                }
                PortType::Sequence(Box::new(inner))
            }
            5 => {
                let (mut key, mut value) = (0, PortType::Other);
                let mut r = Reader::new(b);
                while let Some((n, f)) = r.next()? {
                    match (n, f) {
                        (1, Field::Varint(v)) => key = v as i32,
                        (2, Field::Bytes(t)) => value = type_proto(t, depth + 1)?,
                        _ => {}
                    }
                }
                PortType::Map { key, value: Box::new(value) }
            }
            9 => {
                let mut inner = PortType::Other;
                let mut r = Reader::new(b);
                while let Some((n, f)) = r.next()? {
                    if let (1, Field::Bytes(t)) = (n, f) {
                        inner = type_proto(t, depth + 1)?;
                    }
                }
                PortType::Optional(Box::new(inner))
            }
            _ => continue,
        };
    }
    Ok(ty)
}

fn tensor_type(b: &[u8]) -> Result<PortType, ProtoError> {
    let (mut e, mut dims) = (0i32, None);
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Varint(v)) => e = v as i32,
            (2, Field::Bytes(s)) => {
                let mut d = Vec::new();
                let mut r = Reader::new(s);
                while let Some((n, f)) = r.next()? {
                    if let (1, Field::Bytes(dim)) = (n, f) {
                        d.push(dimension(dim)?);
                    }
                }
                dims = Some(d);
            }
            _ => {}
        }
    }
    Ok(PortType::Tensor { elem: e, dims })
}

fn dimension(b: &[u8]) -> Result<Dim, ProtoError> {
    let mut d = Dim::Unknown;
    let mut r = Reader::new(b);
    while let Some((num, f)) = r.next()? {
        match (num, f) {
            (1, Field::Varint(v)) => d = Dim::Fixed(v as i64),
            (2, Field::Bytes(s)) => d = Dim::Symbolic(text(s, "dimension name")?),
            _ => {}
        }
    }
    Ok(d)
}

#[cfg(test)]
#[path = "proto_test.rs"]
mod tests;
