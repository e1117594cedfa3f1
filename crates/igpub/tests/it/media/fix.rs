//! Auto-fix on real images: the output is a JPEG that passes the image checks.

use igpub::media::fix::{AspectFix, Change, FixError, FixOptions, PadColour, fix_image};
use igpub::media::preflight::{MediaRole, SniffedFormat, sniff};
use igpub::media::spec;

use super::support::{
    TestServer, check, errors, jpeg, local_preflight, png, png_with_transparency, webp,
};

fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let size = imagesize::blob_size(bytes).unwrap();
    (size.width as u32, size.height as u32)
}

#[tokio::test]
async fn a_3_to_1_png_becomes_a_1_91_jpeg_that_passes_the_image_checks() {
    let fixed = fix_image(
        &png(1200, 400),
        MediaRole::FeedImage,
        &FixOptions::default(),
    )
    .unwrap();
    assert_eq!(sniff(&fixed.bytes), SniffedFormat::Jpeg);
    assert_eq!(dimensions(&fixed.bytes), (1200, 629));
    assert_eq!((fixed.width, fixed.height), (1200, 629));
    assert!((spec::aspect(fixed.width, fixed.height) - 1.91).abs() < 0.005);
    let words: Vec<String> = fixed.changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        words,
        vec![
            "converted PNG to JPEG",
            "padded 3.00:1 to 1.91:1 with #ffffff"
        ]
    );

    let server = TestServer::start().await;
    let url = server.file("/fixed.jpg", "image/jpeg", fixed.bytes);
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![], "{:#?}", report.problems);
}

#[test]
fn cropping_instead_of_padding_cuts_the_sides_to_1_91() {
    let options = FixOptions {
        aspect_fix: AspectFix::Crop,
        ..FixOptions::default()
    };
    let fixed = fix_image(&jpeg(1200, 400), MediaRole::CarouselImage, &options).unwrap();
    assert_eq!((fixed.width, fixed.height), (764, 400));
    assert!(spec::within_feed_aspect(fixed.width, fixed.height));
    assert_eq!(
        fixed.changes,
        vec![Change::Cropped {
            from: "3.00:1".into(),
            to: "1.91:1".into()
        }]
    );
}

#[test]
fn a_tall_image_is_padded_to_4_5_with_the_chosen_colour() {
    let options = FixOptions {
        pad_colour: PadColour::parse("#000000").unwrap(),
        ..FixOptions::default()
    };
    let fixed = fix_image(&jpeg(400, 1000), MediaRole::FeedImage, &options).unwrap();
    assert_eq!((fixed.width, fixed.height), (800, 1000));
    let decoded = image::load_from_memory(&fixed.bytes).unwrap().to_rgb8();
    let corner = decoded.get_pixel(5, 500).0;
    assert!(
        corner.iter().all(|c| *c < 16),
        "pad should be black, got {corner:?}"
    );
    assert_eq!(
        fixed.changes.last().unwrap().to_string(),
        "padded 0.40:1 to 0.80:1 with #000000"
    );
}

#[test]
fn transparency_is_laid_onto_the_pad_colour() {
    let options = FixOptions {
        pad_colour: PadColour([255, 0, 0]),
        ..FixOptions::default()
    };
    let fixed = fix_image(
        &png_with_transparency(600, 600),
        MediaRole::FeedImage,
        &options,
    )
    .unwrap();
    let decoded = image::load_from_memory(&fixed.bytes).unwrap().to_rgb8();
    let [r, g, b] = decoded.get_pixel(50, 300).0;
    assert!(
        r > 230 && g < 30 && b < 30,
        "transparent area should be red, got {:?}",
        [r, g, b]
    );
    assert!(
        fixed
            .changes
            .iter()
            .any(|c| c.to_string() == "filled transparent areas with #ff0000"),
        "{:?}",
        fixed.changes
    );
}

#[test]
fn webp_is_converted_to_jpeg() {
    let fixed = fix_image(
        &webp(640, 640),
        MediaRole::FeedImage,
        &FixOptions::default(),
    )
    .unwrap();
    assert_eq!(sniff(&fixed.bytes), SniffedFormat::Jpeg);
    assert_eq!(
        fixed.changes,
        vec![Change::Converted {
            from: "WebP".into()
        }]
    );
}

#[test]
fn anything_wider_than_1440_is_scaled_down() {
    let fixed = fix_image(
        &jpeg(4000, 3000),
        MediaRole::FeedImage,
        &FixOptions::default(),
    )
    .unwrap();
    assert_eq!((fixed.width, fixed.height), (1440, 1080));
    assert_eq!(
        fixed.changes,
        vec![Change::Scaled {
            from_width: 4000,
            to_width: 1440
        }]
    );
    assert_eq!(fixed.changes[0].to_string(), "scaled 4000→1440 px wide");
}

#[test]
fn a_wide_and_huge_png_is_padded_then_scaled_and_stays_in_range() {
    let fixed = fix_image(
        &png(3000, 1000),
        MediaRole::FeedImage,
        &FixOptions::default(),
    )
    .unwrap();
    assert_eq!(fixed.width, 1440);
    assert!(
        spec::within_feed_aspect(fixed.width, fixed.height),
        "{}x{}",
        fixed.width,
        fixed.height
    );
    assert_eq!(dimensions(&fixed.bytes), (fixed.width, fixed.height));
}

#[test]
fn a_compliant_jpeg_is_returned_untouched() {
    let original = jpeg(1080, 1350);
    let fixed = fix_image(&original, MediaRole::FeedImage, &FixOptions::default()).unwrap();
    assert!(!fixed.changed());
    assert_eq!(fixed.bytes, original);
}

#[test]
fn story_images_are_converted_but_never_padded() {
    let fixed = fix_image(
        &png(1200, 400),
        MediaRole::StoryImage,
        &FixOptions::default(),
    )
    .unwrap();
    assert_eq!((fixed.width, fixed.height), (1200, 400));
    assert_eq!(
        fixed.changes,
        vec![Change::Converted { from: "PNG".into() }]
    );
}

#[test]
fn an_image_over_the_size_limit_is_recompressed_until_it_fits() {
    // Noise barely compresses: at quality 90 this is far over the 60 KB limit set here.
    let mut state = 0x2545_f491_u32;
    let noise = image::RgbImage::from_fn(400, 400, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut png_bytes = std::io::Cursor::new(Vec::new());
    noise
        .write_to(&mut png_bytes, image::ImageFormat::Png)
        .unwrap();
    let options = FixOptions {
        max_bytes: 60_000,
        ..FixOptions::default()
    };
    let fixed = fix_image(png_bytes.get_ref(), MediaRole::FeedImage, &options).unwrap();
    assert!(fixed.bytes.len() <= 60_000, "{} bytes", fixed.bytes.len());
    assert!(
        fixed
            .changes
            .iter()
            .any(|c| matches!(c, Change::Compressed { .. } | Change::Scaled { .. })),
        "{:?}",
        fixed.changes
    );
}

#[test]
fn videos_and_unknown_files_are_not_fixed() {
    assert!(matches!(
        fix_image(&jpeg(100, 100), MediaRole::Reel, &FixOptions::default()),
        Err(FixError::NotAnImageRole { .. })
    ));
    let err = fix_image(
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
        MediaRole::FeedImage,
        &FixOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, FixError::UnsupportedFormat { ref format } if format == "GIF"),
        "{err:?}"
    );
    let err = fix_image(b"hello", MediaRole::FeedImage, &FixOptions::default()).unwrap_err();
    assert!(matches!(err, FixError::UnsupportedFormat { .. }), "{err:?}");
}

#[test]
fn a_corrupt_png_is_a_decode_error_not_a_panic() {
    let mut bytes = png(64, 64);
    bytes.truncate(60);
    assert!(matches!(
        fix_image(&bytes, MediaRole::FeedImage, &FixOptions::default()),
        Err(FixError::Decode(_))
    ));
}
