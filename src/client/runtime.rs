//! Ready [`Runtime`]s on tokio: [`ReqwestRuntime`] (feature `reqwest`) over reqwest, and
//! [`FnRuntime`] (feature `tokio`) over any async function that sends a request. Each bounds an
//! exchange by its timeout, stops reading a body at its cap, follows no redirect and maps the
//! transport's failures to coded errors that keep the transport's error as their source.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::api::{HttpRequest, RawResponse, Runtime};
#[cfg(feature = "reqwest")]
use crate::ErrorCode;
use crate::{Error, Result};

/// The methods both runtimes share: tokio's timer, the system clock, the jitter of their
/// `random` field.
macro_rules! on_tokio {
    () => {
        async fn sleep(&self, ms: u64) -> Result<()> {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(())
        }

        fn now_ms(&self) -> u64 {
            now_ms()
        }

        fn random(&self) -> f64 {
            self.random.next()
        }
    };
}

/// A [`Runtime`] over an async function that sends one request and returns its response (status,
/// `Retry-After`, body): timeouts, sleeping, the clock and the jitter's randomness are tokio's
/// and the standard library's.
///
/// Its errors become `network` errors that keep them as their source (the client redacts the
/// API key from the source too, should it show the request's headers).
///
/// The function should not follow redirects (the client refuses a redirect it is handed, so a
/// followed one would carry the API key elsewhere unseen) and should stop reading a body past
/// `request.max_body_bytes` (the client refuses a longer one either way).
///
/// ```
/// use markifact_connect::client::{FnRuntime, HttpRequest, RawResponse};
///
/// // A stand-in transport: any HTTP client goes here.
/// let runtime = FnRuntime::new(|request: HttpRequest| async move {
///     Ok::<_, std::io::Error>(RawResponse { status: 200, retry_after: None, body: "[]".into() })
/// });
/// # let _ = runtime;
/// ```
pub struct FnRuntime<F> {
    send: F,
    random: Jitter,
}

/// Shows no more than the type: the function is opaque.
impl<F> std::fmt::Debug for FnRuntime<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnRuntime").finish_non_exhaustive()
    }
}

impl<F> FnRuntime<F> {
    /// A runtime sending requests with `send`.
    pub fn new(send: F) -> Self {
        FnRuntime {
            send,
            random: Jitter::default(),
        }
    }
}

impl<F, Fut, E> Runtime for FnRuntime<F>
where
    F: Fn(HttpRequest) -> Fut + Sync,
    Fut: Future<Output = core::result::Result<RawResponse, E>> + Send,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    async fn send(&self, request: &HttpRequest) -> Result<RawResponse> {
        let exchange = (self.send)(request.clone());
        within(request.timeout_ms, async move {
            exchange.await.map_err(|error| {
                let error = error.into();
                Error::network(format!("the request failed: {error}")).with_source(error)
            })
        })
        .await
    }

    on_tokio!();
}

/// `exchange`, or a `timeout` error after `timeout_ms`.
async fn within(
    timeout_ms: u64,
    exchange: impl Future<Output = Result<RawResponse>>,
) -> Result<RawResponse> {
    match tokio::time::timeout(Duration::from_millis(timeout_ms), exchange).await {
        Ok(result) => result,
        Err(elapsed) => Err(timeout(timeout_ms).with_source(elapsed)),
    }
}

fn timeout(timeout_ms: u64) -> Error {
    Error::timeout(format!("no complete response within {timeout_ms} ms"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Uniform numbers in `[0, 1)` for the retries' jitter, from the standard library's randomly
/// keyed SipHash over a counter: unpredictable enough to spread clients apart, no dependency.
#[derive(Default)]
struct Jitter {
    keys: RandomState,
    counter: AtomicU64,
}

impl Jitter {
    fn next(&self) -> f64 {
        let mut hasher = self.keys.build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A [`Runtime`] over [reqwest](https://docs.rs/reqwest) and tokio: zero lines of I/O code for
/// an app that already has them. Its reqwest client follows no redirects; each exchange is
/// bounded by the request's timeout, the body read chunk by chunk up to its cap. It needs an
/// absolute `base_url` (a proxy path such as `/api/markifact` is for the npm package in a
/// browser): a request reqwest cannot build fails with `invalid_request`, not retried.
///
/// HTTPS is reqwest's: enable one of its TLS features in your app (e.g.
/// `reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }`), as
/// any app using reqwest does; `http://` (the sandbox) needs none.
///
/// The calls' futures are `Send`: generic code can spawn them on tokio's multi-threaded runtime.
///
/// ```no_run
/// use std::sync::Arc;
/// use markifact_connect::client::{Client, Runtime, ReqwestRuntime};
/// use markifact_connect::client::response::ConnectionType;
///
/// fn spawn_types<R: Runtime + Send + Sync + 'static>(
///     client: Arc<Client>,
///     rt: Arc<R>,
/// ) -> tokio::task::JoinHandle<markifact_connect::Result<Vec<ConnectionType>>> {
///     tokio::spawn(async move { client.list_connection_types(rt.as_ref()).await })
/// }
///
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let client = Arc::new(Client::new(markifact_connect::client::ClientConfig::new(Default::default())?));
/// let types = spawn_types(client, Arc::new(ReqwestRuntime::new()?)).await??;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "reqwest")]
pub struct ReqwestRuntime {
    client: reqwest::Client,
    random: Jitter,
}

/// Shows no more than the type: the reqwest client's `Debug` would print the builder's default
/// headers, which may hold a credential.
#[cfg(feature = "reqwest")]
impl std::fmt::Debug for ReqwestRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReqwestRuntime").finish_non_exhaustive()
    }
}

#[cfg(feature = "reqwest")]
impl ReqwestRuntime {
    /// A runtime with a new reqwest client.
    pub fn new() -> Result<Self> {
        Self::from_builder(reqwest::Client::builder())
    }

    /// A runtime with a reqwest client from your builder (proxies, TLS roots, user agent...);
    /// redirects are turned off whatever the builder said.
    pub fn from_builder(builder: reqwest::ClientBuilder) -> Result<Self> {
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::internal(format!("could not build the reqwest client: {e}")).with_source(e)
            })?;
        Ok(ReqwestRuntime {
            client,
            random: Jitter::default(),
        })
    }

    async fn exchange(&self, request: &HttpRequest) -> Result<RawResponse> {
        use super::request::Method;
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut outgoing = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            outgoing = outgoing.header(name, value);
        }
        if let Some(body) = &request.body {
            outgoing = outgoing.body(body.clone());
        }
        // A request reqwest cannot build (a proxy path as the base URL, which only a browser
        // resolves) never reached the network: a settings error, not a retried network failure.
        let outgoing = outgoing.build().map_err(|error| {
            let why = std::error::Error::source(&error)
                .map_or_else(|| error.to_string(), ToString::to_string);
            Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "reqwest cannot send a request to {:?} ({why}); ReqwestRuntime needs an absolute base_url",
                    request.url
                ),
            )
            .with_source(error)
        })?;
        let mut response = self.client.execute(outgoing).await?;
        let max = request.max_body_bytes;
        let too_large = || super::response_too_large(max);
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            retry_after,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

#[cfg(feature = "reqwest")]
impl Runtime for ReqwestRuntime {
    async fn send(&self, request: &HttpRequest) -> Result<RawResponse> {
        within(request.timeout_ms, self.exchange(request)).await
    }

    on_tokio!();
}

/// A reqwest failure as the client's error: `timeout` for its own timeouts, `network` otherwise,
/// with the reqwest error as the [`source`](std::error::Error::source).
#[cfg(feature = "reqwest")]
impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        let mapped = if error.is_timeout() {
            Error::timeout(format!("the request timed out: {error}"))
        } else {
            Error::network(format!("the request failed: {error}"))
        };
        mapped.with_source(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_in_range_and_varies() {
        let jitter = Jitter::default();
        let draws: Vec<f64> = (0..1000).map(|_| jitter.next()).collect();
        assert!(draws.iter().all(|r| (0.0..1.0).contains(r)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.4..0.6).contains(&mean), "{mean}");
        assert!(draws.windows(2).all(|w| w[0] != w[1]));
    }

    #[test]
    fn runtimes_are_debug() {
        // So that an app's `#[derive(Debug)]` state can hold one.
        let send = |_: HttpRequest| async { Err::<RawResponse, _>(std::io::Error::other("x")) };
        let shown = format!("{:?}", FnRuntime::new(send));
        assert!(shown.starts_with("FnRuntime"), "{shown}");
        #[cfg(feature = "reqwest")]
        {
            let builder = reqwest::Client::builder().default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    reqwest::header::HeaderValue::from_static("Bearer sk_in_builder"),
                )]
                .into_iter()
                .collect(),
            );
            let shown = format!("{:?}", ReqwestRuntime::from_builder(builder).unwrap());
            assert!(shown.starts_with("ReqwestRuntime"), "{shown}");
            assert!(!shown.contains("sk_in_builder"), "{shown}");
        }
    }
}
