//! [`ReadRow`]: a row's columns by position, as SQLite's and Postgres's drivers read them, so
//! a record is decoded once for both engines (the handoffs, the Agent Protocol's records).

/// A row's columns by position, as a driver reads them.
pub(crate) trait ReadRow {
    /// What the driver reports for a missing column or a type it cannot convert.
    type Error;
    /// A TEXT column.
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    /// A nullable TEXT column.
    fn optional_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    /// An integer column (SQLite's INTEGER, Postgres's BIGINT).
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    /// A nullable integer column.
    fn optional_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
}

impl ReadRow for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }
    fn optional_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }
    fn optional_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
}

impl ReadRow for tokio_postgres::Row {
    type Error = tokio_postgres::Error;
    fn text(&self, i: usize) -> Result<String, Self::Error> {
        self.try_get(i)
    }
    fn optional_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> Result<i64, Self::Error> {
        self.try_get(i)
    }
    fn optional_int(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        self.try_get(i)
    }
}
