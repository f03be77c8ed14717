//! Decoding a row group's pixels: 64 columns per task, in strips of 4,096 rows
//! that stay in the core's cache while they are transposed into rows, with each
//! span of columns dropped from this process's memory once decoded.

use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, Type as PhysicalType};
use parquet::data_type::{Int32Type, Int64Type};
use rayon::prelude::*;

use super::dictionary::{prepare_dictionary_column, DictionaryDecodeError, RawCodec};
use super::rows::{with_strip_scratch, PixelRows, LINE};
use crate::error::{Error, Location, Result};

use super::columns::*;
use super::parquet::PixelTable;

/// Pixel columns whose file bytes are decoded, then dropped from this process's
/// memory together (a multiple of [`LINE`]).
const SPAN_COLUMNS: usize = 2048;

/// Rows of a block of [`LINE`] columns decoded before they are transposed: the
/// strip (256 KB) stays in the core's cache. Whole columns (3 MB for 50,210 rows)
/// did not, and the transpose read them back from the shared cache.
const STRIP_ROWS: usize = 4096;

impl PixelTable {
    /// Decodes the pixels of `row_group` into `out` (reshaped and reused). `ids` are
    /// the row group's image ids, used to name the row of a bad value.
    pub fn read_pixels(
        &self,
        row_group: usize,
        first_row: u64,
        ids: &[String],
        out: &mut PixelRows,
    ) -> Result<()> {
        self.read_pixels_in_strips(row_group, first_row, ids, out, STRIP_ROWS)
    }

    fn read_pixels_in_strips(
        &self,
        row_group: usize,
        first_row: u64,
        ids: &[String],
        out: &mut PixelRows,
        strip_rows: usize,
    ) -> Result<()> {
        let rows = self.row_group_rows(row_group);
        out.reshape(rows, self.classified.pixels.len());
        if rows == 0 {
            return Ok(());
        }
        let writer = out.writer();
        let spans: Vec<&[usize]> = self.classified.pixels.chunks(SPAN_COLUMNS).collect();
        let source = Arc::new(self.data.clone());
        for (span_index, span_columns) in spans.iter().enumerate() {
            let span = self.chunk_span(row_group, span_columns);
            let first_column = span_index * SPAN_COLUMNS;
            span_columns
                .par_chunks(LINE)
                .enumerate()
                .try_for_each(|(block_index, block)| {
                    let block_first_column = first_column + block_index * LINE;
                    let prepared = block
                        .iter()
                        .map(|&column| {
                            self.prepare_pixel_column(&source, row_group, column)
                                .map_err(|fault| self.fault_error(fault, column, first_row, ids))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let mut readers: Vec<ColumnReader> =
                        prepared.iter().map(PreparedColumn::reader).collect();
                    with_strip_scratch(|scratch| {
                        for strip in (0..rows).step_by(strip_rows) {
                            let strip = strip..(strip + strip_rows).min(rows);
                            scratch.resize(block.len() * strip.len(), 0);
                            let columns = scratch.chunks_exact_mut(strip.len());
                            for ((column_out, reader), &column) in
                                columns.zip(&mut readers).zip(block)
                            {
                                reader.read(column_out).map_err(|fault| {
                                    self.fault_error(fault, column, first_row, ids)
                                })?;
                            }
                            // SAFETY: `out` is borrowed mutably for this whole call and
                            // not touched otherwise; each block's first column is
                            // distinct, and one task writes all its strips.
                            unsafe { writer.write_block(scratch, strip, block_first_column) };
                        }
                        Ok(())
                    })
                })?;
            self.release(span);
        }
        Ok(())
    }

    /// A pixel column chunk ready to be read in strips of rows: dictionary pages
    /// as they are; any other encoding decoded whole, the general way.
    fn prepare_pixel_column(
        &self,
        source: &Arc<Bytes>,
        row_group: usize,
        column: usize,
    ) -> std::result::Result<PreparedColumn, PixelFault> {
        let descr = self.metadata.file_metadata().schema_descr().column(column);
        let rows = self.row_group_rows(row_group);
        // Snappy and zstd pages are read as stored and decompressed by the
        // dictionary path: snappy's indices come straight from the file's bytes
        // when it did not compress, zstd's through one context per thread.
        let raw = match self
            .metadata
            .row_group(row_group)
            .column(column)
            .compression()
        {
            Compression::SNAPPY => Some(RawCodec::Snappy),
            Compression::ZSTD(_) => Some(RawCodec::Zstd),
            _ => None,
        };
        let pages = self.page_reader(source.clone(), row_group, column, raw.is_some())?;
        match prepare_dictionary_column(pages, &descr, rows, raw) {
            Ok(prepared) => return Ok(PreparedColumn::Dictionary(Box::new(prepared))),
            Err(DictionaryDecodeError::Fault(fault)) => return Err(fault),
            // Not dictionary-encoded all through: read it again the general way.
            Err(DictionaryDecodeError::Unsupported) => {}
        }
        let pages = self.page_reader(source.clone(), row_group, column, false)?;
        let mut values = vec![0u8; rows];
        match descr.physical_type() {
            PhysicalType::INT32 => decode_generic::<Int32Type>(pages, descr, &mut values)?,
            PhysicalType::INT64 => decode_generic::<Int64Type>(pages, descr, &mut values)?,
            other => unreachable!("pixel columns are checked to be integers, found {other}"),
        }
        Ok(PreparedColumn::Decoded(values))
    }

    fn fault_error(
        &self,
        fault: PixelFault,
        column: usize,
        first_row: u64,
        ids: &[String],
    ) -> Error {
        let at = |row: usize| {
            let mut at = Location::file(&self.path)
                .with_row(first_row + row as u64)
                .with_column(self.column_name(column));
            if let Some(id) = ids.get(row) {
                at = at.with_image_id(id.clone());
            }
            at
        };
        match fault {
            PixelFault::Null { row } => Error::BadPixel {
                at: at(row),
                message: "is null; every pixel needs a value 0..255, fill or drop the row".into(),
            },
            PixelFault::OutOfRange { row, value } => Error::BadPixel {
                at: at(row),
                message: format!(
                    "has value {value}, outside 0..255; pixels must be 8-bit grayscale values"
                ),
            },
            PixelFault::Parquet(source) => Error::from_parquet(
                Location::file(&self.path).with_column(self.column_name(column)),
                source,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::ImageShape;
    use crate::synth::{synthetic_image, write_synthetic, SynthOptions};

    #[test]
    fn strips_of_any_size_give_the_written_pixels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("strips.parquet");
        let (rows, height, width) = (90, 9, 15);
        let options = SynthOptions {
            rows,
            seed: 11,
            first_id: 0,
            row_group_size: 40,
            height,
            width,
        };
        write_synthetic(&path, &options).unwrap();
        let table = PixelTable::open(&path, ImageShape { height, width }, None).unwrap();
        let mut first_row = 0;
        for rg in 0..table.num_row_groups() {
            let ids = table.read_ids(rg, first_row as u64).unwrap();
            for strip_rows in [1, 7, 16, 40, 4096] {
                let mut pixels = PixelRows::default();
                table
                    .read_pixels_in_strips(rg, first_row as u64, &ids, &mut pixels, strip_rows)
                    .unwrap();
                for r in 0..pixels.len() {
                    let expected = synthetic_image(options.seed, first_row + r, height, width);
                    assert_eq!(
                        pixels.row(r),
                        expected,
                        "row group {rg}, strips of {strip_rows}, row {r}"
                    );
                }
            }
            first_row += table.row_group_rows(rg);
        }
        assert_eq!(first_row, rows);
    }
}
