//! JPEG through libjpeg-turbo itself (TurboJPEG 3, built from source by the
//! `turbojpeg` crate), with its defaults: the ISLOW IDCT and fancy upsampling,
//! what Pillow and OpenCV decode with. Pure-Rust decoders differ from it on up to
//! a quarter of the samples. Gray files stay gray, CMYK and YCCK files are read as
//! CMYK and inverted (Pillow's `CMYK;I`, which it applies to every four-component
//! JPEG), everything else is RGB.

use std::cell::RefCell;
use std::ffi::CStr;

use turbojpeg::raw;

use super::{check_size, DecodeError, Decoded, Format, Header, Layout, Problem};

/// A TurboJPEG decompressor, one per thread: making one per image costs an
/// allocation of its tables each time.
struct Handle(raw::tjhandle);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is destroyed once.
        unsafe { raw::tj3Destroy(self.0) }
    }
}

thread_local! {
    static DECOMPRESSOR: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

fn with_handle<T>(
    work: impl FnOnce(raw::tjhandle) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    DECOMPRESSOR.with_borrow_mut(|slot| {
        if slot.is_none() {
            // SAFETY: tj3Init has no preconditions; null is its failure.
            let handle = unsafe { raw::tj3Init(raw::TJINIT_TJINIT_DECOMPRESS as i32) };
            if handle.is_null() {
                return Err(DecodeError::new(
                    Problem::Damaged,
                    "libjpeg-turbo could not start a decompressor (out of memory?)",
                ));
            }
            *slot = Some(Handle(handle));
        }
        work(slot.as_ref().expect("made above").0)
    })
}

fn message(handle: raw::tjhandle) -> String {
    // SAFETY: tj3GetErrorStr returns a NUL-terminated string owned by the handle.
    unsafe { CStr::from_ptr(raw::tj3GetErrorStr(handle)) }
        .to_string_lossy()
        .into_owned()
}

/// The header as TurboJPEG reads it: size and colour space.
fn read_header(handle: raw::tjhandle, bytes: &[u8]) -> Result<(usize, usize, u32), DecodeError> {
    // SAFETY: `bytes` is readable for its length; the handle is a decompressor.
    let status =
        unsafe { raw::tj3DecompressHeader(handle, bytes.as_ptr(), bytes.len() as raw::size_t) };
    if status != 0 {
        return Err(DecodeError::from_decoder(Format::Jpeg, message(handle)));
    }
    // SAFETY: reading parameters of a handle whose header was just read.
    let (width, height, colorspace, precision) = unsafe {
        (
            raw::tj3Get(handle, raw::TJPARAM_TJPARAM_JPEGWIDTH as i32),
            raw::tj3Get(handle, raw::TJPARAM_TJPARAM_JPEGHEIGHT as i32),
            raw::tj3Get(handle, raw::TJPARAM_TJPARAM_COLORSPACE as i32),
            raw::tj3Get(handle, raw::TJPARAM_TJPARAM_PRECISION as i32),
        )
    };
    if precision != 8 {
        return Err(DecodeError::new(
            Problem::Unsupported,
            format!("a {precision}-bit JPEG (Pillow reads 8-bit JPEGs only)"),
        ));
    }
    Ok((
        width.max(0) as usize,
        height.max(0) as usize,
        colorspace as u32,
    ))
}

fn mode(colorspace: u32) -> &'static str {
    match colorspace {
        raw::TJCS_TJCS_GRAY => "L",
        raw::TJCS_TJCS_CMYK | raw::TJCS_TJCS_YCCK => "CMYK",
        _ => "RGB",
    }
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    with_handle(|handle| {
        let (width, height, colorspace) = read_header(handle, bytes)?;
        Ok(Header {
            format: Format::Jpeg,
            width,
            height,
            mode: mode(colorspace),
        })
    })
}

/// Pillow's `draft(mode, (request_w, request_h))` scale: the largest of 8, 4, 2
/// and 1 that is at most `min(w // request_w, h // request_h)`.
pub(super) fn draft_scale(
    (width, height): (usize, usize),
    (request_w, request_h): (usize, usize),
) -> usize {
    let most = (width / request_w.max(1)).min(height / request_h.max(1));
    [8, 4, 2, 1].into_iter().find(|&s| most >= s).unwrap_or(1)
}

/// What libjpeg is asked to output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JpegOutput {
    /// Pillow's mode for the file: gray stays gray, four components are CMYK
    /// inverted (`CMYK;I`), the rest RGB.
    Pillow,
    /// OpenCV's `IMREAD_COLOR` request: RGB (gray replicated by libjpeg), four
    /// components as libjpeg's raw CMYK, not inverted.
    OpenCvColor,
    /// OpenCV's `IMREAD_GRAYSCALE` request: libjpeg's own gray (the Y channel of
    /// YCbCr), four components as raw CMYK.
    OpenCvGray,
}

/// Decodes the JPEG in `bytes`; with `draft`, at the scale Pillow's `draft` picks
/// for that requested size (libjpeg's DCT scaling, its other settings unchanged,
/// as Pillow's decoder sets them: `decoderconfig = (scale, 0)`).
pub(super) fn decode(
    bytes: &[u8],
    max_pixels: u64,
    draft: Option<(usize, usize)>,
) -> Result<Decoded, DecodeError> {
    decode_as(bytes, max_pixels, draft, JpegOutput::Pillow)
}

/// Decodes the JPEG in `bytes` to `output`'s colours (see [`decode`]).
pub(super) fn decode_as(
    bytes: &[u8],
    max_pixels: u64,
    draft: Option<(usize, usize)>,
    output: JpegOutput,
) -> Result<Decoded, DecodeError> {
    with_handle(|handle| {
        let (full_width, full_height, colorspace) = read_header(handle, bytes)?;
        check_size(Format::Jpeg, full_width, full_height, max_pixels)?;
        let scale = draft.map_or(1, |request| draft_scale((full_width, full_height), request));
        let factor = raw::tjscalingfactor {
            num: 1,
            denom: scale as i32,
        };
        // SAFETY: a decompressor handle; 1/1, 1/2, 1/4 and 1/8 are supported factors.
        if unsafe { raw::tj3SetScalingFactor(handle, factor) } != 0 {
            return Err(DecodeError::from_decoder(Format::Jpeg, message(handle)));
        }
        // libjpeg's scaled size, which is Pillow's `(size + scale - 1) // scale`.
        let (width, height) = (full_width.div_ceil(scale), full_height.div_ceil(scale));
        let four = matches!(colorspace, raw::TJCS_TJCS_CMYK | raw::TJCS_TJCS_YCCK);
        let (pixel_format, layout) = match (output, colorspace) {
            (_, _) if four => (raw::TJPF_TJPF_CMYK, Layout::Cmyk),
            (JpegOutput::Pillow, raw::TJCS_TJCS_GRAY) | (JpegOutput::OpenCvGray, _) => {
                (raw::TJPF_TJPF_GRAY, Layout::L)
            }
            _ => (raw::TJPF_TJPF_RGB, Layout::Rgb),
        };
        // Not zeroed: libjpeg writes every byte, and zeroing a photograph's
        // buffer cost a tenth of the decode.
        let len = width * height * layout.channels();
        let mut pixels: Vec<u8> = Vec::with_capacity(len);
        // SAFETY: the spare capacity holds height rows of width * channels bytes
        // (pitch 0 means exactly that); `bytes` is readable for its length.
        let status = unsafe {
            raw::tj3Decompress8(
                handle,
                bytes.as_ptr(),
                bytes.len() as raw::size_t,
                pixels.spare_capacity_mut().as_mut_ptr().cast(),
                0,
                pixel_format,
            )
        };
        if status != 0 {
            let text = message(handle);
            // SAFETY: the handle's last call set its error code.
            let warning =
                unsafe { raw::tj3GetErrorCode(handle) } == raw::TJERR_TJERR_WARNING as i32;
            // libjpeg goes on past damaged data with a warning, as Pillow's decoder
            // does; a file that ends early Pillow refuses ("image file is truncated").
            if !warning || text.contains("Premature end") {
                return Err(DecodeError::from_decoder(Format::Jpeg, text));
            }
        }
        // SAFETY: the decode wrote all `len` bytes (a warning still completes the
        // image: libjpeg fills what damaged data lacks).
        unsafe { pixels.set_len(len) };
        if layout == Layout::Cmyk && output == JpegOutput::Pillow {
            for sample in &mut pixels {
                *sample = 255 - *sample;
            }
        }
        Ok(Decoded {
            width,
            height,
            layout,
            pixels,
        })
    })
}
