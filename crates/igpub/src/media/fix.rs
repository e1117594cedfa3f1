//! Auto-fix: turn an image Meta would refuse into one it takes (graph-api.md §2.3): JPEG,
//! within 4:5–1.91:1 for feed and carousel images, at most 1440 px wide, at most 8 MiB.
//!
//! Colour: the output JPEG carries no ICC profile, so viewers (and Meta) read it as sRGB. When
//! an input that needs fixing embeds an RGB or grey ICC profile that is not sRGB (Display P3
//! from phones, Adobe RGB from cameras), its pixels are converted to sRGB with qcms, perceptual
//! intent, before anything else; colours outside sRGB clip to its gamut. A profile that cannot
//! be read or applied is ignored, the pixels taken as sRGB, and the change list says so. An
//! input that passes as it is keeps its bytes, profile included.

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use image::imageops::FilterType;
use image::{
    DynamicImage, GrayAlphaImage, GrayImage, ImageDecoder, ImageReader, Limits, Rgb, RgbImage,
    RgbaImage,
};
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
/// Channel levels whose combinations probe whether a profile maps colours as sRGB does.
const SRGB_PROBE_LEVELS: [u8; 9] = [0, 32, 64, 96, 128, 160, 192, 224, 255];
/// Largest per-channel difference (of 255) at which a profile still counts as sRGB: an
/// embedded sRGB profile round-trips within rounding, a real gamut or curve change moves
/// colours much further.
const SRGB_PROBE_TOLERANCE: u8 = 2;
/// Longest profile name carried into the timeline.
const MAX_PROFILE_NAME_CHARS: usize = 64;
/// Name used when the profile has no readable `desc` tag.
const UNNAMED_PROFILE: &str = "embedded ICC profile";

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
    /// Colours converted from the embedded ICC profile's space to sRGB, since the new file
    /// carries no profile.
    ConvertedToSrgb {
        /// The profile's own name, or "embedded ICC profile" when it has none.
        from: String,
    },
    /// An embedded ICC profile that could not be read or applied; the pixels were taken as
    /// sRGB, so colours may look shifted.
    IgnoredColourProfile {
        /// Why the profile was not applied.
        reason: String,
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
            Change::ConvertedToSrgb { from } => write!(f, "converted colours from {from} to sRGB"),
            Change::IgnoredColourProfile { reason } => write!(
                f,
                "ignored the embedded colour profile ({reason}); colours taken as sRGB"
            ),
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
    let Decoded {
        image: decoded,
        rotated,
        profile,
    } = decode(bytes)?;
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
    let decoded = to_srgb(decoded, profile, &mut changes);
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

/// A decoded image, upright, with the colour profile its file embeds.
struct Decoded {
    image: DynamicImage,
    /// Whether an EXIF orientation was applied.
    rotated: bool,
    profile: EmbeddedProfile,
}

/// The ICC profile a file embeds, as far as the decoder could tell.
enum EmbeddedProfile {
    /// None: the pixels are sRGB by convention.
    Absent,
    /// The profile's bytes, not yet parsed.
    Icc(Vec<u8>),
    /// The file has a profile chunk the decoder could not read.
    Unreadable,
}

fn decode(bytes: &[u8]) -> Result<Decoded, FixError> {
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
    // A broken profile chunk costs the colours, not the image.
    let profile = match decoder.icc_profile() {
        Ok(Some(icc)) if !icc.is_empty() => EmbeddedProfile::Icc(icc),
        Ok(_) => EmbeddedProfile::Absent,
        Err(_) => EmbeddedProfile::Unreadable,
    };
    let mut image = DynamicImage::from_decoder(decoder).map_err(FixError::Decode)?;
    let rotated = orientation != image::metadata::Orientation::NoTransforms;
    image.apply_orientation(orientation);
    Ok(Decoded {
        image,
        rotated,
        profile,
    })
}

/// The sRGB profile every conversion ends in, with its output tables precomputed once.
static SRGB: LazyLock<Box<qcms::Profile>> = LazyLock::new(|| {
    let mut srgb = qcms::Profile::new_sRGB();
    srgb.precache_output_transform();
    srgb
});

/// The colour space an ICC profile's header names (bytes 16..20, ICC.1 §7.2.6); qcms does
/// not expose it, and a transform only works on pixels laid out for that space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProfileSpace {
    Rgb,
    Gray,
}

fn profile_space(icc: &[u8]) -> Option<ProfileSpace> {
    match icc.get(16..20)? {
        b"RGB " => Some(ProfileSpace::Rgb),
        b"GRAY" => Some(ProfileSpace::Gray),
        _ => None,
    }
}

/// What the embedded profile means for the pixels.
enum ColourPlan {
    /// The profile maps colours as sRGB does: nothing to convert.
    AlreadySrgb,
    /// Convert from this profile, whose pixels are laid out for `space`.
    Convert {
        input: Box<qcms::Profile>,
        space: ProfileSpace,
    },
    /// The profile cannot be used, for this reason.
    Ignore(&'static str),
}

/// Pixels as sRGB, converted from `profile` when that is something else, noting in `changes`
/// a conversion or an ignored profile.
fn to_srgb(
    image: DynamicImage,
    profile: EmbeddedProfile,
    changes: &mut Vec<Change>,
) -> DynamicImage {
    let icc = match profile {
        EmbeddedProfile::Absent => return image,
        EmbeddedProfile::Unreadable => {
            changes.push(Change::IgnoredColourProfile {
                reason: "the profile chunk cannot be read".to_owned(),
            });
            return image;
        }
        EmbeddedProfile::Icc(icc) => icc,
    };
    // qcms adds some tag offsets unchecked (a panic where overflow checks are on, as in
    // debug builds) and guards others with debug assertions; a hostile profile must not take
    // the upload with it.
    let plan = catch_unwind(AssertUnwindSafe(|| {
        plan_colour(&icc, image.color().has_color())
    }))
    .unwrap_or(ColourPlan::Ignore("the profile cannot be read"));
    let reason = match plan {
        ColourPlan::AlreadySrgb => return image,
        ColourPlan::Ignore(reason) => reason,
        ColourPlan::Convert { input, space } => match convert_pixels(image, &input, space) {
            Ok(converted) => {
                changes.push(Change::ConvertedToSrgb {
                    from: profile_name(&icc).unwrap_or_else(|| UNNAMED_PROFILE.to_owned()),
                });
                return converted;
            }
            Err(image) => {
                changes.push(Change::IgnoredColourProfile {
                    reason: "the colour transform cannot be built".to_owned(),
                });
                return image;
            }
        },
    };
    changes.push(Change::IgnoredColourProfile {
        reason: reason.to_owned(),
    });
    image
}

fn plan_colour(icc: &[u8], image_has_colour: bool) -> ColourPlan {
    let Some(space) = profile_space(icc) else {
        return ColourPlan::Ignore("not an RGB or grey profile");
    };
    if space == ProfileSpace::Gray && image_has_colour {
        return ColourPlan::Ignore("a grey profile on a colour image");
    }
    let Some(input) = qcms::Profile::new_from_slice(icc, false) else {
        return ColourPlan::Ignore("the profile cannot be read");
    };
    match maps_like_srgb(&input, space) {
        Some(true) => ColourPlan::AlreadySrgb,
        Some(false) => ColourPlan::Convert { input, space },
        None => ColourPlan::Ignore("the colour transform cannot be built"),
    }
}

/// Whether `input` sends a grid of colours to (nearly) the same sRGB values; `None` when no
/// transform can be built. qcms only flags the profiles it made itself as sRGB, while files
/// embed sRGB profiles of many vendors, so this asks what the profile does instead.
fn maps_like_srgb(input: &qcms::Profile, space: ProfileSpace) -> Option<bool> {
    let (probe, source_type): (Vec<u8>, _) = match space {
        ProfileSpace::Rgb => (
            SRGB_PROBE_LEVELS
                .iter()
                .flat_map(|&r| {
                    SRGB_PROBE_LEVELS
                        .iter()
                        .flat_map(move |&g| SRGB_PROBE_LEVELS.iter().flat_map(move |&b| [r, g, b]))
                })
                .collect(),
            qcms::DataType::RGB8,
        ),
        ProfileSpace::Gray => ((0..=255).collect(), qcms::DataType::Gray8),
    };
    let transform = qcms::Transform::new_to(
        input,
        &SRGB,
        source_type,
        qcms::DataType::RGB8,
        qcms::Intent::Perceptual,
    )?;
    let mut out = vec![0; probe.len() / source_type.bytes_per_pixel() * 3];
    transform.convert(&probe, &mut out);
    let expected: Vec<u8> = match space {
        ProfileSpace::Rgb => probe,
        ProfileSpace::Gray => probe.iter().flat_map(|&v| [v, v, v]).collect(),
    };
    Some(
        expected
            .iter()
            .zip(&out)
            .all(|(want, got)| want.abs_diff(*got) <= SRGB_PROBE_TOLERANCE),
    )
}

/// The pixels converted from `input` to sRGB as 8-bit RGB(A); the image back, untouched, when
/// qcms cannot build the transform.
fn convert_pixels(
    image: DynamicImage,
    input: &qcms::Profile,
    space: ProfileSpace,
) -> Result<DynamicImage, DynamicImage> {
    use qcms::DataType::{Gray8, GrayA8, RGB8, RGBA8};
    let has_alpha = image.color().has_alpha();
    let (from, to) = match (space, has_alpha) {
        (ProfileSpace::Rgb, false) => (RGB8, RGB8),
        (ProfileSpace::Rgb, true) => (RGBA8, RGBA8),
        (ProfileSpace::Gray, false) => (Gray8, RGB8),
        (ProfileSpace::Gray, true) => (GrayA8, RGBA8),
    };
    let Some(transform) = qcms::Transform::new_to(input, &SRGB, from, to, qcms::Intent::Perceptual)
    else {
        return Err(image);
    };
    let (width, height) = (image.width(), image.height());
    let converted = match (space, has_alpha) {
        (ProfileSpace::Rgb, false) => {
            let mut rgb: RgbImage = image.into_rgb8();
            transform.apply(&mut rgb);
            DynamicImage::ImageRgb8(rgb)
        }
        (ProfileSpace::Rgb, true) => {
            let mut rgba: RgbaImage = image.into_rgba8();
            transform.apply(&mut rgba);
            DynamicImage::ImageRgba8(rgba)
        }
        (ProfileSpace::Gray, false) => {
            let luma: GrayImage = image.into_luma8();
            let mut rgb = RgbImage::new(width, height);
            transform.convert(&luma, &mut rgb);
            DynamicImage::ImageRgb8(rgb)
        }
        (ProfileSpace::Gray, true) => {
            let luma_alpha: GrayAlphaImage = image.into_luma_alpha8();
            let mut rgba = RgbaImage::new(width, height);
            transform.convert(&luma_alpha, &mut rgba);
            DynamicImage::ImageRgba8(rgba)
        }
    };
    Ok(converted)
}

/// The profile's own name from its `desc` tag, for the timeline: ICC v2 `textDescriptionType`
/// or v4 `multiLocalizedUnicodeType` (ICC.1 profileDescriptionTag); qcms does not read it.
fn profile_name(icc: &[u8]) -> Option<String> {
    // The count is the file's word: bounded by the entries that fit, so a lying count
    // cannot spin for billions of rounds.
    let tag_count = usize::try_from(read_be_u32(icc, 128)?)
        .ok()?
        .min(icc.len().saturating_sub(132) / 12);
    let tag = (0..tag_count).find_map(|i| {
        let entry = 132usize.checked_add(i.checked_mul(12)?)?;
        if icc.get(entry..entry.checked_add(4)?)? != b"desc" {
            return None;
        }
        let offset = usize::try_from(read_be_u32(icc, entry + 4)?).ok()?;
        let size = usize::try_from(read_be_u32(icc, entry + 8)?).ok()?;
        icc.get(offset..offset.checked_add(size)?)
    })?;
    let text = match tag.get(0..4)? {
        b"desc" => {
            let length = usize::try_from(read_be_u32(tag, 8)?).ok()?;
            String::from_utf8_lossy(tag.get(12..12usize.checked_add(length)?)?).into_owned()
        }
        b"mluc" => {
            // The first record's text: a name, not a translation, is all the timeline needs.
            let length = usize::try_from(read_be_u32(tag, 20)?).ok()?;
            let offset = usize::try_from(read_be_u32(tag, 24)?).ok()?;
            let utf16: Vec<u16> = tag
                .get(offset..offset.checked_add(length)?)?
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&utf16)
        }
        _ => return None,
    };
    let name: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PROFILE_NAME_CHARS)
        .collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn read_be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(word.try_into().ok()?))
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
    use image::{ImageEncoder, Rgba};

    /// Apple's Display P3 colorants, adapted to the D50 profile connection space.
    const DISPLAY_P3_D50: [[f64; 3]; 3] = [
        [0.515_102, 0.241_196, -0.001_053],
        [0.291_965, 0.692_245, 0.041_884],
        [0.157_153, 0.066_562, 0.784_176],
    ];
    /// sRGB's colorants, adapted to D50 (as in the IEC 61966-2.1 profile).
    const SRGB_D50: [[f64; 3]; 3] = [
        [0.436_066, 0.222_488, 0.013_916],
        [0.385_147, 0.716_873, 0.097_076],
        [0.143_066, 0.060_608, 0.714_096],
    ];
    /// Linear Display P3 to linear sRGB, both D65 (rows give sRGB r, g, b).
    const P3_TO_SRGB: [[f64; 3]; 3] = [
        [1.224_940, -0.224_940, 0.0],
        [-0.042_057, 1.042_057, 0.0],
        [-0.019_638, -0.078_636, 1.098_274],
    ];

    fn s15_fixed16(value: f64) -> [u8; 4] {
        ((value * 65536.0).round() as i32).to_be_bytes()
    }

    fn xyz_tag([x, y, z]: [f64; 3]) -> Vec<u8> {
        [
            b"XYZ ".as_slice(),
            &[0; 4],
            &s15_fixed16(x),
            &s15_fixed16(y),
            &s15_fixed16(z),
        ]
        .concat()
    }

    /// The sRGB tone curve as parametric function 3: g, a, b, c, d.
    fn srgb_curve_tag() -> Vec<u8> {
        let mut curve = [b"para".as_slice(), &[0; 4], &3u16.to_be_bytes(), &[0; 2]].concat();
        for parameter in [2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045] {
            curve.extend_from_slice(&s15_fixed16(parameter));
        }
        curve
    }

    /// An ICC v2 display profile for `space` with a `desc` name and the given tags.
    fn profile(space: &[u8; 4], name: &str, tags: Vec<(&[u8; 4], Vec<u8>)>) -> Vec<u8> {
        let mut desc = [b"desc".as_slice(), &[0; 4]].concat();
        desc.extend_from_slice(&(name.len() as u32 + 1).to_be_bytes());
        desc.extend_from_slice(name.as_bytes());
        desc.push(0);
        let tags: Vec<(&[u8; 4], Vec<u8>)> = [
            vec![(b"desc", desc), (b"wtpt", xyz_tag([0.9642, 1.0, 0.8249]))],
            tags,
        ]
        .concat();
        let mut table = (tags.len() as u32).to_be_bytes().to_vec();
        let mut data = Vec::new();
        let data_start = 128 + 4 + 12 * tags.len();
        for (signature, body) in &tags {
            table.extend_from_slice(*signature);
            table.extend_from_slice(&((data_start + data.len()) as u32).to_be_bytes());
            table.extend_from_slice(&(body.len() as u32).to_be_bytes());
            data.extend_from_slice(body);
            data.resize(data.len().next_multiple_of(4), 0);
        }
        let mut header = vec![0u8; 128];
        let size = (128 + table.len() + data.len()) as u32;
        header[0..4].copy_from_slice(&size.to_be_bytes());
        header[8..12].copy_from_slice(&[2, 0x10, 0, 0]);
        header[12..16].copy_from_slice(b"mntr");
        header[16..20].copy_from_slice(space);
        header[20..24].copy_from_slice(b"XYZ ");
        header[36..40].copy_from_slice(b"acsp");
        header[68..72].copy_from_slice(&s15_fixed16(0.9642));
        header[72..76].copy_from_slice(&s15_fixed16(1.0));
        header[76..80].copy_from_slice(&s15_fixed16(0.8249));
        [header, table, data].concat()
    }

    /// Three colorants and the sRGB tone curve on every channel: the shape of Display P3
    /// and of most embedded sRGB profiles.
    fn matrix_profile(name: &str, colorants: [[f64; 3]; 3]) -> Vec<u8> {
        profile(
            b"RGB ",
            name,
            vec![
                (b"rXYZ", xyz_tag(colorants[0])),
                (b"gXYZ", xyz_tag(colorants[1])),
                (b"bXYZ", xyz_tag(colorants[2])),
                (b"rTRC", srgb_curve_tag()),
                (b"gTRC", srgb_curve_tag()),
                (b"bTRC", srgb_curve_tag()),
            ],
        )
    }

    fn display_p3() -> Vec<u8> {
        matrix_profile("Test Display P3", DISPLAY_P3_D50)
    }

    /// What a Display P3 pixel is in sRGB, worked out in f64 without qcms, clipped to 0–255.
    fn p3_in_srgb(pixel: [u8; 3]) -> [u8; 3] {
        let decode = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let encode = |v: f64| {
            let v = v.clamp(0.0, 1.0);
            let v = if v <= 0.003_130_8 {
                v * 12.92
            } else {
                1.055 * v.powf(1.0 / 2.4) - 0.055
            };
            (v * 255.0).round() as u8
        };
        let linear = pixel.map(decode);
        P3_TO_SRGB.map(|row| encode(row.iter().zip(linear).map(|(m, c)| m * c).sum()))
    }

    fn assert_close(got: [u8; 3], want: [u8; 3], tolerance: u8) {
        assert!(
            got.iter()
                .zip(want)
                .all(|(g, w)| g.abs_diff(w) <= tolerance),
            "got {got:?}, want {want:?} ± {tolerance}"
        );
    }

    /// A row of pixels, one per colour.
    fn strip(colours: &[[u8; 3]]) -> DynamicImage {
        let mut image = RgbImage::new(colours.len() as u32, 1);
        for (x, colour) in colours.iter().enumerate() {
            image.put_pixel(x as u32, 0, Rgb(*colour));
        }
        DynamicImage::ImageRgb8(image)
    }

    const TEST_COLOURS: [[u8; 3]; 4] =
        [[250, 20, 20], [200, 60, 40], [128, 128, 128], [30, 180, 90]];

    #[test]
    fn display_p3_pixels_are_converted_to_srgb_and_saturated_red_clips() {
        let mut changes = Vec::new();
        let image = strip(&TEST_COLOURS);
        let converted = to_srgb(image, EmbeddedProfile::Icc(display_p3()), &mut changes).to_rgb8();
        assert_eq!(
            changes,
            vec![Change::ConvertedToSrgb {
                from: "Test Display P3".into()
            }]
        );
        let pixels: Vec<[u8; 3]> = converted.pixels().map(|p| p.0).collect();
        // Beyond sRGB's gamut: red clips to full, green and blue to nothing.
        assert_close(pixels[0], [255, 0, 0], 1);
        assert_ne!(pixels[0], TEST_COLOURS[0]);
        for (got, colour) in pixels.iter().zip(TEST_COLOURS) {
            assert_close(*got, p3_in_srgb(colour), 3);
        }
        // Neutral grey stays neutral: same white point, same curve.
        assert_close(pixels[2], [128, 128, 128], 1);
        assert!(pixels[1][0] > 210 && pixels[1][1] < 50, "{:?}", pixels[1]);
    }

    #[test]
    fn transparency_survives_the_conversion() {
        let image = DynamicImage::ImageRgba8(RgbaImage::from_pixel(2, 2, Rgba([200, 60, 40, 77])));
        let mut changes = Vec::new();
        let converted = to_srgb(image, EmbeddedProfile::Icc(display_p3()), &mut changes).to_rgba8();
        let [r, g, b, a] = converted.get_pixel(1, 1).0;
        assert_eq!(a, 77);
        assert_close([r, g, b], p3_in_srgb([200, 60, 40]), 3);
    }

    #[test]
    fn an_srgb_profile_or_none_leaves_the_pixels_alone() {
        let srgb = matrix_profile("sRGB IEC61966-2.1", SRGB_D50);
        for profile in [EmbeddedProfile::Icc(srgb), EmbeddedProfile::Absent] {
            let mut changes = Vec::new();
            let image = strip(&TEST_COLOURS);
            let same = to_srgb(image.clone(), profile, &mut changes);
            assert_eq!(same, image);
            assert_eq!(changes, vec![]);
        }
    }

    #[test]
    fn an_unreadable_profile_is_ignored_and_said_so() {
        let mut truncated = display_p3();
        truncated.truncate(150);
        let mut grey_on_colour = display_p3();
        grey_on_colour[16..20].copy_from_slice(b"GRAY");
        let mut cmyk = display_p3();
        cmyk[16..20].copy_from_slice(b"CMYK");
        for (icc, reason) in [
            (truncated, "the profile cannot be read"),
            (
                b"not a profile at all".to_vec(),
                "not an RGB or grey profile",
            ),
            (grey_on_colour, "a grey profile on a colour image"),
            (cmyk, "not an RGB or grey profile"),
        ] {
            let mut changes = Vec::new();
            let image = strip(&TEST_COLOURS);
            let same = to_srgb(image.clone(), EmbeddedProfile::Icc(icc), &mut changes);
            assert_eq!(same, image);
            assert_eq!(
                changes,
                vec![Change::IgnoredColourProfile {
                    reason: reason.into()
                }]
            );
        }
    }

    #[test]
    fn grey_profiles_convert_grey_pixels_to_srgb_grey() {
        let grey = DynamicImage::ImageLuma8(GrayImage::from_pixel(2, 2, image::Luma([128])));
        // A linear (gamma 1) grey profile: an empty `curv` is the identity.
        let linear = profile(
            b"GRAY",
            "Linear Grey",
            vec![(b"kTRC", [b"curv".as_slice(), &[0; 8]].concat())],
        );
        let mut changes = Vec::new();
        let converted = to_srgb(grey.clone(), EmbeddedProfile::Icc(linear), &mut changes);
        // Linear 0.502 is sRGB 188.
        assert_close(converted.to_rgb8().get_pixel(0, 0).0, [188, 188, 188], 2);
        assert_eq!(
            changes,
            vec![Change::ConvertedToSrgb {
                from: "Linear Grey".into()
            }]
        );

        let srgb_grey = profile(b"GRAY", "sRGB Grey", vec![(b"kTRC", srgb_curve_tag())]);
        let mut changes = Vec::new();
        let same = to_srgb(grey.clone(), EmbeddedProfile::Icc(srgb_grey), &mut changes);
        assert_eq!(same, grey);
        assert_eq!(changes, vec![]);
    }

    #[test]
    fn a_profile_that_trips_qcms_is_ignored_not_a_panic() {
        // An `mAB ` lookup table whose A-curve offset overflows when qcms adds the tag's
        // position: a panic under overflow checks, garbage reads without.
        let mut lut = [b"mAB ".as_slice(), &[0; 4], &[3, 3, 0, 0]].concat();
        lut.extend_from_slice(&[0; 16]);
        lut.extend_from_slice(&0xffff_fff0u32.to_be_bytes());
        let hostile = profile(
            b"RGB ",
            "Hostile",
            vec![
                (b"A2B0", lut),
                (b"rXYZ", xyz_tag(DISPLAY_P3_D50[0])),
                (b"gXYZ", xyz_tag(DISPLAY_P3_D50[1])),
                (b"bXYZ", xyz_tag(DISPLAY_P3_D50[2])),
                (b"rTRC", srgb_curve_tag()),
                (b"gTRC", srgb_curve_tag()),
                (b"bTRC", srgb_curve_tag()),
            ],
        );
        let mut changes = Vec::new();
        let image = strip(&TEST_COLOURS);
        let same = to_srgb(image.clone(), EmbeddedProfile::Icc(hostile), &mut changes);
        assert_eq!(same, image);
        assert_eq!(
            changes,
            vec![Change::IgnoredColourProfile {
                reason: "the profile cannot be read".into()
            }]
        );
    }

    fn png(colour: [u8; 3], icc: Option<Vec<u8>>) -> Vec<u8> {
        let image = RgbImage::from_pixel(64, 64, Rgb(colour));
        let mut out = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
        if let Some(icc) = icc {
            encoder.set_icc_profile(icc).unwrap();
        }
        encoder
            .write_image(image.as_raw(), 64, 64, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    fn centre_pixel(jpeg: &[u8]) -> [u8; 3] {
        image::load_from_memory(jpeg)
            .unwrap()
            .to_rgb8()
            .get_pixel(32, 32)
            .0
    }

    #[test]
    fn a_display_p3_png_becomes_an_srgb_jpeg() {
        let colour = [200, 60, 40];
        let fixed = fix_image(
            &png(colour, Some(display_p3())),
            MediaRole::FeedImage,
            &FixOptions::default(),
        )
        .unwrap();
        let words: Vec<String> = fixed.changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            vec![
                "converted PNG to JPEG",
                "converted colours from Test Display P3 to sRGB"
            ]
        );
        assert_close(centre_pixel(&fixed.bytes), p3_in_srgb(colour), 5);

        let plain = fix_image(
            &png(colour, None),
            MediaRole::FeedImage,
            &FixOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plain.changes,
            vec![Change::Converted { from: "PNG".into() }]
        );
        assert_close(centre_pixel(&plain.bytes), colour, 3);
    }

    #[test]
    fn profile_names_come_from_v2_and_v4_desc_tags() {
        assert_eq!(
            profile_name(&display_p3()).as_deref(),
            Some("Test Display P3")
        );
        // A v4 `mluc` name, swapped into the v2 profile's desc tag slot.
        let mut v4 = display_p3();
        let offset = read_be_u32(&v4, 132 + 4).unwrap() as usize;
        let text: Vec<u8> = "Display P3"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let mut mluc = [
            b"mluc".as_slice(),
            &[0; 4],
            &1u32.to_be_bytes(),
            &12u32.to_be_bytes(),
        ]
        .concat();
        mluc.extend_from_slice(b"enUS");
        mluc.extend_from_slice(&(text.len() as u32).to_be_bytes());
        mluc.extend_from_slice(&28u32.to_be_bytes());
        mluc.extend_from_slice(&text);
        v4.truncate(offset);
        let table_entry = 132 + 8;
        v4[table_entry..table_entry + 4].copy_from_slice(&(mluc.len() as u32).to_be_bytes());
        v4.extend_from_slice(&mluc);
        assert_eq!(profile_name(&v4).as_deref(), Some("Display P3"));
        assert_eq!(profile_name(b"short"), None);
        // A tag count far beyond the file still ends, with no name.
        let mut lying = display_p3();
        lying[128..132].copy_from_slice(&u32::MAX.to_be_bytes());
        lying[132..136].copy_from_slice(b"nope");
        assert_eq!(profile_name(&lying), None);
    }

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
