//! PNG with the `png` crate: every colour type and bit depth, palettes, tRNS and
//! Adam7 interlacing. Palettes and low bit depths are expanded by the crate
//! (1, 2 and 4-bit gray scaled to 0..255, as Pillow unpacks them); 16-bit samples
//! are narrowed by Pillow's rule for the file's mode: gray (`I;16`) clipped to
//! 255, everything else (`RGB;16B`, `LA;16B`...) its high byte.

use std::io::Cursor;

use png::{BitDepth, ColorType, Transformations};

use super::{check_size, DecodeError, Decoded, Format, Header, Layout};

/// Pillow checks the CRC of every chunk before the image data, never of the
/// data itself: a damaged header is refused, a damaged IDAT CRC is not.
fn check_header_crcs(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut at = 8;
    while let Some(head) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        if kind == b"IDAT" {
            return Ok(());
        }
        let Some(chunk) = bytes.get(at + 4..at + 8 + length) else {
            return Ok(()); // cut short: the decoder says so
        };
        let Some(stored) = bytes.get(at + 8 + length..at + 12 + length) else {
            return Ok(());
        };
        if crc32fast::hash(chunk).to_be_bytes() != stored {
            return Err(DecodeError::new(
                super::Problem::Damaged,
                format!(
                    "PNG decoder: bad checksum in the {} chunk",
                    String::from_utf8_lossy(kind)
                ),
            ));
        }
        at += 12 + length;
    }
    Ok(())
}

fn reader(bytes: &[u8]) -> Result<png::Reader<Cursor<&[u8]>>, DecodeError> {
    check_header_crcs(bytes)?;
    // The pixel limit is ours (checked on the header); the crate's own default
    // (64 MB of output) would refuse ordinary photographs.
    let limits = png::Limits { bytes: usize::MAX };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(Transformations::EXPAND);
    decoder.ignore_checksums(true);
    decoder
        .read_info()
        .map_err(|e| DecodeError::from_decoder(Format::Png, e))
}

fn mode(color_type: ColorType, depth: BitDepth) -> &'static str {
    match (color_type, depth) {
        (ColorType::Grayscale, BitDepth::One) => "1",
        (ColorType::Grayscale, BitDepth::Sixteen) => "I;16",
        (ColorType::Grayscale, _) => "L",
        (ColorType::GrayscaleAlpha, _) => "LA",
        (ColorType::Rgb, _) => "RGB",
        (ColorType::Rgba, _) => "RGBA",
        (ColorType::Indexed, _) => "P",
    }
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let reader = reader(bytes)?;
    let info = reader.info();
    Ok(Header {
        format: Format::Png,
        width: info.width as usize,
        height: info.height as usize,
        mode: mode(info.color_type, info.bit_depth),
    })
}

/// The first image of a PNG, expanded (palettes looked up, low depths scaled,
/// tRNS as alpha), in the crate's output samples, big-endian when 16-bit.
struct Frame {
    width: usize,
    height: usize,
    /// The file's own colour type and depth.
    file: (ColorType, BitDepth),
    /// The samples' colour type and depth.
    output: (ColorType, BitDepth),
    buffer: Vec<u8>,
}

/// Reads the header, refuses an image over `max_pixels` before allocating its
/// pixels, then decodes the first frame.
fn read_frame(bytes: &[u8], max_pixels: u64) -> Result<Frame, DecodeError> {
    let mut reader = reader(bytes)?;
    let (width, height, file) = {
        let info = reader.info();
        (
            info.width as usize,
            info.height as usize,
            (info.color_type, info.bit_depth),
        )
    };
    check_size(Format::Png, width, height, max_pixels)?;
    let output = reader.output_color_type();
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| DecodeError::from_decoder(Format::Png, "the image is too large"))?;
    let mut buffer = vec![0u8; size];
    reader
        .next_frame(&mut buffer)
        .map_err(|e| DecodeError::from_decoder(Format::Png, e))?;
    Ok(Frame {
        width,
        height,
        file,
        output,
        buffer,
    })
}

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    let Frame {
        width,
        height,
        file: (file_color, file_depth),
        output: (color, depth),
        mut buffer,
    } = read_frame(bytes, max_pixels)?;
    let layout = match color {
        ColorType::Grayscale => Layout::L,
        ColorType::GrayscaleAlpha => Layout::La,
        ColorType::Rgb | ColorType::Indexed => Layout::Rgb,
        ColorType::Rgba => Layout::Rgba,
    };
    let samples = width * height * layout.channels();
    let pixels = if depth == BitDepth::Sixteen {
        let wide = buffer.chunks_exact(2).take(samples);
        if file_color == ColorType::Grayscale && file_depth == BitDepth::Sixteen {
            // `I;16`: the gray sample clipped, an alpha from tRNS its high byte
            // (dropped later in any case).
            let channels = layout.channels();
            wide.enumerate()
                .map(|(i, s)| {
                    let v = u16::from_be_bytes([s[0], s[1]]);
                    if i % channels == 0 {
                        v.min(255) as u8
                    } else {
                        s[0]
                    }
                })
                .collect()
        } else {
            wide.map(|s| s[0]).collect()
        }
    } else {
        buffer.truncate(samples);
        buffer
    };
    Ok(Decoded {
        width,
        height,
        layout,
        pixels,
    })
}

/// libpng's `png_set_rgb_to_gray(png, 1, 0.299, 0.587)` coefficients, as it
/// truncates them to 15 bits (what OpenCV's `IMREAD_GRAYSCALE` asks for).
const LIBPNG_RED: u32 = 29_900 * 32_768 / 100_000;
const LIBPNG_GREEN: u32 = 58_700 * 32_768 / 100_000;
const LIBPNG_BLUE: u32 = 32_768 - LIBPNG_RED - LIBPNG_GREEN;

/// The PNG in `bytes` as OpenCV's `imread` reads it through libpng: alpha
/// stripped, palettes looked up, 16-bit samples cut to their high byte
/// (`png_set_strip_16`); `gray` converts colour with libpng's `rgb_to_gray`
/// (on the 16-bit values where the file has them), else gray is replicated.
pub(super) fn decode_opencv(
    bytes: &[u8],
    max_pixels: u64,
    gray: bool,
) -> Result<Decoded, DecodeError> {
    let Frame {
        width,
        height,
        output: (color, depth),
        buffer,
        ..
    } = read_frame(bytes, max_pixels)?;
    let channels = color.samples();
    let wide = depth == BitDepth::Sixteen;
    let sample = |at: usize| -> u32 {
        if wide {
            u16::from_be_bytes([buffer[at * 2], buffer[at * 2 + 1]]) as u32
        } else {
            buffer[at] as u32
        }
    };
    let narrow = |v: u32| if wide { (v >> 8) as u8 } else { v as u8 };
    let is_color = matches!(color, ColorType::Rgb | ColorType::Rgba);
    let pixels_count = width * height;
    let pixels = if gray {
        let mut out = Vec::with_capacity(pixels_count);
        for p in 0..pixels_count {
            let at = p * channels;
            if !is_color {
                out.push(narrow(sample(at)));
                continue;
            }
            let (r, g, b) = (sample(at), sample(at + 1), sample(at + 2));
            let y = if wide {
                // libpng's 16-bit path rounds, then the high byte is kept.
                (LIBPNG_RED * r + LIBPNG_GREEN * g + LIBPNG_BLUE * b + 16_384) >> 15
            } else if r == g && r == b {
                r
            } else {
                // The 8-bit path truncates ("the historical approach").
                (LIBPNG_RED * r + LIBPNG_GREEN * g + LIBPNG_BLUE * b) >> 15
            };
            out.push(narrow(y));
        }
        out
    } else {
        let mut out = Vec::with_capacity(pixels_count * 3);
        for p in 0..pixels_count {
            let at = p * channels;
            if is_color {
                out.extend([sample(at), sample(at + 1), sample(at + 2)].map(narrow));
            } else {
                out.extend([narrow(sample(at)); 3]);
            }
        }
        out
    };
    Ok(Decoded {
        width,
        height,
        layout: if gray { Layout::L } else { Layout::Rgb },
        pixels,
    })
}

/// The payload of the file's `eXIf` chunk, wherever it is (libpng keeps one
/// found after the image data too).
pub(super) fn exif_chunk(bytes: &[u8]) -> Option<&[u8]> {
    let mut at = 8;
    while let Some(head) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let data = bytes.get(at + 8..(at + 8).checked_add(length)?)?;
        match &head[4..8] {
            b"eXIf" => return Some(data),
            b"IEND" => return None,
            _ => at += 12 + length,
        }
    }
    None
}
