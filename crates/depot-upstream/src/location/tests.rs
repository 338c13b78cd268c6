use super::*;

fn path(text: &str) -> DepotPath {
    DepotPath::parse(text).expect(text)
}

#[test]
fn depot_paths_reject_escapes_and_oddities() {
    for bad in [
        "", "/abs", "a//b", "a/", "../x", "a/./b", "a\\b", "a/\u{0}b",
    ] {
        let err = DepotPath::parse(bad).expect_err(bad);
        assert_eq!(err.code(), "DEPOT_BAD_URL", "{bad:?}");
    }
    assert_eq!(path("PROD/a b/c.json").as_str(), "PROD/a b/c.json");
}

#[test]
fn templates_need_one_token_and_one_path() {
    for bad in [
        "{path}",
        "{token}",
        "{token}/{token}/{path}",
        "{token}/x{path}",
        "{token}//{path}",
        "{token}/../{path}",
    ] {
        let err = PathTemplate::parse(bad).expect_err(bad);
        assert_eq!(err.code(), "DEPOT_BAD_URL", "{bad:?}");
    }
    PathTemplate::parse("/{token}/PROD/{path}").expect("leading slash is fine");
}

#[test]
fn urls_join_base_path_and_encode_segments() {
    let locator = Locator::new("https://depot.example.com:8443/depot/", None).expect("locator");
    let target = locator.target(&path("PROD/a b/x?y#z.json"));
    assert_eq!(
        target.url.as_str(),
        "https://depot.example.com:8443/depot/PROD/a%20b/x%3Fy%23z.json"
    );
    assert_eq!(target.shown, target.url.as_str());

    let locator = Locator::new("http://depot.example.com", None).expect("locator");
    assert_eq!(
        locator.target(&path("a")).url.as_str(),
        "http://depot.example.com/a"
    );
}

#[test]
fn token_goes_where_the_template_says_and_is_redacted() {
    let template = PathTemplate::parse("{token}/PROD/{path}").expect("template");
    let locator = Locator::new(
        "https://dl.example.com/base",
        Some((Secret::new("tok-123"), template)),
    )
    .expect("locator");
    let target = locator.target(&path("metadata/x.json"));
    assert_eq!(
        target.url.as_str(),
        "https://dl.example.com/base/tok-123/PROD/metadata/x.json"
    );
    assert_eq!(
        target.shown,
        "https://dl.example.com/base/***/PROD/metadata/x.json"
    );
}

#[test]
fn bad_urls_never_echo_credentials() {
    let err = parse_http_url("base URL", "https://admin:s3cret@depot.example.com/", false)
        .expect_err("credentials");
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(err.to_string().contains("depot.example.com"), "{err}");
    let url = parse_http_url("proxy URL", "http://u:s3cret@proxy:3128", true).expect("allowed");
    assert_eq!(url.password(), Some("s3cret"));
    let err = parse_http_url("proxy URL", "socks5://u:s3cret@proxy:1080", true).expect_err("socks");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}
