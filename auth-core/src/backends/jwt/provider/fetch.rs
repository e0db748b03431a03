//! Fetching a provider's keys over HTTP: OpenID discovery, then the JWKS, each response size-
//! limited; the caller puts one deadline around both.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::CACHE_CONTROL;
use reqwest::{Client, Url};

use crate::error::ConfigError;

/// Where a provider publishes its keys.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// `{issuer}/.well-known/openid-configuration`, then its `jwks_uri`.
    Discovery { issuer: String, url: Url },
    /// A JWKS URL.
    Jwks(Url),
}

/// A fetched key set: the JWKS document and the `max-age` it was served with.
pub(crate) struct Fetched {
    pub body: Vec<u8>,
    pub max_age: Option<Duration>,
}

/// Checks a provider URL: `https`, or `http` on a loopback address (local development, tests).
pub(crate) fn check_url(what: &'static str, url: &str) -> Result<Url, ConfigError> {
    let invalid = |why: String| ConfigError::Invalid(format!("{what} {url:?}: {why}").into());
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        _ => Err(invalid(
            "must be https (plain http only on a loopback address)".into(),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The discovery document's URL for `issuer`.
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, ConfigError> {
    let base = issuer.trim_end_matches('/');
    check_url(
        "the OIDC issuer's discovery URL",
        &format!("{base}/.well-known/openid-configuration"),
    )
}

/// Fetches the key set of `location`.
pub(crate) async fn fetch(
    client: &Client,
    location: &Location,
    max_bytes: usize,
) -> Result<Fetched, String> {
    let jwks_url = match location {
        Location::Jwks(url) => url.clone(),
        Location::Discovery { issuer, url } => {
            #[derive(serde::Deserialize)]
            struct Discovery {
                issuer: String,
                jwks_uri: String,
            }
            let doc = get(client, url, max_bytes).await?;
            let d: Discovery = serde_json::from_slice(&doc.body).map_err(|e| {
                format!("{url}: not an OpenID discovery document with issuer and jwks_uri: {e}")
            })?;
            // OpenID Connect Discovery 1.0, section 4.3: identical, a trailing slash included.
            if d.issuer != *issuer {
                return Err(format!(
                    "{url} states the issuer {:?}, but the configured issuer is {issuer:?}: they \
                     must be identical (a trailing slash included); configure {:?}",
                    d.issuer, d.issuer
                ));
            }
            check_url("jwks_uri", &d.jwks_uri).map_err(|e| e.to_string())?
        }
    };
    get(client, &jwks_url, max_bytes).await
}

/// GET `url`: a 200 answer's body of at most `max_bytes`.
async fn get(client: &Client, url: &Url, max_bytes: usize) -> Result<Fetched, String> {
    let mut resp = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("{url}: {}", without_url(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: answered {}", resp.status()));
    }
    if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
        return Err(format!("{url}: document larger than {max_bytes} bytes"));
    }
    let max_age = resp
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(max_age);
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("{url}: {}", without_url(&e)))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(format!("{url}: document larger than {max_bytes} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, max_age })
}

/// reqwest's error without the URL it repeats (the caller names it once).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(&format!(" ({url})"), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// `max-age` of a `Cache-Control` value (`no-store`/`no-cache` count as 0).
pub(crate) fn max_age(value: &str) -> Option<Duration> {
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            age = v
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_on_loopback() {
        for ok in [
            "https://idp.example/jwks",
            "http://127.0.0.1:8080/jwks",
            "http://[::1]/jwks",
            "http://localhost/x",
        ] {
            assert!(check_url("JWKS URL", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example/jwks",
            "ftp://127.0.0.1/",
            "not a url",
            "http://10.0.0.1/",
        ] {
            assert!(check_url("JWKS URL", bad).is_err(), "{bad}");
        }
        assert_eq!(
            discovery_url("https://kc.example/realms/acme/")
                .unwrap()
                .as_str(),
            "https://kc.example/realms/acme/.well-known/openid-configuration"
        );
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(
            max_age("public, max-age=3600"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=x"), None);
    }
}
