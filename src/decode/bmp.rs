//! BMP with the `image` crate's decoder: 1, 4 and 8-bit palettes (looked up),
//! RLE, 16, 24 and 32-bit pixels, bottom-up and top-down.

use std::io::Cursor;

use image::codecs::bmp::BmpDecoder;

use super::{from_image_decoder, image_header, DecodeError, Decoded, Format, Header};

fn decoder(bytes: &[u8]) -> Result<BmpDecoder<Cursor<&[u8]>>, DecodeError> {
    BmpDecoder::new(Cursor::new(bytes)).map_err(|e| DecodeError::from_decoder(Format::Bmp, e))
}

/// Pillow's mode: `P` for palette files (the bit count at byte 28 of the header).
fn mode(bytes: &[u8], alpha: bool) -> &'static str {
    match bytes.get(28..30).map(|b| u16::from_le_bytes([b[0], b[1]])) {
        Some(1..=8) => "P",
        _ if alpha => "RGBA",
        _ => "RGB",
    }
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let mut header = image_header(Format::Bmp, decoder(bytes)?)?;
    header.mode = mode(bytes, header.mode == "RGBA");
    Ok(header)
}

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    from_image_decoder(Format::Bmp, decoder(bytes)?, max_pixels)
}
