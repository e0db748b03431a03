//! A JWKS document into verification keys, each bound to the one algorithm family its key type
//! allows. One odd entry (a key type, curve or algorithm this library does not verify, an
//! encryption key) is skipped, never a reason to refuse the whole set; symmetric (`oct`) keys are
//! never taken from a remote set, so a provider's document cannot turn a public value into an
//! HMAC secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::backends::jwt::keys::{Family, JwtKey};

/// One entry, as far as this library reads it.
#[derive(Deserialize)]
struct Entry {
    kty: String,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// The keys of a JWKS document, and how many entries were skipped. `Err` when the document is
/// not a JSON object with a `keys` array.
pub fn parse_jwks(body: &[u8]) -> Result<(Vec<JwtKey>, usize), String> {
    const NOT_A_JWKS: &str = "not a JWKS document (a JSON object with a `keys` array)";
    // An object, read as such: a derived struct would also take an array (`[[...]]`).
    let doc: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("{NOT_A_JWKS}: {e}"))?;
    let Some(serde_json::Value::Array(entries)) = doc.get("keys") else {
        return Err(NOT_A_JWKS.to_owned());
    };
    let total = entries.len();
    let keys: Vec<JwtKey> = entries
        .iter()
        .cloned()
        .filter_map(|v| serde_json::from_value::<Entry>(v).ok())
        .filter_map(|e| key_of(&e))
        .collect();
    let skipped = total - keys.len();
    Ok((keys, skipped))
}

/// The verification key of one entry, or `None` when it is not one this library uses.
fn key_of(e: &Entry) -> Option<JwtKey> {
    if e.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if e.key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|o| o == "verify"))
    {
        return None;
    }
    let stated = match &e.alg {
        None => None,
        Some(a) => Some(crate::backends::jwt::keys::algorithm_named(a)?),
    };
    let (family, allowed, decoding): (Family, Vec<Algorithm>, DecodingKey) =
        match (e.kty.as_str(), e.crv.as_deref()) {
            ("RSA", _) => {
                let (n, e_) = (e.n.as_deref()?, e.e.as_deref()?);
                // At least 2048-bit moduli: shorter RSA keys are not a signature anyone should trust.
                if URL_SAFE_NO_PAD.decode(n).ok()?.len() < 256 {
                    return None;
                }
                use Algorithm::*;
                let all = vec![RS256, RS384, RS512, PS256, PS384, PS512];
                let d = DecodingKey::from_rsa_components(n, e_).ok()?;
                (Family::Rsa, all, d)
            }
            ("EC", Some(crv @ ("P-256" | "P-384"))) => {
                let (alg, len) = if crv == "P-256" {
                    (Algorithm::ES256, 32)
                } else {
                    (Algorithm::ES384, 48)
                };
                let (x, y) = (e.x.as_deref()?, e.y.as_deref()?);
                let ok = |c: &str| URL_SAFE_NO_PAD.decode(c).is_ok_and(|b| b.len() == len);
                if !ok(x) || !ok(y) {
                    return None;
                }
                (
                    Family::Ec,
                    vec![alg],
                    DecodingKey::from_ec_components(x, y).ok()?,
                )
            }
            ("OKP", Some("Ed25519")) => {
                let x = e.x.as_deref()?;
                if !URL_SAFE_NO_PAD.decode(x).is_ok_and(|b| b.len() == 32) {
                    return None;
                }
                let d = DecodingKey::from_ed_components(x).ok()?;
                (Family::Ed, vec![Algorithm::EdDSA], d)
            }
            // `oct` (never from a remote set), other curves, other key types.
            _ => return None,
        };
    let algorithms = match stated {
        // The algorithm the entry states, if its key type allows it.
        Some(alg) if allowed.contains(&alg) => vec![alg],
        Some(_) => return None,
        // No `alg` (Entra ID's keys): whatever the key type allows.
        None => allowed,
    };
    let key = JwtKey::from_parts(family, algorithms, decoding);
    Some(match &e.kid {
        Some(kid) => key.kid(kid.as_str()),
        None => key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    fn kinds(doc: &str) -> Vec<(Option<String>, Vec<Algorithm>)> {
        let (keys, _) = parse_jwks(doc.as_bytes()).unwrap();
        keys.iter()
            .map(|k| (k.kid.as_deref().map(str::to_owned), k.algorithms.clone()))
            .collect()
    }

    #[test]
    fn odd_entries_are_skipped_and_keys_bound_to_their_type() {
        let doc = format!(
            r#"{{"keys":[
              {{"kty":"RSA","kid":"rsa","n":"{RSA_N}","e":"AQAB"}},
              {{"kty":"RSA","kid":"rs384","alg":"RS384","n":"{RSA_N}","e":"AQAB"}},
              {{"kty":"RSA","kid":"enc","use":"enc","n":"{RSA_N}","e":"AQAB"}},
              {{"kty":"RSA","kid":"wrong-alg","alg":"ES256","n":"{RSA_N}","e":"AQAB"}},
              {{"kty":"RSA","kid":"short","n":"AQAB","e":"AQAB"}},
              {{"kty":"oct","kid":"secret","k":"c2VjcmV0"}},
              {{"kty":"EC","kid":"k1","crv":"secp256k1","x":"AA","y":"AA"}},
              {{"kty":"OKP","kid":"x","crv":"X25519","x":"AA"}},
              {{"kty":"EC","kid":"bad-point","crv":"P-256","x":"AA","y":"AA"}},
              {{"kty":"weird"}},
              "not even an object"
            ]}}"#
        );
        let (keys, skipped) = parse_jwks(doc.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(skipped, 9);
        let k = kinds(&doc);
        assert_eq!(k[0].0.as_deref(), Some("rsa"));
        assert!(k[0].1.contains(&Algorithm::RS256) && k[0].1.contains(&Algorithm::PS512));
        assert!(!k[0].1.contains(&Algorithm::HS256));
        assert_eq!(k[1].1, vec![Algorithm::RS384]);
    }

    #[test]
    fn documents_that_are_not_a_key_set_are_refused() {
        for doc in [
            "",
            "[]",
            "{}",
            r#"{"keys":{}}"#,
            "<html>",
            r#"{"keys":"x"}"#,
            // Found by the jwks fuzz target: serde reads a struct from an array too.
            "[[]]",
            r#"[[{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]]"#,
        ] {
            assert!(parse_jwks(doc.as_bytes()).is_err(), "{doc:?}");
        }
        assert_eq!(parse_jwks(br#"{"keys":[]}"#).unwrap().0.len(), 0);
    }
}
