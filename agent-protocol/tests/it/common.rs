//! Serving the API on loopback, and reading SSE answers.

use std::net::SocketAddr;
use std::sync::Arc;

use agent_protocol::{Api, MemoryRunStore, Served, samples};
use graph_core::{InMemoryCheckpointer, InMemoryStore};
use serde_json::Value;

/// The API with `approval` and `sleepy`, served on an ephemeral port.
pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
}

pub(crate) async fn serve() -> Server {
    serve_with(|builder| builder).await
}

/// Like [`serve`], with the builder's settings changed by `settings`.
pub(crate) async fn serve_with(
    settings: impl FnOnce(agent_protocol::ApiBuilder) -> agent_protocol::ApiBuilder,
) -> Server {
    let checkpointer = Arc::new(InMemoryCheckpointer::new());
    let approval = samples::approval_graph()
        .expect("the approval graph compiles")
        .with_checkpointer(Arc::clone(&checkpointer) as Arc<dyn graph_core::Checkpointer>);
    let sleepy = samples::sleepy_graph()
        .expect("the sleepy graph compiles")
        .with_checkpointer(checkpointer);
    let builder = Api::builder(Arc::new(MemoryRunStore::new()))
        .graph(Served::new("approval", approval))
        .graph(Served::new("sleepy", sleepy))
        .store(Arc::new(InMemoryStore::new()))
        .test_hooks(true);
    let api = settings(builder).build().expect("the API builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr: SocketAddr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, api.router()).await });
    Server {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
    }
}

impl Server {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("the request is answered")
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the request is answered")
    }

    pub(crate) async fn thread(&self) -> String {
        let thread: Value = self
            .post("/threads", serde_json::json!({}))
            .await
            .json()
            .await
            .expect("a thread");
        thread["thread_id"].as_str().expect("an id").to_owned()
    }
}

/// An SSE body's frames: (event, id, data).
pub(crate) fn frames(body: &str) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
        if !event.is_empty() {
            let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
            out.push((event, id, data));
        }
    }
    out
}
