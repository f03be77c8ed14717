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

/// Why an id made from an image file's relative path (`cat/0001`) cannot name
/// an output file; `None` if it can. Each part between the slashes follows the
/// rules of [`image_id_problem`], so the file lands inside the output.
pub fn path_id_problem(id: &str) -> Option<String> {
    if id.is_empty() || id.starts_with('/') || id.ends_with('/') || id.contains("//") {
        return Some(format!(
            "{id:?} is not a relative path of named parts: it cannot name an output file"
        ));
    }
    id.split('/').find_map(|part| {
        let problem = if part == "." || part == ".." {
            Some(format!("has a {part:?} part"))
        } else {
            image_id_problem(part).map(|p| p.replace("; fix the image_id column", ""))
        };
        problem.map(|p| format!("part {part:?} of {id:?} {p}; rename the file or folder"))
    })
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

    #[test]
    fn path_ids_keep_every_part_inside() {
        for id in ["cat/0001", "a/b/c", "x"] {
            assert_eq!(path_id_problem(id), None, "{id}");
        }
        for id in [
            "", "/etc/x", "a//b", "a/../b", "../x", "a/", "a\\b", "a/b\nc", "./a",
        ] {
            assert!(path_id_problem(id).is_some(), "{id:?}");
        }
    }
}
