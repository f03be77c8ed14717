//! The fast path for dictionary-encoded integer pixel columns, the layout of every
//! file pandas/pyarrow writes: a dictionary page of at most 256 distinct values, then
//! data pages of RLE/bit-packed indices. A column is prepared (levels checked,
//! dictionary turned into a 256-entry table, the index pages kept: as slices of the
//! file where snappy stored them uncompressed, else decompressed) and
//! then read run by run through a [`ColumnCursor`], indices unpacked and mapped
//! straight into the column's `u8` output. Anything else (plain pages, wider
//! indices, old level encodings) is reported as `Unsupported` and read the general way.

use std::ops::Range;

use bytes::Bytes;
use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageReader};
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

use super::columns::PixelFault;
use super::zstd_context;
use crate::lookup;

#[derive(Debug)]
pub enum DictionaryDecodeError {
    /// Not a layout this path handles; nothing is wrong with the data.
    Unsupported,
    Fault(PixelFault),
}

impl From<PixelFault> for DictionaryDecodeError {
    fn from(f: PixelFault) -> Self {
        DictionaryDecodeError::Fault(f)
    }
}

impl From<ParquetError> for DictionaryDecodeError {
    fn from(e: ParquetError) -> Self {
        DictionaryDecodeError::Fault(PixelFault::Parquet(e))
    }
}

fn eof(what: &str) -> DictionaryDecodeError {
    DictionaryDecodeError::Fault(eof_fault(what))
}

fn eof_fault(what: &str) -> PixelFault {
    PixelFault::Parquet(ParquetError::EOF(format!("truncated {what}")))
}

/// The dictionary as a lookup table: `values[i]` is entry `i` as a pixel, and
/// `bad[i]` is set where entry `i` is missing or not a valid pixel.
struct Dictionary {
    values: [u8; 256],
    bad: [bool; 256],
    raw: Vec<i64>,
    /// Every entry is a valid pixel: only indices past the end can be bad.
    clean: bool,
}

impl Dictionary {
    fn empty() -> Self {
        Dictionary {
            values: [0; 256],
            bad: [true; 256],
            raw: Vec::new(),
            clean: true,
        }
    }

    fn parse(
        buf: &[u8],
        count: usize,
        physical: PhysicalType,
    ) -> Result<Self, DictionaryDecodeError> {
        let width = match physical {
            PhysicalType::INT32 => 4,
            PhysicalType::INT64 => 8,
            _ => return Err(DictionaryDecodeError::Unsupported),
        };
        if count > 256 {
            // Some entry is not 0..255; the general path finds the row that uses it.
            return Err(DictionaryDecodeError::Unsupported);
        }
        if buf.len() < count * width {
            return Err(eof("dictionary page"));
        }
        let mut dict = Dictionary {
            raw: Vec::with_capacity(count),
            ..Dictionary::empty()
        };
        for (i, bytes) in buf.chunks_exact(width).take(count).enumerate() {
            let value = if width == 4 {
                i32::from_le_bytes(bytes.try_into().unwrap()) as i64
            } else {
                i64::from_le_bytes(bytes.try_into().unwrap())
            };
            dict.raw.push(value);
            if let Ok(pixel) = u8::try_from(value) {
                dict.values[i] = pixel;
                dict.bad[i] = false;
            } else {
                dict.clean = false;
            }
        }
        Ok(dict)
    }

    /// The first bad index among `indices` (whose first is at `first_row`), as a fault.
    /// Off the common path: a clean dictionary's indices are checked by the lookup
    /// ([`lookup::map_max`]), and come here only when one is bad.
    fn check(&self, indices: &[u8], first_row: usize) -> Result<(), PixelFault> {
        match indices.iter().position(|&i| self.bad[i as usize]) {
            None => Ok(()),
            Some(offset) => Err(self.fault(indices[offset], first_row + offset)),
        }
    }

    /// Writes the pixel of each index in `indices` to `out`, after checking them.
    fn map_into(&self, indices: &[u8], out: &mut [u8], first_row: usize) -> Result<(), PixelFault> {
        // The common case checks the largest index while mapping, in one pass.
        if self.clean && (lookup::map_max(&self.values, indices, out) as usize) < self.raw.len() {
            return Ok(());
        }
        self.check(indices, first_row)?;
        lookup::map(&self.values, indices, out);
        Ok(())
    }

    /// Maps `indices` in place when the dictionary is clean and every index is in it,
    /// checking while mapping; false leaves `indices` unusable, to be read again and
    /// given to [`Dictionary::map_in_place_checked`], which finds the bad one.
    fn map_in_place_if_valid(&self, indices: &mut [u8]) -> bool {
        self.clean && (lookup::map_in_place_max(&self.values, indices) as usize) < self.raw.len()
    }

    fn map_in_place_checked(&self, indices: &mut [u8], first_row: usize) -> Result<(), PixelFault> {
        self.check(indices, first_row)?;
        lookup::map_in_place(&self.values, indices);
        Ok(())
    }

    fn fault(&self, index: u8, row: usize) -> PixelFault {
        match self.raw.get(index as usize) {
            Some(&value) => PixelFault::OutOfRange { row, value },
            None => PixelFault::Parquet(ParquetError::General(format!(
                "dictionary index {index} at row {row} is past the dictionary's {} entries",
                self.raw.len()
            ))),
        }
    }
}

/// Dictionary indices of one data page, still RLE/bit-packed.
struct IndexPage {
    data: Bytes,
    /// Offset of the first run header, after the levels and the bit-width byte.
    start: usize,
    width: u8,
    values: usize,
}

/// One dictionary-encoded pixel column of a row group, checked and ready to be
/// read in steps: its pages stay compressed only by the RLE/bit-packing.
pub struct DictionaryColumn {
    dictionary: Dictionary,
    pages: Vec<IndexPage>,
}

impl DictionaryColumn {
    /// A cursor at the column's first row.
    pub fn cursor(&self) -> ColumnCursor<'_> {
        let first = self.pages.first();
        ColumnCursor {
            column: self,
            data: first.map_or(&[], |p| &p.data[..]),
            width: first.map_or(0, |p| p.width),
            page: 0,
            pos: first.map_or(0, |p| p.start),
            page_left: first.map_or(0, |p| p.values),
            run: Run::Between,
            row: 0,
        }
    }
}

/// Checks the pages of a dictionary-encoded column chunk of `rows` rows and keeps
/// what reading it needs. Nulls are found here; bad indices when the rows are read.
///
/// With `raw`, the pages come as stored, compressed with that codec, and are
/// decompressed here: snappy's uncompressible ones sliced rather than copied,
/// zstd's with this thread's reused context.
pub fn prepare_dictionary_column(
    mut pages: Box<dyn PageReader>,
    descr: &ColumnDescPtr,
    rows: usize,
    raw: Option<RawCodec>,
) -> Result<DictionaryColumn, DictionaryDecodeError> {
    let unsnappy_if_raw = |buf: Bytes| match raw {
        Some(RawCodec::Snappy) => unsnappy(buf),
        Some(RawCodec::Zstd) => unzstd(buf),
        None => Ok(buf),
    };
    if descr.max_rep_level() != 0 || descr.max_def_level() > 1 {
        return Err(DictionaryDecodeError::Unsupported);
    }
    let nullable = descr.max_def_level() == 1;
    let mut dictionary: Option<Dictionary> = None;
    let mut index_pages = Vec::new();
    let mut row = 0usize;
    while let Some(page) = pages.get_next_page()? {
        let (buf, num_values, values_at) = match page {
            Page::DictionaryPage {
                buf, num_values, ..
            } => {
                if dictionary.is_some() {
                    return Err(DictionaryDecodeError::Unsupported);
                }
                let buf = unsnappy_if_raw(buf)?;
                dictionary = Some(Dictionary::parse(
                    &buf,
                    num_values as usize,
                    descr.physical_type(),
                )?);
                continue;
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                if dictionary.is_none()
                    || !is_dictionary_encoding(encoding)
                    || (nullable && def_level_encoding != Encoding::RLE)
                {
                    return Err(DictionaryDecodeError::Unsupported);
                }
                // A v1 page compresses its levels with its values.
                let buf = unsnappy_if_raw(buf)?;
                let mut values_at = 0;
                if nullable {
                    // v1 pages prefix the levels with their byte length.
                    let len_bytes: [u8; 4] = buf
                        .get(..4)
                        .ok_or_else(|| eof("definition levels"))?
                        .try_into()
                        .unwrap();
                    let len = u32::from_le_bytes(len_bytes) as usize;
                    let levels = buf
                        .get(4..4 + len)
                        .ok_or_else(|| eof("definition levels"))?;
                    check_all_defined(levels, num_values as usize, row)?;
                    values_at = 4 + len;
                }
                (buf, num_values, values_at)
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                num_nulls,
                def_levels_byte_len,
                rep_levels_byte_len,
                is_compressed,
                ..
            } => {
                if dictionary.is_none()
                    || !is_dictionary_encoding(encoding)
                    || rep_levels_byte_len != 0
                {
                    return Err(DictionaryDecodeError::Unsupported);
                }
                let levels_len = def_levels_byte_len as usize;
                let levels = buf
                    .get(..levels_len)
                    .ok_or_else(|| eof("definition levels"))?;
                if num_nulls > 0 || nullable {
                    check_all_defined(levels, num_values as usize, row)?;
                }
                // A v2 page keeps its levels uncompressed, before the values.
                let values = buf.slice(levels_len..);
                let values = if is_compressed {
                    unsnappy_if_raw(values)?
                } else {
                    values
                };
                (values, num_values, 0)
            }
        };
        let width = *buf.get(values_at).ok_or_else(|| eof("data page"))?;
        if width > 8 {
            return Err(DictionaryDecodeError::Unsupported);
        }
        index_pages.push(IndexPage {
            data: buf,
            start: values_at + 1,
            width,
            values: num_values as usize,
        });
        row += num_values as usize;
    }
    if row != rows {
        return Err(DictionaryDecodeError::Fault(PixelFault::Parquet(
            ParquetError::EOF(format!("column has {row} values for {rows} rows")),
        )));
    }
    Ok(DictionaryColumn {
        // No data page needs no dictionary: an empty one will do.
        dictionary: dictionary.unwrap_or_else(Dictionary::empty),
        pages: index_pages,
    })
}

/// The contents of a snappy stream. A page of noisy pixels barely compresses, and
/// snappy then stores it as one literal: that is sliced out of the file's bytes
/// instead of copied. Anything else is decompressed.
/// The codecs whose pages this module decompresses itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawCodec {
    Snappy,
    Zstd,
}

/// Largest page this reads: a damaged frame header must not make it allocate
/// whatever it claims.
const MAX_PAGE_BYTES: u64 = 1 << 31;

fn page_fault(message: String) -> DictionaryDecodeError {
    DictionaryDecodeError::Fault(PixelFault::Parquet(ParquetError::General(message)))
}

/// A zstd-compressed page, decompressed with this thread's context into a buffer
/// of the size its frame header gives (parquet writers record it).
fn unzstd(frame: Bytes) -> Result<Bytes, DictionaryDecodeError> {
    let size = match zstd::zstd_safe::get_frame_content_size(&frame) {
        Ok(Some(size)) if size <= MAX_PAGE_BYTES => size as usize,
        Ok(Some(size)) => {
            return Err(page_fault(format!(
                "zstd-compressed page claims {size} bytes"
            )))
        }
        // No size in the header, or not one frame: the streaming decoder.
        _ => {
            return zstd::stream::decode_all(&frame[..])
                .map(Bytes::from)
                .map_err(|e| page_fault(format!("zstd-compressed page: {e}")))
        }
    };
    let mut out = Vec::with_capacity(size);
    zstd_context::decompress_into(&frame, &mut out)
        .map_err(|e| page_fault(format!("zstd-compressed page: {e}")))?;
    if out.len() != size {
        return Err(page_fault(format!(
            "zstd-compressed page holds {} bytes, not the {size} its header says",
            out.len()
        )));
    }
    Ok(Bytes::from(out))
}

fn unsnappy(stream: Bytes) -> Result<Bytes, DictionaryDecodeError> {
    if let Some(contents) = single_literal(&stream) {
        return Ok(stream.slice(contents));
    }
    snap::raw::Decoder::new()
        .decompress_vec(&stream)
        .map(Bytes::from)
        .map_err(|e| {
            DictionaryDecodeError::Fault(PixelFault::Parquet(ParquetError::General(format!(
                "snappy-compressed page: {e}"
            ))))
        })
}

/// Where the contents are when a snappy stream is its length and then a single
/// literal holding exactly that many bytes.
fn single_literal(stream: &[u8]) -> Option<Range<usize>> {
    let mut pos = 0;
    let len = read_uleb128(stream, &mut pos).ok()?;
    let tag = *stream.get(pos)?;
    pos += 1;
    if tag & 0b11 != 0 {
        return None; // a copy, not a literal
    }
    let code = (tag >> 2) as usize;
    let literal = if code < 60 {
        code + 1
    } else {
        // The length minus one follows the tag in `code - 59` little-endian bytes.
        let bytes = stream.get(pos..pos + (code - 59))?;
        pos += bytes.len();
        bytes.iter().rev().fold(0usize, |n, &b| n << 8 | b as usize) + 1
    };
    (literal as u64 == len && pos + literal == stream.len()).then_some(pos..stream.len())
}

fn is_dictionary_encoding(encoding: Encoding) -> bool {
    matches!(
        encoding,
        Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY
    )
}

/// Where a cursor is inside the current page's RLE/bit-packed runs.
#[derive(Debug, Clone, Copy)]
enum Run {
    /// At a run header (or at the end of a page).
    Between,
    /// `left` more copies of dictionary index `index`.
    Repeated { index: u8, left: usize },
    /// A bit-packed run starting at byte `at`; `next` is the next value's number in it.
    Packed { at: usize, next: usize, left: usize },
}

/// Reads a [`DictionaryColumn`] in order, any number of rows at a time.
pub struct ColumnCursor<'a> {
    column: &'a DictionaryColumn,
    /// The current page's bytes and bit width.
    data: &'a [u8],
    width: u8,
    page: usize,
    /// Offset of the next run header in the current page.
    pos: usize,
    /// Values of the current page not yet read.
    page_left: usize,
    run: Run,
    /// The row group row of the next value.
    row: usize,
}

impl<'a> ColumnCursor<'a> {
    /// Reads the next `out.len()` pixels; a fault names its row group row.
    pub fn read(&mut self, out: &mut [u8]) -> Result<(), PixelFault> {
        let column = self.column;
        let dictionary = &column.dictionary;
        let mut done = 0;
        while done < out.len() {
            let wanted = out.len() - done;
            let taken = match self.run {
                Run::Between => {
                    self.next_run(&column.pages)?;
                    continue;
                }
                Run::Repeated { index, left } => {
                    let n = left.min(wanted);
                    if dictionary.bad[index as usize] {
                        return Err(dictionary.fault(index, self.row));
                    }
                    out[done..done + n].fill(dictionary.values[index as usize]);
                    self.run = if n == left {
                        Run::Between
                    } else {
                        Run::Repeated {
                            index,
                            left: left - n,
                        }
                    };
                    n
                }
                Run::Packed { at, next, left } => {
                    let n = left.min(wanted);
                    let target = &mut out[done..done + n];
                    if self.width == 8 {
                        let indices = &self.data[at + next..at + next + n];
                        dictionary.map_into(indices, target, self.row)?;
                    } else {
                        unpack_from(self.data, at, next, self.width, target);
                        if !dictionary.map_in_place_if_valid(target) {
                            unpack_from(self.data, at, next, self.width, target);
                            dictionary.map_in_place_checked(target, self.row)?;
                        }
                    }
                    self.run = if n == left {
                        Run::Between
                    } else {
                        Run::Packed {
                            at,
                            next: next + n,
                            left: left - n,
                        }
                    };
                    n
                }
            };
            done += taken;
            self.row += taken;
            self.page_left -= taken;
        }
        Ok(())
    }

    /// Reads the next run header, moving to the next page when this one is used up.
    fn next_run(&mut self, pages: &'a [IndexPage]) -> Result<(), PixelFault> {
        while self.page_left == 0 {
            self.page += 1;
            let page = pages
                .get(self.page)
                .ok_or_else(|| eof_fault("column: fewer values than rows"))?;
            self.pos = page.start;
            self.page_left = page.values;
            self.data = &page.data;
            self.width = page.width;
        }
        let data = self.data;
        let width = self.width as usize;
        let header = read_uleb128(data, &mut self.pos)?;
        let count = (header >> 1) as usize;
        if header & 1 == 0 {
            let index = if width == 0 {
                0
            } else {
                *data.get(self.pos).ok_or_else(|| eof_fault("RLE run"))?
            };
            self.pos += width.div_ceil(8);
            if count == 0 {
                return Err(PixelFault::Parquet(ParquetError::General(
                    "empty RLE run".into(),
                )));
            }
            self.run = Run::Repeated {
                index,
                left: count.min(self.page_left),
            };
        } else {
            let end = count
                .checked_mul(width)
                .and_then(|bytes| self.pos.checked_add(bytes))
                .filter(|&end| end <= data.len())
                .ok_or_else(|| eof_fault("bit-packed run"))?;
            if count == 0 {
                return Err(PixelFault::Parquet(ParquetError::General(
                    "empty bit-packed run".into(),
                )));
            }
            self.run = Run::Packed {
                at: self.pos,
                next: 0,
                left: (count * 8).min(self.page_left),
            };
            self.pos = end;
        }
        Ok(())
    }
}

/// Unpacks values `next..next + out.len()` of the bit-packed run of `width < 8`
/// bits starting at byte `at` (the caller checked the run lies inside `data`).
fn unpack_from(data: &[u8], at: usize, next: usize, width: u8, out: &mut [u8]) {
    let width = width as usize;
    if width == 0 {
        out.fill(0);
        return;
    }
    let mask = (1u16 << width) - 1;
    let value = |n: usize| {
        let bit = n * width;
        let byte = at + bit / 8;
        let pair = u16::from_le_bytes([data[byte], data.get(byte + 1).copied().unwrap_or(0)]);
        ((pair >> (bit % 8)) & mask) as u8
    };
    // Values before the first whole group, whole groups of 8, then the rest.
    let head = ((8 - next % 8) % 8).min(out.len());
    for (i, slot) in out[..head].iter_mut().enumerate() {
        *slot = value(next + i);
    }
    let first_group = (next + head) / 8;
    let groups = (out.len() - head) / 8;
    let packed = &data[at + first_group * width..at + (first_group + groups) * width];
    let whole = &mut out[head..head + groups * 8];
    match width {
        1 => unpack_groups::<1>(packed, whole),
        2 => unpack_groups::<2>(packed, whole),
        3 => unpack_groups::<3>(packed, whole),
        4 => unpack_groups::<4>(packed, whole),
        5 => unpack_groups::<5>(packed, whole),
        6 => unpack_groups::<6>(packed, whole),
        _ => unpack_groups::<7>(packed, whole),
    }
    let tail_from = head + groups * 8;
    for (i, slot) in out[tail_from..].iter_mut().enumerate() {
        *slot = value(next + tail_from + i);
    }
}

/// Checks that every definition level (an RLE/bit-packed run of bit width 1) is 1,
/// a whole run or byte of eight levels at a time.
fn check_all_defined(levels: &[u8], count: usize, row: usize) -> Result<(), DictionaryDecodeError> {
    let mut pos = 0usize;
    let mut seen = 0usize;
    while seen < count {
        let header = read_uleb128(levels, &mut pos)?;
        if header & 1 == 0 {
            let run = (header >> 1) as usize;
            let value = *levels.get(pos).ok_or_else(|| eof("definition levels"))?;
            pos += 1;
            if run == 0 {
                return Err(eof("definition levels"));
            }
            if value == 0 {
                return Err(PixelFault::Null { row: row + seen }.into());
            }
            seen += run;
        } else {
            let groups = (header >> 1) as usize;
            let end = pos
                .checked_add(groups)
                .filter(|&e| e <= levels.len())
                .ok_or_else(|| eof("definition levels"))?;
            for &byte in &levels[pos..end] {
                let n = 8.min(count.saturating_sub(seen));
                let wanted = if n == 8 { 0xff } else { (1u8 << n) - 1 };
                if byte & wanted != wanted {
                    let offset = (!byte & wanted).trailing_zeros() as usize;
                    return Err(PixelFault::Null {
                        row: row + seen + offset,
                    }
                    .into());
                }
                seen += 8;
                if seen >= count {
                    break;
                }
            }
            pos = end;
        }
    }
    Ok(())
}

fn read_uleb128(data: &[u8], pos: &mut usize) -> Result<u64, PixelFault> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*pos).ok_or_else(|| eof_fault("run header"))?;
        *pos += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(PixelFault::Parquet(ParquetError::General(
        "run header longer than 64 bits".into(),
    )))
}

/// 8 values of `width` bits are exactly `width` bytes: one u64 load.
fn load_group(group: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word[..group.len()].copy_from_slice(group);
    u64::from_le_bytes(word)
}

/// Unpacks whole groups of 8 values of `W` bits (`W < 8`; width 8 is a copy).
fn unpack_groups<const W: usize>(packed: &[u8], out: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if pdep::fast() {
        // SAFETY: `fast` found BMI2.
        return unsafe { pdep::unpack_groups::<W>(packed, out) };
    }
    unpack_groups_scalar::<W>(packed, out);
}

fn unpack_groups_scalar<const W: usize>(packed: &[u8], out: &mut [u8]) {
    let mask = (1u64 << W) - 1;
    for (group, values) in packed.chunks_exact(W).zip(out.chunks_exact_mut(8)) {
        let word = load_group(group);
        for (i, slot) in values.iter_mut().enumerate() {
            *slot = ((word >> (i * W)) & mask) as u8;
        }
    }
}

/// Unpacking with BMI2's `pdep`, which deposits a group's `8 * W` bits into the
/// low `W` bits of each of 8 bytes in one instruction (the shifts and masks cost
/// 11% of a run's samples on a table of 6-bit columns).
#[cfg(target_arch = "x86_64")]
mod pdep {
    use std::sync::OnceLock;

    /// BMI2, on a processor where `pdep` is fast: Intel's, and AMD's from Zen 3
    /// (family 0x19) on; earlier AMD processors run it in microcode, slower than
    /// the shifts.
    pub fn fast() -> bool {
        static FAST: OnceLock<bool> = OnceLock::new();
        *FAST.get_or_init(|| {
            use std::arch::x86_64::__cpuid;
            if !std::arch::is_x86_feature_detected!("bmi2") {
                return false;
            }
            let vendor = __cpuid(0);
            let name: Vec<u8> = [vendor.ebx, vendor.edx, vendor.ecx]
                .iter()
                .flat_map(|r| r.to_le_bytes())
                .collect();
            let signature = __cpuid(1).eax;
            let base_family = (signature >> 8) & 0xf;
            let family = if base_family == 0xf {
                base_family + ((signature >> 20) & 0xff)
            } else {
                base_family
            };
            match &name[..] {
                b"GenuineIntel" => true,
                b"AuthenticAMD" => family >= 0x19,
                _ => false,
            }
        })
    }

    /// [`super::unpack_groups_scalar`] with `pdep`.
    ///
    /// # Safety
    /// The CPU must have BMI2.
    #[target_feature(enable = "bmi2")]
    pub unsafe fn unpack_groups<const W: usize>(packed: &[u8], out: &mut [u8]) {
        let mask = u64::from_le_bytes([((1u16 << W) - 1) as u8; 8]);
        for (group, values) in packed.chunks_exact(W).zip(out.chunks_exact_mut(8)) {
            let word = super::load_group(group);
            values.copy_from_slice(&std::arch::x86_64::_pdep_u64(word, mask).to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn pdep_unpacks_as_the_shifts_do_at_every_width() {
        if !std::arch::is_x86_feature_detected!("bmi2") {
            eprintln!("skipped: no BMI2 here");
            return;
        }
        fn check<const W: usize>(rng: &mut fastrand::Rng) {
            let groups = 37;
            let packed: Vec<u8> = (0..groups * W).map(|_| rng.u8(..)).collect();
            let (mut shifted, mut deposited) = (vec![0u8; groups * 8], vec![0u8; groups * 8]);
            unpack_groups_scalar::<W>(&packed, &mut shifted);
            // SAFETY: BMI2 is there (checked above).
            unsafe { pdep::unpack_groups::<W>(&packed, &mut deposited) };
            assert_eq!(shifted, deposited, "width {W}");
            assert!(shifted.iter().all(|&v| v < 1 << W), "width {W}");
        }
        let mut rng = fastrand::Rng::with_seed(9);
        check::<1>(&mut rng);
        check::<2>(&mut rng);
        check::<3>(&mut rng);
        check::<4>(&mut rng);
        check::<5>(&mut rng);
        check::<6>(&mut rng);
        check::<7>(&mut rng);
    }

    /// A dictionary of the given INT32 values.
    fn dictionary(values: impl IntoIterator<Item = i32>) -> Dictionary {
        let mut page = Vec::new();
        let mut count = 0;
        for v in values {
            page.extend(v.to_le_bytes());
            count += 1;
        }
        let parsed = Dictionary::parse(&page, count, PhysicalType::INT32);
        parsed.unwrap_or_else(|_| panic!("a valid dictionary"))
    }

    /// A data page holding `values` indices of `width` bits in the runs `runs`.
    fn index_page(width: u8, runs: &[u8], values: usize) -> IndexPage {
        let mut data = vec![width];
        data.extend_from_slice(runs);
        IndexPage {
            data: Bytes::from(data),
            start: 1,
            width,
            values,
        }
    }

    /// One page of runs read through a cursor with an identity dictionary.
    fn unpack_hybrid(runs: &[u8], bit_width: u8, out: &mut [u8]) -> Result<(), PixelFault> {
        let column = DictionaryColumn {
            dictionary: dictionary(0..256),
            pages: vec![index_page(bit_width, runs, out.len())],
        };
        column.cursor().read(out)
    }

    #[test]
    fn rle_run_fills_value() {
        // header 5 << 1 = RLE run of 5, value 7 in one byte (width 3)
        let mut out = [0u8; 5];
        unpack_hybrid(&[10, 7], 3, &mut out).unwrap();
        assert_eq!(out, [7; 5]);
    }

    #[test]
    fn bit_packed_group_unpacks_lsb_first() {
        // values 0..8 with width 3: the example from the Parquet spec.
        let mut out = [0u8; 8];
        unpack_hybrid(&[3, 0b10001000, 0b11000110, 0b11111010], 3, &mut out).unwrap();
        assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn mixed_runs_stop_at_requested_count() {
        // bit-packed group of 8 values (width 8) then an RLE run of 4 x 9; ask for 10.
        let mut data = vec![3];
        data.extend(1..=8u8);
        data.extend([8, 9]);
        let mut out = [0u8; 10];
        unpack_hybrid(&data, 8, &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]);
    }

    /// Packs `values` LSB-first with `width` bits each, as one bit-packed run.
    fn bit_packed_run(values: &[u8], width: usize) -> Vec<u8> {
        let groups = values.len().div_ceil(8);
        let mut bits = vec![0u8; groups * width];
        for (i, &v) in values.iter().enumerate() {
            for b in 0..width {
                if v >> b & 1 == 1 {
                    let bit = i * width + b;
                    bits[bit / 8] |= 1 << (bit % 8);
                }
            }
        }
        let mut run = vec![(groups << 1 | 1) as u8];
        run.extend(bits);
        run
    }

    #[test]
    fn every_width_unpacks_whole_and_partial_groups() {
        for width in 1..=8usize {
            for count in [1, 7, 8, 9, 16, 21] {
                let values: Vec<u8> = (0..count)
                    .map(|i| ((i * 37 + 11) % (1 << width)) as u8)
                    .collect();
                let mut out = vec![0u8; count];
                unpack_hybrid(&bit_packed_run(&values, width), width as u8, &mut out).unwrap();
                assert_eq!(out, values, "width {width}, count {count}");
            }
        }
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let mut out = [0u8; 8];
        assert!(unpack_hybrid(&[3, 1, 2], 3, &mut out).is_err());
        assert!(unpack_hybrid(&[], 3, &mut out).is_err());
        assert!(unpack_hybrid(&[0x80], 3, &mut out).is_err());
    }

    #[test]
    fn definition_levels_find_the_first_null() {
        // RLE run of 10 defined levels, then a bit-packed group: levels 1,1,0,1,...
        let levels = [20, 1, 3, 0b1111_1011];
        assert!(check_all_defined(&levels[..2], 10, 0).is_ok());
        match check_all_defined(&levels, 18, 100) {
            Err(DictionaryDecodeError::Fault(PixelFault::Null { row })) => assert_eq!(row, 112),
            other => panic!("{other:?}"),
        }
        // Padding bits past the count are ignored.
        assert!(check_all_defined(&[20, 1, 3, 0b0000_0011], 12, 0).is_ok());
        // An RLE run of nulls.
        assert!(matches!(
            check_all_defined(&[8, 0], 4, 7),
            Err(DictionaryDecodeError::Fault(PixelFault::Null { row: 7 }))
        ));
    }

    #[test]
    fn dictionary_marks_values_outside_pixel_range() {
        let mut buf = Vec::new();
        for v in [0i32, 255, 256, -1] {
            buf.extend(v.to_le_bytes());
        }
        let dict = Dictionary::parse(&buf, 4, PhysicalType::INT32).unwrap();
        let mut idx = [0u8, 1];
        assert!(dict.map_in_place_checked(&mut idx, 0).is_ok());
        assert_eq!(idx, [0, 255]);
        let mut idx = [1u8, 2];
        assert!(matches!(
            dict.map_in_place_checked(&mut idx, 0),
            Err(PixelFault::OutOfRange { row: 1, value: 256 })
        ));
        assert!(matches!(
            dict.fault(3, 9),
            PixelFault::OutOfRange { row: 9, value: -1 }
        ));
        assert!(matches!(dict.fault(4, 0), PixelFault::Parquet(_)));
    }

    /// A page of random runs (RLE and bit-packed) of `width`-bit indices: the
    /// bytes after the bit-width byte, and the values they hold.
    fn random_runs(rng: &mut fastrand::Rng, width: usize, values: usize) -> (Vec<u8>, Vec<u8>) {
        let (mut data, mut expected) = (Vec::new(), Vec::new());
        let top = if width == 0 { 0 } else { (1u16 << width) - 1 } as u8;
        while expected.len() < values {
            if rng.bool() {
                let run = rng.usize(1..40);
                let value = rng.u8(..=top);
                data.push((run << 1) as u8);
                if width > 0 {
                    data.push(value);
                }
                expected.extend(std::iter::repeat_n(value, run));
            } else {
                let group_values: Vec<u8> =
                    (0..rng.usize(1..5) * 8).map(|_| rng.u8(..=top)).collect();
                data.extend(bit_packed_run(&group_values, width));
                expected.extend(group_values);
            }
        }
        expected.truncate(values);
        (data, expected)
    }

    #[test]
    fn cursor_reads_in_any_steps_across_pages() {
        let mut rng = fastrand::Rng::with_seed(5);
        for width in 0..=8usize {
            let mut pages = Vec::new();
            let mut expected = Vec::new();
            for _ in 0..3 {
                let values = rng.usize(1..300);
                let (runs, page_values) = random_runs(&mut rng, width, values);
                pages.push(index_page(width as u8, &runs, values));
                expected.extend(page_values.iter().map(|&i| 255 - i));
            }
            // Not the identity: entry i is pixel 255 - i.
            let column = DictionaryColumn {
                dictionary: dictionary((0..256).map(|v| 255 - v)),
                pages,
            };
            let mut cursor = column.cursor();
            let mut row = 0;
            while row < expected.len() {
                let n = rng.usize(1..70).min(expected.len() - row);
                let mut out = vec![0u8; n];
                cursor.read(&mut out).unwrap();
                assert_eq!(out, expected[row..row + n], "width {width}, rows {row}..");
                row += n;
            }
            assert!(cursor.read(&mut [0u8; 1]).is_err(), "reading past the end");
        }
    }

    #[test]
    fn cursor_reports_the_row_of_an_index_past_the_dictionary() {
        // Width 8: values 0,1,2,0,1,2,7,0 (index 7 is past the 3 entries).
        let runs = bit_packed_run(&[0, 1, 2, 0, 1, 2, 7, 0], 8);
        let column = DictionaryColumn {
            dictionary: dictionary(0..3),
            pages: vec![index_page(8, &runs, 8)],
        };
        let mut cursor = column.cursor();
        let mut first_two = [9u8; 2];
        cursor.read(&mut first_two).unwrap();
        assert_eq!(first_two, [0, 1]);
        let mut out = [0u8; 6];
        match cursor.read(&mut out) {
            Err(PixelFault::Parquet(e)) => assert!(e.to_string().contains("at row 6"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    fn snappy(data: &[u8]) -> Bytes {
        Bytes::from(snap::raw::Encoder::new().compress_vec(data).unwrap())
    }

    /// The bytes `unsnappy` gives, and whether they are a slice of `stream`.
    fn unsnappy_ok(stream: &Bytes) -> (Vec<u8>, bool) {
        let out = unsnappy(stream.clone()).unwrap_or_else(|_| panic!("valid stream"));
        let inside = stream.as_ptr_range().contains(&out.as_ptr());
        (out.to_vec(), inside)
    }

    #[test]
    fn unzstd_round_trips_and_refuses_damaged_frames() {
        let mut rng = fastrand::Rng::with_seed(5);
        let data: Vec<u8> = (0..50_000).map(|_| rng.u8(..16)).collect();
        let frame = Bytes::from(zstd::bulk::compress(&data, 3).unwrap());
        // Twice on one thread: the second reuses the context.
        for _ in 0..2 {
            assert_eq!(unzstd(frame.clone()).ok().as_deref(), Some(&data[..]));
        }
        let cut = frame.slice(..frame.len() - 10);
        assert!(unzstd(cut).is_err());
        let mut flipped = frame.to_vec();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xff;
        assert!(unzstd(Bytes::from(flipped))
            .map(|b| b.to_vec() != data)
            .unwrap_or(true));
    }

    #[test]
    fn unsnappy_slices_a_stream_that_is_one_literal_instead_of_copying_it() {
        // Random bytes do not compress: snappy stores them as one literal. The
        // sizes take each literal length form (in the tag, then 1 and 2 bytes).
        let mut rng = fastrand::Rng::with_seed(3);
        for len in [1, 60, 61, 256, 257, 44_000, 65_536] {
            let data: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let stream = snappy(&data);
            assert_eq!(
                single_literal(&stream),
                Some(stream.len() - len..stream.len())
            );
            assert_eq!(unsnappy_ok(&stream), (data, true), "{len} bytes");
        }
    }

    #[test]
    fn unsnappy_decompresses_a_stream_with_copies() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 7) as u8 * 30).collect();
        let stream = snappy(&data);
        assert!(stream.len() < data.len() / 10, "the data compresses");
        assert_eq!(single_literal(&stream), None);
        assert_eq!(unsnappy_ok(&stream), (data, false));
        // Empty pages are a length of 0 and nothing else.
        assert_eq!(unsnappy_ok(&snappy(&[])), (vec![], false));
    }

    #[test]
    fn unsnappy_refuses_a_literal_that_is_not_the_stated_length() {
        let data = [7u8, 1, 9, 200, 3];
        let stream = snappy(&data).to_vec();
        assert_eq!(
            stream,
            [5, 4 << 2, 7, 1, 9, 200, 3],
            "length 5, then a 5-byte literal"
        );
        for bad in [
            &stream[..6],                             // literal cut short
            &[&stream[..], &[0]].concat()[..],        // a byte after the literal
            &[&[6u8][..], &stream[1..]].concat()[..], // states 6 bytes, holds 5
        ] {
            let bad = Bytes::copy_from_slice(bad);
            assert_eq!(single_literal(&bad), None, "{bad:?}");
            match unsnappy(bad.clone()) {
                Err(DictionaryDecodeError::Fault(PixelFault::Parquet(e))) => {
                    assert!(e.to_string().contains("snappy"), "{e}")
                }
                other => panic!("{bad:?}: {:?}", other.map(|b| b.to_vec())),
            }
        }
    }

    /// Reads `indices` (bit-packed at `width`) through `dictionary` in steps of 5
    /// rows, as far as the first fault.
    fn read_in_steps(
        dictionary: Dictionary,
        indices: &[u8],
        width: u8,
    ) -> (Vec<u8>, Option<PixelFault>) {
        let runs = bit_packed_run(indices, width as usize);
        let column = DictionaryColumn {
            dictionary,
            pages: vec![index_page(width, &runs, indices.len())],
        };
        let mut cursor = column.cursor();
        let mut read = Vec::new();
        for step in indices.chunks(5) {
            let mut out = vec![0u8; step.len()];
            if let Err(fault) = cursor.read(&mut out) {
                return (read, Some(fault));
            }
            read.extend(out);
        }
        (read, None)
    }

    #[test]
    fn packed_indices_past_a_short_dictionary_name_their_row() {
        // Width 3 allows indices up to 7; the dictionary has 5 entries. The check
        // rides on the lookup, which overwrites the indices: the row must still be
        // found, in the step (rows 20..25) where it lies.
        let mut indices: Vec<u8> = (0..40).map(|i| i % 5).collect();
        let (read, fault) = read_in_steps(dictionary([9, 8, 7, 6, 5]), &indices, 3);
        assert_eq!(read, indices.iter().map(|&i| 9 - i).collect::<Vec<u8>>());
        assert!(fault.is_none());
        indices[23] = 6;
        let (read, fault) = read_in_steps(dictionary([9, 8, 7, 6, 5]), &indices, 3);
        assert_eq!(read.len(), 20, "the steps before the bad one are read");
        match fault {
            Some(PixelFault::Parquet(e)) => {
                assert!(e.to_string().contains("index 6 at row 23"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn packed_indices_to_bad_dictionary_entries_fail_only_where_used() {
        // Entry 1 is 300, not a pixel: rows that never use it read fine.
        let bad_entry = || dictionary([10, 300, 20, 30]);
        let mut indices: Vec<u8> = (0..30).map(|i| [0, 2, 3][i % 3]).collect();
        let (read, fault) = read_in_steps(bad_entry(), &indices, 2);
        assert_eq!(
            read,
            indices
                .iter()
                .map(|&i| [10, 0, 20, 30][i as usize])
                .collect::<Vec<u8>>()
        );
        assert!(fault.is_none());
        indices[17] = 1;
        let (read, fault) = read_in_steps(bad_entry(), &indices, 2);
        assert_eq!(read.len(), 15);
        assert!(
            matches!(
                fault,
                Some(PixelFault::OutOfRange {
                    row: 17,
                    value: 300
                })
            ),
            "{fault:?}"
        );
    }
}
