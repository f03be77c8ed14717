//! The Python module `pixelprep._pixelprep` (the `python` feature, built into
//! the wheel by maturin): `convert` and `transform` over the library, and the
//! command line itself, run through this module by the wheel's `pixelprep`
//! command. The typed Python API around it is `python/pixelprep/`.
//!
//! Every call releases the GIL and works on its own thread pool; the calling
//! thread meanwhile polls for signals, so Ctrl-C stops a long call (the library
//! then removes what it began) and raises `KeyboardInterrupt`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, RecordBatchReader};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};

use crate::{
    ConvertOptions, Fit, Geometry, OutputFormat, PilColor, PilFilter, RecipeKind, TransformOptions,
};

/// The binary's own modules (arguments, progress, bench, the inspect report),
/// compiled in here so that the wheel's `pixelprep` command is the same CLI.
mod sequence;

#[path = "../bin/pixelprep"]
#[allow(dead_code)]
mod cli_app {
    pub mod app;
    pub mod bench;
    pub mod cli;
    pub mod inspect;
    pub mod progress;
}

pyo3::create_exception!(
    _pixelprep,
    Error,
    PyException,
    "A pixelprep failure; the message says where and what to do."
);
pyo3::create_exception!(
    _pixelprep,
    InputError,
    Error,
    "An input cannot be read or does not fit: a damaged file, a layout, a pixel, an id, labels."
);
pyo3::create_exception!(
    _pixelprep,
    OutputExistsError,
    Error,
    "The output exists and force is not set, or force would replace files pixelprep did not write."
);
pyo3::create_exception!(
    _pixelprep,
    OutputError,
    Error,
    "Writing the output failed (disk full, permissions...)."
);

/// The Python exception for a library error.
fn to_py(error: crate::Error) -> PyErr {
    use crate::Error as E;
    let message = error.to_string();
    match error {
        E::Interrupted { .. } => PyKeyboardInterrupt::new_err(message),
        E::ShardsKept { ref cause, .. } if cause.is_interrupted() => {
            PyKeyboardInterrupt::new_err(message)
        }
        E::OutputExists { .. }
        | E::ForceRefused { .. }
        | E::ResumeRefused { .. }
        | E::ShardsExist { .. } => OutputExistsError::new_err(message),
        E::WriteOutput { .. }
        | E::PartialOutput { .. }
        | E::WorkerPanic { .. }
        | E::ShardsKept { .. } => OutputError::new_err(message),
        _ => InputError::new_err(message),
    }
}

/// Runs `work` on a thread of its own without the GIL, while this thread polls
/// for signals; on Ctrl-C, sets the flag `work` polls and raises
/// `KeyboardInterrupt` once it has stopped.
fn interruptible<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&AtomicBool) -> T + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let mut signal: Option<PyErr> = None;
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| work(&cancel));
        while !worker.is_finished() {
            py.detach(|| std::thread::sleep(Duration::from_millis(20)));
            if signal.is_none() {
                if let Err(e) = py.check_signals() {
                    cancel.store(true, Ordering::SeqCst);
                    signal = Some(e);
                }
            }
        }
        worker.join()
    });
    if let Some(e) = signal {
        return Err(e);
    }
    result.map_err(|_| Error::new_err("a pixelprep thread panicked"))
}

fn geometry(height: usize, width: usize, size: usize, pad: usize) -> PyResult<Geometry> {
    if height == 0 || width == 0 || size == 0 {
        return Err(PyValueError::new_err(
            "height, width and size must be at least 1",
        ));
    }
    Ok(Geometry {
        height,
        width,
        size,
        pad,
    })
}

/// `(width, height)` of image files' outputs, each at least 1.
fn checked_size(size: Option<(usize, usize)>) -> PyResult<Option<(usize, usize)>> {
    match size {
        Some((w, h)) if w == 0 || h == 0 || w > 8192 || h > 8192 => Err(PyValueError::new_err(
            "size must be 1 to 8192 pixels a side",
        )),
        other => Ok(other),
    }
}

fn pil_color(name: &str) -> PyResult<PilColor> {
    match name {
        "rgb" | "RGB" => Ok(PilColor::Rgb),
        "gray" | "L" => Ok(PilColor::Gray),
        _ => Err(PyValueError::new_err(format!(
            "color {name:?} is not one of rgb, gray"
        ))),
    }
}

/// The recipe named `name` (`None`: the source's own).
fn recipe_kind(name: Option<&str>) -> PyResult<Option<RecipeKind>> {
    match name {
        None => Ok(None),
        Some("kernel") => Ok(Some(RecipeKind::Kernel)),
        Some("pil") => Ok(Some(RecipeKind::Pil)),
        Some("opencv") => Ok(Some(RecipeKind::OpenCv)),
        Some(other) => Err(PyValueError::new_err(format!(
            "recipe {other:?} is not one of kernel, pil, opencv"
        ))),
    }
}

/// Pillow's filter and OpenCV's interpolation for `recipe` and `filter`.
fn resampling_of(
    recipe: Option<RecipeKind>,
    filter: Option<&str>,
) -> PyResult<(PilFilter, crate::CvInterp)> {
    crate::resampling(recipe, filter).map_err(PyValueError::new_err)
}

fn pil_fit(name: &str) -> PyResult<Fit> {
    match name {
        "stretch" => Ok(Fit::Stretch),
        "crop" => Ok(Fit::Crop),
        "pad" => Ok(Fit::Pad),
        _ => Err(PyValueError::new_err(format!(
            "fit {name:?} is not one of stretch, crop, pad"
        ))),
    }
}

/// `fill`: one gray value or (R, G, B); black when not given.
fn pil_fill(fill: Option<Vec<u8>>) -> PyResult<[u8; 3]> {
    match fill.as_deref() {
        None => Ok([0; 3]),
        Some([v]) => Ok([*v; 3]),
        Some([r, g, b]) => Ok([*r, *g, *b]),
        Some(_) => Err(PyValueError::new_err(
            "fill is one gray value (0..255) or an (R, G, B) tuple",
        )),
    }
}

fn threads_or_all(threads: Option<usize>) -> PyResult<usize> {
    match threads {
        Some(0) => Err(PyValueError::new_err("threads must be at least 1")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Writes `line` to Python's `sys.stderr` (from any thread: it takes the GIL).
fn python_stderr(line: &str) {
    Python::attach(|py| {
        if let Ok(stderr) = py.import("sys").and_then(|sys| sys.getattr("stderr")) {
            let _ = stderr.call_method1("write", (format!("{line}\n"),));
            let _ = stderr.call_method0("flush");
        }
    });
}

/// Runs the command line `argv` (the program name first); `bench_command` is how
/// `bench` runs pixelprep as its children. Returns the exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<OsString>, bench_command: Vec<OsString>) -> u8 {
    py.detach(|| cli_app::app::run_cli(argv, Some(bench_command)))
}

/// Converts `inputs` into `output`, as `pixelprep convert` does; returns the
/// summary as a dict (the fields of `convert --json`).
#[pyfunction]
#[pyo3(signature = (inputs, output, *, threads=None, size=128, pad=16, height=137, width=236,
    force=false, skip_blank=false, labels=None, shard_size=None, format=None, id_column=None,
    progress=false, recipe=None, output_size=None, color="rgb", filter=None, files=None, root=None,
    skip_bad=false, max_pixels=None, fit="stretch", fill=None, lmdb_values="png", draft=false,
    resume=false, image_column=None))]
#[allow(clippy::too_many_arguments)]
fn convert<'py>(
    py: Python<'py>,
    inputs: Vec<PathBuf>,
    output: PathBuf,
    threads: Option<usize>,
    size: usize,
    pad: usize,
    height: usize,
    width: usize,
    force: bool,
    skip_blank: bool,
    labels: Option<PathBuf>,
    shard_size: Option<u64>,
    format: Option<String>,
    id_column: Option<String>,
    progress: bool,
    recipe: Option<String>,
    output_size: Option<(usize, usize)>,
    color: &str,
    filter: Option<&str>,
    files: Option<PathBuf>,
    root: Option<PathBuf>,
    skip_bad: bool,
    max_pixels: Option<u64>,
    fit: &str,
    fill: Option<Vec<u8>>,
    lmdb_values: &str,
    draft: bool,
    resume: bool,
    image_column: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let lmdb_raw = match lmdb_values {
        "png" => false,
        "raw" => true,
        other => {
            return Err(PyValueError::new_err(format!(
                "lmdb_values {other:?} is not one of png, raw"
            )))
        }
    };
    let recipe = recipe_kind(recipe.as_deref())?;
    let (filter, interpolation) = resampling_of(recipe, filter)?;
    let format = match format.as_deref() {
        None => None,
        Some(name) => Some(OutputFormat::from_name(name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "format {name:?} is not one of zip, dir, tar, npy, lmdb"
            ))
        })?),
    };
    if shard_size == Some(0) {
        return Err(PyValueError::new_err("shard_size must be at least 1"));
    }
    let options = ConvertOptions {
        inputs,
        output,
        format,
        shard_size: shard_size.unwrap_or(10_000),
        labels,
        geometry: geometry(height, width, size, pad)?,
        threads: threads_or_all(threads)?,
        force,
        skip_blank,
        id_column,
        panic_on_image_id: None,
        recipe,
        output_size: checked_size(output_size)?,
        color: pil_color(color)?,
        filter,
        interpolation,
        files,
        files_root: root,
        skip_bad,
        max_pixels: max_pixels.unwrap_or(crate::DEFAULT_MAX_PIXELS),
        fit: pil_fit(fit)?,
        fill: pil_fill(fill)?,
        lmdb_raw,
        draft,
        resume,
        image_column,
    };
    let summary = interruptible(py, |cancel| {
        use cli_app::progress::{ProgressMode, Reporter, DEFAULT_LINE_INTERVAL};
        let reporter = if progress {
            // Through Python's sys.stderr, which a notebook shows in the cell
            // (the process's own stderr reaches it late, if at all).
            Reporter::with_writer("convert", DEFAULT_LINE_INTERVAL, Box::new(python_stderr))
        } else {
            Reporter::new(ProgressMode::Quiet, "convert", DEFAULT_LINE_INTERVAL)
        };
        let result = crate::convert(&options, &reporter, cancel);
        reporter.finish();
        result
    })?
    .map_err(to_py)?;
    let dict = PyDict::new(py);
    dict.set_item("images", summary.images)?;
    dict.set_item("blanks", summary.blanks)?;
    dict.set_item("skipped", summary.skipped)?;
    dict.set_item("files", summary.files)?;
    dict.set_item("output_bytes", summary.output_bytes)?;
    dict.set_item("seconds", summary.seconds)?;
    dict.set_item("mean", summary.mean)?;
    dict.set_item("std", summary.std)?;
    let outputs: Vec<String> = summary
        .outputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    dict.set_item("outputs", outputs)?;
    dict.set_item("channel_mean", summary.channel_mean)?;
    dict.set_item("channel_std", summary.channel_std)?;
    dict.set_item("ignored", summary.ignored)?;
    let bad: Vec<(String, String, String, String)> = summary
        .bad
        .iter()
        .map(|b| {
            (
                b.path.display().to_string(),
                b.id.clone(),
                b.problem.clone(),
                b.reason.clone(),
            )
        })
        .collect();
    dict.set_item("bad", bad)?;
    Ok(dict)
}

/// The record batches of an object with `__arrow_c_stream__` (pyarrow, polars,
/// DuckDB), read through the Arrow C stream interface: the arrays stay where
/// the producer put them.
fn read_stream(source: &Bound<'_, PyAny>) -> PyResult<(arrow_schema::SchemaRef, Vec<RecordBatch>)> {
    let capsule = source.call_method0("__arrow_c_stream__")?;
    let capsule = capsule
        .cast::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err("__arrow_c_stream__ did not return a PyCapsule"))?;
    let pointer = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
    // SAFETY: the capsule holds an `ArrowArrayStream` (its name says so, as the
    // protocol requires); `from_raw` moves the stream out and leaves a released
    // one behind, which the capsule's destructor then ignores.
    let reader = unsafe {
        RecordBatchStreamReader::from_raw(pointer.as_ptr().cast::<FFI_ArrowArrayStream>())
    }
    .map_err(|e| InputError::new_err(format!("cannot read the Arrow stream: {e}")))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| InputError::new_err(format!("cannot read the Arrow stream: {e}")))?;
    Ok((schema, batches))
}

/// The kernel's images of `source` (a path, or an Arrow stream object), nothing
/// written: `(ids, images)` with images a C-contiguous `(N, size, size)` uint8
/// array.
#[pyfunction]
#[pyo3(signature = (source, *, size=128, pad=16, height=137, width=236, threads=None, id_column=None,
    output_size=None, recipe=None, color="rgb", filter=None, max_pixels=None, fit="stretch",
    fill=None, draft=false, image_column=None))]
#[allow(clippy::too_many_arguments)]
fn transform<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    size: usize,
    pad: usize,
    height: usize,
    width: usize,
    threads: Option<usize>,
    id_column: Option<String>,
    output_size: Option<(usize, usize)>,
    recipe: Option<&str>,
    color: &str,
    filter: Option<&str>,
    max_pixels: Option<u64>,
    fit: &str,
    fill: Option<Vec<u8>>,
    draft: bool,
    image_column: Option<String>,
) -> PyResult<(Vec<String>, Bound<'py, PyAny>)> {
    let recipe = recipe_kind(recipe)?;
    let (filter, interpolation) = resampling_of(recipe, filter)?;
    let options = TransformOptions {
        recipe,
        interpolation,
        geometry: geometry(height, width, size, pad)?,
        threads: threads_or_all(threads)?,
        id_column,
        output_size: checked_size(output_size)?,
        color: pil_color(color)?,
        filter,
        max_pixels: max_pixels.unwrap_or(crate::DEFAULT_MAX_PIXELS),
        fit: pil_fit(fit)?,
        fill: pil_fill(fill)?,
        draft,
        image_column,
    };
    let images = if source.hasattr("__arrow_c_stream__")? {
        let name = format!("<{}>", source.get_type().name()?);
        let (schema, batches) = read_stream(source)?;
        interruptible(py, |cancel| {
            crate::transform_batches(&name, schema, batches, &options, cancel)
        })?
    } else {
        let path: PathBuf = source.extract().map_err(|_| {
            PyTypeError::new_err(
                "source must be a path (str or os.PathLike) or an object with \
                 __arrow_c_stream__ (a pyarrow Table, a polars DataFrame...)",
            )
        })?;
        interruptible(py, |cancel| crate::transform(&path, &options, cancel))?
    }
    .map_err(to_py)?;
    let n = images.ids.len();
    let shape = images.shape;
    let flat = PyArray1::from_vec(py, images.pixels);
    let array = if shape.channels == 1 {
        flat.reshape([n, shape.height, shape.width])?.into_any()
    } else {
        flat.reshape([n, shape.height, shape.width, shape.channels])?
            .into_any()
    };
    Ok((images.ids, array))
}

/// The extension module.
#[pymodule]
fn _pixelprep(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    m.add_function(wrap_pyfunction!(transform, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_class::<sequence::ImageSequence>()?;
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("OutputExistsError", py.get_type::<OutputExistsError>())?;
    m.add("OutputError", py.get_type::<OutputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
