//! `/assistants/*`: one system assistant per served graph (assistants cannot be created or
//! changed here): search, count, get, the graph's drawing, its schemas.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{App, Query, json as answer, page};
use crate::error::Error;
use crate::request::Body;
use crate::shapes::Assistant;

/// The assistants that pass a search body's `graph_id`, `name` and `metadata`.
fn matching(app: &App, body: &Body) -> Result<Vec<Assistant>, Error> {
    let graph_id: Option<String> = body.get("graph_id")?;
    let name: Option<String> = body.get("name")?;
    let metadata: Map<String, Value> = body.object("metadata")?;
    let system = json!("system");
    Ok(app
        .graphs
        .iter()
        .filter(|g| graph_id.as_deref().is_none_or(|id| id == g.graph_id()))
        .filter(|g| name.as_deref().is_none_or(|n| g.graph_id().contains(n)))
        .filter(|_| {
            metadata
                .iter()
                .all(|(k, v)| k == "created_by" && *v == system)
        })
        .map(|g| Assistant::of(&**g, app.started_ms))
        .collect())
}

/// `POST /assistants/search`.
pub(super) async fn search(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    let (limit, offset) = body.page(10)?;
    let all = matching(&app, &body)?;
    let total = all.len();
    let shown: Vec<Assistant> = all.into_iter().skip(offset).take(limit).collect();
    Ok(page(&shown, total, offset, shown.len()))
}

/// `POST /assistants/count`.
pub(super) async fn count(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    Ok(answer(&matching(&app, &body)?.len()))
}

/// `GET /assistants/{id}`.
pub(super) async fn get(State(app): State<App>, Path(id): Path<String>) -> Result<Response, Error> {
    let graph = app.graph(&id)?;
    Ok(answer(&Assistant::of(&*graph, app.started_ms)))
}

/// `GET /assistants/{id}/graph`: nodes and edges as LangGraph's `get_graph().to_json()`
/// (`xray` is accepted; subgraphs are drawn inside their node either way).
pub(super) async fn graph(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let graph = app.graph(&id)?;
    let _xray = Query::parse(query.as_deref())
        .get("xray")
        .map(str::to_owned);
    let description = graph.describe();
    let nodes: Vec<Value> = description
        .nodes
        .iter()
        .map(|n| json!({ "id": n.id, "type": "runnable", "data": { "name": n.id } }))
        .collect();
    let edges: Vec<Value> = description
        .edges
        .iter()
        .map(|e| {
            let mut edge = json!({ "source": e.source, "target": e.target });
            if e.conditional {
                edge["conditional"] = json!(true);
            }
            edge
        })
        .collect();
    Ok(answer(&json!({ "nodes": nodes, "edges": edges })))
}

/// `GET /assistants/{id}/schemas`.
pub(super) async fn schemas(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let graph = app.graph(&id)?;
    let schemas = graph.schemas();
    Ok(answer(&json!({
        "graph_id": graph.graph_id(),
        "input_schema": schemas.input,
        "output_schema": schemas.output,
        "state_schema": schemas.state,
        "config_schema": null,
        "context_schema": null,
    })))
}

/// `GET /assistants/{id}/subgraphs`: none are listed yet.
pub(super) async fn subgraphs(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    app.graph(&id)?;
    Ok(answer(&json!({})))
}
