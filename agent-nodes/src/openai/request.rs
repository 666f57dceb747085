//! A [`ChatRequest`] as a chat-completions body.

use serde_json::{Value, json};

use super::wire::{
    CompletionRequest, OutDeclaration, OutFunction, OutMessage, OutTool, OutToolCall,
};
use super::{Dialect, JsonMode};
use crate::model::{ChatRequest, Message, Part, Role, ToolCall, ToolChoice, ToolResult};

/// The body for `request`, sent by the client named `provider`.
pub(super) fn build<'a>(
    request: &ChatRequest,
    provider: &str,
    model: &'a str,
    dialect: Dialect,
    stream: bool,
) -> CompletionRequest<'a> {
    let mut system = request.system.clone();
    let response_format = request
        .response_schema
        .as_ref()
        .map(|schema| match dialect.json_mode {
            JsonMode::Schema { strict } => json!({
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": schema, "strict": strict},
            }),
            JsonMode::Object => {
                // JSON-object mode takes no schema, and DeepSeek wants the word "json" and the
                // shape in the prompt: the schema goes there.
                let rule =
                    format!("Answer with one JSON object that follows this JSON Schema:\n{schema}");
                system = Some(match system.take() {
                    Some(prompt) => format!("{prompt}\n\n{rule}"),
                    None => rule,
                });
                json!({"type": "json_object"})
            }
        });
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(content) = system {
        messages.push(plain("system", content));
    }
    let replay = dialect.replay_reasoning.then_some(provider);
    messages.extend(conversation(&request.messages, replay));
    let tools: Vec<OutTool> = request
        .tools
        .iter()
        .map(|t| OutTool {
            kind: "function",
            function: OutDeclaration {
                name: t.name.clone(),
                description: t.description.clone(),
                parameters: t.parameters.clone(),
            },
        })
        .collect();
    let tool_choice = (!tools.is_empty()).then(|| match &request.tool_choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Named(name) => json!({"type": "function", "function": {"name": name}}),
    });
    CompletionRequest {
        model,
        messages,
        tools,
        tool_choice,
        response_format,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        stream,
        stream_options: stream.then(|| json!({"include_usage": true})),
    }
}

fn plain(role: &'static str, content: String) -> OutMessage {
    OutMessage {
        role,
        content: Some(content),
        tool_calls: Vec::new(),
        tool_call_id: None,
        reasoning_content: None,
    }
}

/// The messages. A call without an id (from another provider's history) gets one, and a
/// result without an id takes the id of the first unanswered call of its name, since the
/// protocol pairs them by id. Reasoning is replayed only when `replay` names a provider (when
/// `replay_reasoning`), only that provider's own (another's, such as a Gemini signature, means
/// nothing to this server), and only after the last user message: DeepSeek wants it back
/// within a turn and refuses it in older ones.
fn conversation(messages: &[Message], replay: Option<&str>) -> Vec<OutMessage> {
    let current_turn = messages
        .iter()
        .rposition(|m| m.role == Role::User && !m.text().is_empty());
    let mut unanswered: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        for part in &message.parts {
            if let Part::ToolResult(result) = part {
                out.push(tool_message(result, &mut unanswered));
            }
        }
        let text = message.text();
        match message.role {
            Role::User if !text.is_empty() => out.push(plain("user", text)),
            Role::Model => {
                let calls: Vec<&ToolCall> = message.tool_calls().collect();
                if text.is_empty() && calls.is_empty() {
                    continue;
                }
                let reasoning = replay
                    .filter(|_| current_turn.is_none_or(|turn| index > turn))
                    .and_then(|provider| {
                        calls
                            .iter()
                            .find_map(|c| c.replay.as_ref()?.data_for(provider))
                    })
                    .map(str::to_owned);
                let tool_calls = calls
                    .iter()
                    .enumerate()
                    .map(|(n, call)| {
                        let id = call
                            .id
                            .clone()
                            .unwrap_or_else(|| format!("call_{index}_{n}"));
                        unanswered.push((call.name.clone(), id.clone()));
                        OutToolCall {
                            id,
                            kind: "function",
                            function: OutFunction {
                                name: call.name.clone(),
                                arguments: arguments(&call.args),
                            },
                        }
                    })
                    .collect();
                out.push(OutMessage {
                    role: "assistant",
                    content: (!text.is_empty()).then_some(text),
                    tool_calls,
                    tool_call_id: None,
                    reasoning_content: reasoning,
                });
            }
            _ => {}
        }
    }
    out
}

/// A call's arguments as sent back: the raw string when they did not parse (so the assistant
/// message is replayed unchanged), else the object as JSON.
fn arguments(args: &Value) -> String {
    match args {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    }
}

fn tool_message(result: &ToolResult, unanswered: &mut Vec<(String, String)>) -> OutMessage {
    let position = match &result.id {
        Some(id) => unanswered.iter().position(|(_, i)| i == id),
        None => unanswered.iter().position(|(name, _)| *name == result.name),
    };
    let paired = position.map(|p| unanswered.remove(p).1);
    let id = result
        .id
        .clone()
        .or(paired)
        .unwrap_or_else(|| format!("call_{}", result.name));
    let content = match (&result.output, result.is_error) {
        (output, true) => json!({ "error": output }).to_string(),
        (Value::String(text), false) => text.clone(),
        (output, false) => output.to_string(),
    };
    OutMessage {
        role: "tool",
        content: Some(content),
        tool_calls: Vec::new(),
        tool_call_id: Some(id),
        reasoning_content: None,
    }
}
