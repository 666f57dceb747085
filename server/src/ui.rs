//! The local testing page: plain HTML, CSS and JavaScript compiled into the binary.

use axum::response::{Html, Response};

use crate::app::text;

pub(crate) async fn index() -> Html<&'static str> {
    Html(include_str!("../ui/index.html"))
}

pub(crate) async fn script() -> Response {
    text(
        "text/javascript; charset=utf-8",
        include_str!("../ui/app.js").to_owned(),
    )
}

pub(crate) async fn style() -> Response {
    text(
        "text/css; charset=utf-8",
        include_str!("../ui/style.css").to_owned(),
    )
}
