//! Every SQL statement the crate runs, in one list, for [`crate::PgCheckpointer::check_statements`].

use crate::{cache, fields, read, schema, store, threads, writer};

/// Every statement (the migrations themselves aside).
pub(crate) fn all() -> Vec<String> {
    let reads = [
        read::THREAD_ROW,
        read::BY_ID,
        read::LATEST,
        read::PAGE,
        read::LIST,
        read::VALUES,
        read::WRITES,
    ];
    let fields = [fields::INTERN, fields::NUMBERS, fields::ALL];
    let threads = [
        threads::DELETE,
        threads::EXISTS,
        threads::HAS_CHECKPOINTS,
        threads::NAMESPACES,
        threads::NEWEST,
        threads::PRUNE_VALUES,
        threads::CUT,
        threads::DROP_STARTED_AFTER,
    ];
    let own = reads
        .into_iter()
        .chain(fields)
        .chain(writer::STATEMENTS)
        .chain(threads)
        .chain(threads::COPY)
        .chain(threads::PRUNE)
        .chain(threads::CUT_ROOT)
        .chain(store::STATEMENTS)
        .chain(cache::STATEMENTS)
        .map(str::to_owned);
    migrations::statements(&schema::SCHEMA)
        .into_iter()
        .chain(own)
        .collect()
}
