//! `/store/*`: long-term memory items (graph-core's [`Store`](graph_core::Store)): put, get,
//! delete, search under a namespace prefix, and the namespaces in use.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use graph_core::{Item, NamespaceQuery, SearchQuery};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{App, Query, json as answer, no_content};
use crate::error::Error;
use crate::request::Body;
use crate::shapes::iso;

/// An item as the SDK reads it.
#[derive(Serialize)]
struct ItemOut {
    namespace: Vec<String>,
    key: String,
    value: Value,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
}

impl From<Item> for ItemOut {
    fn from(item: Item) -> Self {
        ItemOut {
            namespace: item.namespace,
            key: item.key,
            value: item.value,
            created_at: iso(item.created_at_ms as i64),
            updated_at: iso(item.updated_at_ms as i64),
            score: None,
        }
    }
}

/// Labels, checked as every store requires them: at least one (unless `prefix`), none empty,
/// none holding `.` (the SDK joins them with dots in query strings) or NUL.
fn labels(field: &str, labels: Vec<String>, prefix: bool) -> Result<Vec<String>, Error> {
    if labels.is_empty() && !prefix {
        return Err(Error::invalid(field, "needs at least one label"));
    }
    for label in &labels {
        if label.is_empty() || label.contains('.') || label.contains('\0') {
            return Err(Error::invalid(
                field,
                format!("label `{label}` must be non-empty, without `.`"),
            ));
        }
    }
    Ok(labels)
}

fn refs(labels: &[String]) -> Vec<&str> {
    labels.iter().map(String::as_str).collect()
}

fn storage(e: graph_core::StorageError) -> Error {
    Error::Storage(e.to_string())
}

fn key(body: &Body) -> Result<String, Error> {
    body.get::<String>("key")?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Error::invalid("key", "is required"))
}

/// `PUT /store/items`: `{"namespace", "key", "value", "ttl"?}` (`ttl` in minutes).
pub(super) async fn put(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let store = app.items()?;
    let body = Body::parse(&body)?;
    let namespace = labels(
        "namespace",
        body.get("namespace")?.unwrap_or_default(),
        false,
    )?;
    let key = key(&body)?;
    let value: Map<String, Value> = body
        .get("value")?
        .ok_or_else(|| Error::invalid("value", "is required (an object)"))?;
    let ttl = match body.get::<f64>("ttl")? {
        Some(minutes) if minutes > 0.0 => match Duration::try_from_secs_f64(minutes * 60.0) {
            Ok(ttl) => Some(ttl),
            Err(_) => return Err(Error::invalid("ttl", "is too large")),
        },
        Some(_) => {
            return Err(Error::invalid(
                "ttl",
                "must be a positive number of minutes",
            ));
        }
        None => None,
    };
    if body.raw("index").is_some_and(|i| i != &json!(false)) {
        tracing::debug!("store put: `index` ignored (no vector search)");
    }
    store
        .put(&refs(&namespace), &key, Value::Object(value), ttl)
        .await
        .map_err(storage)?;
    Ok(no_content())
}

/// `GET /store/items?namespace=a.b&key=k`: the item, or `null`.
pub(super) async fn get(
    State(app): State<App>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let store = app.items()?;
    let query = Query::parse(query.as_deref());
    let key = query
        .get("key")
        .ok_or_else(|| Error::invalid("key", "is required"))?
        .to_owned();
    let namespace: Vec<String> = query
        .all("namespace")
        .iter()
        .flat_map(|n| n.split('.').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let namespace = labels("namespace", namespace, false)?;
    let item = store.get(&refs(&namespace), &key).await.map_err(storage)?;
    Ok(answer(&item.map(ItemOut::from)))
}

/// `DELETE /store/items`: `{"namespace", "key"}` in the body.
pub(super) async fn delete(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let store = app.items()?;
    let body = Body::parse(&body)?;
    let namespace = labels(
        "namespace",
        body.get("namespace")?.unwrap_or_default(),
        false,
    )?;
    let key = key(&body)?;
    store
        .delete(&refs(&namespace), &key)
        .await
        .map_err(storage)?;
    Ok(no_content())
}

/// `POST /store/items/search`: `{"namespace_prefix", "filter", "limit", "offset"}`.
pub(super) async fn search(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let store = app.items()?;
    let body = Body::parse(&body)?;
    let prefix = labels(
        "namespace_prefix",
        body.get("namespace_prefix")?.unwrap_or_default(),
        true,
    )?;
    if body.get::<String>("query")?.is_some() {
        return Err(Error::Unsupported(
            "`query`: semantic search needs an embedding index, which this store has not".into(),
        ));
    }
    let (limit, offset) = body.page(10)?;
    let query = SearchQuery {
        filter: body.object("filter")?,
        limit,
        offset,
    };
    let items = store
        .search(&refs(&prefix), &query)
        .await
        .map_err(storage)?;
    let items: Vec<ItemOut> = items.into_iter().map(ItemOut::from).collect();
    Ok(answer(&json!({ "items": items })))
}

/// `POST /store/namespaces`: `{"prefix", "suffix", "max_depth", "limit", "offset"}`.
pub(super) async fn namespaces(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let store = app.items()?;
    let body = Body::parse(&body)?;
    let (limit, offset) = body.page(100)?;
    let max_depth = body.get::<usize>("max_depth")?;
    if max_depth == Some(0) {
        return Err(Error::invalid("max_depth", "must be at least 1"));
    }
    let query = NamespaceQuery {
        prefix: labels("prefix", body.get("prefix")?.unwrap_or_default(), true)?,
        suffix: labels("suffix", body.get("suffix")?.unwrap_or_default(), true)?,
        max_depth,
        limit,
        offset,
    };
    let found = store.list_namespaces(&query).await.map_err(storage)?;
    Ok(answer(&json!({ "namespaces": found })))
}
