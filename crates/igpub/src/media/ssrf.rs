//! The address guard: igpub only fetches URLs that Meta's crawler could fetch too, and never
//! lets a user's URL reach into igpub's own network (server-side request forgery).
//!
//! A URL passes when it is http or https, ASCII only, carries no credentials, and its host
//! resolves only to public addresses. The caller then connects to exactly the addresses that
//! were vetted, so a second DNS answer (rebinding) cannot swap them.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use futures::future::BoxFuture;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use url::{Host, Url};

/// Why an address is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonPublic {
    /// 127.0.0.0/8, ::1
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fec0::/10
    Private,
    /// 169.254.169.254, the cloud metadata service
    CloudMetadata,
    /// 169.254/16, fe80::/10
    LinkLocal,
    /// 100.64/10, carrier-grade NAT
    SharedCgnat,
    /// fc00::/7
    UniqueLocal,
    /// 224/4, ff00::/8
    Multicast,
    /// 0.0.0.0/8, ::
    Unspecified,
    /// 255.255.255.255
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32
    Documentation,
    /// 198.18/15
    Benchmarking,
    /// Every other special-purpose or unallocated range (240/4, 192.0.0/24, 2001::/23, …)
    Reserved,
}

impl fmt::Display for NonPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NonPublic::Loopback => "a loopback address",
            NonPublic::Private => "a private-network address",
            NonPublic::CloudMetadata => "the cloud metadata address",
            NonPublic::LinkLocal => "a link-local address",
            NonPublic::SharedCgnat => "a carrier-grade NAT address",
            NonPublic::UniqueLocal => "a unique-local IPv6 address",
            NonPublic::Multicast => "a multicast address",
            NonPublic::Unspecified => "an unspecified address",
            NonPublic::Broadcast => "the broadcast address",
            NonPublic::Documentation => "a documentation address",
            NonPublic::Benchmarking => "a benchmarking address",
            NonPublic::Reserved => "a reserved address",
        })
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

/// IANA's IPv4 special-purpose registry, most specific first (the metadata address sits
/// inside link-local, the broadcast address inside 240/4).
const V4_RANGES: &[(Ipv4Net, NonPublic)] = &[
    (v4(169, 254, 169, 254, 32), NonPublic::CloudMetadata),
    (v4(255, 255, 255, 255, 32), NonPublic::Broadcast),
    (v4(0, 0, 0, 0, 8), NonPublic::Unspecified),
    (v4(10, 0, 0, 0, 8), NonPublic::Private),
    (v4(100, 64, 0, 0, 10), NonPublic::SharedCgnat),
    (v4(127, 0, 0, 0, 8), NonPublic::Loopback),
    (v4(169, 254, 0, 0, 16), NonPublic::LinkLocal),
    (v4(172, 16, 0, 0, 12), NonPublic::Private),
    (v4(192, 0, 0, 0, 24), NonPublic::Reserved),
    (v4(192, 0, 2, 0, 24), NonPublic::Documentation),
    (v4(192, 88, 99, 0, 24), NonPublic::Reserved),
    (v4(192, 168, 0, 0, 16), NonPublic::Private),
    (v4(198, 18, 0, 0, 15), NonPublic::Benchmarking),
    (v4(198, 51, 100, 0, 24), NonPublic::Documentation),
    (v4(203, 0, 113, 0, 24), NonPublic::Documentation),
    (v4(224, 0, 0, 0, 4), NonPublic::Multicast),
    (v4(240, 0, 0, 0, 4), NonPublic::Reserved),
];

const fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

const V6_RANGES: &[(Ipv6Net, NonPublic)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), NonPublic::Unspecified),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), NonPublic::Loopback),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), NonPublic::LinkLocal),
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), NonPublic::Private),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), NonPublic::UniqueLocal),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), NonPublic::Multicast),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        NonPublic::Documentation,
    ),
    // IETF protocol assignments, Teredo among them: the real peer is hidden behind it.
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), NonPublic::Reserved),
    // 6to4 wraps an IPv4 address we would have to trust blindly.
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), NonPublic::Reserved),
];

/// NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
const NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
/// Only 2000::/3 is allocated as global unicast; the rest of the IPv6 space is not reachable.
const GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Classify an address: `None` when it is on the public internet.
pub fn classify(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<NonPublic> {
    V4_RANGES
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, why)| *why)
}

fn classify_v6(ip: Ipv6Addr) -> Option<NonPublic> {
    // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 host in disguise.
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return classify_v4(mapped);
    }
    if NAT64.contains(&ip) {
        let [.., a, b, c, d] = ip.octets();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    if let Some((_, why)) = V6_RANGES.iter().find(|(net, _)| net.contains(&ip)) {
        return Some(*why);
    }
    (!GLOBAL_UNICAST.contains(&ip)).then_some(NonPublic::Reserved)
}

/// Which hosts the guard lets through.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// Let private hosts through (local development, the demo). The pre-flight still warns,
    /// since Meta's crawler could not fetch them in production.
    pub allow_private_hosts: bool,
    /// Networks treated as public although they are not, e.g. a loopback alias standing in for
    /// a public host in a test. Empty in production.
    pub trusted_networks: Vec<IpNet>,
}

impl AddressPolicy {
    /// The reason `ip` is not public, unless a trusted network covers it.
    pub fn non_public_reason(&self, ip: IpAddr) -> Option<NonPublic> {
        let canonical = canonical_ip(ip);
        if self
            .trusted_networks
            .iter()
            .any(|net| net.contains(&canonical) || net.contains(&ip))
        {
            return None;
        }
        classify(ip)
    }
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Resolves a host name to addresses. The default asks the system; tests pass a
/// [`StaticResolver`] so they never depend on this machine's DNS.
pub trait Resolver: Send + Sync {
    /// All the addresses `host` resolves to.
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>>;
}

/// Resolution through the operating system (tokio's `lookup_host`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A fixed table of names to addresses, for tests and the demo; unknown names do not resolve.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    names: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the addresses of `name`.
    pub fn with(mut self, name: &str, addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        self.names
            .insert(name.to_ascii_lowercase(), addrs.into_iter().collect());
        self
    }
}

impl Resolver for StaticResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        let found = self.names.get(&host.to_ascii_lowercase()).cloned();
        Box::pin(async move {
            found.ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, "name not in the static resolver")
            })
        })
    }
}

/// Why a URL is refused before anything is sent to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// Non-ASCII characters; Meta's crawler fails on them (graph-api.md §10).
    #[error("the URL contains non-ASCII characters; Meta's crawler only fetches ASCII URLs")]
    NotAscii,
    /// Not a URL at all.
    #[error("not a valid URL: {reason}")]
    Invalid {
        /// The parser's reason.
        reason: String,
    },
    /// A scheme other than http or https.
    #[error("the scheme {scheme:?} is not fetched; only http and https are")]
    UnsupportedScheme {
        /// The scheme found.
        scheme: String,
    },
    /// `user:password@` in the URL; Meta's crawler sends no credentials.
    #[error("the URL carries credentials; Meta's crawler fetches without any login")]
    Credentials,
    /// No host to connect to.
    #[error("the URL has no host")]
    NoHost,
    /// The name does not resolve.
    #[error("the host {host} does not resolve: {reason}")]
    Unresolvable {
        /// The host name.
        host: String,
        /// The resolver's reason.
        reason: String,
    },
    /// The host is or resolves to a non-public address.
    #[error("the host {host} resolves to {ip}, {why}, which Meta's crawler cannot reach")]
    NotPublic {
        /// The host as written.
        host: String,
        /// The offending address.
        ip: IpAddr,
        /// Which kind of address it is.
        why: NonPublic,
    },
}

/// A URL that passed the guard, with the addresses to connect to.
#[derive(Debug, Clone)]
pub struct VettedUrl {
    /// The parsed URL.
    pub url: Url,
    /// The host name, when the URL names one (not an IP literal).
    pub domain: Option<String>,
    /// Every address the host resolved to; connect only to these.
    pub addrs: Vec<SocketAddr>,
    /// Set when a non-public address was let through by `allow_private_hosts`.
    pub private: Option<(IpAddr, NonPublic)>,
}

/// Check the shape of a URL (scheme, ASCII, no credentials) without resolving it.
pub fn parse_fetchable_url(raw: &str) -> Result<Url, UrlRefusal> {
    if !raw.is_ascii() {
        return Err(UrlRefusal::NotAscii);
    }
    let url = Url::parse(raw).map_err(|e| UrlRefusal::Invalid {
        reason: e.to_string(),
    })?;
    check_url_shape(&url)?;
    Ok(url)
}

fn check_url_shape(url: &Url) -> Result<(), UrlRefusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRefusal::UnsupportedScheme {
            scheme: url.scheme().to_owned(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    Ok(())
}

/// Resolve the URL's host and refuse it unless every address is public (or allowed by
/// `policy`). Any single non-public answer refuses the host: an attacker controls which
/// answer a client would pick.
pub async fn vet_url(
    url: &Url,
    policy: &AddressPolicy,
    resolver: &dyn Resolver,
) -> Result<VettedUrl, UrlRefusal> {
    check_url_shape(url)?;
    let port = url.port_or_known_default().ok_or(UrlRefusal::NoHost)?;
    let (domain, ips) = match url.host() {
        None => return Err(UrlRefusal::NoHost),
        Some(Host::Ipv4(ip)) => (None, vec![IpAddr::V4(ip)]),
        Some(Host::Ipv6(ip)) => (None, vec![IpAddr::V6(ip)]),
        Some(Host::Domain(name)) => {
            let ips = resolver
                .resolve(name)
                .await
                .map_err(|e| UrlRefusal::Unresolvable {
                    host: name.to_owned(),
                    reason: e.to_string(),
                })?;
            if ips.is_empty() {
                return Err(UrlRefusal::Unresolvable {
                    host: name.to_owned(),
                    reason: "no addresses".into(),
                });
            }
            (Some(name.to_owned()), ips)
        }
    };
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut private = None;
    for ip in &ips {
        if let Some(why) = policy.non_public_reason(*ip) {
            if !policy.allow_private_hosts {
                return Err(UrlRefusal::NotPublic { host, ip: *ip, why });
            }
            private.get_or_insert((*ip, why));
        }
    }
    let addrs = ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    Ok(VettedUrl {
        url: url.clone(),
        domain,
        addrs,
        private,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_special_purpose_range_is_classified_as_not_public() {
        let cases = [
            ("127.0.0.1", NonPublic::Loopback),
            ("10.0.0.1", NonPublic::Private),
            ("172.31.255.255", NonPublic::Private),
            ("192.168.1.1", NonPublic::Private),
            ("169.254.169.254", NonPublic::CloudMetadata),
            ("169.254.1.1", NonPublic::LinkLocal),
            ("100.64.0.1", NonPublic::SharedCgnat),
            ("224.0.0.1", NonPublic::Multicast),
            ("0.0.0.0", NonPublic::Unspecified),
            ("255.255.255.255", NonPublic::Broadcast),
            ("192.0.2.10", NonPublic::Documentation),
            ("198.51.100.1", NonPublic::Documentation),
            ("203.0.113.9", NonPublic::Documentation),
            ("198.18.0.1", NonPublic::Benchmarking),
            ("240.0.0.1", NonPublic::Reserved),
            ("::1", NonPublic::Loopback),
            ("::", NonPublic::Unspecified),
            ("fe80::1", NonPublic::LinkLocal),
            ("fd00::1", NonPublic::UniqueLocal),
            ("fd00:ec2::254", NonPublic::UniqueLocal),
            ("ff02::1", NonPublic::Multicast),
            ("2001:db8::1", NonPublic::Documentation),
            ("::ffff:127.0.0.1", NonPublic::Loopback),
            ("::ffff:169.254.169.254", NonPublic::CloudMetadata),
            ("64:ff9b::a00:1", NonPublic::Private),
            ("2002:a00:1::1", NonPublic::Reserved),
            ("4000::1", NonPublic::Reserved),
        ];
        for (addr, want) in cases {
            assert_eq!(classify(ip(addr)), Some(want), "{addr}");
        }
    }

    #[test]
    fn public_addresses_are_not_classified() {
        for addr in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert_eq!(classify(ip(addr)), None, "{addr}");
        }
    }

    #[test]
    fn non_ascii_urls_are_refused_before_parsing() {
        assert_eq!(
            parse_fetchable_url("https://exämple.com/a.jpg"),
            Err(UrlRefusal::NotAscii)
        );
        assert_eq!(
            parse_fetchable_url("https://example.com/ä.jpg"),
            Err(UrlRefusal::NotAscii)
        );
    }

    #[test]
    fn only_http_and_https_without_credentials_are_fetchable() {
        assert!(matches!(
            parse_fetchable_url("file:///etc/passwd"),
            Err(UrlRefusal::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            parse_fetchable_url("ftp://example.com/a.jpg"),
            Err(UrlRefusal::UnsupportedScheme { .. })
        ));
        assert_eq!(
            parse_fetchable_url("https://u:p@example.com/a.jpg"),
            Err(UrlRefusal::Credentials)
        );
        assert!(parse_fetchable_url("https://example.com/a.jpg").is_ok());
    }

    #[tokio::test]
    async fn a_name_with_one_private_answer_among_public_ones_is_refused() {
        let resolver =
            StaticResolver::new().with("mixed.test", [ip("93.184.216.34"), ip("10.1.2.3")]);
        let url = Url::parse("https://mixed.test/a.jpg").unwrap();
        let err = vet_url(&url, &AddressPolicy::default(), &resolver)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                UrlRefusal::NotPublic {
                    why: NonPublic::Private,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn allowing_private_hosts_lets_them_through_but_remembers_why() {
        let resolver = StaticResolver::new();
        let url = Url::parse("http://127.0.0.1:8080/a.jpg").unwrap();
        let policy = AddressPolicy {
            allow_private_hosts: true,
            ..Default::default()
        };
        let vetted = vet_url(&url, &policy, &resolver).await.unwrap();
        assert_eq!(vetted.private, Some((ip("127.0.0.1"), NonPublic::Loopback)));
        assert_eq!(
            vetted.addrs,
            vec!["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
    }

    #[tokio::test]
    async fn a_trusted_network_counts_as_public() {
        let policy = AddressPolicy {
            trusted_networks: vec!["127.0.0.2/32".parse().unwrap()],
            ..Default::default()
        };
        let resolver = StaticResolver::new().with("public.test", [ip("127.0.0.2")]);
        let url = Url::parse("http://public.test/a.jpg").unwrap();
        let vetted = vet_url(&url, &policy, &resolver).await.unwrap();
        assert_eq!(vetted.private, None);
        let url = Url::parse("http://127.0.0.1/a.jpg").unwrap();
        assert!(vet_url(&url, &policy, &resolver).await.is_err());
    }
}

#[cfg(test)]
mod properties {
    use std::net::{IpAddr, Ipv4Addr};

    use proptest::prelude::*;

    use super::classify;

    proptest! {
        #[test]
        fn an_ipv4_mapped_ipv6_address_is_judged_like_its_ipv4_host(raw in any::<u32>()) {
            let v4 = Ipv4Addr::from(raw);
            prop_assert_eq!(classify(IpAddr::V6(v4.to_ipv6_mapped())), classify(IpAddr::V4(v4)));
        }

        #[test]
        fn every_rfc1918_address_is_private(a in any::<u16>(), b in 0u8..16) {
            let [hi, lo] = a.to_be_bytes();
            for ip in [Ipv4Addr::new(10, hi, lo, b), Ipv4Addr::new(172, 16 + b, hi, lo), Ipv4Addr::new(192, 168, hi, lo)] {
                prop_assert_eq!(classify(IpAddr::V4(ip)), Some(super::NonPublic::Private), "{}", ip);
            }
        }
    }
}
