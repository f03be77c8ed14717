//! Usage errors.

use super::*;

#[test]
fn usage_errors_exit_2() {
    let cases: [&[&str]; 5] = [
        &["convert", "-o", "x.zip"],
        &["convert", "a.parquet"],
        &["convert", "a.parquet", "-o", "x.zip", "--threads", "0"],
        &["convert", "a.parquet", "-o", "x.zip", "--height", "tall"],
        &["convert", "a.parquet", "-o", "x.zip", "--frobnicate"],
    ];
    let dir = tempfile::tempdir().unwrap();
    for args in cases {
        let run = Run::from_output(
            binary()
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!dir.path().join("x.zip").exists());
    }
}
