//! Image files through Pillow's recipe, against arrays made by Pillow 13.0 itself
//! (`scripts/make_image_fixtures.py`): every format and mode of
//! `tests/fixtures/images/folder`, every filter, gray and RGB, and the PngSuite
//! and BMP Suite files; bad files refused or left out with `--skip-bad`.

use std::path::{Path, PathBuf};

use crate::common::{convert_args, pixelprep, pixelprep_ok, repo, stderr};

pub(crate) fn images() -> PathBuf {
    repo().join("tests/fixtures/images")
}

/// A uint8 C-order `.npy` file: its shape and bytes.
pub(crate) fn read_npy(path: &Path) -> (Vec<usize>, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    assert!(header.contains("'|u1'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let dims = header.split("'shape': (").nth(1).unwrap();
    let dims = &dims[..dims.find(')').unwrap()];
    let shape: Vec<usize> = dims
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().unwrap())
        .collect();
    (shape, bytes[start + header_len..].to_vec())
}

/// The ids of the metadata CSV beside an array, and its other columns.
pub(crate) fn metadata_rows(array: &Path) -> Vec<Vec<String>> {
    let csv = std::fs::read_to_string(array.with_extension("metadata.csv")).unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Converts `input` to an array with `extra` options and compares it, image by
/// image, with the golden array `golden` whose ids are `ids`.
pub(crate) fn assert_equals_golden(input: &Path, extra: &[&str], golden: &Path, ids: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    pixelprep_ok(convert_args(&[input], &out, &[&["-q"], extra].concat()));
    let (shape, ours) = read_npy(&out);
    let (golden_shape, theirs) = read_npy(golden);
    assert_eq!(shape, golden_shape, "{extra:?}");
    let got_ids: Vec<String> = metadata_rows(&out)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(got_ids, ids, "order and ids");
    let per_image: usize = shape[1..].iter().product();
    let differing: Vec<String> = ours
        .chunks(per_image)
        .zip(theirs.chunks(per_image))
        .zip(ids)
        .filter(|((a, b), _)| a != b)
        .map(|((a, b), id)| {
            let n = a.iter().zip(b.iter()).filter(|(x, y)| x != y).count();
            format!("{id}: {n} samples differ")
        })
        .collect();
    assert!(
        differing.is_empty(),
        "{extra:?} vs {}: {differing:#?}",
        golden.display()
    );
}

pub(crate) fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_format_mode_and_filter_equals_pillow_and_opencv() {
    let golden = images().join("golden");
    let ids = lines(&golden.join("ids.txt"));
    assert!(ids.len() >= 50, "the fixture folder has every kind");
    let mut checked = 0;
    for entry in std::fs::read_dir(&golden).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".npy") else {
            continue;
        };
        // <pil|cv>_<MODE>_<W>x<H>_<filter>[_crop | _pad-<fill> | _draft]
        let parts: Vec<&str> = stem.split('_').collect();
        let color = if parts[1] == "L" { "gray" } else { "rgb" };
        let recipe = if parts[0] == "cv" { "opencv" } else { "pil" };
        let mut args = vec![
            "--recipe", recipe, "--size", parts[2], "--filter", parts[3], "--color", color,
        ];
        let fill;
        match parts.get(4) {
            None => {}
            Some(&"crop") => args.extend(["--fit", "crop"]),
            Some(&"draft") => args.push("--draft"),
            Some(pad) => {
                fill = pad.strip_prefix("pad-").unwrap().replace('-', ",");
                args.extend(["--fit", "pad", "--fill", &fill]);
            }
        }
        assert_equals_golden(&images().join("folder"), &args, &path, &ids);
        checked += 1;
    }
    assert_eq!(checked, 17 + 9, "every golden array was compared");
}

#[test]
fn class_folders_give_torchvision_labels() {
    let golden = images().join("golden");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    pixelprep_ok(convert_args(
        &[&images().join("folder")],
        &out,
        &["-q", "--size", "8"],
    ));
    let rows = metadata_rows(&out);
    let expected: Vec<Vec<String>> = lines(&golden.join("ids.txt"))
        .into_iter()
        .zip(lines(&golden.join("labels.txt")))
        .map(|(id, label)| {
            let (class, index) = label.split_once('\t').unwrap();
            vec![id, class.to_string(), index.to_string()]
        })
        .collect();
    assert_eq!(rows, expected);
    let header = std::fs::read_to_string(out.with_extension("metadata.csv")).unwrap();
    assert!(header.starts_with("image_id,label,label_index\n"));
}

#[test]
fn conformance_suites_read_as_pillow_reads_them() {
    let suite = images().join("conformance");
    let ok_ids = lines(&suite.join("ids.txt"));
    let (shape, golden) = read_npy(&suite.join("golden_RGB_16x16_bicubic.npy"));
    assert_eq!(shape, [ok_ids.len(), 16, 16, 3]);
    let dir = tempfile::tempdir().unwrap();
    let mut disagreements = Vec::new();
    let mut png_files = 0;
    for line in lines(&suite.join("expected.tsv")) {
        let mut fields = line.split('\t');
        let (relative, status) = (fields.next().unwrap(), fields.next().unwrap());
        png_files += relative.starts_with("png/") as usize;
        let out = dir
            .path()
            .join(format!("{}.npy", relative.replace('/', "_")));
        let result = pixelprep(convert_args(
            &[&suite.join(relative)],
            &out,
            &["-q", "--size", "16"],
        ));
        let agrees = if status == "ok" {
            let at = ok_ids.iter().position(|i| i == relative).unwrap();
            result.status.success() && read_npy(&out).1 == golden[at * 768..(at + 1) * 768]
        } else {
            // Refused with the file named, never a crash.
            let refused = result.status.code() == Some(1);
            refused && stderr(&result).contains(relative.rsplit('/').next().unwrap())
        };
        if !agrees {
            disagreements.push(relative.to_string());
        }
    }
    assert!(png_files >= 20, "the PngSuite files are there");
    assert_eq!(
        disagreements,
        Vec::<String>::new(),
        "files that differ from Pillow"
    );
}

#[test]
fn bad_files_stop_the_run_naming_the_file_or_are_left_out() {
    let bad = images().join("bad");
    for line in lines(&bad.join("expected.tsv")) {
        let mut fields = line.split('\t');
        let (name, status) = (fields.next().unwrap(), fields.next().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.npy");
        let result = pixelprep(convert_args(
            &[&bad.join(name)],
            &out,
            &["-q", "--size", "8"],
        ));
        if status == "ok" {
            assert!(result.status.success(), "{name}: {}", stderr(&result));
            continue;
        }
        assert_eq!(result.status.code(), Some(1), "{name}: {}", stderr(&result));
        let message = stderr(&result);
        assert!(message.contains(name), "{name}: {message}");
        let kind = match status {
            "DecompressionBombError" => "too large",
            "OSError" => "truncated",
            _ => "",
        };
        assert!(message.contains(kind), "{name} ({status}): {message}");
        assert!(
            !out.exists(),
            "{name}: nothing is left under the final name"
        );
    }

    // --skip-bad: the good images are converted and every bad one is named.
    // (truncated.jpg and truncated.png would share an id: each gets its own.)
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let mut refused = Vec::new();
    for line in lines(&bad.join("expected.tsv")) {
        let mut fields = line.split('\t');
        let (name, status) = (fields.next().unwrap(), fields.next().unwrap());
        let (stem, extension) = name.rsplit_once('.').unwrap();
        let id = format!("{stem}_{extension}");
        std::fs::copy(bad.join(name), folder.join(format!("{id}.{extension}"))).unwrap();
        if status != "ok" {
            refused.push(id);
        }
    }
    refused.sort();
    let out = dir.path().join("x.npy");
    let summary = pixelprep_ok(convert_args(
        &[&folder],
        &out,
        &["-q", "--size", "8", "--json", "--skip-bad"],
    ));
    let json: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(json["images"], 1, "{summary}");
    let named: Vec<&str> = json["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["image_id"].as_str().unwrap())
        .collect();
    assert_eq!(named, refused);
    let csv = std::fs::read_to_string(dir.path().join("x.bad.csv")).unwrap();
    assert_eq!(csv.lines().count(), refused.len() + 1, "{csv}");
    assert!(csv.starts_with("path,image_id,problem,reason\n"));
    assert_eq!(read_npy(&out).0, [1, 8, 8, 3]);
}

#[test]
fn a_huge_header_is_refused_before_any_pixel_buffer() {
    let bomb = images().join("bad/bomb_60000x60000.png");
    let dir = tempfile::tempdir().unwrap();
    let result = pixelprep(convert_args(&[&bomb], &dir.path().join("x.npy"), &["-q"]));
    assert!(
        stderr(&result).contains("60000x60000"),
        "{}",
        stderr(&result)
    );
    // A lower limit refuses ordinary images too, by the same rule.
    let photo = images().join("folder/cat/0001.jpg");
    let result = pixelprep(convert_args(
        &[&photo],
        &dir.path().join("y.npy"),
        &["-q", "--max-pixels", "100"],
    ));
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("too large"), "{}", stderr(&result));
}

#[test]
fn image_files_and_pixel_tables_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let photo = images().join("folder/cat/0001.jpg");
    let result = pixelprep(convert_args(
        &[&crate::common::sample(), &photo],
        &dir.path().join("x.npy"),
        &["-q"],
    ));
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("two runs"), "{}", stderr(&result));
    // The kernel's recipe is for tables; Pillow's for image files.
    let result = pixelprep(convert_args(
        &[&photo],
        &dir.path().join("y.npy"),
        &["-q", "--recipe", "kernel"],
    ));
    assert_eq!(result.status.code(), Some(1));
    let result = pixelprep(convert_args(
        &[&crate::common::sample()],
        &dir.path().join("z.npy"),
        &["-q", "--recipe", "pil"],
    ));
    assert_eq!(result.status.code(), Some(1));
    let result = pixelprep(convert_args(
        &[&crate::common::sample()],
        &dir.path().join("z.npy"),
        &["-q", "--recipe", "opencv"],
    ));
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("recipe opencv"),
        "{}",
        stderr(&result)
    );
}

#[test]
fn each_recipe_takes_its_own_filters() {
    let dir = tempfile::tempdir().unwrap();
    let photo = images().join("folder/cat/0001.jpg");
    let out = dir.path().join("x.npy");
    for (args, says) in [
        (&["--filter", "cubic"][..], "OpenCV's"),
        (
            &["--recipe", "opencv", "--filter", "bicubic"][..],
            "not one of OpenCV's",
        ),
        (&["--recipe", "opencv", "--draft"][..], "draft"),
    ] {
        let mut all = vec!["-q"];
        all.extend(args);
        let result = pixelprep(convert_args(&[&photo], &out, &all));
        assert_eq!(result.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&result).contains(says),
            "{args:?}: {}",
            stderr(&result)
        );
        assert!(!out.exists());
    }
}

#[test]
fn opencv_applies_the_exif_orientation_pillow_ignores() {
    // exif6.jpg is 60x40 with Orientation=6: OpenCV turns it to 40x60, so
    // padded into 60x40 it gets side borders of the fill; Pillow's does not.
    let dir = tempfile::tempdir().unwrap();
    let photo = images().join("folder/cat/exif6.jpg");
    for recipe in ["pil", "opencv"] {
        let out = dir.path().join(format!("{recipe}.npy"));
        let result = pixelprep(convert_args(
            &[&photo],
            &out,
            &[
                "-q", "--recipe", recipe, "--size", "60x40", "--fit", "pad", "--fill", "1,2,3",
            ],
        ));
        assert!(result.status.success(), "{}", stderr(&result));
        let (shape, pixels) = read_npy(&out);
        assert_eq!(shape, [1, 40, 60, 3], "{recipe}");
        let left_column_is_fill = (0..40).all(|y| pixels[y * 180..y * 180 + 3] == [1, 2, 3]);
        assert_eq!(left_column_is_fill, recipe == "opencv", "{recipe}");
    }
}

#[test]
fn every_output_holds_the_same_colour_images() {
    let folder = images().join("folder");
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("x.npy");
    pixelprep_ok(convert_args(&[&folder], &array, &["-q", "--size", "24x16"]));
    let (_, pixels) = read_npy(&array);
    let ids: Vec<String> = metadata_rows(&array)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let image = |i: usize| &pixels[i * 24 * 16 * 3..(i + 1) * 24 * 16 * 3];
    let check = |name: &str, png: &[u8]| {
        let id = name.strip_suffix(".png").unwrap();
        let at = ids
            .iter()
            .position(|i| i == id)
            .unwrap_or_else(|| panic!("{name}"));
        let (w, h, c, decoded) = pixelprep::internals::decode_png_8bit(png).unwrap();
        assert_eq!((w, h, c), (24, 16, 3), "{name}");
        assert_eq!(decoded, image(at), "{name}");
    };
    let zip = dir.path().join("x.zip");
    pixelprep_ok(convert_args(&[&folder], &zip, &["-q", "--size", "24x16"]));
    let entries = crate::common::zip_entries(&zip);
    let pngs: Vec<_> = entries
        .iter()
        .filter(|(n, _)| n.ends_with(".png"))
        .collect();
    assert_eq!(pngs.len(), ids.len());
    for (name, data) in pngs {
        check(name, data);
    }
    let out = dir.path().join("folder-out");
    pixelprep_ok(convert_args(&[&folder], &out, &["-q", "--size", "24x16"]));
    for id in &ids {
        check(
            &format!("{id}.png"),
            &std::fs::read(out.join(format!("{id}.png"))).unwrap(),
        );
    }
    // --force replaces a folder output of nested class folders it wrote itself.
    pixelprep_ok(convert_args(
        &[&folder],
        &out,
        &["-q", "--size", "24x16", "--force"],
    ));
}

#[test]
fn a_list_of_files_keeps_its_order_and_labels_join_on_any_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("photos");
    for (from, to) in [("cat/0001.jpg", "b/x.jpg"), ("coffee/g8.png", "a/y.png")] {
        std::fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
        std::fs::copy(images().join("folder").join(from), root.join(to)).unwrap();
    }
    // The list's order, ids relative to the list's folder; comments skipped.
    std::fs::write(root.join("list.txt"), "# mine\nb/x.jpg\n\na/y.png\n").unwrap();
    let out = dir.path().join("list.npy");
    let files = root.join("list.txt");
    let files = files.to_str().unwrap();
    pixelprep_ok([
        "convert",
        "--files",
        files,
        "-o",
        out.to_str().unwrap(),
        "-q",
        "--size",
        "8",
    ]);
    let rows = metadata_rows(&out);
    assert_eq!(rows[0][..2], ["b/x".to_string(), "b".to_string()]);
    assert_eq!(rows[1][..2], ["a/y".to_string(), "a".to_string()]);
    // --root: the paths (and ids) are relative to another folder than the list's.
    let elsewhere = dir.path().join("lists");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("l.txt"), "a/y.png\n").unwrap();
    let rooted = dir.path().join("rooted.npy");
    let listed = elsewhere.join("l.txt");
    pixelprep_ok([
        "convert",
        "--files",
        listed.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "-o",
        rooted.to_str().unwrap(),
        "-q",
        "--size",
        "8",
    ]);
    assert_eq!(
        metadata_rows(&rooted)[0][..2],
        ["a/y".to_string(), "a".to_string()]
    );
    // A path leaving the list's folder is refused, naming the line.
    std::fs::write(root.join("bad.txt"), "b/x.jpg\n../escape.jpg\n").unwrap();
    let bad = root.join("bad.txt");
    let result = pixelprep([
        "convert",
        "--files",
        bad.to_str().unwrap(),
        "-o",
        "x.npy",
        "-q",
    ]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("line 2"), "{}", stderr(&result));

    // --labels: a column of file names, of relative paths, or of ids.
    for (key, rows) in [
        ("name", ["x.jpg,7", "y.png,9"]),
        ("path", ["b/x.jpg,7", "a/y.png,9"]),
        ("id", ["b/x,7", "a/y,9"]),
    ] {
        let csv = dir.path().join(format!("{key}.csv"));
        std::fs::write(&csv, format!("file,score\n{}\n{}\n", rows[0], rows[1])).unwrap();
        let out = dir.path().join(format!("{key}.npy"));
        pixelprep_ok(convert_args(
            &[&root],
            &out,
            &["-q", "--size", "8", "--labels", csv.to_str().unwrap()],
        ));
        let got = metadata_rows(&out);
        assert_eq!(got[0], ["a/y", "a", "0", "9"], "{key}");
        assert_eq!(got[1], ["b/x", "b", "1", "7"], "{key}");
    }
    // A CSV that names no image is refused, saying what it joins on.
    let csv = dir.path().join("none.csv");
    std::fs::write(&csv, "file,score\nnope.jpg,1\n").unwrap();
    let result = pixelprep(convert_args(
        &[&root],
        &dir.path().join("none.npy"),
        &["-q", "--labels", csv.to_str().unwrap()],
    ));
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("relative paths"),
        "{}",
        stderr(&result)
    );
}

#[test]
fn lmdb_raw_values_are_the_array_s_rows() {
    let folder = images().join("folder");
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("x.npy");
    pixelprep_ok(convert_args(&[&folder], &array, &["-q", "--size", "20x12"]));
    let (_, pixels) = read_npy(&array);
    let ids: Vec<String> = metadata_rows(&array)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let store = dir.path().join("x.lmdb");
    let args = ["-q", "--size", "20x12", "--lmdb-values", "raw"];
    pixelprep_ok(convert_args(&[&folder], &store, &args));
    let entries = crate::outputs::read_lmdb(&store);
    assert_eq!(entries[&b"__shape__".to_vec()], b"12,20,3");
    for (i, id) in ids.iter().enumerate() {
        let value = &entries[&id.as_bytes().to_vec()];
        assert_eq!(value[..], pixels[i * 720..(i + 1) * 720], "{id}");
    }
    // Only an LMDB output takes raw values.
    let result = pixelprep(convert_args(&[&folder], &dir.path().join("y.zip"), &args));
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
}

#[test]
fn a_listed_file_that_cannot_be_read_is_named_and_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        images().join("folder/cat/0001.jpg"),
        dir.path().join("a.jpg"),
    )
    .unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "a.jpg\ngone.jpg\n").unwrap();
    let out = dir.path().join("x.npy");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "convert",
            "--files",
            list.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        a.extend(["-q", "--size", "8"]);
        a.extend(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let result = pixelprep(args(&[]));
    assert_eq!(result.status.code(), Some(1));
    let message = stderr(&result);
    assert!(
        message.contains("gone.jpg") && message.contains("unreadable"),
        "{message}"
    );
    assert!(!out.exists());
    let summary = pixelprep_ok(args(&["--skip-bad", "--json"]));
    let json: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(json["images"], 1);
    assert_eq!(json["bad"][0]["problem"], "unreadable");
}
