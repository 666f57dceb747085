//! Interned field names: `gc_fields` gives every field name a small number, cached both ways.
//!
//! A field number is interned in a statement of its own, committed before the transaction that
//! uses it, never inside that transaction: field rows are never deleted, so a cached number is
//! then valid for good, even if the transaction that first wanted it rolls back (a number cached
//! from a rolled-back insert would otherwise dangle in every checkpoint written with it).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use deadpool_postgres::GenericClient;

use crate::error::Error;

/// Every name in `$1` interned; the ones already there are left alone.
pub(crate) const INTERN: &str =
    "INSERT INTO gc_fields (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING";
/// The numbers of the names in `$1`.
pub(crate) const NUMBERS: &str = "SELECT id, name FROM gc_fields WHERE name = ANY($1::text[])";
/// Every field, to fill the reader's cache.
pub(crate) const ALL: &str = "SELECT id, name FROM gc_fields";

#[derive(Default)]
struct Maps {
    ids: HashMap<Arc<str>, i32>,
    names: HashMap<i32, Arc<str>>,
}

/// The cache, shared by readers and writers. Numbers are never reused, so it only grows.
#[derive(Default)]
pub(crate) struct Fields(RwLock<Maps>);

impl Fields {
    /// The number of `name`, if cached.
    pub(crate) fn id(&self, name: &str) -> Option<i32> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .ids
            .get(name)
            .copied()
    }

    /// The name numbered `id`, if cached.
    pub(crate) fn name(&self, id: i32) -> Option<Arc<str>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .names
            .get(&id)
            .cloned()
    }

    fn remember(&self, rows: impl IntoIterator<Item = (i32, String)>) {
        let mut maps = self.0.write().unwrap_or_else(PoisonError::into_inner);
        for (id, name) in rows {
            let name: Arc<str> = Arc::from(name);
            maps.ids.insert(Arc::clone(&name), id);
            maps.names.insert(id, name);
        }
    }

    /// Interns every name of `names` not cached yet, on `client` outside any transaction.
    pub(crate) async fn intern<C: GenericClient>(
        &self,
        client: &C,
        names: impl IntoIterator<Item = &str>,
    ) -> Result<(), Error> {
        let mut missing: Vec<&str> = names.into_iter().filter(|n| self.id(n).is_none()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        let context = || format!("interning field names {missing:?}");
        let insert = client
            .prepare_cached(INTERN)
            .await
            .map_err(Error::pg(context()))?;
        client
            .execute(&insert, &[&missing])
            .await
            .map_err(Error::pg(context()))?;
        let select = client
            .prepare_cached(NUMBERS)
            .await
            .map_err(Error::pg(context()))?;
        let rows = client
            .query(&select, &[&missing])
            .await
            .map_err(Error::pg(context()))?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            found.push((
                row.try_get(0).map_err(Error::pg(context()))?,
                row.try_get(1).map_err(Error::pg(context()))?,
            ));
        }
        self.remember(found);
        Ok(())
    }

    /// Makes sure every number of `ids` has its name cached, reloading the table on a miss.
    pub(crate) async fn load<C: GenericClient>(
        &self,
        client: &C,
        ids: &[i32],
    ) -> Result<(), Error> {
        if ids.iter().all(|&id| self.name(id).is_some()) {
            return Ok(());
        }
        let context = || "reading the field names".to_owned();
        let stmt = client
            .prepare_cached(ALL)
            .await
            .map_err(Error::pg(context()))?;
        let rows = client
            .query(&stmt, &[])
            .await
            .map_err(Error::pg(context()))?;
        let mut all = Vec::with_capacity(rows.len());
        for row in rows {
            all.push((
                row.try_get(0).map_err(Error::pg(context()))?,
                row.try_get(1).map_err(Error::pg(context()))?,
            ));
        }
        self.remember(all);
        Ok(())
    }
}
