//! Long-term memory: the [`Store`] trait (LangGraph's `BaseStore`), the [`Item`]s it keeps, the
//! queries it answers ([`SearchQuery`], [`NamespaceQuery`]), [`InMemoryStore`], and the helpers
//! every backend shares so they agree on validation, encoding and order.
//!
//! A checkpointer keeps one thread's state; a store keeps what outlives threads (a guest's
//! preferences, facts learned in one conversation and used in the next). Nodes reach it through
//! [`crate::Ctx::store`] once the graph has one ([`crate::CompiledGraph::with_store`]).
//!
//! An item lives at a *namespace*, a path of labels (`["guests", "whatsapp:+34600000000"]`),
//! under a key, and its value is a JSON object. Labels are non-empty and contain neither `.` nor
//! NUL: a namespace is stored as its labels each followed by `.` ([`encode_namespace`]), so the
//! namespaces under a prefix are one contiguous range of that text, in a B-tree index or a
//! `BTreeMap` alike, and `["a", "b"]` never matches `["a", "bc"]`.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::StorageError;

mod memory;

pub use memory::InMemoryStore;

/// What ends every label of an encoded namespace, and so cannot appear in one.
pub const SEPARATOR: char = '.';

/// How many items [`SearchQuery::default`] returns (LangGraph's default).
pub const DEFAULT_SEARCH_LIMIT: usize = 10;

/// How many namespaces [`NamespaceQuery::default`] returns (LangGraph's default).
pub const DEFAULT_NAMESPACE_LIMIT: usize = 100;

/// A stored item, as [`Store::get`] and [`Store::search`] return it. Times are milliseconds since
/// the Unix epoch by the store's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Where it lives.
    pub namespace: Vec<String>,
    /// Its key, unique within its namespace.
    pub key: String,
    /// Its value: always a JSON object.
    pub value: Value,
    /// When it was first put (an overwrite keeps it; a put after it expired starts anew).
    pub created_at_ms: u64,
    /// When it was last put.
    pub updated_at_ms: u64,
    /// When it stops being visible; `None` for never.
    pub expires_at_ms: Option<u64>,
}

impl Item {
    /// Whether it is still visible at `now_ms`.
    ///
    /// ```
    /// use graph_core::Item;
    ///
    /// let item = Item {
    ///     namespace: vec!["guests".into()],
    ///     key: "ana".into(),
    ///     value: serde_json::json!({"room": "sea view"}),
    ///     created_at_ms: 1_000,
    ///     updated_at_ms: 1_000,
    ///     expires_at_ms: Some(5_000),
    /// };
    /// assert!(item.is_live(4_999));
    /// assert!(!item.is_live(5_000));
    /// ```
    pub fn is_live(&self, now_ms: u64) -> bool {
        is_live(self.expires_at_ms, now_ms)
    }
}

/// Which items [`Store::search`] returns from under its prefix: those whose value has every field
/// of `filter` with an equal value (LangGraph's `filter={"k": v}`: exact match on top-level
/// fields), skipping `offset` of them, at most `limit`.
///
/// ```
/// use graph_core::SearchQuery;
/// use serde_json::json;
///
/// let query = SearchQuery::default().filter("lang", "es").limit(5);
/// assert!(query.matches(&json!({"lang": "es", "name": "Ana"})));
/// assert!(!query.matches(&json!({"lang": "en"})));
/// assert!(!query.matches(&json!({"name": "Ana"})));
/// assert_eq!((query.limit, query.offset), (5, 0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Fields an item's value must have, each with an equal value (JSON equality: `1` and `1.0`
    /// differ, objects compare by content). Empty: every item.
    pub filter: Map<String, Value>,
    /// At most this many items.
    pub limit: usize,
    /// Skip this many matching items first.
    pub offset: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            filter: Map::new(),
            limit: DEFAULT_SEARCH_LIMIT,
            offset: 0,
        }
    }
}

impl SearchQuery {
    /// Only items whose value has `field` equal to `value`.
    #[must_use]
    pub fn filter(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.filter.insert(field.into(), value.into());
        self
    }

    /// At most `limit` items.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Skips `offset` matching items.
    #[must_use]
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Whether an item with this value passes the filter (not the limit or offset).
    pub fn matches(&self, value: &Value) -> bool {
        self.filter
            .iter()
            .all(|(field, want)| value.get(field) == Some(want))
    }
}

/// Which namespaces [`Store::list_namespaces`] returns: those of live items that start with
/// `prefix` and end with `suffix`, each cut to its first `max_depth` labels, without duplicates,
/// in store order (see [`Store`]), skipping `offset`, at most `limit`.
///
/// ```
/// use graph_core::NamespaceQuery;
///
/// let query = NamespaceQuery::default().prefix(["guests"]).suffix(["prefs"]).max_depth(2);
/// assert!(query.matches(&["guests", "ana", "prefs"]));
/// assert!(!query.matches(&["guests", "ana", "bookings"]));
/// assert!(!query.matches(&["staff", "prefs"]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceQuery {
    /// Labels a namespace must start with; empty: any.
    pub prefix: Vec<String>,
    /// Labels a namespace must end with; empty: any.
    pub suffix: Vec<String>,
    /// Cut each namespace to at most this many labels (at least 1); `None`: whole.
    pub max_depth: Option<usize>,
    /// At most this many namespaces.
    pub limit: usize,
    /// Skip this many namespaces first.
    pub offset: usize,
}

impl Default for NamespaceQuery {
    fn default() -> Self {
        Self {
            prefix: Vec::new(),
            suffix: Vec::new(),
            max_depth: None,
            limit: DEFAULT_NAMESPACE_LIMIT,
            offset: 0,
        }
    }
}

impl NamespaceQuery {
    /// Only namespaces that start with these labels.
    #[must_use]
    pub fn prefix<L: Into<String>>(mut self, labels: impl IntoIterator<Item = L>) -> Self {
        self.prefix = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Only namespaces that end with these labels.
    #[must_use]
    pub fn suffix<L: Into<String>>(mut self, labels: impl IntoIterator<Item = L>) -> Self {
        self.suffix = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Cuts each namespace to its first `depth` labels (at least 1).
    #[must_use]
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// At most `limit` namespaces.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Skips `offset` namespaces.
    #[must_use]
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Whether a whole namespace passes the prefix and suffix (see the example on
    /// [`NamespaceQuery`]).
    pub fn matches<L: AsRef<str>>(&self, namespace: &[L]) -> bool {
        let starts = namespace.len() >= self.prefix.len()
            && self
                .prefix
                .iter()
                .zip(namespace)
                .all(|(p, l)| p == l.as_ref());
        let ends = namespace.len() >= self.suffix.len()
            && (self.suffix.iter().rev())
                .zip(namespace.iter().rev())
                .all(|(s, l)| s == l.as_ref());
        starts && ends
    }

    /// Refuses a query no namespace could meet: a label that cannot be stored, or a `max_depth`
    /// of 0.
    pub fn validate(&self) -> Result<(), StorageError> {
        validate_labels("namespace prefix", &self.prefix)?;
        validate_labels("namespace suffix", &self.suffix)?;
        if self.max_depth == Some(0) {
            return Err(StorageError::new(
                "list_namespaces: max_depth must be at least 1 (a namespace has a label or more)",
            ));
        }
        Ok(())
    }

    /// The answer, from the encoded namespaces of live items ([`encode_namespace`]) in store
    /// order, duplicates allowed: applies the suffix (and the prefix again, so a backend may pass
    /// more), `max_depth`, de-duplication, `offset` and `limit`. Cutting keeps equal results
    /// next to each other, since namespaces sharing their first labels share the start of their
    /// encoding, so comparing neighbours removes every duplicate.
    pub fn collect<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut last: Option<Vec<String>> = None;
        let mut distinct = 0;
        for path in paths {
            let mut namespace = decode_namespace(path);
            if !self.matches(&namespace) {
                continue;
            }
            if let Some(depth) = self.max_depth {
                namespace.truncate(depth);
            }
            if last.as_ref() == Some(&namespace) {
                continue;
            }
            distinct += 1;
            last = Some(namespace.clone());
            if distinct <= self.offset {
                continue;
            }
            if out.len() == self.limit {
                break;
            }
            out.push(namespace);
        }
        out
    }
}

/// Long-term storage shared by every thread of a graph (and by anything else holding it):
/// JSON-object items by namespace and key, LangGraph's `BaseStore` without semantic search.
///
/// Implementations MUST:
/// - validate first ([`validate_namespace`], [`validate_prefix`], [`validate_value`],
///   [`NamespaceQuery::validate`]) and change nothing when a call is refused;
/// - make a `put` that returned `Ok` visible to every later call, keeping the item's
///   `created_at_ms` when it overwrites a live item and setting `updated_at_ms` and the expiry
///   anew (`ttl: None` means the item never expires);
/// - hide items whose expiry has passed by their clock from `get`, `search` and
///   `list_namespaces`, as if deleted (a `put` over one creates it anew), whether or not they are
///   purged yet; `sweep` purges them and says how many it purged;
/// - return `search` results and namespaces in *store order*: by encoded namespace
///   ([`encode_namespace`]), then by key, both compared as bytes. Updates do not move an item,
///   so offset pages neither skip nor repeat while items change.
///
/// Calls MAY run concurrently, from any thread. An `Err` means the call did not happen. A call
/// whose future is dropped before it completes may or may not have happened.
///
/// `graph_core::testing` (feature `testing`) has a conformance suite that checks all of this
/// (`store_conformance`).
///
/// ```
/// use graph_core::{InMemoryStore, SearchQuery, Store};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = InMemoryStore::new();
/// store.put(&["memories", "bob"], "k1", json!({"food": "pizza"}), None).await?;
/// let found = store.search(&["memories"], &SearchQuery::default()).await?;
/// assert_eq!(found[0].namespace, ["memories", "bob"]);
/// assert_eq!(found[0].value, json!({"food": "pizza"}));
/// assert!(store.put(&["memories", "bob.smith"], "k1", json!({}), None).await.is_err());
/// # Ok(()) }
/// ```
// dyn-compatible: stored as Arc<dyn Store> in a compiled graph.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores `value` (a JSON object) under `key` in `namespace`, replacing what was there. With
    /// a `ttl`, the item disappears that long after this put.
    async fn put(
        &self,
        namespace: &[&str],
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<(), StorageError>;

    /// The live item under `key` in `namespace`, if any.
    async fn get(&self, namespace: &[&str], key: &str) -> Result<Option<Item>, StorageError>;

    /// Removes the item under `key` in `namespace`; nothing to remove is no error.
    async fn delete(&self, namespace: &[&str], key: &str) -> Result<(), StorageError>;

    /// The live items in `prefix` and every namespace under it (all of them for an empty
    /// prefix) that pass `query`, in store order.
    async fn search(&self, prefix: &[&str], query: &SearchQuery)
    -> Result<Vec<Item>, StorageError>;

    /// The namespaces of live items that pass `query`, in store order.
    async fn list_namespaces(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<Vec<String>>, StorageError>;

    /// Purges every expired item; returns how many.
    async fn sweep(&self) -> Result<usize, StorageError>;
}

/// Refuses a namespace an item cannot live at: no labels, an empty label, or a label with `.`
/// or NUL. The error names the namespace and the label.
///
/// ```
/// use graph_core::store::validate_namespace;
///
/// assert!(validate_namespace(&["guests", "ana"]).is_ok());
/// let error = validate_namespace(&["guests", "ana.b"]).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     r#"invalid store namespace ["guests", "ana.b"]: label 2 (`ana.b`) contains '.', which the store uses to separate labels"#
/// );
/// assert!(validate_namespace(&[]).is_err());
/// ```
pub fn validate_namespace(namespace: &[&str]) -> Result<(), StorageError> {
    if namespace.is_empty() {
        return Err(StorageError::new(
            "invalid store namespace []: a namespace needs at least one label",
        ));
    }
    validate_labels("store namespace", namespace)
}

/// Refuses a search prefix no namespace could start with (see [`validate_namespace`]); unlike a
/// namespace, a prefix may be empty.
pub fn validate_prefix(prefix: &[&str]) -> Result<(), StorageError> {
    validate_labels("namespace prefix", prefix)
}

fn validate_labels<L: AsRef<str> + std::fmt::Debug>(
    what: &str,
    labels: &[L],
) -> Result<(), StorageError> {
    for (at, label) in labels.iter().enumerate() {
        let label = label.as_ref();
        let reason = if label.is_empty() {
            "is empty".to_owned()
        } else if label.contains(SEPARATOR) {
            format!("(`{label}`) contains '.', which the store uses to separate labels")
        } else if label.contains('\0') {
            format!("({label:?}) contains a NUL character")
        } else {
            continue;
        };
        return Err(StorageError::new(format!(
            "invalid {what} {labels:?}: label {} {reason}",
            at + 1
        )));
    }
    Ok(())
}

/// Refuses a value that is not a JSON object, naming the item.
pub fn validate_value(namespace: &[&str], key: &str, value: &Value) -> Result<(), StorageError> {
    let kind = match value {
        Value::Object(_) => return Ok(()),
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
    };
    Err(StorageError::new(format!(
        "store item `{key}` in {namespace:?}: the value must be a JSON object, not {kind}"
    )))
}

/// A namespace as stored: each label followed by `.` (`["a", "b"]` is `a.b.`). The namespaces
/// under a prefix are exactly the strings that start with the prefix's encoding.
pub fn encode_namespace<L: AsRef<str>>(namespace: &[L]) -> String {
    let mut path = String::new();
    for label in namespace {
        path.push_str(label.as_ref());
        path.push(SEPARATOR);
    }
    path
}

/// The labels of an encoded namespace ([`encode_namespace`]).
pub fn decode_namespace(path: &str) -> Vec<String> {
    path.split_terminator(SEPARATOR)
        .map(str::to_owned)
        .collect()
}

/// The first string after every string that starts with `path` (an encoded prefix): the end of
/// the prefix's range, for `path <= ns < end`. `None` for the empty prefix, whose range has no
/// end. It is `path` with its final `.` raised to the next character, `/`.
///
/// ```
/// use graph_core::store::{encode_namespace, prefix_end};
///
/// let start = encode_namespace(&["a", "b"]);
/// let end = prefix_end(&start).unwrap();
/// assert_eq!((start.as_str(), end.as_str()), ("a.b.", "a.b/"));
/// assert!(encode_namespace(&["a", "b", "c"]) < end);
/// assert!(encode_namespace(&["a", "bc"]) >= end); // a sibling is outside
/// ```
pub fn prefix_end(path: &str) -> Option<String> {
    let stem = path.strip_suffix(SEPARATOR)?;
    Some(format!("{stem}/"))
}

/// When an item put at `now_ms` with `ttl` expires (saturating), or `None` without a ttl.
pub fn expires_at(now_ms: u64, ttl: Option<Duration>) -> Option<u64> {
    ttl.map(|ttl| now_ms.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)))
}

/// Whether an item with this expiry is visible at `now_ms`.
pub fn is_live(expires_at_ms: Option<u64>, now_ms: u64) -> bool {
    expires_at_ms.is_none_or(|expires| now_ms < expires)
}
