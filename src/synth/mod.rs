//! Synthetic pixel tables shaped like the competition files (docs/spec.md section 1), so
//! benchmarks and tests need no download.
//!
//! Images are glyph-like ink strokes on a light, noisy background, stored raw (light
//! background, dark ink) like the competition's. Every image is a pure function of
//! `(seed, index)`, so any row can be regenerated alone and rows are generated in
//! parallel. The file has the competition's schema and layout: `image_id`, the
//! pixel columns `"0"..` as `INT32`/`UINT_8`, `__index_level_0__` last; format 1.0,
//! snappy, one dictionary page and one data page per column chunk. One difference
//! the parquet crate imposes: it labels dictionary-encoded data pages
//! `RLE_DICTIONARY` (and the dictionary page `PLAIN`), where pyarrow's format 1.0
//! writes `PLAIN_DICTIONARY`; the page bytes are encoded the same way.

use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::column::writer::{get_column_writer, get_typed_column_writer, ColumnCloseResult};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesPtr, WriterVersion,
};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::{ColumnDescPtr, Type, TypePtr};
use rayon::prelude::*;

mod glyphs;

use glyphs::render_image;
pub use glyphs::synthetic_image;

/// The `pandas` footer key of a pandas-written table, trimmed to what pandas needs
/// (columns it does not list are read with their Arrow types, here uint8).
const PANDAS_METADATA: &str = r#"{"index_columns": ["__index_level_0__"], "column_indexes": [{"name": null, "field_name": null, "pandas_type": "unicode", "numpy_type": "str", "metadata": {"encoding": "UTF-8"}}], "columns": [{"name": "image_id", "field_name": "image_id", "pandas_type": "object", "numpy_type": "str", "metadata": null}, {"name": null, "field_name": "__index_level_0__", "pandas_type": "int64", "numpy_type": "int64", "metadata": null}], "attributes": {}, "creator": {"library": "pixelprep synth"}}"#;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthOptions {
    /// Images to write.
    pub rows: usize,
    /// The same seed gives the same file.
    pub seed: u64,
    /// Number in the first image id (`Train_<first_id>`): files that continue one
    /// another's ids, like the competition's four, can be converted together.
    pub first_id: u64,
    /// Rows per row group.
    pub row_group_size: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
}

/// Writes the table to `path` (via a temporary file in the same folder, renamed at
/// the end, so a killed run leaves nothing under the final name). Returns the number
/// of rows written.
pub fn write_synthetic(path: &Path, options: &SynthOptions) -> io::Result<u64> {
    write_synthetic_until(path, options, &AtomicBool::new(false))
}

/// [`write_synthetic`] that stops when `cancel` is set (Ctrl-C), polled between
/// groups of 2,048 columns: the temporary file is removed and the error is of
/// kind [`io::ErrorKind::Interrupted`].
pub fn write_synthetic_until(
    path: &Path,
    options: &SynthOptions,
    cancel: &AtomicBool,
) -> io::Result<u64> {
    let pixels = options.height.checked_mul(options.width).unwrap_or(0);
    if pixels == 0 || options.row_group_size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "synthetic table needs a height, width and row group size above 0 (got {}x{}, row groups of {})",
                options.height, options.width, options.row_group_size
            ),
        ));
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let folder_context = || format!("cannot create a temporary file in {}", folder.display());
    std::fs::create_dir_all(folder).map_err(|e| with_context(e, &folder_context()))?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp_prefix = format!(".{file_name}.");
    let mut temp_builder = tempfile::Builder::new();
    temp_builder.prefix(&temp_prefix).suffix(".partial");
    // Temporary files are private (0600) by default; the finished table should get
    // the permissions of any new file (0666 less the umask).
    #[cfg(unix)]
    temp_builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = temp_builder
        .tempfile_in(folder)
        .map_err(|e| with_context(e, &folder_context()))?;

    let parquet_context = || format!("writing synthetic Parquet table {}", path.display());
    let sink = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
    let mut writer = SerializedFileWriter::new(
        sink,
        table_schema(options.height, options.width),
        writer_properties(),
    )
    .map_err(|e| parquet_error(e, &parquet_context()))?;
    let columns = writer.schema_descr().columns().to_vec();
    let properties = writer.properties().clone();
    let mut images = Vec::new();
    let mut first_row = 0;
    while first_row < options.rows {
        let rows = options.row_group_size.min(options.rows - first_row);
        render_row_group(options, first_row, rows, &mut images);
        let whole = write_row_group(
            &mut writer,
            &columns,
            &properties,
            &images,
            (first_row, rows, options.first_id),
            cancel,
        )
        .map_err(|e| parquet_error(e, &parquet_context()))?;
        if !whole {
            // Dropping the temporary file removes it.
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                format!(
                    "interrupted; nothing was written to {}, the partial table was removed",
                    path.display()
                ),
            ));
        }
        first_row += rows;
    }
    let sink = writer
        .into_inner()
        .map_err(|e| parquet_error(e, &parquet_context()))?;
    sink.into_inner()
        .map_err(|e| with_context(e.into_error(), &parquet_context()))?;
    // The rename below must never expose a file whose bytes are not on disk yet.
    temp.as_file()
        .sync_all()
        .map_err(|e| with_context(e, &parquet_context()))?;
    temp.persist(path).map_err(|e| {
        with_context(
            e.error,
            &format!("cannot move the finished table to {}", path.display()),
        )
    })?;
    Ok(options.rows as u64)
}

fn with_context(error: io::Error, context: &str) -> io::Error {
    io::Error::new(error.kind(), format!("{context}: {error}"))
}

fn parquet_error(error: ParquetError, context: &str) -> io::Error {
    match error {
        // Keep the kind (disk full, permission...) of an I/O failure under the writer.
        ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io_error) => with_context(*io_error, context),
            Err(other) => io::Error::other(format!("{context}: {other}")),
        },
        other => io::Error::other(format!("{context}: {other}")),
    }
}

// ---------------------------------------------------------------------------
// The Parquet layout

/// The competition's schema: what pandas + pyarrow write for a DataFrame of an
/// `image_id` string column, `uint8` pixel columns and a stored index.
fn table_schema(height: usize, width: usize) -> TypePtr {
    let pixels = height * width;
    let mut fields = Vec::with_capacity(pixels + 2);
    fields.push(column_type(
        "image_id",
        PhysicalType::BYTE_ARRAY,
        Some(LogicalType::String),
    ));
    for column in 0..pixels {
        let name = column.to_string();
        fields.push(column_type(
            &name,
            PhysicalType::INT32,
            Some(LogicalType::integer(8, false)),
        ));
    }
    fields.push(column_type("__index_level_0__", PhysicalType::INT64, None));
    Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .expect("a group of optional primitive columns is a valid schema"),
    )
}

fn column_type(name: &str, physical: PhysicalType, logical: Option<LogicalType>) -> TypePtr {
    Arc::new(
        Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(logical)
            .build()
            .expect("the column types used here match their physical types"),
    )
}

fn writer_properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(true)
            // No limit may cut a chunk into several pages or make the dictionary fall
            // back to PLAIN: the competition files have one dictionary page and one
            // data page per column chunk, and readers are tuned for that.
            .set_dictionary_page_size_limit(usize::MAX)
            .set_data_page_size_limit(usize::MAX)
            .set_data_page_row_count_limit(usize::MAX)
            // The competition files carry chunk statistics but no page index or bloom
            // filters. Pixel-table readers use none of them, and with 32k columns
            // they would only make the footer bigger and the writer slower.
            .set_statistics_enabled(EnabledStatistics::None)
            .set_offset_index_disabled(true)
            // pandas reads `__index_level_0__` as the index only if this key says so,
            // as in the competition files; without it `df.iloc[:, 1:]` (the
            // reference kernel) would take the index for a pixel column.
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "pandas".to_string(),
                PANDAS_METADATA.to_string(),
            )]))
            .set_bloom_filter_enabled(false)
            .build(),
    )
}

/// Renders rows `first_row..first_row + rows` into `images`, row-major, in parallel.
fn render_row_group(options: &SynthOptions, first_row: usize, rows: usize, images: &mut Vec<u8>) {
    let pixels = options.height * options.width;
    images.resize(rows * pixels, 0);
    images
        .par_chunks_mut(pixels)
        .enumerate()
        .for_each(|(offset, image)| {
            render_image(
                options.seed,
                first_row + offset,
                options.height,
                options.width,
                image,
            )
        });
}

/// Pixel columns per parallel task: the transpose reads 256 bytes (four adjacent
/// cache lines) of each image, and its column-major block is 256 x rows bytes.
const COLUMNS_PER_TASK: usize = 256;
/// Pixel columns encoded per parallel wave: bounds the encoded chunks held in
/// memory before they are appended to the file (under 2 KB per row).
const COLUMNS_PER_WAVE: usize = 2048;

/// One column chunk encoded into memory, ready to be appended to a row group.
struct EncodedColumn {
    bytes: Bytes,
    close: ColumnCloseResult,
}

/// Writes one row group of `rows` rows from `first_row`, ids counted from
/// `first_id`. The writer's dictionary encoding hashes every value, which makes it
/// the main cost with 32k columns: the pixel columns are therefore encoded in
/// parallel into memory and appended in order. Returns false, leaving the row
/// group unfinished, when `cancel` was set.
fn write_row_group<W: Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    columns: &[ColumnDescPtr],
    properties: &WriterPropertiesPtr,
    images: &[u8],
    (first_row, rows, first_id): (usize, usize, u64),
    cancel: &AtomicBool,
) -> Result<bool, ParquetError> {
    let pixels = columns.len() - 2;
    let mut row_group = writer.next_row_group()?;
    // Every value is present: definition level 1 everywhere.
    let present = vec![1i16; rows];

    let ids: Vec<ByteArray> = (first_row..first_row + rows)
        .map(|row| ByteArray::from(format!("Train_{}", first_id + row as u64).into_bytes()))
        .collect();
    let encoded = encode_column::<ByteArrayType>(&columns[0], properties, &ids, &present)?;
    row_group.append_column(&encoded.bytes, encoded.close)?;

    for wave_start in (0..pixels).step_by(COLUMNS_PER_WAVE) {
        if cancel.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let wave_end = (wave_start + COLUMNS_PER_WAVE).min(pixels);
        let task_starts: Vec<usize> = (wave_start..wave_end).step_by(COLUMNS_PER_TASK).collect();
        let encoded: Vec<Vec<EncodedColumn>> = task_starts
            .par_iter()
            .map(|&task_start| {
                let task_end = (task_start + COLUMNS_PER_TASK).min(wave_end);
                let block = transpose_columns(images, rows, pixels, task_start..task_end);
                let mut values: Vec<i32> = Vec::with_capacity(rows);
                block
                    .chunks_exact(rows)
                    .zip(&columns[1 + task_start..1 + task_end])
                    .map(|(column, descr)| {
                        values.clear();
                        values.extend(column.iter().map(|&v| i32::from(v)));
                        encode_column::<Int32Type>(descr, properties, &values, &present)
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        for column in encoded.into_iter().flatten() {
            row_group.append_column(&column.bytes, column.close)?;
        }
    }

    let index: Vec<i64> = (first_row..first_row + rows)
        .map(|row| row as i64)
        .collect();
    let encoded = encode_column::<Int64Type>(&columns[pixels + 1], properties, &index, &present)?;
    row_group.append_column(&encoded.bytes, encoded.close)?;
    row_group.close()?;
    Ok(true)
}

/// Pixel columns `columns` of the row-major `images`, column-major (`rows` values
/// per column).
fn transpose_columns(images: &[u8], rows: usize, pixels: usize, columns: Range<usize>) -> Vec<u8> {
    const TILE_ROWS: usize = 64;
    let mut block = vec![0u8; columns.len() * rows];
    // Tiles of rows: the tile's source bytes (64 x 256) stay in L1 while they are
    // spread over the columns.
    for tile_start in (0..rows).step_by(TILE_ROWS) {
        let tile_end = (tile_start + TILE_ROWS).min(rows);
        for (column, out) in columns.clone().zip(block.chunks_exact_mut(rows)) {
            for row in tile_start..tile_end {
                out[row] = images[row * pixels + column];
            }
        }
    }
    block
}

/// One column chunk (one dictionary page, one data page) encoded into memory.
fn encode_column<T: DataType>(
    descr: &ColumnDescPtr,
    properties: &WriterPropertiesPtr,
    values: &[T::T],
    definition_levels: &[i16],
) -> Result<EncodedColumn, ParquetError> {
    let mut sink = TrackedWrite::new(Vec::new());
    let page_writer = Box::new(SerializedPageWriter::new(&mut sink));
    let mut writer = get_typed_column_writer::<T>(get_column_writer(
        descr.clone(),
        properties.clone(),
        page_writer,
    ));
    writer.write_batch(values, Some(definition_levels), None)?;
    let close = writer.close()?;
    Ok(EncodedColumn {
        bytes: Bytes::from(sink.into_inner()?),
        close,
    })
}

// ---------------------------------------------------------------------------
// The images

#[cfg(test)]
mod tests {
    use super::*;
    const H: usize = 137;
    const W: usize = 236;
    use parquet::basic::{ConvertedType, Encoding, PageType};
    use parquet::column::reader::{get_typed_column_reader, ColumnReader};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    #[test]
    fn rejects_empty_shapes_and_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let options = SynthOptions {
            rows: 4,
            seed: 0,
            first_id: 0,
            row_group_size: 0,
            height: 20,
            width: 30,
        };
        let err = write_synthetic(&dir.path().join("x.parquet"), &options).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Every value of one column chunk, all non-null.
    fn read_column<T: DataType>(reader: ColumnReader, rows: usize) -> Vec<T::T> {
        let mut typed = get_typed_column_reader::<T>(reader);
        let (mut values, mut levels) = (Vec::new(), Vec::new());
        let (records, _, _) = typed
            .read_records(rows, Some(&mut levels), None, &mut values)
            .unwrap();
        assert_eq!(records, rows);
        assert!(levels.iter().all(|&level| level == 1));
        values
    }

    #[test]
    fn first_id_numbers_the_ids_from_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("second.parquet");
        let options = SynthOptions {
            rows: 12,
            seed: 1,
            first_id: 50_210,
            row_group_size: 5,
            height: 20,
            width: 20,
        };
        write_synthetic(&path, &options).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let ids = |group: usize, rows: usize| -> Vec<String> {
            let column = reader
                .get_row_group(group)
                .unwrap()
                .get_column_reader(0)
                .unwrap();
            read_column::<ByteArrayType>(column, rows)
                .iter()
                .map(|id| id.as_utf8().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(2, 2), ["Train_50220", "Train_50221"]);
        assert_eq!(ids(0, 5)[0], "Train_50210");
    }

    #[test]
    fn round_trips_through_the_parquet_reader() {
        let (rows, height, width, group) = (20, 40, 30, 8);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("synthetic.parquet");
        let options = SynthOptions {
            rows,
            seed: 42,
            first_id: 0,
            row_group_size: group,
            height,
            width,
        };
        assert_eq!(write_synthetic(&path, &options).unwrap(), rows as u64);
        // Only the finished file is left: the temporary file was renamed.
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );

        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let metadata = reader.metadata();
        // pandas must read the stored index as the index, as with the competition files.
        let pandas = metadata
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "pandas"))
            .and_then(|k| k.value.clone())
            .expect("a pandas key");
        let pandas: serde_json::Value = serde_json::from_str(&pandas).unwrap();
        assert_eq!(pandas["index_columns"][0], "__index_level_0__");
        assert_eq!(metadata.file_metadata().num_rows(), rows as i64);
        assert_eq!(metadata.file_metadata().version(), 1);
        assert_eq!(reader.num_row_groups(), 3);
        let schema = metadata.file_metadata().schema_descr();
        let pixels = height * width;
        assert_eq!(schema.num_columns(), 1 + pixels + 1);
        assert_eq!(schema.column(0).name(), "image_id");
        assert_eq!(schema.column(0).converted_type(), ConvertedType::UTF8);
        assert_eq!(schema.column(pixels + 1).name(), "__index_level_0__");
        assert_eq!(
            schema.column(pixels + 1).physical_type(),
            PhysicalType::INT64
        );
        for column in 0..pixels {
            let descr = schema.column(column + 1);
            assert_eq!(descr.name(), column.to_string());
            assert_eq!(descr.physical_type(), PhysicalType::INT32);
            assert_eq!(descr.converted_type(), ConvertedType::UINT_8);
            assert_eq!(
                descr.logical_type_ref(),
                Some(&LogicalType::integer(8, false))
            );
            assert_eq!(descr.max_def_level(), 1);
        }

        let mut first_row = 0;
        for group_index in 0..reader.num_row_groups() {
            let row_group = reader.get_row_group(group_index).unwrap();
            let group_rows = row_group.metadata().num_rows() as usize;
            assert_eq!(group_rows, group.min(rows - first_row));
            for column in 0..schema.num_columns() {
                let chunk = row_group.metadata().column(column);
                assert_eq!(chunk.compression(), Compression::SNAPPY);
                let encodings: Vec<Encoding> = chunk.encodings().collect();
                assert!(
                    encodings.contains(&Encoding::PLAIN_DICTIONARY)
                        || encodings.contains(&Encoding::RLE_DICTIONARY),
                    "{encodings:?}"
                );
                // One dictionary page, then one dictionary-encoded data page: a PLAIN
                // data page would mean the writer fell back.
                let mut pages = row_group.get_column_page_reader(column).unwrap();
                let mut page_kinds = Vec::new();
                while let Some(page) = pages.get_next_page().unwrap() {
                    page_kinds.push((page.page_type(), page.encoding()));
                }
                assert_eq!(
                    page_kinds,
                    [
                        (PageType::DICTIONARY_PAGE, Encoding::PLAIN),
                        (PageType::DATA_PAGE, Encoding::RLE_DICTIONARY)
                    ]
                );
            }

            let ids =
                read_column::<ByteArrayType>(row_group.get_column_reader(0).unwrap(), group_rows);
            let expected: Vec<String> = (first_row..first_row + group_rows)
                .map(|row| format!("Train_{row}"))
                .collect();
            let ids: Vec<&str> = ids.iter().map(|id| id.as_utf8().unwrap()).collect();
            assert_eq!(ids, expected);
            let index = read_column::<Int64Type>(
                row_group.get_column_reader(pixels + 1).unwrap(),
                group_rows,
            );
            assert_eq!(
                index,
                (first_row as i64..(first_row + group_rows) as i64).collect::<Vec<_>>()
            );

            let mut images = vec![vec![0u8; pixels]; group_rows];
            for column in 0..pixels {
                let values = read_column::<Int32Type>(
                    row_group.get_column_reader(column + 1).unwrap(),
                    group_rows,
                );
                for (image, value) in images.iter_mut().zip(values) {
                    image[column] = u8::try_from(value).unwrap();
                }
            }
            for (offset, image) in images.iter().enumerate() {
                assert_eq!(
                    image,
                    &synthetic_image(42, first_row + offset, height, width)
                );
            }
            first_row += group_rows;
        }
        assert_eq!(first_row, rows);
    }

    /// CPU seconds used so far by the whole process (all threads), from
    /// `/proc/self/stat`, in clock ticks of 10 ms; `NaN` where that is unavailable.
    fn process_cpu_seconds() -> f64 {
        let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
            return f64::NAN;
        };
        // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Speed and size at the competition's shape, wall and CPU time (the machine may
    /// be shared): `cargo test --release --lib synth::tests::speed -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn speed() {
        let images = 4_000;
        let (started, cpu) = (std::time::Instant::now(), process_cpu_seconds());
        let mut checksum = 0u64;
        for index in 0..images {
            checksum += u64::from(synthetic_image(5, index, H, W)[H * W / 2]);
        }
        let (wall, cpu) = (started.elapsed().as_secs_f64(), process_cpu_seconds() - cpu);
        println!(
            "generation, one thread: {:.0} images/s wall, {:.0} images per CPU-second (checksum {checksum})",
            images as f64 / wall,
            images as f64 / cpu
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("synthetic.parquet");
        for (rows, row_group_size) in [(2_000, 2_000), (2_000, 500), (10_000, 10_000)] {
            let options = SynthOptions {
                rows,
                seed: 5,
                first_id: 0,
                row_group_size,
                height: H,
                width: W,
            };
            let (started, cpu) = (std::time::Instant::now(), process_cpu_seconds());
            write_synthetic(&path, &options).unwrap();
            let (wall, cpu) = (started.elapsed().as_secs_f64(), process_cpu_seconds() - cpu);
            let bytes = std::fs::metadata(&path).unwrap().len();
            println!(
                "{rows} rows in row groups of {row_group_size}: {wall:.2} s wall ({:.0} rows/s), {cpu:.2} CPU-s ({:.0} rows per CPU-second), {:.1} MB per 1,000 rows",
                rows as f64 / wall,
                rows as f64 / cpu,
                bytes as f64 / 1e6 / (rows as f64 / 1000.0)
            );
        }
    }
}
