//! The admin token of write requests (DESIGN.md §5): `Authorization: Bearer <token>` compared in
//! constant time with `agent.admin_token`. A missing or wrong token gets the same bare 401 (no
//! hint which it was); without a configured token every write answers 403, writes disabled.
//! The token never appears in a log line, an error or a response.

use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq;

use super::HttpError;
use crate::secret::Secret;

/// Whether `headers` carry the admin token `expected` (pure).
pub fn check(expected: Option<&Secret>, headers: &HeaderMap) -> Result<(), HttpError> {
    let expected = expected.ok_or(HttpError::WritesDisabled)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .unwrap_or("");
    if !expected.expose().is_empty() && constant_time_eq(given, expected.expose()) {
        Ok(())
    } else {
        Err(HttpError::Unauthorized)
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Equality whose time depends only on the lengths, never on where the bytes differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(a).expect("value"),
            );
        }
        h
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let token = Secret::new("s3cret-admin");
        let cases = [
            (Some("Bearer s3cret-admin"), true),
            (Some("bearer s3cret-admin"), true),
            (Some("Bearer  s3cret-admin "), true),
            (Some("Bearer s3cret-admin2"), false),
            (Some("Bearer s3cret-admi"), false),
            (Some("Basic s3cret-admin"), false),
            (Some("s3cret-admin"), false),
            (Some("Bearer "), false),
            (None, false),
        ];
        for (auth, ok) in cases {
            let got = check(Some(&token), &headers(auth));
            assert_eq!(got.is_ok(), ok, "{auth:?}");
            if !ok {
                assert!(matches!(got, Err(HttpError::Unauthorized)), "{auth:?}");
            }
        }
        assert!(matches!(
            check(None, &headers(Some("Bearer s3cret-admin"))),
            Err(HttpError::WritesDisabled)
        ));
        assert!(matches!(
            check(Some(&Secret::new("")), &headers(Some("Bearer "))),
            Err(HttpError::Unauthorized)
        ));
    }
}
