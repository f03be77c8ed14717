//! The tiny tables themselves.

use super::*;

#[test]
fn tiny_tables_have_the_layouts_the_tests_rely_on() {
    use pixelprep::internals::PixelTable;
    use pixelprep::ImageShape;
    let dir = tempfile::tempdir().unwrap();
    let shape = ImageShape {
        height: H,
        width: W,
    };
    let layout = |t: TinyTable| {
        let path = dir.path().join("t.parquet");
        t.write(&path);
        PixelTable::open(&path, shape, None).unwrap().describe()
    };
    let dict = layout(table().rows(10).row_group_size(4));
    assert_eq!(dict.row_group_rows, [4, 4, 2]);
    assert!(
        dict.encodings.iter().any(|e| e.ends_with("_DICTIONARY")),
        "{dict:?}"
    );
    assert_eq!(dict.format, "Parquet format version 1");
    assert!(format!("{dict:?}").contains("INT32"), "{dict:?}");
    assert_eq!(dict.id_column, "image_id");
    assert_eq!(dict.pixel_columns, H * W);
    assert_eq!(dict.columns, H * W + 2);

    let plain = layout(table().dictionary(false));
    assert!(
        !plain.encodings.iter().any(|e| e.contains("DICTIONARY")),
        "{plain:?}"
    );
    let v2 = layout(table().format_v2(true));
    assert_eq!(v2.format, "Parquet format version 2");
    assert!(v2.encodings.iter().any(|e| e == "RLE_DICTIONARY"), "{v2:?}");
    let int64 = layout(
        table()
            .pixel_type(PixelType::Int64)
            .with_index_column(false),
    );
    assert!(format!("{int64:?}").contains("INT64"), "{int64:?}");
    assert_eq!(int64.columns, H * W + 1);
}
