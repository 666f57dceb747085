//! Editing a thread from outside: `update_state`'s special targets (`__input__`, `__end__`,
//! `__copy__`), `bulk_update_state` (a superstep of updates applied together), and a `Command`
//! as input (`invoke_command`, LangGraph's `invoke(Command(update=, goto=))`).

use graph_core::{
    Command, CompiledGraph, Durability, Error, HistoryQuery, Interrupt, Resume, RunConfig,
    RunStatus, START, Source, StateGraph, ThreadStatus, UpdateTarget,
};

use crate::{Log, LogUpdate, append, chain, memory, push};

fn graph() -> CompiledGraph<Log> {
    chain().compile().unwrap().with_checkpointer(memory())
}

/// START → a → b → c, paused before b.
fn paused() -> CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b")).interrupt_before();
    g.add_node("c", append("c"));
    g.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c");
    g.compile().unwrap().with_checkpointer(memory())
}

#[tokio::test]
async fn as_input_starts_again_from_start() {
    let g = graph();
    let cfg = RunConfig::thread("t");
    // On an empty thread: the first checkpoint, as invoke's input is.
    g.update_state(&cfg, push("first"), UpdateTarget::Input)
        .await
        .unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    let meta = state.checkpoint.unwrap();
    assert_eq!(
        (meta.source, meta.step, meta.parent),
        (Source::Input, -1, None)
    );
    assert_eq!(state.next, ["a"]);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["first", "a", "b", "c"]);

    // On a finished thread, with LangGraph's name: one superstep on, then START's edges again.
    g.update_state(&cfg, push("again"), "__input__")
        .await
        .unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    let meta = state.checkpoint.unwrap();
    assert_eq!((meta.source, meta.step), (Source::Input, 3));
    assert_eq!(state.next, ["a"]);
    assert!(meta.writers.is_empty());
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.executed, ["a", "b", "c"]);
    assert_eq!(
        out.state.log,
        ["first", "a", "b", "c", "again", "a", "b", "c"]
    );
}

#[tokio::test]
async fn as_input_drops_what_was_planned() {
    let g = paused();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(g.get_state(&cfg).await.unwrap().next, ["b"]);
    g.update_state(&cfg, push("new"), UpdateTarget::Input)
        .await
        .unwrap();
    assert_eq!(g.get_state(&cfg).await.unwrap().next, ["a"]);
}

#[tokio::test]
async fn as_end_plans_nothing() {
    let g = paused();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    g.update_state(&cfg, push("stop").x(9), UpdateTarget::End)
        .await
        .unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    assert!(state.next.is_empty());
    assert!(state.tasks.is_empty());
    assert_eq!(state.status, ThreadStatus::Idle);
    assert_eq!(state.values.log, ["a", "stop"]);
    assert_eq!(state.values.x, 9);
    let meta = state.checkpoint.unwrap();
    assert_eq!((meta.source, meta.step), (Source::Update, 1));
    // Nothing is left to run.
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert!(out.executed.is_empty());
    // `__end__` with no update clears the plan too.
    let cfg = RunConfig::thread("u");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    g.update_state(&cfg, LogUpdate::default(), "__end__")
        .await
        .unwrap();
    assert!(g.get_state(&cfg).await.unwrap().next.is_empty());
}

#[tokio::test]
async fn a_copy_forks_without_changes() {
    let g = paused();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let original = g.get_state(&cfg).await.unwrap();
    let original_id = original.checkpoint.as_ref().unwrap().id;
    let copy = g
        .update_state(&cfg, LogUpdate::default(), UpdateTarget::Copy)
        .await
        .unwrap();
    assert_ne!(copy, original_id);
    let state = g.get_state(&cfg).await.unwrap();
    let meta = state.checkpoint.clone().unwrap();
    assert_eq!(meta.id, copy);
    assert_eq!(meta.source, Source::Fork);
    assert_eq!(meta.parent, Some(original_id));
    assert_eq!(meta.step, original.checkpoint.as_ref().unwrap().step);
    assert_eq!(state.values, original.values);
    assert_eq!(state.next, ["b"]);
    // The copy runs on; the original is untouched.
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "b", "c"]);
    let at = g.get_state(&cfg.clone().at(original_id)).await.unwrap();
    assert_eq!(
        (at.values.log, at.next),
        (vec!["a".to_owned()], vec!["b".into()])
    );

    let err = g
        .update_state(&cfg, push("x"), "__copy__")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a copy (__copy__) takes no update"),
        "{err}"
    );
    let err = g
        .update_state(
            &RunConfig::thread("empty"),
            LogUpdate::default(),
            UpdateTarget::Copy,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no checkpoint"), "{err}");
}

#[tokio::test]
async fn a_bulk_superstep_applies_its_updates_together() {
    let g = paused();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let before = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap()
        .len();
    // One superstep as a and b: both appended in order, one checkpoint, both nodes' edges.
    g.bulk_update_state(
        &cfg,
        vec![
            vec![
                (push("as_a").n(1u32), UpdateTarget::from("a")),
                (push("as_b").n(2u32), UpdateTarget::from("b")),
            ],
            vec![(push("as_c"), UpdateTarget::from("c"))],
        ],
    )
    .await
    .unwrap();
    let history = g
        .get_state_history_values(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(history.len(), before + 2, "one checkpoint per superstep");
    let first = &history[1];
    assert_eq!(first.values.log, ["a", "as_a", "as_b"]);
    assert_eq!(first.values.n, 3);
    assert_eq!(first.checkpoint.as_ref().unwrap().writers, ["a", "b"]);
    // a's edge plans b, b's plans c.
    assert_eq!(first.next, ["b", "c"]);
    let last = &history[0];
    assert_eq!(last.values.log, ["a", "as_a", "as_b", "as_c"]);
    assert!(last.next.is_empty());
    assert_eq!(
        last.checkpoint.as_ref().unwrap().parent,
        first.checkpoint.as_ref().map(|c| c.id)
    );

    // Two writes of a field without a reducer in one superstep conflict, as two tasks' would,
    // and nothing of that superstep is written.
    let err = g
        .bulk_update_state(
            &cfg,
            vec![vec![
                (LogUpdate::default().x(1), UpdateTarget::from("a")),
                (LogUpdate::default().x(2), UpdateTarget::from("b")),
            ]],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { field: "x", .. }), "{err:?}");
    let after = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(after.len(), before + 2);
}

#[tokio::test]
async fn bulk_refuses_empty_and_mixed_supersteps() {
    let g = graph();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    for supersteps in [
        vec![],
        vec![vec![]],
        vec![vec![
            (push("x"), UpdateTarget::from("a")),
            (LogUpdate::default(), UpdateTarget::End),
        ]],
    ] {
        let err = g.bulk_update_state(&cfg, supersteps).await.unwrap_err();
        assert!(matches!(err, Error::StateUpdate { .. }), "{err:?}");
    }
    // A special target alone in a later superstep is fine: edit, then end.
    g.bulk_update_state(
        &cfg,
        vec![
            vec![(push("edit"), UpdateTarget::from("b"))],
            vec![(LogUpdate::default(), UpdateTarget::End)],
        ],
    )
    .await
    .unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    assert!(state.next.is_empty());
    assert_eq!(state.values.log, ["a", "b", "c", "edit"]);
}

#[tokio::test]
async fn a_command_as_input_goes_where_it_says() {
    let g = graph();
    // A new thread: the update is the input, and goto replaces START's edges.
    let cfg = RunConfig::thread("t");
    let out = g
        .invoke_command(Command::update(push("hi")).and_goto("b"), &cfg)
        .await
        .unwrap();
    assert_eq!(out.executed, ["b", "c"]);
    assert_eq!(out.state.log, ["hi", "b", "c"]);
    // Stored before the run starts, whatever the run's durability.
    let exit = RunConfig::thread("exit").durability(Durability::Exit);
    let out = g
        .invoke_command(Command::update(push("hi")).and_goto("c"), &exit)
        .await
        .unwrap();
    assert_eq!(out.state.log, ["hi", "c"]);
    g.update_state(&exit, push("in"), UpdateTarget::Input)
        .await
        .unwrap();
    assert_eq!(g.get_state(&exit).await.unwrap().next, ["a"]);
    // A finished thread: update applied, then goto runs.
    let out = g
        .invoke_command(Command::update(push("more").x(4)).and_goto("c"), &cfg)
        .await
        .unwrap();
    assert_eq!(out.executed, ["c"]);
    assert_eq!(out.state.log, ["hi", "b", "c", "more", "c"]);
    assert_eq!(out.state.x, 4);
    // Only an update: nothing is planned, so nothing runs.
    let out = g
        .invoke_command(Command::update(push("quiet")), &cfg)
        .await
        .unwrap();
    assert!(out.executed.is_empty());
    assert_eq!(out.state.log.last().map(String::as_str), Some("quiet"));
}

#[tokio::test]
async fn a_commands_goto_adds_to_what_was_planned() {
    let g = paused();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    // Paused before b: goto c runs beside b, in the same superstep, then b's edge runs c again.
    let out = g.invoke_command(Command::goto("c"), &cfg).await.unwrap();
    assert_eq!(out.executed, ["b", "c", "c"]);
    assert_eq!(out.state.log, ["a", "b", "c", "c"]);
    assert!(matches!(out.status, RunStatus::Done));
}

#[tokio::test]
async fn a_command_is_refused_when_it_cannot_apply() {
    let g = graph();
    let cfg = RunConfig::thread("t");
    let err = g
        .invoke_command(Command::update(LogUpdate::default()), &cfg)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the command is empty"), "{err}");
    let err = g
        .invoke_command(Command::goto("nope"), &cfg)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Route { .. }), "{err:?}");

    // A pending interrupt: the command's checkpoint would drop it.
    let mut ask = StateGraph::<Log>::new();
    ask.add_node("ask", |_s, ctx: graph_core::Ctx| async move {
        let answer: String = ctx.interrupt("name?")?;
        Ok(push(answer))
    });
    ask.add_edge(START, "ask");
    let ask = ask.compile().unwrap().with_checkpointer(memory());
    let out = ask.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let RunStatus::Interrupted(interrupts) = out.status else {
        panic!("{:?}", out.status)
    };
    let _: &[Interrupt] = &interrupts;
    let err = ask
        .invoke_command(Command::update(push("x")), &cfg)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("resume it first"), "{err}");
    // Answered, it goes on as usual.
    let out = ask.resume(&cfg, Resume::value("ana")).await.unwrap();
    assert_eq!(out.state.log, ["ana"]);
}
