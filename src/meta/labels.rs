//! `--labels FILE.csv`: a CSV with one row per image (the competition's
//! `train.csv`), joined on the image id. Every image needs exactly one row, and
//! every row an image: anything else is an error before anything is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Value;
use crate::error::{Error, Result};

/// A labels table read into memory, its rows by image id.
#[derive(Debug)]
pub struct Labels {
    path: PathBuf,
    /// Its columns but the key, in file order.
    pub columns: Vec<String>,
    /// The key column's name.
    key: String,
    /// Values of each row, and its line in the file (from 1, the header is line 1).
    rows: HashMap<String, (u64, Vec<Value>)>,
}

fn error(path: &Path, line: Option<u64>, message: String) -> Error {
    Error::Labels {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// How a CSV column's text becomes values, decided over the whole column as
/// pandas does: integers, else numbers, else booleans, else text. Empty is null.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ColumnType {
    Int,
    Float,
    Bool,
    Text,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "True" | "true" | "TRUE" => Some(true),
        "False" | "false" | "FALSE" => Some(false),
        _ => None,
    }
}

fn column_type<'a>(fields: impl Iterator<Item = &'a str>) -> ColumnType {
    let (mut int, mut float, mut boolean) = (true, true, true);
    for field in fields.filter(|f| !f.is_empty()) {
        int &= field.parse::<i64>().is_ok();
        float &= field.parse::<f64>().is_ok();
        boolean &= parse_bool(field).is_some();
        if !(int || float || boolean) {
            return ColumnType::Text;
        }
    }
    if int {
        ColumnType::Int
    } else if float {
        ColumnType::Float
    } else if boolean {
        ColumnType::Bool
    } else {
        ColumnType::Text
    }
}

fn value(field: &str, kind: ColumnType) -> Value {
    if field.is_empty() {
        return Value::Null;
    }
    // The column type was chosen so that every field parses.
    match kind {
        ColumnType::Int => field.parse().map_or(Value::Null, Value::Int),
        ColumnType::Float => field.parse().map_or(Value::Null, Value::Float),
        ColumnType::Bool => parse_bool(field).map_or(Value::Null, Value::Bool),
        ColumnType::Text => Value::Text(field.to_string()),
    }
}

impl Labels {
    /// Reads `path`, keyed on its `key` column (or `image_id` when it has no `key`).
    pub fn read(path: &Path, key: &str) -> Result<Labels> {
        let (header, records) = parse(path)?;
        let key_at = header
            .iter()
            .position(|h| h == key)
            .or_else(|| header.iter().position(|h| h == super::ID_COLUMN))
            .ok_or_else(|| {
                error(
                    path,
                    Some(1),
                    format!(
                        "has no {key:?} column (its columns: {}); --labels joins on the image id, \
                         so the CSV needs a column of that name",
                        header.join(", ")
                    ),
                )
            })?;
        build(path, header, records, key_at)
    }

    /// Reads `path`, keyed on its first column (in file order) whose every value
    /// is in one of `keys` (the images' relative paths, file names, ids...);
    /// returns the labels and which of `keys` matched. `what` names the keys
    /// for the error when no column matches.
    pub fn read_matching(
        path: &Path,
        keys: &[&std::collections::HashSet<&str>],
        what: &str,
    ) -> Result<(Labels, usize)> {
        let (header, records) = parse(path)?;
        for (column, _) in header.iter().enumerate() {
            for (kind, set) in keys.iter().enumerate() {
                if !records.is_empty() && records.iter().all(|(_, r)| set.contains(&r[column])) {
                    return Ok((build(path, header, records, column)?, kind));
                }
            }
        }
        Err(error(
            path,
            Some(1),
            format!(
                "has no column whose values all name images of the inputs (its columns: {}); \
                 --labels joins image files on a column of {what}",
                header.join(", ")
            ),
        ))
    }
}

/// The header and the records of a labels CSV, each with its line.
type Parsed = (Vec<String>, Vec<(u64, csv::StringRecord)>);

fn parse(path: &Path) -> Result<Parsed> {
    let bytes = std::fs::read(path).map_err(|cause| Error::OpenInput {
        path: path.to_path_buf(),
        cause,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let csv_error = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!(
                "has {len} fields where the header has {expected_len}; every row needs one \
                     field per column"
            ),
            csv::ErrorKind::Utf8 { .. } => {
                "is not valid UTF-8; save the labels as UTF-8 CSV".to_string()
            }
            _ => format!("cannot be read as CSV ({e}); pass a comma-separated file"),
        };
        error(path, line, message)
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(str::to_string)
        .collect();
    if let Some(dup) = header
        .iter()
        .enumerate()
        .find(|(i, h)| header[..*i].contains(h))
    {
        return Err(error(
            path,
            Some(1),
            format!("has two columns named {:?}; rename one", dup.1),
        ));
    }
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        records.push((line, record));
    }
    Ok((header, records))
}

fn build(
    path: &Path,
    header: Vec<String>,
    records: Vec<(u64, csv::StringRecord)>,
    key_at: usize,
) -> Result<Labels> {
    let columns: Vec<usize> = (0..header.len()).filter(|&c| c != key_at).collect();
    let types: Vec<ColumnType> = columns
        .iter()
        .map(|&c| column_type(records.iter().map(|(_, r)| &r[c])))
        .collect();
    let mut rows: HashMap<String, (u64, Vec<Value>)> = HashMap::with_capacity(records.len());
    for (line, record) in &records {
        let id = &record[key_at];
        let values = columns
            .iter()
            .zip(&types)
            .map(|(&c, &t)| value(&record[c], t))
            .collect();
        if let Some((first, _)) = rows.insert(id.to_string(), (*line, values)) {
            return Err(error(
                path,
                Some(*line),
                format!(
                    "image_id {id:?} has a second row (the first is line {first}); keep one \
                     row per image"
                ),
            ));
        }
    }
    Ok(Labels {
        path: path.to_path_buf(),
        columns: columns.iter().map(|&c| header[c].clone()).collect(),
        key: header[key_at].clone(),
        rows,
    })
}

impl Labels {
    /// The labels of each image, in the order of `ids` (unique, as checked
    /// before). `place(i)` says where image `i` is, for the error when it has no
    /// row. A row left unmatched is an error too: labels for other images mean the
    /// wrong file or the wrong inputs.
    pub fn join<'a>(
        &self,
        ids: impl Iterator<Item = &'a str>,
        place: impl Fn(usize) -> String,
    ) -> Result<Vec<Vec<Value>>> {
        let mut joined = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, id) in ids.enumerate() {
            let Some((_, values)) = self.rows.get(id) else {
                return Err(error(
                    &self.path,
                    None,
                    format!(
                        "has no row for image_id {id:?} ({}); --labels needs a row for every \
                         image, with its id in the {:?} column",
                        place(i),
                        self.key
                    ),
                ));
            };
            joined.push(values.clone());
            seen.insert(id);
        }
        let unmatched: Vec<(u64, &str)> = self
            .rows
            .iter()
            .filter(|(id, _)| !seen.contains(id.as_str()))
            .map(|(id, (line, _))| (*line, id.as_str()))
            .collect();
        if let Some(&(line, id)) = unmatched.iter().min() {
            return Err(error(
                &self.path,
                Some(line),
                format!(
                    "image_id {id:?} matches no image of the inputs ({} of its {} rows match \
                     none); --labels takes the rows of the converted images only: pass the \
                     inputs these rows belong to, or a CSV of just their rows",
                    unmatched.len(),
                    self.rows.len()
                ),
            ));
        }
        Ok(joined)
    }
}
