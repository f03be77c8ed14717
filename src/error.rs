//! Typed errors of the library. Every error a user can cause names the file and,
//! where they apply, the row and column, and says what to do about it.

use std::path::PathBuf;

/// Where in an input a problem sits: file, and optionally the row (0-based, counted
/// over the whole file), the row's image id and the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub row: Option<u64>,
    pub image_id: Option<String>,
    pub column: Option<String>,
}

impl Location {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            path: path.into(),
            row: None,
            image_id: None,
            column: None,
        }
    }

    pub fn with_row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }

    pub fn with_image_id(mut self, id: impl Into<String>) -> Self {
        self.image_id = Some(id.into());
        self
    }

    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(id) = &self.image_id {
            write!(f, " (image_id {id:?})")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column:?}")?;
        }
        Ok(())
    }
}

/// The library's errors. Each message is whole: where a lower-level error caused
/// it, its text is part of the message (with the advice after it), so the error
/// has no `source` and a chain printer shows the cause once.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: cannot open input: {cause}; check the path", path.display())]
    OpenInput {
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error("{}: is a directory, not a Parquet file; pass the .parquet files inside it", path.display())]
    InputIsDirectory { path: PathBuf },

    #[error("{}: not a readable Parquet file ({cause}); if it is a partial download, download it again", path.display())]
    NotParquet {
        path: PathBuf,
        cause: parquet::errors::ParquetError,
    },

    #[error("{}: not a readable Parquet file: {what}; {advice}", path.display())]
    NotParquetFile {
        path: PathBuf,
        what: String,
        advice: String,
    },

    #[error(
        "{at}: cannot read the data ({cause}); the file is damaged or truncated, download it again"
    )]
    Corrupt {
        at: Location,
        cause: parquet::errors::ParquetError,
    },

    #[error("{at}: {message}")]
    Layout { at: Location, message: String },

    #[error("{at}: {message}")]
    BadPixel { at: Location, message: String },

    #[error("{at}: {message}")]
    BadImageId { at: Location, message: String },

    #[error("image_id {id:?} appears twice: {first} and {second}; every image needs a unique id, so remove or rename one of them")]
    DuplicateImageId {
        id: String,
        first: Box<Location>,
        second: Box<Location>,
    },

    #[error("{}: is given twice, as inputs {} and {}{}; pass each file once", first.display(), positions.0, positions.1, same_file_note(first, second))]
    InputGivenTwice {
        first: PathBuf,
        second: PathBuf,
        positions: (usize, usize),
    },

    #[error("{}: already exists; pass --force to replace it, or choose another output", path.display())]
    OutputExists { path: PathBuf },

    #[error("{}: --force does not replace this folder: {why}; move what you want to keep, or choose another output", path.display())]
    ForceRefused { path: PathBuf, why: String },

    #[error("{}: cannot write output: {cause}{}", path.display(), written_note(*written))]
    WriteOutput {
        path: PathBuf,
        written: Option<u64>,
        cause: std::io::Error,
    },

    #[error("{cause}; {written} images had been written to {} before the failure, run again with --force once it is fixed", path.display())]
    PartialOutput {
        cause: Box<Error>,
        path: PathBuf,
        written: u64,
    },

    #[error("interrupted; {}", cleanup_note(path, *written))]
    Interrupted { path: PathBuf, written: Option<u64> },

    #[error("a worker thread panicked ({message}); no archive was written under the final name{}", written_note(*written))]
    WorkerPanic {
        message: String,
        written: Option<u64>,
    },
}

fn same_file_note(first: &std::path::Path, second: &std::path::Path) -> String {
    if first == second {
        String::new()
    } else {
        format!(" (the second time as {})", second.display())
    }
}

fn written_note(written: Option<u64>) -> String {
    match written {
        Some(n) => format!(" ({n} images had been written to the folder before the failure)"),
        None => String::new(),
    }
}

fn cleanup_note(path: &std::path::Path, written: Option<u64>) -> String {
    match written {
        Some(n) => format!(
            "{n} images had been written to {} before the interruption; run again with --force to redo them",
            path.display()
        ),
        None => format!(
            "nothing was written to {}; the partial archive was removed",
            path.display()
        ),
    }
}

impl Error {
    /// True when the run was stopped by Ctrl-C or SIGTERM (exit code 130), also when
    /// the interruption is reported with the count of images already written.
    pub fn is_interrupted(&self) -> bool {
        match self {
            Error::Interrupted { .. } => true,
            Error::PartialOutput { cause, .. } => cause.is_interrupted(),
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
