//! Typed errors of the library. Every error a user can cause names the file and,
//! where they apply, the row and column, and says what to do about it.

use std::path::PathBuf;

/// Where in an input a problem sits: file, and optionally the row (0-based, counted
/// over the whole file), the row's image id and the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The input file.
    pub path: PathBuf,
    /// The row, from 0, counted over the whole file.
    pub row: Option<u64>,
    /// The row's image id.
    pub image_id: Option<String>,
    /// The column's name.
    pub column: Option<String>,
}

impl Location {
    /// A whole file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Location {
            path: path.into(),
            row: None,
            image_id: None,
            column: None,
        }
    }

    /// The same place, at `row`.
    pub fn with_row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }

    /// The same place, naming the row's image id.
    pub fn with_image_id(mut self, id: impl Into<String>) -> Self {
        self.image_id = Some(id.into());
        self
    }

    /// The same place, in `column`.
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
    /// An input cannot be opened (missing, no permission).
    #[error("{}: cannot open input: {cause}; check the path", path.display())]
    OpenInput {
        /// The input.
        path: PathBuf,
        /// What the system said.
        cause: std::io::Error,
    },

    /// A zip or tar archive given as input cannot be listed: damaged or truncated.
    #[error("{}: not a readable {kind} archive: {why}; if it is a partial download, download it again", path.display())]
    CorruptArchive {
        /// The archive.
        path: PathBuf,
        /// `zip` or `tar`.
        kind: String,
        /// What is wrong.
        why: String,
    },

    /// An input is a folder.
    #[error("{}: is a directory, not a Parquet file; pass the .parquet files inside it", path.display())]
    InputIsDirectory {
        /// The input.
        path: PathBuf,
    },

    /// An input's Parquet footer cannot be parsed.
    #[error("{}: not a readable Parquet file ({cause}); if it is a partial download, download it again", path.display())]
    NotParquet {
        /// The input.
        path: PathBuf,
        /// What the parquet crate said.
        cause: parquet::errors::ParquetError,
    },

    /// An input is not Parquet; its first bytes say what it is.
    #[error("{}: not a Parquet or Feather / Arrow IPC file: {what}; {advice}", path.display())]
    NotParquetFile {
        /// The input.
        path: PathBuf,
        /// What the file is ("it looks like a CSV file").
        what: String,
        /// What to do about it.
        advice: String,
    },

    /// A table's data cannot be decoded: damaged or truncated.
    #[error(
        "{at}: cannot read the data ({cause}); the file is damaged or truncated, download it again"
    )]
    Corrupt {
        /// Where: the file, and the column where known.
        at: Location,
        /// What the parquet crate said.
        cause: parquet::errors::ParquetError,
    },

    /// A table uses a feature pixelprep does not read (a codec, an encoding).
    #[error("{at}: {what} is not supported; {advice}")]
    Unsupported {
        /// Where: the file, and the column where known (boxed: errors stay small).
        at: Box<Location>,
        /// The feature, e.g. `compression LZO`.
        what: String,
        /// How to rewrite the file.
        advice: &'static str,
    },

    /// An Arrow IPC (Feather) file cannot be decoded: damaged or truncated.
    #[error("{at}: not a readable Arrow IPC file: {why}; if it is a partial download, download it again")]
    CorruptIpc {
        /// Where: the file, and the row where known.
        at: Location,
        /// What is wrong.
        why: String,
    },

    /// A table's columns do not fit (pixel count, id column, column types).
    #[error("{at}: {message}")]
    Layout {
        /// Where: the file, and the column where there is one.
        at: Location,
        /// What is wrong and what to do.
        message: String,
    },

    /// A pixel is null or outside 0..255.
    #[error("{at}: {message}")]
    BadPixel {
        /// The file, row, image id and column.
        at: Location,
        /// The value and what pixels must be.
        message: String,
    },

    /// An image id cannot name a file (a path separator, `..`, a control character...).
    #[error("{at}: {message}")]
    BadImageId {
        /// The file, row, image id and column.
        at: Location,
        /// What is wrong with it.
        message: String,
    },

    /// An image file cannot be read or decoded (not an image, truncated,
    /// unsupported, too large, damaged).
    #[error("{at}: {message}")]
    BadImage {
        /// The file and its image id.
        at: Location,
        /// What is wrong and what to do.
        message: String,
    },

    /// Inputs or options that do not go together.
    #[error("{message}")]
    Usage {
        /// What does not fit, and what to do.
        message: String,
    },

    /// Two rows have the same image id.
    #[error("image_id {id:?} appears twice: {first} and {second}; every image needs a unique id, so remove or rename one of them")]
    DuplicateImageId {
        /// The id.
        id: String,
        /// Where it is first.
        first: Box<Location>,
        /// Where it is again.
        second: Box<Location>,
    },

    /// The same file is given twice as input (by one name or two).
    #[error("{}: is given twice, as inputs {} and {}{}; pass each file once", first.display(), positions.0, positions.1, same_file_note(first, second))]
    InputGivenTwice {
        /// The first name it was given by.
        first: PathBuf,
        /// The second name.
        second: PathBuf,
        /// Its positions among the inputs, from 1.
        positions: (usize, usize),
    },

    /// A `--labels` CSV cannot be joined to the images.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Labels {
        /// The CSV.
        path: PathBuf,
        /// The line (from 1, the header), where one is at fault.
        line: Option<u64>,
        /// What is wrong and what to do.
        message: String,
    },

    /// The output exists and `force` is not set.
    #[error("{}: already exists; pass --force to replace it, or choose another output", path.display())]
    OutputExists {
        /// The output.
        path: PathBuf,
    },

    /// `force` would replace or remove something pixelprep did not write (a folder
    /// holding other files, a file with a shard's name that is not a tar).
    #[error("{}: --force does not replace it: {why}; move what you want to keep, or choose another output", path.display())]
    ForceRefused {
        /// The output folder.
        path: PathBuf,
        /// What it holds.
        why: String,
    },

    /// Shards of an image-file run exist and neither `--resume` nor `--force`
    /// was given.
    #[error("{}: already exists; if a run of this same command stopped, continue it with --resume; or pass --force to replace the shards, or choose another output", path.display())]
    ShardsExist {
        /// The lowest-numbered shard there.
        path: PathBuf,
    },

    /// `--resume` found shards it cannot continue from.
    #[error("{}: cannot resume: {why}", path.display())]
    ResumeRefused {
        /// The shard (or output) in question.
        path: PathBuf,
        /// What is wrong, and what to do.
        why: String,
    },

    /// A run of tar shards stopped after some were finished: those are kept.
    #[error("{}; {shards} finished shards of {} were kept: run the same command with --resume to write the rest", stopped_note(cause), path.display())]
    ShardsKept {
        /// Why it stopped.
        cause: Box<Error>,
        /// The `-o` shard pattern.
        path: PathBuf,
        /// Shards under their names (those of an earlier run included).
        shards: u64,
    },

    /// Writing the output failed (full disk, permissions...).
    #[error("{}: cannot write output: {cause}{}", path.display(), written_note(*written))]
    WriteOutput {
        /// The output.
        path: PathBuf,
        /// Images already in a folder output, if any.
        written: Option<u64>,
        /// What the system said.
        cause: std::io::Error,
    },

    /// A failure after images were written to a folder output, which keeps them.
    #[error("{cause}; {written} images had been written to {} before the failure, run again with --force once it is fixed", path.display())]
    PartialOutput {
        /// The failure.
        cause: Box<Error>,
        /// The output folder.
        path: PathBuf,
        /// Images written before it.
        written: u64,
    },

    /// The run was cancelled (Ctrl-C, SIGTERM).
    #[error("interrupted; {}", cleanup_note(path, *written))]
    Interrupted {
        /// The output.
        path: PathBuf,
        /// Images already in a folder output, if any.
        written: Option<u64>,
    },

    /// A worker thread panicked; nothing was written under the final name.
    #[error("a worker thread panicked ({message}); no archive was written under the final name{}", written_note(*written))]
    WorkerPanic {
        /// The panic's message.
        message: String,
        /// Images already in a folder output, if any.
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

/// Why a run of shards stopped, without the usual words about a removed
/// archive (its finished shards are kept).
fn stopped_note(cause: &Error) -> String {
    match cause {
        Error::Interrupted { .. } => "interrupted".into(),
        Error::WorkerPanic { message, .. } => format!("a worker thread panicked ({message})"),
        other => other.to_string(),
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

/// How to rewrite a table in a form every reader takes.
pub(crate) const REWRITE_ADVICE: &str = "rewrite the file with snappy or zstd, e.g. pyarrow.parquet.write_table(pyarrow.parquet.read_table(path), \"table.parquet\", compression=\"zstd\")";

impl Error {
    /// A failure of the parquet crate while reading data at `at`: a feature it does
    /// not have is named as such, anything else is a damaged file.
    pub(crate) fn from_parquet(at: Location, cause: parquet::errors::ParquetError) -> Error {
        use parquet::errors::ParquetError;
        match cause {
            ParquetError::NYI(what) => Error::Unsupported {
                at: Box::new(at),
                what,
                advice: REWRITE_ADVICE,
            },
            ParquetError::General(ref message) if message.contains("Disabled feature") => {
                Error::Unsupported {
                    at: Box::new(at),
                    what: message.clone(),
                    advice: REWRITE_ADVICE,
                }
            }
            cause => Error::Corrupt { at, cause },
        }
    }

    /// True when the run was stopped by Ctrl-C or SIGTERM (exit code 130), also when
    /// the interruption is reported with the count of images already written.
    pub fn is_interrupted(&self) -> bool {
        match self {
            Error::Interrupted { .. } => true,
            Error::PartialOutput { cause, .. } | Error::ShardsKept { cause, .. } => {
                cause.is_interrupted()
            }
            _ => false,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
