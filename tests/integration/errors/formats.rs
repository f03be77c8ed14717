//! The tar, npy and LMDB outputs and `--labels`: ids a format cannot key,
//! existing outputs (shards, the array's CSV), failures mid-run, and labels that
//! do not fit the images. Each stops before anything is written, or removes what
//! it began.

use super::*;

/// Every entry directly in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_tar_refuses_ids_that_webdataset_would_split() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    let ids: Vec<String> = (0..6).map(|i| format!("img_{i}")).collect();
    let mut ids = ids;
    ids[4] = "img.4".into();
    table().rows(6).ids(ids).write(&input);
    let shards = dir.path().join("shards");
    let run = convert(&[&input], &shards.join("s-%03d.tar"), &[]);
    expect_error(
        &run,
        1,
        &["in.parquet", "row 4", "\"img.4\"", "dot", "WebDataset"],
    );
    assert!(!shards.exists() || names_in(&shards).is_empty());
    // A zip takes the same ids.
    let zip = dir.path().join("ok.zip");
    assert_eq!(convert(&[&input], &zip, &[]).code, Some(0));
}

#[test]
fn an_lmdb_store_refuses_ids_it_keeps_for_itself() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    let mut ids: Vec<String> = (0..4).map(|i| format!("img_{i}")).collect();
    ids[2] = "__keys__".into();
    table().rows(4).ids(ids).write(&input);
    let out = dir.path().join("out.lmdb");
    let run = convert(&[&input], &out, &[]);
    expect_error(&run, 1, &["row 2", "__keys__", "LMDB"]);
    assert_no_output(&out);
}

#[test]
fn an_existing_array_csv_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(5).write(&input);
    let npy = dir.path().join("train.npy");
    let csv = dir.path().join("train.metadata.csv");
    std::fs::write(&csv, "mine\n").unwrap();
    let run = convert(&[&input], &npy, &[]);
    expect_error(
        &run,
        1,
        &["train.metadata.csv", "already exists", "--force"],
    );
    assert_no_output(&npy);
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "mine\n");
    // With --force both are written.
    assert_eq!(convert(&[&input], &npy, &["--force"]).code, Some(0));
    assert!(std::fs::read_to_string(&csv)
        .unwrap()
        .starts_with("image_id\nimg_0\n"));
}

#[test]
fn existing_shards_are_refused_then_replaced_whole_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(10).write(&input);
    let shards = dir.path().join("shards");
    let pattern = shards.join("s-%02d.tar");
    let shard = ["--shard-size", "2"];
    assert_eq!(convert(&[&input], &pattern, &shard).code, Some(0));
    assert_eq!(names_in(&shards).len(), 5);
    let run = convert(&[&input], &pattern, &shard);
    expect_error(&run, 1, &["s-00.tar", "already exists", "--force"]);
    // Bigger shards with --force: the three new ones, and no shard of the old run.
    let run = convert(&[&input], &pattern, &["--shard-size", "4", "--force"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(names_in(&shards), ["s-00.tar", "s-01.tar", "s-02.tar"]);
    // A file with a shard's name that is not a tar is never removed.
    std::fs::write(shards.join("s-07.tar"), "notes").unwrap();
    let run = convert(&[&input], &pattern, &["--shard-size", "4", "--force"]);
    expect_error(&run, 1, &["s-07.tar", "not a tar file"]);
    assert_eq!(
        std::fs::read_to_string(shards.join("s-07.tar")).unwrap(),
        "notes"
    );
    std::fs::remove_file(shards.join("s-07.tar")).unwrap();
    // The one empty shard of a run without images is a tar too: --force replaces it.
    let empty = dir.path().join("empty.parquet");
    table().rows(0).write(&empty);
    let run = convert(&[&empty], &pattern, &["--force"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(names_in(&shards), ["s-00.tar"]);
    assert_eq!(
        std::fs::metadata(shards.join("s-00.tar")).unwrap().len(),
        1024
    );
    let run = convert(&[&input], &pattern, &["--shard-size", "4", "--force"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(names_in(&shards), ["s-00.tar", "s-01.tar", "s-02.tar"]);
}

#[test]
fn a_failed_run_leaves_no_shard_array_or_store() {
    for threads in MODES {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.parquet");
        // The panic comes in the third batch of 256 images, after whole shards.
        table().rows(600).write(&input);
        let panic = ["--threads", threads, "--panic-on-image-id", "img_550"];
        let shards = dir.path().join("shards");
        let panicked = |run: &Run| {
            assert_eq!(run.code, Some(1), "{}", run.stderr);
            assert!(
                run.stderr.contains("error: a worker thread panicked"),
                "{}",
                run.stderr
            );
        };
        let run = convert(
            &[&input],
            &shards.join("s-%03d.tar"),
            &[&panic[..], &["--shard-size", "50"]].concat(),
        );
        panicked(&run);
        assert!(!shards.exists() || names_in(&shards).is_empty());
        for out in ["out.npy", "out.lmdb"] {
            let out = dir.path().join(out);
            let run = convert(&[&input], &out, &panic);
            panicked(&run);
            assert_no_output(&out);
        }
        let left: Vec<String> = names_in(dir.path());
        assert!(
            left == ["in.parquet"] || left == ["in.parquet", "shards"],
            "{left:?}"
        );
    }
}

/// A labels CSV for `ids`, with one label column.
fn labels_for(path: &Path, ids: &[&str]) {
    let mut text = String::from("image_id,grapheme_root\n");
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&format!("{id},{i}\n"));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn labels_must_match_the_images_one_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(3).write(&input);
    let csv = dir.path().join("labels.csv");
    let out = dir.path().join("out.zip");
    let labels = ["--labels", csv.to_str().unwrap()];

    labels_for(&csv, &["img_0", "img_2"]);
    let run = convert(&[&input], &out, &labels);
    expect_error(
        &run,
        1,
        &[
            "labels.csv",
            "no row for image_id \"img_1\"",
            "in.parquet, row 1",
        ],
    );
    assert_no_output(&out);

    labels_for(&csv, &["img_0", "img_1", "img_2", "img_9"]);
    let run = convert(&[&input], &out, &labels);
    expect_error(
        &run,
        1,
        &["labels.csv, line 5", "\"img_9\"", "matches no image"],
    );
    assert_no_output(&out);

    labels_for(&csv, &["img_0", "img_1", "img_1", "img_2"]);
    let run = convert(&[&input], &out, &labels);
    expect_error(
        &run,
        1,
        &["labels.csv, line 4", "\"img_1\"", "second row", "line 3"],
    );
    assert_no_output(&out);

    std::fs::write(&csv, "id,root\nimg_0,1\n").unwrap();
    let run = convert(&[&input], &out, &labels);
    expect_error(&run, 1, &["labels.csv, line 1", "no \"image_id\" column"]);

    std::fs::write(&csv, "image_id,root\nimg_0,1,2\n").unwrap();
    let run = convert(&[&input], &out, &labels);
    expect_error(&run, 1, &["labels.csv, line 2", "3 fields", "header has 2"]);
    assert_no_output(&out);

    // A label column may not take the name of the output CSV's key column.
    std::fs::write(&csv, "image_id,file_name\nimg_0,a\nimg_1,b\nimg_2,c\n").unwrap();
    let run = convert(&[&input], &out, &labels);
    expect_error(
        &run,
        1,
        &["labels.csv, line 1", "\"file_name\"", "rename it"],
    );
    assert_no_output(&out);
    let tar = dir.path().join("ok.tar");
    assert_eq!(convert(&[&input], &tar, &labels).code, Some(0));

    // --skip-blank leaves images out, never label rows: the blank's row is needed.
    let blank_input = dir.path().join("blank.parquet");
    table()
        .rows(3)
        .image(1, constant_image(H, W, 255))
        .write(&blank_input);
    labels_for(&csv, &["img_0", "img_1", "img_2"]);
    let npy = dir.path().join("kept.npy");
    let run = convert(
        &[&blank_input],
        &npy,
        &[&labels[..], &["--skip-blank"]].concat(),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let kept = std::fs::read_to_string(dir.path().join("kept.metadata.csv")).unwrap();
    assert_eq!(kept, "image_id,grapheme_root\nimg_0,0\nimg_2,2\n");
}

#[test]
fn shard_options_without_shards_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(2).write(&input);
    let usage_error = |run: &Run, fragment: &str| {
        assert_eq!(run.code, Some(2), "{}", run.stderr);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(fragment),
            "{}",
            run.stderr
        );
    };
    let run = convert(
        &[&input],
        &dir.path().join("one.tar"),
        &["--shard-size", "5"],
    );
    usage_error(&run, "--shard-size needs tar shards");
    let run = convert(&[&input], &dir.path().join("t-%d.zip"), &[]);
    usage_error(&run, "shard pattern");
    let run = convert(&[&input], &dir.path().join("t-%s.tar"), &[]);
    expect_error(&run, 1, &["not a shard pattern", "%0Nd"]);
    assert_eq!(names_in(dir.path()), ["in.parquet"]);
}
