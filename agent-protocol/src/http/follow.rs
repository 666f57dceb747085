//! Following a run that exists: `join` (its result), its stream (live, from storage, or as
//! another process sharing the store writes it), and cancelling it (here, or by a request
//! through the store that the process running it applies).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use graph_core::RunConfig;
use serde_json::{Map, Value, json};

use super::runs::stored_run;
use super::stream::{Frames, result_body, result_later, result_now, sse};
use super::threads::record;
use super::{App, Query, locate, no_content};
use crate::error::Error;
use crate::frames::interrupts_json;
use crate::records::{RunStatus, StoredEvent};
use crate::request::{Body, modes_from};
use crate::runs::shared::{self, Tail};
use crate::runs::{Cancel, LiveRun};

/// `GET /threads/{id}/runs/{run}/join`: waits for the run, then its result.
pub(super) async fn join(
    State(app): State<App>,
    Path((thread, run)): Path<(String, String)>,
) -> Result<Response, Error> {
    if let Some(live) = app.runs.get(&run).filter(|l| l.record.thread_id == thread) {
        return Ok(result_body(live));
    }
    let stored = stored_run(&app, &thread, &run).await?;
    if app.store.shared() && stored.status.in_flight() {
        return Ok(joined_elsewhere(&app, thread, run));
    }
    Ok(result_now(&ended_result(&app, &thread, &run).await?))
}

/// What `join` answers for a run another process runs: once its record ended, its stored
/// result (a rolled-back run, deleted, answers its thread's values, as in its own process).
fn joined_elsewhere(app: &App, thread: String, run: String) -> Response {
    let app = Arc::clone(app);
    result_later(async move {
        shared::ended_elsewhere(&*app.store, &thread, &run).await;
        match ended_result(&app, &thread, &run).await {
            Ok(result) => result,
            Err(e) => {
                tracing::error!(error = %e, run = %run, "reading the result of another process's run");
                Value::Null
            }
        }
    })
}

/// What `join` answers for a run that ended: the result stored with its end; for a run cut
/// short by a stop, its thread's values with the interrupts it waits on (langgraph-api falls
/// back to the thread's values too).
pub(super) async fn ended_result(app: &App, thread: &str, run: &str) -> Result<Value, Error> {
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
    if app.store.shared() && stored.status.in_flight() {
        // Another process runs it: its frames are read as that process stores them.
        let tail = Tail::new(Arc::clone(&app.store), thread.clone(), run.clone(), after);
        let response = sse(
            Frames::Tail(Box::new(tail)),
            only,
            None,
            cancel_on_disconnect,
        );
        return Ok(locate(response, &thread, &run, Some("/stream")));
    }
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
        if app.store.shared()
            && stored.status.in_flight()
            && app.store.request_cancel(&thread, &run, action).await?
        {
            // The process running it sees the request within a few hundred milliseconds.
            if wait {
                let response = joined_elsewhere(&app, thread.clone(), run.clone());
                return Ok(locate(response, &thread, &run, Some("/join")));
            }
            return Ok(StatusCode::ACCEPTED.into_response());
        }
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
    if app.store.shared() {
        // Other processes' runs are asked through the store; each applies the request to its
        // own within a few hundred milliseconds.
        let elsewhere = match (body.get::<String>("thread_id")?, status.as_deref()) {
            (Some(thread), _) => {
                let ids: Vec<String> = body.get("run_ids")?.unwrap_or_default();
                app.store
                    .list_runs(&thread, None, 10_000, 0)
                    .await?
                    .into_iter()
                    .filter(|r| ids.is_empty() || ids.contains(&r.run_id))
                    .collect()
            }
            (None, status) => app
                .store
                .unfinished_runs()
                .await?
                .into_iter()
                .filter(|r| match status {
                    Some("pending") => r.status == RunStatus::Pending,
                    Some("running") => r.status == RunStatus::Running,
                    _ => true,
                })
                .collect::<Vec<_>>(),
        };
        for run in elsewhere
            .into_iter()
            .filter(|r| r.status.in_flight() && app.runs.get(&r.run_id).is_none())
        {
            app.store
                .request_cancel(&run.thread_id, &run.run_id, action)
                .await?;
        }
    }
    Ok(no_content())
}
