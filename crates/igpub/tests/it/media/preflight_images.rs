//! Image rules (graph-api.md §2.3), checked against real files served over HTTP.

use igpub::media::preflight::{MediaCheckRequest, MediaRole, Rule, Severity};
use igpub::media::spec::MAX_IMAGE_BYTES;

use super::support::{Mode, TestServer, check, errors, jpeg, local_preflight, png, warnings, webp};

#[tokio::test]
async fn a_jpeg_within_every_rule_passes_with_only_the_loopback_warning() {
    let server = TestServer::start().await;
    let url = server.file("/a.jpg", "image/jpeg", jpeg(1080, 1080));
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    assert!(!report.has_errors(), "{:#?}", report.problems);
    assert_eq!(warnings(&report), vec![]);
    assert_eq!(report.facts.format.as_deref(), Some("JPEG"));
    assert_eq!(
        (report.facts.width, report.facts.height),
        (Some(1080), Some(1080))
    );
    assert_eq!(report.facts.status, Some(206));
    let loopback = report.problem(Rule::PublicHost).unwrap();
    assert_eq!(loopback.severity, Severity::Warning);
    assert!(
        loopback
            .message
            .contains("Meta could not fetch it in production"),
        "{}",
        loopback.message
    );
}

#[tokio::test]
async fn a_png_is_refused_with_a_message_naming_the_item_its_url_and_the_rule() {
    let server = TestServer::start().await;
    let url = server.file("/b.png", "image/png", png(1080, 1080));
    let report = check(&local_preflight(), 2, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![Rule::ImageFormat]);
    let problem = report.problem(Rule::ImageFormat).unwrap();
    assert_eq!(
        problem.message,
        format!("item 2 ({url}): PNG is not accepted; Instagram takes JPEG only (36001/2207005)")
    );
    assert_eq!(problem.measured.as_deref(), Some("PNG"));
    assert_eq!(Rule::ImageFormat.meta_error(), Some((36001, 2207005)));
}

#[tokio::test]
async fn webp_and_an_mp4_given_as_an_image_are_refused_as_not_jpeg() {
    let server = TestServer::start().await;
    let webp_url = server.file("/c.webp", "image/webp", webp(800, 800));
    let mp4_url = server.file(
        "/d.mp4",
        "video/mp4",
        super::mp4_builder::build_mp4(&Default::default()),
    );
    let preflight = local_preflight();
    let report = check(&preflight, 1, &webp_url, MediaRole::CarouselImage).await;
    assert_eq!(
        report
            .problem(Rule::ImageFormat)
            .unwrap()
            .measured
            .as_deref(),
        Some("WebP")
    );
    let report = check(&preflight, 1, &mp4_url, MediaRole::FeedImage).await;
    let problem = report.problem(Rule::ImageFormat).unwrap();
    assert_eq!(problem.severity, Severity::Error);
    assert!(
        problem
            .message
            .contains("an MP4 video is not accepted as an image"),
        "{}",
        problem.message
    );
}

#[tokio::test]
async fn html_instead_of_an_image_is_refused() {
    let server = TestServer::start().await;
    let url = server.file(
        "/login",
        "text/html",
        "<html><body>Please log in</body></html>",
    );
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    let problem = report.problem(Rule::ImageFormat).unwrap();
    assert!(
        problem.message.contains("\"text/html\""),
        "{}",
        problem.message
    );
}

#[tokio::test]
async fn an_image_over_8_mib_is_refused_and_one_of_exactly_8_mib_passes() {
    let server = TestServer::start().await;
    let over = server.route(
        "/big.jpg",
        "image/jpeg",
        jpeg(1080, 1080),
        Mode::Ranged {
            claimed_total: Some(MAX_IMAGE_BYTES + 1),
        },
    );
    let exact = server.route(
        "/max.jpg",
        "image/jpeg",
        jpeg(1080, 1080),
        Mode::Ranged {
            claimed_total: Some(MAX_IMAGE_BYTES),
        },
    );
    let preflight = local_preflight();
    let report = check(&preflight, 1, &over, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![Rule::ImageFileSize]);
    assert_eq!(report.facts.size, Some(MAX_IMAGE_BYTES + 1));
    assert!(
        report
            .problem(Rule::ImageFileSize)
            .unwrap()
            .message
            .contains("8.0 MiB")
    );
    let report = check(&preflight, 1, &exact, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![]);
}

#[tokio::test]
async fn feed_and_carousel_images_must_lie_between_4_5_and_1_91_1() {
    let server = TestServer::start().await;
    let preflight = local_preflight();
    let cases = [
        ((1500, 500), false, "3.00:1"),
        ((1910, 1000), true, ""),
        ((800, 1000), true, ""),
        ((790, 1000), false, "0.79:1"),
    ];
    for role in [MediaRole::FeedImage, MediaRole::CarouselImage] {
        for ((w, h), passes, measured) in cases {
            let url = server.file(&format!("/{w}x{h}.jpg"), "image/jpeg", jpeg(w, h));
            let report = check(&preflight, 3, &url, role).await;
            if passes {
                assert_eq!(errors(&report), vec![], "{w}x{h}");
            } else {
                assert_eq!(errors(&report), vec![Rule::AspectRatio], "{w}x{h}");
                let problem = report.problem(Rule::AspectRatio).unwrap();
                assert_eq!(problem.measured.as_deref(), Some(measured));
                assert!(
                    problem
                        .message
                        .contains(&format!("aspect ratio {measured} ({w}×{h})")),
                    "{}",
                    problem.message
                );
                assert!(problem.message.starts_with(&format!("item 3 ({url})")));
            }
        }
    }
}

#[tokio::test]
async fn story_images_and_reel_covers_get_a_warning_unless_9_16() {
    let server = TestServer::start().await;
    let square = server.file("/square.jpg", "image/jpeg", jpeg(1080, 1080));
    let vertical = server.file("/vertical.jpg", "image/jpeg", jpeg(1080, 1920));
    let preflight = local_preflight();
    for role in [MediaRole::StoryImage, MediaRole::ReelCover] {
        let report = check(&preflight, 1, &square, role).await;
        assert_eq!(errors(&report), vec![], "{role:?}");
        assert_eq!(
            warnings(&report),
            vec![Rule::RecommendedAspectRatio],
            "{role:?}"
        );
        let report = check(&preflight, 1, &vertical, role).await;
        assert_eq!(warnings(&report), vec![], "{role:?}");
    }
}

#[tokio::test]
async fn a_reel_cover_is_checked_like_a_jpeg_image() {
    let server = TestServer::start().await;
    let url = server.file("/cover.png", "image/png", png(1080, 1920));
    let report = check(&local_preflight(), 4, &url, MediaRole::ReelCover).await;
    assert_eq!(errors(&report), vec![Rule::ImageFormat]);
    assert!(
        report.problems[0]
            .message
            .starts_with(&format!("item 4 cover ({url}): PNG is not accepted"))
    );
}

#[tokio::test]
async fn widths_under_320_or_over_1440_get_a_rescaling_warning() {
    let server = TestServer::start().await;
    let preflight = local_preflight();
    for (w, h, warned) in [
        (300, 300, true),
        (320, 320, false),
        (1440, 1440, false),
        (1600, 1600, true),
    ] {
        let url = server.file(&format!("/w{w}.jpg"), "image/jpeg", jpeg(w, h));
        let report = check(&preflight, 1, &url, MediaRole::FeedImage).await;
        assert_eq!(errors(&report), vec![], "{w}");
        let expected = if warned {
            vec![Rule::ImageWidth]
        } else {
            vec![]
        };
        assert_eq!(warnings(&report), expected, "{w}");
    }
}

#[tokio::test]
async fn a_server_that_ignores_ranges_is_read_only_up_to_the_probe_size() {
    let server = TestServer::start().await;
    let url = server.route(
        "/full.jpg",
        "image/jpeg",
        jpeg(1200, 1000),
        Mode::IgnoreRange,
    );
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(report.facts.status, Some(200));
    assert!(report.facts.size.is_some());
}

#[tokio::test]
async fn an_unknown_size_is_a_warning_not_an_error() {
    let server = TestServer::start().await;
    let url = server.route(
        "/chunked.jpg",
        "image/jpeg",
        jpeg(1080, 1080),
        Mode::Chunked,
    );
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(warnings(&report), vec![Rule::ImageFileSize]);
}

#[tokio::test]
async fn a_jpeg_served_with_another_content_type_gets_a_warning() {
    let server = TestServer::start().await;
    let url = server.file("/octet.jpg", "application/octet-stream", jpeg(1080, 1080));
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(warnings(&report), vec![Rule::ContentType]);
}

#[tokio::test]
async fn the_fetch_looks_like_metas_crawler() {
    let server = TestServer::start().await;
    let url = server.file("/a.jpg", "image/jpeg", jpeg(1080, 1080));
    check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    let seen = server.seen();
    let fetch = seen.iter().find(|s| s.path == "/a.jpg").unwrap();
    assert_eq!(
        fetch.headers.get("user-agent").unwrap(),
        "facebookexternalhit/1.1"
    );
    assert!(fetch.headers.get("cookie").is_none());
    assert!(fetch.headers.get("authorization").is_none());
    assert_eq!(
        fetch.headers.get("range").unwrap(),
        &format!("bytes=0-{}", 512 * 1024 - 1)
    );
    // robots.txt was asked for, through the same crawler.
    let robots = seen.iter().find(|s| s.path == "/robots.txt").unwrap();
    assert_eq!(
        robots.headers.get("user-agent").unwrap(),
        "facebookexternalhit/1.1"
    );
}

#[tokio::test]
async fn a_robots_txt_that_disallows_facebookexternalhit_is_a_warning() {
    let server = TestServer::start().await;
    server.route(
        "/robots.txt",
        "text/plain",
        "User-agent: facebookexternalhit\nDisallow: /private/\n",
        Mode::IgnoreRange,
    );
    let blocked = server.file("/private/a.jpg", "image/jpeg", jpeg(1080, 1080));
    let open = server.file("/public/a.jpg", "image/jpeg", jpeg(1080, 1080));
    let preflight = local_preflight();
    let report = check(&preflight, 1, &blocked, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![]);
    assert_eq!(warnings(&report), vec![Rule::RobotsTxt]);
    let report = check(&preflight, 1, &open, MediaRole::FeedImage).await;
    assert_eq!(warnings(&report), vec![]);
}

#[tokio::test]
async fn an_answer_behind_a_login_or_missing_is_refused() {
    let server = TestServer::start().await;
    let forbidden = server.route("/forbidden.jpg", "image/jpeg", "", Mode::Status(403));
    let preflight = local_preflight();
    let report = check(&preflight, 1, &forbidden, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![Rule::HttpStatus]);
    assert!(
        report.problems[0].message.contains("behind a login"),
        "{}",
        report.problems[0].message
    );
    let report = check(
        &preflight,
        1,
        &server.url("/missing.jpg"),
        MediaRole::FeedImage,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::HttpStatus]);
    assert_eq!(
        report
            .problem(Rule::HttpStatus)
            .unwrap()
            .measured
            .as_deref(),
        Some("404")
    );
}

#[tokio::test]
async fn a_redirect_is_refused_naming_the_final_url_and_loops_stop_at_the_bound() {
    let server = TestServer::start().await;
    let target = server.file("/final.jpg", "image/jpeg", jpeg(1080, 1080));
    let once = server.route(
        "/once.jpg",
        "text/plain",
        "",
        Mode::Redirect(target.clone()),
    );
    let preflight = local_preflight();
    let report = check(&preflight, 1, &once, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![Rule::Redirects]);
    assert!(
        report.problems[0].message.contains(target.as_str()),
        "{}",
        report.problems[0].message
    );
    assert_eq!(report.facts.final_url.as_deref(), Some(target.as_str()));
    // A loop never ends: the bound stops it.
    server.route(
        "/loop.jpg",
        "text/plain",
        "",
        Mode::Redirect("/loop.jpg".into()),
    );
    let report = check(
        &preflight,
        1,
        &server.url("/loop.jpg"),
        MediaRole::FeedImage,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::Redirects]);
    assert!(
        report.problems[0].message.contains("more than 5 redirects"),
        "{}",
        report.problems[0].message
    );
}

#[tokio::test]
async fn a_post_is_checked_item_by_item_in_order() {
    let server = TestServer::start().await;
    let good = server.file("/1.jpg", "image/jpeg", jpeg(1080, 1080));
    let bad = server.file("/2.png", "image/png", png(1080, 1080));
    let wide = server.file("/3.jpg", "image/jpeg", jpeg(1500, 500));
    let items: Vec<MediaCheckRequest> = [good, bad, wide]
        .into_iter()
        .enumerate()
        .map(|(i, url)| MediaCheckRequest {
            index: i + 1,
            url,
            role: MediaRole::CarouselImage,
        })
        .collect();
    let report = local_preflight().check_post(&items).await;
    assert!(!report.passes());
    let per_item: Vec<Vec<Rule>> = report.items.iter().map(errors).collect();
    assert_eq!(
        per_item,
        vec![vec![], vec![Rule::ImageFormat], vec![Rule::AspectRatio]]
    );
    assert_eq!(
        report.items.iter().map(|i| i.index).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(report.problems_of(Severity::Error).count(), 2);
    // One robots.txt fetch for the whole post, however many items share the host.
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|s| s.path == "/robots.txt")
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_is_cut_off_by_the_timeout() {
    let server = TestServer::start().await;
    let url = server.route("/slow.jpg", "image/jpeg", "", Mode::Hang);
    let preflight = igpub::media::preflight::Preflight::new(
        igpub::media::preflight::PreflightConfig {
            allow_private_hosts: true,
            check_robots_txt: false,
            timeout: std::time::Duration::from_secs(5),
            ..Default::default()
        },
        std::sync::Arc::new(igpub::media::ssrf::StaticResolver::new()),
    );
    let report = check(&preflight, 1, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![Rule::Fetch]);
    assert!(
        report.problems[0].message.contains("within 5s"),
        "{}",
        report.problems[0].message
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_fetch_error_that_says_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/a.jpg");
    let report = check(&local_preflight(), 1, &url, MediaRole::FeedImage).await;
    assert_eq!(errors(&report), vec![Rule::Fetch]);
    let message = &report.problem(Rule::Fetch).unwrap().message;
    assert!(
        message.to_lowercase().contains("connection refused"),
        "{message}"
    );
}
