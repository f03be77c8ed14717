//! One zstd decompression context per thread, for every zstd frame pixelprep
//! decompresses itself (Parquet pages, Feather buffers): a new context per frame
//! was 12% of a one-thread run.

use std::cell::RefCell;
use std::io;

use zstd::bulk::Decompressor;
use zstd::zstd_safe::WriteBuf;

thread_local! {
    static CONTEXT: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// Decompresses the frame `frame` into `out` (from its start, up to its
/// capacity) with this thread's context; the number of bytes written.
pub fn decompress_into<C: WriteBuf + ?Sized>(frame: &[u8], out: &mut C) -> io::Result<usize> {
    CONTEXT.with_borrow_mut(|context| {
        let context = match context {
            Some(context) => context,
            None => context.insert(Decompressor::new()?),
        };
        context.decompress_to_buffer(frame, out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_decompress_into_slices_and_vectors_and_damage_is_an_error() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let frame = zstd::bulk::compress(&data, 1).unwrap();
        let mut slice = vec![0u8; data.len()];
        assert_eq!(decompress_into(&frame, &mut slice[..]).unwrap(), data.len());
        assert_eq!(slice, data);
        let mut vector = Vec::with_capacity(data.len());
        assert_eq!(decompress_into(&frame, &mut vector).unwrap(), data.len());
        assert_eq!(vector, data);
        // Too small a buffer, a cut frame: errors, and the context still works.
        assert!(decompress_into(&frame, &mut vec![0u8; 100][..]).is_err());
        assert!(decompress_into(&frame[..frame.len() / 2], &mut slice[..]).is_err());
        assert_eq!(decompress_into(&frame, &mut slice[..]).unwrap(), data.len());
    }
}
