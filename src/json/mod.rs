//! The client's JSON, without `serde_json`: a strict reader into a [`Value`] tree (the client reads
//! the API's objects from it, see src/client/decode.rs) and a writer for serde's `Serialize`
//! derives. Numbers stay text and only integers are written, which keeps float parsing and
//! formatting (and `serde_json`'s generic code) out of the npm package's main wasm; see
//! benches/levers.md for what that saved.

mod ser;
mod value;

use alloc::string::String;

use serde::Serialize;

pub(crate) use value::{parse, Value};

/// What went wrong, and where: a position in the text for syntax, a path (`[2].created_at`) for
/// shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    message: String,
    /// From the outermost value inwards, e.g. `[2].created_at`; empty at the top.
    path: String,
}

impl Error {
    pub(crate) fn new(message: String) -> Self {
        Error {
            message,
            path: String::new(),
        }
    }

    /// The same error, one level further out: `segment` is `[index]` or `.key`.
    pub(crate) fn within(mut self, segment: &str) -> Self {
        self.path.insert_str(0, segment);
        self
    }
}

impl core::error::Error for Error {}

impl Error {
    /// The message and where, as `Display` writes it (without `core::fmt`, for the wasm).
    pub(crate) fn text(&self) -> String {
        if self.path.is_empty() {
            return self.message.clone();
        }
        let path = self.path.strip_prefix('.').unwrap_or(&self.path);
        crate::text::concat(&[&self.message, " at ", path])
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.text())
    }
}

/// `value` as compact JSON text.
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut writer = ser::Writer { out: String::new() };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

#[cfg(test)]
mod tests;
