//! The integration tests, in one binary so the shared helpers compile once. Each
//! runs the real `pixelprep` binary in temporary folders.
//!
//! - `containers`: zip and tar archives read in place as image folders;
//! - `cli`: what a command-line user expects (version, help, exit codes, progress);
//! - `convert`: the sample and other layouts against the golden PNGs;
//! - `errors`: bad input, existing outputs, failures during a run, by topic;
//! - `inspect`, `library`, `resize_fixtures`: the other subcommands, the library
//!   API, and the resize against OpenCV's outputs.

mod common;

mod cli;
mod containers;
mod convert;
mod errors;
mod images;
mod inspect;
mod library;
mod outputs;
mod producers;
mod resize_fixtures;
mod resume;
