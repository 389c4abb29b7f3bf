//! The logger: env_logger behind the `log` facade, its lines as text or as JSON objects with
//! the record's key-value pairs as fields (the access log's trace id, route, tenant, key id...).

use std::io::Write as _;

use log::kv::{Error as KvError, Key, Value, VisitSource};

use crate::cli::LogFormat;

/// Installs the logger; `RUST_LOG` filters it (`info` by default).
pub(crate) fn init(format: LogFormat) {
    let mut builder = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder.format(|buf, record| {
            let mut line = serde_json::Map::new();
            line.insert("ts".into(), buf.timestamp_micros().to_string().into());
            line.insert("level".into(), record.level().as_str().into());
            line.insert("target".into(), record.target().into());
            line.insert("msg".into(), record.args().to_string().into());
            let _ = record.key_values().visit(&mut Fields(&mut line));
            writeln!(buf, "{}", serde_json::Value::Object(line))
        });
    }
    builder.init();
}

/// Copies a record's key-value pairs into the JSON object, numbers as numbers.
struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), KvError> {
        let json = if let Some(n) = value.to_u64() {
            n.into()
        } else if let Some(n) = value.to_i64() {
            n.into()
        } else if let Some(x) = value.to_f64() {
            serde_json::Number::from_f64(x).map_or_else(|| x.to_string().into(), serde_json::Value::Number)
        } else {
            value.to_string().into()
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}
