//! One pixel column's reader: the fast dictionary path where the pages allow it,
//! the parquet crate's typed readers otherwise, and what goes wrong in either.

use std::sync::Arc;

use memmap2::Mmap;
use parquet::column::page::PageReader;
use parquet::column::reader::{get_column_reader, get_typed_column_reader};
use parquet::data_type::DataType;
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

use super::dictionary::{ColumnCursor, DictionaryColumn};

/// A bad pixel value found while decoding one column of a row group.
#[derive(Debug)]
pub enum PixelFault {
    Null { row: usize },
    OutOfRange { row: usize, value: i64 },
    Parquet(ParquetError),
}

impl From<ParquetError> for PixelFault {
    fn from(e: ParquetError) -> Self {
        PixelFault::Parquet(e)
    }
}

/// The `rows` records of a column chunk through the parquet crate's typed
/// reader: the non-null values and the definition levels. A chunk with fewer
/// records is an error naming the column as `what` ("the id column").
pub(crate) fn read_all_records<T: DataType>(
    pages: Box<dyn PageReader>,
    descr: ColumnDescPtr,
    rows: usize,
    what: &str,
) -> std::result::Result<(Vec<T::T>, Vec<i16>), ParquetError> {
    let mut reader = get_typed_column_reader::<T>(get_column_reader(descr, pages));
    let mut values: Vec<T::T> = Vec::with_capacity(rows);
    let mut levels: Vec<i16> = Vec::with_capacity(rows);
    let mut records = 0;
    while records < rows {
        let (read, _, _) =
            reader.read_records(rows - records, Some(&mut levels), None, &mut values)?;
        if read == 0 {
            break;
        }
        records += read;
    }
    if records < rows {
        return Err(ParquetError::EOF(format!(
            "{what} has {records} values for {rows} rows"
        )));
    }
    Ok((values, levels))
}

/// Any encoding, through the parquet crate's typed column reader.
pub(crate) fn decode_generic<T>(
    pages: Box<dyn PageReader>,
    descr: ColumnDescPtr,
    out: &mut [u8],
) -> std::result::Result<(), PixelFault>
where
    T: DataType,
    T::T: Copy + Into<i64>,
{
    let rows = out.len();
    let nullable = descr.max_def_level() > 0;
    let (values, levels) = read_all_records::<T>(pages, descr, rows, "column")?;
    if nullable {
        if let Some(row) = levels.iter().position(|&l| l == 0) {
            return Err(PixelFault::Null { row });
        }
    }
    for (row, (slot, value)) in out.iter_mut().zip(values).enumerate() {
        let value: i64 = value.into();
        *slot = u8::try_from(value).map_err(|_| PixelFault::OutOfRange { row, value })?;
    }
    Ok(())
}

/// A pixel column chunk ready to be read in order.
pub(crate) enum PreparedColumn {
    /// Boxed: a dictionary is 568 bytes, and most columns are this kind.
    Dictionary(Box<DictionaryColumn>),
    /// Read the general way, all at once.
    Decoded(Vec<u8>),
}

impl PreparedColumn {
    pub(crate) fn reader(&self) -> ColumnReader<'_> {
        match self {
            PreparedColumn::Dictionary(column) => ColumnReader::Dictionary(column.cursor()),
            PreparedColumn::Decoded(values) => ColumnReader::Decoded(values),
        }
    }
}

pub(crate) enum ColumnReader<'a> {
    Dictionary(ColumnCursor<'a>),
    /// The values not yet read.
    Decoded(&'a [u8]),
}

impl ColumnReader<'_> {
    /// The next `out.len()` pixels.
    pub(crate) fn read(&mut self, out: &mut [u8]) -> std::result::Result<(), PixelFault> {
        match self {
            ColumnReader::Dictionary(reader) => reader.read(out),
            ColumnReader::Decoded(values) => {
                let (now, rest) = values.split_at(out.len());
                out.copy_from_slice(now);
                *values = rest;
                Ok(())
            }
        }
    }
}

/// The mapping as a `Bytes` owner, shared with [`PixelTable::map`].
pub(crate) struct SharedMap(pub(crate) Arc<Mmap>);

impl AsRef<[u8]> for SharedMap {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
