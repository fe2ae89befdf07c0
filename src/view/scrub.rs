//! Removes secrets from texts the views show (failure messages, drill reasons, event messages
//! and details): every secret of the configuration — DSNs and their passwords, the admin token,
//! Supabase tokens, notification keys and URLs, the state store's DSN — and any `password=…`.

use crate::config::{BackupsConfig, Config, NotifyTarget};
use crate::drill::record::secrets_free;

/// The secrets to remove, longest first (a DSN before the password inside it).
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    /// Every secret `config` holds.
    pub fn new(config: &Config) -> Self {
        let mut secrets = vec![config.agent.state.expose().to_owned()];
        if let Some(t) = &config.agent.admin_token {
            secrets.push(t.expose().to_owned());
        }
        for n in &config.notify {
            secrets.push(
                match &n.target {
                    NotifyTarget::PagerDuty { routing_key, .. } => routing_key,
                    NotifyTarget::Slack { url } | NotifyTarget::Webhook { url } => url,
                }
                .expose()
                .to_owned(),
            );
        }
        for v in &config.ventures {
            for e in &v.endpoints {
                secrets.push(e.dsn.expose().to_owned());
                let parsed =
                    <tokio_postgres::Config as std::str::FromStr>::from_str(e.dsn.expose());
                if let Some(pw) = parsed.ok().as_ref().and_then(|c| c.get_password()) {
                    secrets.push(String::from_utf8_lossy(pw).into_owned());
                }
            }
            if let Some(BackupsConfig::Supabase(s)) = &v.backups {
                secrets.push(s.token.expose().to_owned());
            }
        }
        Self::of(secrets)
    }

    /// A scrubber of exactly these secrets (empty ones ignored).
    pub fn of(secrets: Vec<String>) -> Self {
        // Very short values (a one-letter password) would mangle every text; such secrets are
        // still caught inside their DSN and by the `password=` rule.
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 4).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[redacted]");
            }
        }
        secrets_free(&out, None)
    }

    /// Every string inside `value` scrubbed.
    pub fn json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.json(v)).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), self.json(v))).collect())
            }
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_passwords_are_replaced_everywhere() {
        let s = Scrubber::of(vec![
            "postgres://u:hunter22@db/x".into(),
            "hunter22".into(),
            "x".into(),
        ]);
        assert_eq!(
            s.text("connect postgres://u:hunter22@db/x failed; hunter22"),
            "connect [redacted] failed; [redacted]"
        );
        assert_eq!(
            s.text("host=db password=abc user=u"),
            "host=db password=[redacted] user=u"
        );
        let v = serde_json::json!({"a": ["hunter22", 1], "b": {"c": "ok"}});
        assert_eq!(
            s.json(&v),
            serde_json::json!({"a": ["[redacted]", 1], "b": {"c": "ok"}})
        );
    }
}
