//! Parquet and Arrow IPC (Feather v2) tables of encoded images, as Hugging
//! Face `datasets` writes them:
//! an `image` column that is a struct of `{bytes: binary, path: string}` (or
//! any binary column of image file bytes), beside label columns. Each row is an
//! image; its id is the struct's `path` without extension where there is one,
//! else the id column (`image_id`, or `--id-column`), else the row number; the
//! other columns are carried as labels.
//!
//! The listing reads the paths, the ids and the labels; the image bytes are
//! read a row group (an Arrow record batch) at a time when the workers ask for
//! them; two groups' bytes are held, or when groups are small as many as hold
//! three batches of rows (see [`ROWS_HELD`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::schema::types::ColumnDescPtr;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Schema};

use super::{image_file, without_extension, Entry, FileList, Shared};
use crate::decode::{DecodeError, Problem};
use crate::error::{Error, Location, Result};
use crate::read::arrow::IpcFile;
use crate::read::columns::read_all_records;

/// Tables with this many integer columns are pixel tables, whatever else they hold.
const PIXEL_TABLE_INTEGERS: usize = 64;

/// Where a table's images are.
#[derive(Debug, Clone)]
struct ImageColumn {
    /// The top-level column's name.
    name: String,
    /// Its leaf of image bytes (Parquet), or its field (Arrow).
    bytes: usize,
    /// Its leaf of paths (the Hugging Face struct); for Arrow, `Some` when the
    /// field is the struct.
    path: Option<usize>,
}

fn is_text(descr: &ColumnDescPtr) -> bool {
    matches!(
        descr.logical_type_ref(),
        Some(LogicalType::String | LogicalType::Json | LogicalType::Enum)
    ) || matches!(
        descr.converted_type(),
        ConvertedType::UTF8 | ConvertedType::JSON | ConvertedType::ENUM
    )
}

fn is_binary(descr: &ColumnDescPtr) -> bool {
    descr.physical_type() == PhysicalType::BYTE_ARRAY
        && descr.max_rep_level() == 0
        && !is_text(descr)
}

/// The image columns of a schema, in order: Hugging Face `{bytes, path}`
/// structs, and top-level binary columns.
fn image_columns(metadata: &ParquetMetaData) -> Vec<ImageColumn> {
    let columns = metadata.file_metadata().schema_descr().columns();
    let mut found = Vec::new();
    for (leaf, descr) in columns.iter().enumerate() {
        let parts = descr.path().parts();
        match parts {
            [name] if is_binary(descr) => found.push(ImageColumn {
                name: name.clone(),
                bytes: leaf,
                path: None,
            }),
            [name, field] if field == "bytes" && is_binary(descr) => {
                let path = columns.iter().position(|d| {
                    matches!(d.path().parts(), [n, f] if n == name && f == "path")
                        && d.physical_type() == PhysicalType::BYTE_ARRAY
                        && d.max_rep_level() == 0
                });
                if path.is_some() {
                    found.push(ImageColumn {
                        name: name.clone(),
                        bytes: leaf,
                        path,
                    });
                }
            }
            _ => {}
        }
    }
    // The Hugging Face struct first: a plain binary column may be anything.
    found.sort_by_key(|c| c.path.is_none());
    found
}

fn is_arrow_binary(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    )
}

fn is_arrow_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The image columns of an Arrow schema, as [`image_columns`] finds them:
/// `{bytes, path}` structs first, then binary columns.
fn arrow_image_columns(schema: &Schema) -> Vec<ImageColumn> {
    let mut found = Vec::new();
    for (f, field) in schema.fields().iter().enumerate() {
        let path = match field.data_type() {
            t if is_arrow_binary(t) => None,
            DataType::Struct(children) => {
                let child = |name: &str, ok: fn(&DataType) -> bool| {
                    children
                        .iter()
                        .any(|c| c.name() == name && ok(c.data_type()))
                };
                if !(child("bytes", is_arrow_binary) && child("path", is_arrow_text)) {
                    continue;
                }
                Some(0)
            }
            _ => continue,
        };
        found.push(ImageColumn {
            name: field.name().clone(),
            bytes: f,
            path,
        });
    }
    found.sort_by_key(|c| c.path.is_none());
    found
}

/// True when `path` is a Parquet or Arrow IPC table of encoded images rather
/// than of pixels: it has an image column and fewer than 64 integer columns. The answer is
/// kept per file (path, size, time): a run asks several times, and parsing a
/// pixel table's 32k-column footer costs tens of milliseconds.
pub(crate) fn is_image_table(path: &Path) -> bool {
    type Seen = std::collections::HashMap<PathBuf, (u64, Option<std::time::SystemTime>, bool)>;
    static SEEN: Mutex<Option<Seen>> = Mutex::new(None);
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let stamp = (meta.len(), meta.modified().ok());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let seen = seen.get_or_insert_with(Default::default);
    if let Some(&(len, time, answer)) = seen.get(path) {
        if (len, time) == stamp {
            return answer;
        }
    }
    let answer = looks_like_image_table(path);
    seen.insert(path.to_path_buf(), (stamp.0, stamp.1, answer));
    answer
}

fn looks_like_image_table(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let parquet = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"PAR1");
    if !parquet {
        if !crate::read::arrow::looks_like_arrow(path) {
            return false;
        }
        let Ok(ipc) = IpcFile::open(path) else {
            return false;
        };
        let schema = ipc.schema();
        let integers = schema
            .fields()
            .iter()
            .filter(|f| f.data_type().is_integer())
            .count();
        return integers < PIXEL_TABLE_INTEGERS && !arrow_image_columns(schema).is_empty();
    }
    let Ok((_, metadata)) = crate::read::parquet::open_footer(path) else {
        return false;
    };
    let integers = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .filter(|d| crate::read::layout::is_integer(d))
        .count();
    integers < PIXEL_TABLE_INTEGERS && !image_columns(&metadata).is_empty()
}

/// An opened table of encoded images, whose row groups' bytes are read on demand.
pub(crate) struct ImageTable {
    source: Source,
    column: ImageColumn,
    /// The image bytes of the last row groups read, newest last.
    groups: Mutex<VecDeque<(usize, GroupBytes)>>,
}

/// The file of a table.
enum Source {
    Parquet {
        data: Bytes,
        metadata: ParquetMetaData,
    },
    /// Its groups are the record batches.
    Arrow(IpcFile),
}

/// The image bytes of a row group, a value per row (`None` for a null).
type GroupBytes = Arc<Vec<Option<ByteArray>>>;

/// The rows whose bytes are held: those of the newest row groups read, at least
/// two groups and at least this many rows. The workers convert a batch of 256
/// rows at once, and a batch spans up to 256 + 2 x 255 rows of whole groups when
/// groups are small: held together, no worker evicts a group another still
/// reads (which would decode it again for each of its rows).
const ROWS_HELD: usize = 3 * 256;

/// Drops the oldest groups of `held` while the rest keep two groups and
/// [`ROWS_HELD`] rows.
fn evict(held: &mut VecDeque<(usize, GroupBytes)>) {
    let mut rows: usize = held.iter().map(|(_, v)| v.len()).sum();
    while held.len() > 2 {
        let oldest = held.front().map_or(0, |(_, v)| v.len());
        if rows - oldest < ROWS_HELD {
            break;
        }
        rows -= oldest;
        held.pop_front();
    }
}

/// The values of byte-array leaf `leaf` in row group `group` of a Parquet
/// file, `None` for a null.
fn read_leaf(
    data: &Bytes,
    metadata: &ParquetMetaData,
    group: usize,
    leaf: usize,
) -> std::result::Result<Vec<Option<ByteArray>>, ParquetError> {
    let rows = metadata.row_group(group).num_rows().max(0) as usize;
    let descr = metadata.file_metadata().schema_descr().column(leaf);
    let chunk = metadata.row_group(group).column(leaf);
    let pages = SerializedPageReader::new(Arc::new(data.clone()), chunk, rows, None)?;
    let (values, levels) =
        read_all_records::<ByteArrayType>(Box::new(pages), descr.clone(), rows, "the column")?;
    let max = descr.max_def_level();
    if max == 0 {
        return Ok(values.into_iter().map(Some).collect());
    }
    let mut values = values.into_iter();
    levels
        .iter()
        .map(|&level| match level == max {
            true => values
                .next()
                .map(Some)
                .ok_or_else(|| ParquetError::EOF("fewer values than the levels say".into())),
            false => Ok(None),
        })
        .collect()
}

/// The values of a binary or text array, `None` for a null.
fn arrow_values(array: &dyn Array) -> Option<Vec<Option<&[u8]>>> {
    Some(match array.data_type() {
        DataType::Binary => array.as_binary::<i32>().iter().collect(),
        DataType::LargeBinary => array.as_binary::<i64>().iter().collect(),
        DataType::BinaryView => array.as_binary_view().iter().collect(),
        DataType::Utf8 => array
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::as_bytes))
            .collect(),
        DataType::LargeUtf8 => array
            .as_string::<i64>()
            .iter()
            .map(|v| v.map(str::as_bytes))
            .collect(),
        DataType::Utf8View => array
            .as_string_view()
            .iter()
            .map(|v| v.map(str::as_bytes))
            .collect(),
        _ => return None,
    })
}

/// The child `name` of the struct `array`, null where the struct is.
fn struct_child(array: &ArrayRef, name: &str) -> Option<ArrayRef> {
    let parent = array.as_struct_opt()?;
    let child = parent.column_by_name(name)?.clone();
    match parent.nulls() {
        None => Some(child),
        Some(nulls) => {
            let data = child.to_data();
            let merged = arrow_buffer::NullBuffer::union(Some(nulls), data.nulls());
            let data = data.into_builder().nulls(merged).build().ok()?;
            Some(arrow_array::make_array(data))
        }
    }
}

impl ImageTable {
    /// The rows of `group`.
    fn group_rows(&self, group: usize) -> usize {
        match &self.source {
            Source::Parquet { metadata, .. } => {
                metadata.row_group(group).num_rows().max(0) as usize
            }
            Source::Arrow(ipc) => ipc.batch_rows().nth(group).unwrap_or(0),
        }
    }

    /// The image bytes of every row of `group`, or why they cannot be read.
    fn read_images(&self, group: usize) -> std::result::Result<Vec<Option<ByteArray>>, String> {
        match &self.source {
            Source::Parquet { data, metadata } => {
                read_leaf(data, metadata, group, self.column.bytes).map_err(|e| e.to_string())
            }
            Source::Arrow(ipc) => {
                let batch = ipc
                    .read_columns(group, vec![self.column.bytes])
                    .map_err(|e| e.to_string())?;
                let mut column = batch.column(0).clone();
                if self.column.path.is_some() {
                    column = struct_child(&column, "bytes").ok_or("no bytes in the struct")?;
                }
                let values = arrow_values(column.as_ref())
                    .ok_or("the column is not binary")?
                    .into_iter()
                    .map(|v| v.map(|v| ByteArray::from(v.to_vec())))
                    .collect();
                ipc.release(group);
                Ok(values)
            }
        }
    }

    /// The image bytes of row `row` of `group`, `None` when null.
    fn bytes(&self, group: usize, row: usize) -> std::result::Result<Option<Vec<u8>>, DecodeError> {
        let values = {
            let mut held = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            match held.iter().find(|(g, _)| *g == group) {
                Some((_, values)) => values.clone(),
                None => {
                    let values = Arc::new(self.read_images(group).map_err(|e| {
                        let part = match self.source {
                            Source::Parquet { .. } => "row group",
                            Source::Arrow(_) => "record batch",
                        };
                        DecodeError::new(
                            Problem::Damaged,
                            format!(
                                "{part} {group} of column {:?} cannot be read ({e}); the file \
                                 is damaged or truncated, download it again",
                                self.column.name
                            ),
                        )
                    })?);
                    held.push_back((group, values.clone()));
                    evict(&mut held);
                    values
                }
            }
        };
        Ok(values
            .get(row)
            .and_then(|v| v.as_ref())
            .map(|v| v.data().to_vec()))
    }
}

/// Reads an image of a table: its bytes, or where they are null the file its
/// path names beside the table (what `datasets` does).
pub(crate) fn read_row(
    table: &ImageTable,
    group: usize,
    row: usize,
    file: Option<&Path>,
) -> std::result::Result<Vec<u8>, DecodeError> {
    if let Some(bytes) = table.bytes(group, row)? {
        return Ok(bytes);
    }
    match file {
        Some(file) => std::fs::read(file).map_err(|e| {
            DecodeError::new(
                Problem::Unreadable,
                format!(
                    "its image bytes are null and the file its path names, {}, cannot be read: \
                     {e}",
                    file.display()
                ),
            )
        }),
        None => Err(DecodeError::new(
            Problem::NotAnImage,
            "its image bytes are null and it has no path naming a file",
        )),
    }
}

/// A row's path as a path relative to the table's folder: as it is when
/// relative, the part under the folder when absolute inside it, else `None`.
fn inside_folder(written: &str, folder: &Path) -> Option<String> {
    if !Path::new(written).is_absolute() {
        return Some(written.to_string());
    }
    let inside = Path::new(written).strip_prefix(folder).ok()?;
    let parts: Option<Vec<&str>> = inside
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    parts.map(|p| p.join("/")).filter(|p| !p.is_empty())
}

/// Which columns of a table of encoded images are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableColumns<'a> {
    /// The image column, when it is not found by its type.
    pub image: Option<&'a str>,
    /// The id column, when it is not `image_id`.
    pub id: Option<&'a str>,
}

/// The image column: the one `name`d, else the first found.
fn choose_column(path: &Path, found: Vec<ImageColumn>, name: Option<&str>) -> Result<ImageColumn> {
    match name {
        Some(name) => found
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::Layout {
                at: Location::file(path).with_column(name),
                message: "is not a column of image bytes (binary, or a struct of {bytes, path}); \
                      pass --image-column the name of one"
                    .into(),
            }),
        None => found.into_iter().next().ok_or_else(|| Error::Layout {
            at: Location::file(path),
            message: "has no column of image bytes (binary, or a struct of {bytes, path}); \
                      pass --image-column"
                .into(),
        }),
    }
}

/// Pushes the images of `group` (whose first row is `first_row`) into `list`,
/// given each row's path and id column value.
fn push_rows(
    path: &Path,
    table: &Shared<ImageTable>,
    group: usize,
    first_row: u64,
    paths: &[Option<String>],
    ids: &[Option<String>],
    list: &mut FileList,
) -> Result<()> {
    let t = &table.0;
    let folder = path.parent().unwrap_or(Path::new(""));
    let absolute_folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    for row in 0..t.group_rows(group) {
        let number = first_row + row as u64;
        let named = paths.get(row).cloned().flatten().filter(|p| !p.is_empty());
        let named = named
            .map(|p| inside_folder(&p, &absolute_folder).ok_or(p))
            .transpose()
            .map_err(|p| Error::BadImageId {
                at: Location::file(path)
                    .with_row(number)
                    .with_column(&t.column.name),
                message: format!(
                    "the image path {p:?} is absolute and outside the table's folder, so it \
                     cannot give the image's id (what datasets' to_parquet writes for images \
                     given by absolute path); write the table with the image bytes embedded \
                     and relative paths (push_to_hub does), or paths relative to the table"
                ),
            })?;
        let id = match (&named, ids.get(row).cloned().flatten()) {
            (Some(p), _) => without_extension(p).to_string(),
            (None, Some(id)) => id,
            (None, None) => number.to_string(),
        };
        let mut image = image_file(path.to_path_buf(), named.clone().unwrap_or(id.clone()));
        image.id = id;
        image.entry = Entry::Row {
            table: table.clone(),
            group,
            row,
            number,
            file: named.map(|p| folder.join(p)),
        };
        list.files.push(image);
    }
    Ok(())
}

/// Text values as strings; `Err` for one that is not UTF-8.
fn texts<'a>(
    values: impl IntoIterator<Item = Option<&'a [u8]>>,
    at: impl Fn() -> Location,
) -> Result<Vec<Option<String>>> {
    values
        .into_iter()
        .map(|v| {
            v.map(|v| {
                std::str::from_utf8(v)
                    .map(str::to_owned)
                    .map_err(|_| Error::BadImageId {
                        at: at(),
                        message: "is not valid UTF-8; paths and ids must be text".into(),
                    })
            })
            .transpose()
        })
        .collect()
}

/// The rows of the image table at `path` (Parquet, or Arrow IPC), with their
/// labels, into `list`.
pub(crate) fn list_table(path: &Path, columns: TableColumns, list: &mut FileList) -> Result<()> {
    if crate::read::arrow::looks_like_arrow(path) {
        list_arrow(path, columns, list)
    } else {
        list_parquet(path, columns, list)
    }
}

fn list_arrow(path: &Path, columns: TableColumns, list: &mut FileList) -> Result<()> {
    let ipc = IpcFile::open(path)?;
    let schema = ipc.schema().clone();
    let column = choose_column(path, arrow_image_columns(&schema), columns.image)?;
    let id_name = columns.id.unwrap_or(crate::meta::ID_COLUMN);
    let id_field = schema
        .fields()
        .iter()
        .position(|f| f.name() == id_name && is_arrow_text(f.data_type()));
    if id_field.is_none() && columns.id.is_some() {
        return Err(Error::Layout {
            at: Location::file(path).with_column(id_name),
            message: "is not a text column of this table; pass --id-column the name of one".into(),
        });
    }
    let others: Vec<usize> = (0..schema.fields().len())
        .filter(|&f| f != column.bytes && Some(f) != id_field)
        .filter(|&f| !schema.field(f).name().starts_with("__index_level_"))
        .collect();
    // Columns of types the outputs cannot hold (lists, structs) are left out.
    let (fields, _) = crate::read::metadata::split_carried(&schema, &others);
    list.metadata.columns = fields
        .iter()
        .map(|&f| schema.field(f).name().clone())
        .collect();
    let batches: Vec<usize> = ipc.batch_rows().collect();
    let table = Shared(Arc::new(ImageTable {
        source: Source::Arrow(ipc),
        column,
        groups: Mutex::new(VecDeque::new()),
    }));
    let (Source::Arrow(ipc), column) = (&table.0.source, &table.0.column) else {
        unreachable!("an Arrow table")
    };
    let mut first_row = 0u64;
    for (group, &rows) in batches.iter().enumerate() {
        let at = |name: &str| Location::file(path).with_row(first_row).with_column(name);
        let text = |projected: &ArrayRef, name: &str| -> Result<Vec<Option<String>>> {
            let values = arrow_values(projected.as_ref()).ok_or_else(|| Error::Layout {
                at: at(name),
                message: "is not a text column".into(),
            })?;
            texts(values, || at(name))
        };
        let mut projection = Vec::new();
        if column.path.is_some() {
            projection.push(column.bytes);
        }
        projection.extend(id_field);
        projection.extend(&fields);
        let batch = ipc.read_columns(group, projection)?;
        let mut next = 0;
        let paths = match column.path {
            Some(_) => {
                next += 1;
                let paths = struct_child(batch.column(0), "path").ok_or_else(|| Error::Layout {
                    at: at(&column.name),
                    message: "has no path in its struct".into(),
                })?;
                text(&paths, "path")?
            }
            None => Vec::new(),
        };
        let ids = match id_field {
            Some(_) => {
                next += 1;
                text(batch.column(next - 1), id_name)?
            }
            None => Vec::new(),
        };
        let arrays: Vec<&dyn Array> = batch.columns()[next..].iter().map(|c| c.as_ref()).collect();
        list.metadata
            .rows
            .extend(crate::read::metadata::arrow_rows(&arrays, rows));
        drop(batch);
        ipc.release(group);
        push_rows(path, &table, group, first_row, &paths, &ids, list)?;
        first_row += rows as u64;
    }
    Ok(())
}

fn list_parquet(path: &Path, columns: TableColumns, list: &mut FileList) -> Result<()> {
    let (file, metadata) = crate::read::parquet::open_footer(path)?;
    crate::read::parquet::check_chunk_ranges(
        path,
        &metadata,
        file.metadata().map(|m| m.len()).unwrap_or(0),
    )?;
    let map = crate::os::map_read_only(&file).map_err(|cause| Error::OpenInput {
        path: path.to_path_buf(),
        cause,
    })?;
    let column = choose_column(path, image_columns(&metadata), columns.image)?;
    let schema = metadata.file_metadata().schema_descr_ptr();
    let root_of = |leaf: usize| schema.get_column_root_idx(leaf);
    let id_name = columns.id.unwrap_or(crate::meta::ID_COLUMN);
    let id_leaf = schema.columns().iter().position(|d| {
        d.path().parts() == [id_name] && d.physical_type() == PhysicalType::BYTE_ARRAY
    });
    if id_leaf.is_none() && columns.id.is_some() {
        return Err(Error::Layout {
            at: Location::file(path).with_column(id_name),
            message: "is not a text column of this table; pass --id-column the name of one".into(),
        });
    }
    let image_root = root_of(column.bytes);
    let fields: Vec<usize> = (0..schema.root_schema().get_fields().len())
        .filter(|&f| f != image_root && Some(f) != id_leaf.map(root_of))
        .filter(|&f| {
            !schema.root_schema().get_fields()[f]
                .name()
                .starts_with("__index_level_")
        })
        .collect();
    let table = Shared(Arc::new(ImageTable {
        source: Source::Parquet {
            data: Bytes::from_owner(map),
            metadata,
        },
        column,
        groups: Mutex::new(VecDeque::new()),
    }));
    let (Source::Parquet { data, metadata }, column) = (&table.0.source, &table.0.column) else {
        unreachable!("a Parquet table")
    };
    list.metadata.columns = fields
        .iter()
        .map(|&f| schema.root_schema().get_fields()[f].name().to_string())
        .collect();
    let mut first_row = 0u64;
    for group in 0..metadata.num_row_groups() {
        let at = |column: &str| Location::file(path).with_row(first_row).with_column(column);
        let text = |leaf: Option<usize>, name: &str| -> Result<Vec<Option<String>>> {
            let Some(leaf) = leaf else {
                return Ok(Vec::new());
            };
            let values = read_leaf(data, metadata, group, leaf)
                .map_err(|e| Error::from_parquet(at(name), e))?;
            texts(values.iter().map(|v| v.as_ref().map(|v| v.data())), || {
                at(name)
            })
        };
        let paths = text(column.path, "path")?;
        let ids = text(id_leaf, id_name)?;
        push_rows(path, &table, group, first_row, &paths, &ids, list)?;
        list.metadata
            .rows
            .extend(crate::read::metadata::read_parquet_fields(
                path, data, metadata, &fields, group, first_row,
            )?);
        first_row += metadata.row_group(group).num_rows().max(0) as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_a_batch_spans_are_held_together() {
        let group = |g: usize, rows: usize| (g, Arc::new(vec![None; rows]));
        // Big groups: two held.
        let mut held: VecDeque<_> = (0..3).map(|g| group(g, 1000)).collect();
        evict(&mut held);
        assert_eq!(held.iter().map(|h| h.0).collect::<Vec<_>>(), [1, 2]);
        // Groups of 100: the newest 8 (800 rows; 7 would be 700 < 768).
        let mut held: VecDeque<_> = (0..12).map(|g| group(g, 100)).collect();
        evict(&mut held);
        assert_eq!(
            held.iter().map(|h| h.0).collect::<Vec<_>>(),
            (4..12).collect::<Vec<_>>()
        );
    }

    #[test]
    fn absolute_paths_inside_the_folder_become_relative() {
        let folder = Path::new("/data/set");
        assert_eq!(
            inside_folder("cat/1.jpg", folder).as_deref(),
            Some("cat/1.jpg")
        );
        assert_eq!(
            inside_folder("/data/set/cat/1.jpg", folder).as_deref(),
            Some("cat/1.jpg")
        );
        assert_eq!(inside_folder("/data/other/1.jpg", folder), None);
        assert_eq!(inside_folder("/data/set", folder), None);
    }

    #[test]
    fn damaged_tables_are_errors_never_panics() {
        for (name, tail) in [
            ("folder.parquet", 2048),
            ("folder.arrow", 1024),
            ("folder.zstd.arrow", 1024),
        ] {
            let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/images/containers")
                .join(name);
            let original = std::fs::read(fixture).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            let mut rng = fastrand::Rng::with_seed(27);
            let mut read = 0;
            for round in 0..300 {
                let mut bytes = original.clone();
                if round % 2 == 0 {
                    // The data damaged, the footer kept: the row groups are read.
                    for _ in 0..rng.usize(1..32) {
                        let at = rng.usize(8..bytes.len() - tail);
                        bytes[at] = rng.u8(..);
                    }
                } else {
                    for _ in 0..rng.usize(1..8) {
                        let at = rng.usize(..bytes.len());
                        bytes[at] = rng.u8(..);
                    }
                }
                std::fs::write(&path, &bytes).unwrap();
                let mut list = FileList::default();
                if list_table(&path, TableColumns::default(), &mut list).is_err() {
                    continue;
                }
                read += list
                    .files
                    .iter()
                    .filter(|f| super::super::read_bytes(f).is_ok())
                    .count();
            }
            assert!(read > 0, "{name}: some damaged tables still give images");
        }
    }

    #[test]
    fn a_damaged_record_batch_is_named_as_one() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/images/containers/folder.zstd.arrow");
        let bytes = std::fs::read(fixture).unwrap();
        // The zstd frame with the most bytes after it: a batch's image bytes.
        const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
        let frames: Vec<usize> = (0..bytes.len() - 4)
            .filter(|&i| bytes[i..i + 4] == MAGIC)
            .collect();
        let ends = frames.iter().skip(1).copied().chain([bytes.len()]);
        let (_, biggest) = frames
            .iter()
            .zip(ends)
            .map(|(&start, end)| (end - start, start))
            .max()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("damaged.arrow");
        std::fs::write(&path, &bytes).unwrap();
        let mut list = FileList::default();
        list_table(&path, TableColumns::default(), &mut list).unwrap();
        // Damaged after the listing (the listing decodes whole batches), in
        // place, as a file rewritten during a run would be.
        {
            use std::io::{Seek, SeekFrom, Write};
            let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.seek(SeekFrom::Start(biggest as u64)).unwrap();
            file.write_all(&[0]).unwrap();
        }
        let messages: Vec<String> = list
            .files
            .iter()
            .filter_map(|f| super::super::read_bytes(f).err())
            .map(|e| e.to_string())
            .collect();
        assert!(!messages.is_empty(), "a batch's images cannot be read");
        for m in &messages {
            assert!(
                m.contains("record batch") && m.contains("cannot be read"),
                "{m}"
            );
        }
    }

    /// A Feather table of `integers` uint8 columns and a binary column.
    fn feather_with(path: &Path, integers: usize) {
        use arrow_array::{BinaryArray, RecordBatch, UInt8Array};
        use arrow_schema::Field;
        let mut fields: Vec<Field> = (0..integers)
            .map(|i| Field::new(format!("p{i}"), DataType::UInt8, false))
            .collect();
        fields.push(Field::new("thumb", DataType::Binary, true));
        let schema = Arc::new(Schema::new(fields));
        let mut columns: Vec<ArrayRef> = (0..integers)
            .map(|_| Arc::new(UInt8Array::from(vec![7u8])) as ArrayRef)
            .collect();
        columns.push(Arc::new(BinaryArray::from(vec![Some(&b"x"[..])])));
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut writer = arrow_ipc::writer::FileWriter::try_new(file, &schema).unwrap();
        writer.write(&batch).unwrap();
        writer.finish().unwrap();
    }

    #[test]
    fn feather_tables_of_many_integer_columns_are_pixel_tables() {
        let dir = tempfile::tempdir().unwrap();
        let (pixels, images) = (dir.path().join("p.arrow"), dir.path().join("i.arrow"));
        feather_with(&pixels, PIXEL_TABLE_INTEGERS);
        feather_with(&images, PIXEL_TABLE_INTEGERS - 1);
        assert!(!is_image_table(&pixels));
        assert!(is_image_table(&images));
        let containers =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images/containers");
        assert!(is_image_table(&containers.join("folder.zstd.arrow")));
    }
}
