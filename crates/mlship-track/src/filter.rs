//! Run filters and sort keys, in MLflow's search syntax:
//! `metrics.holdout_r2 > 0.8 and params.model = 'lr' and tags.team = "pricing"`
//! and `attributes.status = 'FINISHED'`. A bare key means a metric. Clauses are
//! joined by `and`; every value reaches SQL as a bound parameter.

use crate::TrackError;

/// Where a filter or sort key is looked up.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// `metrics.KEY`: a run's latest value of a metric.
    Metric,
    /// `params.KEY`: a run's parameter.
    Param,
    /// `tags.KEY`: a run's tag.
    Tag,
    /// A column of the runs table.
    Attribute(&'static str),
}

/// A comparison in a filter clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `LIKE`, case-sensitive.
    Like,
    /// `ILIKE`, case-insensitive.
    ILike,
}

impl Op {
    /// The SQL operator; `ILike` is `LIKE` too, with both sides lowered by the query so it works on both backends.
    pub fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like | Op::ILike => "LIKE",
        }
    }
}

/// The right-hand side of a clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number, compared numerically.
    Number(f64),
    /// A quoted string, compared as text.
    Text(String),
}

/// One `scope.key op value` comparison; a filter is a list of them joined by `and`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// Where the key lives.
    pub scope: Scope,
    /// The metric, param or tag name, or the attribute.
    pub key: String,
    /// The comparison.
    pub op: Op,
    /// The value compared against.
    pub value: Value,
}

/// The attributes a filter or sort may name, and their columns.
pub const ATTRIBUTES: &[(&str, &str)] = &[
    ("status", "status"),
    ("run_name", "name"),
    ("name", "name"),
    ("run_id", "id"),
    ("id", "id"),
    ("user", "user_name"),
    ("start_time", "start_time"),
    ("end_time", "end_time"),
    ("git_commit", "git_commit"),
];

fn attribute_column(key: &str) -> Option<&'static str> {
    ATTRIBUTES.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, column)| *column)
}

/// `metrics.x`, `params.x`, `tags.x`, `attributes.x`, or a bare metric key.
pub fn parse_key(text: &str) -> Result<(Scope, String), String> {
    let (prefix, key) = match text.split_once('.') {
        Some((prefix, key)) if !key.is_empty() => (Some(prefix.to_ascii_lowercase()), key),
        _ => (None, text),
    };
    let scope = match prefix.as_deref() {
        Some("metrics" | "metric") => Scope::Metric,
        Some("params" | "param" | "parameters") => Scope::Param,
        Some("tags" | "tag") => Scope::Tag,
        Some("attributes" | "attribute" | "attr" | "run") => Scope::Attribute(
            attribute_column(key)
                .ok_or_else(|| format!("unknown attribute {key:?} (attributes: status, run_name, run_id, user, start_time, end_time, git_commit)"))?,
        ),
        _ => {
            // No known prefix: the whole text is a metric key (keys may hold dots).
            if let Some(column) = attribute_column(text) {
                return Ok((Scope::Attribute(column), text.to_string()));
            }
            return Ok((Scope::Metric, text.to_string()));
        }
    };
    Ok((scope, key.to_string()))
}

struct Lexer<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Lexer<'a> {
    fn skip_space(&mut self) {
        while self.text[self.position..].starts_with(char::is_whitespace) {
            self.position += self.text[self.position..].chars().next().map_or(1, char::len_utf8);
        }
    }

    fn error(&self, reason: impl Into<String>) -> TrackError {
        TrackError::InvalidFilter {
            expression: self.text.to_string(),
            position: self.position + 1,
            reason: reason.into(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn key(&mut self) -> Result<String, TrackError> {
        self.skip_space();
        let rest = self.rest();
        // A quoted key part: metrics."my key" or metrics.`my key`.
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':')))
            .map_or(rest.len(), |(i, _)| i);
        let mut key = rest[..end].to_string();
        self.position += end;
        if key.ends_with('.') {
            if let Some(quote) = self.rest().chars().next().filter(|c| *c == '"' || *c == '`') {
                key.push_str(&self.quoted(quote)?);
            }
        }
        if key.is_empty() {
            return Err(self.error("expected a key such as metrics.holdout_r2 or params.model"));
        }
        Ok(key)
    }

    fn quoted(&mut self, quote: char) -> Result<String, TrackError> {
        let start = self.position;
        self.position += 1;
        match self.rest().find(quote) {
            Some(end) => {
                let value = self.rest()[..end].to_string();
                self.position += end + 1;
                Ok(value)
            }
            None => {
                self.position = start;
                Err(self.error(format!("unterminated {quote}quoted{quote} value")))
            }
        }
    }

    fn op(&mut self) -> Result<Op, TrackError> {
        self.skip_space();
        let rest = self.rest();
        let upper = rest.get(..5).unwrap_or(rest).to_ascii_uppercase();
        let (op, len) = if rest.starts_with("!=") || rest.starts_with("<>") {
            (Op::Ne, 2)
        } else if rest.starts_with("==") {
            (Op::Eq, 2)
        } else if rest.starts_with("<=") {
            (Op::Le, 2)
        } else if rest.starts_with(">=") {
            (Op::Ge, 2)
        } else if rest.starts_with('=') {
            (Op::Eq, 1)
        } else if rest.starts_with('<') {
            (Op::Lt, 1)
        } else if rest.starts_with('>') {
            (Op::Gt, 1)
        } else if upper.starts_with("ILIKE") {
            (Op::ILike, 5)
        } else if upper.starts_with("LIKE") {
            (Op::Like, 4)
        } else {
            return Err(self.error("expected a comparison: =, !=, <, <=, >, >=, LIKE or ILIKE"));
        };
        self.position += len;
        Ok(op)
    }

    fn value(&mut self) -> Result<Value, TrackError> {
        self.skip_space();
        match self.rest().chars().next() {
            Some(quote @ ('\'' | '"')) => Ok(Value::Text(self.quoted(quote)?)),
            Some(_) => {
                let rest = self.rest();
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let token = &rest[..end];
                match token.parse::<f64>() {
                    Ok(number) if number.is_finite() => {
                        self.position += end;
                        Ok(Value::Number(number))
                    }
                    _ => Err(self.error(format!("expected a number or a 'quoted' string, got {token:?}"))),
                }
            }
            None => Err(self.error("expected a value after the comparison")),
        }
    }
}

/// The most conditions a filter may join with `and`: each is one `EXISTS`
/// subquery, and the SQL engines bound expression depth (SQLite at 1,000), so
/// a longer filter is refused here with a clear message rather than failing in
/// the store.
pub const MAX_FILTER_CONDITIONS: usize = 50;

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 64 * 1024;

/// Parses a filter such as `metrics.r2 > 0.8 and params.model = 'lr'`; a
/// syntax error names the position. At most [`MAX_FILTER_CONDITIONS`]
/// conditions and [`MAX_FILTER_BYTES`] bytes.
pub fn parse_filter(expression: &str) -> Result<Vec<Clause>, TrackError> {
    if expression.len() > MAX_FILTER_BYTES {
        return Err(TrackError::InvalidFilter {
            expression: shortened(expression),
            position: MAX_FILTER_BYTES + 1,
            reason: format!("a filter is at most {MAX_FILTER_BYTES} bytes, this one is {}", expression.len()),
        });
    }
    let mut lexer = Lexer { text: expression, position: 0 };
    let mut clauses = Vec::new();
    lexer.skip_space();
    if lexer.rest().is_empty() {
        return Ok(clauses);
    }
    loop {
        let key_start = lexer.position;
        let key_text = lexer.key()?;
        let (scope, key) = parse_key(&key_text).map_err(|reason| {
            let mut at = Lexer { text: expression, position: key_start };
            at.skip_space();
            at.error(reason)
        })?;
        let op = lexer.op()?;
        let value = lexer.value()?;
        match (&scope, op, &value) {
            (Scope::Metric, Op::Like | Op::ILike, _) => {
                return Err(lexer.error("metrics compare with numbers, not LIKE"))
            }
            (Scope::Metric, _, Value::Text(text)) => {
                return Err(lexer.error(format!("metric {key:?} compares with a number, not '{text}'")))
            }
            (Scope::Param | Scope::Tag, Op::Lt | Op::Le | Op::Gt | Op::Ge, _) => {
                return Err(lexer.error("params and tags are text: use =, !=, LIKE or ILIKE"))
            }
            _ => {}
        }
        let value = match (&scope, value) {
            // Params and tags are stored as text: `params.fold = 5` means '5'.
            (Scope::Param | Scope::Tag, Value::Number(n)) => Value::Text(format_number(n)),
            (Scope::Attribute("start_time" | "end_time"), v) => v,
            (Scope::Attribute(_), Value::Number(n)) => Value::Text(format_number(n)),
            (_, v) => v,
        };
        if clauses.len() == MAX_FILTER_CONDITIONS {
            return Err(TrackError::InvalidFilter {
                expression: shortened(expression),
                position: key_start + 1,
                reason: format!("a filter joins at most {MAX_FILTER_CONDITIONS} conditions with \"and\""),
            });
        }
        clauses.push(Clause { scope, key, op, value });
        lexer.skip_space();
        if lexer.rest().is_empty() {
            return Ok(clauses);
        }
        let rest = lexer.rest();
        if rest.len() >= 4 && rest[..3].eq_ignore_ascii_case("and") && rest[3..].starts_with(char::is_whitespace) {
            lexer.position += 3;
        } else {
            return Err(lexer.error("expected \"and\" between conditions (\"or\" is not supported)"));
        }
    }
}

/// The start of a long filter, for its error message.
fn shortened(expression: &str) -> String {
    match expression.len() > 80 {
        true => format!("{}…", &expression[..expression.floor_char_boundary(64)]),
        false => expression.to_string(),
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// One key to sort runs by, e.g. `metrics.r2 DESC`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// Where the key lives.
    pub scope: Scope,
    /// The metric, param or tag name, or the attribute.
    pub key: String,
    /// Largest first.
    pub descending: bool,
}

/// `holdout_r2`, `metrics.cv_mae ASC`, `-cv_mae`, `params.alpha DESC`,
/// `start_time`. Without a direction, metrics sort best first: descending for
/// R2, ascending for errors (MAE, MSE, RMSE, RMSLE, MAPE); times newest first.
pub fn parse_sort(text: &str) -> Result<SortKey, TrackError> {
    let trimmed = text.trim();
    let invalid = |reason: String| TrackError::InvalidFilter { expression: text.to_string(), position: 1, reason };
    let (body, explicit) = if let Some(body) = trimmed.strip_prefix('-') {
        (body, Some(true))
    } else if let Some(body) = trimmed.strip_prefix('+') {
        (body, Some(false))
    } else {
        match trimmed.rsplit_once(char::is_whitespace) {
            Some((body, dir)) if dir.eq_ignore_ascii_case("desc") => (body.trim(), Some(true)),
            Some((body, dir)) if dir.eq_ignore_ascii_case("asc") => (body.trim(), Some(false)),
            Some(_) => return Err(invalid("a sort is KEY, KEY ASC or KEY DESC".into())),
            None => (trimmed, None),
        }
    };
    if body.is_empty() {
        return Err(invalid("the sort key is empty".into()));
    }
    let (scope, key) = parse_key(body).map_err(invalid)?;
    let descending = explicit.unwrap_or_else(|| match &scope {
        Scope::Metric => higher_is_better(&key),
        Scope::Attribute(column) => column.ends_with("_time"),
        _ => false,
    });
    Ok(SortKey { scope, key, descending })
}

/// Whether a metric key (`holdout_r2`, `cv_mae`, `Accuracy`) is better high:
/// its name after the last `_` looked up in every task's metric table
/// (scikit-learn's `greater_is_better`); a metric no task reports sorts low first.
pub fn higher_is_better(metric: &str) -> bool {
    let name = metric.rsplit_once('_').map_or(metric, |(_, name)| name);
    mlship_learn::Task::ALL
        .iter()
        .find_map(|task| task.metric(name).or_else(|| task.metric(&format!("{name}."))))
        .is_some_and(|info| info.greater_is_better)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mlflow_style_filters_parse() {
        let clauses = parse_filter(
            "metrics.holdout_r2 > 0.8 and params.model = 'lr' AND tags.team = \"pricing\" and status = 'FINISHED'",
        )
        .unwrap();
        assert_eq!(clauses.len(), 4);
        assert_eq!(
            clauses[0],
            Clause { scope: Scope::Metric, key: "holdout_r2".into(), op: Op::Gt, value: Value::Number(0.8) }
        );
        assert_eq!(clauses[1].scope, Scope::Param);
        assert_eq!(clauses[3].scope, Scope::Attribute("status"));
        assert_eq!(parse_filter("cv_mae<=3000").unwrap()[0].op, Op::Le);
        assert_eq!(parse_filter("params.fold = 5").unwrap()[0].value, Value::Text("5".into()));
    }

    #[test]
    fn directions_come_from_the_tasks_metric_tables() {
        for better_high in ["holdout_r2", "cv_R2", "cv_accuracy", "holdout_auc", "cv_prec", "F1", "cv_mcc", "kappa"] {
            assert!(higher_is_better(better_high), "{better_high}");
        }
        for better_low in ["cv_mae", "holdout_rmse", "mape", "cv_r2_std", "latency", "cv_rmsle"] {
            assert!(!higher_is_better(better_low), "{better_low}");
        }
    }

    #[test]
    fn mistakes_say_where() {
        for (bad, position, needle) in [
            ("metrics.r2 >", 13, "expected a value"),
            ("metrics.r2 ~ 3", 12, "expected a comparison"),
            ("metrics.r2 > 0.8 or params.a = 'b'", 18, "\"or\" is not supported"),
            ("metrics.r2 > 'high'", 20, "compares with a number"),
            ("params.alpha > 0.1", 19, "params and tags are text"),
            ("params.model = 'lr", 16, "unterminated"),
            ("attributes.color = 'x'", 1, "unknown attribute"),
        ] {
            match parse_filter(bad) {
                Err(TrackError::InvalidFilter { position: p, reason, .. }) => {
                    assert!(reason.contains(needle), "{bad}: {reason}");
                    assert_eq!(p, position, "{bad}: {reason}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn long_filters_are_refused_clearly() {
        let condition = "metrics.r2 > 0.1";
        let many = |n: usize| vec![condition; n].join(" and ");
        assert_eq!(parse_filter(&many(MAX_FILTER_CONDITIONS)).unwrap().len(), MAX_FILTER_CONDITIONS);
        for n in [MAX_FILTER_CONDITIONS + 1, 1000] {
            match parse_filter(&many(n)) {
                Err(error @ TrackError::InvalidFilter { .. }) => {
                    let message = error.to_string();
                    assert!(message.contains("at most 50") && message.len() < 300, "{message}");
                }
                other => panic!("{n} conditions: {other:?}"),
            }
        }
        let huge = format!("params.model = '{}'", "x".repeat(MAX_FILTER_BYTES));
        let error = parse_filter(&huge).unwrap_err().to_string();
        assert!(error.contains("at most 65536 bytes") && error.len() < 300, "{error}");
    }

    #[test]
    fn sorts_default_to_best_first() {
        assert!(parse_sort("holdout_r2").unwrap().descending);
        assert!(!parse_sort("cv_mae").unwrap().descending);
        assert!(parse_sort("metrics.cv_mae DESC").unwrap().descending);
        assert!(parse_sort("-cv_mae").unwrap().descending);
        assert_eq!(parse_sort("start_time").unwrap().scope, Scope::Attribute("start_time"));
        assert!(parse_sort("r2 sideways").is_err());
    }
}
