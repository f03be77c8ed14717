//! Photos inside containers (issue 27): the image folder packed by Python's
//! `zipfile` and `tarfile` (`scripts/make_container_fixtures.py`) converts to
//! the folder's pixels, ids, order and labels, read in place; archive order is
//! kept; entries that would escape, damaged archives and bad entries get errors
//! naming the archive and the entry.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::common::{convert_args, pixelprep, pixelprep_ok, stderr};
use crate::images::{assert_equals_golden, images, lines, metadata_rows, read_npy};

fn containers() -> PathBuf {
    images().join("containers")
}

/// The folder's `image_id,label,label_index` rows, from the goldens.
fn folder_rows() -> Vec<Vec<String>> {
    let golden = images().join("golden");
    lines(&golden.join("ids.txt"))
        .into_iter()
        .zip(lines(&golden.join("labels.txt")))
        .map(|(id, label)| {
            let (class, index) = label.split_once('\t').unwrap();
            vec![id, class.to_string(), index.to_string()]
        })
        .collect()
}

#[test]
fn zip_and_tar_read_in_place_equal_the_folder() {
    let golden = images().join("golden");
    let ids = lines(&golden.join("ids.txt"));
    let folder_report = pixelprep_ok(["inspect".as_ref(), images().join("folder").as_os_str()]);
    for name in ["folder.zip", "folder.tar"] {
        let archive = containers().join(name);
        for (npy, args) in [
            (
                "pil_RGB_64x64_bicubic.npy",
                ["--size", "64x64", "--color", "rgb"],
            ),
            (
                "pil_L_32x48_lanczos.npy",
                ["--filter", "lanczos", "--size", "32x48"],
            ),
        ] {
            let mut args = args.to_vec();
            if npy.starts_with("pil_L") {
                args.extend(["--color", "gray"]);
            }
            assert_equals_golden(&archive, &args, &golden.join(npy), &ids);
        }
        // OpenCV's recipe reads archives too.
        let opencv = ["--recipe", "opencv", "--size", "64", "--filter", "area"];
        assert_equals_golden(
            &archive,
            &opencv,
            &golden.join("cv_RGB_64x64_area.npy"),
            &ids,
        );
        // Labels from the class folders, the other files counted, and nothing
        // written outside the output: no unpacking to a temporary folder.
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("tmp");
        std::fs::create_dir(&temp).unwrap();
        let out = dir.path().join("x.npy");
        let args = convert_args(&[&archive], &out, &["-q", "--size", "8", "--json"]);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_pixelprep"))
            .args(args)
            .env("TMPDIR", &temp)
            .output()
            .unwrap();
        assert!(run.status.success(), "{name}: {}", stderr(&run));
        let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(
            (json["images"].as_u64(), json["ignored"].as_u64()),
            (Some(54), Some(4))
        );
        assert_eq!(metadata_rows(&out), folder_rows(), "{name}");
        assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0, "{name}");
        // inspect reports what it reports for the folder.
        let report = pixelprep_ok(["inspect".as_ref(), archive.as_os_str()]);
        let body = |r: &str| r.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(body(&report), body(&folder_report), "{name}");
    }
}

/// A PNG of the fixture folder.
fn png() -> Vec<u8> {
    std::fs::read(images().join("folder/coffee/g8.png")).unwrap()
}

fn tar_of(path: &Path, entries: &[(&str, &[u8])]) {
    let mut tar = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        if name.ends_with('/') {
            header.set_entry_type(tar::EntryType::Directory);
        }
        // Written raw: the builder itself refuses `..`, an archive from elsewhere may not.
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        tar.append(&header, *bytes).unwrap();
    }
    tar.finish().unwrap();
}

fn zip_of(path: &Path, entries: &[(&str, &[u8], bool)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes, deflate) in entries {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn archive_order_is_kept_and_hidden_entries_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let png = png();
    let tar = dir.path().join("shard.tar");
    tar_of(
        &tar,
        &[
            ("b/", b""),
            ("b/1.png", &png),
            ("a/2.png", &png),
            ("a/.x.png", &png),
            ("a/readme.txt", b"hello"),
        ],
    );
    let zip = dir.path().join("shard.zip");
    zip_of(
        &zip,
        &[
            ("b/1.png", &png, true),
            ("a/2.png", &png, false),
            ("__MACOSX/a/._2.png", b"junk", false),
            ("a/readme.txt", b"hello", true),
        ],
    );
    for archive in [tar, zip] {
        let name = archive
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .replace('.', "_");
        let out = dir.path().join(format!("{name}.npy"));
        let json = pixelprep_ok(convert_args(
            &[&archive],
            &out,
            &["-q", "--size", "4", "--json"],
        ));
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(json["ignored"], 1, "{json}");
        let rows = metadata_rows(&out);
        assert_eq!(
            rows,
            [["b/1", "b", "1"], ["a/2", "a", "0"]],
            "{}",
            archive.display()
        );
    }
}

#[test]
fn entries_leaving_the_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let png = png();
    let zip = dir.path().join("evil.zip");
    zip_of(
        &zip,
        &[("ok.png", &png, false), ("../evil.png", &png, false)],
    );
    let tar = dir.path().join("evil.tar");
    tar_of(&tar, &[("ok.png", &png), ("/tmp/evil.png", &png)]);
    for (archive, entry) in [(zip, "../evil.png"), (tar, "/tmp/evil.png")] {
        let out = dir.path().join("x.npy");
        let result = pixelprep(convert_args(&[&archive], &out, &["-q", "--size", "4"]));
        let message = stderr(&result);
        assert_eq!(result.status.code(), Some(1), "{message}");
        assert!(
            message.contains(&format!("{}: {entry}", archive.display())),
            "{message}"
        );
        assert!(message.contains("leaves the folder"), "{message}");
        assert!(!out.exists());
    }
}

#[test]
fn damaged_archives_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let zip = std::fs::read(containers().join("folder.zip")).unwrap();
    let tar = std::fs::read(containers().join("folder.tar")).unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "garbage.zip",
            b"this is not a zip file at all\n",
            "not a readable zip archive",
        ),
        (
            "half.zip",
            &zip[..zip.len() / 2],
            "not a readable zip archive",
        ),
        // Cut in the data of an entry: its header says more than the file holds.
        (
            "half.tar",
            &tar[..tar.len() / 2 + 100],
            "not a readable tar archive",
        ),
        ("garbage.tar", &[0x55; 3000], "not a readable tar archive"),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = dir.path().join("x.npy");
        let result = pixelprep(convert_args(&[&path], &out, &["-q", "--size", "4"]));
        let message = stderr(&result);
        assert_eq!(result.status.code(), Some(1), "{name}: {message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(says), "{name}: {message}");
        assert!(!message.contains("panicked"), "{message}");
        assert!(!out.exists());
    }
}

#[test]
fn a_bad_entry_stops_the_run_naming_it_or_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let png = png();
    let bad = images().join("bad");
    let truncated = std::fs::read(bad.join("truncated.png")).unwrap();
    let bomb = std::fs::read(bad.join("bomb_60000x60000.png")).unwrap();
    let zip = dir.path().join("photos.zip");
    zip_of(
        &zip,
        &[
            ("cat/good.png", &png, true),
            ("cat/cut.png", &truncated, false),
            ("cat/bomb.png", &bomb, true),
            ("cat/crc.png", &png, true),
        ],
    );
    // Damage the deflated data of cat/crc.png: it no longer inflates to its CRC.
    let mut bytes = std::fs::read(&zip).unwrap();
    let name = b"cat/crc.png";
    let header = bytes
        .windows(name.len())
        .position(|w| w == name)
        .expect("the local header")
        - 30;
    let extra = u16::from_le_bytes([bytes[header + 28], bytes[header + 29]]) as usize;
    let data = header + 30 + name.len() + extra;
    for b in &mut bytes[data + 20..data + 40] {
        *b ^= 0x5a;
    }
    std::fs::write(&zip, bytes).unwrap();

    let out = dir.path().join("x.npy");
    let result = pixelprep(convert_args(
        &[&zip],
        &out,
        &["-q", "--size", "4", "--threads", "1"],
    ));
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}: cat/cut.png", zip.display())),
        "{message}"
    );
    assert!(!out.exists());

    let json = pixelprep_ok(convert_args(
        &[&zip],
        &out,
        &["-q", "--size", "4", "--json", "--skip-bad"],
    ));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["images"], 1, "{json}");
    let bad: Vec<(String, String)> = json["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let path = b["path"].as_str().unwrap();
            let entry = path.rsplit_once(": ").unwrap().1.to_string();
            (entry, b["problem"].as_str().unwrap().to_string())
        })
        .collect();
    let problems: Vec<(&str, &str)> = bad.iter().map(|(e, p)| (e.as_str(), p.as_str())).collect();
    assert_eq!(
        problems,
        [
            ("cat/cut.png", "truncated"),
            ("cat/bomb.png", "too large"),
            ("cat/crc.png", "damaged")
        ],
        "{json}"
    );
    let csv = std::fs::read_to_string(dir.path().join("x.bad.csv")).unwrap();
    assert!(
        csv.contains(&format!(
            "{}: cat/bomb.png,cat/bomb,too large",
            zip.display()
        )),
        "{csv}"
    );
}

#[test]
fn a_hugging_face_parquet_table_equals_the_folder() {
    let golden = images().join("golden");
    let ids = lines(&golden.join("ids.txt"));
    let table = containers().join("folder.parquet");
    // `datasets`' image struct with the bytes embedded, in row groups of 16.
    assert_equals_golden(
        &table,
        &["--size", "64x64", "--color", "rgb"],
        &golden.join("pil_RGB_64x64_bicubic.npy"),
        &ids,
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    pixelprep_ok(convert_args(&[&table], &out, &["-q", "--size", "8"]));
    assert_eq!(metadata_rows(&out), folder_rows(), "the label columns");
    // inspect reports what it reports for the folder (a table has no other files).
    let folder = pixelprep_ok(["inspect".as_ref(), images().join("folder").as_os_str()]);
    let report = pixelprep_ok(["inspect".as_ref(), table.as_os_str()]);
    let body = |r: &str| r.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body(&report),
        body(&folder).replace(" (4 other files ignored)", "")
    );

    // What `datasets`' to_parquet writes for images given by path: null bytes,
    // the files read from beside the table; the ids are the paths.
    let with_folder: Vec<String> = ids.iter().map(|id| format!("folder/{id}")).collect();
    assert_equals_golden(
        &images().join("paths.parquet"),
        &["--size", "64x64", "--color", "rgb"],
        &golden.join("pil_RGB_64x64_bicubic.npy"),
        &with_folder,
    );
    // Without the files beside it, the first row is named.
    let alone = dir.path().join("paths.parquet");
    std::fs::copy(images().join("paths.parquet"), &alone).unwrap();
    let result = pixelprep(convert_args(&[&alone], &dir.path().join("y.npy"), &["-q"]));
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}, row 0", alone.display()))
            && message.contains("folder/Rocket/alpha.webp"),
        "{message}"
    );
}

#[test]
fn a_binary_column_table_names_its_bad_rows() {
    let table = containers().join("bad.parquet");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let result = pixelprep(convert_args(&[&table], &out, &["-q", "--size", "4"]));
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}, row 1 (image_id \"cut\")", table.display())),
        "{message}"
    );
    let json = pixelprep_ok(convert_args(
        &[&table],
        &out,
        &["-q", "--size", "4", "--skip-bad", "--json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let bad: Vec<(&str, &str)> = json["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["image_id"].as_str().unwrap(),
                b["problem"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(bad, [("cut", "truncated"), ("none", "not an image")]);
    // The id column gives the ids, the other columns are labels.
    assert_eq!(metadata_rows(&out), [["good", "0.5"]]);
    // --image-column must name a column of image bytes.
    let result = pixelprep(convert_args(
        &[&table],
        &dir.path().join("z.npy"),
        &["-q", "--image-column", "score"],
    ));
    let message = stderr(&result);
    assert!(
        message.contains("column \"score\": is not a column of image bytes"),
        "{message}"
    );
}

#[test]
fn an_absolute_path_outside_the_table_is_refused_naming_the_row() {
    let table = containers().join("absolute.parquet");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let result = pixelprep(convert_args(&[&table], &out, &["-q", "--size", "4"]));
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}, row 0", table.display()))
            && message.contains("\"/nowhere/cat/0001.jpg\" is absolute and outside"),
        "{message}"
    );
    assert!(!out.exists());
}

#[test]
fn hugging_face_feather_tables_equal_the_folder() {
    let golden = images().join("golden");
    let ids = lines(&golden.join("ids.txt"));
    let folder = pixelprep_ok(["inspect".as_ref(), images().join("folder").as_os_str()]);
    let body = |r: &str| r.lines().skip(1).collect::<Vec<_>>().join("\n");
    // The Parquet table's rows as Feather v2, in record batches of 16, plain and zstd.
    for name in ["folder.arrow", "folder.zstd.arrow"] {
        let table = containers().join(name);
        assert_equals_golden(
            &table,
            &["--size", "64x64", "--color", "rgb"],
            &golden.join("pil_RGB_64x64_bicubic.npy"),
            &ids,
        );
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.npy");
        pixelprep_ok(convert_args(&[&table], &out, &["-q", "--size", "8"]));
        assert_eq!(
            metadata_rows(&out),
            folder_rows(),
            "{name}: the label columns"
        );
        let report = pixelprep_ok(["inspect".as_ref(), table.as_os_str()]);
        assert_eq!(
            body(&report),
            body(&folder).replace(" (4 other files ignored)", ""),
            "{name}"
        );
    }
}

#[test]
fn a_binary_column_feather_table_names_its_bad_rows() {
    let table = containers().join("bad.arrow");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let result = pixelprep(convert_args(&[&table], &out, &["-q", "--size", "4"]));
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}, row 1 (image_id \"cut\")", table.display())),
        "{message}"
    );
    assert!(!out.exists());
    let json = pixelprep_ok(convert_args(
        &[&table],
        &out,
        &["-q", "--size", "4", "--skip-bad", "--json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let bad: Vec<(&str, &str)> = json["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["image_id"].as_str().unwrap(),
                b["problem"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(bad, [("cut", "truncated"), ("none", "not an image")]);
    assert_eq!(metadata_rows(&out), [["good", "0.5"]]);
    let result = pixelprep(convert_args(
        &[&table],
        &dir.path().join("z.npy"),
        &["-q", "--image-column", "score"],
    ));
    let message = stderr(&result);
    assert!(
        message.contains("column \"score\": is not a column of image bytes"),
        "{message}"
    );
}

#[test]
fn feather_pixel_tables_are_still_read_as_pixels() {
    let producers = images().parent().unwrap().join("producers");
    let dir = tempfile::tempdir().unwrap();
    for name in ["feather_uncompressed.feather", "feather_zstd.feather"] {
        let table = producers.join(name);
        // The pixel table's layout, not a report of decoded images.
        let report = pixelprep_ok(["inspect".as_ref(), table.as_os_str()]);
        assert!(report.contains("Arrow IPC file"), "{name}: {report}");
        let out = dir.path().join(format!("{name}.npy"));
        let args = ["-q", "--height", "20", "--width", "24", "--size", "8"];
        pixelprep_ok(convert_args(&[&table], &out, &args));
        // Its 64 rows of pixels.
        assert_eq!(read_npy(&out).0, [64, 8, 8], "{name}");
    }
}

#[test]
fn a_feather_table_of_paths_reads_the_files_beside_it() {
    let golden = images().join("golden");
    let ids = lines(&golden.join("ids.txt"));
    // paths.parquet's rows as Feather (lz4): null bytes, the files beside the table.
    let with_folder: Vec<String> = ids.iter().map(|id| format!("folder/{id}")).collect();
    assert_equals_golden(
        &images().join("paths.arrow"),
        &["--size", "64x64", "--color", "rgb"],
        &golden.join("pil_RGB_64x64_bicubic.npy"),
        &with_folder,
    );
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("paths.arrow");
    std::fs::copy(images().join("paths.arrow"), &alone).unwrap();
    let result = pixelprep(convert_args(&[&alone], &dir.path().join("y.npy"), &["-q"]));
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}, row 0", alone.display()))
            && message.contains("folder/Rocket/alpha.webp"),
        "{message}"
    );
}
