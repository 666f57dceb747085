//! `/threads/{id}/runs/*` and the stateless `/runs/*`: create a run (answered as created,
//! streamed, or waited for), read and list runs, join one (its result or its stream, live or
//! replayed), cancel and delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use graph_core::{InterruptId, Resume, RunConfig};
use serde_json::{Map, json};

use super::stream::{Frames, result_body, sse, thread_sse};
use super::threads::record;
use super::{App, Query, json as answer, locate, no_content};
use crate::error::Error;
use crate::records::{RunRecord, RunStatus, ThreadRecord, ThreadStatus};
use crate::request::{Body, RunRequest, confirm_ids, modes_from};
use crate::runs::LiveRun;
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

pub(super) async fn stored_run(app: &App, thread: &str, run: &str) -> Result<RunRecord, Error> {
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
        // Runs of this process in flight are stored `pending` (on a shared store, `running`
        // once they start); which of them run is known only here.
        Some(wanted @ (RunStatus::Pending | RunStatus::Running)) => app
            .store
            .list_runs(
                &thread,
                (!app.store.shared()).then_some(RunStatus::Pending),
                10_000,
                0,
            )
            .await?
            .into_iter()
            .filter(|r| r.status.in_flight())
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
    let elsewhere = app.store.shared()
        && app
            .store
            .run(&thread, &run)
            .await?
            .is_some_and(|r| r.status.in_flight());
    if elsewhere || app.runs.get(&run).is_some() {
        return Err(Error::Conflict(format!(
            "run `{run}` is in flight; cancel it first"
        )));
    }
    if !app.store.delete_run(&thread, &run).await? {
        return Err(Error::not_found("run", run));
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
    let store = app.store.shared().then(|| Arc::clone(&app.store));
    Ok(thread_sse(Arc::clone(&app.runs), store, thread, only))
}
