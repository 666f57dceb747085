//! A [`ChatRequest`] as a Gemini `generateContent` body.

use serde_json::json;

use super::PROVIDER;
use super::wire::{
    Content, FunctionCall, FunctionCallingConfig, FunctionDeclaration, FunctionResponse,
    GenerateContentRequest, GenerationConfig, ThinkingConfig, Tool, ToolConfig, WirePart,
};
use crate::model::{ChatRequest, Message, Part, Role, ToolCall, ToolChoice};

/// The body for `request`, with the client's thinking level if it set one.
pub(super) fn build(request: &ChatRequest, thinking_level: Option<&str>) -> GenerateContentRequest {
    let system_instruction = request.system.as_ref().map(|text| Content {
        role: None,
        parts: vec![WirePart {
            text: Some(text.clone()),
            ..WirePart::default()
        }],
    });
    let contents = request
        .messages
        .iter()
        .filter(|m| !m.parts.is_empty())
        .map(content)
        .collect();
    let tools = if request.tools.is_empty() {
        Vec::new()
    } else {
        vec![Tool {
            function_declarations: request
                .tools
                .iter()
                .map(|t| FunctionDeclaration {
                    name: t.name.clone(),
                    description: t.description.clone(),
                    parameters_json_schema: t.parameters.clone(),
                })
                .collect(),
        }]
    };
    let tool_config = (!request.tools.is_empty()).then(|| ToolConfig {
        function_calling_config: match &request.tool_choice {
            ToolChoice::Auto => calling("AUTO", Vec::new()),
            ToolChoice::None => calling("NONE", Vec::new()),
            ToolChoice::Required => calling("ANY", Vec::new()),
            ToolChoice::Named(name) => calling("ANY", vec![name.clone()]),
        },
    });
    let generation_config = GenerationConfig {
        response_mime_type: request.response_schema.as_ref().map(|_| "application/json"),
        response_json_schema: request.response_schema.clone(),
        max_output_tokens: request.max_tokens,
        temperature: request.temperature,
        thinking_config: thinking_level.map(|level| ThinkingConfig {
            thinking_level: level.to_owned(),
        }),
    };
    let empty = generation_config.response_mime_type.is_none()
        && generation_config.max_output_tokens.is_none()
        && generation_config.temperature.is_none()
        && generation_config.thinking_config.is_none();
    GenerateContentRequest {
        system_instruction,
        contents,
        tools,
        tool_config,
        generation_config: (!empty).then_some(generation_config),
    }
}

fn calling(mode: &'static str, allowed_function_names: Vec<String>) -> FunctionCallingConfig {
    FunctionCallingConfig {
        mode,
        allowed_function_names,
    }
}

/// The `thoughtSignature` Google documents for function calls that Gemini did not produce
/// (history from another model, or written by hand): it tells Gemini 3 to skip the check that
/// the first `functionCall` of a model turn is signed. See the FAQ of
/// <https://ai.google.dev/gemini-api/docs/thought-signatures>.
const SKIP_SIGNATURE_VALIDATOR: &str = "skip_thought_signature_validator";

/// One message as a turn. Tool results go back in a `user` turn; a model turn is replayed
/// with each call's `thoughtSignature`, which Gemini 3 requires.
///
/// Only Gemini's own replays are sent as signatures: another provider's state (DeepSeek's
/// reasoning) means nothing here, and wire-protocols §4.4 says a signature is valid only where
/// it was produced. Leaving it out is not enough, though: §4.4 also says Gemini 3 answers 400
/// "Function call is missing a thought_signature" when a replayed call has none. Gemini 3 signs
/// the first call of every turn it makes, so a turn with calls and no Gemini replay at all did
/// not come from Gemini (another provider answered it, in a fallback chain), and its first
/// call carries [`SKIP_SIGNATURE_VALIDATOR`] instead. (§4.4 itself does not name that value;
/// Google's thought-signatures page does.) A Gemini turn that has lost its first signature but
/// kept another is sent as it is, and Gemini's 400 reports it.
fn content(message: &Message) -> Content {
    let role = match message.role {
        Role::User | Role::Tool => "user",
        Role::Model => "model",
    };
    let signature = |call: &ToolCall| {
        call.replay
            .as_ref()
            .and_then(|r| r.data_for(PROVIDER))
            .map(str::to_owned)
    };
    let from_gemini = message.tool_calls().any(|c| signature(c).is_some());
    let mut first_call = true;
    let parts = message
        .parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => WirePart {
                text: Some(text.clone()),
                ..WirePart::default()
            },
            Part::ToolCall(call) => {
                let bypass =
                    (!from_gemini && first_call).then(|| SKIP_SIGNATURE_VALIDATOR.to_owned());
                first_call = false;
                WirePart {
                    function_call: Some(FunctionCall {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        args: call.args.clone(),
                    }),
                    thought_signature: signature(call).or(bypass),
                    ..WirePart::default()
                }
            }
            Part::ToolResult(result) => WirePart {
                function_response: Some(FunctionResponse {
                    id: result.id.clone(),
                    name: result.name.clone(),
                    response: if result.is_error {
                        json!({ "error": result.output })
                    } else {
                        json!({ "output": result.output })
                    },
                }),
                ..WirePart::default()
            },
        })
        .collect();
    Content {
        role: Some(role.to_owned()),
        parts,
    }
}
