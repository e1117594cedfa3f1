//! The address guard with private hosts refused, as in production: nothing is ever sent to a
//! loopback, private, link-local or metadata address, directly or through a redirect or a
//! DNS name. Names resolve through a test resolver, never this machine's DNS.

use std::net::IpAddr;
use std::sync::Arc;

use igpub::media::preflight::{MediaRole, Preflight, PreflightConfig, Rule, Severity};
use igpub::media::ssrf::StaticResolver;

use super::support::{Mode, TestServer, check, errors, jpeg, strict_preflight};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[tokio::test]
async fn loopback_private_metadata_and_ipv6_loopback_literals_are_refused() {
    let server = TestServer::start().await;
    let on_loopback = server.file("/a.jpg", "image/jpeg", jpeg(1080, 1080));
    let preflight = strict_preflight(StaticResolver::new());
    let cases = [
        (on_loopback.clone(), "127.0.0.1", "a loopback address"),
        (
            "http://10.0.0.1/a.jpg".to_owned(),
            "10.0.0.1",
            "a private-network address",
        ),
        (
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "169.254.169.254",
            "the cloud metadata address",
        ),
        (
            format!("http://[::1]:{}/a.jpg", server.addr.port()),
            "::1",
            "a loopback address",
        ),
        (
            "http://[::ffff:127.0.0.1]/a.jpg".to_owned(),
            "::ffff:127.0.0.1",
            "a loopback address",
        ),
        (
            "http://100.64.1.1/a.jpg".to_owned(),
            "100.64.1.1",
            "a carrier-grade NAT address",
        ),
    ];
    for (url, address, kind) in cases {
        let report = check(&preflight, 1, &url, MediaRole::FeedImage).await;
        assert_eq!(errors(&report), vec![Rule::PublicHost], "{url}");
        let problem = &report.problems[0];
        assert_eq!(problem.measured.as_deref(), Some(address), "{url}");
        assert!(problem.message.contains(kind), "{}", problem.message);
        assert!(
            problem
                .message
                .ends_with("which Meta's crawler cannot reach (9004/2207052)"),
            "{}",
            problem.message
        );
    }
    assert!(
        server.seen().is_empty(),
        "a refused URL must never be fetched: {:?}",
        server.seen()
    );
}

#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_is_refused_before_connecting() {
    let server = TestServer::start().await;
    server.file("/a.jpg", "image/jpeg", jpeg(1080, 1080));
    let resolver = StaticResolver::new()
        .with("intranet.test", [ip("10.0.0.1")])
        .with("sneaky.test", [ip("127.0.0.1")])
        .with("half.test", [ip("93.184.216.34"), ip("192.168.0.10")]);
    let preflight = strict_preflight(resolver);
    for host in ["intranet.test", "sneaky.test", "half.test"] {
        let url = format!("http://{host}:{}/a.jpg", server.addr.port());
        let report = check(&preflight, 1, &url, MediaRole::FeedImage).await;
        assert_eq!(errors(&report), vec![Rule::PublicHost], "{host}");
        assert!(
            report.problems[0]
                .message
                .contains(&format!("the host {host} resolves to")),
            "{}",
            report.problems[0].message
        );
    }
    assert!(server.seen().is_empty());
}

/// `public.test` resolves to 127.0.0.2, which this test's policy trusts as if it were public;
/// its redirects then lead to addresses that are not.
#[tokio::test]
async fn a_redirect_from_a_public_host_to_a_private_one_is_refused() {
    let public = TestServer::start_on(ip("127.0.0.2")).await;
    let private = TestServer::start().await;
    private.file("/secret.jpg", "image/jpeg", jpeg(1080, 1080));
    let port = public.addr.port();
    public.route(
        "/to-loopback.jpg",
        "text/plain",
        "",
        Mode::Redirect(private.url("/secret.jpg")),
    );
    public.route(
        "/to-metadata",
        "text/plain",
        "",
        Mode::Redirect("http://metadata.test/latest/meta-data/".into()),
    );
    public.route(
        "/to-ipv6",
        "text/plain",
        "",
        Mode::Redirect(format!("http://[::1]:{}/secret.jpg", private.addr.port())),
    );
    public.file("/fine.jpg", "image/jpeg", jpeg(1080, 1080));
    let resolver = StaticResolver::new()
        .with("public.test", [ip("127.0.0.2")])
        .with("metadata.test", [ip("169.254.169.254")]);
    let preflight = Preflight::new(
        PreflightConfig {
            trusted_networks: vec!["127.0.0.2/32".parse().unwrap()],
            ..PreflightConfig::default()
        },
        Arc::new(resolver),
    );

    // The trusted host itself is fetched like any public host: no warning, no error.
    let fine = format!("http://public.test:{port}/fine.jpg");
    let report = check(&preflight, 1, &fine, MediaRole::FeedImage).await;
    assert!(
        report.problems.iter().all(|p| p.rule != Rule::PublicHost),
        "{:#?}",
        report.problems
    );

    for (path, kind) in [
        ("/to-loopback.jpg", "a loopback address"),
        ("/to-metadata", "the cloud metadata address"),
        ("/to-ipv6", "a loopback address"),
    ] {
        let url = format!("http://public.test:{port}{path}");
        let report = check(&preflight, 1, &url, MediaRole::FeedImage).await;
        assert_eq!(errors(&report), vec![Rule::PublicHost], "{path}");
        let message = &report.problems[0].message;
        assert!(
            message.contains(&format!("a redirect from {url} leads to")),
            "{message}"
        );
        assert!(message.contains(kind), "{message}");
    }
    assert!(
        private.seen().is_empty(),
        "the private server was reached: {:?}",
        private.seen()
    );
}

#[tokio::test]
async fn allowing_private_hosts_fetches_them_with_a_production_warning() {
    let server = TestServer::start().await;
    let url = server.file("/a.jpg", "image/jpeg", jpeg(1080, 1080));
    let report = check(
        &super::support::local_preflight(),
        1,
        &url,
        MediaRole::FeedImage,
    )
    .await;
    assert!(!report.has_errors());
    let warning = report.problem(Rule::PublicHost).unwrap();
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning.message.contains(
            "127.0.0.1, a loopback address: allowed here, but Meta could not fetch it in production"
        ),
        "{}",
        warning.message
    );
}

#[tokio::test]
async fn urls_meta_cannot_fetch_are_refused_by_shape() {
    let preflight = strict_preflight(StaticResolver::new());
    for url in [
        "https://exämple.com/a.jpg",
        "ftp://example.com/a.jpg",
        "https://user:pw@example.com/a.jpg",
        "not a url",
        "file:///etc/passwd",
    ] {
        let report = check(&preflight, 1, url, MediaRole::FeedImage).await;
        assert_eq!(errors(&report), vec![Rule::UrlShape], "{url}");
    }
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_a_fetch_error() {
    let preflight = strict_preflight(StaticResolver::new());
    let report = check(
        &preflight,
        1,
        "https://nowhere.test/a.jpg",
        MediaRole::FeedImage,
    )
    .await;
    assert_eq!(errors(&report), vec![Rule::Fetch]);
    assert!(report.problems[0].message.contains("does not resolve"));
}
