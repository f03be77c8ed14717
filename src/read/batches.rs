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
            (&self.name, first_row, ids),
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int16Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    /// Two batches of 3 rows of 2 x 2 pixels; `bad` is put at (row, pixel column)
    /// of the second batch.
    fn table(bad: Option<i16>, at: (usize, usize)) -> BatchTable {
        let mut fields = vec![Field::new("image_id", DataType::Utf8, false)];
        fields.extend((0..4).map(|c| Field::new(c.to_string(), DataType::Int16, true)));
        let schema = Arc::new(Schema::new(fields));
        let batch = |first: usize, bad_here: bool| {
            let ids = StringArray::from_iter_values((first..first + 3).map(|i| format!("T_{i}")));
            let mut columns: Vec<ArrayRef> = vec![Arc::new(ids)];
            for c in 0..4 {
                let values = (0..3).map(|r| {
                    if bad_here && (r, c) == at {
                        bad
                    } else {
                        Some(7)
                    }
                });
                columns.push(Arc::new(Int16Array::from_iter(values)));
            }
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        };
        let batches = vec![batch(0, false), batch(3, true)];
        BatchTable::new(Path::new("frame"), schema, batches, None).unwrap()
    }

    fn second_batch_error(table: &BatchTable) -> String {
        let ids = table.read_ids(1, 3).unwrap();
        let mut rows = PixelRows::default();
        let error = table.read_pixels(1, 3, &ids, &mut rows).unwrap_err();
        error.to_string()
    }

    #[test]
    fn good_pixels_fill_the_rows() {
        let table = table(Some(7), (0, 0));
        let ids = table.read_ids(1, 3).unwrap();
        let mut rows = PixelRows::default();
        table.read_pixels(1, 3, &ids, &mut rows).unwrap();
        assert_eq!((rows.len(), rows.row(2)), (3, &[7u8; 4][..]));
    }

    #[test]
    fn a_bad_pixel_is_placed_by_table_row_image_id_and_column() {
        let null = second_batch_error(&table(None, (1, 2)));
        assert!(
            null.contains(r#"frame, row 4 (image_id "T_4"), column "2": is null"#),
            "{null}"
        );
        let high = second_batch_error(&table(Some(300), (2, 3)));
        assert!(
            high.contains(r#"frame, row 5 (image_id "T_5"), column "3": has value 300"#),
            "{high}"
        );
    }
}
