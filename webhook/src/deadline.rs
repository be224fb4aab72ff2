//! The request deadline. tower-http's `TimeoutLayer` starts and polls a timer for
//! every request before the handler runs, so each review registered a timer in
//! tokio's wheel and removed it again: a few percent of the webhook's time under
//! load, for answers that are ready on their first poll. Here the handler is polled
//! first and the timer is only started when it has to wait (for the rest of a body,
//! for a slot to decode a large one), so the deadline counts from the first wait
//! rather than from the request's arrival, a difference of one poll.

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::time::Sleep;

/// Answers `status` (with an empty body) when the service has not answered within
/// `limit` of its first wait.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    limit: Duration,
    status: StatusCode,
}

impl DeadlineLayer {
    pub fn new(limit: Duration, status: StatusCode) -> Self {
        DeadlineLayer { limit, status }
    }
}

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            limit: self.limit,
            status: self.status,
        }
    }
}

/// See [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
    status: StatusCode,
}

impl<S, B> tower::Service<Request<B>> for Deadline<S>
where
    S: tower::Service<Request<B>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        DeadlineFuture {
            inner: self.inner.call(request),
            timer: None,
            limit: self.limit,
            status: self.status,
        }
    }
}

pin_project! {
    /// See [`DeadlineLayer`].
    pub struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        timer: Option<Sleep>,
        limit: Duration,
        status: StatusCode,
    }
}

impl<F, E> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Poll::Ready(out) = this.inner.poll(cx) {
            return Poll::Ready(out);
        }
        if this.timer.is_none() {
            this.timer.set(Some(tokio::time::sleep(*this.limit)));
        }
        if let Some(timer) = this.timer.as_pin_mut() {
            ready!(timer.poll(cx));
        }
        let mut response = Response::new(Body::empty());
        *response.status_mut() = *this.status;
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app(limit: Duration) -> Router {
        Router::new()
            .route("/ready", get(|| async { "answered" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    "answered late"
                }),
            )
            .route("/never", get(std::future::pending::<&'static str>))
            .layer(DeadlineLayer::new(limit, StatusCode::REQUEST_TIMEOUT))
    }

    async fn status(app: Router, path: &str) -> StatusCode {
        let request = Request::get(path).body(Body::empty()).expect("a request");
        app.oneshot(request).await.expect("infallible").status()
    }

    #[tokio::test]
    async fn an_answer_in_time_passes_and_a_late_one_is_cut_off() {
        assert_eq!(
            status(app(Duration::from_millis(200)), "/ready").await,
            StatusCode::OK
        );
        assert_eq!(
            status(app(Duration::from_secs(5)), "/slow").await,
            StatusCode::OK
        );
        let started = std::time::Instant::now();
        assert_eq!(
            status(app(Duration::from_millis(50)), "/never").await,
            StatusCode::REQUEST_TIMEOUT
        );
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(
            status(app(Duration::from_millis(5)), "/slow").await,
            StatusCode::REQUEST_TIMEOUT,
            "the deadline runs while the handler waits"
        );
    }
}
