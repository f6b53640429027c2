//! The scripted transport the job tests share (tests/jobs.rs, usage.rs, secrets.rs): a tiny
//! executor, a fake clock that moves only when the client sleeps or a request is "on the
//! wire", a handler that answers each request by its index, a log of every request with the
//! time it was sent, the sleeps asked for, and the peak of requests in flight.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use federate_core::api::{Api, OrgLocation, Request, Response};
use federate_core::jobs::{Transport, TransportError};
use serde_json::Value;

pub fn block_on<F: Future>(f: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(50));
    }
}

/// Returns `Pending` once, so other tasks get to run (as real I/O would).
pub struct YieldNow(pub bool);
impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

pub type Handler = Box<dyn FnMut(&Request, usize) -> Result<Response, TransportError>>;

pub struct Fake {
    pub clock: Cell<f64>,
    pub handler: RefCell<Handler>,
    pub log: RefCell<Vec<(f64, Request)>>,
    pub sleeps: RefCell<Vec<u64>>,
    pub in_flight: Cell<usize>,
    pub peak: Cell<usize>,
    pub cancel_after_sends: Cell<Option<usize>>,
}

impl Fake {
    /// A fake whose clock starts at 1 000 000 ms.
    pub fn new(
        handler: impl FnMut(&Request, usize) -> Result<Response, TransportError> + 'static,
    ) -> Self {
        Self::at(1_000_000.0, handler)
    }
    /// A fake whose clock starts at `clock_ms`.
    pub fn at(
        clock_ms: f64,
        handler: impl FnMut(&Request, usize) -> Result<Response, TransportError> + 'static,
    ) -> Self {
        Self {
            clock: Cell::new(clock_ms),
            handler: RefCell::new(Box::new(handler)),
            log: RefCell::default(),
            sleeps: RefCell::default(),
            in_flight: Cell::new(0),
            peak: Cell::new(0),
            cancel_after_sends: Cell::new(None),
        }
    }
    pub fn urls(&self) -> Vec<String> {
        self.log
            .borrow()
            .iter()
            .map(|(_, r)| r.url.clone())
            .collect()
    }
    pub fn slept(&self) -> u64 {
        self.sleeps.borrow().iter().sum()
    }
}

impl Transport for Fake {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let n = self.in_flight.get() + 1;
        self.in_flight.set(n);
        self.peak.set(self.peak.get().max(n));
        let index = {
            let mut log = self.log.borrow_mut();
            log.push((self.clock.get(), request.clone()));
            log.len() - 1
        };
        // Latency: let the other tasks run while this one is "on the wire".
        for _ in 0..3 {
            YieldNow(false).await;
        }
        self.clock.set(self.clock.get() + 30.0);
        let answer = (self.handler.borrow_mut())(&request, index);
        self.in_flight.set(self.in_flight.get() - 1);
        answer
    }
    async fn sleep(&self, ms: u64) {
        self.sleeps.borrow_mut().push(ms);
        #[allow(clippy::cast_precision_loss)]
        self.clock.set(self.clock.get() + ms as f64);
        YieldNow(false).await;
    }
    fn now_ms(&self) -> f64 {
        self.clock.get()
    }
    fn cancelled(&self) -> bool {
        self.cancel_after_sends
            .get()
            .is_some_and(|n| self.log.borrow().len() >= n)
    }
}

pub fn api() -> Api {
    Api::new(&OrgLocation::parse("https://dev.azure.com/fabrikam").unwrap())
}

pub fn ok_json(v: &Value) -> Response {
    Response::new(200, v.to_string()).with_header("Content-Type", "application/json; charset=utf-8")
}
