//! The synthetic images: glyph-like ink strokes on a light, noisy background,
//! stored raw (light background, dark ink) like the competition's, each a pure
//! function of `(seed, index)`; about 2% are blank in the kernel's sense.

use std::ops::Range;

/// One image, raw pixels as stored (light background, dark ink), row-major.
pub fn synthetic_image(seed: u64, index: usize, height: usize, width: usize) -> Vec<u8> {
    let mut pixels = vec![0; height * width];
    render_image(seed, index, height, width, &mut pixels);
    pixels
}

/// What image a row holds. Kinds are dealt per block of `KIND_BLOCK` consecutive
/// rows, in a shuffled order, so every aligned block holds exactly: one constant white
/// image and one noisy image without ink (both blank in the docs/spec.md section 2 sense: 2%),
/// and ten glyphs crossing an image edge (10%). Small tables get the intended mix too.
const KIND_BLOCK: usize = 100;

pub(crate) const CONSTANT_SLOT: usize = 0;

pub(crate) const NOISY_BLANK_SLOT: usize = 1;

pub(crate) const EDGE_SLOTS: std::ops::Range<usize> = 2..12;

/// Glyph images with faint lines in the side borders (like scan artefacts).
const SIDE_LINES_PER_MILLE: u32 = 40;

/// The border the kernel leaves out of its ink search (docs/spec.md section 2, step 3).
const BORDER: usize = 5;

/// Renders image `index` of the table seeded with `seed` into `out` (`height * width`).
pub(super) fn render_image(seed: u64, index: usize, height: usize, width: usize, out: &mut [u8]) {
    debug_assert_eq!(out.len(), height * width);
    let mut rng = fastrand::Rng::with_seed(splitmix64(seed ^ splitmix64(index as u64)));
    match kind_slot(seed, index) {
        CONSTANT_SLOT => out.fill(255),
        NOISY_BLANK_SLOT => render_noisy_blank(&mut rng, height, width, out),
        slot => render_glyph(&mut rng, height, width, EDGE_SLOTS.contains(&slot), out),
    }
}

/// The row's slot in its block: position `p` goes to `(a * p + b) % KIND_BLOCK`, with
/// `a` coprime to 100 and `b` drawn per (seed, block), a permutation of the block.
fn kind_slot(seed: u64, index: usize) -> usize {
    let (block, position) = (index / KIND_BLOCK, index % KIND_BLOCK);
    let hash = splitmix64(splitmix64(seed ^ 0x6B69_6E64) ^ block as u64);
    // An odd multiplier that is not a multiple of 5 is coprime to 100.
    let mut multiplier = (hash % 50) as usize * 2 + 1;
    if multiplier.is_multiple_of(5) {
        multiplier += 2;
    }
    let offset = (hash >> 32) as usize % KIND_BLOCK;
    (multiplier * position + offset) % KIND_BLOCK
}

/// A well-mixed 64-bit hash, so neighbouring indices give unrelated generators.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `low..high` (f32).
fn uniform(rng: &mut fastrand::Rng, low: f32, high: f32) -> f32 {
    low + rng.f32() * (high - low)
}

/// How the background and ink look in one image.
struct Palette {
    /// Background level at the top-left corner.
    background: i32,
    /// Background change from the first to the last row and column (uneven scans).
    row_gradient: i32,
    column_gradient: i32,
    /// Background noise is uniform in `-noise..=noise`.
    noise: i32,
    /// Darkest ink; each ink pixel adds 0..=7 to it.
    ink: i32,
}

/// No ink at all, a little noise, and one dark pixel in the border: after
/// invert + normalize the maximum comes from the border, so no inner pixel passes
/// the kernel's threshold of 80.
fn render_noisy_blank(rng: &mut fastrand::Rng, height: usize, width: usize, out: &mut [u8]) {
    let palette = Palette {
        background: rng.i32(244..=250),
        row_gradient: 0,
        column_gradient: 0,
        noise: rng.i32(0..=2),
        ink: 0,
    };
    // Inverted, the background is at most 255 - 242 = 13; with a maximum of at least
    // 135 it normalizes to at most 13 * 255 / 135 = 24, far below 80.
    let dark = rng.u8(0..=120);
    paint(rng, height, width, None, &palette, out);
    let (row, column) = border_position(rng, height, width);
    out[row * width + column] = dark;
}

/// A random pixel within `BORDER` of an edge (any pixel if the image is that small).
fn border_position(rng: &mut fastrand::Rng, height: usize, width: usize) -> (usize, usize) {
    let band = |rng: &mut fastrand::Rng, len: usize| {
        let depth = BORDER.min(len);
        let offset = rng.usize(0..depth);
        if rng.bool() {
            offset
        } else {
            len - 1 - offset
        }
    };
    if rng.bool() {
        (band(rng, height), rng.usize(0..width))
    } else {
        (rng.usize(0..height), band(rng, width))
    }
}

/// One glyph of several strokes; with `crosses_edge`, one stroke runs off the image.
fn render_glyph(
    rng: &mut fastrand::Rng,
    height: usize,
    width: usize,
    crosses_edge: bool,
    out: &mut [u8],
) {
    let palette = Palette {
        background: if rng.u32(0..100) < 80 {
            rng.i32(246..=251)
        } else {
            rng.i32(232..=245)
        },
        row_gradient: rng.i32(-4..=4),
        column_gradient: rng.i32(-4..=4),
        noise: rng.i32(1..=4),
        ink: rng.i32(0..=52),
    };
    let mut canvas = Canvas::new(height, width);
    let (h, w) = (height as f32, width as f32);
    // Strokes are 2-9 px thick at the competition's 137 x 236, proportionally less
    // on smaller images.
    let unit = (h.min(w) / 137.0).min(1.0);
    let radius = (uniform(rng, 2.0, 9.0) * unit).max(1.0) / 2.0;
    let max_radius = radius * 1.25;
    // Strokes stay this far from the frame, so only edge glyphs touch it.
    let margin = max_radius + 2.0;
    let room_h = (h - 2.0 * margin).max(1.0);
    let room_w = (w - 2.0 * margin).max(1.0);
    let glyph_h = (h * uniform(rng, 0.4, 0.8)).min(room_h);
    let glyph_w = (glyph_h * uniform(rng, 0.8, 1.7)).min(room_w);
    let frame = GlyphFrame {
        // Anywhere that fits, but more often near the middle, as when writing in a box.
        left: margin + (rng.f32() + rng.f32()) / 2.0 * (room_w - glyph_w),
        top: margin + (rng.f32() + rng.f32()) / 2.0 * (room_h - glyph_h),
        width: glyph_w,
        height: glyph_h,
    };
    let taper = |rng: &mut fastrand::Rng| {
        (
            radius * uniform(rng, 0.75, 1.25),
            radius * uniform(rng, 0.75, 1.25),
        )
    };
    let mut points = Vec::with_capacity(32);

    // The headline (matra) most Bengali graphemes hang from.
    let headline_y = uniform(rng, 0.0, 0.12);
    let has_headline = rng.u32(0..100) < 75;
    let headline = (uniform(rng, 0.0, 0.15), uniform(rng, 0.85, 1.0));
    if has_headline {
        let tilt = uniform(rng, -0.03, 0.03);
        let start = frame.at(headline.0, headline_y);
        let end = frame.at(headline.1, (headline_y + tilt).clamp(0.0, 1.0));
        let (r0, r1) = taper(rng);
        canvas.stroke_segment(start, end, r0, r1);
    }
    // Vertical stems down from the headline.
    for _ in 0..rng.usize(0..=2) {
        let x = uniform(rng, 0.1, 0.9);
        let bottom = (x + uniform(rng, -0.05, 0.05)).clamp(0.0, 1.0);
        let (r0, r1) = taper(rng);
        canvas.stroke_segment(
            frame.at(x, headline_y),
            frame.at(bottom, uniform(rng, 0.6, 1.0)),
            r0,
            r1,
        );
    }
    // Curves, often starting on the headline.
    for _ in 0..rng.usize(1..=3) {
        let start_y = if rng.bool() { headline_y } else { rng.f32() };
        let control = [
            (rng.f32(), start_y),
            (rng.f32(), rng.f32()),
            (rng.f32(), rng.f32()),
        ];
        points.clear();
        quadratic_bezier(control.map(|(x, y)| frame.at(x, y)), &mut points);
        let (r0, r1) = taper(rng);
        canvas.stroke_polyline(&points, r0, r1);
    }
    // Loops and bowls: elliptic arcs.
    if rng.bool() {
        let (rx, ry) = (uniform(rng, 0.1, 0.3), uniform(rng, 0.1, 0.3));
        let center = (uniform(rng, rx, 1.0 - rx), uniform(rng, ry, 1.0 - ry));
        let start = uniform(rng, 0.0, std::f32::consts::TAU);
        let span = uniform(rng, std::f32::consts::PI, std::f32::consts::TAU);
        points.clear();
        for step in 0..=16 {
            let angle = start + span * step as f32 / 16.0;
            points.push(frame.at(center.0 + rx * angle.cos(), center.1 + ry * angle.sin()));
        }
        let (r0, r1) = taper(rng);
        canvas.stroke_polyline(&points, r0, r1);
    }
    if crosses_edge {
        // Full thickness, no taper: the stroke's core must reach the frame pixels.
        let stroke_radius = radius.max(1.0);
        let beyond = stroke_radius + 2.0;
        let start = if has_headline && rng.bool() {
            frame.at(if rng.bool() { headline.0 } else { headline.1 }, headline_y)
        } else {
            frame.at(rng.f32(), rng.f32())
        };
        let drift = uniform(rng, -0.3, 0.3);
        let end = match rng.u32(0..4) {
            0 => (-beyond, start.1 + drift * h),
            1 => (w - 1.0 + beyond, start.1 + drift * h),
            2 => (start.0 + drift * w, -beyond),
            _ => (start.0 + drift * w, h - 1.0 + beyond),
        };
        let middle = (
            (start.0 + end.0) / 2.0 + uniform(rng, -0.1, 0.1) * w,
            (start.1 + end.1) / 2.0 + uniform(rng, -0.1, 0.1) * h,
        );
        points.clear();
        quadratic_bezier([start, middle, end], &mut points);
        canvas.stroke_polyline(&points, stroke_radius, stroke_radius);
    }
    paint(rng, height, width, Some(&canvas), &palette, out);
    if rng.u32(0..1000) < SIDE_LINES_PER_MILLE {
        side_lines(rng, height, width, out);
    }
}

/// The glyph's box in image coordinates; strokes are drawn in unit coordinates
/// inside it, so a glyph without an edge stroke never leaves the box.
struct GlyphFrame {
    left: f32,
    top: f32,
    width: f32,
    height: f32,
}

impl GlyphFrame {
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        (self.left + x * self.width, self.top + y * self.height)
    }
}

/// Appends 13 points along the quadratic Bezier curve (a convex combination of the
/// control points, so it stays inside their hull).
fn quadratic_bezier(control: [(f32, f32); 3], points: &mut Vec<(f32, f32)>) {
    const SEGMENTS: usize = 12;
    let [p0, p1, p2] = control;
    for step in 0..=SEGMENTS {
        let t = step as f32 / SEGMENTS as f32;
        let (a, b, c) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t);
        points.push((
            a * p0.0 + b * p1.0 + c * p2.0,
            a * p0.1 + b * p1.1 + c * p2.1,
        ));
    }
}

/// Ink coverage per pixel, 0 (none) to 255 (full), antialiased over one pixel.
struct Canvas {
    height: usize,
    width: usize,
    coverage: Vec<u8>,
    /// Per row, the columns strokes visited (empty: none), so that painting skips
    /// the untouched rest of the row.
    touched: Vec<Range<usize>>,
}

impl Canvas {
    fn new(height: usize, width: usize) -> Self {
        Canvas {
            height,
            width,
            coverage: vec![0; height * width],
            touched: vec![0..0; height],
        }
    }

    /// A stroke along `points`, its radius going linearly from `start_radius` to `end_radius`.
    fn stroke_polyline(&mut self, points: &[(f32, f32)], start_radius: f32, end_radius: f32) {
        let segments = points.len().saturating_sub(1).max(1) as f32;
        for (i, pair) in points.windows(2).enumerate() {
            let r0 = start_radius + (end_radius - start_radius) * i as f32 / segments;
            let r1 = start_radius + (end_radius - start_radius) * (i + 1) as f32 / segments;
            self.stroke_segment(pair[0], pair[1], r0, r1);
        }
    }

    /// A capsule from `a` to `b` (pixel centres at integer coordinates); coverage is
    /// `radius + 0.5 - distance`, clamped, which gives a one-pixel soft edge.
    fn stroke_segment(&mut self, a: (f32, f32), b: (f32, f32), ra: f32, rb: f32) {
        // Every pixel with any coverage is within this distance of the segment.
        let reach = ra.max(rb) + 1.0;
        let y_first = (a.1.min(b.1) - reach).floor().max(0.0) as usize;
        let y_last = ((a.1.max(b.1) + reach).ceil() as i64).min(self.height as i64 - 1);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length_sq = dx * dx + dy * dy;
        let inverse = if length_sq > 0.0 {
            1.0 / length_sq
        } else {
            0.0
        };
        let last_column = self.width as f32 - 1.0;
        for y in y_first as i64..=y_last {
            // Visiting only the capsule's span on this row, not its bounding box,
            // keeps long diagonal strokes cheap.
            let Some((low, high)) = capsule_row_span(a, b, reach, y as f32) else {
                continue;
            };
            let (x_first, x_last) = (low.floor().max(0.0), high.ceil().min(last_column));
            if x_first > x_last {
                continue;
            }
            let (x_first, x_last) = (x_first as usize, x_last as usize);
            let touched = &mut self.touched[y as usize];
            *touched = if touched.start == touched.end {
                x_first..x_last + 1
            } else {
                touched.start.min(x_first)..touched.end.max(x_last + 1)
            };
            let py = y as f32 - a.1;
            let row = &mut self.coverage[y as usize * self.width..][..self.width];
            for (x, slot) in (x_first..=x_last).zip(&mut row[x_first..=x_last]) {
                let px = x as f32 - a.0;
                let t = ((px * dx + py * dy) * inverse).clamp(0.0, 1.0);
                let (ex, ey) = (px - t * dx, py - t * dy);
                let distance = (ex * ex + ey * ey).sqrt();
                let radius = ra + t * (rb - ra);
                let cover = (radius + 0.5 - distance).clamp(0.0, 1.0);
                let value = (cover * 255.0 + 0.5) as u8;
                *slot = (*slot).max(value);
            }
        }
    }
}

/// Where row `y` crosses the capsule of radius `reach` around the segment `a`-`b`:
/// the union of the two end discs and the rectangle between them (a convex shape,
/// so one interval). `None` if the row misses it.
fn capsule_row_span(a: (f32, f32), b: (f32, f32), reach: f32, y: f32) -> Option<(f32, f32)> {
    let (mut low, mut high) = (f32::INFINITY, f32::NEG_INFINITY);
    for (cx, cy) in [a, b] {
        let half_chord_sq = reach * reach - (y - cy) * (y - cy);
        if half_chord_sq >= 0.0 {
            let half_chord = half_chord_sq.sqrt();
            low = low.min(cx - half_chord);
            high = high.max(cx + half_chord);
        }
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length = (dx * dx + dy * dy).sqrt();
    if length > 0.0 {
        let (nx, ny) = (-dy / length * reach, dx / length * reach);
        let corners = [
            (a.0 + nx, a.1 + ny),
            (b.0 + nx, b.1 + ny),
            (b.0 - nx, b.1 - ny),
            (a.0 - nx, a.1 - ny),
        ];
        for i in 0..4 {
            let (p, q) = (corners[i], corners[(i + 1) % 4]);
            let crosses = (p.1 <= y && y <= q.1) || (q.1 <= y && y <= p.1);
            if crosses && p.1 != q.1 {
                let x = p.0 + (y - p.1) * (q.0 - p.0) / (q.1 - p.1);
                low = low.min(x);
                high = high.max(x);
            }
        }
    }
    (low <= high).then_some((low, high))
}

/// Background (level, gradients, noise), blended with the ink's coverage if any.
fn paint(
    rng: &mut fastrand::Rng,
    height: usize,
    width: usize,
    ink: Option<&Canvas>,
    palette: &Palette,
    out: &mut [u8],
) {
    let column_offsets: Vec<i32> = (0..width)
        .map(|x| palette.column_gradient * x as i32 / (width as i32 - 1).max(1))
        .collect();
    let noise_span = 2 * palette.noise + 1;
    for (y, row) in out.chunks_exact_mut(width).enumerate() {
        let row_level =
            palette.background + palette.row_gradient * y as i32 / (height as i32 - 1).max(1);
        // Eight noise bytes per random draw: the noise is most of the per-pixel cost.
        for (pixels, offsets) in row.chunks_mut(8).zip(column_offsets.chunks(8)) {
            let mut bits = rng.u64(..);
            for (pixel, &offset) in pixels.iter_mut().zip(offsets) {
                let noise = (((bits & 0xFF) as i32 * noise_span) >> 8) - palette.noise;
                bits >>= 8;
                *pixel = (row_level + offset + noise).clamp(0, 255) as u8;
            }
        }
        let Some(canvas) = ink else {
            continue;
        };
        let touched = canvas.touched[y].clone();
        let row_coverage = &canvas.coverage[y * width..][touched.clone()];
        for (pixel, &cover) in row[touched].iter_mut().zip(row_coverage) {
            if cover > 0 {
                let (background, cover) = (i32::from(*pixel), i32::from(cover));
                // The background's low bits are already random: a cheap ink jitter.
                let ink = palette.ink + (background & 7);
                *pixel = ((background * (255 - cover) + ink * cover + 127) / 255) as u8;
            }
        }
    }
}

/// A faint 1-px vertical line inside the left border, the right one, or both, like
/// the scan artefacts the kernel's 5-px border exists for. One line per side, so
/// lines never darken each other.
fn side_lines(rng: &mut fastrand::Rng, height: usize, width: usize, out: &mut [u8]) {
    let (left, right) = match rng.u32(0..3) {
        0 => (true, false),
        1 => (false, true),
        _ => (true, true),
    };
    for (enabled, from_left) in [(left, true), (right, false)] {
        let offset = rng.usize(0..BORDER.min(width));
        if !enabled || (!from_left && width <= BORDER) {
            continue;
        }
        let column = if from_left {
            offset
        } else {
            width - 1 - offset
        };
        let first = rng.usize(0..=height / 3);
        let last = height - rng.usize(0..=height / 3);
        let darken = rng.u8(25..=80);
        for row in first..last {
            let pixel = &mut out[row * width + column];
            *pixel = pixel.saturating_sub(darken);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{render_row_group, SynthOptions};

    const H: usize = 137;

    const W: usize = 236;

    /// Blank in the docs/spec.md section 2 sense: after invert + normalize by the maximum, no
    /// pixel of the inner region `[5..h-5, 5..w-5]` is above 80.
    fn is_blank(raw: &[u8], height: usize, width: usize) -> bool {
        let max = 255 - raw.iter().copied().min().unwrap_or(255);
        if max == 0 {
            return true;
        }
        let scale = 255.0f64 / f64::from(max);
        (BORDER..height - BORDER).all(|y| {
            raw[y * width + BORDER..(y + 1) * width - BORDER]
                .iter()
                .all(|&p| (f64::from(255 - p) * scale) as u8 <= 80)
        })
    }

    /// Ink (raw value below 128) on the outermost rows or columns.
    fn touches_edge(raw: &[u8], height: usize, width: usize) -> bool {
        let dark = |y: usize, x: usize| raw[y * width + x] < 128;
        (0..width).any(|x| dark(0, x) || dark(height - 1, x))
            || (0..height).any(|y| dark(y, 0) || dark(y, width - 1))
    }

    #[test]
    fn images_are_deterministic_per_seed_and_index() {
        let image = synthetic_image(7, 3, H, W);
        assert_eq!(image.len(), H * W);
        assert_eq!(image, synthetic_image(7, 3, H, W));
        assert_ne!(image, synthetic_image(7, 4, H, W));
        assert_ne!(image, synthetic_image(8, 3, H, W));
        // Rendering a whole row group in parallel gives the same images.
        let options = SynthOptions {
            rows: 40,
            seed: 7,
            first_id: 0,
            row_group_size: 40,
            height: H,
            width: W,
        };
        let mut images = Vec::new();
        render_row_group(&options, 10, 5, &mut images);
        assert_eq!(
            &images[3 * H * W..4 * H * W],
            synthetic_image(7, 13, H, W).as_slice()
        );
    }

    #[test]
    fn blank_and_edge_fractions_are_as_intended() {
        let (mut blank, mut constant, mut edge, mut light, mut dark_ink) = (0, 0, 0, 0, 0);
        for index in 0..500 {
            let image = synthetic_image(1, index, H, W);
            let is_constant = image.iter().all(|&p| p == image[0]);
            constant += usize::from(is_constant);
            if is_blank(&image, H, W) {
                blank += 1;
                continue;
            }
            edge += usize::from(touches_edge(&image, H, W));
            let mut sorted = image.clone();
            sorted.sort_unstable();
            light += usize::from(sorted[sorted.len() / 2] >= 225);
            dark_ink += usize::from(sorted[0] <= 60);
        }
        // Exactly 2% blank (half of them constant) and 10% crossing an edge: the kinds
        // are dealt per block of 100 rows, and only those kinds are blank or touch
        // the frame.
        assert_eq!((blank, constant, edge), (10, 5, 50));
        let inked = 500 - blank;
        assert_eq!(light, inked, "every glyph image has a light background");
        assert_eq!(dark_ink, inked, "every glyph image has dark ink");
    }

    #[test]
    fn kinds_are_a_permutation_of_each_block() {
        for seed in [0, 1, 99] {
            for block in [0, 1, 2_008] {
                let mut slots: Vec<usize> = (0..KIND_BLOCK)
                    .map(|position| kind_slot(seed, block * KIND_BLOCK + position))
                    .collect();
                slots.sort_unstable();
                assert_eq!(slots, (0..KIND_BLOCK).collect::<Vec<_>>());
            }
        }
        // The order differs between blocks.
        assert_ne!(
            (0..KIND_BLOCK).map(|p| kind_slot(1, p)).collect::<Vec<_>>(),
            (0..KIND_BLOCK)
                .map(|p| kind_slot(1, KIND_BLOCK + p))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn row_spans_cover_every_inked_pixel() {
        // Brute force over the whole image with the same coverage formula.
        let (height, width) = (40, 50);
        let mut rng = fastrand::Rng::with_seed(9);
        for _ in 0..300 {
            let mut point = || {
                (
                    uniform(&mut rng, -10.0, 60.0),
                    uniform(&mut rng, -10.0, 50.0),
                )
            };
            let (a, b) = (point(), point());
            let b = if rng.u32(0..10) == 0 { a } else { b };
            let (ra, rb) = (uniform(&mut rng, 0.5, 6.0), uniform(&mut rng, 0.5, 6.0));
            let mut canvas = Canvas::new(height, width);
            canvas.stroke_segment(a, b, ra, rb);
            for y in 0..height {
                for x in 0..width {
                    let (px, py) = (x as f32 - a.0, y as f32 - a.1);
                    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                    let length_sq = dx * dx + dy * dy;
                    let t = if length_sq > 0.0 {
                        ((px * dx + py * dy) / length_sq).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    let distance = ((px - t * dx).powi(2) + (py - t * dy).powi(2)).sqrt();
                    let cover = (ra + t * (rb - ra) + 0.5 - distance).clamp(0.0, 1.0);
                    let expected = (cover * 255.0 + 0.5) as u8;
                    // Division vs multiplication by the inverse may differ by one.
                    let got = canvas.coverage[y * width + x];
                    assert!(
                        got.abs_diff(expected) <= 1,
                        "({x}, {y}): {got} vs {expected} for {a:?}-{b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn tiny_and_degenerate_shapes_do_not_panic() {
        for (height, width) in [(1, 1), (1, 7), (7, 1), (3, 3), (11, 11), (20, 30)] {
            for index in 0..200 {
                assert_eq!(
                    synthetic_image(3, index, height, width).len(),
                    height * width
                );
            }
        }
    }
}
