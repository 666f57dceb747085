//! What an update writes to a field that has a reducer: a value for the reducer, or an
//! [`Overwrite`] that replaces the field's value for this one write, bypassing the reducer
//! (LangGraph's `Overwrite`: reset or trim an append list).
//!
//! `#[derive(State)]` gives each reducer field of `<State>Update` the type
//! `Option<FieldUpdate<U, T>>`, so one update writes such a field one way or the other, never
//! both, and its setter takes either form through [`IntoFieldUpdate`]: `.log(vec![..])` appends,
//! `.log(Overwrite(vec![]))` empties the list. Fields without a reducer take plain values: an
//! `Overwrite` of one does not compile, as every write of it replaces it already.
//!
//! In JSON (checkpoints, pending writes, the input schema), a reducer write is the value itself
//! and an overwrite is LangGraph's wire form `{"type": "__overwrite__", "value": ...}`; the
//! sentinel form `{"__overwrite__": ...}` is read too.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Replaces the value of a field that has a reducer, for one write, without calling the reducer.
///
/// Pass it to the field's setter: `LogUpdate::default().log(Overwrite(vec![]))` empties an
/// `#[state(append)]` list, `.count(Overwrite(0))` resets an `#[state(add)]` counter. As in
/// LangGraph, a field takes at most one `Overwrite` per superstep (a second is an
/// [`crate::Error::OverwriteConflict`]), and the `Overwrite` wins the superstep: reducer writes of
/// the field by tasks before it in task order are replaced, and those after it are dropped.
///
/// ```
/// use std::sync::Arc;
/// use graph_core::{Ctx, Overwrite, RunConfig, START, State, StateGraph};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Chat {
///     #[state(append)]
///     log: Vec<String>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut graph = StateGraph::<Chat>::new();
/// graph.add_node("a", |_s: Arc<Chat>, _ctx: Ctx| async {
///     Ok(ChatUpdate::default().log(vec!["a".to_owned()]))
/// });
/// // Keeps only the last entry instead of appending.
/// graph.add_node("trim", |s: Arc<Chat>, _ctx: Ctx| async move {
///     Ok(ChatUpdate::default().log(Overwrite(s.log[s.log.len() - 1..].to_vec())))
/// });
/// graph.add_edge(START, "a").add_edge("a", "trim");
/// let graph = graph.compile()?;
/// let input = ChatUpdate::default().log(vec!["hello".to_owned()]);
/// let out = graph.invoke(input, &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.log, ["a"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Overwrite<T>(pub T);

/// What one update writes to a field that has a reducer, of update type `U` and value type `T`
/// (the same for the built-in reducers). Built by the field's setter from a `U` or an
/// [`Overwrite`] of a `T`.
///
/// ```
/// use graph_core::{FieldUpdate, Overwrite, State};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Chat {
///     #[state(append)]
///     log: Vec<String>,
/// }
///
/// let update = ChatUpdate::default().log(Overwrite(vec!["kept".to_owned()]));
/// assert_eq!(update.log, Some(FieldUpdate::Overwrite(vec!["kept".to_owned()])));
/// let update = ChatUpdate::default().log(vec!["more".to_owned()]);
/// assert!(matches!(update.log, Some(FieldUpdate::Reduce(ref items)) if items == &["more"]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum FieldUpdate<U, T = U> {
    /// A value the field's reducer combines with the current one.
    Reduce(U),
    /// A value that replaces the current one ([`Overwrite`]).
    Overwrite(T),
}

impl<U, T> FieldUpdate<U, T> {
    /// Whether this write bypasses the reducer.
    ///
    /// ```
    /// use graph_core::FieldUpdate;
    ///
    /// assert!(FieldUpdate::<u32>::Overwrite(0).is_overwrite());
    /// assert!(!FieldUpdate::<u32>::Reduce(1).is_overwrite());
    /// ```
    pub fn is_overwrite(&self) -> bool {
        matches!(self, FieldUpdate::Overwrite(_))
    }
}

/// What a reducer field's setter accepts: a value convertible into the field's update type, which
/// the reducer combines, or an [`Overwrite`] of a value convertible into the field's type.
///
/// `How` only tells the two conversions apart (it is inferred, never written), so one setter
/// takes both forms with no ambiguity.
///
/// ```
/// use graph_core::{FieldUpdate, IntoFieldUpdate, Overwrite};
///
/// type Log = Vec<String>;
///
/// /// What a setter of a `Vec<String>` field with a reducer does with its argument.
/// fn set<How>(value: impl IntoFieldUpdate<Log, Log, How>) -> FieldUpdate<Log> {
///     value.into_field_update()
/// }
/// assert_eq!(set(["a".to_owned()]), FieldUpdate::Reduce(vec!["a".to_owned()]));
/// assert_eq!(set(Overwrite(vec![])), FieldUpdate::Overwrite(vec![]));
/// ```
pub trait IntoFieldUpdate<U, T, How> {
    /// The field update.
    fn into_field_update(self) -> FieldUpdate<U, T>;
}

/// [`IntoFieldUpdate`]'s `How` for a value the reducer combines.
#[doc(hidden)]
pub enum ByReducer {}

/// [`IntoFieldUpdate`]'s `How` for an [`Overwrite`].
#[doc(hidden)]
pub enum ByOverwrite {}

impl<U, T, V: Into<U>> IntoFieldUpdate<U, T, ByReducer> for V {
    fn into_field_update(self) -> FieldUpdate<U, T> {
        FieldUpdate::Reduce(self.into())
    }
}

impl<U, T, V: Into<T>> IntoFieldUpdate<U, T, ByOverwrite> for Overwrite<V> {
    fn into_field_update(self) -> FieldUpdate<U, T> {
        FieldUpdate::Overwrite(self.0.into())
    }
}

/// The tag of an overwrite on the wire, as in LangGraph.
const OVERWRITE_TAG: &str = "__overwrite__";

impl<U: Serialize, T: Serialize> Serialize for FieldUpdate<U, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // The value itself, so reducer writes read the same as before overwrites existed.
            FieldUpdate::Reduce(value) => value.serialize(serializer),
            FieldUpdate::Overwrite(value) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", OVERWRITE_TAG)?;
                map.serialize_entry("value", value)?;
                map.end()
            }
        }
    }
}

impl<'de, U: DeserializeOwned, T: DeserializeOwned> Deserialize<'de> for FieldUpdate<U, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldUpdateVisitor(PhantomData))
    }
}

/// Reads anything that is not a JSON object straight into `U` (a list being appended costs no
/// more than before); only an object is buffered, to look for the overwrite tag.
struct FieldUpdateVisitor<U, T>(PhantomData<fn() -> (U, T)>);

impl<U: DeserializeOwned, T: DeserializeOwned> FieldUpdateVisitor<U, T> {
    fn reduce<'de, E: de::Error>(
        value: impl IntoDeserializer<'de, E>,
    ) -> Result<FieldUpdate<U, T>, E> {
        U::deserialize(value.into_deserializer()).map(FieldUpdate::Reduce)
    }
}

impl<'de, U: DeserializeOwned, T: DeserializeOwned> Visitor<'de> for FieldUpdateVisitor<U, T> {
    type Value = FieldUpdate<U, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field update, or {\"type\": \"__overwrite__\", \"value\": ...}")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Self::reduce(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::reduce(())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::reduce(())
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        U::deserialize(deserializer).map(FieldUpdate::Reduce)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        U::deserialize(SeqAccessDeserializer::new(seq)).map(FieldUpdate::Reduce)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::<String, serde_json::Value>::deserialize(
            MapAccessDeserializer::new(map),
        )?;
        let overwrite = if object.len() == 1 {
            object.remove(OVERWRITE_TAG)
        } else if object.len() == 2
            && object.get("type").and_then(serde_json::Value::as_str) == Some(OVERWRITE_TAG)
        {
            object.remove("value")
        } else {
            None
        };
        match overwrite {
            Some(value) => T::deserialize(value).map(FieldUpdate::Overwrite),
            None => U::deserialize(serde_json::Value::Object(object)).map(FieldUpdate::Reduce),
        }
        .map_err(de::Error::custom)
    }
}

impl<U: JsonSchema, T: JsonSchema> JsonSchema for FieldUpdate<U, T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("FieldUpdate_{}_{}", U::schema_name(), T::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!(
            "graph_core::FieldUpdate<{}, {}>",
            U::schema_id(),
            T::schema_id()
        )
        .into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let overwrite = serde_json::json!({
            "type": "object",
            "properties": {
                "type": { "const": OVERWRITE_TAG },
                "value": generator.subschema_for::<T>().to_value(),
            },
            "required": ["type", "value"],
            "additionalProperties": false,
        });
        let mut schema = serde_json::Map::new();
        schema.insert(
            "anyOf".to_owned(),
            serde_json::Value::Array(vec![generator.subschema_for::<U>().to_value(), overwrite]),
        );
        Schema::from(schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Log = FieldUpdate<Vec<String>>;

    #[test]
    fn a_reducer_write_is_the_value_and_an_overwrite_is_tagged() {
        let append: Log = FieldUpdate::Reduce(vec!["a".into()]);
        assert_eq!(serde_json::to_value(&append).unwrap(), json!(["a"]));
        let reset: Log = FieldUpdate::Overwrite(vec![]);
        assert_eq!(
            serde_json::to_value(&reset).unwrap(),
            json!({"type": "__overwrite__", "value": []})
        );
        for form in [
            json!({"type": "__overwrite__", "value": ["b"]}),
            json!({"value": ["b"], "type": "__overwrite__"}),
            json!({"__overwrite__": ["b"]}),
        ] {
            let read: Log = serde_json::from_value(form.clone()).unwrap();
            assert_eq!(read, FieldUpdate::Overwrite(vec!["b".into()]), "{form}");
        }
        let read: Log = serde_json::from_slice(br#"["x","y"]"#).unwrap();
        assert_eq!(read, FieldUpdate::Reduce(vec!["x".into(), "y".into()]));
    }

    #[test]
    fn scalars_and_objects_that_are_not_overwrites_go_to_the_reducer() {
        let n: FieldUpdate<u32> = serde_json::from_str("7").unwrap();
        assert_eq!(n, FieldUpdate::Reduce(7));
        let bad = serde_json::from_str::<FieldUpdate<u32>>("-1").unwrap_err();
        assert!(bad.to_string().contains("invalid value"), "{bad}");
        let map: FieldUpdate<std::collections::BTreeMap<String, u32>> =
            serde_json::from_str(r#"{"type": 1, "value": 2}"#).unwrap();
        assert_eq!(
            map,
            FieldUpdate::Reduce([("type".into(), 1), ("value".into(), 2)].into())
        );
        let maybe: FieldUpdate<Option<u32>> = serde_json::from_str("null").unwrap();
        assert_eq!(maybe, FieldUpdate::Reduce(None));
    }

    #[test]
    fn the_schema_takes_a_value_or_the_tagged_overwrite() {
        let schema = schemars::schema_for!(FieldUpdate<Vec<String>>).to_value();
        let any_of = schema["anyOf"].as_array().unwrap();
        assert_eq!(any_of[0]["type"], "array");
        assert_eq!(any_of[1]["properties"]["type"]["const"], "__overwrite__");
        assert_eq!(any_of[1]["properties"]["value"]["type"], "array");
        assert_eq!(any_of[1]["required"], json!(["type", "value"]));
    }

    #[test]
    fn setters_take_a_value_or_an_overwrite() {
        fn set<H>(value: impl IntoFieldUpdate<Vec<String>, Vec<String>, H>) -> Log {
            value.into_field_update()
        }
        assert_eq!(
            set(vec!["a".to_owned()]),
            FieldUpdate::Reduce(vec!["a".into()])
        );
        assert!(set(Overwrite(vec!["a".into()])).is_overwrite());
        assert!(!set(["a".to_owned()]).is_overwrite());
    }
}
