//! The hotel agent's tests: conversation traces snapshot-tested with insta, and the agent with
//! a loopback Gemini in front of the offline NLU.

mod bench;
mod consent;
mod gemini;
mod policy;
mod traces;
