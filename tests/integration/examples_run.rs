//! The approval example: interrupt, resume, and its DOT with the executed path.

use examples::{RequestUpdate, approval_graph};
use graph_core::{Resume, RunConfig, RunStatus, ThreadStatus};

#[tokio::test]
async fn the_approval_example_pauses_resumes_and_draws_its_path() {
    let graph = approval_graph().unwrap();
    let config = RunConfig::thread("guest-42");
    let first = graph
        .invoke(
            RequestUpdate::default().ask("a deluxe room for 3 nights"),
            &config,
        )
        .await
        .unwrap();
    let RunStatus::Interrupted(interrupts) = &first.status else {
        panic!("{:?}", first.status)
    };
    assert_eq!(interrupts[0].node, "approve");
    assert_eq!(interrupts[0].value["quote_usd"], "660.00");
    assert_eq!(
        graph.get_state(&config).await.unwrap().status,
        ThreadStatus::Interrupted
    );

    let done = graph.resume(&config, Resume::value("yes")).await.unwrap();
    assert_eq!(done.status, RunStatus::Done);
    assert_eq!(done.state.approved, Some(true));
    assert_eq!(done.state.log.len(), 3);
    assert!(
        done.state.log[2].starts_with("confirmed as REF-"),
        "{:?}",
        done.state.log
    );
    let mut executed = first.executed;
    executed.extend(done.executed);
    assert_eq!(executed, ["draft", "approve", "confirm"]);
    insta::assert_snapshot!(graph.to_dot_highlighting(&executed));
}

#[tokio::test]
async fn answering_no_declines() {
    let graph = approval_graph().unwrap();
    let config = RunConfig::thread("guest-7");
    graph
        .invoke(RequestUpdate::default().ask("one night"), &config)
        .await
        .unwrap();
    let done = graph.resume(&config, Resume::value("no")).await.unwrap();
    assert_eq!(done.state.approved, Some(false));
    assert_eq!(done.state.log.last().map(String::as_str), Some("declined"));
}
