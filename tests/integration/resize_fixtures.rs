//! The hand-written INTER_LINEAR against OpenCV's own outputs: every case in
//! tests/fixtures/resize/cases.txt (made by make_resize_fixtures.py with cv2.resize)
//! covers upscaling, downscaling, exact 2x, same size, tiny sizes and random sizes.

use crate::common::{decode, repo};
use pixelprep::internals::resize_linear;

#[test]
fn resize_matches_opencv_on_every_fixture() {
    let dir = repo().join("tests/fixtures/resize");
    let cases = std::fs::read_to_string(dir.join("cases.txt")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, sw, sh, dw, dh] = fields[..] else {
            panic!("bad line in cases.txt: {line:?}");
        };
        let [sw, sh, dw, dh]: [usize; 4] = [sw, sh, dw, dh].map(|v| v.parse().unwrap());
        let read = |file: String| decode(&std::fs::read(dir.join(&file)).unwrap(), &file);
        let input = read(format!("{name}_in.png"));
        let expected = read(format!("{name}_out_{dw}x{dh}.png"));
        assert_eq!((input.width, input.height), (sw, sh), "{name}: input size");
        assert_eq!(
            (expected.width, expected.height),
            (dw, dh),
            "{name}: output size"
        );
        let ours = resize_linear(&input.pixels, sw, sh, dw, dh);
        let differing = ours
            .iter()
            .zip(&expected.pixels)
            .filter(|(a, b)| a != b)
            .count();
        if differing > 0 {
            failures.push(format!(
                "{name} ({sw}x{sh} -> {dw}x{dh}): {differing} pixels differ"
            ));
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} cases found");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn fixtures_cover_the_required_kinds() {
    let cases = std::fs::read_to_string(repo().join("tests/fixtures/resize/cases.txt")).unwrap();
    let sizes: Vec<[usize; 4]> = cases
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<usize> = l
                .split_whitespace()
                .skip(1)
                .map(|v| v.parse().unwrap())
                .collect();
            [f[0], f[1], f[2], f[3]]
        })
        .collect();
    let any = |p: &dyn Fn(&[usize; 4]) -> bool| sizes.iter().any(p);
    assert!(any(&|s| s[2] > s[0] && s[3] > s[1]), "upscaling");
    assert!(any(&|s| s[2] < s[0] && s[3] < s[1]), "downscaling");
    assert!(any(&|s| s[0] == 2 * s[2] && s[1] == 2 * s[3]), "exact 2x");
    assert!(any(&|s| s[0] == s[2] && s[1] == s[3]), "same size");
    assert!(any(&|s| s[0] * s[1] <= 4), "tiny source");
    assert!(any(&|s| s[2] * s[3] == 1), "tiny destination");
}
