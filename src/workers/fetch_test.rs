use super::*;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

// ---------------------------------------------------------------------------
// Tiny in-process HTTP server
// ---------------------------------------------------------------------------

type Handler = dyn Fn(&Request, &mut TcpStream) + Send + Sync + 'static;

struct Request {
    path: String,
    port: u16,
}

struct Server {
    port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    requests: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
    fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

/// Start a server on 127.0.0.1:0; each connection serves one request with
/// `handler` and is then closed.
fn serve(handler: impl Fn(&Request, &mut TcpStream) + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler: Arc<Handler> = Arc::new(handler);
    let hits = Arc::new(Mutex::new(HashMap::new()));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (h2, r2) = (hits.clone(), requests.clone());
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let handler = handler.clone();
            let (hits, requests) = (h2.clone(), r2.clone());
            thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut headers = HashMap::new();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = l.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                *hits.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
                requests.lock().unwrap().push(headers);
                let req = Request { path, port };
                handler(&req, &mut conn);
                let _ = conn.flush();
            });
        }
    });
    Server {
        port,
        hits,
        requests,
    }
}

fn respond(conn: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body);
}

fn redirect(conn: &mut TcpStream, status: &str, to: &str) {
    respond(conn, status, &[("Location", to)], b"");
}

fn png_bytes() -> Vec<u8> {
    let img = image::RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8 * 60, y as u8 * 80, 7]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn local_policy() -> FetchPolicy {
    FetchPolicy {
        allow_addresses: vec!["127.0.0.1".into()],
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
        max_bytes: 100_000,
        max_redirects: 3,
        ..FetchPolicy::default()
    }
}

fn png_server() -> Server {
    let png = png_bytes();
    serve(move |_req, conn| respond(conn, "200 OK", &[("Content-Type", "image/png")], &png))
}

// ---------------------------------------------------------------------------
// Successful fetches
// ---------------------------------------------------------------------------

#[test]
fn png_fetched_ok() {
    let s = png_server();
    let f = fetch(&s.url("/a.png"), &local_policy()).unwrap();
    assert_eq!(f.bytes, png_bytes());
    assert_eq!(f.status, 200);
    assert_eq!(f.content_type, "image/png");
    assert_eq!(f.redirects, 0);
    assert_eq!(f.final_url, s.url("/a.png"));
    assert_eq!(s.hits("/a.png"), 1);
}

#[test]
fn sends_user_agent_and_accept() {
    let s = png_server();
    fetch(&s.url("/x"), &local_policy()).unwrap();
    let reqs = s.requests.lock().unwrap();
    assert_eq!(
        reqs[0].get("user-agent").map(String::as_str),
        Some("spine-image-fetch/0.1")
    );
    assert_eq!(reqs[0].get("accept").map(String::as_str), Some("image/*"));
}

#[test]
fn fragment_is_not_sent() {
    let s = png_server();
    let f = fetch(&format!("{}#frag", s.url("/a.png?q=1")), &local_policy()).unwrap();
    assert_eq!(f.final_url, s.url("/a.png?q=1"));
    assert_eq!(s.hits("/a.png?q=1"), 1);
}

#[test]
fn cidr_allow_entry_works() {
    let s = png_server();
    let mut p = local_policy();
    p.allow_addresses = vec!["10.0.0.0/8".into(), " 127.0.0.0/8 ".into()];
    assert!(fetch(&s.url("/a.png"), &p).is_ok());
}

#[test]
fn hostname_goes_through_checking_resolver() {
    // "localhost" is resolved by the resolver (not the literal-IP pre-check).
    let s = png_server();
    let mut p = local_policy();
    p.allow_addresses = vec!["127.0.0.0/8".into(), "::1".into()];
    let url = format!("http://localhost:{}/via-name", s.port);
    let f = fetch(&url, &p).unwrap();
    assert_eq!(f.bytes, png_bytes());

    p.allow_addresses = vec![];
    let err = fetch(&url, &p).unwrap_err();
    match err {
        FetchError::AddressRefused {
            ref host,
            addr,
            why,
        } => {
            assert_eq!(host, "localhost");
            assert!(addr.is_loopback(), "{addr}");
            assert_eq!(why, "loopback");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        s.hits("/via-name"),
        1,
        "refused fetch must not reach the server"
    );
}

#[test]
fn content_type_parameters_and_case_ignored() {
    let png = png_bytes();
    let s = serve(move |_r, c| {
        respond(
            c,
            "200 OK",
            &[("Content-Type", "IMAGE/PNG; charset=binary")],
            &png,
        )
    });
    let f = fetch(&s.url("/x"), &local_policy()).unwrap();
    assert_eq!(f.content_type, "image/png");
    let mut p = local_policy();
    p.content_types = vec![" Image/Png ".into()];
    assert!(fetch(&s.url("/x"), &p).is_ok());
}

#[test]
fn body_exactly_max_bytes_ok_both_framings() {
    let s = serve(|r, c| {
        if r.path == "/cl" {
            respond(c, "200 OK", &[("Content-Type", "image/png")], &[1u8; 1000]);
        } else {
            chunked(c, 10, 100, Duration::ZERO);
        }
    });
    let mut p = local_policy();
    p.max_bytes = 1000;
    assert_eq!(fetch(&s.url("/cl"), &p).unwrap().bytes.len(), 1000);
    assert_eq!(fetch(&s.url("/ch"), &p).unwrap().bytes.len(), 1000);
}

// ---------------------------------------------------------------------------
// Address refusals
// ---------------------------------------------------------------------------

#[test]
fn loopback_refused_when_not_allowed() {
    let s = png_server();
    let mut p = local_policy();
    p.allow_addresses.clear();
    let err = fetch(&s.url("/a.png"), &p).unwrap_err();
    assert_eq!(
        err,
        FetchError::AddressRefused {
            host: "127.0.0.1".into(),
            addr: "127.0.0.1".parse().unwrap(),
            why: "loopback"
        }
    );
    assert_eq!(err.code(), "address_refused");
    assert!(!err.transient());
    assert_eq!(s.total_hits(), 0);
}

#[test]
fn literal_non_public_refused_without_io() {
    let p = FetchPolicy {
        connect_timeout: Duration::from_secs(30),
        ..FetchPolicy::default()
    };
    let cases = [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
            "cloud metadata",
        ),
        ("http://10.0.0.1/x.png", "10.0.0.1", "private (RFC 1918)"),
        (
            "https://192.168.1.1:8443/x.png",
            "192.168.1.1",
            "private (RFC 1918)",
        ),
        ("http://[::1]/x.png", "::1", "loopback"),
        (
            "http://[fd00:ec2::254]/latest",
            "fd00:ec2::254",
            "cloud metadata",
        ),
        (
            "http://[::ffff:10.0.0.1]/x",
            "::ffff:10.0.0.1",
            "private (RFC 1918)",
        ),
        ("http://0.0.0.0:80/", "0.0.0.0", "unspecified (0.0.0.0/8)"),
        ("http://[fe80::1]/", "fe80::1", "link-local"),
    ];
    for (url, addr, why) in cases {
        let t = Instant::now();
        let err = fetch(url, &p).unwrap_err();
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{url} took {:?}",
            t.elapsed()
        );
        match &err {
            FetchError::AddressRefused {
                addr: a, why: w, ..
            } => {
                assert_eq!(*a, addr.parse::<IpAddr>().unwrap(), "{url}");
                assert_eq!(*w, why, "{url}");
                assert_eq!(classify(*a), Some(why));
            }
            other => panic!("{url}: unexpected {other:?}"),
        }
    }
}

#[test]
fn display_messages() {
    let e = FetchError::AddressRefused {
        host: "10.0.0.1".into(),
        addr: "10.0.0.1".parse().unwrap(),
        why: "private (RFC 1918)",
    };
    assert_eq!(
        e.to_string(),
        "address 10.0.0.1 of host 10.0.0.1 is private (RFC 1918)"
    );
    let e = fetch("http://10.0.0.1/x", &FetchPolicy::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "address 10.0.0.1 of host 10.0.0.1 is private (RFC 1918)"
    );
    assert_eq!(
        FetchError::HostNotAllowed("evil.example".into()).to_string(),
        "host evil.example is not in the allowed host list"
    );
    assert_eq!(FetchError::Status(404).to_string(), "HTTP status 404");
    assert_eq!(
        FetchError::TooLarge { limit: 10 }.to_string(),
        "response body is larger than the limit of 10 bytes"
    );
    assert_eq!(
        FetchError::TooManyRedirects(3).to_string(),
        "too many redirects (limit 3)"
    );
    for e in [
        FetchError::BadUrl("x".into()),
        FetchError::Timeout("x".into()),
        FetchError::ContentType("x".into()),
        FetchError::Io("x".into()),
    ] {
        assert!(!e.to_string().contains('\n'));
        assert!(e.to_string().contains('x'));
    }
}

// ---------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------

#[test]
fn redirect_to_private_address_refused() {
    let s = serve(|_r, c| redirect(c, "302 Found", "http://10.0.0.1/x"));
    let err = fetch(&s.url("/r"), &local_policy()).unwrap_err();
    assert!(
        matches!(err, FetchError::AddressRefused { addr, why: "private (RFC 1918)", .. } if addr == "10.0.0.1".parse::<IpAddr>().unwrap()),
        "{err:?}"
    );
}

#[test]
fn redirect_to_metadata_via_ipv6_mapped_refused() {
    let s = serve(|_r, c| {
        redirect(
            c,
            "301 Moved Permanently",
            "http://[::ffff:169.254.169.254]/",
        )
    });
    let err = fetch(&s.url("/r"), &local_policy()).unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::AddressRefused {
                why: "cloud metadata",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn redirect_on_same_host_followed() {
    let png = png_bytes();
    let s = serve(move |r, c| match r.path.as_str() {
        "/start" => redirect(c, "302 Found", "/img/next"),
        "/img/next" => redirect(c, "307 Temporary Redirect", "final.png?x=1"),
        "/img/final.png?x=1" => redirect(
            c,
            "308 Permanent Redirect",
            &format!("http://127.0.0.1:{}/done.png", r.port),
        ),
        "/done.png" => respond(c, "200 OK", &[("Content-Type", "image/png")], &png),
        _ => respond(c, "404 Not Found", &[], b""),
    });
    let f = fetch(&s.url("/start"), &local_policy()).unwrap();
    assert_eq!(f.redirects, 3);
    assert_eq!(f.final_url, s.url("/done.png"));
    assert_eq!(f.bytes, png_bytes());
    for p in ["/start", "/img/next", "/img/final.png?x=1", "/done.png"] {
        assert_eq!(s.hits(p), 1, "{p}");
    }
}

#[test]
fn too_many_redirects() {
    let s = serve(|_r, c| redirect(c, "302 Found", "/loop"));
    let err = fetch(&s.url("/loop"), &local_policy()).unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects(3));
    assert_eq!(err.code(), "too_many_redirects");
    assert_eq!(s.hits("/loop"), 4);

    let mut p = local_policy();
    p.max_redirects = 0;
    assert_eq!(
        fetch(&s.url("/loop"), &p).unwrap_err(),
        FetchError::TooManyRedirects(0)
    );
}

#[test]
fn redirect_to_disallowed_host_or_scheme() {
    let s = serve(|r, c| match r.path.as_str() {
        "/to-name" => redirect(c, "302 Found", &format!("http://localhost:{}/x", r.port)),
        "/to-ftp" => redirect(c, "302 Found", "ftp://127.0.0.1/x"),
        "/to-userinfo" => redirect(
            c,
            "302 Found",
            &format!("http://u:p@127.0.0.1:{}/x", r.port),
        ),
        _ => respond(c, "404 Not Found", &[], b""),
    });
    let mut p = local_policy();
    p.allow_hosts = vec!["127.0.0.1".into()];
    assert_eq!(
        fetch(&s.url("/to-name"), &p).unwrap_err(),
        FetchError::HostNotAllowed("localhost".into())
    );
    assert_eq!(fetch(&s.url("/to-ftp"), &p).unwrap_err().code(), "bad_url");
    assert_eq!(
        fetch(&s.url("/to-userinfo"), &p).unwrap_err().code(),
        "bad_url"
    );
    assert_eq!(s.hits("/x"), 0);
}

#[test]
fn other_3xx_is_status() {
    let s = serve(|r, c| match r.path.as_str() {
        "/300" => redirect(c, "300 Multiple Choices", "/x"),
        "/304" => respond(c, "304 Not Modified", &[], b""),
        _ => respond(c, "302 Found", &[], b""), // no Location
    });
    assert_eq!(
        fetch(&s.url("/300"), &local_policy()).unwrap_err(),
        FetchError::Status(300)
    );
    assert_eq!(
        fetch(&s.url("/304"), &local_policy()).unwrap_err(),
        FetchError::Status(304)
    );
    assert_eq!(
        fetch(&s.url("/noloc"), &local_policy()).unwrap_err(),
        FetchError::Status(302)
    );
}

#[test]
fn resolve_location_cases() {
    let base: Uri = "http://h.example:81/a/b/c.png?q=1".parse().unwrap();
    let cases = [
        ("https://other/x", "https://other/x"),
        ("//cdn.example/y", "http://cdn.example/y"),
        ("/abs?z", "http://h.example:81/abs?z"),
        ("d.png", "http://h.example:81/a/b/d.png"),
        ("../d.png", "http://h.example:81/a/d.png"),
        ("../../../../d.png", "http://h.example:81/d.png"),
        ("./", "http://h.example:81/a/b/"),
        ("?r=2", "http://h.example:81/a/b/c.png?r=2"),
        ("", "http://h.example:81/a/b/c.png?q=1"),
        ("x/./y/../z#f", "http://h.example:81/a/b/x/z#f"),
    ];
    for (loc, want) in cases {
        assert_eq!(resolve_location(&base, loc).unwrap(), want, "{loc}");
    }
}

// ---------------------------------------------------------------------------
// Size, content type, status
// ---------------------------------------------------------------------------

fn chunked(conn: &mut TcpStream, chunks: usize, size: usize, gap: Duration) {
    let _ = conn.write_all(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let data = vec![b'x'; size];
    for _ in 0..chunks {
        if conn.write_all(format!("{size:x}\r\n").as_bytes()).is_err()
            || conn.write_all(&data).is_err()
            || conn.write_all(b"\r\n").is_err()
        {
            return;
        }
        let _ = conn.flush();
        thread::sleep(gap);
    }
    let _ = conn.write_all(b"0\r\n\r\n");
}

#[test]
fn oversized_with_content_length() {
    let s = serve(|_r, c| {
        respond(
            c,
            "200 OK",
            &[("Content-Type", "image/png")],
            &vec![0u8; 5000],
        )
    });
    let mut p = local_policy();
    p.max_bytes = 1000;
    let err = fetch(&s.url("/big"), &p).unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1000 });
    assert_eq!(err.code(), "too_large");
    assert!(!err.transient());
}

#[test]
fn oversized_chunked() {
    let s = serve(|_r, c| chunked(c, 100, 1000, Duration::ZERO));
    let mut p = local_policy();
    p.max_bytes = 10_000;
    assert_eq!(
        fetch(&s.url("/big"), &p).unwrap_err(),
        FetchError::TooLarge { limit: 10_000 }
    );
    p.max_bytes = 10_001;
    assert_eq!(
        fetch(&s.url("/big"), &p).unwrap_err(),
        FetchError::TooLarge { limit: 10_001 }
    );
}

#[test]
fn oversized_without_length_until_close() {
    // HTTP/1.0 style: no Content-Length, no chunking, body ends at close.
    let s = serve(|_r, c| {
        let _ = c.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n");
        let _ = c.write_all(&vec![0u8; 50_000]);
    });
    let mut p = local_policy();
    p.max_bytes = 20_000;
    assert_eq!(
        fetch(&s.url("/big"), &p).unwrap_err(),
        FetchError::TooLarge { limit: 20_000 }
    );
}

#[test]
fn wrong_and_missing_content_type() {
    let s = serve(|r, c| match r.path.as_str() {
        "/page.html" => respond(
            c,
            "200 OK",
            &[("Content-Type", "text/html; charset=utf-8")],
            b"<html>",
        ),
        _ => respond(c, "200 OK", &[], b"\x89PNG"),
    });
    let err = fetch(&s.url("/page.html"), &local_policy()).unwrap_err();
    assert_eq!(err.code(), "content_type");
    assert!(err.to_string().contains("text/html"), "{err}");
    let err = fetch(&s.url("/none"), &local_policy()).unwrap_err();
    assert_eq!(err.code(), "content_type");
    assert!(err.to_string().contains("no Content-Type"), "{err}");
}

#[test]
fn status_codes() {
    let s = serve(|r, c| {
        let code = r.path.trim_start_matches("/status/");
        respond(
            c,
            &format!("{code} X"),
            &[("Content-Type", "image/png")],
            b"x",
        );
    });
    let p = local_policy();
    let e404 = fetch(&s.url("/status/404"), &p).unwrap_err();
    assert_eq!(e404, FetchError::Status(404));
    assert!(!e404.transient());
    assert_eq!(e404.code(), "http_status");
    for (code, transient) in [
        (503, true),
        (500, true),
        (429, true),
        (408, true),
        (403, false),
        (410, false),
    ] {
        let e = fetch(&s.url(&format!("/status/{code}")), &p).unwrap_err();
        assert_eq!(e, FetchError::Status(code));
        assert_eq!(e.transient(), transient, "{code}");
    }
    assert_eq!(fetch(&s.url("/status/204"), &p).unwrap().status, 204);
}

#[test]
fn connection_refused_is_transient_io() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = fetch(&format!("http://127.0.0.1:{port}/x"), &local_policy()).unwrap_err();
    assert_eq!(err.code(), "io", "{err:?}");
    assert!(err.transient());
}

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

fn quick_policy() -> FetchPolicy {
    FetchPolicy {
        read_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_secs(20),
        ..local_policy()
    }
}

#[test]
fn stall_after_headers_times_out() {
    let s = serve(|_r, c| {
        let _ = c.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n0123456789",
        );
        let _ = c.flush();
        thread::sleep(Duration::from_secs(5));
    });
    let t = Instant::now();
    let err = fetch(&s.url("/slow.png"), &quick_policy()).unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
    assert!(err.transient());
    assert!(
        t.elapsed() < Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn stall_before_headers_times_out() {
    let s = serve(|_r, _c| thread::sleep(Duration::from_secs(5)));
    let t = Instant::now();
    let err = fetch(&s.url("/stall"), &quick_policy()).unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn stall_in_middle_of_headers_times_out() {
    let s = serve(|_r, c| {
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty");
        let _ = c.flush();
        thread::sleep(Duration::from_secs(5));
    });
    let t = Instant::now();
    let err = fetch(&s.url("/half"), &quick_policy()).unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn read_timeout_is_per_read_not_per_body() {
    // 6 chunks 150 ms apart = ~900 ms total, each gap well under the 400 ms read timeout.
    let s = serve(|_r, c| chunked(c, 6, 10, Duration::from_millis(150)));
    let p = FetchPolicy {
        read_timeout: Duration::from_millis(400),
        ..local_policy()
    };
    let f = fetch(&s.url("/trickle"), &p).unwrap();
    assert_eq!(f.bytes.len(), 60);
}

#[test]
fn total_timeout_bounds_trickling_server() {
    let s = serve(|_r, c| chunked(c, 100, 1, Duration::from_millis(100)));
    let p = FetchPolicy {
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(500),
        ..local_policy()
    };
    let t = Instant::now();
    let err = fetch(&s.url("/trickle"), &p).unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn total_timeout_bounds_trickling_headers() {
    // Headers trickle one byte per 100 ms: no single read ever times out.
    let s = serve(|_r, c| {
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\n");
        for _ in 0..200 {
            if c.write_all(b"X").is_err() {
                return;
            }
            let _ = c.flush();
            thread::sleep(Duration::from_millis(100));
        }
    });
    let p = FetchPolicy {
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(700),
        ..local_policy()
    };
    let t = Instant::now();
    let err = fetch(&s.url("/trickle-head"), &p).unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(1200),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn https_uses_tls() {
    // A plain-HTTP server behind an https:// URL must fail the TLS handshake,
    // proving the TLS connector is in the chain.
    let s = png_server();
    let err = fetch(
        &format!("https://127.0.0.1:{}/a.png", s.port),
        &local_policy(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "io", "{err:?}");
}

#[test]
fn total_timeout_spans_redirects() {
    static N: AtomicUsize = AtomicUsize::new(0);
    let s = serve(|_r, c| {
        N.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(200));
        redirect(c, "302 Found", "/again");
    });
    let p = FetchPolicy {
        read_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(500),
        max_redirects: 50,
        ..local_policy()
    };
    let t = Instant::now();
    let err = fetch(&s.url("/again"), &p).unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    assert!(s.hits("/again") <= 3);
}

// ---------------------------------------------------------------------------
// Host allow-list and URL syntax
// ---------------------------------------------------------------------------

#[test]
fn host_allow_list_checked_before_dns() {
    let p = FetchPolicy {
        allow_hosts: vec!["cdn.example.com".into(), "*.images.example".into()],
        ..FetchPolicy::default()
    };
    let err = fetch("http://evil.example/x.png", &p).unwrap_err();
    assert_eq!(err, FetchError::HostNotAllowed("evil.example".into()));
    assert_eq!(err.code(), "host_not_allowed");
    assert!(!err.transient());
    // Near-misses of the wildcard/suffix.
    for url in [
        "http://images.example/x",
        "http://evilimages.example/x",
        "http://cdn.example.com.evil.example/x",
        "http://xcdn.example.com/x",
    ] {
        assert_eq!(
            fetch(url, &p).unwrap_err().code(),
            "host_not_allowed",
            "{url}"
        );
    }
}

#[test]
fn host_matching() {
    let allow = vec!["CDN.example.com".to_string(), "*.img.example".to_string()];
    assert!(host_allowed("cdn.example.com", &allow));
    assert!(host_allowed("cdn.example.com.", &allow));
    assert!(host_allowed("Cdn.Example.Com", &allow));
    assert!(host_allowed("a.img.example", &allow));
    assert!(host_allowed("a.b.img.example", &allow));
    assert!(!host_allowed("img.example", &allow));
    assert!(!host_allowed("aimg.example", &allow));
    assert!(!host_allowed("example.com", &allow));
    assert!(host_allowed("anything", &[]));
    assert!(host_allowed("[::1]", &["::1".to_string()]));
}

#[test]
fn bad_urls() {
    let p = FetchPolicy::default();
    for url in [
        "ftp://example.com/x.png",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "http://user:pw@example.com/",
        "http://user@example.com/",
        "not a url",
        "",
        "   ",
        "http://",
        "http:///x",
        "//example.com/x",
        "/relative/path",
        "http://[::1/",
        "http://exa mple.com/",
        "http://example.com\\@evil/",
        "http://example.com:99999/",
        "http://\u{0}/",
        "http://例え.jp/",
    ] {
        let err = fetch(url, &p).unwrap_err();
        assert_eq!(err.code(), "bad_url", "{url:?}: {err:?}");
        assert!(!err.transient());
    }
}

#[test]
fn parse_list_trims() {
    assert_eq!(
        FetchPolicy::parse_list(" a.com, *.b.com ,,  ,c "),
        vec!["a.com", "*.b.com", "c"]
    );
    assert!(FetchPolicy::parse_list("").is_empty());
    assert!(FetchPolicy::parse_list(" , ").is_empty());
}

#[test]
fn policy_check() {
    let mut p = FetchPolicy::default();
    assert!(p.check().is_ok());
    p.allow_addresses = vec![
        "127.0.0.1".into(),
        "10.0.0.0/8".into(),
        "::1".into(),
        "fd00::/8".into(),
    ];
    assert!(p.check().is_ok());
    p.allow_addresses = vec!["10.0.0.0/33".into()];
    assert!(p.check().is_err());
    p.allow_addresses = vec!["localhost".into()];
    assert!(p.check().is_err());
    p.allow_addresses = vec![];
    p.allow_hosts = vec!["*.ok.example".into(), "a-b.example".into()];
    assert!(p.check().is_ok());
    p.allow_hosts = vec!["*".into()];
    assert!(p.check().is_err());
}

#[test]
fn codes_are_stable() {
    let all = [
        (FetchError::BadUrl(String::new()), "bad_url", false),
        (
            FetchError::HostNotAllowed(String::new()),
            "host_not_allowed",
            false,
        ),
        (
            FetchError::AddressRefused {
                host: String::new(),
                addr: "10.0.0.1".parse().unwrap(),
                why: "x",
            },
            "address_refused",
            false,
        ),
        (FetchError::Timeout(String::new()), "timeout", true),
        (FetchError::TooLarge { limit: 1 }, "too_large", false),
        (
            FetchError::ContentType(String::new()),
            "content_type",
            false,
        ),
        (FetchError::TooManyRedirects(1), "too_many_redirects", false),
        (FetchError::Status(500), "http_status", true),
        (FetchError::Io(String::new()), "io", true),
    ];
    for (e, code, transient) in all {
        assert_eq!(e.code(), code);
        assert_eq!(e.transient(), transient, "{code}");
    }
}

// ---------------------------------------------------------------------------
// classify
// ---------------------------------------------------------------------------

#[test]
fn classify_table() {
    let cases: &[(&str, Option<&str>)] = &[
        // public
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("93.184.216.34", None),
        ("172.15.255.255", None),
        ("172.32.0.0", None),
        ("100.63.255.255", None),
        ("100.128.0.0", None),
        ("169.253.255.255", None),
        ("198.17.255.255", None),
        ("198.20.0.0", None),
        ("223.255.255.255", None),
        ("2606:4700::1111", None),
        ("2001:4860:4860::8888", None),
        ("2a00:1450:4001:80b::200e", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        ("2002:808:808::1", None),
        // IPv4 special
        ("0.0.0.0", Some("unspecified (0.0.0.0/8)")),
        ("0.1.2.3", Some("unspecified (0.0.0.0/8)")),
        ("127.0.0.1", Some("loopback")),
        ("127.255.255.254", Some("loopback")),
        ("10.0.0.1", Some("private (RFC 1918)")),
        ("10.255.255.255", Some("private (RFC 1918)")),
        ("172.16.0.1", Some("private (RFC 1918)")),
        ("172.31.255.255", Some("private (RFC 1918)")),
        ("192.168.1.1", Some("private (RFC 1918)")),
        ("100.64.0.1", Some("carrier-grade NAT (RFC 6598)")),
        ("100.127.255.255", Some("carrier-grade NAT (RFC 6598)")),
        ("169.254.169.254", Some("cloud metadata")),
        ("169.254.0.1", Some("link-local")),
        ("169.254.169.253", Some("link-local")),
        ("192.0.0.8", Some("reserved (IETF protocol assignments)")),
        ("192.0.2.1", Some("documentation")),
        ("198.51.100.7", Some("documentation")),
        ("203.0.113.9", Some("documentation")),
        ("198.18.0.1", Some("benchmarking")),
        ("198.19.255.255", Some("benchmarking")),
        ("224.0.0.1", Some("multicast")),
        ("239.255.255.250", Some("multicast")),
        ("240.0.0.1", Some("reserved (240.0.0.0/4)")),
        ("255.255.255.254", Some("reserved (240.0.0.0/4)")),
        ("255.255.255.255", Some("broadcast")),
        // IPv6 special
        ("::", Some("unspecified")),
        ("::1", Some("loopback")),
        ("fc00::1", Some("unique-local (fc00::/7)")),
        ("fd12:3456::1", Some("unique-local (fc00::/7)")),
        ("fd00:ec2::254", Some("cloud metadata")),
        ("fe80::1", Some("link-local")),
        ("febf::1", Some("link-local")),
        ("fec0::1", Some("site-local (deprecated)")),
        ("ff02::1", Some("multicast")),
        ("ff0e::1", Some("multicast")),
        ("2001:db8::1", Some("documentation")),
        ("3fff::1", Some("documentation")),
        ("2001:2::1", Some("benchmarking")),
        (
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            Some("Teredo tunnel"),
        ),
        ("100::1", Some("discard-only (RFC 6666)")),
        ("64:ff9b:1::1", Some("NAT64 local-use (RFC 8215)")),
        ("4000::1", Some("reserved (outside 2000::/3)")),
        ("1::1", Some("reserved (outside 2000::/3)")),
        // IPv6 embedding IPv4
        ("::ffff:127.0.0.1", Some("loopback")),
        ("::ffff:10.0.0.1", Some("private (RFC 1918)")),
        ("::ffff:169.254.169.254", Some("cloud metadata")),
        ("::ffff:0:10.0.0.1", Some("private (RFC 1918)")),
        ("::127.0.0.1", Some("loopback")),
        ("::10.0.0.1", Some("private (RFC 1918)")),
        ("::8.8.8.8", None),
        ("64:ff9b::a00:1", Some("private (RFC 1918)")),
        ("64:ff9b::127.0.0.1", Some("loopback")),
        ("64:ff9b::169.254.169.254", Some("cloud metadata")),
        ("2002:a00:1::", Some("private (RFC 1918)")),
        ("2002:7f00:1::1", Some("loopback")),
        ("2002:a9fe:a9fe::", Some("cloud metadata")),
    ];
    for (addr, want) in cases {
        let ip: IpAddr = addr.parse().unwrap();
        assert_eq!(classify(ip), *want, "{addr}");
    }
}

#[test]
fn allow_addresses_cover_mapped_forms() {
    let allowed = vec![parse_cidr("127.0.0.0/8").unwrap()];
    assert!(check_addr("h", "::ffff:127.0.0.1".parse().unwrap(), &allowed).is_ok());
    assert!(check_addr("h", "127.1.2.3".parse().unwrap(), &allowed).is_ok());
    assert!(check_addr("h", "10.0.0.1".parse().unwrap(), &allowed).is_err());
    assert!(check_addr("h", "::1".parse().unwrap(), &allowed).is_err());
    assert!(check_addr("h", "8.8.8.8".parse().unwrap(), &[]).is_ok());
    assert_eq!(parse_cidr("[::1]"), Some(("::1".parse().unwrap(), 128)));
    assert_eq!(
        parse_cidr("0.0.0.0/0"),
        Some(("0.0.0.0".parse().unwrap(), 0))
    );
    assert_eq!(parse_cidr("1.2.3.4/x"), None);
    assert_eq!(parse_cidr("::/129"), None);
}
