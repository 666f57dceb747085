//! The workspace's cross-crate tests live in `integration/`: they run the examples end to end and
//! check the architecture invariants (which crate may depend on what). This library is empty.
