//! 8-bit grayscale PNG encoding with a deflate coder made for the kernel's images.
//!
//! The images are mostly zero (padding and denoised background) with glyph pixels
//! of nearly every value, so the coder only codes literals and runs of zeros (a
//! literal 0, then copies at distance 1), with one Huffman code fixed in advance:
//! `png_code.rs`, made by `scripts/png_code_lengths.py` from the output of
//! `pixelprep synth --rows 3000 --seed 2026` (a seed no benchmark uses). It
//! replaced fdeflate (the `png` crate's fast mode): on the synthetic glyphs the
//! files are 15% smaller (2.12 KB against 2.49 KB) and encoding takes about as
//! long. Any image can be coded: every symbol has a code, and noise that would
//! grow is stored instead.
//! No PNG filter: the kernel's images are mostly zero runs, which cost nearly
//! nothing unfiltered; Paeth filtering made files 1% smaller for 30% more time.
//! The archive stores PNGs uncompressed, so file size is the user's only cost.

use std::cell::RefCell;

// Generated: kept as the script writes it.
#[rustfmt::skip]
#[path = "png_code.rs"]
mod code;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
/// PNG filter type 0 (None), written before every row.
const NO_FILTER: u8 = 0;
/// zlib header: deflate, 32 KB window, no dictionary, "fastest" level.
const ZLIB_HEADER: [u8; 2] = [0x78, 0x01];
const END_OF_BLOCK: usize = 256;
const MIN_COPY: usize = 3;
const MAX_COPY: usize = 258;
/// Zero runs up to this long are one table entry: a literal 0 and one copy.
const TABLE_RUN: usize = MAX_COPY + 1;

const LENGTH_BASE: [usize; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// A code to write least significant bit first, and its length in bits.
#[derive(Clone, Copy)]
struct Bits {
    value: u32,
    count: u32,
}

/// Canonical Huffman codes for `code::LENGTHS` (RFC 1951 3.2.2), bit-reversed
/// so they can be written least significant bit first.
const CODES: [Bits; 286] = {
    let lengths = code::LENGTHS;
    let mut per_length = [0u32; 16];
    let mut s = 0;
    while s < lengths.len() {
        per_length[lengths[s] as usize] += 1;
        s += 1;
    }
    per_length[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0u32;
    let mut bits = 1;
    while bits < 16 {
        code = (code + per_length[bits - 1]) << 1;
        next[bits] = code;
        bits += 1;
    }
    let mut codes = [Bits { value: 0, count: 0 }; 286];
    let mut s = 0;
    while s < lengths.len() {
        let length = lengths[s] as u32;
        assert!(length > 0 && length <= 15, "every symbol needs a code");
        let value = next[length as usize];
        next[length as usize] += 1;
        codes[s] = Bits {
            value: (value as u16).reverse_bits() as u32 >> (16 - length),
            count: length,
        };
        s += 1;
    }
    codes
};

/// A copy of `length` (3..=258) at distance 1: length symbol, extra bits, and
/// distance code 0, whose 1-bit code is 0.
const fn copy_bits(length: usize) -> Bits {
    let mut k = LENGTH_BASE.len() - 1;
    while LENGTH_BASE[k] > length {
        k -= 1;
    }
    let symbol = CODES[257 + k];
    let extra = (length - LENGTH_BASE[k]) as u32;
    Bits {
        value: symbol.value | extra << symbol.count,
        count: symbol.count + LENGTH_EXTRA[k] + 1,
    }
}

/// Copies of every length, indexed by length (0..=2 unused).
const COPIES: [Bits; MAX_COPY + 1] = {
    let mut copies = [Bits { value: 0, count: 0 }; MAX_COPY + 1];
    let mut length = MIN_COPY;
    while length <= MAX_COPY {
        copies[length] = copy_bits(length);
        length += 1;
    }
    copies
};

/// Zero runs of 1..=TABLE_RUN bytes, indexed by length: up to 3 literal zeros,
/// or a literal 0 and one copy of the rest. Each fits one 32-bit write (checked
/// when compiling).
const ZERO_RUNS: [Bits; TABLE_RUN + 1] = {
    let zero = CODES[0];
    let mut runs = [Bits { value: 0, count: 0 }; TABLE_RUN + 1];
    let mut run = 1;
    while run <= TABLE_RUN {
        runs[run] = if run <= MIN_COPY {
            let mut bits = Bits { value: 0, count: 0 };
            let mut k = 0;
            while k < run {
                bits.value |= zero.value << bits.count;
                bits.count += zero.count;
                k += 1;
            }
            bits
        } else {
            let copy = COPIES[run - 1];
            Bits {
                value: zero.value | copy.value << zero.count,
                count: zero.count + copy.count,
            }
        };
        assert!(runs[run].count <= 32, "a table run must fit one write");
        run += 1;
    }
    runs
};

/// Bits to bytes without branches: every `put` stores 8 bytes and keeps the
/// partial byte, so the buffer needs 8 bytes of slack.
struct BitWriter<'a> {
    out: &'a mut [u8],
    pos: usize,
    pending: u64,
    count: u32,
}

impl BitWriter<'_> {
    /// At most 56 bits at a time (`pending` holds at most 7 before), with
    /// nothing set above `count`.
    #[inline(always)]
    fn put(&mut self, value: u64, count: u32) {
        self.pending |= value << self.count;
        self.count += count;
        self.out[self.pos..self.pos + 8].copy_from_slice(&self.pending.to_le_bytes());
        let whole = self.count / 8;
        self.pos += whole as usize;
        // `count` is at most 7 + 56 here, so the shift is below 64.
        self.pending >>= whole * 8;
        self.count -= whole * 8;
    }

    #[inline(always)]
    fn put_code(&mut self, bits: Bits) {
        self.put(bits.value as u64, bits.count);
    }

    /// Writes the partial byte and returns the number of bytes written.
    fn finish(self) -> usize {
        self.pos + (self.count > 0) as usize
    }
}

/// A zero run of any length: one table entry, or for long runs a literal 0 and
/// copies. Run 0 is an entry of no bits.
#[inline(always)]
fn put_zero_run(writer: &mut BitWriter, run: usize) {
    if run <= TABLE_RUN {
        return writer.put_code(ZERO_RUNS[run]);
    }
    writer.put_code(CODES[0]);
    let mut left = run - 1;
    while left > MAX_COPY {
        // Never leave fewer than 3 for the last copy.
        let part = if left - MAX_COPY >= MIN_COPY {
            MAX_COPY
        } else {
            left - MIN_COPY
        };
        writer.put_code(COPIES[part]);
        left -= part;
    }
    writer.put_code(COPIES[left]);
}

/// Longest literal code: four fit one 48-bit `put`.
const MAX_LITERAL_BITS: u32 = 12;
const _: () = {
    let mut s = 0;
    while s < 256 {
        assert!(
            CODES[s].count <= MAX_LITERAL_BITS,
            "literal codes must fit 12 bits"
        );
        s += 1;
    }
};

/// The codes of four literals joined, first in the lowest bits, and their length.
#[inline(always)]
fn join4(bytes: &[u8]) -> (u64, u32) {
    let mut joined = 0u64;
    let mut bits = 0;
    for &byte in bytes {
        let code = CODES[byte as usize];
        joined |= (code.value as u64) << bits;
        bits += code.count;
    }
    (joined, bits)
}

/// The lowest `bits` (below 64) set.
#[inline(always)]
fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

/// The deflate block of `data` (without zlib framing) into `out`, which must hold
/// `deflate_bound(data.len())` bytes. Returns the bytes written.
///
/// Eight bytes at a time: a zero word extends the zero run; otherwise its leading
/// zeros end the run, its trailing zeros start the next, and the bytes between
/// are literals (zeros too). Those are coded without branches: the codes of each
/// half-word are joined, then the codes of the leading and trailing zeros cut
/// off. (Joining all eight in 128 bits took 70% longer: 128-bit shifts are slow.)
fn deflate_block(data: &[u8], out: &mut [u8]) -> usize {
    let mut writer = BitWriter {
        out,
        pos: 0,
        pending: 0,
        count: 0,
    };
    // The whole bytes of the header go in as they are; the writer starts empty.
    writer.pos = code::HEADER_BITS as usize / 8;
    writer.out[..writer.pos].copy_from_slice(&code::HEADER[..writer.pos]);
    if !code::HEADER_BITS.is_multiple_of(8) {
        let last = code::HEADER[code::HEADER_BITS as usize / 8];
        writer.put(last as u64, code::HEADER_BITS % 8);
    }
    let zero_bits = CODES[0].count;
    let mut run = 0;
    let mut words = data.chunks_exact(8);
    for bytes in &mut words {
        let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        if word == 0 {
            run += 8;
            continue;
        }
        let lead = word.trailing_zeros() / 8;
        let trail = word.leading_zeros() / 8;
        put_zero_run(&mut writer, run + lead as usize);
        // Two halves of four codes, each at most 48 bits: no 128-bit shifts. The
        // leading zeros are cut from the bottom of the halves, the trailing ones
        // from the top; only a half that is all zeros loses more than its share.
        let (low, low_bits) = join4(&bytes[..4]);
        let (high, high_bits) = join4(&bytes[4..]);
        let lead_low = lead.min(4);
        let trail_high = trail.min(4);
        let (lead_high, trail_low) = (lead - lead_low, trail - trail_high);
        let low_kept = low_bits - (lead_low + trail_low) * zero_bits;
        let high_kept = high_bits - (lead_high + trail_high) * zero_bits;
        writer.put((low >> (lead_low * zero_bits)) & mask(low_kept), low_kept);
        writer.put(
            (high >> (lead_high * zero_bits)) & mask(high_kept),
            high_kept,
        );
        run = trail as usize;
    }
    for &byte in words.remainder() {
        if byte == 0 {
            run += 1;
        } else {
            put_zero_run(&mut writer, run);
            run = 0;
            writer.put_code(CODES[byte as usize]);
        }
    }
    put_zero_run(&mut writer, run);
    writer.put_code(CODES[END_OF_BLOCK]);
    writer.finish()
}

/// Bytes `deflate_block` may need: the header, at most 15 bits per input byte
/// (a literal; runs cost less per byte), the end of block and slack for the
/// 8-byte writes.
fn deflate_bound(len: usize) -> usize {
    code::HEADER.len() + len * 15 / 8 + 16
}

thread_local! {
    /// Scanlines and deflate output, reused: allocating them cost more than coding.
    static SCRATCH: RefCell<(Vec<u8>, Vec<u8>)> = RefCell::default();
}

/// Encodes a `width x height` grayscale image.
pub fn encode_png(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    assert!(width > 0 && height > 0, "PNG images are never empty");
    assert_eq!(
        pixels.len(),
        width * height,
        "pixel buffer does not match its size"
    );
    let (w, h) = (
        u32::try_from(width).expect("PNG width fits u32"),
        u32::try_from(height).expect("PNG height fits u32"),
    );
    SCRATCH.with_borrow_mut(|(scanlines, deflated)| {
        // The scanlines as PNG defines them: a filter byte, then the row.
        scanlines.clear();
        for row in pixels.chunks_exact(width) {
            scanlines.push(NO_FILTER);
            scanlines.extend_from_slice(row);
        }
        let bound = deflate_bound(scanlines.len());
        if deflated.len() < bound {
            deflated.resize(bound, 0);
        }
        let block = deflate_block(scanlines, deflated);

        let mut out = Vec::with_capacity(64 + block.min(scanlines.len() + 64));
        out.extend_from_slice(&SIGNATURE);
        let mut header = [0u8; 13];
        header[..4].copy_from_slice(&w.to_be_bytes());
        header[4..8].copy_from_slice(&h.to_be_bytes());
        // Bit depth 8, colour type 0 (grayscale), deflate, adaptive filtering, no interlace.
        header[8..].copy_from_slice(&[8, 0, 0, 0, 0]);
        write_chunk(&mut out, b"IHDR", |out| out.extend_from_slice(&header));
        write_chunk(&mut out, b"IDAT", |out| {
            out.extend_from_slice(&ZLIB_HEADER);
            if block <= stored_size(scanlines.len()) {
                out.extend_from_slice(&deflated[..block]);
            } else {
                // Noise would grow: store it.
                write_stored(scanlines, out);
            }
            let mut adler = simd_adler32::Adler32::new();
            adler.write(scanlines);
            out.extend_from_slice(&adler.finish().to_be_bytes());
        });
        write_chunk(&mut out, b"IEND", |_| {});
        out
    })
}

/// Size of `len` bytes (never 0: a PNG has a scanline) as stored deflate blocks
/// of at most 65,535 bytes each.
fn stored_size(len: usize) -> usize {
    len + 5 * len.div_ceil(u16::MAX as usize)
}

/// `data` (never empty) as stored deflate blocks, the last one final.
fn write_stored(data: &[u8], out: &mut Vec<u8>) {
    let mut blocks = data.chunks(u16::MAX as usize).peekable();
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        out.push(blocks.peek().is_none() as u8);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
}

/// Appends one chunk: length, type, the data `fill` appends, and the CRC of type and data.
fn write_chunk(out: &mut Vec<u8>, kind: &[u8; 4], fill: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    fill(out);
    let length = u32::try_from(out.len() - start - 8).expect("a PNG chunk fits u32");
    out[start..start + 4].copy_from_slice(&length.to_be_bytes());
    let crc = crc32fast::hash(&out[start + 4..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Decodes an 8-bit grayscale PNG into (width, height, pixels), for checking
/// outputs against golden images; `None` if it is not such a PNG.
pub fn decode_gray_png(bytes: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
    match decode_png_8bit(bytes)? {
        (width, height, 1, pixels) => Some((width, height, pixels)),
        _ => None,
    }
}

/// Encodes a photograph-like `width x height` image of 1 (gray) or 3 (RGB)
/// channels with the `png` crate's fast deflate and filtering: the kernel's coder
/// above is made for mostly-zero glyphs and would store photographs.
pub fn encode_png_photo(pixels: &[u8], width: usize, height: usize, channels: usize) -> Vec<u8> {
    assert_eq!(
        pixels.len(),
        width * height * channels,
        "pixels match the size"
    );
    let color = match channels {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        _ => panic!("{channels} channels: PNG outputs are gray or RGB"),
    };
    let mut out = Vec::with_capacity(pixels.len() / 2 + 64);
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().expect("writing a PNG to memory");
    writer
        .write_image_data(pixels)
        .expect("writing a PNG to memory");
    writer.finish().expect("writing a PNG to memory");
    out
}

/// Decodes an 8-bit gray or RGB PNG into (width, height, channels, pixels), for
/// checking outputs; `None` if it is not such a PNG.
pub fn decode_png_8bit(bytes: &[u8]) -> Option<(usize, usize, usize, Vec<u8>)> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().ok()?;
    let info = reader.info();
    let channels = match (info.color_type, info.bit_depth) {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => 1,
        (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
        _ => return None,
    };
    let (width, height) = (info.width as usize, info.height as usize);
    let mut pixels = vec![0; reader.output_buffer_size()?];
    reader.next_frame(&mut pixels).ok()?;
    pixels.truncate(width * height * channels);
    Some((width, height, channels, pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_pixels() {
        let pixels: Vec<u8> = (0..128 * 128).map(|i| (i * 7 % 251) as u8).collect();
        let png = encode_png(&pixels, 128, 128);
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(decode_gray_png(&png), Some((128, 128, pixels)));
    }

    #[test]
    fn noise_round_trips_through_stored_blocks() {
        // Incompressible: coding would expand it, so stored blocks are used.
        let mut rng = fastrand::Rng::with_seed(3);
        let pixels: Vec<u8> = (0..128 * 128).map(|_| rng.u8(..)).collect();
        let png = encode_png(&pixels, 128, 128);
        assert!(png.len() < pixels.len() + 128 + 100, "{} bytes", png.len());
        assert_eq!(decode_gray_png(&png), Some((128, 128, pixels)));
    }

    #[test]
    fn mostly_zero_glyph_compresses_and_round_trips() {
        let mut pixels = vec![0u8; 128 * 128];
        for y in 40..90 {
            for x in 30..100 {
                pixels[y * 128 + x] = ((x * y) % 251) as u8;
            }
        }
        let png = encode_png(&pixels, 128, 128);
        assert!(png.len() < 128 * 128 / 2, "{} bytes", png.len());
        assert_eq!(decode_gray_png(&png), Some((128, 128, pixels)));
    }

    #[test]
    fn every_literal_and_run_length_round_trips() {
        // Each value 1..=255 as a literal, then zero runs of every length up to
        // past two maximal copies, at every offset within an 8-byte word.
        let mut pixels = Vec::new();
        for v in 1..=255u8 {
            pixels.push(v);
            pixels.extend(std::iter::repeat_n(0, v as usize % 7));
        }
        for run in 1..=600 {
            pixels.extend(std::iter::repeat_n(0, run));
            pixels.push((run % 255) as u8 + 1);
        }
        // Widths that are not multiples of 8 move the filter bytes around.
        for width in [1, 7, 8, 13, 128, 999] {
            let mut image = pixels.clone();
            image.resize(image.len().div_ceil(width) * width, 0);
            let height = image.len() / width;
            let png = encode_png(&image, width, height);
            assert_eq!(
                decode_gray_png(&png),
                Some((width, height, image)),
                "width {width}"
            );
        }
    }

    #[test]
    fn random_sparse_images_round_trip_at_any_density() {
        let mut rng = fastrand::Rng::with_seed(5);
        for density in [0u8, 1, 10, 60, 128, 200, 250, 255] {
            let (width, height) = (rng.usize(1..200), rng.usize(1..200));
            let image: Vec<u8> = (0..width * height)
                .map(|_| if rng.u8(..) < density { rng.u8(..) } else { 0 })
                .collect();
            let png = encode_png(&image, width, height);
            assert_eq!(
                decode_gray_png(&png),
                Some((width, height, image)),
                "{width}x{height}, density {density}"
            );
        }
    }

    #[test]
    fn all_zero_image_is_tiny() {
        let png = encode_png(&[0; 128 * 128], 128, 128);
        assert!(png.len() < 200, "{} bytes", png.len());
        assert_eq!(decode_gray_png(&png), Some((128, 128, vec![0; 128 * 128])));
    }

    #[test]
    fn non_square_round_trip() {
        let pixels: Vec<u8> = (0..3 * 5).map(|i| i as u8 * 17).collect();
        let png = encode_png(&pixels, 5, 3);
        assert_eq!(decode_gray_png(&png), Some((5, 3, pixels)));
    }
}
