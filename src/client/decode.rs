//! The API's objects read from a JSON tree, by hand rather than through serde's derives (whose
//! generated visitors were a tenth of the main wasm). They read what the models' `Deserialize`
//! derives read, with the same tolerance (unknown fields ignored; `null` or a missing optional
//! field is `None`) and the same refusals (a missing required field, a wrong type, a repeated
//! field); the tests in src/json/tests.rs pin the two to each other. One difference: an array is
//! never read as an object, which serde's derives allow.

use alloc::string::String;
use alloc::vec::Vec;
use core::mem;

use crate::json::{Error, Value};
use crate::models::{AuthLinkState, AuthLinkStatus, Connection, CreateAuthLinkResponse};
use crate::text::{concat, decimal};

/// A type read from a JSON value.
pub(crate) trait FromJson: Sized {
    fn from_json(value: Value) -> Result<Self, Error>;
}

fn mismatch(expected: &str, found: &Value) -> Error {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    Error::new(concat(&["expected ", expected, ", found ", found]))
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(mismatch("a string", &other)),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(mismatch("a boolean", &other)),
        }
    }
}

impl FromJson for i64 {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Number(text) => text.parse().map_err(|_| {
                Error::new(concat(&["the number ", &text, " is not a 64-bit integer"]))
            }),
            other => Err(mismatch("an integer", &other)),
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value) -> Result<Self, Error> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self, Error> {
        let Value::Array(items) = value else {
            return Err(mismatch("an array", &value));
        };
        // A loop rather than `collect::<Result<Vec<_>, _>>()`, whose adapter is half a KB of wasm
        // for each item type (the same in the package's other lists).
        let mut read = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            read.push(
                T::from_json(item)
                    .map_err(|e| e.within(&concat(&["[", &decimal(index as u64), "]"])))?,
            );
        }
        Ok(read)
    }
}

impl FromJson for AuthLinkState {
    fn from_json(value: Value) -> Result<Self, Error> {
        match String::from_json(value)?.as_str() {
            "pending" => Ok(AuthLinkState::Pending),
            "connected" => Ok(AuthLinkState::Connected),
            "expired" => Ok(AuthLinkState::Expired),
            other => Err(Error::new(concat(&[
                "unknown status ",
                &crate::text::quote(other),
                ", expected pending, connected or expired",
            ]))),
        }
    }
}

/// An object's members, each read at most once by name.
struct Fields {
    members: Vec<(String, Value)>,
}

impl Fields {
    fn new(value: Value) -> Result<Fields, Error> {
        match value {
            Value::Object(members) => Ok(Fields { members }),
            other => Err(mismatch("an object", &other)),
        }
    }

    /// The member `name`; a repeated one is refused, as serde's derives refuse it.
    fn take(&mut self, name: &str) -> Result<Option<Value>, Error> {
        let mut found = None;
        for (key, value) in &mut self.members {
            if key == name && found.replace(mem::replace(value, Value::Null)).is_some() {
                return Err(Error::new(concat(&["duplicate field `", name, "`"])));
            }
        }
        Ok(found)
    }

    /// A field that must be present.
    fn required<T: FromJson>(&mut self, name: &str) -> Result<T, Error> {
        match self.take(name)? {
            Some(value) => T::from_json(value).map_err(|e| e.within(&concat(&[".", name]))),
            None => Err(Error::new(concat(&["missing field `", name, "`"]))),
        }
    }

    /// A field whose absence means `T::default()` (`None` for an `Option`).
    fn optional<T: FromJson + Default>(&mut self, name: &str) -> Result<T, Error> {
        match self.take(name)? {
            Some(value) => T::from_json(value).map_err(|e| e.within(&concat(&[".", name]))),
            None => Ok(T::default()),
        }
    }
}

impl FromJson for Connection {
    fn from_json(value: Value) -> Result<Self, Error> {
        let mut f = Fields::new(value)?;
        Ok(Connection {
            id: f.optional("id")?,
            connection_type: f.required("type")?,
            is_private: f.required("is_private")?,
            display_name: f.optional("display_name")?,
            external_id: f.optional("external_id")?,
            created_at: f.optional("created_at")?,
            updated_at: f.optional("updated_at")?,
        })
    }
}

impl FromJson for AuthLinkStatus {
    fn from_json(value: Value) -> Result<Self, Error> {
        let mut f = Fields::new(value)?;
        Ok(AuthLinkStatus {
            id: f.required("id")?,
            status: f.required("status")?,
            connection_type: f.required("connection_type")?,
            expires_at: f.required("expires_at")?,
            created_at: f.required("created_at")?,
            updated_at: f.required("updated_at")?,
            connection_id: f.optional("connection_id")?,
            external_id: f.optional("external_id")?,
            consumed_at: f.optional("consumed_at")?,
            connections: f.optional("connections")?,
        })
    }
}

impl FromJson for CreateAuthLinkResponse {
    fn from_json(value: Value) -> Result<Self, Error> {
        let mut f = Fields::new(value)?;
        Ok(CreateAuthLinkResponse {
            id: f.required("id")?,
            url: f.required("url")?,
            expires_at: f.required("expires_at")?,
        })
    }
}
