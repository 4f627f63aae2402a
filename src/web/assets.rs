//! The page's assets, embedded in the binary: its stylesheet and script, and the vendored
//! htmx 2.0.11 (0BSD) and uPlot 1.6.32 (MIT), whose licences sit beside them.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every asset: name, content type, bytes.
pub(super) const ASSETS: &[(&str, &str, &[u8])] = &[
    ("page.css", "text/css; charset=utf-8", include_bytes!("assets/page.css")),
    ("page.js", "text/javascript; charset=utf-8", include_bytes!("assets/page.js")),
    ("htmx.min.js", "text/javascript; charset=utf-8", include_bytes!("assets/htmx.min.js")),
    ("uPlot.iife.min.js", "text/javascript; charset=utf-8", include_bytes!("assets/uPlot.iife.min.js")),
    ("uPlot.min.css", "text/css; charset=utf-8", include_bytes!("assets/uPlot.min.css")),
    ("htmx.LICENSE", "text/plain; charset=utf-8", include_bytes!("assets/htmx.LICENSE")),
    ("uPlot.LICENSE", "text/plain; charset=utf-8", include_bytes!("assets/uPlot.LICENSE")),
];

/// The bytes of asset `name`, if there is one.
#[must_use]
pub fn asset_bytes(name: &str) -> Option<&'static [u8]> {
    ASSETS.iter().find(|(n, _, _)| *n == name).map(|(_, _, bytes)| *bytes)
}

pub(super) async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *bytes)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}
