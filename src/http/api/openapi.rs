//! `GET /api/v1/openapi.json`: the OpenAPI 3.0 document of the API (`openapi.json` beside this
//! file, embedded at build time): every path, parameter, response schema and the bearer scheme.
//! A test holds it to the router (every route documented) and runs schemathesis against it.

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// The handler.
pub(crate) async fn get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_json_and_names_every_api_path() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).expect("valid JSON");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
        let paths = doc["paths"].as_object().expect("paths");
        let routes = include_str!("mod.rs");
        let v = "/api/v1/ventures/{venture}";
        let mut documented = 0;
        for (path, item) in paths {
            let rel = path.strip_prefix(v).unwrap_or(path);
            let quoted = if path.starts_with(v) && rel.is_empty() {
                "route(v,".to_owned()
            } else if path.starts_with(v) {
                format!("\"{{v}}{rel}\"")
            } else {
                format!("\"{path}\"")
            };
            let in_router = routes.contains(&quoted) || routes.contains(&format!("\"{path}\""));
            assert!(in_router, "{path} is documented but not routed ({quoted})");
            for op in item.as_object().expect("ops").values() {
                assert!(op["responses"].is_object(), "{path}: responses");
                documented += 1;
            }
        }
        let routed = routes.matches(".route(").count();
        assert!(
            documented >= routed,
            "{documented} operations < {routed} routes"
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
