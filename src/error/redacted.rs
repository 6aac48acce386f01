//! An error's source with a secret redacted from its texts: [`Error::redact`](super::Error::redact)
//! covers the cause chain too, since `Debug` prints it (an app's transport error that shows the
//! request's headers would otherwise carry the API key into logs).

use std::sync::Arc;

type Source = Arc<dyn std::error::Error + Send + Sync>;

/// `source` as it is, unless a text of it or of a cause in its chain shows `secret`: then a
/// stand-in with the same texts, the secret redacted (downcasting to the original type is lost
/// only then).
pub(super) fn redact_source(source: Source, secret: &str) -> Source {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&*source);
    while let Some(shown) = cause {
        if shown.to_string().contains(secret) || format!("{shown:?}").contains(secret) {
            return Arc::new(Redacted::of(&*source, secret));
        }
        cause = shown.source();
    }
    source
}

/// An error's texts (and its causes'), with the secret redacted.
struct Redacted {
    display: String,
    debug: String,
    source: Option<Box<Redacted>>,
}

impl Redacted {
    fn of(error: &(dyn std::error::Error + 'static), secret: &str) -> Self {
        Redacted {
            display: error.to_string().replace(secret, "[redacted]"),
            debug: format!("{error:?}").replace(secret, "[redacted]"),
            source: error
                .source()
                .map(|cause| Box::new(Redacted::of(cause, secret))),
        }
    }
}

impl std::fmt::Display for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.debug)
    }
}

impl std::error::Error for Redacted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|cause| cause as _)
    }
}
