//! `/threads/*` but runs: create, get, search, count, patch, delete, copy; the state (latest,
//! at a checkpoint, edited) and the history.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use graph_core::{CheckpointId, HistoryQuery, Namespace, RunConfig};
use serde_json::{Map, Value, json};

use super::{App, Query, json as answer, no_content, page};
use crate::error::Error;
use crate::records::{RunStatus, ThreadQuery, ThreadRecord, ThreadSort, ThreadStatus};
use crate::request::Body;
use crate::served::{JsonSnapshot, ServedGraph};
use crate::shapes::{CheckpointRef, Thread, ThreadState};

/// The stored thread, or a 404.
pub(super) async fn record(app: &App, thread_id: &str) -> Result<ThreadRecord, Error> {
    app.store
        .thread(thread_id)
        .await?
        .ok_or_else(|| Error::not_found("thread", thread_id))
}

/// The thread as the API shows it: its record, its latest state, busy when runs are in flight.
pub(super) async fn view(app: &App, record: ThreadRecord) -> Result<Thread, Error> {
    let state = match app.graph_of(record.graph_id.as_deref()) {
        Some(graph) => Some(latest(&*graph, &record.thread_id).await?),
        None => None,
    };
    let busy = !app.runs.of_thread(&record.thread_id).is_empty();
    Ok(Thread::of(record, state.as_ref(), busy))
}

async fn latest(graph: &dyn ServedGraph, thread: &str) -> Result<JsonSnapshot, Error> {
    graph
        .state(&RunConfig::thread(thread))
        .await
        .map_err(Error::Graph)
}

/// `POST /threads`.
pub(super) async fn create(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    if body.raw("supersteps").is_some() {
        return Err(Error::Unsupported(
            "`supersteps`: creating a thread with state updates is not supported yet".into(),
        ));
    }
    let metadata: Map<String, Value> = body.object("metadata")?;
    let raise = match body.get::<String>("if_exists")?.as_deref() {
        None | Some("raise") => true,
        Some("do_nothing") => false,
        Some(other) => {
            return Err(Error::invalid(
                "if_exists",
                format!("`{other}` is not one of raise, do_nothing"),
            ));
        }
    };
    let thread_id = match body.get::<String>("thread_id")? {
        Some(id) if id.is_empty() || id.len() > 256 => {
            return Err(Error::invalid("thread_id", "must be 1 to 256 characters"));
        }
        Some(id) => id,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let graph_id = match metadata.get("graph_id").and_then(Value::as_str) {
        Some(id) => Some(app.graph(id)?.graph_id().to_owned()),
        None => None,
    };
    let now = crate::now_ms();
    let record = ThreadRecord {
        thread_id: thread_id.clone(),
        created_at_ms: now,
        updated_at_ms: now,
        metadata,
        graph_id,
        status: ThreadStatus::Idle,
    };
    if !app.store.create_thread(&record).await? {
        if raise {
            return Err(Error::Conflict(format!(
                "thread `{thread_id}` already exists"
            )));
        }
        let existing = self::record(&app, &thread_id).await?;
        return Ok(answer(&view(&app, existing).await?));
    }
    Ok(answer(&view(&app, record).await?))
}

/// A search body: what the store filters, and the status and values only the state tells.
type Search = (
    ThreadQuery,
    Option<ThreadStatus>,
    Option<Map<String, Value>>,
);

fn thread_query(body: &Body) -> Result<Search, Error> {
    let (limit, offset) = body.page(10)?;
    let sort_by = match body.get::<String>("sort_by")?.as_deref() {
        None | Some("updated_at") => ThreadSort::UpdatedAt,
        Some("created_at") => ThreadSort::CreatedAt,
        Some("thread_id") => ThreadSort::ThreadId,
        Some(other) => {
            return Err(Error::invalid(
                "sort_by",
                format!("`{other}` is not one of thread_id, created_at, updated_at"),
            ));
        }
    };
    let ascending = match body.get::<String>("sort_order")?.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(Error::invalid(
                "sort_order",
                format!("`{other}` is not one of asc, desc"),
            ));
        }
    };
    let status: Option<ThreadStatus> = body.parsed("status")?;
    let values: Option<Map<String, Value>> = body.get("values")?;
    let query = ThreadQuery {
        metadata: body.object("metadata")?,
        ids: body.get("ids")?,
        status: None,
        sort_by,
        ascending,
        limit,
        offset,
    };
    Ok((query, status, values))
}

/// Threads that pass the query and the filters on what only their state tells (status,
/// values): those are read thread by thread, so they are paged after filtering.
async fn find(app: &App, body: &Body) -> Result<(Vec<Thread>, usize, usize), Error> {
    let (mut query, status, values) = thread_query(body)?;
    if status.is_none() && values.is_none() {
        let total = app.store.count_threads(&query).await?;
        let offset = query.offset;
        let mut shown = Vec::new();
        for record in app.store.search_threads(&query).await? {
            shown.push(view(app, record).await?);
        }
        return Ok((shown, total, offset));
    }
    let (limit, offset) = (query.limit, query.offset);
    query.limit = 10_000;
    query.offset = 0;
    let mut kept = Vec::new();
    for record in app.store.search_threads(&query).await? {
        let thread = view(app, record).await?;
        let values_match = values.as_ref().is_none_or(|want| {
            let json = serde_json::to_value(&thread).unwrap_or_default();
            want.iter().all(|(k, v)| json["values"].get(k) == Some(v))
        });
        if values_match && status.is_none_or(|s| s == thread.status()) {
            kept.push(thread);
        }
    }
    let total = kept.len();
    Ok((
        kept.into_iter().skip(offset).take(limit).collect(),
        total,
        offset,
    ))
}

/// `POST /threads/search`.
pub(super) async fn search(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    let (shown, total, offset) = find(&app, &body).await?;
    Ok(page(&shown, total, offset, shown.len()))
}

/// `POST /threads/count`.
pub(super) async fn count(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let mut body = Body::parse(&body)?;
    body.0.insert("limit".into(), json!(1000));
    body.0.remove("offset");
    let (_, total, _) = find(&app, &body).await?;
    Ok(answer(&total))
}

/// `GET /threads/{id}`.
pub(super) async fn get(State(app): State<App>, Path(id): Path<String>) -> Result<Response, Error> {
    let record = record(&app, &id).await?;
    Ok(answer(&view(&app, record).await?))
}

/// `PATCH /threads/{id}`: merges metadata.
pub(super) async fn patch(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    let _admission = app.admission.lock(&id).await;
    let mut record = record(&app, &id).await?;
    for (key, value) in body.object("metadata")? {
        record.metadata.insert(key, value);
    }
    record.updated_at_ms = crate::now_ms();
    app.store.update_thread(&record).await?;
    let minimal = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("return=minimal"));
    if minimal {
        return Ok(no_content());
    }
    Ok(answer(&view(&app, record).await?))
}

/// `DELETE /threads/{id}`: the thread, its runs and its checkpoints.
pub(super) async fn delete(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let _admission = app.admission.lock(&id).await;
    let _exclusive = idle_thread(&app, &id).await?;
    remove(&app, &id).await?;
    Ok(no_content())
}

/// Holds `id`'s run lock, or a 409 when a run (ours, another process's on a shared store, or
/// the host's own turn) has the thread or waits for it: an edit or a delete must not land
/// under a run.
pub(super) async fn idle_thread(
    app: &App,
    id: &str,
) -> Result<tokio::sync::OwnedMutexGuard<()>, Error> {
    let elsewhere = if app.store.shared() {
        let mut in_flight = false;
        for status in [RunStatus::Pending, RunStatus::Running] {
            in_flight |= !app
                .store
                .list_runs(id, Some(status), 1, 0)
                .await?
                .is_empty();
        }
        in_flight
    } else {
        false
    };
    if elsewhere || !app.runs.of_thread(id).is_empty() {
        return Err(Error::Conflict(format!(
            "thread `{id}` has runs in flight; wait for them or cancel them first"
        )));
    }
    app.locks.try_lock(id).ok_or_else(|| {
        Error::Conflict(format!(
            "thread `{id}` is running; try again when it is done"
        ))
    })
}

/// Deletes a thread's checkpoints, then its record, runs and events.
pub(super) async fn remove(app: &App, id: &str) -> Result<(), Error> {
    let record = record(app, id).await?;
    if let Some(graph) = app.graph_of(record.graph_id.as_deref())
        && let Some(checkpointer) = graph.checkpointer()
    {
        checkpointer
            .delete_thread(&id.into())
            .await
            .map_err(|e| Error::Storage(e.to_string()))?;
    }
    app.store.delete_thread(id).await?;
    Ok(())
}

/// `POST /threads/{id}/copy`: a new thread with the same metadata and checkpoints.
pub(super) async fn copy(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let from = record(&app, &id).await?;
    let now = crate::now_ms();
    let copy = ThreadRecord {
        thread_id: uuid::Uuid::new_v4().to_string(),
        created_at_ms: now,
        updated_at_ms: now,
        ..from.clone()
    };
    if let Some(graph) = app.graph_of(from.graph_id.as_deref())
        && let Some(checkpointer) = graph.checkpointer()
    {
        checkpointer
            .copy_thread(&id.as_str().into(), &copy.thread_id.as_str().into())
            .await
            .map_err(|e| Error::Storage(e.to_string()))?;
    }
    app.store.create_thread(&copy).await?;
    Ok(answer(&view(&app, copy).await?))
}

/// The thread's graph, or `None` for a thread that never ran.
async fn graph_of(app: &App, id: &str) -> Result<Option<Arc<dyn ServedGraph>>, Error> {
    let record = record(app, id).await?;
    Ok(app.graph_of(record.graph_id.as_deref()))
}

async fn state_answer(app: &App, id: &str, config: RunConfig) -> Result<Response, Error> {
    let Some(graph) = graph_of(app, id).await? else {
        return Ok(answer(&ThreadState::of(id, None)));
    };
    let snapshot = graph.state(&config).await.map_err(Error::Graph)?;
    let snapshot = snapshot.checkpoint.is_some().then_some(snapshot);
    Ok(answer(&ThreadState::of(id, snapshot)))
}

/// `GET /threads/{id}/state`.
pub(super) async fn state(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    Query::parse(query.as_deref()).flag("subgraphs")?;
    state_answer(&app, &id, RunConfig::thread(id.as_str())).await
}

fn checkpoint_id(field: &str, id: &str) -> Result<CheckpointId, Error> {
    id.parse()
        .map_err(|_| Error::invalid(field.to_owned(), format!("`{id}` is not a checkpoint id")))
}

/// `GET /threads/{id}/state/{checkpoint_id}`.
pub(super) async fn state_at(
    State(app): State<App>,
    Path((id, checkpoint)): Path<(String, String)>,
) -> Result<Response, Error> {
    let at = checkpoint_id("checkpoint_id", &checkpoint)?;
    state_answer(&app, &id, RunConfig::thread(id.as_str()).at(at)).await
}

/// `POST /threads/{id}/state/checkpoint`: `{"checkpoint": {"checkpoint_id", "checkpoint_ns"}}`.
pub(super) async fn state_at_body(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    let checkpoint = Body(body.object("checkpoint")?);
    let config = config_at(&id, &checkpoint, "checkpoint")?;
    state_answer(&app, &id, config).await
}

/// A config at a checkpoint dict's `checkpoint_id` and `checkpoint_ns` (the latest without).
fn config_at(id: &str, checkpoint: &Body, field: &str) -> Result<RunConfig, Error> {
    let mut config = RunConfig::thread(id);
    if let Some(ns) = checkpoint.get::<String>("checkpoint_ns")? {
        let ns: Namespace = ns.parse().map_err(|e: graph_core::NamespaceError| {
            Error::invalid(format!("{field}.checkpoint_ns"), e.to_string())
        })?;
        config = config.namespace(ns);
    }
    if let Some(at) = checkpoint.get::<String>("checkpoint_id")? {
        config = config.at(checkpoint_id(&format!("{field}.checkpoint_id"), &at)?);
    }
    Ok(config)
}

/// `POST /threads/{id}/state`: an update, as a node or as input, in a new checkpoint.
pub(super) async fn update_state(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    let Some(graph) = graph_of(&app, &id).await? else {
        return Err(Error::invalid(
            "thread_id",
            "the thread has never run, so its graph is unknown: run it first, or create it \
             with `metadata.graph_id`",
        ));
    };
    let _admission = app.admission.lock(&id).await;
    let _exclusive = idle_thread(&app, &id).await?;
    let mut config = RunConfig::thread(id.as_str());
    if let Some(at) = body.get::<String>("checkpoint_id")? {
        config = config.at(checkpoint_id("checkpoint_id", &at)?);
    } else if let Some(checkpoint) = body.get::<Map<String, Value>>("checkpoint")? {
        config = config_at(&id, &Body(checkpoint), "checkpoint")?;
    }
    let as_node: Option<String> = body.get("as_node")?;
    let written = graph
        .update_state(&config, body.raw("values").cloned(), as_node.as_deref())
        .await?;
    let reference = json!(CheckpointRef::new(&id, "", written.to_string()));
    Ok(answer(&json!({
        "checkpoint": reference,
        "configurable": reference,
        "checkpoint_id": written.to_string(),
    })))
}

/// `POST /threads/{id}/history`: checkpoints with values, newest first.
pub(super) async fn history(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let body = Body::parse(&body)?;
    history_page(&app, &id, &body).await
}

/// `GET /threads/{id}/history?limit=&before=` (the Agent Protocol spec's form).
pub(super) async fn history_get(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let query = Query::parse(query.as_deref());
    let mut body = Map::new();
    if let Some(limit) = query.number("limit")? {
        body.insert("limit".into(), json!(limit));
    }
    if let Some(before) = query.get("before") {
        body.insert("before".into(), json!(before));
    }
    history_page(&app, &id, &Body(body)).await
}

async fn history_page(app: &App, id: &str, body: &Body) -> Result<Response, Error> {
    let (limit, _) = body.page(10)?;
    let before = match body.raw("before") {
        None => None,
        Some(Value::String(before)) => Some(checkpoint_id("before", before)?),
        Some(Value::Object(before)) => match before.get("checkpoint_id").and_then(Value::as_str) {
            Some(at) => Some(checkpoint_id("before.checkpoint_id", at)?),
            None => {
                // The SDK passes a config: `{"configurable": {"checkpoint_id": …}}`.
                let nested = before
                    .get("configurable")
                    .and_then(|c| c.get("checkpoint_id"))
                    .and_then(Value::as_str);
                match nested {
                    Some(at) => Some(checkpoint_id("before.configurable.checkpoint_id", at)?),
                    None => None,
                }
            }
        },
        Some(_) => {
            return Err(Error::invalid(
                "before",
                "must be a checkpoint id or a checkpoint",
            ));
        }
    };
    let mut config = RunConfig::thread(id);
    if let Some(checkpoint) = body.get::<Map<String, Value>>("checkpoint")? {
        let checkpoint = Body(checkpoint);
        if let Some(ns) = checkpoint.get::<String>("checkpoint_ns")? {
            let ns: Namespace = ns.parse().map_err(|e: graph_core::NamespaceError| {
                Error::invalid("checkpoint.checkpoint_ns", e.to_string())
            })?;
            config = config.namespace(ns);
        }
    }
    let Some(graph) = graph_of(app, id).await? else {
        return Ok(answer(&Vec::<ThreadState>::new()));
    };
    let query = HistoryQuery {
        limit: Some(limit),
        before,
        filter: body.object("metadata")?,
    };
    let page = graph.history(&config, &query).await.map_err(Error::Graph)?;
    let states: Vec<ThreadState> = page
        .into_iter()
        .map(|s| ThreadState::of(id, Some(s)))
        .collect();
    Ok(answer(&states))
}
