//! Fuzzing.

use super::*;

/// What went wrong with one damaged file, if anything.
fn fuzz_one(input: &Path, out: &Path, geometry: &[&str]) -> Option<String> {
    let stderr_path = input.with_extension("stderr");
    let mut args = crate::common::convert_args(&[input], out, geometry);
    args.extend(["--threads", "1", "--progress", "none"].map(OsString::from));
    let mut child = binary()
        .args(args)
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let problem = match status.map(|s| s.code()) {
        None => Some("hung (killed after 20 s)".to_string()),
        Some(None) => Some(format!("killed by a signal: {status:?}")),
        Some(Some(_)) if stderr.contains("panicked") => Some("panicked".into()),
        Some(Some(0)) => {
            let readable = std::panic::catch_unwind(|| zip_entries(out).len());
            readable
                .is_err()
                .then(|| "exit 0 but no readable zip".into())
        }
        Some(Some(1)) => (!stderr.lines().any(|l| l.starts_with("error: ")))
            .then(|| "exit 1 without an `error: ` line".into()),
        Some(Some(code)) => Some(format!("exit code {code}")),
    };
    let _ = std::fs::remove_file(out);
    problem.map(|p| format!("{p}; stderr: {}", stderr.trim()))
}

#[test]
fn damaged_tables_never_panic_hang_or_crash() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = [GEOMETRY.as_slice(), &["--size", "16"]].concat();
    // The producers' fixtures: 20 x 24 images, golden size 16, pad 4.
    let producer = [
        "--height", "20", "--width", "24", "--size", "16", "--pad", "4",
    ];
    let mut originals = Vec::new();
    let dict = dir.path().join("dict.parquet");
    table().rows(6).write(&dict);
    originals.push(("dict", std::fs::read(&dict).unwrap(), &tiny[..]));
    let plain = dir.path().join("plain.parquet");
    table()
        .rows(6)
        .row_group_size(3)
        .dictionary(false)
        .format_v2(true)
        .snappy(false)
        .pixel_type(PixelType::Int64)
        .write(&plain);
    originals.push(("plain", std::fs::read(&plain).unwrap(), &tiny[..]));
    let producers = crate::common::repo().join("tests/fixtures/producers");
    for (name, file) in [
        ("zstd", "pyarrow_zstd.parquet"),
        ("feather", "feather_lz4.feather"),
        ("feather zstd", "feather_zstd.feather"),
        ("stream", "arrow_stream.arrows"),
    ] {
        let bytes = std::fs::read(producers.join(file)).unwrap();
        originals.push((name, bytes, &producer[..]));
    }

    // (name, bytes, geometry) of every damaged variant: a flipped byte every 97
    // (about 400 per file in larger ones), and cuts at 60 offsets over the file.
    let mut cases: Vec<(String, Vec<u8>, &[&str])> = Vec::new();
    for (name, bytes, geometry) in &originals {
        for at in (0..bytes.len()).step_by((bytes.len() / 400).max(97)) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xFF;
            cases.push((format!("{name} flip@{at}"), damaged, geometry));
        }
        for i in 0..60 {
            let at = bytes.len() * i / 60 + i % 7;
            cases.push((format!("{name} cut@{at}"), bytes[..at].to_vec(), geometry));
        }
    }
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (cases, next, failures, dir) = (&cases, &next, &failures, dir.path());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, bytes, geometry)) = cases.get(i) else {
                    break;
                };
                let input = dir.join(format!("case_{worker}.table"));
                std::fs::write(&input, bytes).unwrap();
                let out = dir.join(format!("out_{worker}.zip"));
                if let Some(problem) = fuzz_one(&input, &out, geometry) {
                    failures.lock().unwrap().push(format!("{name}: {problem}"));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "{} damaged files in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} damaged files misbehaved:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_no_partial_inside(dir.path());
}
