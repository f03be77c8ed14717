//! The fast path for dictionary-encoded integer pixel columns, the layout of every
//! file pandas/pyarrow writes: a dictionary page of at most 256 distinct values, then
//! data pages of RLE/bit-packed indices. Indices are unpacked straight into the
//! column's `u8` output and mapped through a 256-entry table, instead of going
//! through the parquet crate's `i32` buffers. Anything else (plain pages, wider
//! indices, old level encodings) is reported as `Unsupported` and read the general way.

use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageReader};
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

use crate::table::PixelFault;

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
    DictionaryDecodeError::Fault(PixelFault::Parquet(ParquetError::EOF(format!(
        "truncated {what}"
    ))))
}

/// The dictionary as a lookup table: `values[i]` is entry `i` as a pixel, and
/// `bad[i]` is set where entry `i` is missing or not a valid pixel.
struct Dictionary {
    values: [u8; 256],
    bad: [bool; 256],
    raw: Vec<i64>,
}

impl Dictionary {
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
            values: [0; 256],
            bad: [true; 256],
            raw: Vec::with_capacity(count),
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
            }
        }
        Ok(dict)
    }

    /// Maps indices to pixels in place; returns whether any index was bad.
    fn map_in_place(&self, indices: &mut [u8]) -> bool {
        let mut bad = false;
        for slot in indices.iter_mut() {
            let i = *slot as usize;
            bad |= self.bad[i];
            *slot = self.values[i];
        }
        bad
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

/// Decodes a whole column chunk into `out` (one byte per row).
pub fn decode_dictionary_column(
    mut pages: Box<dyn PageReader>,
    descr: &ColumnDescPtr,
    out: &mut [u8],
) -> Result<(), DictionaryDecodeError> {
    if descr.max_rep_level() != 0 || descr.max_def_level() > 1 {
        return Err(DictionaryDecodeError::Unsupported);
    }
    let nullable = descr.max_def_level() == 1;
    let mut dictionary: Option<Dictionary> = None;
    let mut row = 0usize;
    while let Some(page) = pages.get_next_page()? {
        match page {
            Page::DictionaryPage {
                buf, num_values, ..
            } => {
                dictionary = Some(Dictionary::parse(
                    &buf,
                    num_values as usize,
                    descr.physical_type(),
                )?);
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                let dict = dictionary
                    .as_ref()
                    .ok_or(DictionaryDecodeError::Unsupported)?;
                if !is_dictionary_encoding(encoding)
                    || (nullable && def_level_encoding != Encoding::RLE)
                {
                    return Err(DictionaryDecodeError::Unsupported);
                }
                let mut data: &[u8] = &buf;
                if nullable {
                    // v1 pages prefix the levels with their byte length.
                    let len_bytes: [u8; 4] = data
                        .get(..4)
                        .ok_or_else(|| eof("definition levels"))?
                        .try_into()
                        .unwrap();
                    let len = u32::from_le_bytes(len_bytes) as usize;
                    let levels = data
                        .get(4..4 + len)
                        .ok_or_else(|| eof("definition levels"))?;
                    check_all_defined(levels, num_values as usize, row)?;
                    data = &data[4 + len..];
                }
                row = decode_values(data, num_values as usize, dict, out, row)?;
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                num_nulls,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => {
                let dict = dictionary
                    .as_ref()
                    .ok_or(DictionaryDecodeError::Unsupported)?;
                if !is_dictionary_encoding(encoding) || rep_levels_byte_len != 0 {
                    return Err(DictionaryDecodeError::Unsupported);
                }
                let levels_len = def_levels_byte_len as usize;
                let levels = buf
                    .get(..levels_len)
                    .ok_or_else(|| eof("definition levels"))?;
                if num_nulls > 0 || nullable {
                    check_all_defined(levels, num_values as usize, row)?;
                }
                row = decode_values(&buf[levels_len..], num_values as usize, dict, out, row)?;
            }
        }
    }
    if row != out.len() {
        return Err(DictionaryDecodeError::Fault(PixelFault::Parquet(
            ParquetError::EOF(format!("column has {row} values for {} rows", out.len())),
        )));
    }
    Ok(())
}

fn is_dictionary_encoding(encoding: Encoding) -> bool {
    matches!(
        encoding,
        Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY
    )
}

/// Decodes the `count` dictionary indices of one page into `out[row..]`; returns
/// the row after the page.
fn decode_values(
    data: &[u8],
    count: usize,
    dict: &Dictionary,
    out: &mut [u8],
    row: usize,
) -> Result<usize, DictionaryDecodeError> {
    let end = row
        .checked_add(count)
        .filter(|&e| e <= out.len())
        .ok_or_else(|| {
            DictionaryDecodeError::Fault(PixelFault::Parquet(ParquetError::General(format!(
                "a page holds values past the row group's {} rows",
                out.len()
            ))))
        })?;
    let (&bit_width, indices) = data.split_first().ok_or_else(|| eof("data page"))?;
    if bit_width > 8 {
        return Err(DictionaryDecodeError::Unsupported);
    }
    let target = &mut out[row..end];
    unpack_hybrid(indices, bit_width, target)?;
    if dict.map_in_place(target) {
        // Slow path, only on bad data: decode the indices again to find the row.
        unpack_hybrid(indices, bit_width, target)?;
        let (offset, &index) = target
            .iter()
            .enumerate()
            .find(|(_, &i)| dict.bad[i as usize])
            .expect("a bad index was seen");
        return Err(dict.fault(index, row + offset).into());
    }
    Ok(end)
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

fn read_uleb128(data: &[u8], pos: &mut usize) -> Result<u64, DictionaryDecodeError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*pos).ok_or_else(|| eof("run header"))?;
        *pos += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DictionaryDecodeError::Fault(PixelFault::Parquet(
        ParquetError::General("run header longer than 64 bits".into()),
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
    let mask = (1u64 << W) - 1;
    for (group, values) in packed.chunks_exact(W).zip(out.chunks_exact_mut(8)) {
        let word = load_group(group);
        for (i, slot) in values.iter_mut().enumerate() {
            *slot = ((word >> (i * W)) & mask) as u8;
        }
    }
}

/// Parquet's RLE/bit-packing hybrid with `bit_width <= 8`, filling all of `out`.
pub(crate) fn unpack_hybrid(
    data: &[u8],
    bit_width: u8,
    out: &mut [u8],
) -> Result<(), DictionaryDecodeError> {
    debug_assert!(bit_width <= 8);
    let width = bit_width as usize;
    let mask: u64 = (1u64 << width) - 1;
    let mut pos = 0usize;
    let mut filled = 0usize;
    while filled < out.len() {
        let header = read_uleb128(data, &mut pos)?;
        if header & 1 == 0 {
            let run = (header >> 1) as usize;
            let value_bytes = width.div_ceil(8);
            let value = if value_bytes == 0 {
                0
            } else {
                *data.get(pos).ok_or_else(|| eof("RLE run"))?
            };
            pos += value_bytes;
            if run == 0 {
                return Err(DictionaryDecodeError::Fault(PixelFault::Parquet(
                    ParquetError::General("empty RLE run".into()),
                )));
            }
            let n = run.min(out.len() - filled);
            out[filled..filled + n].fill(value);
            filled += n;
        } else {
            let groups = (header >> 1) as usize;
            let bytes = groups
                .checked_mul(width)
                .and_then(|b| pos.checked_add(b))
                .filter(|&e| e <= data.len())
                .ok_or_else(|| eof("bit-packed run"))?;
            let packed = &data[pos..bytes];
            pos = bytes;
            if width == 0 {
                let n = (groups * 8).min(out.len() - filled);
                out[filled..filled + n].fill(0);
                filled += n;
                continue;
            }
            // Whole groups of 8 first, with the width known at compile time.
            let whole = groups.min((out.len() - filled) / 8);
            let (fast, rest) = packed.split_at(whole * width);
            let target = &mut out[filled..filled + whole * 8];
            match width {
                1 => unpack_groups::<1>(fast, target),
                2 => unpack_groups::<2>(fast, target),
                3 => unpack_groups::<3>(fast, target),
                4 => unpack_groups::<4>(fast, target),
                5 => unpack_groups::<5>(fast, target),
                6 => unpack_groups::<6>(fast, target),
                7 => unpack_groups::<7>(fast, target),
                _ => target.copy_from_slice(fast),
            }
            filled += whole * 8;
            // Then at most one group that the page's end cuts short.
            if let Some(group) = rest.chunks_exact(width).next() {
                if filled < out.len() {
                    let word = load_group(group);
                    let n = 8.min(out.len() - filled);
                    for (i, slot) in out[filled..filled + n].iter_mut().enumerate() {
                        *slot = ((word >> (i * width)) & mask) as u8;
                    }
                    filled += n;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!dict.map_in_place(&mut idx));
        assert_eq!(idx, [0, 255]);
        let mut idx = [1u8, 2];
        assert!(dict.map_in_place(&mut idx));
        assert!(matches!(
            dict.fault(3, 9),
            PixelFault::OutOfRange { row: 9, value: -1 }
        ));
        assert!(matches!(dict.fault(4, 0), PixelFault::Parquet(_)));
    }
}
