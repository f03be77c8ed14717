//! BMP, read by the rules of Pillow 13.0.0's `BmpImagePlugin` and the C
//! unpackers it names, so that every file comes out as `Image.open(p)` loads it
//! and every file Pillow refuses is refused:
//!
//! - headers of 12 (OS/2 1.x: 16-bit sizes, 3-byte palette entries), 40, 52, 56,
//!   64, 108 and 124 bytes; 1, 4, 8, 16, 24 and 32 bits a pixel;
//! - BI_RGB, BI_RLE8, BI_RLE4, and BI_BITFIELDS only for the masks Pillow lists;
//! - a palette that is exactly black and white makes mode `1`, one that is the
//!   gray ramp 0, 1, 2... makes mode `L`, any other `P` (looked up here into RGB;
//!   indices past the palette are black, as in Pillow's zeroed palette);
//! - 16-bit channels scaled as `v * 255 / 31` (or `/ 63`), truncated;
//! - RLE decoded by Pillow's `BmpRleDecoder`, skipped pixels (delta, end of
//!   line) taking index 0.

use super::{check_size, DecodeError, Decoded, Format, Header, Layout, Problem};

/// Pillow's mode for an opened BMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `1`: a black-and-white palette, 0 or 255.
    Bilevel,
    /// `L`: a palette that is the gray ramp, so an index is its own gray.
    Gray,
    /// `P`: any other palette.
    Palette,
    /// `RGB`.
    Rgb,
    /// `RGBA`: 32-bit bitfields with an alpha mask (or none at all).
    Rgba,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Bilevel => "1",
            Mode::Gray => "L",
            Mode::Palette => "P",
            Mode::Rgb => "RGB",
            Mode::Rgba => "RGBA",
        }
    }

    /// How the decoded pixels are laid out: palettes looked up into RGB.
    fn layout(self) -> Layout {
        match self {
            Mode::Bilevel | Mode::Gray => Layout::L,
            Mode::Palette | Mode::Rgb => Layout::Rgb,
            Mode::Rgba => Layout::Rgba,
        }
    }
}

/// Where the red, green, blue (and alpha) bytes sit in a pixel of whole bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteOrder {
    size: usize,
    red: usize,
    green: usize,
    blue: usize,
    alpha: Option<usize>,
}

const fn order(size: usize, red: usize, green: usize, blue: usize) -> ByteOrder {
    ByteOrder {
        size,
        red,
        green,
        blue,
        alpha: None,
    }
}

const fn with_alpha(red: usize, green: usize, blue: usize, alpha: usize) -> ByteOrder {
    ByteOrder {
        size: 4,
        red,
        green,
        blue,
        alpha: Some(alpha),
    }
}

// Pillow's raw modes for whole-byte pixels, named as Pillow names them.
const BGR: ByteOrder = order(3, 2, 1, 0);
const BGRX: ByteOrder = order(4, 2, 1, 0);
const XBGR: ByteOrder = order(4, 3, 2, 1);
const BGXR: ByteOrder = order(4, 3, 1, 0);
const ABGR: ByteOrder = with_alpha(3, 2, 1, 0);
const RGBA: ByteOrder = with_alpha(0, 1, 2, 3);
const BGRA: ByteOrder = with_alpha(2, 1, 0, 3);
const BGAR: ByteOrder = with_alpha(3, 1, 0, 2);

/// How Pillow unpacks the rows of an uncompressed BMP (its "raw mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RawMode {
    /// `1`: a bit a pixel, the first in the high bit; set bits are white.
    Bits,
    /// `L`: a byte a pixel, whatever the file's bit count (Pillow's rule for gray
    /// palettes, even of 1 and 4-bit files).
    Gray,
    /// `P;1`, `P;4` and `P`: palette indices of this many bits, the first pixel
    /// in the high bits.
    Indices(u64),
    /// `BGR;15`: 16-bit little-endian words, 5 bits each of red, green, blue.
    Bgr15,
    /// `BGR;16`: 5 bits of red, 6 of green, 5 of blue.
    Bgr16,
    /// Whole bytes a channel.
    Bytes(ByteOrder),
}

impl RawMode {
    /// Bits a pixel, as Pillow's unpacker reads them.
    fn bits(self) -> u64 {
        match self {
            RawMode::Bits => 1,
            RawMode::Gray => 8,
            RawMode::Indices(bits) => bits,
            RawMode::Bgr15 | RawMode::Bgr16 => 16,
            RawMode::Bytes(order) => 8 * order.size as u64,
        }
    }
}

/// How the pixel data are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Rows of `stride` bytes (the row padded to 4 bytes), unpacked by `raw`.
    Raw { raw: RawMode, stride: u64 },
    /// BI_RLE8, or BI_RLE4 when `rle4`.
    Rle { rle4: bool },
}

/// A BMP's header as Pillow reads it.
#[derive(Debug)]
struct Bitmap<'a> {
    width: usize,
    height: usize,
    bits: u16,
    /// Rows stored top row first (a negative height), else bottom row first.
    top_down: bool,
    mode: Mode,
    encoding: Encoding,
    /// Where the pixel data start in the file.
    offset: u64,
    /// The palette bytes as read, `entry_size` a colour (blue, green, red first).
    palette: &'a [u8],
    entry_size: usize,
}

fn truncated(detail: impl Into<String>) -> DecodeError {
    DecodeError::new(Problem::Truncated, detail)
}

fn unsupported(detail: impl Into<String>) -> DecodeError {
    DecodeError::new(Problem::Unsupported, detail)
}

fn damaged(detail: impl Into<String>) -> DecodeError {
    DecodeError::new(Problem::Damaged, detail)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Up to `length` bytes from `at`, fewer where the file ends (as a Python read).
fn read_at(bytes: &[u8], at: u64, length: u64) -> &[u8] {
    let clamp = |n: u64| usize::try_from(n).map_or(bytes.len(), |n| n.min(bytes.len()));
    &bytes[clamp(at)..clamp(at.saturating_add(length))]
}

/// The raw mode Pillow takes for BI_BITFIELDS masks (red, green, blue, alpha);
/// only these layouts are read.
fn bitfields(bits: u16, [red, green, blue, alpha]: [u32; 4]) -> Option<RawMode> {
    let bytes = |order| Some(RawMode::Bytes(order));
    match (bits, red, green, blue, alpha) {
        (32, 0xFF_0000, 0xFF00, 0xFF, 0) => bytes(BGRX),
        (32, 0xFF00_0000, 0xFF_0000, 0xFF00, 0) => bytes(XBGR),
        (32, 0xFF00_0000, 0xFF00, 0xFF, 0) => bytes(BGXR),
        (32, 0xFF00_0000, 0xFF_0000, 0xFF00, 0xFF) => bytes(ABGR),
        (32, 0xFF, 0xFF00, 0xFF_0000, 0xFF00_0000) => bytes(RGBA),
        (32, 0xFF_0000, 0xFF00, 0xFF, 0xFF00_0000) => bytes(BGRA),
        (32, 0xFF00_0000, 0xFF00, 0xFF, 0xFF_0000) => bytes(BGAR),
        // No masks at all: Pillow reads BGRA.
        (32, 0, 0, 0, 0) => bytes(BGRA),
        // 24 and 16 bits: the alpha mask is not looked at.
        (24, 0xFF_0000, 0xFF00, 0xFF, _) => bytes(BGR),
        (16, 0xF800, 0x7E0, 0x1F, _) => Some(RawMode::Bgr16),
        (16, 0x7C00, 0x3E0, 0x1F, _) => Some(RawMode::Bgr15),
        _ => None,
    }
}

/// Pillow's test for a gray palette: 2 colours black then white, or more that
/// are the ramp 0, 1, 2... (index & 255). A palette cut short by the end of the
/// file is never gray.
fn is_gray(palette: &[u8], entry_size: usize, colours: u64) -> bool {
    let entry_is = |index: usize, value: u8| {
        let at = index * entry_size;
        palette.get(at..at + 3) == Some(&[value; 3][..])
    };
    if colours == 2 {
        entry_is(0, 0) && entry_is(1, 255)
    } else {
        (0..colours as usize).all(|index| entry_is(index, index as u8))
    }
}

/// Reads the file and info headers and the palette, refusing what Pillow's
/// `Image.open` refuses, in its order.
fn parse(bytes: &[u8]) -> Result<Bitmap<'_>, DecodeError> {
    let file_header = bytes
        .get(..14)
        .ok_or_else(|| truncated("the BMP file ends inside its 14-byte file header"))?;
    if &file_header[..2] != b"BM" {
        return Err(damaged(
            "the file does not start with `BM`, as a BMP file does",
        ));
    }
    let data_offset = u64::from(u32_at(file_header, 10));
    let header_size = bytes
        .get(14..18)
        .map(|size| u32_at(size, 0))
        .ok_or_else(|| truncated("the BMP file ends before its info header"))?;
    // Pillow reads the whole declared header before looking at its size.
    let header_end = 14 + u64::from(header_size.max(4));
    if header_end > bytes.len() as u64 {
        return Err(truncated(format!(
            "the BMP file ends inside its {header_size}-byte info header"
        )));
    }
    let info = &bytes[18..header_end as usize];
    // Where Pillow's file position is: after the header, masks and palette.
    let mut position = header_end;

    let (width, height, bits, top_down, compression, colours_field, entry_size);
    let mut masks = [0u32; 4];
    match header_size {
        12 => {
            // OS/2 1.x: unsigned 16-bit sizes, always bottom-up and uncompressed.
            width = u32::from(u16_at(info, 0));
            height = u32::from(u16_at(info, 2));
            bits = u16_at(info, 6);
            top_down = false;
            compression = 0;
            colours_field = 0;
            entry_size = 3;
        }
        40 | 52 | 56 | 64 | 108 | 124 => {
            // Pillow takes a height whose top byte is 0xFF as negative (top-down);
            // any other is unsigned, as is the width.
            top_down = info[7] == 0xFF;
            width = u32_at(info, 0);
            let stored_height = u32_at(info, 4);
            height = if top_down {
                stored_height.wrapping_neg()
            } else {
                stored_height
            };
            bits = u16_at(info, 10);
            compression = u32_at(info, 12);
            colours_field = u32_at(info, 28);
            entry_size = 4;
            if compression == 3 {
                if info.len() >= 48 {
                    for (index, mask) in masks.iter_mut().enumerate().take(3) {
                        *mask = u32_at(info, 36 + 4 * index);
                    }
                    if info.len() >= 52 {
                        masks[3] = u32_at(info, 48);
                    }
                } else {
                    // A 40-byte header: the three masks follow it.
                    let stored = read_at(bytes, position, 12);
                    if stored.len() < 12 {
                        return Err(truncated(
                            "the BMP file ends inside the bitfield masks after its header",
                        ));
                    }
                    for (index, mask) in masks.iter_mut().enumerate().take(3) {
                        *mask = u32_at(stored, 4 * index);
                    }
                    position += 12;
                }
            }
        }
        other => {
            return Err(unsupported(format!(
                "BMP info header of {other} bytes: Pillow reads headers of 12, 40, 52, 56, \
                 64, 108 and 124 bytes"
            )))
        }
    }

    // A colour count of 0 means all those the bit count allows; past 8 bits it
    // is never used.
    let colours = match colours_field {
        0 if bits <= 8 => 1u64 << bits,
        other => u64::from(other),
    };
    let mut offset = data_offset;
    if offset == 14 + u64::from(header_size) && bits <= 8 {
        // The offset points at the palette: Pillow skips it.
        offset += entry_size as u64 * colours;
    }

    let (mut mode, mut raw) = match bits {
        1 | 4 | 8 => (Mode::Palette, RawMode::Indices(u64::from(bits))),
        16 => (Mode::Rgb, RawMode::Bgr15),
        24 => (Mode::Rgb, RawMode::Bytes(BGR)),
        32 => (Mode::Rgb, RawMode::Bytes(BGRX)),
        other => {
            return Err(unsupported(format!(
                "BMP of {other} bits a pixel: Pillow reads 1, 4, 8, 16, 24 and 32"
            )))
        }
    };
    let mut rle = None;
    match compression {
        0 => {}
        1 | 2 => rle = Some(compression == 2),
        3 => {
            raw = bitfields(bits, masks).ok_or_else(|| {
                unsupported(format!(
                    "BMP bitfields layout (red {:#x}, green {:#x}, blue {:#x}, alpha {:#x}) \
                     at {bits} bits a pixel: Pillow reads only 32-bit BGRX, XBGR, BGXR, ABGR, \
                     RGBA, BGRA and BGAR, 24-bit BGR, and 16-bit 5-6-5 and 5-5-5",
                    masks[0], masks[1], masks[2], masks[3]
                ))
            })?;
            if matches!(raw, RawMode::Bytes(ByteOrder { alpha: Some(_), .. })) {
                mode = Mode::Rgba;
            }
        }
        other => {
            let name = match other {
                4 => " (JPEG)",
                5 => " (PNG)",
                _ => "",
            };
            return Err(unsupported(format!(
                "BMP compression {other}{name}: Pillow reads uncompressed, RLE8, RLE4 and \
                 bitfields"
            )));
        }
    }

    let mut palette: &[u8] = &[];
    if mode == Mode::Palette {
        if !(1..=65536).contains(&colours) {
            return Err(unsupported(format!(
                "BMP palette of {colours} colours: Pillow reads 1 to 65536"
            )));
        }
        palette = read_at(bytes, position, entry_size as u64 * colours);
        position += palette.len() as u64;
        if is_gray(palette, entry_size, colours) {
            (mode, raw) = if colours <= 2 {
                (Mode::Bilevel, RawMode::Bits)
            } else {
                (Mode::Gray, RawMode::Gray)
            };
        }
    }

    let encoding = match rle {
        Some(rle4) => Encoding::Rle { rle4 },
        None => Encoding::Raw {
            raw,
            stride: ((u64::from(width) * u64::from(bits) + 31) >> 3) & !3,
        },
    };
    Ok(Bitmap {
        width: width as usize,
        height: height as usize,
        bits,
        top_down,
        mode,
        encoding,
        // An offset of 0: the pixels follow what was read.
        offset: if offset == 0 { position } else { offset },
        palette,
        entry_size,
    })
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let bitmap = parse(bytes)?;
    // Pillow's `Image.open` refuses an empty image too.
    check_size(Format::Bmp, bitmap.width, bitmap.height, u64::MAX)?;
    Ok(Header {
        format: Format::Bmp,
        width: bitmap.width,
        height: bitmap.height,
        mode: bitmap.mode.name(),
    })
}

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    let bitmap = parse(bytes)?;
    check_size(Format::Bmp, bitmap.width, bitmap.height, max_pixels)?;
    let colours = palette_colours(&bitmap)?;
    let pixels = match bitmap.encoding {
        Encoding::Raw { raw, stride } => raw_pixels(bytes, &bitmap, raw, stride, &colours)?,
        Encoding::Rle { rle4 } => rle_pixels(bytes, &bitmap, rle4, &colours)?,
    };
    Ok(Decoded {
        width: bitmap.width,
        height: bitmap.height,
        layout: bitmap.mode.layout(),
        pixels,
    })
}

/// The RGB of each of the 256 indices: the palette's entries, black past them
/// (Pillow's palette starts zeroed). Pillow refuses more than 256 entries.
fn palette_colours(bitmap: &Bitmap) -> Result<[[u8; 3]; 256], DecodeError> {
    let mut colours = [[0u8; 3]; 256];
    if bitmap.mode != Mode::Palette {
        return Ok(colours);
    }
    let entries = bitmap.palette.chunks_exact(bitmap.entry_size);
    if entries.len() > 256 {
        return Err(damaged(format!(
            "BMP palette of {} colours: Pillow refuses more than 256 (invalid palette size)",
            entries.len()
        )));
    }
    for (colour, entry) in colours.iter_mut().zip(entries) {
        *colour = [entry[2], entry[1], entry[0]];
    }
    Ok(colours)
}

/// Unpacks uncompressed rows as Pillow's raw decoder does.
fn raw_pixels(
    bytes: &[u8],
    bitmap: &Bitmap,
    raw: RawMode,
    file_stride: u64,
    colours: &[[u8; 3]; 256],
) -> Result<Vec<u8>, DecodeError> {
    let (width, height) = (bitmap.width as u64, bitmap.height as u64);
    let row_bytes = (width * raw.bits()).div_ceil(8);
    let file_length = bytes.len() as u64;
    // Pillow memory-maps files whose rows are bytes of the image's own mode
    // (8-bit `P`, and `L` whatever the bit count), reading rows at least a width
    // apart, when the whole padded image is in the file; otherwise its raw
    // decoder refuses a stride shorter than a row.
    let mut stride = file_stride;
    if matches!(raw, RawMode::Gray | RawMode::Indices(8)) {
        let mapped = file_stride.max(width);
        let end = height.saturating_mul(mapped).saturating_add(bitmap.offset);
        if end <= file_length {
            stride = mapped;
        }
    }
    if stride < row_bytes {
        return Err(unsupported(format!(
            "{}-bit BMP whose palette is the gray ramp 0, 1, 2...: Pillow reads its rows of \
             {row_bytes} bytes as 8-bit gray, and they do not fit in its {stride}-byte rows",
            bitmap.bits
        )));
    }
    // The last row needs no padding.
    let end = (height - 1)
        .saturating_mul(stride)
        .saturating_add(bitmap.offset)
        .saturating_add(row_bytes);
    if end > file_length {
        return Err(truncated(format!(
            "the BMP file ends inside its pixel data ({file_length} of {end} bytes)"
        )));
    }

    let channels = bitmap.mode.layout().channels();
    let row_samples = bitmap.width * channels;
    let mut pixels = vec![0u8; row_samples * bitmap.height];
    for (file_row, row) in (0..bitmap.height).zip(0u64..) {
        let start = (bitmap.offset + row * stride) as usize;
        let source = &bytes[start..start + row_bytes as usize];
        let y = if bitmap.top_down {
            file_row
        } else {
            bitmap.height - 1 - file_row
        };
        let target = &mut pixels[y * row_samples..(y + 1) * row_samples];
        unpack_row(raw, source, target, colours);
    }
    Ok(pixels)
}

/// Pillow's unpacker for `raw`, into `target` in the mode's layout (palette
/// indices looked up in `colours`).
fn unpack_row(raw: RawMode, source: &[u8], target: &mut [u8], colours: &[[u8; 3]; 256]) {
    match raw {
        RawMode::Bits => {
            for (x, sample) in target.iter_mut().enumerate() {
                let bit = (source[x / 8] >> (7 - x % 8)) & 1;
                *sample = if bit == 1 { 255 } else { 0 };
            }
        }
        RawMode::Gray => target.copy_from_slice(&source[..target.len()]),
        RawMode::Indices(bits) => {
            let per_byte = (8 / bits) as usize;
            for (x, rgb) in target.chunks_exact_mut(3).enumerate() {
                let shift = 8 - bits as usize * (x % per_byte + 1);
                let index = (source[x / per_byte] >> shift) & (0xFF >> (8 - bits));
                rgb.copy_from_slice(&colours[index as usize]);
            }
        }
        RawMode::Bgr15 | RawMode::Bgr16 => {
            let green_bits = if raw == RawMode::Bgr16 { 6 } else { 5 };
            let green_max = (1u32 << green_bits) - 1;
            for (rgb, word) in target.chunks_exact_mut(3).zip(source.chunks_exact(2)) {
                let word = u32::from(u16::from_le_bytes([word[0], word[1]]));
                let red = (word >> (5 + green_bits)) & 31;
                let green = (word >> 5) & green_max;
                let blue = word & 31;
                // Pillow scales by `v * 255 / max`, truncating.
                rgb.copy_from_slice(&[
                    (red * 255 / 31) as u8,
                    (green * 255 / green_max) as u8,
                    (blue * 255 / 31) as u8,
                ]);
            }
        }
        RawMode::Bytes(order) => {
            let channels = 3 + order.alpha.is_some() as usize;
            for (pixel, stored) in target
                .chunks_exact_mut(channels)
                .zip(source.chunks_exact(order.size))
            {
                pixel[0] = stored[order.red];
                pixel[1] = stored[order.green];
                pixel[2] = stored[order.blue];
                if let Some(alpha) = order.alpha {
                    pixel[3] = stored[alpha];
                }
            }
        }
    }
}

/// Decodes BI_RLE8 / BI_RLE4 as Pillow's `BmpRleDecoder`, quirks included: runs
/// are cut at the row's end but literal runs are not, skipped pixels are index
/// 0, literal runs are padded to an even position in the file, and data ending
/// before the image is full are refused.
fn rle_pixels(
    bytes: &[u8],
    bitmap: &Bitmap,
    rle4: bool,
    colours: &[[u8; 3]; 256],
) -> Result<Vec<u8>, DecodeError> {
    if bitmap.mode == Mode::Rgb {
        return Err(unsupported(format!(
            "RLE compression in a {}-bit BMP: Pillow reads RLE only for palette images",
            bitmap.bits
        )));
    }
    let indices = rle_indices(bytes, bitmap.offset, bitmap.width, bitmap.height, rle4)?;
    let channels = bitmap.mode.layout().channels();
    let row_samples = bitmap.width * channels;
    let mut pixels = vec![0u8; row_samples * bitmap.height];
    for (file_row, row) in indices.chunks_exact(bitmap.width).enumerate() {
        let y = if bitmap.top_down {
            file_row
        } else {
            bitmap.height - 1 - file_row
        };
        let target = &mut pixels[y * row_samples..(y + 1) * row_samples];
        match bitmap.mode {
            // Pillow's `L` unpacker for mode `1`: any index but 0 is white.
            Mode::Bilevel => {
                for (sample, &index) in target.iter_mut().zip(row) {
                    *sample = if index > 0 { 255 } else { 0 };
                }
            }
            Mode::Gray => target.copy_from_slice(row),
            _ => {
                for (rgb, &index) in target.chunks_exact_mut(3).zip(row) {
                    rgb.copy_from_slice(&colours[index as usize]);
                }
            }
        }
    }
    Ok(pixels)
}

/// The RLE stream at `offset` as `width * height` indices, rows in file order.
fn rle_indices(
    bytes: &[u8],
    offset: u64,
    width: usize,
    height: usize,
    rle4: bool,
) -> Result<Vec<u8>, DecodeError> {
    let wanted = width * height;
    let mut data: Vec<u8> = Vec::with_capacity(wanted);
    // Positions are the file's: literal runs are aligned on them.
    let mut position = offset;
    let mut x = 0usize;
    let mut file_ended = false;
    while data.len() < wanted {
        let &[count, value] = read_at(bytes, position, 2) else {
            file_ended = true;
            break;
        };
        position += 2;
        if count > 0 {
            // A run, cut at the row's end.
            let run = (count as usize).min(width.saturating_sub(x));
            if rle4 {
                let pair = [value >> 4, value & 0x0F];
                data.extend((0..run).map(|i| pair[i % 2]));
            } else {
                data.resize(data.len() + run, value);
            }
            x += run;
            continue;
        }
        match value {
            0 => {
                // End of line: the rest of the row is index 0.
                let row_end = data.len().next_multiple_of(width);
                data.resize(row_end, 0);
                x = 0;
            }
            1 => break, // End of bitmap.
            2 => {
                // Delta: skip right, then up rows, as index 0.
                let &[right, up] = read_at(bytes, position, 2) else {
                    file_ended = true;
                    break;
                };
                position += 2;
                let skipped = (right as usize + up as usize * width).min(wanted - data.len());
                data.resize(data.len() + skipped, 0);
                x = data.len() % width;
            }
            literal => {
                // Literal run: not cut at the row's end, only at the image's.
                let kept = (literal as usize).min(wanted - data.len());
                let byte_count = if rle4 { kept.div_ceil(2) } else { kept };
                let stored = read_at(bytes, position, byte_count as u64);
                position += stored.len() as u64;
                if rle4 {
                    for (i, &byte) in stored.iter().enumerate() {
                        data.push(byte >> 4);
                        if i * 2 + 1 < kept {
                            data.push(byte & 0x0F);
                        }
                    }
                } else {
                    data.extend_from_slice(stored);
                }
                if stored.len() < byte_count {
                    file_ended = true;
                    break;
                }
                if data.len() == wanted {
                    break;
                }
                x += literal as usize;
                position += position % 2;
            }
        }
    }
    if data.len() < wanted {
        return Err(if file_ended {
            truncated(format!(
                "the BMP file ends inside its RLE data ({} of {wanted} pixels)",
                data.len()
            ))
        } else {
            damaged(format!(
                "BMP RLE data end before the image does ({} of {wanted} pixels; Pillow: not \
                 enough image data)",
                data.len()
            ))
        });
    }
    // A run past the last row's end may overshoot; Pillow ignores the rest.
    data.truncate(wanted);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BMP with a 40-byte info header, `after` (masks or palette) after it.
    fn bmp(size: (i32, i32), bits: u16, compression: u32, colours: u32, after: &[u8]) -> Vec<u8> {
        bmp_with_header(40, size, bits, compression, colours, after)
    }

    /// A BMP whose info header declares `header_size` bytes: its first 40 are
    /// written here, the rest are the start of `after`.
    fn bmp_with_header(
        header_size: u32,
        size: (i32, i32),
        bits: u16,
        compression: u32,
        colours: u32,
        after: &[u8],
    ) -> Vec<u8> {
        let offset = 14 + 40 + after.len() as u32;
        let mut file = b"BM".to_vec();
        file.extend(0u32.to_le_bytes()); // file size, never read
        file.extend(0u32.to_le_bytes());
        file.extend(offset.to_le_bytes());
        file.extend(header_size.to_le_bytes());
        file.extend(size.0.to_le_bytes());
        file.extend(size.1.to_le_bytes());
        file.extend(1u16.to_le_bytes());
        file.extend(bits.to_le_bytes());
        file.extend(compression.to_le_bytes());
        file.extend([0; 12]); // data size, resolution
        file.extend(colours.to_le_bytes());
        file.extend([0; 4]);
        file.extend(after);
        file
    }

    fn words(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn halves(values: &[u16]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn sixteen_bit_channels_are_scaled_as_pillow_scales_them() {
        // 5-6-5 bitfields, bottom row first. 0x8A52 is red 17, green 18, blue 18:
        // 17 * 255 / 31 = 139, 18 * 255 / 63 = 72, 18 * 255 / 31 = 148 (Pillow's
        // values; replicating the top bits would give 140, 73, 148).
        let mut file = bmp((2, 2), 16, 3, 0, &words(&[0xF800, 0x07E0, 0x001F]));
        file.extend(halves(&[0xF800, 0x07E0, 0x001F, 0x8A52]));
        assert_eq!(header(&file).unwrap().mode, "RGB");
        let image = decode(&file, 100).unwrap();
        assert_eq!(
            (image.width, image.height, image.layout),
            (2, 2, Layout::Rgb)
        );
        assert_eq!(
            image.pixels,
            [0, 0, 255, 139, 72, 148, 255, 0, 0, 0, 255, 0]
        );

        // Uncompressed 16-bit is 5-5-5, the top bit ignored: 0x4631 is 17, 17, 17.
        let mut file = bmp((2, 2), 16, 0, 0, &[]);
        file.extend(halves(&[0x7C00, 0x03E0, 0x801F, 0x4631]));
        let image = decode(&file, 100).unwrap();
        assert_eq!(
            image.pixels,
            [0, 0, 255, 139, 139, 139, 255, 0, 0, 0, 255, 0]
        );
    }

    #[test]
    fn rle8_skipped_pixels_take_palette_entry_zero() {
        // Entry 0 is (10, 20, 30), 1 blue, 2 green, 3 red (stored blue first).
        let palette = [30, 20, 10, 0, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0];
        let mut file = bmp((4, 2), 8, 1, 4, &palette);
        // Bottom row: two of index 1, then a delta of 1 right and 1 up (5 pixels
        // skipped), one of index 3 at the top row's end, end of bitmap.
        file.extend([2, 1, 0, 2, 1, 1, 1, 3, 0, 1]);
        assert_eq!(header(&file).unwrap().mode, "P");
        let image = decode(&file, 100).unwrap();
        let (skipped, blue, red) = ([10, 20, 30], [0, 0, 255], [255, 0, 0]);
        let expected: Vec<u8> =
            [skipped, skipped, skipped, red, blue, blue, skipped, skipped].concat();
        assert_eq!(image.layout, Layout::Rgb);
        assert_eq!(image.pixels, expected);

        // Ending the bitmap before the image is full is refused, as Pillow does.
        let mut early = bmp((4, 2), 8, 1, 4, &palette);
        early.extend([2, 1, 0, 1]);
        assert_eq!(decode(&early, 100).unwrap_err().problem, Problem::Damaged);
        // And so is data cut short.
        let cut = &file[..file.len() - 4];
        assert_eq!(decode(cut, 100).unwrap_err().problem, Problem::Truncated);
    }

    #[test]
    fn gray_palettes_give_pillow_modes_1_and_l() {
        // Black then white: mode 1, a bit a pixel.
        let mut file = bmp((3, 1), 1, 0, 2, &[0, 0, 0, 0, 255, 255, 255, 0]);
        file.extend([0b1010_0000, 0, 0, 0]);
        assert_eq!(header(&file).unwrap().mode, "1");
        let image = decode(&file, 100).unwrap();
        assert_eq!((image.layout, image.pixels), (Layout::L, vec![255, 0, 255]));

        // The ramp 0, 1, 2: mode L, the index is the gray.
        let mut file = bmp((2, 1), 8, 0, 3, &[0, 0, 0, 0, 1, 1, 1, 0, 2, 2, 2, 0]);
        file.extend([2, 7, 0, 0]);
        assert_eq!(header(&file).unwrap().mode, "L");
        let image = decode(&file, 100).unwrap();
        assert_eq!((image.layout, image.pixels), (Layout::L, vec![2, 7]));
    }

    #[test]
    fn thirty_two_bit_masks_choose_rgb_or_rgba() {
        // A 40-byte header holds no alpha mask: taken as 0, so BGRX and RGB.
        // Top-down (negative height): the first row stored is the top one.
        let mut file = bmp((1, -2), 32, 3, 0, &words(&[0xFF_0000, 0xFF00, 0xFF]));
        file.extend([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(header(&file).unwrap().mode, "RGB");
        let image = decode(&file, 100).unwrap();
        assert_eq!(
            (image.layout, image.pixels),
            (Layout::Rgb, vec![3, 2, 1, 7, 6, 5])
        );

        // A 56-byte header with an alpha mask: BGRA, RGBA. Bottom-up.
        let masks = words(&[0xFF_0000, 0xFF00, 0xFF, 0xFF00_0000]);
        let mut file = bmp_with_header(56, (1, 2), 32, 3, 0, &masks);
        file.extend([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(header(&file).unwrap().mode, "RGBA");
        let image = decode(&file, 100).unwrap();
        assert_eq!(
            (image.layout, image.pixels),
            (Layout::Rgba, vec![7, 6, 5, 8, 3, 2, 1, 4])
        );
    }

    #[test]
    fn what_pillow_refuses_is_refused() {
        let problem = |file: &[u8]| decode(file, 100).unwrap_err().problem;
        // 4-4-4-4 masks.
        let mut file = bmp((1, 1), 16, 3, 0, &words(&[0xF00, 0xF0, 0xF]));
        file.extend([0; 4]);
        assert_eq!(problem(&file), Problem::Unsupported);
        // 2 bits a pixel.
        assert_eq!(
            problem(&bmp((1, 1), 2, 0, 0, &[0; 20])),
            Problem::Unsupported
        );
        // JPEG inside.
        assert_eq!(
            problem(&bmp((1, 1), 24, 4, 0, &[0; 4])),
            Problem::Unsupported
        );
        // 300 palette entries.
        let mut file = bmp((1, 1), 8, 0, 300, &[7; 1200]);
        file.extend([0; 4]);
        assert_eq!(problem(&file), Problem::Damaged);
        // Pixels cut short, and too many of them.
        assert_eq!(
            problem(&bmp((2, 2), 24, 0, 0, &[0; 10])),
            Problem::Truncated
        );
        assert_eq!(problem(&bmp((20, 20), 24, 0, 0, &[])), Problem::TooLarge);
        assert_eq!(problem(&bmp((0, 2), 24, 0, 0, &[])), Problem::Damaged);
    }
}
