//! When to try a request again, and how long to wait first.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// Answers worth another try: the server is busy or failed (429, 5xx, Anthropic's 529
/// "overloaded"), or the request timed out on its side (408).
pub(crate) fn retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
}

/// Exponential backoff with jitter, capped; a server's `Retry-After` wins when it gives one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub(crate) first: Duration,
    pub(crate) longest: Duration,
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first): `Retry-After` as the server
    /// said it, or `first` doubled `retry` times with the upper half drawn at random (so
    /// clients that failed together do not come back together), never past `longest`.
    pub(crate) fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let wait = match retry_after {
            Some(said) => said,
            None => {
                let full = self.first.saturating_mul(1u32 << retry.min(16));
                full.mul_f64(0.5 + fastrand::f64() * 0.5)
            }
        };
        wait.min(self.longest)
    }
}

/// The server's `Retry-After`: seconds, or an HTTP date (past dates mean now).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers("1.5"), now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&earlier), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            longest: Duration::from_secs(1),
        };
        for retry in 0..3 {
            let full = Duration::from_millis(100 << retry);
            let wait = backoff.wait(retry, None);
            assert!(wait >= full / 2 && wait <= full, "{retry}: {wait:?}");
        }
        assert_eq!(
            backoff.wait(10, None).max(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
        let said = Some(Duration::from_millis(250));
        assert_eq!(backoff.wait(0, said), Duration::from_millis(250));
        assert_eq!(
            backoff.wait(0, Some(Duration::from_secs(90))),
            Duration::from_secs(1)
        );
    }
}
