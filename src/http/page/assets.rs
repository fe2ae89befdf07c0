//! The page's stylesheet and script, embedded in the binary (no CDN, nothing fetched at run
//! time) and served from `/assets/{file}` with their content types.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The stylesheet.
pub const CSS: &str = include_str!("assets/status.css");
/// The progressive-enhancement script.
pub const JS: &str = include_str!("assets/status.js");

/// Path of the stylesheet, as the page links it.
pub const CSS_PATH: &str = "/assets/status.css";
/// Path of the script, as the page links it.
pub const JS_PATH: &str = "/assets/status.js";

/// An embedded asset by file name: its content type and bytes.
pub fn lookup(file: &str) -> Option<(&'static str, &'static str)> {
    match file {
        "status.css" => Some(("text/css; charset=utf-8", CSS)),
        "status.js" => Some(("text/javascript; charset=utf-8", JS)),
        _ => None,
    }
}

/// `GET /assets/{file}`: the asset, or 404.
pub async fn serve(Path(file): Path<String>) -> Response {
    match lookup(&file) {
        Some((content_type, body)) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_assets_are_embedded_and_nothing_else() {
        assert!(lookup("status.css")
            .is_some_and(|(t, b)| t.starts_with("text/css") && b.contains(".piece")));
        assert!(lookup("status.js").is_some_and(
            |(t, b)| t.starts_with("text/javascript") && b.contains("recovery-points")
        ));
        for other in ["../Cargo.toml", "status.css.map", "", "STATUS.CSS"] {
            assert!(lookup(other).is_none(), "{other}");
        }
    }

    #[test]
    fn nothing_comes_from_another_origin() {
        for body in [CSS, JS] {
            assert!(
                !body.contains("http://") && !body.contains("https://") && !body.contains("//cdn")
            );
        }
        assert!(
            !JS.contains("innerHTML"),
            "responses are shown through textContent"
        );
        assert!(
            !JS.contains("localStorage") && !JS.contains("sessionStorage"),
            "the token is never stored"
        );
    }
}
