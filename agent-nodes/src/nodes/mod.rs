//! Reusable graph nodes. Each is generic over the graph's state: it reads what it needs
//! through a function of the state and returns its result through a function that builds the
//! state's update, so nothing here knows the shape of a particular state.
//!
//! - [`IntentRouter`] understands the latest message and routes on its intent, with a
//!   confidence threshold and a fallback route.
//! - [`LlmNode`] renders a prompt from the state, calls a model (journaled, so a re-run reuses
//!   the answer) and stores the answer, optionally as structured output.
//! - [`ToolNode`] runs the tool calls of the model's last message: arguments are validated
//!   against each tool's JSON Schema, bad ones and failures go back to the model as tool
//!   errors, and each call is journaled under the task's idempotency key, so a re-run never
//!   repeats a side effect.
//! - [`Validator`] checks slots with rules that explain themselves to the guest in English and
//!   Spanish, and routes to a valid or an invalid path.

mod llm;
mod router;
mod template;
mod tool;
mod validate;

pub use llm::LlmNode;
pub use router::IntentRouter;
pub use template::Template;
pub use tool::{Tool, ToolFn, ToolNode, Toolbox, tool};
pub use validate::{Rule, Validator, Violation, rules};
