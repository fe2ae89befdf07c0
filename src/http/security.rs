//! Security headers on every response: the status page's Content-Security-Policy (no inline
//! script or style, nothing from another origin), `nosniff`, no referrer, no framing, no caching.
//!
//! The policy is the same for every path: the JSON API and `/metrics` never load anything, and
//! the status page loads only its own `/assets/…`. A handler that sets one of these headers
//! itself keeps its own value.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy: scripts, styles, images and fetches from this origin only,
/// `data:` images, forms posting back here, never framed, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Every header [`layer`] adds, with its value.
pub const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CACHE_CONTROL, "no-store"),
];

/// Adds [`SECURITY_HEADERS`] to every response of `router` that does not carry them already.
pub fn layer(mut router: Router) -> Router {
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}
