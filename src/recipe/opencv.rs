//! OpenCV's recipe: each image is what
//! `cv2.resize(cv2.cvtColor(cv2.imread(p, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB),
//! (W, H), interpolation=INTER)` gives (`IMREAD_GRAYSCALE` and no `cvtColor`
//! for gray), with OpenCV's own arithmetic, IPP off (docs/spec.md 8.9): the
//! reading by `crate::decode::imread`, the resize by
//! `crate::image::resize::opencv`.

use crate::decode::{DecodeError, Decoded};
use crate::image::resize::opencv::{resize_opencv, CvInterp};

use super::{Fit, OutputShape};

/// `cv2.imread` then `cv2.resize`, fitted by `fit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CvRecipe {
    /// Output width.
    pub width: usize,
    /// Output height.
    pub height: usize,
    /// `IMREAD_GRAYSCALE` instead of `IMREAD_COLOR`.
    pub gray: bool,
    /// `cv2.resize`'s interpolation.
    pub interpolation: CvInterp,
    /// How the image is fitted to `width x height`.
    pub fit: Fit,
    /// The colour of the border of `Fit::Pad` (R, G, B; gray takes R).
    pub fill: [u8; 3],
}

impl CvRecipe {
    /// OpenCV's recipe at `width x height`, stretched, black border.
    pub fn new(width: usize, height: usize, gray: bool, interpolation: CvInterp) -> Self {
        CvRecipe {
            width,
            height,
            gray,
            interpolation,
            fit: Fit::Stretch,
            fill: [0; 3],
        }
    }

    /// The shape of the images it makes.
    pub fn shape(&self) -> OutputShape {
        OutputShape {
            height: self.height,
            width: self.width,
            channels: self.channels(),
        }
    }

    fn channels(&self) -> usize {
        if self.gray {
            1
        } else {
            3
        }
    }

    /// The image made from the file in `bytes`.
    pub fn make_from_bytes(&self, bytes: &[u8], max_pixels: u64) -> Result<Vec<u8>, DecodeError> {
        let decoded = crate::decode::imread(bytes, max_pixels, self.gray)?;
        Ok(self.make(decoded))
    }

    /// The image made from what `imread` gave.
    pub fn make(&self, decoded: Decoded) -> Vec<u8> {
        let Decoded {
            width: w,
            height: h,
            pixels,
            ..
        } = decoded;
        let channels = self.channels();
        let (out_w, out_h) = (self.width, self.height);
        let resize = |src: &[u8], (sw, sh): (usize, usize), (dw, dh): (usize, usize)| {
            resize_opencv(src, sw, sh, channels, dw, dh, self.interpolation)
        };
        match self.fit {
            Fit::Stretch => resize(&pixels, (w, h), (out_w, out_h)),
            Fit::Crop => {
                let (x0, y0, bw, bh) = crop_rect((w, h), (out_w, out_h));
                let mut region = Vec::with_capacity(bw * bh * channels);
                for row in pixels.chunks_exact(w * channels).skip(y0).take(bh) {
                    region.extend_from_slice(&row[x0 * channels..(x0 + bw) * channels]);
                }
                resize(&region, (bw, bh), (out_w, out_h))
            }
            Fit::Pad => {
                let (inner_w, inner_h) = super::pil::padded_size((w, h), (out_w, out_h));
                let inner = resize(&pixels, (w, h), (inner_w, inner_h));
                super::pil::paste_centred(
                    &inner,
                    (inner_w, inner_h),
                    (out_w, out_h),
                    &self.fill[..channels],
                )
            }
        }
    }
}

/// The largest centred box of the output's aspect in whole pixels, as NumPy
/// slicing takes it: `bw, bh = min(w, h * W // H), min(h, w * H // W)`, from
/// `((w - bw) // 2, (h - bh) // 2)`. Never empty.
fn crop_rect(
    (w, h): (usize, usize),
    (out_w, out_h): (usize, usize),
) -> (usize, usize, usize, usize) {
    let bw = w.min(h * out_w / out_h).max(1);
    let bh = h.min(w * out_h / out_w).max(1);
    ((w - bw) / 2, (h - bh) / 2, bw, bh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_rect_follows_its_numpy_expression() {
        assert_eq!(crop_rect((200, 100), (64, 64)), (50, 0, 100, 100));
        assert_eq!(crop_rect((100, 300), (50, 100)), (0, 50, 100, 200));
        // 7 * 3 // 2 = 10 > 9: the width bounds the box.
        assert_eq!(crop_rect((9, 7), (3, 2)), (0, 0, 9, 6));
        assert_eq!(crop_rect((1, 1000), (100, 1)), (0, 499, 1, 1));
    }
}
