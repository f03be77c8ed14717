//! Feather v2 / Arrow IPC input: the file format (`ARROW1`, as
//! `pyarrow.feather.write_feather` and `DataFrame.to_feather` write it) and the
//! stream format, uncompressed or with lz4 or zstd buffers.
//!
//! The file is mapped and its messages are walked once at opening, which gives
//! the schema and where each record batch lies (a file holds the same messages
//! as a stream, plus a footer that is not needed). A record batch is the unit of
//! memory, as a row group is for Parquet: its pixel columns are decoded a span at
//! a time (only those buffers: the decoder skips the others), transposed into
//! rows, and dropped. Uncompressed buffers are slices of the mapped file, never
//! copies; the pages of each span are dropped from this process's memory once
//! transposed.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::Buffer;
use arrow_ipc::reader::FileDecoder;
use arrow_ipc::{Block, CompressionType, MessageHeader, MetadataVersion};
use arrow_schema::{ArrowError, DataType, Schema, SchemaRef};
use bytes::Bytes;
use memmap2::Mmap;
use rayon::prelude::*;

use super::arrow_compressed;
use super::columns::SharedMap;
use super::layout::{classify_table, describe, Classified, ColumnInfo, ColumnKind, FormatFacts};
use super::metadata;
use super::rows::PixelRows;
use super::{PixelSource, TableLayout};
use crate::error::{Error, Location, Result};
use crate::meta::Value;

/// Pixel columns decoded at a time: the decoded span, not the whole batch, is
/// what a compressed batch costs in memory beside its rows (through arrow-ipc;
/// the compressed path holds 64 columns per thread), and the mapped file's pages are
/// dropped after each.
const SPAN_COLUMNS: usize = 2048;
/// Pixel columns one task decodes: each decode walks the whole schema to skip
/// the other columns' buffers, so not too few.
const DECODE_COLUMNS: usize = 256;
/// Rows per strip of the transpose (as for Parquet, it stays in the core's cache).
const STRIP_ROWS: usize = 4096;

thread_local! {
    /// Each worker's decompressed block of columns, kept from block to block:
    /// a new one would be faulted in and zeroed again each time.
    static DECOMPRESSED_BLOCK: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A column the compressed path cannot decompress.
struct Undecodable;

/// This thread's block scratch while a block uses it, given back when dropped.
struct BlockScratch(Vec<u8>);

impl BlockScratch {
    fn take() -> Self {
        BlockScratch(DECOMPRESSED_BLOCK.with_borrow_mut(std::mem::take))
    }
}

impl Drop for BlockScratch {
    fn drop(&mut self) {
        let scratch = std::mem::take(&mut self.0);
        let _ = DECOMPRESSED_BLOCK.try_with(|kept| *kept.borrow_mut() = scratch);
    }
}

/// The stream format's marker before each message (absent before 0.15).
const CONTINUATION: [u8; 4] = [0xff; 4];

/// True when `path` starts like an Arrow IPC file or stream.
pub(crate) fn looks_like_arrow(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    head[..n].starts_with(b"ARROW1") || (n == 8 && head[..4] == CONTINUATION)
}

/// One record batch: its message, rows, and the bytes it spans in the file.
struct Part {
    block: Block,
    rows: usize,
    span: Range<u64>,
}

/// An Arrow IPC file or stream, mapped, whose messages have been walked: its
/// record batches are decoded one at a time, as asked.
pub(crate) struct IpcFile {
    path: PathBuf,
    /// The whole file, mapped: uncompressed arrays are slices of it.
    data: Buffer,
    map: Arc<Mmap>,
    schema: SchemaRef,
    version: MetadataVersion,
    dictionaries: Vec<Block>,
    parts: Vec<Part>,
    /// A file (`ARROW1`) or a stream.
    is_file: bool,
    /// The buffers' codec, if compressed.
    codec: Option<String>,
}

/// An opened Arrow IPC table whose layout has been checked.
pub struct ArrowTable {
    ipc: IpcFile,
    columns: Vec<ColumnInfo>,
    classified: Classified,
    /// For uint8 pixels: each field's values buffer, for the fast path of
    /// `arrow_compressed` (batches compressed with LZ4 or zstd).
    compressed_values: Option<Vec<usize>>,
    /// The metadata columns whose values the outputs hold, and the others.
    carried: Vec<usize>,
    uncarried: Vec<usize>,
}

/// The names of `columns` (indices into `all`).
pub(super) fn column_names(all: &[ColumnInfo], columns: &[usize]) -> Vec<String> {
    columns.iter().map(|&c| all[c].name.clone()).collect()
}

/// The names and types of `columns` (indices into `all`).
pub(super) fn column_types(all: &[ColumnInfo], columns: &[usize]) -> Vec<(String, String)> {
    columns
        .iter()
        .map(|&c| (all[c].name.clone(), all[c].type_name.clone()))
        .collect()
}

/// The columns of an Arrow schema as the layout sees them.
pub(super) fn schema_columns(schema: &Schema) -> Vec<ColumnInfo> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnInfo {
            name: f.name().clone(),
            kind: column_kind(f.data_type()),
            type_name: f.data_type().to_string(),
        })
        .collect()
}

fn column_kind(data_type: &DataType) -> ColumnKind {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => ColumnKind::Integer,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnKind::String,
        t if t.is_nested() => ColumnKind::Nested,
        _ => ColumnKind::Other,
    }
}

/// What the walk over a file's messages found.
struct Messages {
    schema: SchemaRef,
    version: MetadataVersion,
    dictionaries: Vec<Block>,
    parts: Vec<Part>,
    codec: Option<String>,
}

/// The schema, dictionaries and record batches of an IPC file or stream; `Err`
/// says what is wrong. A file is read from its footer (some writers, polars
/// among them, put no schema message before the batches); a stream by walking
/// its messages.
fn walk_messages(data: &[u8]) -> std::result::Result<Messages, String> {
    if data.starts_with(b"ARROW1") {
        read_footer(data)
    } else {
        walk_stream(data)
    }
}

fn truncated(at: usize) -> String {
    format!("the file ends inside the message at byte {at}, so it is truncated")
}

/// The record batch message of `block`, where its body starts and how long it is.
pub(super) fn batch_message<'a>(
    data: &'a [u8],
    block: &Block,
) -> std::result::Result<(arrow_ipc::RecordBatch<'a>, usize, usize), String> {
    let at = usize::try_from(block.offset()).map_err(|_| truncated(0))?;
    let meta_len = usize::try_from(block.metaDataLength()).map_err(|_| truncated(at))?;
    let body = usize::try_from(block.bodyLength()).map_err(|_| truncated(at))?;
    at.checked_add(meta_len)
        .and_then(|e| e.checked_add(body))
        .filter(|&e| e <= data.len() && meta_len >= 8)
        .ok_or_else(|| truncated(at))?;
    let meta = &data[at..at + meta_len];
    let meta = if meta[..4] == CONTINUATION {
        &meta[8..]
    } else {
        &meta[4..]
    };
    let message = arrow_ipc::root_as_message(meta)
        .map_err(|e| format!("the record batch at byte {at} is not readable ({e})"))?;
    let batch = message
        .header_as_record_batch()
        .ok_or_else(|| format!("the block at byte {at} is not a record batch"))?;
    Ok((batch, at + meta_len, body))
}

/// The message of `block` and its rows and codec.
fn batch_of(data: &[u8], block: &Block) -> std::result::Result<(usize, Option<String>), String> {
    let (batch, body_at, body) = batch_message(data, block)?;
    let at = block.offset();
    let rows = usize::try_from(batch.length())
        .map_err(|_| format!("the record batch at byte {at} has a negative length"))?;
    let codec = batch.compression().map(|c| format!("{:?}", c.codec()));
    // The decoder trusts these; a damaged file must not make it slice past the
    // body or allocate what a length prefix claims.
    let damaged =
        |what: &str| format!("the record batch at byte {at} {what}, so the file is damaged");
    let most = (rows as u64 + 1).saturating_mul(4096);
    for buffer in batch.buffers().iter().flatten() {
        let (offset, length) = (buffer.offset(), buffer.length());
        let inside = offset >= 0
            && length >= 0
            && (offset as u64)
                .checked_add(length as u64)
                .is_some_and(|end| end <= body as u64);
        if !inside {
            return Err(damaged("places a buffer outside its body"));
        }
        if codec.is_some() && length > 0 {
            if length < 8 {
                return Err(damaged("has a compressed buffer without its length"));
            }
            let from = body_at + offset as usize;
            let claimed = i64::from_le_bytes(data[from..from + 8].try_into().expect("8 bytes"));
            if claimed != -1 && !(0..=most as i64).contains(&claimed) {
                return Err(damaged("claims an impossible decompressed size"));
            }
        }
    }
    Ok((rows, codec))
}

/// An IPC file: `ARROW1`, the messages, the footer, its length and `ARROW1`.
fn read_footer(data: &[u8]) -> std::result::Result<Messages, String> {
    let no_footer = || "it has no footer at its end, so it is truncated".to_string();
    if data.len() < 18 || !data.ends_with(b"ARROW1") {
        return Err(no_footer());
    }
    let trailer = data.len() - 10;
    let footer_len =
        arrow_ipc::reader::read_footer_length(data[trailer..].try_into().expect("10 bytes"))
            .map_err(|_| no_footer())?;
    let footer_start = trailer
        .checked_sub(footer_len)
        .filter(|&s| s >= 8)
        .ok_or_else(no_footer)?;
    let footer = arrow_ipc::root_as_footer(&data[footer_start..trailer])
        .map_err(|e| format!("its footer is not readable ({e})"))?;
    let schema = footer.schema().ok_or("its footer has no schema")?;
    let schema = arrow_ipc::convert::try_fb_to_schema(schema)
        .map_err(|e| format!("the schema is not readable ({e})"))?;
    let dictionaries: Vec<Block> = footer.dictionaries().iter().flatten().copied().collect();
    let mut parts = Vec::new();
    let mut codec = None;
    for block in footer.recordBatches().iter().flatten() {
        let (rows, batch_codec) = batch_of(data, block)?;
        codec = codec.or(batch_codec);
        let start = block.offset() as u64;
        let end = start + block.metaDataLength() as u64 + block.bodyLength() as u64;
        parts.push(Part {
            block: *block,
            rows,
            span: start..end,
        });
    }
    Ok(Messages {
        schema: Arc::new(schema),
        version: footer.version(),
        dictionaries,
        parts,
        codec,
    })
}

/// An IPC stream: messages, each with its length (after a continuation marker
/// since 0.15), until the end marker or the end of the data.
fn walk_stream(data: &[u8]) -> std::result::Result<Messages, String> {
    let mut at = 0;
    let mut schema = None;
    let mut dictionaries = Vec::new();
    let mut parts = Vec::new();
    let mut codec = None;
    loop {
        if at + 4 > data.len() {
            if at < data.len() {
                return Err(truncated(at));
            }
            break; // a stream may end without its end marker
        }
        let word = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().expect("4 bytes"));
        let (prefix, meta_len) = if data[at..at + 4] == CONTINUATION {
            if at + 8 > data.len() {
                return Err(truncated(at));
            }
            (8, word(at + 4) as usize)
        } else {
            (4, word(at) as usize)
        };
        if meta_len == 0 {
            break; // the end-of-stream marker
        }
        let meta_end = at
            .checked_add(prefix + meta_len)
            .filter(|&end| end <= data.len() && meta_len <= i32::MAX as usize)
            .ok_or_else(|| truncated(at))?;
        let message = arrow_ipc::root_as_message(&data[at + prefix..meta_end])
            .map_err(|e| format!("the message at byte {at} is not readable ({e})"))?;
        let body = usize::try_from(message.bodyLength())
            .ok()
            .filter(|&b| meta_end.checked_add(b).is_some_and(|end| end <= data.len()))
            .ok_or_else(|| truncated(at))?;
        let block = Block::new(at as i64, (prefix + meta_len) as i32, body as i64);
        match message.header_type() {
            MessageHeader::Schema => {
                let fb = message
                    .header_as_schema()
                    .ok_or("the schema message is not readable")?;
                let parsed = arrow_ipc::convert::try_fb_to_schema(fb)
                    .map_err(|e| format!("the schema is not readable ({e})"))?;
                schema = Some((Arc::new(parsed), message.version()));
            }
            MessageHeader::DictionaryBatch => dictionaries.push(block),
            MessageHeader::RecordBatch => {
                let (rows, batch_codec) = batch_of(data, &block)?;
                codec = codec.or(batch_codec);
                parts.push(Part {
                    block,
                    rows,
                    span: at as u64..(meta_end + body) as u64,
                });
            }
            other => return Err(format!("unexpected message {other:?} at byte {at}")),
        }
        at = meta_end + body;
    }
    let (schema, version) = schema.ok_or("it has no schema message")?;
    Ok(Messages {
        schema,
        version,
        dictionaries,
        parts,
        codec,
    })
}

impl IpcFile {
    /// Maps `path` and walks its messages.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|cause| Error::OpenInput {
            path: path.to_path_buf(),
            cause,
        })?;
        let map = Arc::new(
            crate::os::map_read_only(&file).map_err(|cause| Error::OpenInput {
                path: path.to_path_buf(),
                cause,
            })?,
        );
        let data = Buffer::from(Bytes::from_owner(SharedMap(map.clone())));
        let messages = walk_messages(&data).map_err(|why| Error::CorruptIpc {
            at: Location::file(path),
            why,
        })?;
        // The walk touched every buffer's length prefix, and the kernel mapped the
        // pages around each: drop them, or they would all count towards peak
        // memory beside the first batch's rows.
        crate::os::drop_mapped_pages(&map, 0..map.len());
        Ok(IpcFile {
            path: path.to_path_buf(),
            is_file: data.starts_with(b"ARROW1"),
            data,
            map,
            schema: messages.schema,
            version: messages.version,
            dictionaries: messages.dictionaries,
            parts: messages.parts,
            codec: messages.codec,
        })
    }

    /// The schema.
    pub(crate) fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The rows of each record batch, in order.
    pub(crate) fn batch_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().map(|p| p.rows)
    }

    fn corrupt(&self, at: Location, cause: ArrowError) -> Error {
        Error::CorruptIpc {
            at,
            why: format!("cannot decode the record batch ({cause})"),
        }
    }

    /// Columns `projection` of record batch `part`, in that order.
    pub(crate) fn read_columns(&self, part: usize, projection: Vec<usize>) -> Result<RecordBatch> {
        let at = || {
            let first: u64 = self.parts[..part].iter().map(|p| p.rows as u64).sum();
            Location::file(&self.path).with_row(first)
        };
        let mut decoder =
            FileDecoder::new(self.schema.clone(), self.version).with_projection(projection);
        for block in &self.dictionaries {
            let buffer = self.message_bytes(block);
            decoder
                .read_dictionary(block, &buffer)
                .map_err(|e| self.corrupt(at(), e))?;
        }
        let block = &self.parts[part].block;
        decoder
            .read_record_batch(block, &self.message_bytes(block))
            .map_err(|e| self.corrupt(at(), e))?
            .ok_or_else(|| Error::CorruptIpc {
                at: at(),
                why: "a record batch message holds no batch".into(),
            })
    }

    fn message_bytes(&self, block: &Block) -> Buffer {
        self.data.slice_with_length(
            block.offset() as usize,
            block.metaDataLength() as usize + block.bodyLength() as usize,
        )
    }

    /// Drops `part`'s bytes of the mapped file from this process's memory; the page
    /// cache keeps them, and the next span's buffers are mapped again as it reads
    /// them. Otherwise the mapped file would count in full towards peak memory,
    /// beside the decoded rows.
    pub(crate) fn release(&self, part: usize) {
        let span = &self.parts[part].span;
        crate::os::drop_mapped_pages(&self.map, span.start as usize..span.end as usize);
    }
}

impl ArrowTable {
    /// Opens `path`, walks its messages and finds the id and pixel columns.
    pub fn open(path: &Path, id_column: Option<&str>) -> Result<Self> {
        let ipc = IpcFile::open(path)?;
        let columns = schema_columns(&ipc.schema);
        let classified = classify_table(path, &columns, id_column)?;
        let uint8_pixels = classified
            .pixels
            .iter()
            .all(|&c| *ipc.schema.field(c).data_type() == DataType::UInt8);
        // The fast path checks each batch's codec itself (`pixel_buffers`).
        let compressed_values = uint8_pixels
            .then(|| arrow_compressed::value_buffers(&ipc.schema))
            .flatten();
        let (carried, uncarried) = metadata::split_carried(&ipc.schema, &classified.metadata);
        Ok(ArrowTable {
            compressed_values,
            carried,
            uncarried,
            ipc,
            columns,
            classified,
        })
    }

    /// Fills `columns` of `out` from their compressed buffers (`buffers`, one per pixel
    /// column), a block of 64 columns per task: decompressed into this
    /// thread's scratch and transposed from there while it is in the core's cache.
    /// False when one does not decompress (the arrow-ipc path then reads the
    /// columns and says what is wrong).
    fn fill_compressed(
        &self,
        out: &mut PixelRows,
        columns: Range<usize>,
        codec: CompressionType,
        buffers: &[Range<usize>],
        rows: usize,
    ) -> bool {
        let slot = arrow_compressed::slot_len(rows);
        out.fill_columns_prepared(
            columns,
            STRIP_ROWS,
            |first, width| {
                let mut scratch = BlockScratch::take();
                scratch.0.resize(width * slot, 0);
                for (buffer, slot) in buffers[first..first + width]
                    .iter()
                    .zip(scratch.0.chunks_mut(slot))
                {
                    arrow_compressed::decompress_column(
                        codec,
                        &self.ipc.data[buffer.clone()],
                        rows,
                        slot,
                    )
                    .ok_or(Undecodable)?;
                }
                Ok::<_, Undecodable>(scratch)
            },
            |scratch, _, strip, block| {
                for (c, column) in block.chunks_exact_mut(strip.len()).enumerate() {
                    column.copy_from_slice(&scratch.0[c * slot..][strip.clone()]);
                }
                Ok(())
            },
        )
        .is_ok()
    }
}

/// `array` as bytes 0..255 into `out`, or the first row that is null or out of
/// range, with its value.
fn copy_pixels(
    array: &dyn Array,
    rows: Range<usize>,
    out: &mut [u8],
) -> std::result::Result<(), (usize, Option<i64>)> {
    if array.null_count() > 0 {
        if let Some(row) = rows.clone().find(|&r| array.is_null(r)) {
            return Err((row, None));
        }
    }
    macro_rules! narrow {
        ($t:ty) => {{
            let values = &array.as_primitive::<$t>().values()[rows.clone()];
            for (i, (o, &v)) in out.iter_mut().zip(values).enumerate() {
                let wide = v as i64;
                if !(0..=255).contains(&wide) {
                    return Err((rows.start + i, Some(wide)));
                }
                *o = wide as u8;
            }
        }};
    }
    match array.data_type() {
        DataType::UInt8 => out.copy_from_slice(&array.as_primitive::<UInt8Type>().values()[rows]),
        DataType::Int8 => narrow!(Int8Type),
        DataType::Int16 => narrow!(Int16Type),
        DataType::UInt16 => narrow!(UInt16Type),
        DataType::Int32 => narrow!(Int32Type),
        DataType::UInt32 => narrow!(UInt32Type),
        DataType::Int64 => narrow!(Int64Type),
        DataType::UInt64 => {
            let values = &array.as_primitive::<UInt64Type>().values()[rows.clone()];
            for (i, (o, &v)) in out.iter_mut().zip(values).enumerate() {
                if v > 255 {
                    return Err((rows.start + i, Some(i64::try_from(v).unwrap_or(i64::MAX))));
                }
                *o = v as u8;
            }
        }
        other => unreachable!("pixel columns are checked to be integers, found {other}"),
    }
    Ok(())
}

/// The text of an id column, refusing nulls; `at(row)` says where a row is.
pub(super) fn ids_of(column: &ArrayRef, at: impl Fn(usize) -> Location) -> Result<Vec<String>> {
    if let Some(row) = (0..column.len()).find(|&r| column.is_null(r)) {
        return Err(Error::BadImageId {
            at: at(row),
            message: "is null; every row needs an image id".into(),
        });
    }
    let ids: Vec<String> = match column.data_type() {
        DataType::Utf8 => column
            .as_string::<i32>()
            .iter()
            .flatten()
            .map(str::to_owned)
            .collect(),
        DataType::LargeUtf8 => column
            .as_string::<i64>()
            .iter()
            .flatten()
            .map(str::to_owned)
            .collect(),
        DataType::Utf8View => column
            .as_string_view()
            .iter()
            .flatten()
            .map(str::to_owned)
            .collect(),
        other => unreachable!("the id column is checked to be text, found {other}"),
    };
    Ok(ids)
}

/// Fills columns `first_column..` of `out` from `arrays` (one per pixel column,
/// the batch's rows), or says which pixel is null or out of range; `column(k)`
/// names array `k`, and a bad row is placed in `file` from its `first_row` and
/// named by its id in `ids`.
pub(super) fn fill_pixels(
    out: &mut PixelRows,
    first_column: usize,
    arrays: &[&ArrayRef],
    column: impl Fn(usize) -> String,
    (file, first_row, ids): (&Path, u64, &[String]),
) -> Result<()> {
    let fault = out.fill_columns(
        first_column..first_column + arrays.len(),
        STRIP_ROWS,
        |first, strip, block| {
            let width = block.len() / strip.len().max(1);
            for c in 0..width {
                let k = first - first_column + c;
                let chunk = &mut block[c * strip.len()..(c + 1) * strip.len()];
                copy_pixels(arrays[k].as_ref(), strip.clone(), chunk)
                    .map_err(|(row, value)| (k, row, value))?;
            }
            Ok(())
        },
    );
    let Err((k, row, value)) = fault else {
        return Ok(());
    };
    Err(Error::BadPixel {
        at: Location::file(file)
            .with_row(first_row + row as u64)
            .with_image_id(ids.get(row).cloned().unwrap_or_default())
            .with_column(column(k)),
        message: match value {
            None => "is null; pixels must be 8-bit grayscale values".into(),
            Some(v) => {
                format!("has value {v}, outside 0..255; pixels must be 8-bit grayscale values")
            }
        },
    })
}

impl PixelSource for ArrowTable {
    fn num_rows(&self) -> u64 {
        self.ipc.parts.iter().map(|p| p.rows as u64).sum()
    }

    fn num_parts(&self) -> usize {
        self.ipc.parts.len()
    }

    fn part_rows(&self, part: usize) -> usize {
        self.ipc.parts[part].rows
    }

    fn part_span(&self, part: usize) -> Range<u64> {
        self.ipc.parts[part].span.clone()
    }

    fn pixel_count(&self) -> usize {
        self.classified.pixels.len()
    }

    fn read_ids(&self, part: usize, first_row: u64) -> Result<Vec<String>> {
        let id = self.classified.id;
        let batch = self.ipc.read_columns(part, vec![id])?;
        let at = |row: usize| {
            Location::file(&self.ipc.path)
                .with_row(first_row + row as u64)
                .with_column(&self.columns[id].name)
        };
        ids_of(batch.column(0), at)
    }

    fn read_pixels(
        &self,
        part: usize,
        first_row: u64,
        ids: &[String],
        out: &mut PixelRows,
    ) -> Result<()> {
        let rows = self.ipc.parts[part].rows;
        let pixels = &self.classified.pixels;
        out.reshape(rows, pixels.len());
        // The compressed path: every pixel column's buffer found in the message once.
        let compressed = self.compressed_values.as_deref().and_then(|values_of| {
            arrow_compressed::pixel_buffers(
                &self.ipc.data,
                &self.ipc.parts[part].block,
                rows,
                values_of,
                pixels,
            )
        });
        for (span_index, span) in pixels.chunks(SPAN_COLUMNS).enumerate() {
            let first_column = span_index * SPAN_COLUMNS;
            let columns = first_column..first_column + span.len();
            if let Some((codec, buffers)) = &compressed {
                if self.fill_compressed(out, columns, *codec, buffers, rows) {
                    self.ipc.release(part);
                    continue;
                }
            }
            // Decoded (decompressed) in parallel, a slice of the span per task.
            let slices: Vec<RecordBatch> = span
                .par_chunks(DECODE_COLUMNS)
                .map(|columns| self.ipc.read_columns(part, columns.to_vec()))
                .collect::<Result<_>>()?;
            let arrays: Vec<&ArrayRef> = slices.iter().flat_map(|b| b.columns()).collect();
            fill_pixels(
                out,
                first_column,
                &arrays,
                |k| self.columns[span[k]].name.clone(),
                (&self.ipc.path, first_row, ids),
            )?;
            drop(arrays);
            drop(slices);
            self.ipc.release(part);
        }
        Ok(())
    }

    fn metadata_columns(&self) -> Vec<String> {
        column_names(&self.columns, &self.carried)
    }

    fn uncarried_metadata(&self) -> Vec<(String, String)> {
        column_types(&self.columns, &self.uncarried)
    }

    fn read_metadata(&self, part: usize, _first_row: u64) -> Result<Vec<Vec<Value>>> {
        let columns = &self.carried;
        let rows = self.ipc.parts[part].rows;
        if columns.is_empty() {
            return Ok(vec![Vec::new(); rows]);
        }
        let batch = self.ipc.read_columns(part, columns.clone())?;
        let arrays: Vec<&dyn Array> = (0..columns.len())
            .map(|i| batch.column(i).as_ref())
            .collect();
        Ok(metadata::arrow_rows(&arrays, rows))
    }

    fn describe(&self) -> TableLayout {
        let kind = if self.ipc.is_file {
            "file (Feather v2)"
        } else {
            "stream (no footer)"
        };
        let facts = FormatFacts {
            format: format!("Arrow IPC {kind}, metadata {:?}", self.ipc.version),
            part_kind: "record batch",
            part_rows: self.ipc.parts.iter().map(|p| p.rows as u64).collect(),
            encodings: vec!["Arrow IPC buffers".into()],
            compression: vec![self
                .ipc
                .codec
                .clone()
                .unwrap_or_else(|| "UNCOMPRESSED".into())],
            created_by: None,
        };
        describe(&self.columns, &self.classified, facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(data: &[u8]) -> String {
        match walk_messages(data) {
            Ok(_) => panic!("accepted"),
            Err(why) => why,
        }
    }

    #[test]
    fn truncated_and_foreign_bytes_are_refused_with_a_reason() {
        assert!(why(b"ARROW1\0\0").contains("no footer"));
        assert!(why(b"ARROW1\0\0\xff\xff\xff\xff\x10\0\0\0abcARROW1").contains("truncated"));
        assert!(why(b"\xff\xff\xff\xff\x10\0\0\0abc").contains("truncated"));
        assert!(why(b"\xff\xff\xff\xff\0\0\0\0").contains("no schema"));
    }

    #[test]
    fn wide_integers_are_checked_into_bytes() {
        let array = arrow_array::Int64Array::from(vec![0, 255, 7, 300]);
        let mut out = [0u8; 3];
        copy_pixels(&array, 0..3, &mut out).unwrap();
        assert_eq!(out, [0, 255, 7]);
        assert_eq!(copy_pixels(&array, 1..4, &mut out), Err((3, Some(300))));
        let nulls = arrow_array::UInt8Array::from(vec![Some(1), None]);
        assert_eq!(copy_pixels(&nulls, 0..2, &mut [0; 2]), Err((1, None)));
    }
}
