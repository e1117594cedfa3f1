//! The image rules (graph-api.md §2.3 and §2.2 "JPEG is the only image format supported"),
//! applied to the first bytes of an image and the size the server reported.

use imagesize::ImageType;

use super::report::{Findings, MediaFacts, MediaRole, Rule};
use crate::media::spec;

/// What the first bytes of a would-be image are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SniffedFormat {
    /// A baseline or progressive JPEG, the only format Instagram takes.
    Jpeg,
    /// JPEG-based, but an extended format Instagram refuses (§2.2: MPO, JPS).
    ExtendedJpeg(&'static str),
    /// Another image format (PNG, WebP, GIF, HEIC, …).
    OtherImage(String),
    /// An MP4/MOV video where an image is expected.
    Video,
    /// Not recognised.
    Unknown,
}

impl SniffedFormat {
    /// The name shown to users.
    pub fn label(&self) -> String {
        match self {
            SniffedFormat::Jpeg => "JPEG".into(),
            SniffedFormat::ExtendedJpeg(name) => (*name).into(),
            SniffedFormat::OtherImage(name) => name.clone(),
            SniffedFormat::Video => "MP4".into(),
            SniffedFormat::Unknown => "unknown".into(),
        }
    }
}

/// Identify the format from the first bytes.
pub fn sniff(bytes: &[u8]) -> SniffedFormat {
    // imagesize calls every `ftyp` file HEIF; the major brand tells video from still image.
    if looks_like_mp4(bytes) {
        return SniffedFormat::Video;
    }
    match imagesize::image_type(bytes) {
        Ok(ImageType::Jpeg) => match extended_jpeg_kind(bytes) {
            Some(kind) => SniffedFormat::ExtendedJpeg(kind),
            None => SniffedFormat::Jpeg,
        },
        Ok(ImageType::Heif(compression)) => SniffedFormat::OtherImage(
            match compression {
                imagesize::Compression::Av1 => "AVIF",
                imagesize::Compression::Hevc => "HEIC",
                _ => "HEIF",
            }
            .into(),
        ),
        Ok(other) => SniffedFormat::OtherImage(image_type_label(other)),
        Err(_) => SniffedFormat::Unknown,
    }
}

fn image_type_label(kind: ImageType) -> String {
    match kind {
        ImageType::Png => "PNG".into(),
        ImageType::Webp => "WebP".into(),
        ImageType::Gif => "GIF".into(),
        ImageType::Bmp => "BMP".into(),
        ImageType::Tiff => "TIFF".into(),
        ImageType::Jxl => "JPEG XL".into(),
        ImageType::Ico => "ICO".into(),
        ImageType::Psd => "PSD".into(),
        other => format!("{other:?}").to_uppercase(),
    }
}

/// Major brands of HEIF still images (HEIC, AVIF…), which share MP4's `ftyp` box.
const HEIF_BRANDS: [&[u8]; 11] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1", b"avif",
    b"avis",
];

/// An MP4/MOV file: `ftyp` with a video major brand, or a QuickTime file starting with a
/// bare top-level box.
pub(crate) fn looks_like_mp4(bytes: &[u8]) -> bool {
    match bytes.get(4..8) {
        Some(b"ftyp") => bytes
            .get(8..12)
            .is_some_and(|brand| !HEIF_BRANDS.contains(&brand)),
        Some(b"moov" | b"mdat" | b"wide") => true,
        _ => false,
    }
}

/// MPO (APP2 "MPF") and JPS (APP3 "_JPSJPS_") are JPEG files Instagram refuses (§2.2).
fn extended_jpeg_kind(bytes: &[u8]) -> Option<&'static str> {
    let mut pos = 2usize; // after SOI
    for _ in 0..64 {
        let marker = bytes.get(pos..pos + 2)?;
        if marker.first() != Some(&0xFF) {
            return None;
        }
        let kind = *marker.get(1)?;
        // Start of scan: no more metadata segments.
        if kind == 0xDA {
            return None;
        }
        let len = usize::from(u16::from_be_bytes(
            bytes.get(pos + 2..pos + 4)?.try_into().ok()?,
        ));
        let payload = bytes.get(pos + 4..(pos + 2 + len).min(bytes.len()))?;
        if kind == 0xE2 && payload.starts_with(b"MPF\0") {
            return Some("MPO");
        }
        if kind == 0xE3 && payload.starts_with(b"_JPSJPS_") {
            return Some("JPS");
        }
        pos = pos.checked_add(2 + len)?;
    }
    None
}

/// Apply the image rules to `body` (the first bytes) and `facts.size`.
pub(crate) fn check_image(
    body: &[u8],
    complete: bool,
    role: MediaRole,
    facts: &mut MediaFacts,
    findings: &mut Findings,
) {
    let format = sniff(body);
    facts.format = Some(format.label());
    check_format(&format, facts.content_type.as_deref(), findings);
    check_file_size(facts.size, findings);
    if format == SniffedFormat::Video {
        return;
    }
    match imagesize::blob_size(body) {
        Ok(size) => {
            let (Ok(width), Ok(height)) = (u32::try_from(size.width), u32::try_from(size.height)) else {
                findings.error(Rule::AspectRatio, None, "the image dimensions are out of range");
                return;
            };
            facts.width = Some(width);
            facts.height = Some(height);
            check_dimensions(width, height, role, findings);
        }
        Err(_) if complete => findings.error(
            Rule::AspectRatio,
            None,
            "the image dimensions cannot be read; Meta refuses unreadable images with an aspect-ratio error (36003/2207009)",
        ),
        Err(_) => findings.warning(
            Rule::AspectRatio,
            None,
            format!("the image dimensions are not in the first {} bytes, so the aspect ratio is unchecked", body.len()),
        ),
    }
}

fn check_format(format: &SniffedFormat, content_type: Option<&str>, findings: &mut Findings) {
    // graph-api.md §2.2 (JPEG only; MPO and JPS refused) and §6.3 36001/2207005.
    let label = format.label();
    match format {
        SniffedFormat::Jpeg => {
            let declared = content_type.map(mime_essence);
            if declared.as_deref().is_some_and(|d| d != "image/jpeg" && d != "image/jpg") {
                findings.warning(
                    Rule::ContentType,
                    content_type.map(str::to_owned),
                    format!("the server calls this JPEG {:?}; image/jpeg is what Meta expects", content_type.unwrap_or_default()),
                );
            }
        }
        SniffedFormat::ExtendedJpeg(_) | SniffedFormat::OtherImage(_) => findings.error(
            Rule::ImageFormat,
            Some(label.clone()),
            format!("{label} is not accepted; Instagram takes JPEG only (36001/2207005)"),
        ),
        SniffedFormat::Video => findings.error(
            Rule::ImageFormat,
            Some(label),
            "an MP4 video is not accepted as an image; Instagram takes JPEG only (36001/2207005)",
        ),
        SniffedFormat::Unknown => findings.error(
            Rule::ImageFormat,
            content_type.map(str::to_owned),
            format!(
                "the answer is not an image (Content-Type {:?}); Instagram takes JPEG only (36001/2207005)",
                content_type.unwrap_or("none")
            ),
        ),
    }
}

fn check_file_size(size: Option<u64>, findings: &mut Findings) {
    match size {
        // graph-api.md §2.3 and §6.3 36000/2207004.
        Some(size) if size > spec::MAX_IMAGE_BYTES => findings.error(
            Rule::ImageFileSize,
            Some(size.to_string()),
            format!(
                "the image is {} but Instagram takes at most 8 MiB (36000/2207004)",
                human_bytes(size)
            ),
        ),
        Some(_) => {}
        None => findings.warning(
            Rule::ImageFileSize,
            None,
            "the server does not say how large the image is, so the 8 MiB limit is unchecked",
        ),
    }
}

fn check_dimensions(width: u32, height: u32, role: MediaRole, findings: &mut Findings) {
    let ratio = spec::aspect(width, height);
    let shown = spec::format_ratio(ratio);
    match role {
        MediaRole::FeedImage | MediaRole::CarouselImage => {
            // graph-api.md §2.3 and §6.3 36003/2207009.
            if !spec::within_feed_aspect(width, height) {
                findings.error(
                    Rule::AspectRatio,
                    Some(shown.clone()),
                    format!(
                        "aspect ratio {shown} ({width}×{height}) is outside 4:5 (0.80:1) to 1.91:1 (36003/2207009)"
                    ),
                );
            }
        }
        MediaRole::StoryImage | MediaRole::ReelCover => {
            if (ratio - spec::RECOMMENDED_VERTICAL_ASPECT).abs()
                > spec::RECOMMENDED_ASPECT_TOLERANCE
            {
                findings.warning(
                    Rule::RecommendedAspectRatio,
                    Some(shown.clone()),
                    format!("aspect ratio {shown} ({width}×{height}) is not the recommended 9:16; Meta will crop it"),
                );
            }
        }
        MediaRole::CarouselVideo | MediaRole::StoryVideo | MediaRole::Reel => {}
    }
    if !(spec::MIN_IMAGE_WIDTH..=spec::MAX_IMAGE_WIDTH).contains(&width) {
        findings.warning(
            Rule::ImageWidth,
            Some(width.to_string()),
            format!("the image is {width} px wide; Meta rescales widths outside 320–1440 px"),
        );
    }
}

/// `image/jpeg; charset=…` → `image/jpeg`.
pub(crate) fn mime_essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// `9437184` → `9.0 MiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mpo_app2_segment_marks_an_extended_jpeg() {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE2, 0x00, 0x08];
        bytes.extend_from_slice(b"MPF\0\0\0");
        bytes.extend_from_slice(&[0xFF, 0xDA]);
        assert_eq!(extended_jpeg_kind(&bytes), Some("MPO"));
    }

    #[test]
    fn jpeg_segment_walking_survives_truncated_and_hostile_input() {
        for bytes in [
            vec![0xFF, 0xD8],
            vec![0xFF, 0xD8, 0xFF],
            vec![0xFF, 0xD8, 0xFF, 0xE2, 0xFF, 0xFF],
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xE0, 0x00, 0x00],
            vec![0xFF, 0xD8, 0x00, 0x00],
        ] {
            assert_eq!(extended_jpeg_kind(&bytes), None);
        }
    }

    #[test]
    fn gif_and_heic_are_named_as_the_formats_they_are() {
        assert_eq!(
            sniff(b"GIF89a\x01\x00\x01\x00\x00\x00\x00"),
            SniffedFormat::OtherImage("GIF".into())
        );
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert!(
            matches!(sniff(heic), SniffedFormat::OtherImage(name) if name.starts_with("HEI")),
            "{:?}",
            sniff(heic)
        );
    }

    #[test]
    fn an_mp4_header_is_recognised_as_video_not_as_an_image() {
        let mut bytes = vec![0, 0, 0, 24];
        bytes.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
        assert_eq!(sniff(&bytes), SniffedFormat::Video);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn prefixed(magic: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(move |tail| [magic, &tail].concat())
    }

    proptest! {
        /// Every image parser the check runs on fetched bytes survives hostile input.
        #[test]
        fn any_bytes_are_sniffed_and_measured_without_panicking(
            bytes in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..512),
                prefixed(&[0xFF, 0xD8, 0xFF]),
                prefixed(b"\x89PNG\r\n\x1a\n"),
                prefixed(b"RIFF\0\0\0\0WEBP"),
                prefixed(b"\0\0\0\x18ftypheic"),
            ]
        ) {
            let _ = sniff(&bytes);
            let _ = imagesize::blob_size(&bytes);
        }
    }
}
