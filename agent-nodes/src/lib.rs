//! agent-nodes: LLM clients (Gemini, OpenAI-compatible), the offline rule-based NLU and reusable
//! graph nodes. Not built yet: it is the subject of a later issue.
