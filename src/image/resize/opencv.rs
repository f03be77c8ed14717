//! `cv2.resize` on 8-bit images with 1 to 4 interleaved channels, bit for bit as
//! OpenCV 5.0 computes it with IPP off (`modules/imgproc/src/resize.cpp`, built
//! with the SSE3 baseline: 128-bit universal intrinsics). Each function below
//! names the OpenCV code it reproduces; the arithmetic (f64 positions rounded to
//! f32, 11-bit coefficients rounded half to even, the 8-bit vertical passes, the
//! f32 area sums) is kept in OpenCV's order because any change moves pixels by one.

/// OpenCV's interpolations for `cv2.resize` on 8-bit images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvInterp {
    /// `INTER_NEAREST`: `resizeNN`, source index `floor(d * scale)`.
    Nearest,
    /// `INTER_LINEAR`: 11-bit fixed-point bilinear (an exact 2x shrink is `Area`).
    Linear,
    /// `INTER_CUBIC`: 11-bit fixed-point bicubic, A = -0.75.
    Cubic,
    /// `INTER_AREA`: box averaging when shrinking, a bilinear variant otherwise.
    Area,
}

/// `INTER_RESIZE_COEF_SCALE`: coefficients are 11-bit fixed point.
const COEF_SCALE: f32 = 2048.0;
/// Lanes of `v_int16` at the SSE3 baseline: the width of the vectorised part of
/// `VResizeCubicVec_32s8u`, which rounds differently from the scalar tail.
const CUBIC_SIMD_LANES: usize = 8;

/// `cv2.resize(src, (dw, dh), interpolation)` on an 8-bit image of `channels` interleaved samples, OpenCV's own code with IPP off.
pub fn resize_opencv(
    src: &[u8],
    sw: usize,
    sh: usize,
    channels: usize,
    dw: usize,
    dh: usize,
    interp: CvInterp,
) -> Vec<u8> {
    assert!(sw > 0 && sh > 0 && dw > 0 && dh > 0, "empty image");
    assert!((1..=4).contains(&channels), "1 to 4 channels");
    assert_eq!(src.len(), sw * sh * channels, "source length");
    let img = Image {
        src,
        sw,
        sh,
        cn: channels,
    };
    // `cv::resize`: same size is a copy.
    if sw == dw && sh == dh {
        return src.to_vec();
    }
    // `cv::resize` then `hal::resize`: inverse scales, then scales, in f64.
    let inv_x = dw as f64 / sw as f64;
    let inv_y = dh as f64 / sh as f64;
    let scale_x = 1.0 / inv_x;
    let scale_y = 1.0 / inv_y;
    if interp == CvInterp::Nearest {
        return nearest(&img, dw, dh, scale_x, scale_y);
    }
    // `saturate_cast<int>(double)` rounds half to even.
    let iscale_x = scale_x.round_ties_even();
    let iscale_y = scale_y.round_ties_even();
    let is_area_fast =
        (scale_x - iscale_x).abs() < f64::EPSILON && (scale_y - iscale_y).abs() < f64::EPSILON;
    let mut interp = interp;
    // An exact 2x linear shrink is handed to the area code.
    if interp == CvInterp::Linear && is_area_fast && iscale_x == 2.0 && iscale_y == 2.0 {
        interp = CvInterp::Area;
    }
    // True area averaging only when neither axis grows; otherwise a bilinear
    // variant with `area_mode` coefficients (in `resizeGeneric_` below).
    if interp == CvInterp::Area && scale_x >= 1.0 && scale_y >= 1.0 {
        return if is_area_fast {
            area_fast(&img, dw, dh, iscale_x as usize, iscale_y as usize)
        } else {
            area(&img, dw, dh, scale_x, scale_y)
        };
    }
    let x = AxisTaps::new(sw, dw, scale_x, inv_x, interp, true);
    let y = AxisTaps::new(sh, dh, scale_y, inv_y, interp, false);
    generic(&img, dw, dh, &x, &y, interp == CvInterp::Cubic)
}

struct Image<'a> {
    src: &'a [u8],
    sw: usize,
    sh: usize,
    cn: usize,
}

impl Image<'_> {
    fn row(&self, y: usize) -> &[u8] {
        let len = self.sw * self.cn;
        &self.src[y * len..(y + 1) * len]
    }
}

/// `cvFloor` of a double.
fn floor_f64(v: f64) -> i64 {
    v.floor() as i64
}

/// `saturate_cast<uchar>(float)` (and `v_round` + saturating packs): round half
/// to even, then saturate. Adding 1.5 * 2^23 rounds half to even and leaves the
/// integer in the low mantissa bits, exactly for |v| < 2^22 (all values here
/// are far smaller); unlike `round_ties_even` (a libm call on x86-64 without
/// SSE4.1) this vectorises.
fn round_u8(v: f32) -> u8 {
    const MAGIC: f32 = 12_582_912.0;
    let r = (v + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32;
    r.clamp(0, 255) as u8
}

/// `saturate_cast<short>(float)` of a coefficient times `INTER_RESIZE_COEF_SCALE`.
fn coefficient(c: f32) -> i32 {
    (c * COEF_SCALE)
        .round_ties_even()
        .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i32
}

/// `interpolateCubic` (A = -0.75), in f32 and in OpenCV's operation order.
fn cubic_coeffs(x: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let c0 = ((A * (x + 1.0) - 5.0 * A) * (x + 1.0) + 8.0 * A) * (x + 1.0) - 4.0 * A;
    let c1 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let c2 = ((A + 2.0) * (1.0 - x) - (A + 3.0)) * (1.0 - x) * (1.0 - x) + 1.0;
    [c0, c1, c2, 1.0 - c0 - c1 - c2]
}

/// `resizeNN`: `floor(d * (1 / inv_scale))`, clamped to the last index.
fn nearest(img: &Image, dw: usize, dh: usize, scale_x: f64, scale_y: f64) -> Vec<u8> {
    let cn = img.cn;
    let xofs: Vec<usize> = (0..dw)
        .map(|x| (floor_f64(x as f64 * scale_x) as usize).min(img.sw - 1) * cn)
        .collect();
    let mut out = vec![0u8; dw * dh * cn];
    for (y, drow) in out.chunks_exact_mut(dw * cn).enumerate() {
        let sy = (floor_f64(y as f64 * scale_y) as usize).min(img.sh - 1);
        let srow = img.row(sy);
        match cn {
            1 => nearest_row::<1>(srow, &xofs, drow),
            2 => nearest_row::<2>(srow, &xofs, drow),
            3 => nearest_row::<3>(srow, &xofs, drow),
            _ => nearest_row::<4>(srow, &xofs, drow),
        }
    }
    out
}

fn nearest_row<const CN: usize>(srow: &[u8], xofs: &[usize], drow: &mut [u8]) {
    for (d, &sx) in drow.chunks_exact_mut(CN).zip(xofs) {
        d.copy_from_slice(&srow[sx..sx + CN]);
    }
}

/// `resizeAreaFast_` with `ResizeAreaFastVec`: integer factors. 2x2 (1, 3, 4
/// channels) is `(a + b + c + d + 2) >> 2`; other factors (and 2 channels)
/// round the integer sum times `1.f / area` half to even.
fn area_fast(img: &Image, dw: usize, dh: usize, kx: usize, ky: usize) -> Vec<u8> {
    match img.cn {
        1 => area_fast_cn::<1>(img, dw, dh, kx, ky),
        2 => area_fast_cn::<2>(img, dw, dh, kx, ky),
        3 => area_fast_cn::<3>(img, dw, dh, kx, ky),
        _ => area_fast_cn::<4>(img, dw, dh, kx, ky),
    }
}

fn area_fast_cn<const CN: usize>(
    img: &Image,
    dw: usize,
    dh: usize,
    kx: usize,
    ky: usize,
) -> Vec<u8> {
    let width = dw * CN;
    let scale = 1.0 / (kx * ky) as f32;
    let shift_path = kx == 2 && ky == 2 && CN != 2;
    let mut out = vec![0u8; width * dh];
    // Integer sums are exact, so summing the rows first changes nothing.
    let mut cols = vec![0u32; img.sw * CN];
    for (dy, drow) in out.chunks_exact_mut(width).enumerate() {
        cols.fill(0);
        for sy in dy * ky..(dy + 1) * ky {
            for (c, &s) in cols.iter_mut().zip(img.row(sy)) {
                *c += u32::from(s);
            }
        }
        let blocks = drow.chunks_exact_mut(CN).zip(cols.chunks_exact(kx * CN));
        if shift_path {
            for (d, block) in blocks {
                for c in 0..CN {
                    d[c] = ((block[c] + block[c + CN] + 2) >> 2) as u8;
                }
            }
        } else {
            for (d, block) in blocks {
                for c in 0..CN {
                    let sum: u32 = (0..kx).map(|i| block[i * CN + c]).sum();
                    // `int * float`: the sum is rounded to f32 first (above 2^24).
                    d[c] = round_u8(sum as f32 * scale);
                }
            }
        }
    }
    out
}

/// One entry of `computeResizeAreaTab` (`DecimateAlpha`).
#[derive(Debug, Clone, Copy)]
struct AreaTap {
    si: usize,
    di: usize,
    alpha: f32,
}

/// `computeResizeAreaTab`: the source cells covering each destination cell, in
/// f64 with OpenCV's 1e-3 thresholds, weights rounded to f32.
fn area_taps(ssize: usize, dsize: usize, cn: usize, scale: f64) -> Vec<AreaTap> {
    let mut tab = Vec::with_capacity(ssize * 2);
    for dx in 0..dsize {
        let fsx1 = dx as f64 * scale;
        let fsx2 = fsx1 + scale;
        let cell_width = scale.min(ssize as f64 - fsx1);
        let sx2 = floor_f64(fsx2).min(ssize as i64 - 1);
        let sx1 = (fsx1.ceil() as i64).min(sx2);
        let di = dx * cn;
        if sx1 as f64 - fsx1 > 1e-3 {
            let alpha = ((sx1 as f64 - fsx1) / cell_width) as f32;
            tab.push(AreaTap {
                si: (sx1 - 1) as usize * cn,
                di,
                alpha,
            });
        }
        for sx in sx1..sx2 {
            let alpha = (1.0 / cell_width) as f32;
            tab.push(AreaTap {
                si: sx as usize * cn,
                di,
                alpha,
            });
        }
        if fsx2 - sx2 as f64 > 1e-3 {
            let alpha = ((fsx2 - sx2 as f64).min(1.0).min(cell_width) / cell_width) as f32;
            tab.push(AreaTap {
                si: sx2 as usize * cn,
                di,
                alpha,
            });
        }
    }
    tab
}

/// `resizeArea_<uchar, float>` (`ResizeArea_Invoker`): per source row, f32 sums
/// `buf[di] += S[si] * alpha` in table order; rows combined as `sum = beta * buf`
/// then `sum += beta * buf`; rounded half to even.
fn area(img: &Image, dw: usize, dh: usize, scale_x: f64, scale_y: f64) -> Vec<u8> {
    area_with(img, dw, dh, scale_x, scale_y, true)
}

/// [`area`], with or without the eight-row AVX2 sums (the tests compare them).
fn area_with(img: &Image, dw: usize, dh: usize, scale_x: f64, scale_y: f64, simd: bool) -> Vec<u8> {
    let cn = img.cn;
    let width = dw * cn;
    let xtab = area_taps(img.sw, dw, cn, scale_x);
    let ytab = area_taps(img.sh, dh, 1, scale_y);
    let mut out = vec![0u8; width * dh];
    let mut rows = AreaRows::new(img, &xtab, width, simd);
    let mut sum = vec![0f32; width];
    let mut prev_dy = ytab[0].di;
    for yt in &ytab {
        let buf = rows.row(yt.si);
        let beta = yt.alpha;
        if yt.di != prev_dy {
            store_area_row(&sum, &mut out[prev_dy * width..(prev_dy + 1) * width]);
            for (s, &b) in sum.iter_mut().zip(buf) {
                *s = beta * b;
            }
            prev_dy = yt.di;
        } else {
            for (s, &b) in sum.iter_mut().zip(buf) {
                *s += beta * b;
            }
        }
    }
    store_area_row(&sum, &mut out[prev_dy * width..(prev_dy + 1) * width]);
    out
}

#[cfg(target_arch = "x86_64")]
#[path = "opencv_simd.rs"]
mod simd;

/// The horizontal sums (`buf`) of source rows, asked for in non-decreasing
/// order, as `area` does (a row shared by two destination rows is asked for
/// twice and summed once): eight rows at a time with AVX2, else one.
struct AreaRows<'a> {
    img: &'a Image<'a>,
    xtab: &'a [AreaTap],
    width: usize,
    /// The rows held: `first..first + count`.
    first: usize,
    count: usize,
    bufs: Vec<f32>,
    #[cfg(target_arch = "x86_64")]
    wide: Option<simd::Scratch>,
}

impl<'a> AreaRows<'a> {
    fn new(img: &'a Image<'a>, xtab: &'a [AreaTap], width: usize, simd: bool) -> Self {
        #[cfg(target_arch = "x86_64")]
        let wide =
            (simd && std::arch::is_x86_feature_detected!("avx2")).then(simd::Scratch::default);
        #[cfg(not(target_arch = "x86_64"))]
        let _ = simd;
        #[cfg(target_arch = "x86_64")]
        let held = if wide.is_some() { simd::ROWS } else { 1 };
        #[cfg(not(target_arch = "x86_64"))]
        let held = 1;
        AreaRows {
            img,
            xtab,
            width,
            first: 0,
            count: 0,
            bufs: vec![0.0; width * held],
            #[cfg(target_arch = "x86_64")]
            wide,
        }
    }

    fn row(&mut self, y: usize) -> &[f32] {
        if !(self.first..self.first + self.count).contains(&y) {
            self.sum_from(y);
        }
        let r = y - self.first;
        &self.bufs[r * self.width..(r + 1) * self.width]
    }

    fn sum_from(&mut self, y: usize) {
        let (img, xtab, width) = (self.img, self.xtab, self.width);
        self.first = y;
        #[cfg(target_arch = "x86_64")]
        if let Some(scratch) = &mut self.wide {
            let out = &mut self.bufs[..];
            // SAFETY: `wide` is set only where the CPU has AVX2.
            unsafe {
                match img.cn {
                    1 => simd::area_rows::<1>(img, y, xtab, width, scratch, out),
                    2 => simd::area_rows::<2>(img, y, xtab, width, scratch, out),
                    3 => simd::area_rows::<3>(img, y, xtab, width, scratch, out),
                    _ => simd::area_rows::<4>(img, y, xtab, width, scratch, out),
                }
            }
            self.count = simd::ROWS;
            return;
        }
        let (srow, buf) = (img.row(y), &mut self.bufs[..width]);
        match img.cn {
            1 => area_row::<1>(srow, xtab, buf),
            2 => area_row::<2>(srow, xtab, buf),
            3 => area_row::<3>(srow, xtab, buf),
            _ => area_row::<4>(srow, xtab, buf),
        }
        self.count = 1;
    }
}

/// The horizontal sums of `ResizeArea_Invoker`, in table order.
fn area_row<const CN: usize>(srow: &[u8], xtab: &[AreaTap], buf: &mut [f32]) {
    // Entries of one destination cell are consecutive: accumulate in registers
    // (the same f32 operations, starting from 0 as `buf` does).
    buf.fill(0.0);
    let mut cur = 0;
    let mut acc = [0f32; CN];
    for t in xtab {
        if t.di != cur {
            buf[cur..cur + CN].copy_from_slice(&acc);
            acc = [0.0; CN];
            cur = t.di;
        }
        let s: &[u8; CN] = srow[t.si..t.si + CN].try_into().unwrap();
        for c in 0..CN {
            acc[c] += f32::from(s[c]) * t.alpha;
        }
    }
    buf[cur..cur + CN].copy_from_slice(&acc);
}

/// `inter_area::saturate_store`.
fn store_area_row(sum: &[f32], out: &mut [u8]) {
    for (d, &s) in out.iter_mut().zip(sum) {
        *d = round_u8(s);
    }
}

/// Source indices and fixed-point coefficients of one axis, from the table
/// loops of `hal::resize` (before `resizeGeneric_`).
struct AxisTaps {
    /// First source index per destination index (`xofs` / `yofs` in pixels);
    /// for cubic the taps are `ofs - 1 ..= ofs + 2`.
    ofs: Vec<i64>,
    /// `ksize` coefficients per destination index.
    coef: Vec<i32>,
    /// Linear columns from here on read one pixel: `xmax` of `hal::resize`.
    xmax: usize,
}

impl AxisTaps {
    fn new(
        ssize: usize,
        dsize: usize,
        scale: f64,
        inv: f64,
        interp: CvInterp,
        columns: bool,
    ) -> Self {
        let cubic = interp == CvInterp::Cubic;
        let area_mode = interp == CvInterp::Area;
        let ksize2: i64 = if cubic { 2 } else { 1 };
        let s_len = ssize as i64;
        let mut ofs = Vec::with_capacity(dsize);
        let mut coef = Vec::with_capacity(dsize * 2 * ksize2 as usize);
        let mut xmax = dsize;
        for d in 0..dsize {
            let (mut s, mut f);
            if area_mode {
                s = floor_f64(d as f64 * scale);
                f = ((d + 1) as f64 - (s + 1) as f64 * inv) as f32;
                f = if f <= 0.0 { 0.0 } else { f - f.floor() };
            } else {
                f = ((d as f64 + 0.5) * scale - 0.5) as f32;
                let fl = f.floor();
                s = fl as i64;
                f -= fl;
            }
            // Only the column loop clamps; rows keep `sy` and `fy` (only their
            // reads are clamped, in `resizeGeneric_Invoker`), which matters
            // because the two products are truncated separately.
            if s < 0 && !cubic && columns {
                s = 0;
                f = 0.0;
            }
            if s + ksize2 >= s_len {
                xmax = xmax.min(d);
                if s >= s_len - 1 && !cubic && columns {
                    s = s_len - 1;
                    f = 0.0;
                }
            }
            ofs.push(s);
            if cubic {
                coef.extend(cubic_coeffs(f).map(coefficient));
            } else {
                coef.extend([coefficient(1.0 - f), coefficient(f)]);
            }
        }
        AxisTaps { ofs, coef, xmax }
    }
}

/// `resizeGeneric_` with `HResizeLinear`/`VResizeLinear` (8-bit specialisation)
/// or `HResizeCubic`/`VResizeCubic` (`VResizeCubicVec_32s8u`). Horizontal
/// results are unrounded (coefficient scale 2048); the source rows a
/// destination row needs are computed once and kept in a small cache, as
/// `resizeGeneric_Invoker` does.
fn generic(img: &Image, dw: usize, dh: usize, x: &AxisTaps, y: &AxisTaps, cubic: bool) -> Vec<u8> {
    match img.cn {
        1 => generic_cn::<1>(img, dw, dh, x, y, cubic),
        2 => generic_cn::<2>(img, dw, dh, x, y, cubic),
        3 => generic_cn::<3>(img, dw, dh, x, y, cubic),
        _ => generic_cn::<4>(img, dw, dh, x, y, cubic),
    }
}

fn generic_cn<const CN: usize>(
    img: &Image,
    dw: usize,
    dh: usize,
    x: &AxisTaps,
    y: &AxisTaps,
    cubic: bool,
) -> Vec<u8> {
    let width = dw * CN;
    let last_x = img.sw as i64 - 1;
    // Sample offsets of the taps of each column. Cubic taps are clamped to the
    // image as `HResizeCubic`'s border loop does; linear columns already are
    // (only `sx + 1` is read, and only before `xmax`).
    let cols: Vec<[usize; 4]> = x
        .ofs
        .iter()
        .map(|&s| {
            if cubic {
                [-1, 0, 1, 2].map(|j| (s + j).clamp(0, last_x) as usize * CN)
            } else {
                let s = s as usize * CN;
                [s, s + CN, 0, 0]
            }
        })
        .collect();
    if cubic {
        rows_pass(
            img,
            width,
            dh,
            y,
            4,
            |srow, buf: &mut [i32]| hresize_cubic::<CN>(srow, &cols, &x.coef, buf),
            vresize_cubic,
        )
    } else {
        rows_pass(
            img,
            width,
            dh,
            y,
            2,
            |srow, buf: &mut [i16]| hresize_linear::<CN>(srow, &cols, &x.coef, x.xmax, buf),
            |rows, beta, out| vresize_linear(rows[0], rows[1], beta, out),
        )
    }
}

/// The row loop of `resizeGeneric_Invoker`: source rows `sy - ksize/2 + 1 + k`,
/// clamped to the image, each resized horizontally once.
fn rows_pass<T: Copy + Default>(
    img: &Image,
    width: usize,
    dh: usize,
    y: &AxisTaps,
    ksize: usize,
    mut hresize: impl FnMut(&[u8], &mut [T]),
    mut vresize: impl FnMut([&[T]; 4], &[i32], &mut [u8]),
) -> Vec<u8> {
    let last_y = img.sh as i64 - 1;
    let mut cache = RowCache::new(ksize, width);
    let mut out = vec![0u8; width * dh];
    for (dy, drow) in out.chunks_exact_mut(width).enumerate() {
        let sy0 = y.ofs[dy] - (ksize as i64 / 2 - 1);
        let mut wanted = [0usize; 4];
        for (k, w) in wanted.iter_mut().take(ksize).enumerate() {
            *w = (sy0 + k as i64).clamp(0, last_y) as usize;
        }
        let slots = cache.fetch(&wanted[..ksize], |sy, buf| hresize(img.row(sy), buf));
        let beta = &y.coef[dy * ksize..(dy + 1) * ksize];
        vresize(slots.map(|s| cache.row(s)), beta, drow);
    }
    out
}

/// `HResizeLinear<uchar, int, short, 2048, HResizeLinearVec_8u32s>`: two taps
/// before `xmax`, `S[sx] * 2048` from there on (the vector part is the same
/// integer dot product). Stored already shifted right by 4, the only way the
/// vertical pass reads it (at most 255 * 2048 >> 4 = 32640: fits i16).
fn hresize_linear<const CN: usize>(
    srow: &[u8],
    cols: &[[usize; 4]],
    coef: &[i32],
    xmax: usize,
    out: &mut [i16],
) {
    let (body, border) = out.split_at_mut(xmax * CN);
    for ((d, t), a) in body
        .chunks_exact_mut(CN)
        .zip(cols)
        .zip(coef.chunks_exact(2))
    {
        let p0: &[u8; CN] = srow[t[0]..t[0] + CN].try_into().unwrap();
        let p1: &[u8; CN] = srow[t[1]..t[1] + CN].try_into().unwrap();
        for c in 0..CN {
            d[c] = ((i32::from(p0[c]) * a[0] + i32::from(p1[c]) * a[1]) >> 4) as i16;
        }
    }
    for (d, t) in border.chunks_exact_mut(CN).zip(&cols[xmax..]) {
        let p0: &[u8; CN] = srow[t[0]..t[0] + CN].try_into().unwrap();
        for c in 0..CN {
            d[c] = i16::from(p0[c]) << 7;
        }
    }
}

/// `HResizeCubic<uchar, int, short>`: four taps, integer sums.
fn hresize_cubic<const CN: usize>(srow: &[u8], cols: &[[usize; 4]], coef: &[i32], out: &mut [i32]) {
    for ((d, t), a) in out.chunks_exact_mut(CN).zip(cols).zip(coef.chunks_exact(4)) {
        let p0: &[u8; CN] = srow[t[0]..t[0] + CN].try_into().unwrap();
        let p1: &[u8; CN] = srow[t[1]..t[1] + CN].try_into().unwrap();
        let p2: &[u8; CN] = srow[t[2]..t[2] + CN].try_into().unwrap();
        let p3: &[u8; CN] = srow[t[3]..t[3] + CN].try_into().unwrap();
        for c in 0..CN {
            d[c] = i32::from(p0[c]) * a[0]
                + i32::from(p1[c]) * a[1]
                + i32::from(p2[c]) * a[2]
                + i32::from(p3[c]) * a[3];
        }
    }
}

/// `VResizeLinear<uchar, int, short, FixedPtCast<int, uchar, 22>, VResizeLinearVec_32s8u>`:
/// the 8-bit specialisation (and its vector part) drops 4 bits, keeps the high
/// 16 bits of each product, then rounds by 2 bits.
fn vresize_linear(h0: &[i16], h1: &[i16], beta: &[i32], out: &mut [u8]) {
    // Linear coefficients lie in 0..=2048.
    let (b0, b1) = (i32::from(beta[0] as i16), i32::from(beta[1] as i16));
    for ((d, &s0), &s1) in out.iter_mut().zip(h0).zip(h1) {
        let v = (((b0 * i32::from(s0)) >> 16) + ((b1 * i32::from(s1)) >> 16) + 2) >> 2;
        *d = v.clamp(0, 255) as u8;
    }
}

/// `VResizeCubic<uchar, int, short, FixedPtCast<int, uchar, 22>, VResizeCubicVec_32s8u>`:
/// the vector part (whole groups of 8 values) computes in f32, `S0*b0 + (S1*b1 +
/// (S2*b2 + S3*b3))` without FMA, `b = beta * 2^-22`, rounded half to even; the
/// scalar tail is `(sum + 2^21) >> 22`.
fn vresize_cubic(rows: [&[i32]; 4], beta: &[i32], out: &mut [u8]) {
    let simd_end = out.len() / CUBIC_SIMD_LANES * CUBIC_SIMD_LANES;
    let scale = 1.0 / (COEF_SCALE * COEF_SCALE);
    let b = [beta[0], beta[1], beta[2], beta[3]];
    let bf = b.map(|v| v as f32 * scale);
    let (head, tail) = out.split_at_mut(simd_end);
    let [r0, r1, r2, r3] = rows;
    let it = r0.iter().zip(r1).zip(r2).zip(r3);
    for (d, (((&s0, &s1), &s2), &s3)) in head.iter_mut().zip(it) {
        let v = s0 as f32 * bf[0] + (s1 as f32 * bf[1] + (s2 as f32 * bf[2] + s3 as f32 * bf[3]));
        *d = round_u8(v);
    }
    let it = r0[simd_end..]
        .iter()
        .zip(&r1[simd_end..])
        .zip(&r2[simd_end..])
        .zip(&r3[simd_end..]);
    for (d, (((&s0, &s1), &s2), &s3)) in tail.iter_mut().zip(it) {
        let v = s0
            .wrapping_mul(b[0])
            .wrapping_add(s1.wrapping_mul(b[1]))
            .wrapping_add(s2.wrapping_mul(b[2]))
            .wrapping_add(s3.wrapping_mul(b[3]));
        *d = (v.wrapping_add(1 << 21) >> 22).clamp(0, 255) as u8;
    }
}

/// Horizontally resized source rows, keyed by source row index, so each source
/// row is resized once while the destination rows walk down.
struct RowCache<T> {
    tags: Vec<Option<usize>>,
    bufs: Vec<Vec<T>>,
}

impl<T: Copy + Default> RowCache<T> {
    fn new(slots: usize, width: usize) -> Self {
        RowCache {
            tags: vec![None; slots],
            bufs: vec![vec![T::default(); width]; slots],
        }
    }

    fn row(&self, slot: usize) -> &[T] {
        &self.bufs[slot]
    }

    /// Slots holding `wanted` rows (at most 4), computing missing ones with `fill`.
    fn fetch(&mut self, wanted: &[usize], mut fill: impl FnMut(usize, &mut [T])) -> [usize; 4] {
        let mut slots = [0usize; 4];
        for (k, &sy) in wanted.iter().enumerate() {
            if let Some(slot) = self.tags.iter().position(|&t| t == Some(sy)) {
                slots[k] = slot;
                continue;
            }
            // A slot whose row is not wanted now.
            let slot = (0..self.tags.len())
                .find(|&s| self.tags[s].is_none_or(|t| !wanted.contains(&t)))
                .expect("a free slot");
            fill(sy, &mut self.bufs[slot]);
            self.tags[slot] = Some(sy);
            slots[k] = slot;
        }
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CvInterp; 4] = [
        CvInterp::Nearest,
        CvInterp::Linear,
        CvInterp::Cubic,
        CvInterp::Area,
    ];

    /// xorshift64*: deterministic inputs without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() >> 33) as usize % n
        }

        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| (self.next() >> 56) as u8).collect()
        }
    }

    /// Cases written by `scripts/make_opencv_resize_fixtures.py` (format there).
    #[test]
    fn matches_opencv_fixtures() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/opencv-resize/cases.bin"
        );
        let bytes = std::fs::read(path).expect("fixture file");
        let mut pos = 0;
        let mut take = |n: usize| {
            pos += n;
            &bytes[pos - n..pos]
        };
        let (mut cases, mut failures) = (0, Vec::new());
        let mut seen = [false; 4];
        let mut left = bytes.len();
        while left > 0 {
            let header: Vec<usize> = take(24)
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
                .collect();
            let [it, cn, sw, sh, dw, dh] = header[..] else {
                unreachable!()
            };
            let src = take(sw * sh * cn);
            let expected = take(dw * dh * cn);
            left -= 24 + src.len() + expected.len();
            seen[it] = true;
            let got = resize_opencv(src, sw, sh, cn, dw, dh, ALL[it]);
            let bad = got.iter().zip(expected).filter(|(a, b)| a != b).count();
            if bad > 0 {
                failures.push(format!("{:?} {cn}ch {sw}x{sh}->{dw}x{dh}: {bad}", ALL[it]));
            }
            cases += 1;
        }
        assert!(cases >= 70 && seen == [true; 4], "{cases} cases");
        assert!(failures.is_empty(), "differing samples: {failures:?}");
    }

    #[test]
    fn eight_row_area_sums_equal_the_row_by_row_ones() {
        let mut rng = Rng(7);
        for _ in 0..300 {
            let cn = 1 + rng.below(4);
            let (sw, sh) = (1 + rng.below(90), 1 + rng.below(60));
            let (dw, dh) = (1 + rng.below(sw), 1 + rng.below(sh));
            let src = rng.bytes(sw * sh * cn);
            let img = Image {
                src: &src,
                sw,
                sh,
                cn,
            };
            let (sx, sy) = (sw as f64 / dw as f64, sh as f64 / dh as f64);
            assert_eq!(
                area_with(&img, dw, dh, sx, sy, true),
                area_with(&img, dw, dh, sx, sy, false),
                "{cn}ch {sw}x{sh}->{dw}x{dh}"
            );
        }
    }

    #[test]
    fn same_size_is_a_copy() {
        let mut rng = Rng(1);
        for cn in 1..=4 {
            let src = rng.bytes(7 * 5 * cn);
            for interp in ALL {
                assert_eq!(resize_opencv(&src, 7, 5, cn, 7, 5, interp), src);
            }
        }
    }

    #[test]
    fn constant_image_stays_constant() {
        let mut rng = Rng(2);
        for case in 0..400 {
            let [sw, sh, dw, dh] = [0; 4].map(|_| 1 + rng.below(40));
            let cn = 1 + case % 4;
            let value = [0, 1, 127, 128, 254, 255][case % 6];
            let src = vec![value; sw * sh * cn];
            for interp in ALL {
                let out = resize_opencv(&src, sw, sh, cn, dw, dh, interp);
                assert_eq!(out.len(), dw * dh * cn);
                assert!(
                    out.iter().all(|&v| v == value),
                    "{interp:?} {cn}ch {sw}x{sh}->{dw}x{dh} value {value}"
                );
            }
        }
    }

    #[test]
    fn nearest_takes_the_floor_of_the_scaled_index() {
        let row = [10, 20, 30, 40];
        // Scale 4/3: 0, 1.33, 2.67.
        assert_eq!(
            resize_opencv(&row, 4, 1, 1, 3, 1, CvInterp::Nearest),
            [10, 20, 30]
        );
        // Scale 0.8: 0, 0.8, 1.6, 2.4, 3.2.
        let out = resize_opencv(&row, 4, 1, 1, 5, 1, CvInterp::Nearest);
        assert_eq!(out, [10, 10, 20, 30, 40]);
    }

    #[test]
    fn exact_half_linear_is_the_area_average() {
        let mut rng = Rng(3);
        for cn in 1..=4 {
            let src = rng.bytes(8 * 6 * cn);
            let linear = resize_opencv(&src, 8, 6, cn, 4, 3, CvInterp::Linear);
            assert_eq!(linear, resize_opencv(&src, 8, 6, cn, 4, 3, CvInterp::Area));
        }
        // 2x2 with 1, 3 or 4 channels: (a + b + c + d + 2) >> 2, halves go up.
        assert_eq!(
            resize_opencv(&[0, 1, 1, 0], 2, 2, 1, 1, 1, CvInterp::Area),
            [1]
        );
        // Other factors: sum * (1.f / area), halves to even (4.5 -> 4).
        let src = [4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5];
        assert_eq!(resize_opencv(&src, 4, 4, 1, 1, 1, CvInterp::Area), [4]);
    }

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(
            [2.5, 3.5, -0.5, 254.5, 255.5, 300.0, -7.0].map(round_u8),
            [2, 4, 0, 254, 255, 255, 0]
        );
        assert_eq!(coefficient(0.5 / 2048.0), 0);
        assert_eq!(coefficient(1.5 / 2048.0), 2);
        assert_eq!(coefficient(1.0), 2048);
    }

    #[test]
    fn cubic_coefficients_sum_to_one() {
        for i in 0..=64 {
            let c = cubic_coeffs(i as f32 / 64.0);
            assert!((c.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        assert_eq!(cubic_coeffs(0.0).map(coefficient), [0, 2048, 0, 0]);
    }

    #[test]
    fn cubic_vector_part_and_scalar_tail_round_differently() {
        // A vertical sum of 2^21 is 0.5: the f32 part (first 8 values) rounds
        // it to 0 (even), the integer tail `(v + 2^21) >> 22` to 1.
        let rows: Vec<Vec<i32>> = (0..4).map(|_| vec![1 << 10; 9]).collect();
        let rows = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
        let mut out = [9u8; 9];
        vresize_cubic(rows, &[2048, 0, 0, 0], &mut out);
        assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }
}
