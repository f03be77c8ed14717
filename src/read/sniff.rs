//! What a file that is not Parquet is, told from its first bytes, so the error can
//! name it ("looks like a CSV file") and say what to do.

use std::fs::File;

/// What a file that is not Parquet is, from its first bytes, and what to do about
/// it; `None` when it starts and ends like Parquet (its footer is then parsed).
pub(crate) fn not_parquet_because(file: &File) -> Option<(String, String)> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata().ok()?.len();
    let mut head = [0u8; 512];
    let n = file.read_at(&mut head, 0).ok()?;
    let head = &head[..n];
    let mut tail = [0u8; 4];
    let ends_like_parquet =
        len >= 12 && file.read_at(&mut tail, len - 4).ok() == Some(4) && &tail == b"PAR1";
    let download_again = "if it is a partial download, download it again";
    let (what, advice) = if len == 0 {
        ("it is empty (0 bytes)", download_again)
    } else if head.starts_with(b"PAR1") {
        if ends_like_parquet {
            return None;
        }
        (
            "it starts like Parquet but has no footer at its end, so it is truncated",
            download_again,
        )
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        (
            "it is a zip file",
            "unzip it and pass the .parquet files inside",
        )
    } else if head.starts_with(&[0x1f, 0x8b]) {
        (
            "it is gzip-compressed",
            "decompress it (gunzip) and pass the .parquet file",
        )
    } else if head.starts_with(b"FEA1") {
        (
            "it is a Feather v1 file, which only old pyarrow versions wrote",
            "rewrite it as Feather v2: pyarrow.feather.write_feather(pyarrow.feather.read_table(path), \"table.feather\"), or as Parquet",
        )
    } else if head.starts_with(b"\x93NUMPY") {
        (
            "it is a NumPy .npy array",
            "pass the Parquet pixel table it was made from",
        )
    } else if head.starts_with(b"\x89PNG") {
        ("it is a PNG image", "pass a Parquet pixel table")
    } else if looks_like_csv(head) {
        (
            "it looks like a CSV file",
            "convert it once, e.g. pandas.read_csv(path).to_parquet(\"table.parquet\"), and pass the .parquet file",
        )
    } else if std::str::from_utf8(head).is_ok() || head.iter().all(|b| b.is_ascii()) {
        ("it is a text file", "pass a Parquet pixel table")
    } else {
        (
            "it does not start with the Parquet marker \"PAR1\"",
            "check that this is the file you meant; if it is a partial download, download it again",
        )
    };
    Some((what.to_owned(), advice.to_owned()))
}

/// Text whose first line has commas and whose second line (if any) has as many.
fn looks_like_csv(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut at the end of the sample.
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return false;
    }
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").matches(',').count();
    let second = lines.next().map(|l| l.matches(',').count());
    first > 0 && second.is_none_or(|n| n == first || !text.contains('\n'))
}
