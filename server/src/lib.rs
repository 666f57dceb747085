//! server: the hotel agent over HTTP (webhooks, local chat API, operations). Not built yet: it is
//! the subject of a later issue.
