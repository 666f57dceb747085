//! The local testing page, `/`, `/ui/app.js` and `/ui/style.css`: plain HTML, CSS and
//! JavaScript in `ui/` next to this file, compiled into the binary.

use axum::response::Html;

use super::shapes::Text;

pub(crate) async fn index() -> Html<&'static str> {
    Html(include_str!("ui/index.html"))
}

pub(crate) async fn script() -> Text {
    Text {
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("ui/app.js").to_owned(),
    }
}

pub(crate) async fn style() -> Text {
    Text {
        content_type: "text/css; charset=utf-8",
        body: include_str!("ui/style.css").to_owned(),
    }
}
