//! Auto-fix: turn an image Meta would refuse into one it takes (graph-api.md §2.3): JPEG,
//! within 4:5–1.91:1 for feed and carousel images, at most 1440 px wide, at most 8 MiB.
//!
//! Colour: pixels are taken as sRGB. An embedded ICC profile is not applied (the output JPEG
//! carries none, so viewers read it as sRGB, which is what Meta converts to anyway).

use std::fmt;
use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, Rgb, RgbImage};
use serde::Serialize;

use super::preflight::{MediaRole, SniffedFormat, sniff};
use super::spec;

/// Largest width or height decoded; beyond it an input is a decompression bomb, not a photo.
const MAX_DECODE_DIMENSION: u32 = 20_000;
/// Memory the decoder may allocate.
const MAX_DECODE_ALLOC: u64 = 1024 * 1024 * 1024;
/// JPEG qualities tried in turn before the image is scaled down further.
const QUALITIES: [u8; 4] = [90, 80, 70, 60];
/// Rounds of "scale down by 20 % and try again" before giving up.
const MAX_SHRINK_ROUNDS: usize = 8;

/// How to reach an allowed aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AspectFix {
    /// Add bars of the pad colour; nothing of the picture is lost.
    #[default]
    Pad,
    /// Cut the edges off, centred.
    Crop,
}

/// An sRGB colour for padding and for flattening transparency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PadColour(pub [u8; 3]);

impl Default for PadColour {
    fn default() -> Self {
        PadColour([0xff, 0xff, 0xff])
    }
}

impl PadColour {
    /// Parse `#rrggbb` (or `rrggbb`).
    pub fn parse(text: &str) -> Result<Self, FixError> {
        let hex_digits = text.strip_prefix('#').unwrap_or(text);
        let bytes = hex::decode(hex_digits)
            .ok()
            .and_then(|b| <[u8; 3]>::try_from(b).ok());
        bytes
            .map(PadColour)
            .ok_or_else(|| FixError::InvalidPadColour {
                given: text.to_owned(),
            })
    }
}

impl fmt::Display for PadColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// The auto-fix choices, per post or per tenant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixOptions {
    /// Pad or crop to the nearest allowed aspect ratio.
    pub aspect_fix: AspectFix,
    /// Colour of the bars, and of what was transparent.
    pub pad_colour: PadColour,
    /// Widest output, in pixels (Meta scales wider images down anyway).
    pub max_width: u32,
    /// Largest output file.
    pub max_bytes: u64,
}

impl Default for FixOptions {
    fn default() -> Self {
        Self {
            aspect_fix: AspectFix::Pad,
            pad_colour: PadColour::default(),
            max_width: spec::MAX_IMAGE_WIDTH,
            max_bytes: spec::MAX_IMAGE_BYTES,
        }
    }
}

/// One change the fix made, in words for the post's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Re-encoded from another format.
    Converted {
        /// The original format.
        from: String,
    },
    /// Applied the EXIF orientation, since the new file carries no EXIF.
    Rotated,
    /// Transparent pixels laid onto a colour.
    FlattenedTransparency {
        /// The colour.
        colour: String,
    },
    /// Bars added to reach an allowed ratio.
    Padded {
        /// The ratio before, e.g. `3.00:1`.
        from: String,
        /// The ratio after.
        to: String,
        /// The bar colour.
        colour: String,
    },
    /// Edges cut off to reach an allowed ratio.
    Cropped {
        /// The ratio before.
        from: String,
        /// The ratio after.
        to: String,
    },
    /// Scaled down.
    Scaled {
        /// Width before, in pixels.
        from_width: u32,
        /// Width after.
        to_width: u32,
    },
    /// Encoded at a lower quality to fit the size limit.
    Compressed {
        /// The JPEG quality used.
        quality: u8,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Converted { from } => write!(f, "converted {from} to JPEG"),
            Change::Rotated => f.write_str("applied the EXIF orientation"),
            Change::FlattenedTransparency { colour } => {
                write!(f, "filled transparent areas with {colour}")
            }
            Change::Padded { from, to, colour } => write!(f, "padded {from} to {to} with {colour}"),
            Change::Cropped { from, to } => write!(f, "cropped {from} to {to}"),
            Change::Scaled {
                from_width,
                to_width,
            } => write!(f, "scaled {from_width}→{to_width} px wide"),
            Change::Compressed { quality } => write!(
                f,
                "re-encoded at JPEG quality {quality} to stay under 8 MiB"
            ),
        }
    }
}

/// The result of a fix.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedImage {
    /// The JPEG bytes (the input itself when nothing needed changing).
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// What was changed, in order; empty when the input already passed.
    pub changes: Vec<Change>,
}

impl FixedImage {
    /// Whether the output differs from the input.
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Why an image cannot be fixed.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    /// Only image roles can be fixed; videos are not re-encoded.
    #[error("role {role:?} is a video; only images are fixed")]
    NotAnImageRole {
        /// The role given.
        role: MediaRole,
    },
    /// The bytes are not an image the decoder reads (JPEG, PNG or WebP).
    #[error("the file is {format}, which cannot be converted; upload a JPEG, PNG or WebP image")]
    UnsupportedFormat {
        /// What the bytes are.
        format: String,
    },
    /// Decoding failed (corrupt, or over the size limits).
    #[error("the image cannot be decoded: {0}")]
    Decode(#[source] image::ImageError),
    /// Encoding failed.
    #[error("the JPEG cannot be encoded: {0}")]
    Encode(#[source] image::ImageError),
    /// Even small and compressed, the image stays over the size limit.
    #[error("the image stays over {max_bytes} bytes even at {width} px wide and quality 60")]
    CannotFitSize {
        /// The limit.
        max_bytes: u64,
        /// The last width tried.
        width: u32,
    },
    /// A colour that is not `#rrggbb`.
    #[error("pad colour {given:?} is not of the form #rrggbb")]
    InvalidPadColour {
        /// The text given.
        given: String,
    },
}

/// Fix `bytes` for `role` so it passes the image checks.
pub fn fix_image(
    bytes: &[u8],
    role: MediaRole,
    options: &FixOptions,
) -> Result<FixedImage, FixError> {
    if role.is_video() {
        return Err(FixError::NotAnImageRole { role });
    }
    let format = sniff(bytes);
    let from = match &format {
        SniffedFormat::Jpeg => None,
        SniffedFormat::ExtendedJpeg(name) => Some((*name).to_owned()),
        SniffedFormat::OtherImage(name) if matches!(name.as_str(), "PNG" | "WebP") => {
            Some(name.clone())
        }
        other => {
            return Err(FixError::UnsupportedFormat {
                format: other.label(),
            });
        }
    };
    let enforce_feed_aspect = matches!(role, MediaRole::FeedImage | MediaRole::CarouselImage);
    let (decoded, rotated) = decode(bytes)?;
    let needs_work = from.is_some()
        || rotated
        || decoded.width() > options.max_width
        || bytes.len() as u64 > options.max_bytes
        || (enforce_feed_aspect && !spec::within_feed_aspect(decoded.width(), decoded.height()));
    if !needs_work {
        return Ok(FixedImage {
            bytes: bytes.to_vec(),
            width: decoded.width(),
            height: decoded.height(),
            changes: Vec::new(),
        });
    }
    let mut changes = Vec::new();
    if let Some(from) = from {
        changes.push(Change::Converted { from });
    }
    if rotated {
        changes.push(Change::Rotated);
    }
    let mut rgb = flatten(decoded, options.pad_colour, &mut changes);
    if enforce_feed_aspect {
        rgb = fit_aspect(rgb, options, &mut changes);
    }
    if rgb.width() > options.max_width {
        let from_width = rgb.width();
        rgb = scale_to_width(&rgb, options.max_width, enforce_feed_aspect);
        changes.push(Change::Scaled {
            from_width,
            to_width: rgb.width(),
        });
    }
    encode_within(rgb, options, enforce_feed_aspect, changes)
}

fn decode(bytes: &[u8]) -> Result<(DynamicImage, bool), FixError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| FixError::Decode(e.into()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_DIMENSION);
    limits.max_image_height = Some(MAX_DECODE_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(FixError::Decode)?;
    let orientation = decoder.orientation().map_err(FixError::Decode)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(FixError::Decode)?;
    let rotated = orientation != image::metadata::Orientation::NoTransforms;
    image.apply_orientation(orientation);
    Ok((image, rotated))
}

/// RGB8, with any transparency laid onto the pad colour.
fn flatten(image: DynamicImage, colour: PadColour, changes: &mut Vec<Change>) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let mut any_transparent = false;
    let rgb = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        if a == 255 {
            return Rgb([r, g, b]);
        }
        any_transparent = true;
        let blend = |c: u8, bg: u8| {
            ((u16::from(c) * u16::from(a) + u16::from(bg) * (255 - u16::from(a)) + 127) / 255) as u8
        };
        let [br, bg, bb] = colour.0;
        Rgb([blend(r, br), blend(g, bg), blend(b, bb)])
    });
    if any_transparent {
        changes.push(Change::FlattenedTransparency {
            colour: colour.to_string(),
        });
    }
    rgb
}

/// The canvas size nearest to `width × height` within 4:5–1.91:1, by padding (grow) or
/// cropping (shrink) one side. Integer arithmetic, matching [`spec::within_feed_aspect`].
fn target_canvas(width: u32, height: u32, fix: AspectFix) -> (u32, u32) {
    let (w, h) = (u64::from(width), u64::from(height));
    let (tw, th) = if 100 * w > 191 * h {
        // Too wide: pad height up, or crop width down, to 1.91:1.
        match fix {
            AspectFix::Pad => (w, (100 * w).div_ceil(191)),
            AspectFix::Crop => ((191 * h) / 100, h),
        }
    } else if 4 * h > 5 * w {
        // Too tall: pad width up, or crop height down, to 4:5.
        match fix {
            AspectFix::Pad => ((4 * h).div_ceil(5), h),
            AspectFix::Crop => (w, (5 * w) / 4),
        }
    } else {
        (w, h)
    };
    (
        u32::try_from(tw).unwrap_or(u32::MAX).max(1),
        u32::try_from(th).unwrap_or(u32::MAX).max(1),
    )
}

fn fit_aspect(rgb: RgbImage, options: &FixOptions, changes: &mut Vec<Change>) -> RgbImage {
    let (w, h) = rgb.dimensions();
    let (cw, ch) = target_canvas(w, h, options.aspect_fix);
    if (cw, ch) == (w, h) {
        return rgb;
    }
    let from = spec::format_ratio(spec::aspect(w, h));
    let to = spec::format_ratio(spec::aspect(cw, ch));
    match options.aspect_fix {
        AspectFix::Pad => {
            let mut canvas = RgbImage::from_pixel(cw, ch, Rgb(options.pad_colour.0));
            image::imageops::overlay(
                &mut canvas,
                &rgb,
                i64::from((cw - w) / 2),
                i64::from((ch - h) / 2),
            );
            changes.push(Change::Padded {
                from,
                to,
                colour: options.pad_colour.to_string(),
            });
            canvas
        }
        AspectFix::Crop => {
            let cropped =
                image::imageops::crop_imm(&rgb, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
            changes.push(Change::Cropped { from, to });
            cropped
        }
    }
}

/// Scale to `width`, keeping the ratio; when the feed range applies, the rounded height is
/// nudged back into it.
fn scale_to_width(rgb: &RgbImage, width: u32, enforce_feed_aspect: bool) -> RgbImage {
    let (w, h) = rgb.dimensions();
    let width = width.max(1);
    let mut height =
        ((u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w.max(1))).max(1);
    if enforce_feed_aspect {
        let (lo, hi) = (
            (100 * u64::from(width)).div_ceil(191),
            (5 * u64::from(width)) / 4,
        );
        height = height.clamp(lo, hi.max(lo));
    }
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    image::imageops::resize(rgb, width, height, FilterType::Lanczos3)
}

fn encode_within(
    mut rgb: RgbImage,
    options: &FixOptions,
    enforce_feed_aspect: bool,
    mut changes: Vec<Change>,
) -> Result<FixedImage, FixError> {
    for _ in 0..MAX_SHRINK_ROUNDS {
        for quality in QUALITIES {
            let bytes = encode_jpeg(&rgb, quality)?;
            if bytes.len() as u64 <= options.max_bytes {
                if quality != QUALITIES[0] {
                    changes.push(Change::Compressed { quality });
                }
                return Ok(FixedImage {
                    bytes,
                    width: rgb.width(),
                    height: rgb.height(),
                    changes,
                });
            }
        }
        let from_width = rgb.width();
        let to_width = (from_width * 4 / 5).max(1);
        if to_width == from_width {
            break;
        }
        rgb = scale_to_width(&rgb, to_width, enforce_feed_aspect);
        changes.push(Change::Scaled {
            from_width,
            to_width,
        });
    }
    Err(FixError::CannotFitSize {
        max_bytes: options.max_bytes,
        width: rgb.width(),
    })
}

fn encode_jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, FixError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(rgb)
        .map_err(FixError::Encode)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_reaches_the_nearest_allowed_ratio_exactly() {
        let (w, h) = target_canvas(3000, 1000, AspectFix::Pad);
        assert_eq!((w, h), (3000, 1571));
        assert!(spec::within_feed_aspect(w, h));
        let (w, h) = target_canvas(1000, 4000, AspectFix::Pad);
        assert_eq!((w, h), (3200, 4000));
        assert!(spec::within_feed_aspect(w, h));
    }

    #[test]
    fn cropping_keeps_the_short_side_and_lands_in_range() {
        let (w, h) = target_canvas(3000, 1000, AspectFix::Crop);
        assert_eq!((w, h), (1910, 1000));
        let (w, h) = target_canvas(1000, 4000, AspectFix::Crop);
        assert_eq!((w, h), (1000, 1250));
        assert!(spec::within_feed_aspect(w, h));
    }

    #[test]
    fn an_allowed_ratio_is_left_alone() {
        assert_eq!(target_canvas(1080, 1080, AspectFix::Pad), (1080, 1080));
        assert_eq!(target_canvas(1080, 1350, AspectFix::Crop), (1080, 1350));
    }

    #[test]
    fn scaling_a_borderline_ratio_stays_within_the_feed_range() {
        for (w, h) in [(3001, 1572), (1999, 1047), (4000, 5000), (1441, 1801)] {
            let image = RgbImage::new(w, h);
            let scaled = scale_to_width(&image, 1440, true);
            assert!(
                spec::within_feed_aspect(scaled.width(), scaled.height()),
                "{w}x{h} -> {:?}",
                scaled.dimensions()
            );
        }
    }

    #[test]
    fn pad_colours_parse_only_as_six_hex_digits() {
        assert_eq!(
            PadColour::parse("#ff8000").unwrap(),
            PadColour([0xff, 0x80, 0])
        );
        assert_eq!(PadColour::parse("000000").unwrap().to_string(), "#000000");
        assert!(PadColour::parse("#fff").is_err());
        assert!(PadColour::parse("#gg0000").is_err());
    }

    #[test]
    fn change_descriptions_read_as_plain_words() {
        let padded = Change::Padded {
            from: "3.00:1".into(),
            to: "1.91:1".into(),
            colour: "#ffffff".into(),
        };
        assert_eq!(padded.to_string(), "padded 3.00:1 to 1.91:1 with #ffffff");
        assert_eq!(
            Change::Scaled {
                from_width: 4000,
                to_width: 1440
            }
            .to_string(),
            "scaled 4000→1440 px wide"
        );
        assert_eq!(
            Change::Converted { from: "PNG".into() }.to_string(),
            "converted PNG to JPEG"
        );
    }
}
