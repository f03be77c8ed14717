//! Reading pixel tables: the file is mapped, its footer checked (which column is
//! the id, which are pixels), and a row group at a time is decoded into rows of
//! pixels, in parallel over columns.
//!
//! - [`parquet`]: the table, its checks and its ids; [`decode`]: a row group's
//!   pixels, decoded in parallel in strips;
//! - [`layout`]: which column is what;
//! - [`columns`] and [`dictionary`]: one column's pages, with the fast path for
//!   dictionary-encoded pixels;
//! - [`rows`]: a row group's pixels as rows, and the transpose that fills them;
//! - [`sniff`]: what a file that is not Parquet is.

pub mod columns;
pub mod decode;
pub mod dictionary;
pub mod layout;
pub mod parquet;
pub mod rows;
pub mod sniff;

pub use layout::ID_COLUMN;
pub use parquet::{PixelTable, TableLayout};
pub use rows::PixelRows;
