//! Writing PyTorch `.pt` files (the zip container of `torch.save`) so that fairseq2 and
//! omnilingual-asr load the models we fine-tune.
//!
//! Neither burn nor pytorch-reader writes `.pt`. The format is small: a zip (stored, entries
//! 64-byte aligned like torch's writer) holding `archive/data.pkl` (a protocol-2 pickle whose
//! tensors are `torch._utils._rebuild_tensor_v2` calls on persistent storage ids),
//! `archive/data/<id>` (raw little-endian storage bytes), `archive/byteorder` and
//! `archive/version`. Only globals that `torch.load(weights_only=True)` allows are used.

use std::io::{Seek, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::ModelError;
use dialekt_core::atomic::write_streaming;

/// A float32 tensor to write: checkpoint key, torch shape, row-major values.
#[derive(Debug, Clone)]
pub struct NamedTensor {
    pub key: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// What the top level of the pickle holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `{"model": state_dict, "fs2": True}`: the released omniASR files.
    Released,
    /// The bare `state_dict`: fairseq2's `model/pp_00/tp_00/sdp_00.pt`.
    StateDict,
}

/// Writes `tensors` as a torch checkpoint at `path` (atomically).
///
/// # Errors
/// [`ModelError::Write`] naming `path`.
pub fn write_checkpoint(
    path: &Path,
    tensors: &[NamedTensor],
    layout: Layout,
) -> Result<(), ModelError> {
    Ok(write_streaming(path, |out| {
        write_zip(out, tensors, layout)
    })?)
}

fn write_zip<W: Write + Seek>(
    out: W,
    tensors: &[NamedTensor],
    layout: Layout,
) -> std::io::Result<()> {
    let mut zip = ZipWriter::new(out);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true)
        .with_alignment(64);
    zip.start_file("archive/data.pkl", options)?;
    zip.write_all(&pickle(tensors, layout))?;
    zip.start_file("archive/byteorder", options)?;
    zip.write_all(b"little")?;
    for (id, tensor) in tensors.iter().enumerate() {
        zip.start_file(format!("archive/data/{id}"), options)?;
        let mut bytes = Vec::with_capacity(tensor.values.len() * 4);
        for v in &tensor.values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        zip.write_all(&bytes)?;
    }
    zip.start_file("archive/version", options)?;
    zip.write_all(b"3\n")?;
    zip.finish()?;
    Ok(())
}

/// The protocol-2 pickle of the (wrapped) state dict.
fn pickle(tensors: &[NamedTensor], layout: Layout) -> Vec<u8> {
    let mut p = Pickler(Vec::new());
    p.0.extend_from_slice(b"\x80\x02"); // PROTO 2
    if layout == Layout::Released {
        p.0.extend_from_slice(b"}("); // EMPTY_DICT, MARK
        p.string("model");
    }
    p.empty_ordered_dict();
    p.0.push(b'('); // MARK
    for (id, tensor) in tensors.iter().enumerate() {
        p.string(&tensor.key);
        p.tensor(id, tensor);
    }
    p.0.push(b'u'); // SETITEMS into the state dict
    if layout == Layout::Released {
        p.string("fs2");
        p.0.push(0x88); // NEWTRUE
        p.0.push(b'u'); // SETITEMS into the outer dict
    }
    p.0.push(b'.'); // STOP
    p.0
}

struct Pickler(Vec<u8>);

impl Pickler {
    fn string(&mut self, s: &str) {
        self.0.push(b'X'); // BINUNICODE
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn global(&mut self, module: &str, name: &str) {
        self.0.push(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }

    fn int(&mut self, v: usize) {
        if let Ok(small) = i32::try_from(v) {
            self.0.push(b'J'); // BININT
            self.0.extend_from_slice(&small.to_le_bytes());
        } else {
            self.0.extend_from_slice(&[0x8a, 8]); // LONG1, 8 bytes
            self.0.extend_from_slice(&(v as u64).to_le_bytes());
        }
    }

    fn int_tuple(&mut self, values: &[usize]) {
        self.0.push(b'('); // MARK
        for &v in values {
            self.int(v);
        }
        self.0.push(b't'); // TUPLE
    }

    fn empty_ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.0.extend_from_slice(b")R"); // EMPTY_TUPLE, REDUCE
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks)`.
    fn tensor(&mut self, id: usize, tensor: &NamedTensor) {
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.0.push(b'('); // MARK (args)
        // persistent id: ("storage", torch.FloatStorage, "<id>", "cpu", numel)
        self.0.push(b'(');
        self.string("storage");
        self.global("torch", "FloatStorage");
        self.string(&id.to_string());
        self.string("cpu");
        self.int(tensor.values.len());
        self.0.extend_from_slice(b"tQ"); // TUPLE, BINPERSID
        self.int(0);
        self.int_tuple(&tensor.shape);
        let mut strides = vec![1; tensor.shape.len()];
        for i in (0..tensor.shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * tensor.shape[i + 1];
        }
        self.int_tuple(&strides);
        self.0.push(0x89); // NEWFALSE: requires_grad
        self.empty_ordered_dict(); // backward hooks
        self.0.extend_from_slice(b"tR"); // TUPLE, REDUCE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_reader_reads_what_we_write() {
        let dir = tempfile::tempdir().unwrap();
        let tensors = vec![
            NamedTensor {
                key: "a.weight".into(),
                shape: vec![2, 3],
                values: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            },
            NamedTensor {
                key: "a.bias".into(),
                shape: vec![2],
                values: vec![-1.0, 0.5],
            },
        ];
        for layout in [Layout::Released, Layout::StateDict] {
            let path = dir.path().join(format!("{layout:?}.pt"));
            write_checkpoint(&path, &tensors, layout).unwrap();
            let reader = match layout {
                Layout::Released => {
                    pytorch_reader::PytorchReader::with_top_level_key(&path, "model")
                }
                Layout::StateDict => pytorch_reader::PytorchReader::new(&path),
            }
            .unwrap();
            let t = reader.get("a.weight").unwrap();
            assert_eq!(t.shape(), &[2, 3]);
            let bytes = t.read().unwrap();
            assert_eq!(f32::from_le_bytes(bytes[20..24].try_into().unwrap()), 6.0);
            assert_eq!(reader.len(), 2);
        }
    }
}
