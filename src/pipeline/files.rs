//! The conversion of image files: list them (folders, single files, a list
//! file), check every id, put the labels together (class folders, `--labels`),
//! then in batches read, decode and make each image on the workers, and hand
//! the batches in order to the writer, as for tables.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::{
    drive, summary, worker_pool, BadFile, Batch, ConvertOptions, Counts, Payload, PixelSums,
    Progress, Summary, BATCH,
};
use crate::decode::DecodeError;
use crate::error::{Error, Location, Result};
use crate::files::{is_image_input, list_images_with, FileList, ImageFile, TableColumns};
use crate::image::png::encode_png_photo;
use crate::image::resize::opencv::CvInterp;
use crate::image::resize::pillow::PilFilter;
use crate::meta::labels::Labels;
use crate::meta::{Metadata, Value};
use crate::recipe::{CvRecipe, FileRecipe, Fit, PilColor, PilRecipe, RecipeKind};
use crate::write::{open_sink, path_id_problem, OutputFormat, SinkSpec};

/// True when the run's inputs are image files; an error when image files and
/// pixel tables are mixed, or the kernel's recipe is asked of image files.
pub(super) fn wants_image_files(options: &ConvertOptions) -> Result<bool> {
    let images: Vec<&PathBuf> = options
        .inputs
        .iter()
        .filter(|p| is_image_input(p))
        .collect();
    let any_images = !images.is_empty() || options.files.is_some();
    if !any_images {
        return Ok(false);
    }
    if let Some(table) = options.inputs.iter().find(|p| !is_image_input(p)) {
        let image = images
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "the --files list".into());
        return Err(Error::Usage {
            message: format!(
                "{} is a pixel table and {image} holds image files; one run converts one kind, \
                 so convert them in two runs",
                table.display()
            ),
        });
    }
    if options.recipe == Some(RecipeKind::Kernel) {
        return Err(Error::Usage {
            message: "--recipe kernel makes images from pixel tables; image files take --recipe \
                      pil (the default for them)"
                .into(),
        });
    }
    Ok(true)
}

/// The options of image files that `convert` and `transform` share.
pub(super) struct RecipeOptions {
    pub kind: Option<RecipeKind>,
    pub output_size: Option<(usize, usize)>,
    pub side: usize,
    pub color: PilColor,
    pub filter: PilFilter,
    pub interpolation: CvInterp,
    pub fit: Fit,
    pub fill: [u8; 3],
    pub draft: bool,
}

impl RecipeOptions {
    /// The recipe they ask for: the output size (`side` square when none is
    /// given), Pillow's unless OpenCV's is named.
    fn recipe(&self) -> Result<FileRecipe> {
        let (width, height) = self.output_size.unwrap_or((self.side, self.side));
        if self.kind == Some(RecipeKind::OpenCv) {
            if self.draft {
                return Err(Error::Usage {
                    message: "draft is Pillow's draft mode; OpenCV's recipe decodes JPEGs whole \
                              (drop --draft, or use --recipe pil)"
                        .into(),
                });
            }
            return Ok(FileRecipe::OpenCv(CvRecipe {
                fit: self.fit,
                fill: self.fill,
                ..CvRecipe::new(
                    width,
                    height,
                    self.color == PilColor::Gray,
                    self.interpolation,
                )
            }));
        }
        Ok(FileRecipe::Pil(PilRecipe {
            fit: self.fit,
            fill: self.fill,
            draft: self.draft,
            ..PilRecipe::new(width, height, self.color, self.filter)
        }))
    }
}

/// The recipe of a run of image files.
fn recipe(o: &ConvertOptions) -> Result<FileRecipe> {
    RecipeOptions {
        kind: o.recipe,
        output_size: o.output_size,
        side: o.geometry.size,
        color: o.color,
        filter: o.filter,
        interpolation: o.interpolation,
        fit: o.fit,
        fill: o.fill,
        draft: o.draft,
    }
    .recipe()
}

/// Refuses ids that cannot name an output file, and ids given twice.
fn check_ids(list: &FileList, format: OutputFormat) -> Result<()> {
    let mut seen: HashMap<&str, &ImageFile> = HashMap::with_capacity(list.files.len());
    for file in &list.files {
        let at = || Location::file(file.place()).with_image_id(file.id.clone());
        let problem = path_id_problem(&file.id).or_else(|| {
            format
                .id_problem(&file.id)
                .map(|why| format!("{why} ({} output)", format.name()))
        });
        if let Some(message) = problem {
            return Err(Error::BadImageId { at: at(), message });
        }
        if let Some(first) = seen.insert(&file.id, file) {
            return Err(Error::DuplicateImageId {
                id: file.id.clone(),
                first: Box::new(Location::file(first.place()).with_image_id(file.id.clone())),
                second: Box::new(at()),
            });
        }
    }
    Ok(())
}

/// The labels of every image: `label` and `label_index` from the class
/// folders (ImageFolder layout), then the `--labels` CSV's columns, joined on
/// the relative path, the file name or the id, whichever column matches.
fn gather_labels(options: &ConvertOptions, list: &FileList) -> Result<Metadata> {
    // An image table's label columns, else the class folders.
    let mut metadata = list.metadata.clone();
    if let Some(classes) = list.classes() {
        metadata.columns = vec!["label".into(), "label_index".into()];
        metadata.rows = list
            .files
            .iter()
            .map(|f| {
                let class = f.class().expect("every image has a class");
                let index = classes.binary_search_by(|c| c.as_str().cmp(class));
                vec![
                    Value::Text(class.to_string()),
                    Value::Int(index.expect("a listed class") as i64),
                ]
            })
            .collect();
    }
    let Some(labels_path) = &options.labels else {
        return Ok(metadata);
    };
    let relative: HashSet<&str> = list.files.iter().map(|f| f.relative.as_str()).collect();
    let ids: HashSet<&str> = list.files.iter().map(|f| f.id.as_str()).collect();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for f in &list.files {
        *names.entry(f.name()).or_default() += 1;
    }
    let unique_names: HashSet<&str> = names
        .iter()
        .filter(|(_, &n)| n == 1)
        .map(|(&name, _)| name)
        .collect();
    let (labels, kind) = Labels::read_matching(
        labels_path,
        &[&relative, &unique_names, &ids],
        "relative paths (cat/0001.jpg), file names (0001.jpg, when unique) or ids (cat/0001)",
    )?;
    let key = |f: &ImageFile| -> String {
        match kind {
            0 => f.relative.clone(),
            1 => f.name().to_string(),
            _ => f.id.clone(),
        }
    };
    let keys: Vec<String> = list.files.iter().map(key).collect();
    if let Some(clash) = labels.columns.iter().find(|c| metadata.columns.contains(c)) {
        return Err(Error::Labels {
            path: labels_path.clone(),
            line: Some(1),
            message: format!(
                "column {clash:?} is also made from the class folders; rename it in the CSV"
            ),
        });
    }
    let place = |i: usize| list.files[i].place().display().to_string();
    let joined = labels.join(keys.iter().map(String::as_str), place)?;
    if metadata.rows.is_empty() {
        metadata.rows = joined;
    } else {
        for (row, extra) in metadata.rows.iter_mut().zip(joined) {
            row.extend(extra);
        }
    }
    metadata.columns.extend(labels.columns.iter().cloned());
    Ok(metadata)
}

/// Where the bad files are listed: beside the output, `<stem>.bad.csv`.
fn bad_files_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    // A shard pattern (`train-%06d.tar`) names the set by what is before the number.
    let stem = match name.find('%') {
        Some(at) => name[..at].trim_end_matches(['-', '_', '.']).to_string(),
        None => Path::new(&name)
            .file_stem()
            .map_or(name.clone(), |s| s.to_string_lossy().into_owned()),
    };
    output.with_file_name(format!("{stem}.bad.csv"))
}

/// Writes the bad files' CSV (`path,image_id,problem,reason`) under a temporary
/// name, then renames it.
fn write_bad_files(path: &Path, bad: &[BadFile], force: bool) -> Result<()> {
    let failed = |cause| Error::WriteOutput {
        path: path.to_path_buf(),
        written: None,
        cause,
    };
    if path.exists() && !force {
        return Err(Error::OutputExists {
            path: path.to_path_buf(),
        });
    }
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut write = || -> csv::Result<Vec<u8>> {
        csv.write_record(["path", "image_id", "problem", "reason"])?;
        for b in bad {
            csv.write_record([
                b.path.display().to_string().as_str(),
                &b.id,
                &b.problem,
                &b.reason,
            ])?;
        }
        csv.flush()?;
        Ok(csv.get_ref().clone())
    };
    let bytes = write().map_err(|e| failed(std::io::Error::other(e)))?;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    let mut temp = tempfile::Builder::new()
        .prefix(".pixelprep.")
        .suffix(".partial")
        .permissions(crate::write::ordinary_file_permissions())
        .tempfile_in(folder.unwrap_or(Path::new(".")))
        .map_err(failed)?;
    std::io::Write::write_all(temp.as_file_mut(), &bytes).map_err(failed)?;
    temp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// One image made: its pixels, or why the file is bad.
fn make_image(
    file: &ImageFile,
    recipe: &FileRecipe,
    max_pixels: u64,
) -> std::result::Result<Vec<u8>, DecodeError> {
    let bytes = crate::files::read_bytes(file)?;
    recipe.make_from_bytes(&bytes, max_pixels)
}

/// True when `options` write tar shards (a pattern in the output's name).
fn writes_shards(options: &ConvertOptions) -> bool {
    options.output_format() == OutputFormat::Tar
        && options
            .output
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains('%'))
}

/// Where a `--resume` run takes up: the shards an earlier run of the same
/// command finished, and what they hold, checked against this run's images.
struct Resumed {
    shards: u64,
    /// The first image of the list not in them.
    next: usize,
    /// Their images' count and sums, and the files the earlier run left out.
    counts: Counts,
}

/// Reads the finished shards and checks that they are this run's: the ids in
/// this run's order, the labels, and images of this run's size and mode. Files
/// an earlier `--skip-bad` run left out are decoded again for their reason.
fn resume_point(
    options: &ConvertOptions,
    list: &FileList,
    metadata: &Metadata,
    recipe: &FileRecipe,
) -> Result<Resumed> {
    if options.force {
        return Err(Error::Usage {
            message: "--resume keeps the finished shards and --force replaces them: pass one"
                .into(),
        });
    }
    let shape = recipe.shape();
    let mut counts = Counts::default();
    let mut next = 0;
    let mut missing = Vec::new();
    let mut per_shard: Vec<(PathBuf, u64)> = Vec::new();
    let mut labels_due: Option<usize> = None;
    let not_ours = |shard: &Path, why: String| Error::ResumeRefused {
        path: shard.to_path_buf(),
        why: format!(
            "{why}, so it was made by another command; convert again with --force to replace \
             the shards, or write them elsewhere"
        ),
    };
    let shards = crate::write::read_finished_shards(&options.output, &mut |shard, name, data| {
        if per_shard.last().map(|(p, _)| p.as_path()) != Some(shard) {
            per_shard.push((shard.to_path_buf(), 0));
        }
        if let Some(row) = labels_due.take() {
            let id = &list.files[row].id;
            if name != format!("{id}.json") {
                return Err(not_ours(
                    shard,
                    format!("{id}.png has no labels ({id}.json) after it"),
                ));
            }
            if data != metadata.json(row).as_bytes() {
                return Err(not_ours(
                    shard,
                    format!("the labels of {id} differ from this run's"),
                ));
            }
            return Ok(());
        }
        let Some(id) = name.strip_suffix(".png") else {
            return Err(not_ours(
                shard,
                format!("it holds {name}, which is no image of this run"),
            ));
        };
        let Some(at) = list.files[next..].iter().position(|f| f.id == id) else {
            return Err(not_ours(
                shard,
                format!("it holds {id}, which is not among this run's images in this order"),
            ));
        };
        let at = next + at;
        missing.extend(next..at);
        let image = crate::decode::decode(&data, u64::MAX, None)
            .map_err(|e| not_ours(shard, format!("its {name} cannot be read ({e})")))?;
        if (image.width, image.height, image.layout.channels())
            != (shape.width, shape.height, shape.channels)
        {
            return Err(not_ours(
                shard,
                format!(
                    "its {name} is {}x{} with {} channels, not this run's {}x{} with {}",
                    image.width,
                    image.height,
                    image.layout.channels(),
                    shape.width,
                    shape.height,
                    shape.channels
                ),
            ));
        }
        counts.images += 1;
        counts.add_sums(&PixelSums::of_channels(&image.pixels, shape.channels));
        per_shard.last_mut().expect("pushed above").1 += 1;
        if !metadata.is_empty() {
            labels_due = Some(at);
        }
        next = at + 1;
        Ok(())
    })?;
    if let (Some(row), Some((shard, _))) = (labels_due, per_shard.last()) {
        let id = &list.files[row].id;
        return Err(not_ours(
            shard,
            format!("{id}.png has no labels ({id}.json) after it"),
        ));
    }
    let size = options.shard_size.max(1);
    let last = per_shard.len().saturating_sub(1);
    for (i, (shard, images)) in per_shard.iter().enumerate() {
        if *images > size || (*images < size && i != last) {
            return Err(not_ours(
                shard,
                format!("it holds {images} images where this run puts {size} in a shard"),
            ));
        }
    }
    for index in missing {
        let file = &list.files[index];
        let shard = &per_shard.last().expect("an image after it").0;
        match make_image(file, recipe, options.max_pixels) {
            Err(e) if options.skip_bad => counts.bad.push(BadFile {
                path: file.place(),
                id: file.id.clone(),
                problem: e.problem.name().to_string(),
                reason: e.detail.clone(),
            }),
            _ => {
                return Err(not_ours(
                    shard,
                    format!("the shards skip {}, which this run would write", file.id),
                ))
            }
        }
    }
    Ok(Resumed {
        shards,
        next,
        counts,
    })
}

/// Converts the image files of `options` (see [`super::convert`]).
pub(super) fn convert_files(
    options: &ConvertOptions,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    started: Instant,
) -> Result<Summary> {
    let list = list_images_with(
        &options.inputs,
        options.files.as_deref(),
        options.files_root.as_deref(),
        TableColumns {
            image: options.image_column.as_deref(),
            id: options.id_column.as_deref(),
        },
    )?;
    let format = options.output_format();
    check_ids(&list, format)?;
    if list.files.is_empty() {
        let folder = options.inputs.iter().find(|p| p.is_dir());
        let what = if folder.is_some() || options.inputs.is_empty() {
            "a directory"
        } else {
            "an archive"
        };
        return Err(Error::Layout {
            at: Location::file(
                folder
                    .or(options.inputs.first())
                    .or(options.files.as_ref())
                    .cloned()
                    .unwrap_or_default(),
            ),
            message: format!(
                "is {what} with no image files (jpg, jpeg, png, webp, bmp, gif, tif, tiff) in \
                 it; pass a folder or archive of images, or for pixel tables the .parquet \
                 files inside it"
            ),
        });
    }
    let metadata = gather_labels(options, &list)?;
    let recipe = recipe(options)?;
    let shape = recipe.shape();
    let bad_csv = bad_files_path(&options.output);
    // A resumed run rewrites the list its first part left, the same lines.
    let replace_bad_csv = options.force || options.resume;
    if options.skip_bad && bad_csv.exists() && !replace_bad_csv {
        return Err(Error::OutputExists { path: bad_csv });
    }
    let resumed = if options.resume {
        Some(resume_point(options, &list, &metadata, &recipe)?)
    } else {
        None
    };
    let start = resumed.as_ref().map_or(0, |r| r.next);
    // Shards go under their names as they finish, so that a stopped run can be
    // resumed; with --force they replace the old ones all at once, at the end.
    let publish_shards_from = (writes_shards(options) && !options.force)
        .then(|| resumed.as_ref().map_or(0, |r| r.shards));
    let sink = open_sink(&SinkSpec {
        path: options.output.clone(),
        format,
        force: options.force,
        shard_size: options.shard_size,
        shape,
        metadata: std::sync::Arc::new(metadata),
        raw_values: options.lmdb_raw,
        publish_shards_from,
    })?;
    let place = if options.skip_bad { None } else { sink.place() };
    let holds_png = format.holds_png(options.lmdb_raw);
    let output = options.output.clone();
    let pool = worker_pool(options.threads, &output)?;
    let remaining = &list.files[start..];
    progress.start(remaining.len() as u64);
    let panic_on = options.panic_on_image_id.as_deref();
    let mut resumed_counts = resumed.map(|r| r.counts);

    let mut produce = |deliver: &mut dyn FnMut(Batch) -> bool| -> Result<Counts> {
        let mut counts = resumed_counts.take().unwrap_or_default();
        for (chunk_index, chunk) in remaining.chunks(BATCH).enumerate() {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Interrupted {
                    path: output.clone(),
                    written: None,
                });
            }
            let first = start + chunk_index * BATCH;
            type Made = (Payload, Option<(BadFile, DecodeError)>, Vec<PixelSums>);
            let made: std::io::Result<Vec<Made>> = pool.install(|| {
                chunk
                    .par_iter()
                    .enumerate()
                    .map(|(k, file)| {
                        if panic_on == Some(file.id.as_str()) {
                            panic!("test hook: --panic-on-image-id {}", file.id);
                        }
                        let image = match make_image(file, &recipe, options.max_pixels) {
                            Ok(image) => image,
                            Err(e) => {
                                let bad = BadFile {
                                    path: file.place(),
                                    id: file.id.clone(),
                                    problem: e.problem.name().to_string(),
                                    reason: e.detail.clone(),
                                };
                                return Ok((Payload::Skipped, Some((bad, e)), Vec::new()));
                            }
                        };
                        let sums = PixelSums::of_channels(&image, shape.channels);
                        let payload = if let Some(place) = &place {
                            place.place((first + k) as u64, &image)?;
                            Payload::Placed
                        } else if holds_png {
                            Payload::Data(encode_png_photo(
                                &image,
                                shape.width,
                                shape.height,
                                shape.channels,
                            ))
                        } else {
                            Payload::Data(image)
                        };
                        Ok((payload, None, sums))
                    })
                    .collect()
            });
            let made = made.map_err(|cause| Error::WriteOutput {
                path: output.clone(),
                written: None,
                cause,
            })?;
            let mut batch = Vec::with_capacity(made.len());
            for (k, (payload, bad, sums)) in made.into_iter().enumerate() {
                if let Some((bad, error)) = bad {
                    if !options.skip_bad {
                        let file = &chunk[k];
                        return Err(Error::BadImage {
                            at: Location::file(file.place()).with_image_id(file.id.clone()),
                            message: error.to_string(),
                        });
                    }
                    progress.warn(&format!("{}: left out: {}", bad.path.display(), error));
                    counts.bad.push(bad);
                } else {
                    counts.images += 1;
                    counts.add_sums(&sums);
                }
                batch.push((chunk[k].id.clone(), first + k, payload));
            }
            if !deliver(batch) {
                return Ok(counts);
            }
        }
        Ok(counts)
    };
    let driven = drive(sink, options.threads, &output, progress, &mut produce);
    let (counts, mut finished) = match driven {
        Err(cause) if publish_shards_from.is_some() => {
            let shards = crate::write::finished_shard_count(&output);
            return Err(if shards == 0 {
                cause
            } else {
                Error::ShardsKept {
                    cause: Box::new(cause),
                    path: output,
                    shards,
                }
            });
        }
        driven => driven?,
    };
    if !counts.bad.is_empty() {
        write_bad_files(&bad_csv, &counts.bad, replace_bad_csv)?;
        finished.paths.push(bad_csv);
    }
    Ok(summary(
        list.files.len(),
        list.ignored,
        counts,
        finished,
        started,
    ))
}

/// Image files listed and checked, with the recipe that makes their images:
/// what `transform` and the Python API's lazy sequence read from. Opening one
/// lists the files, nothing more.
pub(crate) struct ImageSet {
    /// The files, in order.
    pub list: FileList,
    /// What each image is made by.
    pub recipe: FileRecipe,
    max_pixels: u64,
    /// Stands for the set in errors.
    name: PathBuf,
}

impl ImageSet {
    /// Lists the image files of `inputs` and checks their ids.
    pub fn open(inputs: &[PathBuf], options: &super::TransformOptions) -> Result<Self> {
        let columns = TableColumns {
            image: options.image_column.as_deref(),
            id: options.id_column.as_deref(),
        };
        let list = list_images_with(inputs, None, None, columns)?;
        check_ids(&list, OutputFormat::Npy)?;
        let o = options;
        Ok(ImageSet {
            list,
            recipe: RecipeOptions {
                kind: o.recipe,
                output_size: o.output_size,
                side: o.geometry.size,
                color: o.color,
                filter: o.filter,
                interpolation: o.interpolation,
                fit: o.fit,
                fill: o.fill,
                draft: o.draft,
            }
            .recipe()?,
            max_pixels: options.max_pixels,
            name: inputs.first().cloned().unwrap_or_default(),
        })
    }

    /// Makes images `indices`, in that order, into `out` (`indices.len()` images
    /// of the recipe's shape) on `pool`; a bad file is the error of the first in
    /// order.
    pub fn make_into(
        &self,
        indices: &[usize],
        out: &mut [u8],
        pool: &rayon::ThreadPool,
        cancel: &AtomicBool,
    ) -> Result<()> {
        let bytes = self.recipe.shape().bytes().max(1);
        assert_eq!(out.len(), indices.len() * bytes, "room for every image");
        let outcomes: Vec<Option<Error>> = pool.install(|| {
            indices
                .par_iter()
                .zip(out.par_chunks_mut(bytes))
                .map(|(&index, out)| {
                    if cancel.load(Ordering::Relaxed) {
                        return Some(Error::Interrupted {
                            path: self.name.clone(),
                            written: None,
                        });
                    }
                    let file = &self.list.files[index];
                    match make_image(file, &self.recipe, self.max_pixels) {
                        Ok(image) => {
                            out.copy_from_slice(&image);
                            None
                        }
                        Err(e) => Some(Error::BadImage {
                            at: Location::file(file.place()).with_image_id(file.id.clone()),
                            message: e.to_string(),
                        }),
                    }
                })
                .collect()
        });
        match outcomes.into_iter().flatten().next() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The images of the image files of `inputs`, in memory (the Python API's
/// `pixelprep.transform` on a folder), in input order.
pub(super) fn transform_files(
    inputs: &[PathBuf],
    options: &super::TransformOptions,
    cancel: &AtomicBool,
) -> Result<super::Images> {
    let set = ImageSet::open(inputs, options)?;
    let shape = set.recipe.shape();
    let count = set.list.files.len();
    let mut pixels = Vec::new();
    super::transform::reserve(&mut pixels, count, shape.bytes(), &set.name)?;
    pixels.resize(count * shape.bytes(), 0);
    let pool = worker_pool(options.threads, &set.name)?;
    let all: Vec<usize> = (0..count).collect();
    set.make_into(&all, &mut pixels, &pool, cancel)?;
    Ok(super::Images {
        ids: set.list.files.into_iter().map(|f| f.id).collect(),
        size: shape.width,
        shape,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bad_files_csv_sits_beside_the_output() {
        assert_eq!(
            bad_files_path(Path::new("out/x.npy")),
            Path::new("out/x.bad.csv")
        );
        assert_eq!(
            bad_files_path(Path::new("photos")),
            Path::new("photos.bad.csv")
        );
        assert_eq!(
            bad_files_path(Path::new("s/train-%06d.tar")),
            Path::new("s/train.bad.csv")
        );
    }
}
