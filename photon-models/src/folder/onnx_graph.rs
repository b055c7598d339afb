//! What an ONNX file declares at its edges: the graph's inputs and outputs with their element
//! types and shapes. Model folders leave sizes out (transformers writes only what differs from
//! its defaults, immich writes none), and the graph is the one place that cannot be wrong
//! about them. Only the few protobuf messages on the way to those declarations are described;
//! prost skips everything else, the weights included, without copying it.

use prost::Message;

/// ONNX `TensorProto.DataType` values Photon tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElementType {
    /// 32-bit float.
    F32,
    /// 16-bit float.
    F16,
    /// 8-bit unsigned integer (images a model normalises itself).
    U8,
    /// 32-bit integer (token ids in immich's exports).
    I32,
    /// 64-bit integer (token ids in transformers' exports).
    I64,
    /// Anything else, by its ONNX number.
    Other(i32),
}

impl ElementType {
    fn from_onnx(code: i32) -> Self {
        match code {
            1 => Self::F32,
            2 => Self::U8,
            6 => Self::I32,
            7 => Self::I64,
            10 => Self::F16,
            other => Self::Other(other),
        }
    }
}

/// One declared input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorDecl {
    /// Its name.
    pub name: String,
    /// Its element type (`None` when the graph does not say).
    pub element: Option<ElementType>,
    /// Its dimensions: `Some(n)` for a fixed size, `None` for a symbolic or missing one.
    pub dims: Vec<Option<u64>>,
}

impl TensorDecl {
    /// The fixed size of the last dimension, e.g. an embedding's length.
    pub fn last_dim(&self) -> Option<u64> {
        self.dims.last().copied().flatten()
    }

    /// The fixed size of the first dimension (the batch), when it is fixed.
    pub fn batch_dim(&self) -> Option<u64> {
        self.dims.first().copied().flatten()
    }
}

/// The inputs and outputs an ONNX graph declares, in the graph's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphInterface {
    /// Graph inputs that are not initializers (what a caller feeds).
    pub inputs: Vec<TensorDecl>,
    /// Graph outputs.
    pub outputs: Vec<TensorDecl>,
}

impl GraphInterface {
    /// Reads the interface from the bytes of an `.onnx` file.
    pub fn parse(model: &[u8]) -> Result<Self, String> {
        let proto = ModelProto::decode(model).map_err(|e| format!("not an ONNX model: {e}"))?;
        let graph = proto
            .graph
            .ok_or_else(|| "not an ONNX model: no graph".to_owned())?;
        // Old exporters list initializers among the inputs too; a caller never feeds those.
        let initializers: std::collections::HashSet<&str> =
            graph.initializer.iter().map(|i| i.name.as_str()).collect();
        let inputs = graph
            .input
            .iter()
            .filter(|v| !initializers.contains(v.name.as_str()))
            .map(ValueInfoProto::decl)
            .collect();
        let outputs = graph.output.iter().map(ValueInfoProto::decl).collect();
        Ok(Self { inputs, outputs })
    }

    /// The input called `name`.
    pub fn input(&self, name: &str) -> Option<&TensorDecl> {
        self.inputs.iter().find(|t| t.name == name)
    }

    /// The output called `name`.
    pub fn output(&self, name: &str) -> Option<&TensorDecl> {
        self.outputs.iter().find(|t| t.name == name)
    }

    /// The names of the outputs, for messages.
    pub fn output_names(&self) -> Vec<&str> {
        self.outputs.iter().map(|t| t.name.as_str()).collect()
    }
}

// The ONNX messages (onnx/onnx.proto3), reduced to the fields on the path to the graph's inputs
// and outputs. Field numbers are ONNX's.

#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(message, optional, tag = "7")]
    graph: Option<GraphProto>,
}

#[derive(Clone, PartialEq, Message)]
struct GraphProto {
    /// Only the names are declared: prost skips the tensor data of an initializer.
    #[prost(message, repeated, tag = "5")]
    initializer: Vec<NamedProto>,
    #[prost(message, repeated, tag = "11")]
    input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    output: Vec<ValueInfoProto>,
}

/// `TensorProto` with only its name (field 8).
#[derive(Clone, PartialEq, Message)]
struct NamedProto {
    #[prost(string, tag = "8")]
    name: String,
}

#[derive(Clone, PartialEq, Message)]
struct ValueInfoProto {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(message, optional, tag = "2")]
    r#type: Option<TypeProto>,
}

impl ValueInfoProto {
    fn decl(&self) -> TensorDecl {
        let tensor = self.r#type.as_ref().and_then(|t| t.tensor_type.as_ref());
        TensorDecl {
            name: self.name.clone(),
            element: tensor
                .map(|t| t.elem_type)
                .filter(|&code| code != 0)
                .map(ElementType::from_onnx),
            dims: tensor
                .and_then(|t| t.shape.as_ref())
                .map(|s| {
                    s.dim
                        .iter()
                        .map(|d| u64::try_from(d.dim_value).ok().filter(|&v| v > 0))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

#[derive(Clone, PartialEq, Message)]
struct TypeProto {
    #[prost(message, optional, tag = "1")]
    tensor_type: Option<TensorTypeProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorTypeProto {
    #[prost(int32, tag = "1")]
    elem_type: i32,
    #[prost(message, optional, tag = "2")]
    shape: Option<TensorShapeProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    dim: Vec<DimensionProto>,
}

/// A dimension: `dim_value` (1) when fixed; a `dim_param` (2) name reads as 0 here.
#[derive(Clone, PartialEq, Message)]
struct DimensionProto {
    #[prost(int64, tag = "1")]
    dim_value: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/models");
        std::fs::read(root.join(path)).unwrap()
    }

    #[test]
    fn reads_the_tiny_siglip_vision_interface() {
        let graph = GraphInterface::parse(&fixture("tiny-siglip/onnx/vision_model.onnx")).unwrap();
        let input = graph.input("pixel_values").unwrap();
        assert_eq!(input.element, Some(ElementType::F32));
        assert_eq!(input.dims, vec![None, Some(3), Some(32), Some(32)]);
        assert_eq!(graph.output("pooler_output").unwrap().last_dim(), Some(32));
    }

    #[test]
    fn reads_the_tiny_clip_text_interface() {
        let graph = GraphInterface::parse(&fixture("tiny-clip/onnx/text_model.onnx")).unwrap();
        let names: Vec<&str> = graph.inputs.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["input_ids", "attention_mask"]);
        assert_eq!(graph.inputs[0].element, Some(ElementType::I64));
        assert_eq!(graph.output("text_embeds").unwrap().last_dim(), Some(24));
    }

    #[test]
    fn refuses_what_is_not_onnx() {
        assert!(GraphInterface::parse(b"\xff\xff\xff garbage").is_err());
        assert!(GraphInterface::parse(b"").is_err());
    }
}
