//! GIF with the `gif` crate: the first frame, as Pillow loads it. The frame's
//! indices are looked up in its local palette, else the global one (indices past
//! the palette read Pillow's default gray ramp); pixels of the logical screen
//! outside the frame are the transparent index where there is one, else index 0.

use std::io::Cursor;

use super::{check_size, DecodeError, Decoded, Format, Header, Layout, Problem};

fn options() -> gif::DecodeOptions {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    // The pixel limit is ours, checked on the screen size.
    options.set_memory_limit(gif::MemoryLimit::Unlimited);
    options
}

fn error(e: gif::DecodingError) -> DecodeError {
    DecodeError::from_decoder(Format::Gif, e)
}

pub(super) fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let decoder = options().read_info(Cursor::new(bytes)).map_err(error)?;
    Ok(Header {
        format: Format::Gif,
        width: decoder.width() as usize,
        height: decoder.height() as usize,
        mode: "P",
    })
}

/// The logical screen's size, the global palette, the background index and
/// the first frame; the pixel limit is checked on the screen.
struct FirstFrame {
    width: usize,
    height: usize,
    global: Option<Vec<u8>>,
    background: Option<usize>,
    frame: gif::Frame<'static>,
}

fn first_frame(bytes: &[u8], max_pixels: u64) -> Result<FirstFrame, DecodeError> {
    let decoder = options().read_info(Cursor::new(bytes)).map_err(error)?;
    let (width, height) = (decoder.width() as usize, decoder.height() as usize);
    check_size(Format::Gif, width, height, max_pixels)?;
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let background = decoder.bg_color();
    // The iterator hands the frame over (reading it by reference would mean
    // copying its pixels out).
    let frame = decoder
        .into_iter()
        .next()
        .ok_or_else(|| DecodeError::new(Problem::Damaged, "GIF file holds no frame"))?
        .map_err(error)?;
    Ok(FirstFrame {
        width,
        height,
        global,
        background,
        frame,
    })
}

/// An RGB screen of one colour.
fn filled(width: usize, height: usize, colour: [u8; 3]) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width * height * 3);
    for _ in 0..width * height {
        pixels.extend_from_slice(&colour);
    }
    pixels
}

pub(super) fn decode(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    let FirstFrame {
        width,
        height,
        global,
        frame,
        ..
    } = first_frame(bytes, max_pixels)?;
    let palette = frame
        .palette
        .as_deref()
        .or(global.as_deref())
        .unwrap_or(&[]);
    let colour = |index: u8| -> [u8; 3] {
        let at = index as usize * 3;
        match palette.get(at..at + 3) {
            Some(rgb) => [rgb[0], rgb[1], rgb[2]],
            None => [index; 3],
        }
    };
    let mut pixels = filled(width, height, colour(frame.transparent.unwrap_or(0)));
    let (left, top) = (frame.left as usize, frame.top as usize);
    let frame_width = frame.width as usize;
    for (y, row) in frame.buffer.chunks_exact(frame_width.max(1)).enumerate() {
        let y = top + y;
        if y >= height {
            break;
        }
        for (x, &index) in row.iter().enumerate() {
            let x = left + x;
            if x >= width {
                break;
            }
            let at = (y * width + x) * 3;
            pixels[at..at + 3].copy_from_slice(&colour(index));
        }
    }
    Ok(Decoded {
        width,
        height,
        layout: Layout::Rgb,
        pixels,
    })
}

/// The first frame as OpenCV 5's own GIF reader makes it: the logical screen
/// filled with the global palette's background colour (black without one), the
/// frame drawn at its place with its transparent index left out; an index
/// beyond the local palette reads the global one, beyond both (with no palette
/// at all) gray, 1 white.
pub(super) fn decode_opencv(bytes: &[u8], max_pixels: u64) -> Result<Decoded, DecodeError> {
    let FirstFrame {
        width,
        height,
        global,
        background,
        frame,
    } = first_frame(bytes, max_pixels)?;
    let global = global.unwrap_or_default();
    let background = background
        .and_then(|i| global.get(i * 3..i * 3 + 3))
        .map_or([0; 3], |c| [c[0], c[1], c[2]]);
    let (left, top) = (frame.left as usize, frame.top as usize);
    let (frame_width, frame_height) = (frame.width as usize, frame.height as usize);
    if left + frame_width > width || top + frame_height > height {
        return Err(DecodeError::new(
            Problem::Damaged,
            "GIF frame reaches past the logical screen (OpenCV refuses it)",
        ));
    }
    let local: &[u8] = frame.palette.as_deref().unwrap_or(&[]);
    let mut pixels = filled(width, height, background);
    for (y, row) in frame.buffer.chunks_exact(frame_width.max(1)).enumerate() {
        for (x, &index) in row.iter().enumerate() {
            if frame.transparent == Some(index) {
                continue;
            }
            let i = index as usize * 3;
            let colour = match (local.get(i..i + 3), global.get(i..i + 3)) {
                (Some(c), _) | (None, Some(c)) => [c[0], c[1], c[2]],
                _ if local.is_empty() && global.is_empty() => {
                    [if index == 1 { 255 } else { index }; 3]
                }
                _ => continue,
            };
            let at = ((top + y) * width + left + x) * 3;
            pixels[at..at + 3].copy_from_slice(&colour);
        }
    }
    Ok(Decoded {
        width,
        height,
        layout: Layout::Rgb,
        pixels,
    })
}
