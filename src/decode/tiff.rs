//! Baseline TIFF with the `image` crate's decoder (uncompressed, LZW, deflate,
//! PackBits): the first page.

use std::io::Cursor;

use image::codecs::tiff::TiffDecoder;

use super::{from_image_decoder, image_header, DecodeError, Decoded, Format, Header};

fn decoder(bytes: &[u8]) -> Result<TiffDecoder<Cursor<&[u8]>>, DecodeError> {
    TiffDecoder::new(Cursor::new(bytes)).map_err(|e| DecodeError::from_decoder(Format::Tiff, e))
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    image_header(Format::Tiff, decoder(bytes)?)
}

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    from_image_decoder(Format::Tiff, decoder(bytes)?, max_pixels)
}
