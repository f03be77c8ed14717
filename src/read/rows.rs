//! A row group's pixels, row-major, and the transpose that fills them from decoded
//! columns.
//!
//! Parquet stores columns; images are rows. Columns are decoded 64 at a time, a
//! strip of rows at a time, into a small per-thread scratch, then transposed into
//! the rows a cache line per row: each row starts on a 64-byte boundary (the stride
//! is the row length rounded up to 64), so a block of 64 columns is exactly one
//! line of every row. The lines are written with non-temporal stores: the rows are
//! read again only after the whole row group is decoded, long after they would
//! have left the cache, so fetching each line before overwriting it (what a plain
//! store does) was wasted traffic.
//! Measured on 50,210 rows x 32,332 columns, one thread: 0.37 s against 1.0 s for
//! 2048-column blocks transposed with plain stores.

use std::ops::Range;

use rayon::prelude::*;

/// Columns per transposed block: one cache line of every row.
pub(crate) const LINE: usize = 64;

thread_local! {
    /// Each worker's column-major scratch for one strip of a block, kept from
    /// block to block.
    static STRIP_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's strip scratch (taken out while `f` runs, so a
/// nested call gets a new one rather than a borrow error).
pub(crate) fn with_strip_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut scratch = STRIP_SCRATCH.with_borrow_mut(std::mem::take);
    let result = f(&mut scratch);
    let _ = STRIP_SCRATCH.try_with(|kept| *kept.borrow_mut() = scratch);
    result
}

/// One row group's pixels: `rows` rows of `row_len` bytes, row-major.
#[derive(Default)]
pub struct PixelRows {
    buffer: Vec<u8>,
    /// Offset of row 0 in `buffer`: the first 64-byte boundary.
    start: usize,
    rows: usize,
    row_len: usize,
    stride: usize,
}

impl PixelRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes per row.
    pub fn row_len(&self) -> usize {
        self.row_len
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[u8] {
        assert!(r < self.rows, "row {r} of {}", self.rows);
        let at = self.start + r * self.stride;
        &self.buffer[at..at + self.row_len]
    }

    /// Rows `range`, in order, for a parallel iterator.
    pub fn par_rows(&self, range: Range<usize>) -> impl IndexedParallelIterator<Item = &[u8]> {
        assert!(range.start <= range.end && range.end <= self.rows);
        let row_len = self.row_len;
        let from = self.start + range.start * self.stride;
        let to = self.start + range.end * self.stride;
        self.buffer[from..to]
            .par_chunks(self.stride.max(1))
            .map(move |line| &line[..row_len])
    }

    /// Shapes the buffer for `rows` rows of `row_len` bytes. The contents are then
    /// unspecified: the caller overwrites every row. A buffer of the same shape (the
    /// last row group's or file's) is kept as it is; otherwise it is freed first.
    pub(crate) fn reshape(&mut self, rows: usize, row_len: usize) {
        let stride = row_len.next_multiple_of(LINE);
        if (rows, row_len) == (self.rows, self.row_len) && !self.buffer.is_empty() {
            return;
        }
        self.buffer = Vec::new();
        self.buffer = zeroed(rows * stride + LINE);
        self.start = self.buffer.as_ptr().align_offset(LINE);
        (self.rows, self.row_len, self.stride) = (rows, row_len, stride);
    }

    /// Fills columns `columns` of every row, in parallel over blocks of [`LINE`]
    /// columns and strips of `strip_rows` rows: `fill(first_column, rows, out)`
    /// writes the block's columns column-major into `out` (one `rows.len()` run per
    /// column). The safe way to use [`RowsWriter`].
    pub(crate) fn fill_columns<E: Send>(
        &mut self,
        columns: Range<usize>,
        strip_rows: usize,
        fill: impl Fn(usize, Range<usize>, &mut [u8]) -> Result<(), E> + Sync,
    ) -> Result<(), E> {
        self.fill_columns_prepared(
            columns,
            strip_rows,
            |_, _| Ok(()),
            |(), first, strip, out| fill(first, strip, out),
        )
    }

    /// [`PixelRows::fill_columns`], with each block first made ready by
    /// `prepare(first_column, width)`, once, by the task that then fills its
    /// strips with `fill(&prepared, first_column, rows, out)`.
    pub(crate) fn fill_columns_prepared<P, E: Send>(
        &mut self,
        columns: Range<usize>,
        strip_rows: usize,
        prepare: impl Fn(usize, usize) -> Result<P, E> + Sync,
        fill: impl Fn(&P, usize, Range<usize>, &mut [u8]) -> Result<(), E> + Sync,
    ) -> Result<(), E> {
        assert!(columns.start.is_multiple_of(LINE) && columns.end <= self.row_len);
        let rows = self.rows;
        let writer = self.writer();
        let blocks: Vec<usize> = columns.clone().step_by(LINE).collect();
        blocks.into_par_iter().try_for_each(|first| {
            let width = (columns.end - first).min(LINE);
            let prepared = prepare(first, width)?;
            with_strip_scratch(|scratch| {
                for start in (0..rows).step_by(strip_rows.max(1)) {
                    let strip = start..(start + strip_rows).min(rows);
                    scratch.resize(width * strip.len(), 0);
                    fill(&prepared, first, strip.clone(), scratch)?;
                    // SAFETY: `self` is borrowed mutably for this whole call and not
                    // touched otherwise; each task owns one block's columns, and one
                    // task writes all its strips.
                    unsafe { writer.write_block(scratch, strip, first) };
                }
                Ok(())
            })
        })
    }

    /// A handle for writing disjoint blocks of columns from several threads.
    pub(crate) fn writer(&mut self) -> RowsWriter {
        RowsWriter {
            // SAFETY: `start` is inside the buffer (it holds `LINE` spare bytes).
            base: unsafe { self.buffer.as_mut_ptr().add(self.start) },
            rows: self.rows,
            row_len: self.row_len,
            stride: self.stride,
        }
    }
}

/// Writes blocks of columns into a [`PixelRows`]. Only [`RowsWriter::write_block`]
/// writes, and each call owns its block's lines of every row.
#[derive(Clone, Copy)]
pub(crate) struct RowsWriter {
    base: *mut u8,
    rows: usize,
    row_len: usize,
    stride: usize,
}

// SAFETY: the pointer is only written through `write_block`, whose callers write
// disjoint blocks (its contract), into a buffer borrowed mutably for the writer's use.
unsafe impl Send for RowsWriter {}
unsafe impl Sync for RowsWriter {}

impl RowsWriter {
    /// Copies the column-major `block` (`block.len() / row_range.len()` <= 64
    /// columns of `row_range.len()` values) into columns `first_column..` of the
    /// rows `row_range`.
    ///
    /// # Safety
    /// The [`PixelRows`] this writer came from must be alive and not otherwise
    /// accessed until the writes end, and no two concurrent calls may write the
    /// same rows at the same `first_column`. (Each block is whole cache lines,
    /// [`LINE`]-aligned, so distinct blocks never share a byte or a line.)
    pub(crate) unsafe fn write_block(
        &self,
        block: &[u8],
        row_range: Range<usize>,
        first_column: usize,
    ) {
        let rows = row_range.len();
        let columns = block.len().checked_div(rows).unwrap_or(0);
        if columns == 0 {
            return;
        }
        assert!(
            block.len() == columns * rows
                && row_range.end <= self.rows
                && columns <= LINE
                && first_column.is_multiple_of(LINE)
                && first_column + columns <= self.row_len,
            "block of {} bytes for rows {row_range:?} of {} at column {first_column}",
            block.len(),
            self.rows
        );
        // From here on `base` is the block's first row.
        // SAFETY: `row_range.end <= self.rows`, so the row is inside the buffer.
        let base = unsafe { self.base.add(row_range.start * self.stride) };
        let mut stage = Stage([0; STAGE_ROWS * LINE]);
        let full_rows = rows - rows % STAGE_ROWS;
        let full_columns = columns - columns % TILE;
        for r0 in (0..full_rows).step_by(STAGE_ROWS) {
            for t0 in (0..STAGE_ROWS).step_by(TILE) {
                for c0 in (0..full_columns).step_by(TILE) {
                    transpose_tile(
                        block,
                        (c0 * rows + r0 + t0, rows),
                        &mut stage.0,
                        t0 * LINE + c0,
                    );
                }
            }
            for (i, line) in stage.0.chunks_exact_mut(LINE).enumerate() {
                for c in full_columns..columns {
                    line[c] = block[c * rows + r0 + i];
                }
            }
            for (i, line) in stage.0.chunks_exact(LINE).enumerate() {
                // SAFETY: row `row_range.start + r0 + i < row_range.end <= self.rows`,
                // and columns `first_column..+LINE` lie in the row's stride
                // (`first_column < row_len <= stride`, both multiples of LINE); the
                // caller owns those bytes.
                unsafe { store_line(base.add((r0 + i) * self.stride + first_column), line) };
            }
        }
        for r in full_rows..rows {
            for c in 0..columns {
                // SAFETY: as above, inside this block's columns of row `r`.
                unsafe {
                    *base.add(r * self.stride + first_column + c) = block[c * rows + r];
                }
            }
        }
        store_fence();
    }
}

/// Rows staged in L1 before they are stored as whole lines.
const STAGE_ROWS: usize = 16;
#[repr(align(64))]
struct Stage([u8; STAGE_ROWS * LINE]);

#[cfg(target_arch = "x86_64")]
const TILE: usize = 16;
#[cfg(not(target_arch = "x86_64"))]
const TILE: usize = 8;

/// Stores a 64-byte line around the cache (SSE2 `movntdq`, part of x86_64).
///
/// # Safety
/// `to` must be 64-byte aligned and valid for 64 bytes of writes.
#[cfg(target_arch = "x86_64")]
unsafe fn store_line(to: *mut u8, line: &[u8]) {
    use std::arch::x86_64::*;
    debug_assert!(line.len() == LINE && (to as usize).is_multiple_of(LINE));
    for k in 0..LINE / 16 {
        // SAFETY: aligned 16-byte pieces of the caller's line; loads inside `line`.
        unsafe {
            let v = _mm_loadu_si128(line.as_ptr().add(16 * k).cast());
            _mm_stream_si128(to.add(16 * k).cast(), v);
        }
    }
}

/// # Safety
/// `to` must be valid for 64 bytes of writes.
#[cfg(not(target_arch = "x86_64"))]
unsafe fn store_line(to: *mut u8, line: &[u8]) {
    // SAFETY: the caller's contract; `line` is 64 bytes.
    unsafe { std::ptr::copy_nonoverlapping(line.as_ptr(), to, LINE) };
}

/// Orders the non-temporal stores before whatever follows (here: the end of a
/// rayon task, after which another thread may read the rows).
fn store_fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of x86_64.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// Transposes the 16 x 16 bytes at `source` (16 runs of 16 bytes, `stride` apart)
/// into 16 runs of 16 bytes, `LINE` apart, at `to` in the stage.
#[cfg(target_arch = "x86_64")]
fn transpose_tile(block: &[u8], (from, stride): (usize, usize), stage: &mut [u8], to: usize) {
    use std::arch::x86_64::*;
    assert!(from + 15 * stride + 16 <= block.len() && to + 15 * LINE + 16 <= stage.len());
    // SAFETY: SSE2 is part of x86_64; the assert bounds all 16 loads and 16 stores.
    unsafe {
        let mut a = [_mm_setzero_si128(); 16];
        for (j, v) in a.iter_mut().enumerate() {
            *v = _mm_loadu_si128(block.as_ptr().add(from + j * stride).cast());
        }
        // Interleave bytes, then pairs, then quads, then halves: after step k,
        // register i holds 2^k consecutive columns' values for a run of rows.
        let mut b = [_mm_setzero_si128(); 16];
        for i in 0..8 {
            b[2 * i] = _mm_unpacklo_epi8(a[2 * i], a[2 * i + 1]);
            b[2 * i + 1] = _mm_unpackhi_epi8(a[2 * i], a[2 * i + 1]);
        }
        let mut c = [_mm_setzero_si128(); 16];
        for j in 0..4 {
            let (p, q) = (4 * j, 4 * j + 2);
            c[4 * j] = _mm_unpacklo_epi16(b[p], b[q]);
            c[4 * j + 1] = _mm_unpackhi_epi16(b[p], b[q]);
            c[4 * j + 2] = _mm_unpacklo_epi16(b[p + 1], b[q + 1]);
            c[4 * j + 3] = _mm_unpackhi_epi16(b[p + 1], b[q + 1]);
        }
        let mut d = [_mm_setzero_si128(); 16];
        for k in 0..2 {
            for m in 0..4 {
                let (p, q) = (8 * k + m, 8 * k + 4 + m);
                d[8 * k + 2 * m] = _mm_unpacklo_epi32(c[p], c[q]);
                d[8 * k + 2 * m + 1] = _mm_unpackhi_epi32(c[p], c[q]);
            }
        }
        for r in 0..8 {
            let rows = [
                _mm_unpacklo_epi64(d[r], d[8 + r]),
                _mm_unpackhi_epi64(d[r], d[8 + r]),
            ];
            for (half, row) in rows.iter().enumerate() {
                let at = to + (2 * r + half) * LINE;
                _mm_storeu_si128(stage.as_mut_ptr().add(at).cast(), *row);
            }
        }
    }
}

/// Transposes the 8 x 8 bytes at `source` into 8 runs of 8 bytes, `LINE` apart.
#[cfg(not(target_arch = "x86_64"))]
fn transpose_tile(block: &[u8], (from, stride): (usize, usize), stage: &mut [u8], to: usize) {
    let mut words = [0u64; 8];
    for (j, word) in words.iter_mut().enumerate() {
        let start = from + j * stride;
        *word = u64::from_le_bytes(block[start..start + 8].try_into().unwrap());
    }
    transpose_8x8(&mut words);
    for (i, word) in words.iter().enumerate() {
        let start = to + i * LINE;
        stage[start..start + 8].copy_from_slice(&word.to_le_bytes());
    }
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
/// Transposes an 8 x 8 byte matrix held as 8 words (element (i, k) is byte k of
/// word i): swap the off-diagonal elements of 2 x 2 blocks, then of 4 x 4, then 8 x 8.
fn transpose_8x8(x: &mut [u64; 8]) {
    for (shift, mask, pairs) in [
        (
            8,
            0x00ff_00ff_00ff_00ffu64,
            [(0, 1), (2, 3), (4, 5), (6, 7)],
        ),
        (16, 0x0000_ffff_0000_ffff, [(0, 2), (1, 3), (4, 6), (5, 7)]),
        (32, 0x0000_0000_ffff_ffff, [(0, 4), (1, 5), (2, 6), (3, 7)]),
    ] {
        for (a, b) in pairs {
            let t = ((x[a] >> shift) ^ x[b]) & mask;
            x[b] ^= t;
            x[a] ^= t << shift;
        }
    }
}

/// A zeroed buffer of `len` bytes, its pages made present by the workers in
/// parallel before the decode writes them: one call per 32 MB instead of a page
/// fault per 4 KB page (400,000 of them for a competition row group) took the
/// snappy table's runs from 1.81-2.08 s to 1.78-1.82 s (system time 1.05-1.25 s ->
/// 0.76-0.84 s). Not with `MADV_HUGEPAGE`: on the VM of docs/benchmarks.md fresh
/// huge pages took 3.8 to 4.6 s for a whole run when the machine had been idle a
/// few seconds, against 2.3 to 2.5 s with small pages.
fn zeroed(len: usize) -> Vec<u8> {
    const CHUNK: usize = 32 << 20;
    let mut buffer = vec![0u8; len];
    buffer
        .par_chunks_mut(CHUNK)
        .for_each(crate::os::populate_for_writing);
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a `rows x row_len` PixelRows from a column-major matrix, one block of
    /// up to 64 columns at a time in strips of `strip` rows, as the decoder does.
    fn fill(columns: &[u8], rows: usize, row_len: usize, strip: usize) -> PixelRows {
        let mut out = PixelRows::default();
        out.reshape(rows, row_len);
        let writer = out.writer();
        for first in (0..row_len).step_by(LINE) {
            let end = (first + LINE).min(row_len);
            for start in (0..rows).step_by(strip) {
                let range = start..(start + strip).min(rows);
                let block: Vec<u8> = (first..end)
                    .flat_map(|c| &columns[c * rows + range.start..c * rows + range.end])
                    .copied()
                    .collect();
                // SAFETY: `out` outlives the writes; one call per block and strip.
                unsafe { writer.write_block(&block, range, first) };
            }
        }
        out
    }

    fn check(rows: usize, row_len: usize) {
        let columns: Vec<u8> = (0..rows * row_len).map(|i| (i * 31 % 251) as u8).collect();
        // Whole columns, strips of whole stages, and ragged strips.
        for strip in [rows.max(1), 32, 16, 7, 1] {
            let out = fill(&columns, rows, row_len, strip);
            assert_eq!((out.len(), out.row_len()), (rows, row_len));
            for r in 0..rows {
                let row = out.row(r);
                for (c, &value) in row.iter().enumerate() {
                    assert_eq!(
                        value,
                        columns[c * rows + r],
                        "{rows}x{row_len} in strips of {strip}: row {r} column {c}"
                    );
                }
            }
        }
    }

    #[test]
    fn rows_are_the_columns_transposed_for_whole_and_ragged_shapes() {
        // Whole 16-row stages and 64-column lines, ragged rows, a ragged last
        // block, blocks narrower than a tile, and one row or one column.
        for (rows, row_len) in [
            (32, 128),
            (70, 150),
            (17, 64),
            (5, 13),
            (1, 70),
            (40, 1),
            (0, 9),
        ] {
            check(rows, row_len);
        }
    }

    #[test]
    fn the_competition_shape_round_trips() {
        check(50, 137 * 236);
    }

    #[test]
    fn rows_start_on_cache_lines_and_par_rows_yields_them_in_order() {
        let (rows, row_len) = (37, 100);
        let columns: Vec<u8> = (0..rows * row_len).map(|i| (i % 253) as u8).collect();
        let out = fill(&columns, rows, row_len, rows);
        for r in 0..rows {
            assert_eq!(out.row(r).as_ptr() as usize % LINE, 0, "row {r}");
        }
        let some: Vec<&[u8]> = out.par_rows(3..20).collect();
        assert_eq!(some.len(), 17);
        for (i, row) in some.iter().enumerate() {
            assert_eq!(*row, out.row(3 + i));
        }
    }

    #[test]
    fn reshaping_to_the_same_shape_keeps_the_buffer() {
        let mut out = PixelRows::default();
        out.reshape(10, 70);
        let at = out.row(0).as_ptr();
        out.reshape(10, 70);
        assert_eq!(out.row(0).as_ptr(), at);
        out.reshape(11, 70);
        assert_eq!(out.len(), 11);
    }

    #[test]
    fn transpose_8x8_matches_the_definition() {
        let mut x = [0u64; 8];
        for (i, word) in x.iter_mut().enumerate() {
            *word = u64::from_le_bytes(std::array::from_fn(|k| (i * 8 + k) as u8));
        }
        let original = x;
        transpose_8x8(&mut x);
        for (i, row) in x.iter().enumerate() {
            for (k, column) in original.iter().enumerate() {
                assert_eq!(row.to_le_bytes()[k], column.to_le_bytes()[i]);
            }
        }
    }
}
