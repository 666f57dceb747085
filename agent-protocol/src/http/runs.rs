//! `/threads/{id}/runs/*` and the stateless `/runs/*`: create a run (answered as created,
//! streamed, or waited for), read and list runs, join one (its result or its stream, live or
//! replayed), cancel and delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use graph_core::{InterruptId, Resume, RunConfig};
use serde_json::{Map, Value, json};

use super::stream::{Frames, result_body, result_now, sse, thread_sse};
use super::threads::record;
use super::{App, Query, json as answer, locate, no_content};
use crate::error::Error;
use crate::frames::interrupts_json;
use crate::records::{RunRecord, RunStatus, StoredEvent, ThreadRecord, ThreadStatus};
use crate::request::{Body, RunRequest, confirm_ids, modes_from};
use crate::runs::{Cancel, LiveRun};
use crate::served::Start;
use crate::shapes::Run;

/// Reads a run body for `thread` and starts the run: the thread is created if asked (or
/// stateless), runs in flight on it are refused, queued behind, or cancelled as the multitask
/// strategy says.
async fn begin(
    app: &App,
    thread: &str,
    body: Bytes,
    stateless: bool,
) -> Result<(Arc<LiveRun>, bool), Error> {
    let body = Body::parse(&body)?;
    let mut request = RunRequest::parse(body, |id| app.graph(id))?;
    let graph_id = request.graph.graph_id().to_owned();
    let now = crate::now_ms();
    // Binding the thread's graph and admitting the run beside the thread's others happen as
    // one step per thread.
    let _admission = app.admission.lock(thread).await;
    let mut thread_record = match app.store.thread(thread).await? {
        Some(existing) => existing,
        None if request.create_thread || stateless => {
            let fresh = ThreadRecord {
                thread_id: thread.to_owned(),
                created_at_ms: now,
                updated_at_ms: now,
                metadata: Map::new(),
                graph_id: None,
                status: ThreadStatus::Idle,
            };
            app.store.create_thread(&fresh).await?;
            fresh
        }
        None => return Err(Error::not_found("thread", thread)),
    };
    match thread_record.graph_id.as_deref() {
        Some(ran) if ran != graph_id => {
            return Err(Error::Conflict(format!(
                "thread `{thread}` runs graph `{ran}`, not `{graph_id}`"
            )));
        }
        Some(_) => {}
        None => {
            thread_record.graph_id = Some(graph_id.clone());
            thread_record
                .metadata
                .insert("graph_id".into(), json!(graph_id));
            thread_record.metadata.insert(
                "assistant_id".into(),
                json!(crate::api::assistant_id(&graph_id)),
            );
            thread_record.updated_at_ms = now;
            app.store.update_thread(&thread_record).await?;
        }
    }
    if matches!(request.start, Start::Resume(Resume::ById(_))) {
        let pending: Vec<InterruptId> = request
            .graph
            .state(&RunConfig::thread(thread))
            .await
            .map_err(Error::Graph)?
            .interrupts
            .iter()
            .map(|i| i.id)
            .collect();
        request.start = confirm_ids(request.start, &pending);
    }
    let record = RunRecord {
        run_id: uuid::Uuid::new_v4().to_string(),
        thread_id: thread.to_owned(),
        assistant_id: crate::api::assistant_id(&graph_id),
        created_at_ms: now,
        updated_at_ms: now,
        status: RunStatus::Pending,
        metadata: request.metadata.clone(),
        multitask: request.multitask,
        kwargs: request.kwargs.clone(),
    };
    let stateless_delete = stateless && request.delete_on_completion;
    let cancel_on_disconnect = request.cancel_on_disconnect;
    let live = app.runs.start(record, request, app.test_hooks).await?;
    if stateless_delete {
        let app = Arc::clone(app);
        let run = Arc::clone(&live);
        tokio::spawn(async move {
            run.ended().await;
            let thread = &run.record.thread_id;
            let _admission = app.admission.lock(thread).await;
            // After the run's writes (it holds the run lock until they landed), and only if
            // no other run was queued on the thread meanwhile.
            let _exclusive = app.locks.lock(thread).await;
            if app
                .runs
                .of_thread(thread)
                .iter()
                .any(|r| r.record.run_id != run.record.run_id)
            {
                return;
            }
            if let Err(e) = super::threads::remove(&app, thread).await {
                tracing::error!(error = %e, "deleting a stateless run's thread");
            }
        });
    }
    Ok((live, cancel_on_disconnect))
}

/// `POST /threads/{id}/runs`: the run as created.
pub(super) async fn create(
    State(app): State<App>,
    Path(thread): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let (live, _) = begin(&app, &thread, body, false).await?;
    Ok(created(&live))
}

fn created(live: &LiveRun) -> Response {
    let record = live.record.clone();
    let (thread, run) = (record.thread_id.clone(), record.run_id.clone());
    locate(answer(&Run::from(record)), &thread, &run, None)
}

/// `POST /threads/{id}/runs/stream`.
pub(super) async fn stream(
    State(app): State<App>,
    Path(thread): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let (live, cancel_on_disconnect) = begin(&app, &thread, body, false).await?;
    Ok(streamed(&live, cancel_on_disconnect))
}

fn streamed(live: &Arc<LiveRun>, cancel_on_disconnect: bool) -> Response {
    let (thread, run) = (live.record.thread_id.clone(), live.record.run_id.clone());
    let cut = live.take_cut();
    let response = sse(
        Frames::Live(Arc::clone(live), None),
        None,
        cut,
        cancel_on_disconnect,
    );
    locate(response, &thread, &run, Some("/stream"))
}

/// `POST /threads/{id}/runs/wait`.
pub(super) async fn wait(
    State(app): State<App>,
    Path(thread): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let (live, _) = begin(&app, &thread, body, false).await?;
    Ok(waited(live))
}

fn waited(live: Arc<LiveRun>) -> Response {
    let (thread, run) = (live.record.thread_id.clone(), live.record.run_id.clone());
    locate(result_body(live), &thread, &run, Some("/join"))
}

/// `POST /runs`: a run on a new thread of its own.
pub(super) async fn create_stateless(
    State(app): State<App>,
    body: Bytes,
) -> Result<Response, Error> {
    let thread = uuid::Uuid::new_v4().to_string();
    let (live, _) = begin(&app, &thread, body, true).await?;
    Ok(created(&live))
}

/// `POST /runs/stream`.
pub(super) async fn stream_stateless(
    State(app): State<App>,
    body: Bytes,
) -> Result<Response, Error> {
    let thread = uuid::Uuid::new_v4().to_string();
    let (live, cancel_on_disconnect) = begin(&app, &thread, body, true).await?;
    Ok(streamed(&live, cancel_on_disconnect))
}

/// `POST /runs/wait`.
pub(super) async fn wait_stateless(State(app): State<App>, body: Bytes) -> Result<Response, Error> {
    let thread = uuid::Uuid::new_v4().to_string();
    let (live, _) = begin(&app, &thread, body, true).await?;
    Ok(waited(live))
}

async fn stored_run(app: &App, thread: &str, run: &str) -> Result<RunRecord, Error> {
    app.store
        .run(thread, run)
        .await?
        .ok_or_else(|| Error::not_found("run", run))
}

/// `GET /threads/{id}/runs/{run}`.
pub(super) async fn get(
    State(app): State<App>,
    Path((thread, run)): Path<(String, String)>,
) -> Result<Response, Error> {
    let stored = stored_run(&app, &thread, &run).await?;
    Ok(answer(&Run::from(app.runs.overlay(stored))))
}

/// `GET /threads/{id}/runs?limit=&offset=&status=`.
pub(super) async fn list(
    State(app): State<App>,
    Path(thread): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let query = Query::parse(query.as_deref());
    record(&app, &thread).await?;
    let limit = query.number("limit")?.unwrap_or(10).clamp(1, 1000);
    let offset = query.number("offset")?.unwrap_or(0);
    let status = query
        .get("status")
        .map(|s| {
            s.parse::<RunStatus>()
                .map_err(|e| Error::invalid("status", e))
        })
        .transpose()?;
    let runs: Vec<Run> = match status {
        // Runs in flight are stored `pending`; which of them run is known only here.
        Some(wanted @ (RunStatus::Pending | RunStatus::Running)) => app
            .store
            .list_runs(&thread, Some(RunStatus::Pending), 10_000, 0)
            .await?
            .into_iter()
            .map(|r| app.runs.overlay(r))
            .filter(|r| r.status == wanted)
            .skip(offset)
            .take(limit)
            .map(Run::from)
            .collect(),
        _ => app
            .store
            .list_runs(&thread, status, limit, offset)
            .await?
            .into_iter()
            .map(|r| Run::from(app.runs.overlay(r)))
            .collect(),
    };
    Ok(answer(&runs))
}

/// `DELETE /threads/{id}/runs/{run}`.
pub(super) async fn delete(
    State(app): State<App>,
    Path((thread, run)): Path<(String, String)>,
) -> Result<Response, Error> {
    if app.runs.get(&run).is_some() {
        return Err(Error::Conflict(format!(
            "run `{run}` is in flight; cancel it first"
        )));
    }
    if !app.store.delete_run(&thread, &run).await? {
        return Err(Error::not_found("run", run));
    }
    Ok(no_content())
}

/// `GET /threads/{id}/runs/{run}/join`: waits for the run, then its result.
pub(super) async fn join(
    State(app): State<App>,
    Path((thread, run)): Path<(String, String)>,
) -> Result<Response, Error> {
    if let Some(live) = app.runs.get(&run).filter(|l| l.record.thread_id == thread) {
        return Ok(result_body(live));
    }
    stored_run(&app, &thread, &run).await?;
    Ok(result_now(&ended_result(&app, &thread, &run).await?))
}

/// What `join` answers for a run that ended: the result stored with its end; for a run cut
/// short by a stop, its thread's values with the interrupts it waits on (langgraph-api falls
/// back to the thread's values too).
async fn ended_result(app: &App, thread: &str, run: &str) -> Result<Value, Error> {
    if let Some(result) = app.store.result(run).await? {
        return Ok(result);
    }
    // A run a stopped process cut short stored no result.
    let events = app.store.events(run, None).await?;
    if let Some(last) = events.last()
        && last.event == "error"
    {
        let error: Value = serde_json::from_str(&last.data).unwrap_or(Value::Null);
        return Ok(json!({ "__error__": error }));
    }
    let thread_record = record(app, thread).await?;
    let Some(graph) = app.graph_of(thread_record.graph_id.as_deref()) else {
        return Ok(Value::Null);
    };
    let state = graph
        .state(&RunConfig::thread(thread))
        .await
        .map_err(Error::Graph)?;
    let mut values = match state.values {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if !state.interrupts.is_empty() {
        values.insert("__interrupt__".into(), interrupts_json(&state.interrupts));
    }
    Ok(Value::Object(values))
}

/// `GET /threads/{id}/runs/{run}/stream`: the run's frames after `Last-Event-ID`, live while
/// it runs, from storage once it ended.
pub(super) async fn join_stream(
    State(app): State<App>,
    Path((thread, run)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let query = Query::parse(query.as_deref());
    let cancel_on_disconnect = query.flag("cancel_on_disconnect")?.unwrap_or(false);
    // No mode (or an empty one, as httpx sends `None`): every mode the run streams.
    let modes = query.all("stream_mode");
    let only = if modes.is_empty() {
        None
    } else {
        modes_from(modes.iter().map(String::as_str), false)?;
        Some(modes)
    };
    let after =
        match headers.get("last-event-id").map(|v| v.to_str()) {
            None => None,
            Some(Ok(id)) => Some(id.trim().parse::<u64>().map_err(|_| {
                Error::invalid("Last-Event-ID", format!("`{id}` is not an event id"))
            })?),
            Some(Err(_)) => return Err(Error::invalid("Last-Event-ID", "is not text")),
        };
    if let Some(live) = app.runs.get(&run).filter(|l| l.record.thread_id == thread) {
        let cut = live.take_cut();
        let response = sse(
            Frames::Live(Arc::clone(&live), after),
            only,
            cut,
            cancel_on_disconnect,
        );
        return Ok(locate(response, &thread, &run, Some("/stream")));
    }
    let stored = stored_run(&app, &thread, &run).await?;
    let mut frames = app.store.events(&run, after).await?;
    if frames.is_empty() && after.is_none() && !stored.status.in_flight() {
        // Its events were pruned (or it was cut short by a stop): the stream says how it ended.
        frames.push(StoredEvent {
            seq: 0,
            event: "end".into(),
            data: json!({ "run_id": run, "status": stored.status.as_str() }).to_string(),
        });
    }
    Ok(sse(Frames::Stored(frames), only, None, false))
}

fn cancel_action(query: &Query) -> Result<Cancel, Error> {
    match query.get("action") {
        None | Some("interrupt") => Ok(Cancel::Interrupt),
        Some("rollback") => Ok(Cancel::Rollback),
        Some(other) => Err(Error::invalid(
            "action",
            format!("`{other}` is not one of interrupt, rollback"),
        )),
    }
}

/// `POST /threads/{id}/runs/{run}/cancel?wait=&action=`: `202` at once, or, with `wait`, the
/// run's result once it has stopped.
pub(super) async fn cancel(
    State(app): State<App>,
    Path((thread, run)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let query = Query::parse(query.as_deref());
    let action = cancel_action(&query)?;
    let wait = query.flag("wait")?.unwrap_or(false);
    let Some(live) = app.runs.get(&run).filter(|l| l.record.thread_id == thread) else {
        let stored = stored_run(&app, &thread, &run).await?;
        return Err(Error::Conflict(format!(
            "run `{run}` has already ended ({})",
            stored.status
        )));
    };
    live.cancel(action);
    if wait {
        return Ok(locate(result_body(live), &thread, &run, Some("/join")));
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `POST /runs/cancel?action=`: `{"thread_id", "run_ids"}`, or `{"status": "pending" |
/// "running" | "all"}`.
pub(super) async fn cancel_many(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, Error> {
    let action = cancel_action(&Query::parse(query.as_deref()))?;
    let body = Body::parse(&body)?;
    let status: Option<String> = body.get("status")?;
    let targets: Vec<Arc<LiveRun>> = match (body.get::<String>("thread_id")?, status.as_deref()) {
        (Some(thread), None) => {
            let ids: Vec<String> = body.get("run_ids")?.unwrap_or_default();
            app.runs
                .of_thread(&thread)
                .into_iter()
                .filter(|r| ids.is_empty() || ids.contains(&r.record.run_id))
                .collect()
        }
        (None, Some(status @ ("pending" | "running" | "all"))) => app
            .runs
            .all()
            .into_iter()
            .filter(|r| status == "all" || r.started() == (status == "running"))
            .collect(),
        (None, Some(other)) => {
            return Err(Error::invalid(
                "status",
                format!("`{other}` is not one of pending, running, all"),
            ));
        }
        _ => {
            return Err(Error::invalid(
                "thread_id",
                "give `thread_id` (with `run_ids`) or `status`",
            ));
        }
    };
    for run in targets {
        run.cancel(action);
    }
    Ok(no_content())
}

/// `GET /threads/{id}/stream?stream_mode=`: the frames of the thread's runs in flight.
pub(super) async fn thread_stream(
    State(app): State<App>,
    Path(thread): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    record(&app, &thread).await?;
    let modes = Query::parse(query.as_deref()).all("stream_mode");
    let only = if modes.is_empty() {
        None
    } else {
        modes_from(modes.iter().map(String::as_str), false)?;
        Some(modes)
    };
    Ok(thread_sse(Arc::clone(&app.runs), thread, only))
}
