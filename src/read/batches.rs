//! A table already in memory as Arrow record batches (from a pyarrow Table, a
//! polars DataFrame or DuckDB, through the Arrow C stream interface): the same
//! layout rules and pixel checks as an Arrow IPC file, with the arrays read
//! where the producer put them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;

use super::arrow::{column_names, column_types, fill_pixels, ids_of, schema_columns};
use super::layout::{classify_table, describe, Classified, ColumnInfo, FormatFacts};
use super::metadata;
use super::rows::PixelRows;
use super::{PixelSource, TableLayout};
use crate::error::{Location, Result};
use crate::meta::Value;

/// Record batches of one schema, a part each.
pub struct BatchTable {
    /// What errors call the table (there is no file).
    name: PathBuf,
    batches: Vec<RecordBatch>,
    columns: Vec<ColumnInfo>,
    classified: Classified,
    /// The metadata columns whose values the outputs hold, and the others.
    carried: Vec<usize>,
    uncarried: Vec<usize>,
}

impl BatchTable {
    /// Checks the layout of `schema` (id, pixels, metadata) as for a file; `name`
    /// stands for the table in errors.
    pub fn new(
        name: &Path,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        id_column: Option<&str>,
    ) -> Result<Self> {
        let columns = schema_columns(&schema);
        let classified = classify_table(name, &columns, id_column)?;
        let (carried, uncarried) = metadata::split_carried(&schema, &classified.metadata);
        Ok(BatchTable {
            carried,
            uncarried,
            name: name.to_path_buf(),
            batches,
            columns,
            classified,
        })
    }
}

impl PixelSource for BatchTable {
    fn num_rows(&self) -> u64 {
        self.batches.iter().map(|b| b.num_rows() as u64).sum()
    }

    fn num_parts(&self) -> usize {
        self.batches.len()
    }

    fn part_rows(&self, part: usize) -> usize {
        self.batches[part].num_rows()
    }

    fn part_span(&self, _part: usize) -> Range<u64> {
        0..0
    }

    fn pixel_count(&self) -> usize {
        self.classified.pixels.len()
    }

    fn read_ids(&self, part: usize, first_row: u64) -> Result<Vec<String>> {
        let id = self.classified.id;
        ids_of(self.batches[part].column(id), |row| {
            Location::file(&self.name)
                .with_row(first_row + row as u64)
                .with_column(&self.columns[id].name)
        })
    }

    fn read_pixels(
        &self,
        part: usize,
        first_row: u64,
        ids: &[String],
        out: &mut PixelRows,
    ) -> Result<()> {
        let batch = &self.batches[part];
        let pixels = &self.classified.pixels;
        out.reshape(batch.num_rows(), pixels.len());
        let arrays: Vec<&ArrayRef> = pixels.iter().map(|&c| batch.column(c)).collect();
        fill_pixels(
            out,
            0,
            &arrays,
            |k| self.columns[pixels[k]].name.clone(),
            |row| {
                Location::file(&self.name)
                    .with_row(first_row + row as u64)
                    .with_image_id(ids.get(row).cloned().unwrap_or_default())
            },
        )
    }

    fn describe(&self) -> TableLayout {
        let facts = FormatFacts {
            format: "Arrow record batches in memory".into(),
            part_kind: "record batch",
            part_rows: self.batches.iter().map(|b| b.num_rows() as u64).collect(),
            encodings: vec!["Arrow arrays".into()],
            compression: vec!["UNCOMPRESSED".into()],
            created_by: None,
        };
        describe(&self.columns, &self.classified, facts)
    }

    fn metadata_columns(&self) -> Vec<String> {
        column_names(&self.columns, &self.carried)
    }

    fn uncarried_metadata(&self) -> Vec<(String, String)> {
        column_types(&self.columns, &self.uncarried)
    }

    fn read_metadata(&self, part: usize, _first_row: u64) -> Result<Vec<Vec<Value>>> {
        let batch = &self.batches[part];
        let arrays: Vec<&dyn Array> = self
            .carried
            .iter()
            .map(|&c| batch.column(c).as_ref())
            .collect();
        Ok(metadata::arrow_rows(&arrays, batch.num_rows()))
    }
}
