//! SQL text with `$1, $2, …` arguments, the placeholders both backends
//! accept, for queries whose shape depends on the request (filters, sorts,
//! multi-row inserts). Values are always bound, never spliced into the text.

/// SQL text and its arguments, numbered `$1, $2, …` as both backends accept.
#[derive(Default)]
pub struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

enum Arg {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Sql { text: text.into(), args: Vec::new() }
    }
    fn push(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
    pub fn int(&mut self, value: i64) -> String {
        self.push(Arg::Int(value))
    }
    pub fn float(&mut self, value: f64) -> String {
        self.push(Arg::Float(value))
    }
    pub fn text(&mut self, value: &str) -> String {
        self.push(Arg::Text(value.to_string()))
    }
    pub fn query(self) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.text));
        for arg in self.args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Float(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
            };
        }
        query
    }
}
