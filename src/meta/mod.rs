//! What travels beside each image: the metadata columns of the table (labels,
//! text, floats) and those of a `--labels` CSV joined on the image id; and how the
//! outputs hold them (a JSON object per image, a CSV table).

pub mod labels;

/// The column that names the images of a table, and the key of a `--labels`
/// CSV, unless another is named.
pub const ID_COLUMN: &str = "image_id";

use std::fmt::Write as _;

/// One metadata value. Numbers stay numbers in the JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Null, or an empty CSV field.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    /// A float; NaN and infinities are written as null in JSON.
    Float(f64),
    /// Text.
    Text(String),
}

impl Value {
    /// The value as JSON.
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(v) => write!(out, "{v}").expect("writing to a String"),
            Value::UInt(v) => write!(out, "{v}").expect("writing to a String"),
            Value::Float(v) => match serde_json::Number::from_f64(*v) {
                Some(n) => write!(out, "{n}").expect("writing to a String"),
                None => out.push_str("null"),
            },
            Value::Text(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        }
    }

    /// The value as a CSV field: what pandas writes (empty for null, `True`/`False`
    /// for booleans) and reads back as the same value.
    fn csv_field(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => (if *b { "True" } else { "False" }).to_string(),
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Float(v) if v.is_nan() => String::new(),
            Value::Float(v) => {
                // Always with a decimal point, so a reader keeps it a float.
                let text = serde_json::Number::from_f64(*v)
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| if *v > 0.0 { "inf" } else { "-inf" }.to_string());
                if text.contains(['.', 'e', 'E', 'i']) {
                    text
                } else {
                    format!("{text}.0")
                }
            }
            Value::Text(s) => s.clone(),
        }
    }
}

/// The metadata of every image of a run, by input order (the row number over all
/// inputs), with the column names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Column names, in output order.
    pub columns: Vec<String>,
    /// One row per image, `columns.len()` values each; empty when there are no columns.
    pub rows: Vec<Vec<Value>>,
}

impl Metadata {
    /// True when there is nothing to carry.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The metadata of image `row` as one JSON object, keys in column order.
    pub fn json(&self, row: usize) -> String {
        let mut out = String::from("{");
        for (i, (name, value)) in self.columns.iter().zip(&self.rows[row]).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&serde_json::Value::String(name.clone()).to_string());
            out.push_str(": ");
            value.write_json(&mut out);
        }
        out.push('}');
        out
    }

    /// A CSV table of the images as they are added: first column `key_column`
    /// (`file_name`, `image_id`), then the metadata columns.
    pub fn table(&self, key_column: &str) -> MetadataCsv {
        let mut csv = MetadataCsv {
            writer: csv::Writer::from_writer(Vec::new()),
        };
        let header = std::iter::once(key_column).chain(self.columns.iter().map(String::as_str));
        csv.writer.write_record(header).expect("writing to memory");
        csv
    }

    /// Adds image `row`, under `key`, to a table made by [`Metadata::table`].
    pub fn add_to(&self, table: &mut MetadataCsv, key: &str, row: usize) {
        let values: Vec<String> = self
            .rows
            .get(row)
            .map(|r| r.iter().map(Value::csv_field).collect())
            .unwrap_or_default();
        table
            .writer
            .write_record(std::iter::once(key.to_string()).chain(values))
            .expect("writing to memory");
    }
}

/// A CSV table being built in memory (a few MB for 200,000 images).
pub struct MetadataCsv {
    writer: csv::Writer<Vec<u8>>,
}

impl MetadataCsv {
    /// The finished table.
    pub fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().expect("writing to memory")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        Metadata {
            columns: vec!["root".into(), "name".into(), "score".into(), "ok".into()],
            rows: vec![
                vec![
                    Value::Int(15),
                    Value::Text("ক\"খ, গ".into()),
                    Value::Float(2.0),
                    Value::Bool(true),
                ],
                vec![
                    Value::Null,
                    Value::Null,
                    Value::Float(f64::NAN),
                    Value::Null,
                ],
            ],
        }
    }

    #[test]
    fn json_keeps_numbers_numbers_and_column_order() {
        let meta = sample();
        assert_eq!(
            meta.json(0),
            r#"{"root": 15, "name": "ক\"খ, গ", "score": 2.0, "ok": true}"#
        );
        assert_eq!(
            meta.json(1),
            r#"{"root": null, "name": null, "score": null, "ok": null}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&meta.json(0)).unwrap();
        assert_eq!(parsed["root"], serde_json::json!(15));
    }

    #[test]
    fn csv_quotes_text_and_keeps_floats_floats() {
        let meta = sample();
        let mut table = meta.table("file_name");
        meta.add_to(&mut table, "a.png", 0);
        meta.add_to(&mut table, "b.png", 1);
        let text = String::from_utf8(table.into_bytes()).unwrap();
        assert_eq!(
            text,
            "file_name,root,name,score,ok\na.png,15,\"ক\"\"খ, গ\",2.0,True\nb.png,,,,\n"
        );
    }

    #[test]
    fn a_table_without_columns_lists_the_keys() {
        let meta = Metadata::default();
        let mut table = meta.table("image_id");
        meta.add_to(&mut table, "Train_0", 0);
        assert_eq!(table.into_bytes(), b"image_id\nTrain_0\n");
    }
}
