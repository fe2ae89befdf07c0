//! The document around the sections: `<head>` (stylesheet and script from `/assets`, a 30 s
//! refresh for browsers without JavaScript), the header with the render time, the footer.

use chrono::{DateTime, Utc};

use super::assets::{CSS_PATH, JS_PATH};
use super::escape::esc;
use super::format::time;

/// Seconds between refreshes (meta refresh without JavaScript, re-fetch with it).
pub const REFRESH_SECONDS: u32 = 30;

/// The whole page around `main` (already escaped markup).
pub fn document(main: &str, now: DateTime<Utc>, version: &str) -> String {
    format!(
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"referrer\" content=\"no-referrer\">\n",
            "<title>backstop status</title>\n",
            "<link rel=\"icon\" href=\"data:,\">\n",
            "<link rel=\"stylesheet\" href=\"{css}\">\n",
            "<script src=\"{js}\" defer></script>\n",
            "<noscript><meta http-equiv=\"refresh\" content=\"{refresh}\"></noscript>\n",
            "</head>\n<body>\n",
            "<a class=\"skip\" href=\"#main\">Skip to the ventures</a>\n",
            "<header class=\"top\">\n<h1>backstop status</h1>\n",
            "<p id=\"updated\">Rendered {now}; refreshes every {refresh} s</p>\n",
            "<button id=\"refresh-now\" type=\"button\" hidden>Refresh now</button>\n",
            "</header>\n<main id=\"main\">\n{main}</main>\n",
            "<footer>backstop {version} · all times UTC · ",
            "<a href=\"/metrics\">/metrics</a> · <a href=\"/api/v1/openapi.json\">API</a></footer>\n",
            "</body>\n</html>\n"
        ),
        css = CSS_PATH,
        js = JS_PATH,
        refresh = REFRESH_SECONDS,
        now = time(now),
        main = main,
        version = esc(version),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_links_its_assets_and_has_no_inline_code() {
        let html = document("<p>x</p>\n", Utc::now(), "1.2.3<");
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.contains(r#"<link rel="stylesheet" href="/assets/status.css">"#));
        assert!(html.contains(r#"<script src="/assets/status.js" defer></script>"#));
        assert!(html.contains(r#"<noscript><meta http-equiv="refresh" content="30"></noscript>"#));
        assert!(html.contains("backstop 1.2.3&lt;"));
        assert_eq!(html.matches("<script").count(), 1);
        assert!(!html.contains("style="));
    }
}
