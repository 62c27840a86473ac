//! The machine code of an [`Artifact`](crate::Artifact): bytes of its own (a compilation),
//! or a range of a larger read-only image (a serialized file mapped into memory) that the
//! runtime's loader can map in place, page by page, instead of copying it.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Bytes that machine code is a range of.
pub trait CodeImage: Send + Sync + 'static {
    /// Every byte of the image.
    fn bytes(&self) -> &[u8];

    /// The file whose contents `bytes()` are, byte for byte from its start, if the loader
    /// may map ranges of it itself (a private copy-on-write mapping of the same file
    /// offsets). `None` for bytes that live only in memory.
    fn file(&self) -> Option<&std::fs::File> {
        None
    }
}

impl CodeImage for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// Machine code: `len` bytes at `start` of an image, shared.
#[derive(Clone)]
pub struct Code {
    image: Arc<dyn CodeImage>,
    start: usize,
    len: usize,
}

impl Code {
    /// The bytes `start..start + len` of `image`; `None` if they lie outside it.
    pub fn in_image(image: Arc<dyn CodeImage>, start: usize, len: usize) -> Option<Code> {
        let end = start.checked_add(len)?;
        (end <= image.bytes().len()).then_some(Code { image, start, len })
    }

    /// The file the code can be mapped from and its offset there, if the image is a file.
    pub fn file_region(&self) -> Option<(&std::fs::File, u64)> {
        Some((self.image.file()?, self.start as u64))
    }
}

impl Deref for Code {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.image.bytes()[self.start..self.start + self.len]
    }
}

impl From<Vec<u8>> for Code {
    fn from(bytes: Vec<u8>) -> Code {
        let len = bytes.len();
        Code {
            image: Arc::new(bytes),
            start: 0,
            len,
        }
    }
}

impl Default for Code {
    fn default() -> Code {
        Vec::new().into()
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Code) -> bool {
        **self == **other
    }
}

impl Eq for Code {}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({} bytes", self.len)?;
        if self.image.file().is_some() {
            write!(f, " at file offset {:#x}", self.start)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_an_image() {
        let image: Arc<dyn CodeImage> = Arc::new((0u8..16).collect::<Vec<u8>>());
        let code = Code::in_image(image.clone(), 4, 3).unwrap();
        assert_eq!(&*code, &[4, 5, 6]);
        assert_eq!(code, Code::from(vec![4, 5, 6]));
        assert!(code.file_region().is_none(), "bytes in memory are no file");
        assert!(Code::in_image(image.clone(), 14, 3).is_none());
        assert!(Code::in_image(image, usize::MAX, 2).is_none());
        assert_eq!(format!("{:?}", Code::default()), "Code(0 bytes)");
    }
}
