//! WebP through libwebp itself (built from source by `libwebp-sys`), what Pillow
//! decodes with: lossy (VP8, fancy upsampling), lossless (VP8L) and alpha.
//! `image-webp`'s lossy decoder differs from libwebp by up to 4 on some samples.

use libwebp_sys as webp;

use super::{check_size, DecodeError, Decoded, Format, Header, Layout, Problem};

/// Size and alpha from the bitstream's header.
fn features(bytes: &[u8]) -> Result<webp::WebPBitstreamFeatures, DecodeError> {
    // SAFETY: a plain C struct, filled in by the call.
    let mut features: webp::WebPBitstreamFeatures = unsafe { std::mem::zeroed() };
    // SAFETY: `bytes` is readable for its length; `features` is writable.
    let status = unsafe { webp::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &mut features) };
    match status {
        webp::VP8StatusCode::VP8_STATUS_OK => Ok(features),
        webp::VP8StatusCode::VP8_STATUS_NOT_ENOUGH_DATA => Err(DecodeError::new(
            Problem::Truncated,
            "WEBP decoder: the file ends before its header does",
        )),
        webp::VP8StatusCode::VP8_STATUS_UNSUPPORTED_FEATURE => Err(DecodeError::new(
            Problem::Unsupported,
            "WEBP decoder: a feature libwebp does not read",
        )),
        other => Err(DecodeError::from_decoder(
            Format::WebP,
            format!("{other:?}"),
        )),
    }
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let f = features(bytes)?;
    Ok(Header {
        format: Format::WebP,
        width: f.width.max(0) as usize,
        height: f.height.max(0) as usize,
        mode: if f.has_alpha != 0 { "RGBA" } else { "RGB" },
    })
}

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    let f = features(bytes)?;
    if f.has_animation != 0 {
        return Err(DecodeError::new(
            Problem::Unsupported,
            "an animated WebP (only still WebP images are read)",
        ));
    }
    let (width, height) = (f.width.max(0) as usize, f.height.max(0) as usize);
    check_size(Format::WebP, width, height, max_pixels)?;
    let layout = if f.has_alpha != 0 {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let stride = width * layout.channels();
    let mut pixels = vec![0u8; stride * height];
    let stride = i32::try_from(stride)
        .map_err(|_| DecodeError::new(Problem::TooLarge, "rows too long for libwebp"))?;
    // SAFETY: `pixels` holds `height` rows of `stride` bytes; `bytes` is readable.
    let done = unsafe {
        if layout == Layout::Rgba {
            webp::WebPDecodeRGBAInto(
                bytes.as_ptr(),
                bytes.len(),
                pixels.as_mut_ptr(),
                pixels.len(),
                stride,
            )
        } else {
            webp::WebPDecodeRGBInto(
                bytes.as_ptr(),
                bytes.len(),
                pixels.as_mut_ptr(),
                pixels.len(),
                stride,
            )
        }
    };
    if done.is_null() {
        return Err(DecodeError::new(
            Problem::Damaged,
            "WEBP decoder: libwebp could not decode the image data (damaged or cut short)",
        ));
    }
    Ok(Decoded {
        width,
        height,
        layout,
        pixels,
    })
}
