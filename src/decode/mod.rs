//! Image files to pixels, as Pillow holds them once `Image.open` has loaded them:
//! one file per format, the decoder chosen by the file's first bytes, never its
//! name (a JPEG named `.png` is a JPEG, as Pillow treats it). Every decoder reads
//! the header first, so an image larger than the pixel limit is refused before
//! any pixel buffer exists.
//!
//! Samples are 8-bit. Where a file has 16-bit samples they are narrowed here by
//! Pillow's own rule for that mode (docs/spec.md section 8): 16-bit gray (`I;16`)
//! is clipped to 255, 16-bit colour and gray+alpha keep the high byte. Palettes
//! are looked up (Pillow's `P` converts to RGB and L through the palette, the
//! same as looking up first).

mod bmp;
mod gif;
mod jpeg;
mod opencv;
mod png;
mod tiff;
mod webp;

use std::fmt;

pub use opencv::imread;

/// The file formats read, told by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// JPEG (libjpeg-turbo).
    Jpeg,
    /// PNG.
    Png,
    /// WebP, lossy or lossless.
    WebP,
    /// Windows bitmap.
    Bmp,
    /// GIF: the first frame.
    Gif,
    /// Baseline TIFF.
    Tiff,
}

impl Format {
    /// The format whose signature `bytes` start with.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        Some(match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Format::Jpeg,
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Format::Png,
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Format::WebP,
            [b'B', b'M', ..] => Format::Bmp,
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Format::Gif,
            [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Format::Tiff,
            _ => return None,
        })
    }

    /// Its usual name, as Pillow's `Image.format` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WEBP",
            Format::Bmp => "BMP",
            Format::Gif => "GIF",
            Format::Tiff => "TIFF",
        }
    }
}

/// How the decoded 8-bit samples of a pixel are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Gray.
    L,
    /// Gray and alpha.
    La,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue, alpha.
    Rgba,
    /// Cyan, magenta, yellow, black, as Pillow holds a CMYK JPEG (inverted from
    /// the Adobe convention the file stores).
    Cmyk,
}

impl Layout {
    /// Samples per pixel.
    pub fn channels(self) -> usize {
        match self {
            Layout::L => 1,
            Layout::La => 2,
            Layout::Rgb => 3,
            Layout::Rgba | Layout::Cmyk => 4,
        }
    }
}

/// What a file's header says, read without decoding its pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format.
    pub format: Format,
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Pillow's mode for this file (`RGB`, `L`, `P`, `I;16`, `CMYK`, ...).
    pub mode: &'static str,
}

/// A decoded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// The samples of a pixel.
    pub layout: Layout,
    /// `width * height * layout.channels()` samples, row after row.
    pub pixels: Vec<u8>,
}

/// What is wrong with a file that cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Its first bytes are those of no image format read.
    NotAnImage,
    /// It ends before its image does.
    Truncated,
    /// A kind of image of its format that is not read (12-bit JPEG, ...).
    Unsupported,
    /// Its header declares more pixels than the limit.
    TooLarge,
    /// Its data are damaged.
    Damaged,
    /// It cannot be read at all (permissions, a vanished file, an I/O error).
    Unreadable,
}

impl Problem {
    /// A short name, for the bad-files CSV and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Problem::NotAnImage => "not an image",
            Problem::Truncated => "truncated",
            Problem::Unsupported => "unsupported",
            Problem::TooLarge => "too large",
            Problem::Damaged => "damaged",
            Problem::Unreadable => "unreadable",
        }
    }
}

/// Why a file could not be decoded, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The kind of problem.
    pub problem: Problem,
    /// What the decoder said, and what to do.
    pub detail: String,
}

impl DecodeError {
    pub(crate) fn new(problem: Problem, detail: impl Into<String>) -> Self {
        DecodeError {
            problem,
            detail: detail.into(),
        }
    }

    /// A decoder's message, sorted into truncated or damaged by its words.
    pub(crate) fn from_decoder(format: Format, message: impl fmt::Display) -> Self {
        let message = message.to_string();
        let lower = message.to_ascii_lowercase();
        let truncated = [
            "eof",
            "end of file",
            "premature end",
            "truncat",
            "unexpected end",
        ]
        .iter()
        .any(|w| lower.contains(w));
        let problem = if truncated {
            Problem::Truncated
        } else {
            Problem::Damaged
        };
        DecodeError::new(problem, format!("{} decoder: {message}", format.name()))
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let advice = match self.problem {
            Problem::NotAnImage => {
                "it is not a JPEG, PNG, WebP, BMP, GIF or TIFF file; remove it, or pass \
                 --skip-bad to leave such files out"
            }
            Problem::Truncated => {
                "the file is cut short (an interrupted download or copy?); fetch it again, or \
                 pass --skip-bad"
            }
            Problem::Unsupported => "convert it to another format, or pass --skip-bad",
            Problem::TooLarge => "raise --max-pixels if the file is trusted, or pass --skip-bad",
            Problem::Damaged => "the file is damaged; fetch it again, or pass --skip-bad",
            Problem::Unreadable => "check that it exists and can be read, or pass --skip-bad",
        };
        write!(f, "{}: {} ({advice})", self.problem.name(), self.detail)
    }
}

/// Pillow's `Image.MAX_IMAGE_PIXELS`: larger images are refused by default.
pub const DEFAULT_MAX_PIXELS: u64 = 178_956_970;

/// Refuses a `width x height` image above `max_pixels`, before its pixels are allocated.
pub(crate) fn check_size(
    format: Format,
    width: usize,
    height: usize,
    max_pixels: u64,
) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::new(
            Problem::Damaged,
            format!(
                "{} header declares an empty {width}x{height} image",
                format.name()
            ),
        ));
    }
    let pixels = width as u64 * height as u64;
    if pixels > max_pixels {
        return Err(DecodeError::new(
            Problem::TooLarge,
            format!(
                "{} header declares {width}x{height} = {pixels} pixels, more than the limit of \
                 {max_pixels}",
                format.name()
            ),
        ));
    }
    Ok(())
}

fn sniffed(bytes: &[u8]) -> Result<Format, DecodeError> {
    Format::sniff(bytes).ok_or_else(|| {
        let what = if bytes.is_empty() {
            "the file is empty".to_string()
        } else {
            "its first bytes are no image format's signature".to_string()
        };
        DecodeError::new(Problem::NotAnImage, what)
    })
}

/// Reads the header of the image in `bytes`.
pub fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    match sniffed(bytes)? {
        Format::Jpeg => jpeg::header(bytes),
        Format::Png => png::header(bytes),
        Format::WebP => webp::header(bytes),
        Format::Bmp => bmp::header(bytes),
        Format::Gif => gif::header(bytes),
        Format::Tiff => tiff::header(bytes),
    }
}

/// Decodes the image in `bytes`, refusing one larger than `max_pixels` before
/// allocating its pixels. With a `request`ed size, a JPEG is decoded as after
/// Pillow's `im.draft("RGB", request)`: at 1/2, 1/4 or 1/8 scale in the DCT
/// domain when `request` is that much smaller; other formats are decoded whole.
pub fn decode(
    bytes: &[u8],
    max_pixels: u64,
    request: Option<(usize, usize)>,
) -> Result<Decoded, DecodeError> {
    match sniffed(bytes)? {
        Format::Jpeg => jpeg::decode(bytes, max_pixels, request),
        Format::Png => png::decode(bytes, max_pixels),
        Format::WebP => webp::decode(bytes, max_pixels),
        Format::Bmp => bmp::decode(bytes, max_pixels),
        Format::Gif => gif::decode(bytes, max_pixels),
        Format::Tiff => tiff::decode(bytes, max_pixels),
    }
}

/// Pillow's mode for what an `image` crate decoder gives.
fn image_mode(color: image::ColorType) -> &'static str {
    use image::ColorType as C;
    match color {
        C::L8 => "L",
        C::L16 => "I;16",
        C::La8 | C::La16 => "LA",
        C::Rgba8 | C::Rgba16 | C::Rgba32F => "RGBA",
        _ => "RGB",
    }
}

fn image_header(format: Format, decoder: impl image::ImageDecoder) -> Result<Header, DecodeError> {
    let (width, height) = decoder.dimensions();
    Ok(Header {
        format,
        width: width as usize,
        height: height as usize,
        mode: image_mode(decoder.color_type()),
    })
}

/// Decodes with an `image` crate decoder (BMP, TIFF), 16-bit samples narrowed
/// as Pillow does: 16-bit gray clipped, the rest their high byte.
fn from_image_decoder(
    format: Format,
    decoder: impl image::ImageDecoder,
    max_pixels: u64,
) -> Result<Decoded, DecodeError> {
    use image::ColorType as C;
    let (width, height) = decoder.dimensions();
    let (width, height) = (width as usize, height as usize);
    check_size(format, width, height, max_pixels)?;
    let color = decoder.color_type();
    let (layout, wide) = match color {
        C::L8 => (Layout::L, false),
        C::La8 => (Layout::La, false),
        C::Rgb8 => (Layout::Rgb, false),
        C::Rgba8 => (Layout::Rgba, false),
        C::L16 => (Layout::L, true),
        C::La16 => (Layout::La, true),
        C::Rgb16 => (Layout::Rgb, true),
        C::Rgba16 => (Layout::Rgba, true),
        other => {
            return Err(DecodeError::new(
                Problem::Unsupported,
                format!("{} with {other:?} samples", format.name()),
            ))
        }
    };
    let total = usize::try_from(decoder.total_bytes())
        .map_err(|_| DecodeError::new(Problem::TooLarge, "the image does not fit in memory"))?;
    let mut buffer = vec![0u8; total];
    decoder
        .read_image(&mut buffer)
        .map_err(|e| DecodeError::from_decoder(format, e))?;
    let pixels = if wide {
        // Native-endian u16 samples.
        let samples = buffer
            .chunks_exact(2)
            .map(|s| u16::from_ne_bytes([s[0], s[1]]));
        if color == C::L16 {
            samples.map(|v| v.min(255) as u8).collect()
        } else {
            samples.map(|v| (v >> 8) as u8).collect()
        }
    } else {
        buffer
    };
    Ok(Decoded {
        width,
        height,
        layout,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"GIF89a...."), Some(Format::Gif));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::sniff(b"MM\0\x2a"), Some(Format::Tiff));
        assert_eq!(Format::sniff(b"hello"), None);
        assert_eq!(
            decode(b"", 10, None).unwrap_err().problem,
            Problem::NotAnImage
        );
    }

    #[test]
    fn a_huge_header_is_refused_before_decoding() {
        let e = check_size(Format::Png, 60_000, 60_000, DEFAULT_MAX_PIXELS).unwrap_err();
        assert_eq!(e.problem, Problem::TooLarge);
        assert!(e.to_string().contains("60000x60000"));
        assert!(check_size(Format::Png, 100, 100, DEFAULT_MAX_PIXELS).is_ok());
    }
}
