//! Image files as OpenCV 5's `cv2.imread` reads them (docs/spec.md 8.9):
//! `IMREAD_COLOR` (alpha dropped, gray replicated, 16-bit cut to the high byte,
//! CMYK by OpenCV's formula) or `IMREAD_GRAYSCALE` (libjpeg's own gray for
//! JPEG, libpng's `rgb_to_gray` for PNG, OpenCV's fixed-point BGR2GRAY for the
//! rest), then turned by the EXIF orientation of JPEG (APP1) and PNG (`eXIf`)
//! files, as `imread` does for both flags. Colour comes out as RGB, what
//! `cv2.cvtColor(img, cv2.COLOR_BGR2RGB)` gives.

use super::jpeg::JpegOutput;
use super::{bmp, gif, jpeg, png, sniffed, tiff, webp, DecodeError, Decoded, Format, Layout};

/// OpenCV's two fixed-point grays of 0.299 R + 0.587 G + 0.114 B, rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrayWeights {
    /// imgcodecs' `icvCvt_BGR2Gray_8u_C3C1R` (BMP, TIFF, CMYK JPEG): 14 bits.
    Codecs,
    /// imgproc's `cvtColor(COLOR_BGR2GRAY)` (WebP, GIF): 15 bits.
    CvtColor,
}

impl GrayWeights {
    fn gray(self, r: u8, g: u8, b: u8) -> u8 {
        let (r, g, b) = (r as u32, g as u32, b as u32);
        match self {
            GrayWeights::Codecs => ((r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14) as u8,
            GrayWeights::CvtColor => ((r * 9798 + g * 19235 + b * 3735 + (1 << 14)) >> 15) as u8,
        }
    }
}

/// Decodes `bytes` as `cv2.imread(p, IMREAD_GRAYSCALE if gray else
/// IMREAD_COLOR)` then BGR to RGB: `Layout::L` or `Layout::Rgb`.
pub fn imread(bytes: &[u8], max_pixels: u64, gray: bool) -> Result<Decoded, DecodeError> {
    let format = sniffed(bytes)?;
    let (decoded, orientation) = match format {
        Format::Jpeg => {
            let output = if gray {
                JpegOutput::OpenCvGray
            } else {
                JpegOutput::OpenCvColor
            };
            let decoded = jpeg::decode_as(bytes, max_pixels, None, output)?;
            (decoded, jpeg_orientation(bytes))
        }
        Format::Png => {
            let decoded = png::decode_opencv(bytes, max_pixels, gray)?;
            (decoded, png::exif_chunk(bytes).and_then(exif_orientation))
        }
        // WebP's EXIF is only parsed when metadata is asked for: imread ignores it.
        Format::WebP => (webp::decode(bytes, max_pixels)?, None),
        Format::Bmp => (bmp::decode(bytes, max_pixels)?, None),
        Format::Gif => (gif::decode_opencv(bytes, max_pixels)?, None),
        Format::Tiff => (tiff::decode(bytes, max_pixels)?, None),
    };
    let weights = match format {
        Format::WebP | Format::Gif => GrayWeights::CvtColor,
        _ => GrayWeights::Codecs,
    };
    let converted = to_opencv_colour(decoded, gray, weights);
    Ok(match orientation {
        Some(o) => orient(converted, o),
        None => converted,
    })
}

/// Drops alpha, replicates gray, converts CMYK (raw, as libjpeg gives it) and
/// makes gray by OpenCV's rules.
fn to_opencv_colour(decoded: Decoded, gray: bool, weights: GrayWeights) -> Decoded {
    let Decoded {
        width,
        height,
        layout,
        pixels,
    } = decoded;
    let channels = layout.channels();
    let pixel = |p: &[u8]| -> [u8; 3] {
        match layout {
            Layout::L | Layout::La => [p[0]; 3],
            Layout::Rgb | Layout::Rgba => [p[0], p[1], p[2]],
            // icvCvt_CMYK2BGR_8u_C4C3R on libjpeg's raw (Adobe-inverted) values.
            Layout::Cmyk => {
                let k = p[3] as u32;
                let f = |c: u8| (k - (((255 - c as u32) * k) >> 8)) as u8;
                [f(p[0]), f(p[1]), f(p[2])]
            }
        }
    };
    let (layout_out, pixels) = match (gray, layout) {
        (true, Layout::L) | (false, Layout::Rgb) => (layout, pixels),
        (true, _) => (
            Layout::L,
            pixels
                .chunks_exact(channels)
                .map(|p| match layout {
                    Layout::La => p[0],
                    _ => {
                        let [r, g, b] = pixel(p);
                        weights.gray(r, g, b)
                    }
                })
                .collect(),
        ),
        (false, _) => {
            let mut out = Vec::with_capacity(width * height * 3);
            for p in pixels.chunks_exact(channels) {
                out.extend_from_slice(&pixel(p));
            }
            (Layout::Rgb, out)
        }
    };
    Decoded {
        width,
        height,
        layout: layout_out,
        pixels,
    }
}

/// The orientation of the first APP1 `Exif` segment before the scan that
/// carries one, as libjpeg hands OpenCV the saved markers.
fn jpeg_orientation(bytes: &[u8]) -> Option<u16> {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            return None; // start of scan, end of image: no more headers
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let length = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        let segment = bytes.get(at + 4..at + 2 + length.max(2))?;
        if marker == 0xE1 && segment.len() > 6 && segment.starts_with(b"Exif\0\0") {
            if let Some(o) = exif_orientation(&segment[6..]) {
                return Some(o);
            }
        }
        at += 2 + length;
    }
    None
}

/// The Orientation tag (0x0112) of IFD0 of a TIFF-structured EXIF block, read
/// as OpenCV's `ExifReader` reads it: entries in order until one cannot be
/// read, the tag's value the 16 bits at the entry's value field.
fn exif_orientation(exif: &[u8]) -> Option<u16> {
    let big = match exif.get(..2)? {
        b"II" => false,
        b"MM" => true,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = exif.get(at..at + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = exif.get(at..at + 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if u16_at(2)? != 0x2A {
        return None;
    }
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    (0..entries).find_map(|i| {
        let entry = ifd + 2 + 12 * i;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
    })
}

/// `ExifTransform`: the flips and transposes that orientations 2 to 8 ask for.
fn orient(image: Decoded, orientation: u16) -> Decoded {
    let (transpose, flip_x, flip_y) = match orientation {
        2 => (false, true, false),
        3 => (false, true, true),
        4 => (false, false, true),
        5 => (true, false, false),
        6 => (true, true, false),
        7 => (true, true, true),
        8 => (true, false, true),
        _ => return image,
    };
    let channels = image.layout.channels();
    let (w, h) = (image.width, image.height);
    let (out_w, out_h) = if transpose { (h, w) } else { (w, h) };
    let mut pixels = vec![0u8; image.pixels.len()];
    for y in 0..out_h {
        for x in 0..out_w {
            // Flips act on the transposed image, as OpenCV applies them after.
            let tx = if flip_x { out_w - 1 - x } else { x };
            let ty = if flip_y { out_h - 1 - y } else { y };
            let (sx, sy) = if transpose { (ty, tx) } else { (tx, ty) };
            let from = (sy * w + sx) * channels;
            let to = (y * out_w + x) * channels;
            pixels[to..to + channels].copy_from_slice(&image.pixels[from..from + channels]);
        }
    }
    Decoded {
        width: out_w,
        height: out_h,
        layout: image.layout,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: usize, height: usize) -> Decoded {
        Decoded {
            width,
            height,
            layout: Layout::L,
            pixels: (0..(width * height) as u8).collect(),
        }
    }

    #[test]
    fn orientations_match_opencvs_flips_and_transposes() {
        // 0 1 2
        // 3 4 5
        let src = image(3, 2);
        assert_eq!(orient(src.clone(), 1).pixels, [0, 1, 2, 3, 4, 5]);
        assert_eq!(orient(src.clone(), 2).pixels, [2, 1, 0, 5, 4, 3]);
        assert_eq!(orient(src.clone(), 3).pixels, [5, 4, 3, 2, 1, 0]);
        assert_eq!(orient(src.clone(), 4).pixels, [3, 4, 5, 0, 1, 2]);
        // transpose: 0 3 / 1 4 / 2 5
        let t = orient(src.clone(), 5);
        assert_eq!((t.width, t.height), (2, 3));
        assert_eq!(t.pixels, [0, 3, 1, 4, 2, 5]);
        assert_eq!(orient(src.clone(), 6).pixels, [3, 0, 4, 1, 5, 2]);
        assert_eq!(orient(src.clone(), 7).pixels, [5, 2, 4, 1, 3, 0]);
        assert_eq!(orient(src, 8).pixels, [2, 5, 1, 4, 0, 3]);
    }

    #[test]
    fn exif_orientation_is_read_in_both_byte_orders() {
        let mut le = b"II\x2a\x00\x08\x00\x00\x00\x01\x00".to_vec();
        le.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        assert_eq!(exif_orientation(&le), Some(6));
        let mut be = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01".to_vec();
        be.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0]);
        assert_eq!(exif_orientation(&be), Some(8));
        assert_eq!(exif_orientation(&le[..12]), None);
        assert_eq!(exif_orientation(b"XX\x2a\x00"), None);
    }

    #[test]
    fn gray_uses_opencvs_weights() {
        for w in [GrayWeights::Codecs, GrayWeights::CvtColor] {
            assert_eq!(w.gray(255, 255, 255), 255);
            assert_eq!(w.gray(255, 0, 0), 76);
            assert_eq!(w.gray(0, 255, 0), 150);
        }
        assert_eq!(GrayWeights::Codecs.gray(0, 0, 255), 29);
        // They part: 250 blue is 28.50.. in 14 bits, 28.49.. in 15.
        assert_eq!(GrayWeights::Codecs.gray(0, 0, 250), 29);
        assert_eq!(GrayWeights::CvtColor.gray(0, 0, 250), 28);
    }
}
