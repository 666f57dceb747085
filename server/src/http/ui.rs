//! The local testing page, `/`, `/ui/app.js` and `/ui/style.css`: plain HTML, CSS and
//! JavaScript in `ui/` next to this file, compiled into the binary.

use axum::response::{Html, Response};

use super::text;

pub(crate) async fn index() -> Html<&'static str> {
    Html(include_str!("ui/index.html"))
}

pub(crate) async fn script() -> Response {
    text(
        "text/javascript; charset=utf-8",
        include_str!("ui/app.js").to_owned(),
    )
}

pub(crate) async fn style() -> Response {
    text(
        "text/css; charset=utf-8",
        include_str!("ui/style.css").to_owned(),
    )
}
