//! Reading numbers out of a TIFF structure (an EXIF block, a TIFF-based raw) without a parser:
//! the byte order its header names, and unsigned values at offsets.

/// A TIFF structure's bytes and byte order.
#[derive(Debug, Clone, Copy)]
pub struct TiffBytes<'a> {
    bytes: &'a [u8],
    little_endian: bool,
}

impl<'a> TiffBytes<'a> {
    /// `bytes` when they start with a TIFF header (`II*\0` or `MM\0*`).
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        let little_endian = match bytes.get(..4)? {
            b"II*\0" => true,
            b"MM\0*" => false,
            _ => return None,
        };
        Some(Self {
            bytes,
            little_endian,
        })
    }

    /// The unsigned number of `len` bytes (1 to 8) at `at`, in the structure's byte order.
    pub fn uint(&self, at: usize, len: usize) -> Option<usize> {
        let field = self.bytes.get(at..at.checked_add(len)?)?;
        let fold = |acc: usize, x: &u8| (acc << 8) | usize::from(*x);
        Some(if self.little_endian {
            field.iter().rev().fold(0, fold)
        } else {
            field.iter().fold(0, fold)
        })
    }
}
