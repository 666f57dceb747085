//! The streamed answers: SSE frames of a run (live, or replayed from storage after
//! `Last-Event-ID`), and the JSON body of `wait` and `join`, which sends a `\n` every few
//! seconds until the run ends so proxies keep the connection (leading whitespace is valid JSON).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body as HttpBody;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::records::{RunStore, StoredEvent};
use crate::runs::shared::Tail;
use crate::runs::{Cancel, LiveRun};

/// How often an idle stream or wait sends something.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Where a stream's frames come from.
pub(super) enum Frames {
    /// A run in flight: frames after this id (all when `None`), then as they come.
    Live(Arc<LiveRun>, Option<u64>),
    /// An ended run's stored frames.
    Stored(Vec<StoredEvent>),
    /// A run another process runs, read as it stores its frames.
    Tail(Box<Tail>),
}

/// Cancels a run whose stream's client went away, when the run asked for it.
struct OnDisconnect {
    run: Option<Watched>,
}

/// The run a stream cancels if its client leaves first.
enum Watched {
    /// A run of this process.
    Here(Arc<LiveRun>),
    /// A run another process runs: asked to stop through the store.
    Elsewhere {
        store: Arc<dyn RunStore>,
        thread: String,
        run: String,
    },
}

impl OnDisconnect {
    /// The stream ended as it should: nothing to cancel.
    fn disarm(&mut self) {
        self.run = None;
    }
}

impl Drop for OnDisconnect {
    fn drop(&mut self) {
        match self.run.take() {
            Some(Watched::Here(run)) if run.outcome().is_none() => run.cancel(Cancel::Interrupt),
            Some(Watched::Elsewhere { store, thread, run }) => {
                // Drop cannot wait: the request is stored by a task of its own. A run that
                // ended meanwhile records nothing (`request_cancel` answers false).
                let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                    return;
                };
                runtime.spawn(async move {
                    if let Err(e) = store.request_cancel(&thread, &run, Cancel::Interrupt).await {
                        tracing::warn!(error = %e, run = %run,
                            "cancelling a run whose stream's client left");
                    }
                });
            }
            _ => {}
        }
    }
}

struct Reading {
    frames: Frames,
    /// Only frames of these modes (and the run's own frames), when given.
    only: Option<Vec<String>>,
    /// Frames left before a test cut; `None`: no cut.
    left: Option<u64>,
    stored_at: usize,
    guard: OnDisconnect,
}

/// Whether a frame named `event` belongs to one of `modes` (as the SDK names them); the
/// run's own frames (`metadata`, `end`, `error`) belong to every stream.
fn wanted(event: &str, modes: &[String]) -> bool {
    let mode = event.split('|').next().unwrap_or(event);
    match mode {
        "metadata" | "end" | "error" => true,
        "messages" => modes.iter().any(|m| m == "messages-tuple"),
        m if m.starts_with("messages/") => modes.iter().any(|m| m == "messages"),
        m => modes.iter().any(|want| want == m),
    }
}

/// An SSE answer of `frames` (only those of the modes in `only`, when given); `cut` ends it
/// early after that many frames (a test hook), and `cancel_on_disconnect` cancels the live
/// run if the client leaves first.
pub(super) fn sse(
    frames: Frames,
    only: Option<Vec<String>>,
    cut: Option<u64>,
    cancel_on_disconnect: bool,
) -> Response {
    let guard = OnDisconnect {
        run: match (&frames, cancel_on_disconnect) {
            (Frames::Live(run, _), true) => Some(Watched::Here(Arc::clone(run))),
            (Frames::Tail(tail), true) => Some(Watched::Elsewhere {
                store: tail.store(),
                thread: tail.thread().to_owned(),
                run: tail.run_id().to_owned(),
            }),
            _ => None,
        },
    };
    let reading = Reading {
        frames,
        only,
        left: cut,
        stored_at: 0,
        guard,
    };
    let events = futures_util::stream::unfold(reading, |mut reading| async move {
        if reading.left == Some(0) {
            // The test hook's cut: the connection ends without `end`, as a broken one would.
            reading.guard.disarm();
            return None;
        }
        let frame = loop {
            let frame = match &mut reading.frames {
                Frames::Live(run, after) => run.next(*after).await,
                Frames::Stored(frames) => frames.get(reading.stored_at).cloned(),
                Frames::Tail(tail) => tail.next().await,
            };
            let Some(frame) = frame else {
                reading.guard.disarm();
                return None;
            };
            match &mut reading.frames {
                Frames::Live(_, after) => *after = Some(frame.seq),
                Frames::Stored(_) => reading.stored_at += 1,
                Frames::Tail(_) => {}
            }
            if reading
                .only
                .as_ref()
                .is_none_or(|m| wanted(&frame.event, m))
            {
                break frame;
            }
        };
        if let Some(left) = &mut reading.left {
            *left -= 1;
        }
        let event = Event::default()
            .event(frame.event)
            .id(frame.seq.to_string())
            .data(frame.data);
        Some((Ok::<_, Infallible>(event), reading))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("heartbeat"))
        .into_response()
}

/// The body of `wait` and `join`: `\n` every few seconds, then the run's result as JSON.
pub(super) fn result_body(run: Arc<LiveRun>) -> Response {
    result_later(async move { run.ended().await.1 })
}

/// The body of `wait` and `join` for a result `result` resolves to: `\n` every few seconds
/// until it does, then the result as JSON.
pub(super) fn result_later(result: impl Future<Output = Value> + Send + 'static) -> Response {
    let pending: Pin<Box<dyn Future<Output = Value> + Send>> = Box::pin(result);
    let body = futures_util::stream::unfold(Some(pending), |pending| async move {
        let mut pending = pending?;
        tokio::select! {
            result = &mut pending => Some((Ok::<_, Infallible>(result_bytes(&result)), None)),
            () = tokio::time::sleep(KEEP_ALIVE) => Some((Ok(b"\n".to_vec()), Some(pending))),
        }
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        HttpBody::from_stream(body),
    )
        .into_response()
}

/// A finished result as the body of `wait` and `join`.
pub(super) fn result_now(result: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        result_bytes(result),
    )
        .into_response()
}

fn result_bytes(result: &Value) -> Vec<u8> {
    serde_json::to_vec(result).unwrap_or_else(|_| b"null".to_vec())
}

/// The thread-level join (`GET /threads/{id}/stream`): the frames of the thread's runs in
/// flight, one run after another, until none is left: this process's first, then (with a
/// shared store) those other processes run, read as they store them. Frame ids are
/// `<run id>:<seq>`.
pub(super) fn thread_sse(
    runs: Arc<crate::runs::Runs>,
    store: Option<Arc<dyn RunStore>>,
    thread: String,
    only: Option<Vec<String>>,
) -> Response {
    let following = ThreadFollow {
        runs,
        store,
        thread,
        current: None,
        seen: std::collections::HashSet::new(),
        queued: None,
    };
    let events =
        futures_util::stream::unfold((following, only), |(mut following, only)| async move {
            loop {
                let (run_id, frame) = following.next().await?;
                if only.as_ref().is_none_or(|m| wanted(&frame.event, m)) {
                    let id = format!("{run_id}:{}", frame.seq);
                    let event = Event::default().event(frame.event).id(id).data(frame.data);
                    return Some((Ok::<_, Infallible>(event), (following, only)));
                }
            }
        });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("heartbeat"))
        .into_response()
}

/// The runs of a thread, read one after another.
struct ThreadFollow {
    runs: Arc<crate::runs::Runs>,
    /// The shared store, when other processes may run the thread's runs.
    store: Option<Arc<dyn RunStore>>,
    thread: String,
    current: Option<Following>,
    /// The runs already read: a run whose end this stream saw is never read twice, even if
    /// a store read lags behind.
    seen: std::collections::HashSet<String>,
    /// Other processes' runs that were in flight when the stream first looked, oldest first:
    /// each is read even if it ended meanwhile (its frames are stored), as a client that
    /// joined the thread while they were queued expects.
    queued: Option<std::collections::VecDeque<String>>,
}

/// The run a thread's stream reads now.
enum Following {
    Here(Arc<LiveRun>, Option<u64>),
    Elsewhere(Box<Tail>),
}

impl ThreadFollow {
    /// The next frame of the thread's runs, with its run's id; `None` once no run is left.
    async fn next(&mut self) -> Option<(String, StoredEvent)> {
        loop {
            match &mut self.current {
                Some(Following::Here(run, after)) => {
                    if let Some(frame) = run.next(*after).await {
                        *after = Some(frame.seq);
                        return Some((run.record.run_id.clone(), frame));
                    }
                }
                Some(Following::Elsewhere(tail)) => {
                    if let Some(frame) = tail.next().await {
                        return Some((tail.run_id().to_owned(), frame));
                    }
                }
                None => {}
            }
            // This run ended (or none was read yet): on to the next, if any.
            self.current = self.next_run().await;
            self.current.as_ref()?;
        }
    }

    /// The oldest run of the thread not read yet and in flight: one of this process's
    /// first, then one another process runs.
    async fn next_run(&mut self) -> Option<Following> {
        if let Some(run) = self
            .runs
            .of_thread(&self.thread)
            .into_iter()
            .find(|r| r.outcome().is_none() && !self.seen.contains(&r.record.run_id))
        {
            self.seen.insert(run.record.run_id.clone());
            return Some(Following::Here(run, None));
        }
        let store = Arc::clone(self.store.as_ref()?);
        if self.queued.is_none() {
            let in_flight = self.in_flight_elsewhere(&*store).await;
            self.queued = Some(in_flight.into_iter().collect());
        }
        let next = match self.queued.as_mut().and_then(|q| q.pop_front()) {
            Some(run) => run,
            // Runs created since the stream first looked.
            None => self.in_flight_elsewhere(&*store).await.into_iter().next()?,
        };
        self.seen.insert(next.clone());
        Some(Following::Elsewhere(Box::new(Tail::new(
            store,
            self.thread.clone(),
            next,
            None,
        ))))
    }

    /// The thread's runs in flight in other processes, not read yet, oldest first.
    async fn in_flight_elsewhere(&self, store: &dyn RunStore) -> Vec<String> {
        let mut runs = match store.list_runs(&self.thread, None, 10_000, 0).await {
            Ok(runs) => runs,
            Err(e) => {
                tracing::warn!(error = %e, thread = %self.thread, "listing a thread's runs");
                return Vec::new();
            }
        };
        runs.retain(|r| {
            r.status.in_flight()
                && !self.seen.contains(&r.run_id)
                && self.runs.get(&r.run_id).is_none()
        });
        runs.sort_by_key(|r| r.created_at_ms);
        runs.into_iter().map(|r| r.run_id).collect()
    }
}
