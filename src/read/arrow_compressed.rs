//! The fast path for compressed Feather (LZ4 frame or zstd buffers): uint8 pixel
//! columns without nulls, their buffers found in the record batch message and
//! decompressed by us straight from the mapped file, 64 columns at a time, into
//! a scratch the transpose reads while it is in the core's cache. arrow-ipc's
//! reader decompresses each buffer into a new one (LZ4 through a frame decoder
//! into a zeroed buffer, copied again), and the transpose read its span of 2,048
//! columns back from memory. Anything else (checksums, other types, nulls, a
//! damaged buffer) returns `None`, and the arrow-ipc path reads the span and
//! reports what is wrong.

use std::ops::Range;

use arrow_ipc::{Block, CompressionType};
use arrow_schema::{DataType, Schema};

use super::zstd_context;

/// The index of each top-level field's values buffer in a record batch's
/// buffer list, for a schema of flat fields whose buffer counts are fixed
/// (fixed-width types: validity and values; strings and binaries: validity,
/// offsets and values); `None` for any other schema.
pub(super) fn value_buffers(schema: &Schema) -> Option<Vec<usize>> {
    let mut next = 0;
    let mut values = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let count = match field.data_type() {
            t if t.is_primitive() || *t == DataType::Boolean => 2,
            DataType::Utf8 | DataType::Binary | DataType::LargeUtf8 | DataType::LargeBinary => 3,
            _ => return None,
        };
        values.push(next + 1);
        next += count;
    }
    Some(values)
}

/// Bytes of a column's slot in the scratch buffer: its rows, and room for the
/// padding a writer may count in a buffer's length.
pub(super) fn slot_len(rows: usize) -> usize {
    rows + 64
}

/// Decompresses one LZ4 frame into `out`, which it must fill exactly: blocks
/// without checksums, linked or independent.
fn lz4_frame(input: &[u8], out: &mut [u8]) -> Option<()> {
    if input.get(..4)? != [0x04, 0x22, 0x4d, 0x18] {
        return None;
    }
    let flags = *input.get(4)?;
    let version_one = flags >> 6 == 1;
    let independent = flags & 0x20 != 0;
    let checksums_or_dictionary = flags & (0x10 | 0x04 | 0x01) != 0;
    if !version_one || checksums_or_dictionary {
        return None;
    }
    // Magic, FLG, BD, the content size if given, the header checksum.
    let mut at = 6 + if flags & 0x08 != 0 { 8 } else { 0 } + 1;
    let mut filled = 0;
    loop {
        let word = u32::from_le_bytes(input.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        if word == 0 {
            break;
        }
        let length = (word & 0x7fff_ffff) as usize;
        let block = input.get(at..at.checked_add(length)?)?;
        at += length;
        let (before, rest) = out.split_at_mut(filled);
        filled += if word & 0x8000_0000 != 0 {
            rest.get_mut(..block.len())?.copy_from_slice(block);
            block.len()
        } else if independent || filled == 0 {
            lz4_flex::block::decompress_into(block, rest).ok()?
        } else {
            lz4_flex::block::decompress_into_with_dict(block, rest, before).ok()?
        };
    }
    (filled == out.len()).then_some(())
}

/// Where the buffer of each of `columns` (field indices) is in `data`, for the
/// record batch at `block`, read from its message once, with their codec; `None`
/// unless each is a compressed column of `rows` values without nulls, inside the
/// file, in a codec this path decompresses.
pub(super) fn pixel_buffers(
    data: &[u8],
    block: &Block,
    rows: usize,
    values_of: &[usize],
    columns: &[usize],
) -> Option<(CompressionType, Vec<Range<usize>>)> {
    let (batch, body, _) = super::arrow::batch_message(data, block).ok()?;
    let codec = batch.compression()?.codec();
    if ![CompressionType::LZ4_FRAME, CompressionType::ZSTD].contains(&codec) {
        return None;
    }
    let (nodes, buffers) = (batch.nodes()?, batch.buffers()?);
    let ranges = columns
        .iter()
        .map(|&c| {
            let node = (c < nodes.len()).then(|| nodes.get(c))?;
            if node.null_count() != 0 || usize::try_from(node.length()).ok()? != rows {
                return None;
            }
            let index = *values_of.get(c)?;
            let buffer = (index < buffers.len()).then(|| buffers.get(index))?;
            let start = body.checked_add(usize::try_from(buffer.offset()).ok()?)?;
            let end = start.checked_add(usize::try_from(buffer.length()).ok()?)?;
            (end <= data.len()).then_some(start..end)
        })
        .collect::<Option<_>>()?;
    Some((codec, ranges))
}

/// Decompresses one column's buffer (as [`pixel_buffers`] found it: the
/// uncompressed length, then a frame of `codec` or, for -1, the values as they
/// are) into `slot`, whose first `rows` bytes are then its values; `None` when it
/// does not decompress to exactly its length, at least `rows` bytes that fit in
/// the slot.
pub(super) fn decompress_column(
    codec: CompressionType,
    buffer: &[u8],
    rows: usize,
    slot: &mut [u8],
) -> Option<()> {
    let claimed = i64::from_le_bytes(buffer.get(..8)?.try_into().ok()?);
    let values = &buffer[8..];
    if claimed == -1 {
        slot.get_mut(..rows)?.copy_from_slice(values.get(..rows)?);
        return Some(());
    }
    let claimed = usize::try_from(claimed).ok()?;
    if claimed < rows {
        return None;
    }
    let out = slot.get_mut(..claimed)?;
    match codec {
        CompressionType::LZ4_FRAME => lz4_frame(values, out),
        CompressionType::ZSTD => {
            (zstd_context::decompress_into(values, out).ok()? == claimed).then_some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An LZ4 frame as pyarrow writes one (no checksums), of `blocks`.
    fn frame(blocks: &[&[u8]], compressed: bool) -> Vec<u8> {
        let mut out = vec![0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];
        for block in blocks {
            let body = if compressed {
                lz4_flex::block::compress(block)
            } else {
                block.to_vec()
            };
            let flag = if compressed { 0 } else { 0x8000_0000u32 };
            out.extend_from_slice(&(body.len() as u32 | flag).to_le_bytes());
            out.extend_from_slice(&body);
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out
    }

    fn decode(input: &[u8], expected: usize) -> Option<Vec<u8>> {
        let mut out = vec![0u8; expected];
        lz4_frame(input, &mut out).map(|()| out)
    }

    /// A column's buffer as arrow-ipc stores it: the uncompressed length (or -1
    /// for values left as they are), then the frame or the values.
    fn buffer(claimed: i64, body: &[u8]) -> Vec<u8> {
        [&claimed.to_le_bytes()[..], body].concat()
    }

    #[test]
    fn a_column_buffer_decompresses_into_its_slot_or_is_refused() {
        let values: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
        let rows = values.len();
        let long: Vec<u8> = values.iter().cycle().take(rows + 65).copied().collect();
        for codec in [CompressionType::LZ4_FRAME, CompressionType::ZSTD] {
            let compress = |v: &[u8]| match codec {
                CompressionType::ZSTD => zstd::bulk::compress(v, 1).unwrap(),
                _ => frame(&[v], true),
            };
            let decode = |buffer: &[u8]| {
                let mut slot = vec![0u8; slot_len(rows)];
                decompress_column(codec, buffer, rows, &mut slot).map(|()| slot[..rows].to_vec())
            };
            let compressed = buffer(rows as i64, &compress(&values));
            assert_eq!(
                decode(&compressed).as_deref(),
                Some(&values[..]),
                "{codec:?}"
            );
            let stored = buffer(-1, &values);
            assert_eq!(decode(&stored).as_deref(), Some(&values[..]), "{codec:?}");
            // Fewer values than rows, more than the slot holds, fewer than the
            // length claims, a cut buffer.
            assert_eq!(
                decode(&buffer(rows as i64 - 1, &compress(&values[1..]))),
                None
            );
            assert_eq!(decode(&buffer(long.len() as i64, &compress(&long))), None);
            assert_eq!(decode(&buffer(rows as i64 + 10, &compress(&values))), None);
            assert_eq!(
                decode(&compressed[..compressed.len() - 4]),
                None,
                "{codec:?}"
            );
            assert_eq!(decode(&stored[..100]), None);
            assert_eq!(decode(&stored[..5]), None);
        }
    }

    #[test]
    fn frames_of_one_or_more_blocks_decompress_and_damage_does_not() {
        let a: Vec<u8> = (0..5000u32).map(|i| (i % 7 * 30) as u8).collect();
        let b: Vec<u8> = (0..3000u32).map(|i| (i % 3) as u8).collect();
        assert_eq!(decode(&frame(&[&a], true), a.len()), Some(a.clone()));
        let both = [a.clone(), b.clone()].concat();
        assert_eq!(
            decode(&frame(&[&a, &b], true), both.len()),
            Some(both.clone())
        );
        assert_eq!(decode(&frame(&[&a, &b], false), both.len()), Some(both));
        // A wrong size, a cut frame, a checksum flag, garbage: never a panic.
        assert_eq!(decode(&frame(&[&a], true), a.len() + 1), None);
        assert_eq!(decode(&frame(&[&a], true), a.len() - 1), None);
        let full = frame(&[&a], true);
        for cut in [0, 3, 7, 12, full.len() - 5] {
            assert_eq!(decode(&full[..cut], a.len()), None, "cut at {cut}");
        }
        let mut checksummed = full.clone();
        checksummed[4] |= 0x04;
        assert_eq!(decode(&checksummed, a.len()), None);
        let mut garbage = full;
        for byte in garbage.iter_mut().skip(11).step_by(3) {
            *byte = 0xff;
        }
        let _ = decode(&garbage, a.len());
    }
}
