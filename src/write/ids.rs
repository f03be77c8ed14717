//! Image ids as file names: `<image_id>.png`, and the ids that can never be one,
//! so that no id places a file outside the output.

/// Longest image id we accept: `<id>.png` must fit the usual 255-byte file name limit.
pub const MAX_IMAGE_ID_BYTES: usize = 255 - ".png".len();

/// Why an image id cannot name a file; `None` if it can.
pub fn image_id_problem(id: &str) -> Option<String> {
    let problem = if id.is_empty() {
        "is empty".to_string()
    } else if id.len() > MAX_IMAGE_ID_BYTES {
        format!(
            "is {} bytes long; file names allow {MAX_IMAGE_ID_BYTES} bytes before \".png\"",
            id.len()
        )
    } else if id.contains('/') || id.contains('\\') {
        "contains a path separator ('/' or '\\')".to_string()
    } else if id.contains("..") {
        "contains \"..\"".to_string()
    } else if id.chars().any(char::is_control) {
        "contains a control character (NUL, newline, ...)".to_string()
    } else if id.len() >= 2 && id.as_bytes()[1] == b':' && id.as_bytes()[0].is_ascii_alphabetic() {
        "starts like a Windows drive path".to_string()
    } else {
        return None;
    };
    Some(format!(
        "{problem}: it cannot name an output file; fix the image_id column"
    ))
}

/// The file or entry name of an image: `<image_id>.png`.
pub fn entry_name(image_id: &str) -> String {
    format!("{image_id}.png")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_are_accepted() {
        for id in ["Train_0", "Test_49999", "a.b", "日本", "x y"] {
            assert_eq!(image_id_problem(id), None, "{id}");
        }
    }

    #[test]
    fn dangerous_ids_are_refused() {
        let long = "a".repeat(MAX_IMAGE_ID_BYTES + 1);
        for id in [
            "",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "a\\b",
            "a\0b",
            "a\nb",
            "C:x",
            &long,
        ] {
            assert!(image_id_problem(id).is_some(), "{id:?}");
        }
        assert_eq!(image_id_problem(&"a".repeat(MAX_IMAGE_ID_BYTES)), None);
    }
}
