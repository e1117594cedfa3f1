//! Video rules (graph-api.md §2.3), checked against MP4 files built byte by byte.

use igpub::media::preflight::{MediaRole, Rule};

use super::mp4_builder::{Mp4Spec, build_mp4};
use super::support::{Mode, TestServer, check, errors, jpeg, local_preflight, warnings};

async fn check_video(spec: &Mp4Spec, role: MediaRole) -> igpub::media::preflight::ItemReport {
    let server = TestServer::start().await;
    let url = server.file("/v.mp4", "video/mp4", build_mp4(spec));
    check(&local_preflight(), 1, &url, role).await
}

#[tokio::test]
async fn a_faststart_h264_aac_reel_passes_and_its_facts_are_measured() {
    let report = check_video(&Mp4Spec::default(), MediaRole::Reel).await;
    assert_eq!(errors(&report), vec![], "{:#?}", report.problems);
    assert_eq!(warnings(&report), vec![]);
    let facts = &report.facts;
    assert_eq!(facts.format.as_deref(), Some("MP4"));
    assert_eq!(facts.duration_secs, Some(10.0));
    assert_eq!(facts.video_codec.as_deref(), Some("avc1"));
    assert_eq!(facts.audio_codec.as_deref(), Some("mp4a"));
    assert_eq!((facts.width, facts.height), (Some(1080), Some(1920)));
    assert!((facts.frame_rate.unwrap() - 30.0).abs() < 0.01);
}

#[tokio::test]
async fn reels_and_carousel_videos_last_3_s_to_15_min() {
    for role in [MediaRole::Reel, MediaRole::CarouselVideo] {
        for (ms, passes) in [
            (2_900, false),
            (3_000, true),
            (900_000, true),
            (900_100, false),
        ] {
            let report = check_video(
                &Mp4Spec {
                    duration_ms: ms,
                    mdat_bytes: 16,
                    ..Mp4Spec::default()
                },
                role,
            )
            .await;
            let expected = if passes {
                vec![]
            } else {
                vec![Rule::VideoDuration]
            };
            assert_eq!(errors(&report), expected, "{role:?} {ms} ms");
        }
    }
    let report = check_video(
        &Mp4Spec {
            duration_ms: 2_000,
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    let problem = report.problem(Rule::VideoDuration).unwrap();
    assert_eq!(problem.measured.as_deref(), Some("2.00 s"));
    assert!(
        problem.message.contains("reels must last 3 s to 15 min"),
        "{}",
        problem.message
    );
}

#[tokio::test]
async fn story_videos_last_3_to_60_s() {
    for (ms, passes) in [(2_000, false), (60_000, true), (61_000, false)] {
        let report = check_video(
            &Mp4Spec {
                duration_ms: ms,
                ..Mp4Spec::default()
            },
            MediaRole::StoryVideo,
        )
        .await;
        let expected = if passes {
            vec![]
        } else {
            vec![Rule::VideoDuration]
        };
        assert_eq!(errors(&report), expected, "{ms} ms");
    }
}

#[tokio::test]
async fn reels_take_at_most_300_mb_and_story_videos_100_mb() {
    let server = TestServer::start().await;
    let preflight = local_preflight();
    let bytes = build_mp4(&Mp4Spec::default());
    let cases = [
        (MediaRole::Reel, 300_000_000, true),
        (MediaRole::Reel, 300_000_001, false),
        (MediaRole::StoryVideo, 100_000_000, true),
        (MediaRole::StoryVideo, 100_000_001, false),
    ];
    for (role, size, passes) in cases {
        let url = server.route(
            &format!("/{size}.mp4"),
            "video/mp4",
            bytes.clone(),
            Mode::Ranged {
                claimed_total: Some(size),
            },
        );
        let report = check(&preflight, 1, &url, role).await;
        let expected = if passes {
            vec![]
        } else {
            vec![Rule::VideoFileSize]
        };
        assert_eq!(errors(&report), expected, "{role:?} {size}");
    }
}

#[tokio::test]
async fn h264_and_hevc_with_aac_pass_and_other_codecs_are_refused() {
    for codec in [*b"avc1", *b"avc3", *b"hvc1", *b"hev1"] {
        let report = check_video(
            &Mp4Spec {
                video_codec: codec,
                ..Mp4Spec::default()
            },
            MediaRole::Reel,
        )
        .await;
        assert_eq!(
            errors(&report),
            vec![],
            "{}",
            String::from_utf8_lossy(&codec)
        );
    }
    let report = check_video(
        &Mp4Spec {
            video_codec: *b"vp09",
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::VideoCodec]);
    assert_eq!(
        report
            .problem(Rule::VideoCodec)
            .unwrap()
            .measured
            .as_deref(),
        Some("vp09")
    );
    let report = check_video(
        &Mp4Spec {
            audio_codec: Some(*b"Opus"),
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::AudioCodec]);
    // A silent video has no audio track, and that is fine.
    let report = check_video(
        &Mp4Spec {
            audio_codec: None,
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(Rule::VideoCodec.meta_error(), Some((352, 2207026)));
}

#[tokio::test]
async fn audio_above_48_khz_gets_a_warning() {
    let report = check_video(
        &Mp4Spec {
            audio_sample_rate: 96_000,
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(warnings(&report), vec![Rule::AudioSampleRate]);
}

#[tokio::test]
async fn frame_rates_outside_23_to_60_fps_get_a_warning() {
    for (fps, warned) in [(15, true), (23, false), (60, false), (120, true)] {
        let report = check_video(
            &Mp4Spec {
                fps,
                ..Mp4Spec::default()
            },
            MediaRole::Reel,
        )
        .await;
        assert_eq!(errors(&report), vec![], "{fps}");
        let expected = if warned {
            vec![Rule::FrameRate]
        } else {
            vec![]
        };
        assert_eq!(warnings(&report), expected, "{fps}");
    }
}

#[tokio::test]
async fn moov_after_mdat_is_refused_yet_the_rest_is_still_read_from_a_range() {
    let spec = Mp4Spec {
        moov_first: false,
        mdat_bytes: 64 * 1024,
        ..Mp4Spec::default()
    };
    let server = TestServer::start().await;
    let url = server.file("/late.mp4", "video/mp4", build_mp4(&spec));
    let preflight = igpub::media::preflight::Preflight::new(
        igpub::media::preflight::PreflightConfig {
            allow_private_hosts: true,
            video_probe_bytes: 16 * 1024,
            ..Default::default()
        },
        std::sync::Arc::new(igpub::media::ssrf::StaticResolver::new()),
    );
    let report = check(&preflight, 1, &url, MediaRole::Reel).await;
    assert_eq!(errors(&report), vec![Rule::MoovAtFront]);
    assert_eq!(report.facts.duration_secs, Some(10.0));
    assert_eq!(report.facts.video_codec.as_deref(), Some("avc1"));
    let ranges: Vec<String> = server
        .seen()
        .iter()
        .filter(|s| s.path == "/late.mp4")
        .map(|s| s.headers.get("range").unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert!(
        ranges[1].starts_with(&format!("bytes={}-", 32 + 8 + 64 * 1024)),
        "{ranges:?}"
    );
}

#[tokio::test]
async fn a_large_moov_beyond_the_first_bytes_is_fetched_by_range() {
    let spec = Mp4Spec::default();
    let server = TestServer::start().await;
    let url = server.file("/big-moov.mp4", "video/mp4", build_mp4(&spec));
    let preflight = igpub::media::preflight::Preflight::new(
        igpub::media::preflight::PreflightConfig {
            allow_private_hosts: true,
            video_probe_bytes: 100,
            ..Default::default()
        },
        std::sync::Arc::new(igpub::media::ssrf::StaticResolver::new()),
    );
    let report = check(&preflight, 1, &url, MediaRole::Reel).await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(report.facts.audio_codec.as_deref(), Some("mp4a"));
}

#[tokio::test]
async fn edit_lists_and_widths_over_1920_get_warnings() {
    let report = check_video(
        &Mp4Spec {
            edit_list: true,
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(warnings(&report), vec![Rule::EditList]);
    let report = check_video(
        &Mp4Spec {
            width: 3840,
            height: 2160,
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(warnings(&report), vec![Rule::VideoWidth]);
}

#[tokio::test]
async fn video_aspect_ratios_follow_each_roles_bounds() {
    // 20:1 is outside both; 0.05:1 fits reels (0.01–10) but not stories (0.1–10).
    let report = check_video(
        &Mp4Spec {
            width: 1920,
            height: 96,
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::VideoAspectRatio]);
    let thin = Mp4Spec {
        width: 100,
        height: 2000,
        ..Mp4Spec::default()
    };
    assert_eq!(errors(&check_video(&thin, MediaRole::Reel).await), vec![]);
    assert_eq!(
        errors(&check_video(&thin, MediaRole::StoryVideo).await),
        vec![Rule::VideoAspectRatio]
    );
}

#[tokio::test]
async fn a_quicktime_mov_is_accepted() {
    let report = check_video(
        &Mp4Spec {
            brand: *b"qt  ",
            ..Mp4Spec::default()
        },
        MediaRole::Reel,
    )
    .await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(report.facts.format.as_deref(), Some("MOV"));
}

#[tokio::test]
async fn an_image_given_as_a_video_is_refused_as_the_wrong_container() {
    let server = TestServer::start().await;
    let url = server.file("/still.jpg", "image/jpeg", jpeg(1080, 1920));
    let report = check(&local_preflight(), 5, &url, MediaRole::Reel).await;
    assert_eq!(errors(&report), vec![Rule::VideoContainer]);
    let problem = report.problem(Rule::VideoContainer).unwrap();
    assert_eq!(
        problem.message,
        format!(
            "item 5 ({url}): a JPEG image is not a video; reels must be MP4 or MOV (352/2207026)"
        )
    );
}
