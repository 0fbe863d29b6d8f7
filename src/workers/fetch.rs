//! Safe image fetcher: an HTTP(S) GET that is hard to abuse for SSRF.
//!
//! `fetch(url, policy)` downloads one image and refuses anything the policy
//! does not allow. Design decisions:
//!
//! * **URLs.** Only `http` and `https`; userinfo (`user:pw@`) is refused;
//!   any port is allowed. The fragment is dropped (it is never sent). Parsing
//!   uses `http::Uri` (re-exported by ureq), so no extra URL crate.
//! * **Host allow-list** (`allow_hosts`) is checked on the textual host
//!   before any DNS lookup, on the first URL and on every redirect hop.
//!   Entries are exact names (case-insensitive, trailing dot ignored) or
//!   `*.example.com`, which matches any sub-domain at any depth but *not*
//!   `example.com` itself. An empty list allows any host.
//! * **Addresses.** A host is refused when ANY address it resolves to is
//!   non-public ([`classify`]) and not covered by `allow_addresses`
//!   (single addresses or CIDRs; unparsable entries are ignored, which fails
//!   closed; use [`FetchPolicy::check`] to validate settings). Literal-IP
//!   hosts are checked before ureq is even called, so they cause no network
//!   I/O at all. Names are resolved exactly once, inside a custom ureq
//!   [`Resolver`] that wraps ureq's `DefaultResolver` and checks the result;
//!   ureq then connects only to the addresses that resolver returned, so a
//!   DNS-rebinding answer between "check" and "connect" is impossible. The
//!   resolver reports a refusal through a shared slot so that `fetch` can
//!   return a precise [`FetchError::AddressRefused`].
//! * **Proxies** are disabled (`proxy(None)`): the environment must not be
//!   able to route requests around the address check.
//! * **Redirects** are followed by hand (ureq's `max_redirects(0)`,
//!   `http_status_as_error(false)`), only for 301/302/303/307/308, up to
//!   `max_redirects`, resolving relative `Location`s (RFC 3986 §5.2) and
//!   re-checking scheme, userinfo, host list and addresses on every hop.
//!   Other 3xx codes end in [`FetchError::Status`].
//! * **Timeouts.** `connect_timeout` → ureq `timeout_connect`;
//!   `read_timeout` → ureq `timeout_send_request` + `timeout_recv_body`.
//!   ureq measures the current phase's timeout from each I/O call (so
//!   `timeout_recv_body` is a true per-read idle timeout) but measures a
//!   *preceding* phase's timeout from that phase's end; so `timeout_send_request`
//!   bounds the wait for the response headers, and `timeout_recv_response` is
//!   deliberately left unset (it would otherwise cap the whole body download
//!   to `read_timeout`). `total_timeout` is one deadline across all hops,
//!   passed to every request as `timeout_global` = time remaining. Because
//!   ureq applies timeouts only as per-call socket timeouts, a peer that keeps
//!   trickling bytes would never trip them; so the connector chain is
//!   TCP → `DeadlineTransport` → TLS, and that transport refuses every socket
//!   read/write after the deadline and clamps each wait to the time left.
//!   (The chain deliberately has no proxy/SOCKS connectors.)
//! * **Size.** `Content-Length > max_bytes` is refused before reading; the body
//!   reader's limit is set explicitly to `max_bytes + 1` (never ureq's silent
//!   10 MB default), and we read at most `max_bytes + 1` decoded bytes, so
//!   chunked and compressed bodies are capped too.
//! * **Content type.** The media type of `Content-Type` (lower-cased, without
//!   parameters) must be in `content_types`; a missing header is refused.
//! * Requests carry `User-Agent: spine-image-fetch/0.1`, `Accept: image/*` and
//!   `Accept-Encoding: identity`.
//! * No `unwrap`/`expect`/indexing on input: every failure is a [`FetchError`].

use std::fmt;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, NextTimeout, RustlsConnector, TcpConnector, Transport,
};

/// User-Agent sent with every request.
pub const USER_AGENT: &str = "spine-image-fetch/0.1";

/// What a fetch may do. See the module docs for the semantics of each field.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Host names allowed; empty = any host. `"cdn.example.com"` or `"*.example.com"`.
    pub allow_hosts: Vec<String>,
    /// Addresses/CIDRs allowed even though non-public: `"127.0.0.1"`, `"127.0.0.0/8"`, `"::1"`.
    pub allow_addresses: Vec<String>,
    pub connect_timeout: Duration,
    /// Per read (and for the response headers to arrive after the request was sent).
    pub read_timeout: Duration,
    /// Whole request including redirects and body.
    pub total_timeout: Duration,
    pub max_bytes: usize,
    pub max_redirects: u32,
    /// Allowed media types, compared case-insensitively without parameters.
    pub content_types: Vec<String>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allow_hosts: Vec::new(),
            allow_addresses: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_bytes: 20 * 1024 * 1024,
            max_redirects: 5,
            content_types: vec![
                "image/jpeg".to_string(),
                "image/png".to_string(),
                "image/webp".to_string(),
            ],
        }
    }
}

impl FetchPolicy {
    /// Comma-separated setting text → trimmed, non-empty items.
    pub fn parse_list(s: &str) -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Validate the policy's lists (for settings checks). `fetch` itself
    /// ignores unparsable `allow_addresses` entries (fail closed).
    pub fn check(&self) -> Result<(), String> {
        for a in &self.allow_addresses {
            if parse_cidr(a).is_none() {
                return Err(format!("invalid address or CIDR in allow list: {a:?}"));
            }
        }
        for h in &self.allow_hosts {
            let h = h.trim();
            let bare = h.strip_prefix("*.").unwrap_or(h);
            let name_ok = !bare.is_empty()
                && bare
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
            if !name_ok && parse_ip_host(bare).is_none() {
                return Err(format!("invalid host pattern in allow list: {h:?}"));
            }
        }
        if self.max_bytes == 0 {
            return Err("max_bytes must be positive".to_string());
        }
        Ok(())
    }
}

/// A successfully fetched body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub final_url: String,
    pub status: u16,
    /// The media type, lower-cased, without parameters.
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub redirects: u32,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    BadUrl(String),
    HostNotAllowed(String),
    AddressRefused {
        host: String,
        addr: IpAddr,
        why: &'static str,
    },
    Timeout(String),
    TooLarge {
        limit: usize,
    },
    ContentType(String),
    TooManyRedirects(u32),
    Status(u16),
    Io(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::BadUrl(m) => write!(f, "bad URL: {m}"),
            FetchError::HostNotAllowed(h) => {
                write!(f, "host {h} is not in the allowed host list")
            }
            FetchError::AddressRefused { host, addr, why } => {
                write!(f, "address {addr} of host {host} is {why}")
            }
            FetchError::Timeout(m) => write!(f, "timed out: {m}"),
            FetchError::TooLarge { limit } => {
                write!(f, "response body is larger than the limit of {limit} bytes")
            }
            FetchError::ContentType(m) => write!(f, "content type not allowed: {m}"),
            FetchError::TooManyRedirects(n) => write!(f, "too many redirects (limit {n})"),
            FetchError::Status(s) => write!(f, "HTTP status {s}"),
            FetchError::Io(m) => write!(f, "I/O error: {m}"),
        }
    }
}

impl std::error::Error for FetchError {}

impl FetchError {
    /// Worth retrying later: timeouts, I/O errors, HTTP 408/429/5xx.
    pub fn transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Io(_) => true,
            FetchError::Status(s) => *s == 408 || *s == 429 || (500..=599).contains(s),
            _ => false,
        }
    }

    /// Short stable tag.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::BadUrl(_) => "bad_url",
            FetchError::HostNotAllowed(_) => "host_not_allowed",
            FetchError::AddressRefused { .. } => "address_refused",
            FetchError::Timeout(_) => "timeout",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::ContentType(_) => "content_type",
            FetchError::TooManyRedirects(_) => "too_many_redirects",
            FetchError::Status(_) => "http_status",
            FetchError::Io(_) => "io",
        }
    }
}

// ---------------------------------------------------------------------------
// Address classification
// ---------------------------------------------------------------------------

fn v4_in(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const TABLE: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified (0.0.0.0/8)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([10, 0, 0, 0], 8, "private (RFC 1918)"),
        ([172, 16, 0, 0], 12, "private (RFC 1918)"),
        ([192, 168, 0, 0], 16, "private (RFC 1918)"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (RFC 6598)"),
        ([169, 254, 169, 254], 32, "cloud metadata"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([192, 0, 0, 0], 24, "reserved (IETF protocol assignments)"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([255, 255, 255, 255], 32, "broadcast"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved (240.0.0.0/4)"),
    ];
    TABLE
        .iter()
        .find(|(net, p, _)| v4_in(ip, *net, *p))
        .map(|(_, _, why)| *why)
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // ::ffff:a.b.c.d (IPv4-mapped) and ::ffff:0:a.b.c.d (SIIT): embedded IPv4.
    if s[..5] == [0; 5] && s[5] == 0xffff || s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0 {
        return classify_v4(low_v4(ip));
    }
    // ::a.b.c.d (IPv4-compatible, deprecated): embedded IPv4.
    if s[..6] == [0; 6] {
        return classify_v4(low_v4(ip));
    }
    // 64:ff9b::/96 (NAT64 well-known prefix): embedded IPv4.
    if v6_in(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        return classify_v4(low_v4(ip));
    }
    // 2002::/16 (6to4): IPv4 in bits 16..48.
    if s[0] == 0x2002 {
        let [a, b] = s[1].to_be_bytes();
        let [c, d] = s[2].to_be_bytes();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    let table: [(Ipv6Addr, u32, &'static str); 12] = [
        (
            Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
            128,
            "cloud metadata",
        ),
        (
            Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
            48,
            "NAT64 local-use (RFC 8215)",
        ),
        (
            Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
            64,
            "discard-only (RFC 6666)",
        ),
        (
            Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
            32,
            "Teredo tunnel",
        ),
        (
            Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0),
            48,
            "benchmarking",
        ),
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
            32,
            "documentation",
        ),
        (
            Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
            20,
            "documentation",
        ),
        (
            Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
            7,
            "unique-local (fc00::/7)",
        ),
        (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, "link-local"),
        (
            Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
            10,
            "site-local (deprecated)",
        ),
        (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
        // Everything outside global unicast 2000::/3 is unallocated/reserved.
        (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3, ""),
    ];
    for (net, p, why) in table {
        if why.is_empty() {
            // The last row is the inverse check.
            if !v6_in(ip, net, p) {
                return Some("reserved (outside 2000::/3)");
            }
        } else if v6_in(ip, net, p) {
            return Some(why);
        }
    }
    None
}

fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let o = ip.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

/// `None` = public (may be fetched); `Some(reason)` = non-public, with a short
/// human reason such as `"loopback"` or `"private (RFC 1918)"`. IPv6 addresses
/// that embed IPv4 (mapped, compatible, NAT64 64:ff9b::/96, 6to4) are judged by
/// the embedded IPv4 address.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

// ---------------------------------------------------------------------------
// Allow lists
// ---------------------------------------------------------------------------

/// Parse `"1.2.3.4"`, `"10.0.0.0/8"`, `"::1"`, `"[::1]"`, `"fd00::/8"`.
fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a.trim(), Some(p.trim().parse::<u32>().ok()?)),
        None => (s, None),
    };
    let ip = parse_ip_host(addr)?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    if prefix > max {
        return None;
    }
    Some((ip, prefix))
}

/// Parse an IP literal, allowing IPv6 in brackets.
fn parse_ip_host(s: &str) -> Option<IpAddr> {
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok()
}

fn cidr_contains(net: IpAddr, prefix: u32, ip: IpAddr) -> bool {
    match (net, ip.to_canonical()) {
        (IpAddr::V4(n), IpAddr::V4(i)) => v4_in(i, n.octets(), prefix),
        (IpAddr::V6(n), IpAddr::V6(i)) => v6_in(i, n, prefix),
        _ => false,
    }
}

/// The checked address set: `Ok` if `ip` may be connected to.
fn check_addr(host: &str, ip: IpAddr, allowed: &[(IpAddr, u32)]) -> Result<(), FetchError> {
    match classify(ip) {
        None => Ok(()),
        Some(why) => {
            if allowed.iter().any(|(n, p)| cidr_contains(*n, *p, ip)) {
                Ok(())
            } else {
                Err(FetchError::AddressRefused {
                    host: host.to_string(),
                    addr: ip,
                    why,
                })
            }
        }
    }
}

/// Lower-case, strip brackets and a trailing dot.
fn normalize_host(h: &str) -> String {
    let h = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    h.trim_end_matches('.').to_ascii_lowercase()
}

fn host_allowed(host: &str, allow: &[String]) -> bool {
    if allow.is_empty() {
        return true;
    }
    let host = normalize_host(host);
    allow.iter().any(|pat| {
        let pat = pat.trim();
        if let Some(suffix) = pat.strip_prefix("*.") {
            let suffix = normalize_host(suffix);
            !suffix.is_empty()
                && host.len() > suffix.len() + 1
                && host.ends_with(&suffix)
                && host.as_bytes().get(host.len() - suffix.len() - 1) == Some(&b'.')
        } else {
            normalize_host(pat) == host
        }
    })
}

// ---------------------------------------------------------------------------
// Resolver
// ---------------------------------------------------------------------------

/// ureq resolver: resolve once with ureq's default resolver, then refuse if
/// any address is not allowed. The refusal is recorded in `refused` so that
/// `fetch` can report it precisely.
#[derive(Debug)]
struct CheckingResolver {
    allowed: Vec<(IpAddr, u32)>,
    refused: Arc<Mutex<Option<FetchError>>>,
}

impl Resolver for CheckingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        let host = uri.host().map(normalize_host).unwrap_or_default();
        for sa in addrs.iter() {
            if let Err(e) = check_addr(&host, sa.ip(), &self.allowed) {
                let msg = e.to_string();
                if let Ok(mut slot) = self.refused.lock() {
                    *slot = Some(e);
                }
                return Err(ureq::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    msg,
                )));
            }
        }
        Ok(addrs)
    }
}

// ---------------------------------------------------------------------------
// Deadline transport
// ---------------------------------------------------------------------------

/// Connector placed between TCP and TLS that wraps the socket in a
/// [`DeadlineTransport`].
#[derive(Debug)]
struct DeadlineConnector {
    deadline: Instant,
}

impl<In: Transport> Connector<In> for DeadlineConnector {
    type Out = DeadlineTransport<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| DeadlineTransport {
            inner,
            deadline: self.deadline,
        }))
    }
}

/// ureq enforces its timeouts only as socket timeouts, recomputed per I/O
/// call, so a peer that keeps trickling bytes (headers, TLS records or body)
/// never trips `timeout_global`. This wrapper refuses every socket operation
/// once the fetch's deadline has passed and clamps each wait to the time left.
#[derive(Debug)]
struct DeadlineTransport<T> {
    inner: T,
    deadline: Instant,
}

impl<T: Transport> DeadlineTransport<T> {
    fn clamp(&self, timeout: NextTimeout) -> Result<NextTimeout, ureq::Error> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(ureq::Error::Timeout(ureq::Timeout::Global));
        }
        let left = self.deadline - now;
        if timeout.after.is_not_happening() || *timeout.after > left {
            Ok(NextTimeout {
                after: left.into(),
                reason: ureq::Timeout::Global,
            })
        } else {
            Ok(timeout)
        }
    }
}

impl<T: Transport> Transport for DeadlineTransport<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = self.clamp(timeout)?;
        self.inner.transmit_output(amount, timeout)
    }

    /// A read interrupted by a signal (EINTR: PostgreSQL's SIGHUP, SIGUSR1, SIGTERM handlers
    /// only set flags) is tried again, within the deadline; no data was consumed.
    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        loop {
            let t = self.clamp(timeout)?;
            match self.inner.await_input(t) {
                Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn is_open(&mut self) -> bool {
        Instant::now() < self.deadline && self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

// ---------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------

/// A checked absolute URL.
struct Target {
    uri: Uri,
    text: String,
    host: String,
}

fn parse_target(url: &str) -> Result<Target, FetchError> {
    let url = url.trim();
    let url = url.split_once('#').map(|(a, _)| a).unwrap_or(url);
    if url.is_empty() {
        return Err(FetchError::BadUrl("empty URL".to_string()));
    }
    if url.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return Err(FetchError::BadUrl(format!(
            "{url:?} contains whitespace, control characters or backslashes"
        )));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e| FetchError::BadUrl(format!("{url:?}: {e}")))?;
    match uri.scheme_str().map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == "http" || s == "https" => {}
        Some(s) => {
            return Err(FetchError::BadUrl(format!(
                "{url:?}: scheme {s:?} is not allowed (only http and https)"
            )))
        }
        None => {
            return Err(FetchError::BadUrl(format!(
                "{url:?} is not an absolute http(s) URL"
            )))
        }
    }
    let authority = uri
        .authority()
        .ok_or_else(|| FetchError::BadUrl(format!("{url:?} has no host")))?;
    if authority.as_str().contains('@') {
        return Err(FetchError::BadUrl(format!(
            "{url:?}: user information in URLs is not allowed"
        )));
    }
    let auth = authority.as_str();
    let after_host = auth.rfind(']').map(|i| &auth[i..]).unwrap_or(auth);
    let port_text = after_host.split_once(':').map(|(_, p)| p).unwrap_or("");
    if !port_text.is_empty() && authority.port_u16().is_none() {
        return Err(FetchError::BadUrl(format!("{url:?} has an invalid port")));
    }
    let host = normalize_host(authority.host());
    if host.is_empty() {
        return Err(FetchError::BadUrl(format!("{url:?} has no host")));
    }
    Ok(Target {
        uri,
        text: url.to_string(),
        host,
    })
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = path.split('/').collect();
    let n = segs.len();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == n;
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// Resolve a `Location` header value against the current URL.
fn resolve_location(base: &Uri, loc: &str) -> Result<String, FetchError> {
    let loc = loc.trim();
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or("");
    // Absolute: starts with a scheme ("x:" where x is ALPHA *( ALPHA / DIGIT / + - . )).
    if let Some((sch, _)) = loc.split_once(':') {
        let mut chars = sch.chars();
        let first_alpha = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if first_alpha && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return Ok(loc.to_string());
        }
    }
    if let Some(rest) = loc.strip_prefix("//") {
        return Ok(format!("{scheme}://{rest}"));
    }
    let base_path = base.path();
    let base_query = base.query().map(|q| format!("?{q}")).unwrap_or_default();
    if loc.is_empty() || loc.starts_with('#') {
        return Ok(format!("{scheme}://{authority}{base_path}{base_query}"));
    }
    if loc.starts_with('?') {
        return Ok(format!("{scheme}://{authority}{base_path}{loc}"));
    }
    let (lpath, lquery) = match loc.find(['?', '#']) {
        Some(i) => loc.split_at(i),
        None => (loc, ""),
    };
    let merged = if lpath.starts_with('/') {
        lpath.to_string()
    } else {
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..=i],
            None => "/",
        };
        format!("{dir}{lpath}")
    };
    Ok(format!(
        "{scheme}://{authority}{}{lquery}",
        remove_dot_segments(&merged)
    ))
}

// ---------------------------------------------------------------------------
// Fetch
// ---------------------------------------------------------------------------

fn map_ureq_error(
    e: ureq::Error,
    url: &str,
    max_bytes: usize,
    refused: &Arc<Mutex<Option<FetchError>>>,
) -> FetchError {
    if let Ok(mut slot) = refused.lock() {
        if let Some(r) = slot.take() {
            return r;
        }
    }
    match e {
        ureq::Error::Timeout(t) => {
            let what = match t {
                ureq::Timeout::Global | ureq::Timeout::PerCall => {
                    "total time limit reached".to_string()
                }
                ureq::Timeout::Resolve => "resolving the host name".to_string(),
                ureq::Timeout::Connect => "connecting".to_string(),
                ureq::Timeout::SendRequest | ureq::Timeout::RecvResponse => {
                    "waiting for the response headers".to_string()
                }
                ureq::Timeout::RecvBody => "reading the response body".to_string(),
                other => other.to_string(),
            };
            FetchError::Timeout(format!("{url}: {what}"))
        }
        ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge { limit: max_bytes },
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            FetchError::Timeout(format!("{url}: {io}"))
        }
        ureq::Error::BadUri(m) => FetchError::BadUrl(format!("{url}: {m}")),
        ureq::Error::HostNotFound => FetchError::Io(format!("{url}: host not found")),
        other => FetchError::Io(format!("{url}: {other}")),
    }
}

fn media_type(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Fetch `url` under `policy`, following redirects by hand.
pub fn fetch(url: &str, policy: &FetchPolicy) -> Result<Fetched, FetchError> {
    let start = Instant::now();
    let deadline = start + policy.total_timeout;
    let allowed: Vec<(IpAddr, u32)> = policy
        .allow_addresses
        .iter()
        .filter_map(|a| parse_cidr(a))
        .collect();
    let refused = Arc::new(Mutex::new(None));
    let resolver = CheckingResolver {
        allowed: allowed.clone(),
        refused: refused.clone(),
    };
    let read_to = Some(policy.read_timeout);
    let config = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .accept("image/*")
        .accept_encoding("identity")
        .timeout_connect(Some(policy.connect_timeout))
        .timeout_resolve(Some(policy.connect_timeout))
        .timeout_send_request(read_to)
        .timeout_recv_body(read_to)
        .timeout_global(Some(policy.total_timeout))
        .build();
    // TCP → deadline wrapper → TLS. No proxy/SOCKS connectors: proxies are
    // never used (they would bypass the address check).
    let connector =
        ().chain(TcpConnector::default())
            .chain(DeadlineConnector { deadline })
            .chain(RustlsConnector::default());
    let agent = ureq::Agent::with_parts(config, connector, resolver);

    let mut current = url.to_string();
    let mut redirects: u32 = 0;
    loop {
        let target = parse_target(&current)?;
        if !host_allowed(&target.host, &policy.allow_hosts) {
            return Err(FetchError::HostNotAllowed(target.host));
        }
        // Literal IPs: refuse before any network I/O.
        if let Some(ip) = parse_ip_host(&target.host) {
            check_addr(&target.host, ip, &allowed)?;
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(FetchError::Timeout(format!(
                "{}: total time limit of {:?} reached",
                target.text, policy.total_timeout
            )));
        }
        let remaining = deadline - now;
        if let Ok(mut slot) = refused.lock() {
            *slot = None;
        }
        let result = agent
            .get(target.uri.clone())
            .config()
            .timeout_global(Some(remaining))
            .build()
            .call();
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => return Err(map_ureq_error(e, &target.text, policy.max_bytes, &refused)),
        };
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Err(FetchError::Status(status));
            }
            let loc = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let Some(loc) = loc else {
                return Err(FetchError::Status(status));
            };
            if redirects >= policy.max_redirects {
                return Err(FetchError::TooManyRedirects(policy.max_redirects));
            }
            redirects += 1;
            current = resolve_location(&target.uri, &loc)?;
            continue;
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status(status));
        }
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(media_type);
        let content_type = match ct {
            None => {
                return Err(FetchError::ContentType(format!(
                    "{}: response has no Content-Type",
                    target.text
                )))
            }
            Some(ct) => ct,
        };
        if !policy
            .content_types
            .iter()
            .any(|a| media_type(a) == content_type)
        {
            return Err(FetchError::ContentType(format!(
                "{}: {content_type:?} is not one of {}",
                target.text,
                policy.content_types.join(", ")
            )));
        }
        let declared = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = declared {
            if len > policy.max_bytes as u64 {
                return Err(FetchError::TooLarge {
                    limit: policy.max_bytes,
                });
            }
        }
        let cap = policy.max_bytes.saturating_add(1);
        let mut bytes: Vec<u8> = Vec::with_capacity(
            declared
                .map(|l| l as usize)
                .unwrap_or(0)
                .min(cap)
                .min(1 << 20),
        );
        let mut reader = resp
            .body_mut()
            .with_config()
            .limit(cap as u64)
            .reader()
            .take(cap as u64);
        if let Err(e) = reader.read_to_end(&mut bytes) {
            return Err(map_ureq_error(
                ureq::Error::from(e),
                &target.text,
                policy.max_bytes,
                &refused,
            ));
        }
        if bytes.len() > policy.max_bytes {
            return Err(FetchError::TooLarge {
                limit: policy.max_bytes,
            });
        }
        return Ok(Fetched {
            final_url: target.text,
            status,
            content_type,
            bytes,
            redirects,
        });
    }
}

#[cfg(test)]
#[path = "fetch_test.rs"]
mod tests;
