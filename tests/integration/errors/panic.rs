//! Worker panic.

use super::*;

#[test]
fn worker_panic_exits_1_and_leaves_no_zip() {
    for threads in MODES {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.parquet");
        table().rows(20).write(&input);
        let out = dir.path().join("out.zip");
        let output = binary()
            .args(convert_args(
                &[&input],
                &out,
                &["--threads", threads, "--panic-on-image-id", "img_7"],
            ))
            .output()
            .unwrap();
        let run = Run::from_output(output);
        assert_eq!(run.code, Some(1), "exit code; stderr: {}", run.stderr);
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one error line: {}", run.stderr);
        assert!(errors[0].contains("panicked"), "{}", errors[0]);
        assert_no_output(&out);
    }
}
