//! [`LlmNode`]: a prompt built from the state, one model call, the answer stored.

use std::sync::Arc;

use async_trait::async_trait;
use graph_core::{Command, Ctx, MessageChunk, Node, NodeError, NodeResult, State};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::model::{ChatModel, ChatRequest, ChatResponse, schema_of};

type Prompt<S> = Arc<dyn Fn(&S) -> Result<ChatRequest, NodeError> + Send + Sync>;
type Store<S> = Arc<dyn Fn(ChatResponse) -> Result<<S as State>::Update, NodeError> + Send + Sync>;
type Check = Arc<dyn Fn(&ChatResponse) -> Result<(), crate::Error> + Send + Sync>;

/// A node that asks a model and stores its answer.
///
/// The call is journaled ([`Ctx::effect`]): when the task re-runs (after an interrupt later in
/// the graph's superstep, a failure or a crash), it gets the stored answer instead of asking
/// again, so a resumed conversation does not change its mind or pay twice. When the run is
/// streamed, text is forwarded as `messages` events as it arrives.
///
/// ```
/// use std::sync::Arc;
/// use agent_nodes::nodes::{LlmNode, Template};
/// use agent_nodes::{ChatModel, ChatRequest};
/// use graph_core::{State, StateGraph};
///
/// #[derive(State, Clone, Default)]
/// struct Chat { question: String, answer: String }
///
/// fn add(graph: &mut StateGraph<Chat>, model: Arc<dyn ChatModel>) -> Result<(), agent_nodes::Error> {
///     let system = Template::new("You answer questions about {topic}.")?;
///     let node = LlmNode::new(
///         model,
///         move |s: &Chat| {
///             let vars = serde_json::json!({"topic": "hotels"});
///             let system = system.render(vars.as_object().expect("an object"))?;
///             Ok::<_, agent_nodes::Error>(ChatRequest::new(system, s.question.clone()))
///         },
///         |answer| Ok(ChatUpdate::default().answer(answer.text())),
///     );
///     graph.add_node_impl("answer", node);
///     Ok(())
/// }
/// ```
pub struct LlmNode<S: State> {
    model: Arc<dyn ChatModel>,
    prompt: Prompt<S>,
    store: Store<S>,
    /// Run on the answer before it is journaled: an answer that fails it is not kept, so a
    /// retry asks again.
    check: Option<Check>,
}

impl<S: State> LlmNode<S> {
    /// A node that asks `model` the request `prompt(state)` and stores `store(answer)`.
    pub fn new<E>(
        model: Arc<dyn ChatModel>,
        prompt: impl Fn(&S) -> Result<ChatRequest, E> + Send + Sync + 'static,
        store: impl Fn(ChatResponse) -> Result<S::Update, NodeError> + Send + Sync + 'static,
    ) -> Self
    where
        E: Into<NodeError>,
    {
        Self {
            model,
            prompt: Arc::new(move |s| prompt(s).map_err(Into::into)),
            store: Arc::new(store),
            check: None,
        }
    }

    /// A node whose answer must be a `T` (structured output): the request carries `T`'s JSON
    /// Schema, and an answer that does not parse as a `T` fails the node with the reason. Such
    /// an answer is not journaled, so a retry policy asks the model again.
    pub fn structured<T, E>(
        model: Arc<dyn ChatModel>,
        prompt: impl Fn(&S) -> Result<ChatRequest, E> + Send + Sync + 'static,
        store: impl Fn(T) -> S::Update + Send + Sync + 'static,
    ) -> Self
    where
        T: DeserializeOwned + JsonSchema,
        E: Into<NodeError>,
    {
        let schema = schema_of::<T>();
        Self {
            model,
            prompt: Arc::new(move |s| {
                let mut request = prompt(s).map_err(Into::into)?;
                request.response_schema = Some(schema.clone());
                Ok(request)
            }),
            store: Arc::new(move |answer| Ok(store(answer.json::<T>()?))),
            check: Some(Arc::new(|answer| answer.json::<T>().map(drop))),
        }
    }
}

#[async_trait]
impl<S: State> Node<S> for LlmNode<S> {
    async fn run(&self, state: Arc<S>, ctx: Ctx) -> NodeResult<S> {
        let request = (self.prompt)(&state)?;
        let answer: ChatResponse = ctx
            .effect("llm", |_key| async {
                let answer = self.ask(&ctx, &request).await?;
                if let Some(check) = &self.check {
                    check(&answer)?;
                }
                Ok::<_, crate::Error>(answer)
            })
            .await?;
        Ok(Command::update((self.store)(answer)?))
    }
}

impl<S: State> LlmNode<S> {
    /// One model call, streaming text out as `messages` events when the run is streamed.
    async fn ask(&self, ctx: &Ctx, request: &ChatRequest) -> Result<ChatResponse, crate::Error> {
        if !ctx.is_streaming() {
            return self.model.chat(request).await;
        }
        // Text arrives on the model's thread of control; events go out from here.
        let (chunks, mut pending) = tokio::sync::mpsc::unbounded_channel::<String>();
        let call = async move {
            let on_text = move |text: &str| {
                let _ = chunks.send(text.to_owned());
            };
            self.model.chat_stream(request, &on_text).await
        };
        let provider = self.model.provider().to_owned();
        let forward = async {
            while let Some(text) = pending.recv().await {
                ctx.emit_message(MessageChunk {
                    text,
                    provider: Some(provider.clone()),
                })
                .await;
            }
        };
        let (answer, ()) = tokio::join!(call, forward);
        answer
    }
}
