//! `pixelprep._pixelprep.ImageSequence`: image files as a lazy sequence. Opening
//! one lists the files; an image is made when it is asked for, on pixelprep's
//! own threads with the GIL released. The Python class `pixelprep.images`
//! wraps it (slices, iteration with prefetch, batches, pickling into workers).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::to_py;
use crate::meta::{Metadata, Value};
use crate::pipeline::{worker_pool, ImageSet};
use crate::TransformOptions;

/// Image files and the recipe that makes their images; one per process (the
/// Python wrapper makes a new one after a fork, so the threads are its own).
#[pyclass(module = "pixelprep._pixelprep", frozen)]
pub struct ImageSequence {
    set: ImageSet,
    pool: rayon::ThreadPool,
}

impl ImageSequence {
    /// The images `indices` as one `(n, H, W[, C])` array.
    fn make<'py>(&self, py: Python<'py>, indices: Vec<usize>) -> PyResult<Bound<'py, PyAny>> {
        let count = self.set.list.files.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= count) {
            return Err(PyIndexError::new_err(format!(
                "image {bad} of a sequence of {count}"
            )));
        }
        let shape = self.set.recipe.shape();
        let mut pixels = vec![0u8; indices.len() * shape.bytes()];
        let cancel = AtomicBool::new(false);
        py.detach(|| {
            self.set
                .make_into(&indices, &mut pixels, &self.pool, &cancel)
        })
        .map_err(to_py)?;
        let flat = PyArray1::from_vec(py, pixels);
        let n = indices.len();
        Ok(if shape.channels == 1 {
            flat.reshape([n, shape.height, shape.width])?.into_any()
        } else {
            flat.reshape([n, shape.height, shape.width, shape.channels])?
                .into_any()
        })
    }
}

#[pymethods]
impl ImageSequence {
    /// Lists the image files of `inputs` (folders, files, archives or one image
    /// table) and checks their ids.
    #[new]
    #[pyo3(signature = (inputs, *, output_size, recipe=None, color="rgb", filter=None, fit="stretch",
        fill=None, draft=false, max_pixels=None, threads=None, image_column=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        inputs: Vec<PathBuf>,
        output_size: (usize, usize),
        recipe: Option<&str>,
        color: &str,
        filter: Option<&str>,
        fit: &str,
        fill: Option<Vec<u8>>,
        draft: bool,
        max_pixels: Option<u64>,
        threads: Option<usize>,
        image_column: Option<String>,
    ) -> PyResult<Self> {
        let recipe = super::recipe_kind(recipe)?;
        let (filter, interpolation) = super::resampling_of(recipe, filter)?;
        let options = TransformOptions {
            recipe,
            interpolation,
            output_size: super::checked_size(Some(output_size))?,
            color: super::pil_color(color)?,
            filter,
            fit: super::pil_fit(fit)?,
            fill: super::pil_fill(fill)?,
            draft,
            max_pixels: max_pixels.unwrap_or(crate::DEFAULT_MAX_PIXELS),
            threads: super::threads_or_all(threads)?,
            image_column,
            ..TransformOptions::default()
        };
        let set = py
            .detach(|| ImageSet::open(&inputs, &options))
            .map_err(to_py)?;
        let name = inputs.first().cloned().unwrap_or_default();
        let pool = worker_pool(options.threads, &name).map_err(to_py)?;
        Ok(ImageSequence { set, pool })
    }

    fn __len__(&self) -> usize {
        self.set.list.files.len()
    }

    /// The images' paths relative to their folder (or the file name of a file
    /// given by itself), in order: what `convert(files=..., root=...)` takes.
    #[getter]
    fn paths(&self) -> Vec<String> {
        self.set
            .list
            .files
            .iter()
            .map(|f| f.relative.clone())
            .collect()
    }

    /// The image ids, in order.
    #[getter]
    fn ids(&self) -> Vec<String> {
        self.set.list.files.iter().map(|f| f.id.clone()).collect()
    }

    /// Each image's class folder (ImageFolder layout); for an image table, its
    /// `label` column (as `datasets` names it); else None.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
        let list = &self.set.list;
        if list.classes().is_some() {
            return list
                .files
                .iter()
                .map(|f| Ok(f.class().unwrap_or_default().into_pyobject(py)?.into_any()))
                .collect::<PyResult<_>>()
                .map(Some);
        }
        match list.metadata.columns.iter().position(|c| c == "label") {
            Some(column) => column_values(py, &list.metadata, column).map(Some),
            None => Ok(None),
        }
    }

    /// An image table's other columns, each a list in image order (empty for
    /// folders and archives).
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let metadata = &self.set.list.metadata;
        let dict = PyDict::new(py);
        for (column, name) in metadata.columns.iter().enumerate() {
            dict.set_item(name, column_values(py, metadata, column)?)?;
        }
        Ok(dict)
    }

    /// The sorted class folders, whose positions are the label indices.
    #[getter]
    fn classes(&self) -> Option<Vec<String>> {
        self.set.list.classes()
    }

    /// The images `indices` as one array, made in parallel without the GIL.
    fn get_many<'py>(&self, py: Python<'py>, indices: Vec<usize>) -> PyResult<Bound<'py, PyAny>> {
        self.make(py, indices)
    }
}

/// Column `column` of `metadata` as Python values (None, bool, int, float, str).
fn column_values<'py>(
    py: Python<'py>,
    metadata: &Metadata,
    column: usize,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    metadata
        .rows
        .iter()
        .map(|row| {
            Ok(match &row[column] {
                Value::Null => py.None().into_bound(py),
                Value::Bool(v) => v.into_pyobject(py)?.to_owned().into_any(),
                Value::Int(v) => v.into_pyobject(py)?.into_any(),
                Value::UInt(v) => v.into_pyobject(py)?.into_any(),
                Value::Float(v) => v.into_pyobject(py)?.into_any(),
                Value::Text(v) => v.into_pyobject(py)?.into_any(),
            })
        })
        .collect()
}
