//! A [`ChatRequest`] as a Gemini `generateContent` body.

use serde_json::json;

use super::wire::{
    Content, FunctionCall, FunctionCallingConfig, FunctionDeclaration, FunctionResponse,
    GenerateContentRequest, GenerationConfig, ThinkingConfig, Tool, ToolConfig, WirePart,
};
use crate::model::{ChatRequest, Message, Part, Role, ToolChoice};

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

/// One message as a turn. Tool results go back in a `user` turn; a model turn is replayed
/// with each call's `thoughtSignature`, which Gemini 3 requires.
fn content(message: &Message) -> Content {
    let role = match message.role {
        Role::User | Role::Tool => "user",
        Role::Model => "model",
    };
    let parts = message
        .parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => WirePart {
                text: Some(text.clone()),
                ..WirePart::default()
            },
            Part::ToolCall(call) => WirePart {
                function_call: Some(FunctionCall {
                    id: call.id.clone(),
                    name: call.name.clone(),
                    args: call.args.clone(),
                }),
                thought_signature: call.replay.clone(),
                ..WirePart::default()
            },
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
