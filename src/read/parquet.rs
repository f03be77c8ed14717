//! Reading pixel tables: a Parquet file whose rows are images, one id column and
//! `height * width` integer pixel columns (Bengali.AI layout).
//!
//! A row cannot be read without decoding a page of every pixel column, so a row
//! group is the unit of work and memory: [`PixelTable::read_pixels`] decodes one
//! row group into [`PixelRows`], 64 columns per task (read in strips of rows), in
//! parallel on the current rayon pool.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use memmap2::Mmap;
use parquet::basic::Compression;
use parquet::column::page::PageReader;
use parquet::data_type::ByteArrayType;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;

use crate::error::{Error, Location, Result};
use crate::geometry::ImageShape;

use super::rows::PixelRows;

use super::columns::*;
use super::layout::*;
use super::sniff::not_parquet_because;

/// An opened pixel table whose layout has been checked against an image shape.
pub struct PixelTable {
    pub(super) path: PathBuf,
    /// The whole file, mapped: page readers get zero-copy slices of it.
    pub(super) data: Bytes,
    pub(super) map: Arc<Mmap>,
    pub(super) metadata: ParquetMetaData,
    /// Which column is the id, which are pixels and metadata.
    pub(super) classified: Classified,
    /// The schema as the layout sees it.
    pub(super) columns: Vec<ColumnInfo>,
}

/// What [`PixelTable::describe`] reports without reading any data.
#[derive(Debug, Clone)]
pub struct TableLayout {
    /// The file format, e.g. `Parquet format version 1` or `Arrow IPC file`.
    pub format: String,
    /// What the file's parts are called: `row group` or `record batch`.
    pub part_kind: &'static str,
    /// Rows (images) in the file.
    pub rows: u64,
    /// Rows of each row group (or record batch), in order.
    pub row_group_rows: Vec<u64>,
    /// Columns in the footer, all kinds.
    pub columns: usize,
    /// The id column's name.
    pub id_column: String,
    /// Stored pandas index columns (`__index_level_0__`), which are not pixels.
    pub index_columns: Vec<String>,
    /// Columns that are neither the id, the pixels nor a stored index (labels,
    /// text, floats), with their types.
    pub metadata_columns: Vec<(String, String)>,
    /// Number of pixel columns.
    pub pixel_columns: usize,
    /// Name of the first pixel column.
    pub first_pixel_column: String,
    /// Name of the last pixel column.
    pub last_pixel_column: String,
    /// The image shape the pixel count suggests: 137 x 236, or a square.
    pub inferred_shape: Option<ImageShape>,
    /// Distinct types of the pixel columns, e.g. `INT32 (UINT_8)`.
    pub pixel_types: Vec<String>,
    /// Distinct encodings over all pixel column chunks.
    pub encodings: Vec<String>,
    /// Distinct codecs over all pixel column chunks.
    pub compression: Vec<String>,
    /// The writer, as the footer names it.
    pub created_by: Option<String>,
}

impl super::PixelSource for PixelTable {
    fn num_rows(&self) -> u64 {
        self.num_rows()
    }
    fn num_parts(&self) -> usize {
        self.num_row_groups()
    }
    fn part_rows(&self, part: usize) -> usize {
        self.row_group_rows(part)
    }
    fn part_span(&self, part: usize) -> std::ops::Range<u64> {
        self.row_group_span(part)
    }
    fn pixel_count(&self) -> usize {
        self.classified.pixels.len()
    }
    fn read_ids(&self, part: usize, first_row: u64) -> Result<Vec<String>> {
        self.read_ids(part, first_row)
    }
    fn read_pixels(
        &self,
        part: usize,
        first_row: u64,
        ids: &[String],
        out: &mut PixelRows,
    ) -> Result<()> {
        self.read_pixels(part, first_row, ids, out)
    }
    fn describe(&self) -> TableLayout {
        self.describe()
    }
    fn metadata_columns(&self) -> Vec<String> {
        let roots = self
            .metadata
            .file_metadata()
            .schema_descr()
            .root_schema()
            .get_fields();
        super::metadata::parquet_metadata_fields(self)
            .into_iter()
            .map(|f| roots[f].name().to_string())
            .collect()
    }
    fn read_metadata(&self, part: usize, first_row: u64) -> Result<Vec<Vec<crate::meta::Value>>> {
        super::metadata::read_parquet_metadata(self, part, first_row)
    }
}

impl PixelTable {
    /// Opens `path`, reads its footer, finds the id and pixel columns and checks
    /// that there are `shape.pixels()` of them.
    pub fn open(path: &Path, shape: ImageShape, id_column: Option<&str>) -> Result<Self> {
        let table = Self::open_any_shape(path, id_column)?;
        super::check_pixel_count(path, table.classified.pixels.len(), shape)?;
        Ok(table)
    }

    /// Opens `path` and finds the id and pixel columns, whatever their count. The id
    /// column is `id_column` if given (see [`classify`]).
    pub fn open_any_shape(path: &Path, id_column: Option<&str>) -> Result<Self> {
        let (file, metadata) = open_footer(path)?;
        let file_len = file.len();
        let map = Arc::new(
            crate::os::map_read_only(&file).map_err(|source| Error::OpenInput {
                path: path.to_path_buf(),
                cause: source,
            })?,
        );
        let columns = parquet_columns(&metadata);
        let classified = classify_table(path, &columns, id_column)?;
        check_chunk_ranges(path, &metadata, file_len)?;
        Ok(PixelTable {
            path: path.to_path_buf(),
            data: Bytes::from_owner(SharedMap(map.clone())),
            map,
            metadata,
            classified,
            columns,
        })
    }

    /// The file it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows in the file.
    pub fn num_rows(&self) -> u64 {
        self.metadata.file_metadata().num_rows().max(0) as u64
    }

    /// Row groups in the file.
    pub fn num_row_groups(&self) -> usize {
        self.metadata.num_row_groups()
    }

    /// Rows in `row_group`.
    pub fn row_group_rows(&self, row_group: usize) -> usize {
        self.metadata.row_group(row_group).num_rows().max(0) as usize
    }

    /// Raw pixel bytes of the largest row group: the unit of memory.
    pub fn largest_row_group_bytes(&self) -> u64 {
        (0..self.num_row_groups())
            .map(|rg| self.row_group_rows(rg) as u64 * self.classified.pixels.len() as u64)
            .max()
            .unwrap_or(0)
    }

    pub(super) fn column_name(&self, column: usize) -> &str {
        self.metadata.file_metadata().schema_descr().columns()[column].name()
    }

    /// The bytes of the file holding `row_group`'s pixel columns: what decoding it
    /// reads, for reading it ahead.
    pub fn row_group_span(&self, row_group: usize) -> std::ops::Range<u64> {
        let (start, end) = self.chunk_span(row_group, &self.classified.pixels);
        start as u64..end as u64
    }

    /// The bytes of the file holding the chunks of `columns` in `row_group`
    /// (checked to lie inside the file when it was opened).
    pub(super) fn chunk_span(&self, row_group: usize, columns: &[usize]) -> (usize, usize) {
        let rg = self.metadata.row_group(row_group);
        let (mut start, mut end) = (u64::MAX, 0u64);
        for &c in columns {
            let (s, len) = rg.column(c).byte_range();
            start = start.min(s);
            end = end.max(s + len);
        }
        (start.min(end) as usize, end as usize)
    }

    /// Drops a decoded span from this process's memory; the page cache keeps it. The
    /// mapped file would otherwise count in full towards peak memory.
    pub(super) fn release(&self, (start, end): (usize, usize)) {
        crate::os::drop_mapped_pages(&self.map, start..end);
    }

    /// A page reader for one column chunk. With `as_stored`, it hands out the pages
    /// still compressed.
    pub(super) fn page_reader<R: ChunkReader + 'static>(
        &self,
        source: Arc<R>,
        row_group: usize,
        column: usize,
        as_stored: bool,
    ) -> std::result::Result<Box<dyn PageReader>, ParquetError> {
        let chunk = self.metadata.row_group(row_group).column(column);
        let uncompressed_view;
        let chunk = if as_stored {
            uncompressed_view = chunk
                .clone()
                .into_builder()
                .set_compression(Compression::UNCOMPRESSED)
                .build()?;
            &uncompressed_view
        } else {
            chunk
        };
        Ok(Box::new(SerializedPageReader::new(
            source,
            chunk,
            self.row_group_rows(row_group),
            None,
        )?))
    }

    /// Reads the image ids of one row group. `first_row` is the file row of its first row.
    pub fn read_ids(&self, row_group: usize, first_row: u64) -> Result<Vec<String>> {
        let rows = self.row_group_rows(row_group);
        let descr = self
            .metadata
            .file_metadata()
            .schema_descr()
            .column(self.classified.id);
        let at = || Location::file(&self.path).with_column(descr.name());
        let corrupt = |source| Error::from_parquet(at().with_row(first_row), source);
        let pages = self
            .page_reader(
                Arc::new(self.data.clone()),
                row_group,
                self.classified.id,
                false,
            )
            .map_err(corrupt)?;
        let (values, levels) =
            read_all_records::<ByteArrayType>(pages, descr.clone(), rows, "the id column")
                .map_err(corrupt)?;
        if descr.max_def_level() > 0 {
            if let Some(null_row) = levels.iter().position(|&l| l == 0) {
                return Err(Error::BadImageId {
                    at: at().with_row(first_row + null_row as u64),
                    message: "is null; every row needs an image id".into(),
                });
            }
        }
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                std::str::from_utf8(v.data())
                    .map(str::to_owned)
                    .map_err(|_| Error::BadImageId {
                        at: at().with_row(first_row + i as u64),
                        message: "is not valid UTF-8; image ids must be text".into(),
                    })
            })
            .collect()
    }

    /// A summary of the layout, read from the footer only.
    pub fn describe(&self) -> TableLayout {
        let mut encodings: Vec<String> = Vec::new();
        let mut compression: Vec<String> = Vec::new();
        for rg in self.metadata.row_groups() {
            for &c in &self.classified.pixels {
                let chunk = rg.column(c);
                push_unique(&mut compression, chunk.compression().to_string());
                for e in chunk.encodings() {
                    push_unique(&mut encodings, encoding_name(e));
                }
            }
        }
        let file = self.metadata.file_metadata();
        let facts = FormatFacts {
            format: format!("Parquet format version {}", file.version()),
            part_kind: "row group",
            part_rows: (0..self.num_row_groups())
                .map(|rg| self.row_group_rows(rg) as u64)
                .collect(),
            encodings,
            compression,
            created_by: file.created_by().map(str::to_owned),
        };
        describe(&self.columns, &self.classified, facts)
    }
}

/// Opens `path` and parses its footer, with errors a user can act on.
pub fn open_footer(path: &Path) -> Result<(File, ParquetMetaData)> {
    if path.is_dir() {
        return Err(Error::InputIsDirectory {
            path: path.to_path_buf(),
        });
    }
    let file = File::open(path).map_err(|source| Error::OpenInput {
        path: path.to_path_buf(),
        cause: source,
    })?;
    if let Some((what, advice)) = not_parquet_because(&file) {
        return Err(Error::NotParquetFile {
            path: path.to_path_buf(),
            what,
            advice,
        });
    }
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|source| Error::NotParquet {
            path: path.to_path_buf(),
            cause: source,
        })?;
    Ok((file, metadata))
}

/// Checks that every column chunk lies inside the file. A damaged footer can hold
/// negative offsets, on which the parquet crate panics, or ranges past the end.
pub(crate) fn check_chunk_ranges(
    path: &Path,
    metadata: &ParquetMetaData,
    file_len: u64,
) -> Result<()> {
    for (rg_index, rg) in metadata.row_groups().iter().enumerate() {
        for chunk in rg.columns() {
            // Named before any data is read, not as damage found while decoding.
            if chunk.compression() == Compression::LZO {
                return Err(Error::Unsupported {
                    at: Box::new(Location::file(path).with_column(chunk.column_descr().name())),
                    what: "compression LZO".into(),
                    advice: crate::error::REWRITE_ADVICE,
                });
            }
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or_else(|| chunk.data_page_offset());
            let len = chunk.compressed_size();
            let inside = start >= 0
                && len >= 0
                && (start as u64)
                    .checked_add(len as u64)
                    .is_some_and(|end| end <= file_len);
            if !inside {
                return Err(Error::Corrupt {
                    at: Location::file(path).with_column(chunk.column_descr().name()),
                    cause: ParquetError::General(format!(
                        "row group {rg_index}: the footer places this column at bytes {start}..+{len}, outside the file's {file_len} bytes"
                    )),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::metadata::{ColumnChunkMetaData, FileMetaData, RowGroupMetaData};
    use parquet::schema::parser::parse_message_type;
    use parquet::schema::types::SchemaDescriptor;

    #[test]
    fn an_lzo_column_is_named_as_unsupported_not_as_damage() {
        let schema = parse_message_type("message t { required int32 a; }").unwrap();
        let schema = Arc::new(SchemaDescriptor::new(Arc::new(schema)));
        let chunk = ColumnChunkMetaData::builder(schema.column(0))
            .set_compression(Compression::LZO)
            .set_data_page_offset(4)
            .set_total_compressed_size(10)
            .build()
            .unwrap();
        let group = RowGroupMetaData::builder(schema.clone())
            .set_num_rows(1)
            .set_column_metadata(vec![chunk])
            .build()
            .unwrap();
        let file = FileMetaData::new(1, 1, None, None, schema, None);
        let metadata = ParquetMetaData::new(file, vec![group]);
        let error = check_chunk_ranges(Path::new("t.parquet"), &metadata, 100).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, Error::Unsupported { .. }), "{message}");
        assert!(
            message.starts_with("t.parquet, column \"a\": compression LZO is not supported; rewrite the file with snappy or zstd"),
            "{message}"
        );
    }

    #[test]
    fn missing_features_of_the_parquet_crate_are_not_called_damage() {
        let at = Location::file("t.parquet");
        let nyi = Error::from_parquet(at.clone(), ParquetError::NYI("encoding BIT_PACKED".into()));
        assert!(
            nyi.to_string()
                .contains("encoding BIT_PACKED is not supported"),
            "{nyi}"
        );
        let damaged = Error::from_parquet(at, ParquetError::EOF("short page".into()));
        assert!(
            damaged.to_string().contains("damaged or truncated"),
            "{damaged}"
        );
    }
}
