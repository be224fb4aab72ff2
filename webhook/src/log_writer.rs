//! Where the request path's log lines go: appended to a buffer in memory and written
//! to stderr by a thread of their own every [`FLUSH_EVERY`], one `write` for all the
//! lines since the last.
//!
//! A `write` per denial on the request's own thread cost a twentieth of the
//! throughput; a writer thread woken for each line (tracing-appender's) still made
//! one `write` per line, and its waking and spinning cost a thirtieth. Nothing is
//! dropped and memory stays bounded: a line that would take the buffer past
//! [`MAX_BUFFERED`] makes the thread that logs it write the buffer itself, waiting
//! as a direct write would. The [`FlushGuard`] writes what is left when dropped.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory.
pub const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// At most this many bytes wait (some 3 000 lines).
pub const MAX_BUFFERED: usize = 512 * 1024;

struct Shared<W> {
    state: Mutex<State>,
    wake: Condvar,
    /// The destination; locked while writing so that batches never interleave.
    out: Mutex<W>,
}

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    closed: bool,
}

impl<W: Write> Shared<W> {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a buffer of whole lines: go on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The destination. Taken while the buffer's lock is still held, so that
    /// batches reach it in the order they left the buffer.
    fn out(&self) -> MutexGuard<'_, W> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes what was taken from the buffer. Logging must never fail the server: an
/// error writing stderr is dropped, as `eprintln!` would panic instead.
fn write_out<W: Write>(mut out: MutexGuard<'_, W>, pending: &[u8]) {
    if pending.is_empty() {
        return;
    }
    let _ = out.write_all(pending);
    let _ = out.flush();
}

/// A `MakeWriter` for tracing-subscriber: see the module.
pub struct BatchedWriter<W> {
    shared: Arc<Shared<W>>,
}

impl<W> Clone for BatchedWriter<W> {
    fn clone(&self) -> Self {
        BatchedWriter {
            shared: self.shared.clone(),
        }
    }
}

/// Writes what is left when dropped, and stops the thread.
pub struct FlushGuard<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
    thread: Option<JoinHandle<()>>,
}

/// A batched writer to `out`, its writing thread started, and the guard that
/// writes the rest.
pub fn batched<W: Write + Send + 'static>(out: W) -> (BatchedWriter<W>, FlushGuard<W>) {
    batched_every(out, FLUSH_EVERY)
}

fn batched_every<W: Write + Send + 'static>(
    out: W,
    every: Duration,
) -> (BatchedWriter<W>, FlushGuard<W>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
        out: Mutex::new(out),
    });
    let writer_side = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || run(&writer_side, every))
        .ok();
    // Without a thread (the system refused one), every line is written at once.
    if thread.is_none() {
        shared.state().closed = true;
    }
    (
        BatchedWriter {
            shared: shared.clone(),
        },
        FlushGuard { shared, thread },
    )
}

fn run<W: Write>(shared: &Shared<W>, every: Duration) {
    let mut pending = Vec::new();
    loop {
        let (closed, out) = {
            let state = shared.state();
            let (mut state, _) = shared
                .wake
                .wait_timeout_while(state, every, |s| !s.closed)
                .unwrap_or_else(|e| e.into_inner());
            // Swapped, not copied: the two buffers keep their capacity.
            std::mem::swap(&mut state.buffer, &mut pending);
            (state.closed, shared.out())
        };
        write_out(out, &pending);
        pending.clear();
        if closed {
            return;
        }
    }
}

impl<W: Write + Send + 'static> Drop for FlushGuard<W> {
    fn drop(&mut self) {
        self.shared.state().closed = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Lines logged after the thread's last look.
        let mut state = self.shared.state();
        let rest = std::mem::take(&mut state.buffer);
        let out = self.shared.out();
        drop(state);
        write_out(out, &rest);
    }
}

/// One event's line (tracing-subscriber formats an event, then writes it whole).
pub struct LineWriter<'a, W> {
    shared: &'a Shared<W>,
}

impl<W: Write> Write for LineWriter<'_, W> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.state();
        if state.closed {
            // Shutting down (or no thread): straight out.
            let out = self.shared.out();
            drop(state);
            write_out(out, line);
            return Ok(line.len());
        }
        if state.buffer.len() + line.len() > MAX_BUFFERED {
            // The writer is behind: this thread writes the backlog, then goes on.
            let mut backlog = std::mem::take(&mut state.buffer);
            let out = self.shared.out();
            drop(state);
            backlog.extend_from_slice(line);
            write_out(out, &backlog);
            return Ok(line.len());
        }
        state.buffer.extend_from_slice(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + 'a> MakeWriter<'a> for BatchedWriter<W> {
    type Writer = LineWriter<'a, W>;
    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A destination shared with the test, counting `write` calls.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut s = self.0.lock().expect("sink");
            s.0.extend_from_slice(buf);
            s.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("sink").0.clone()).expect("utf-8")
        }
        fn writes(&self) -> usize {
            self.0.lock().expect("sink").1
        }
    }

    fn log(writer: &BatchedWriter<Sink>, line: &str) {
        writer
            .make_writer()
            .write_all(line.as_bytes())
            .expect("never fails");
    }

    #[test]
    fn lines_wait_then_go_out_together_in_order() {
        let sink = Sink::default();
        let (writer, guard) = batched_every(sink.clone(), Duration::from_millis(200));
        for i in 0..100 {
            log(&writer, &format!("line {i}\n"));
        }
        assert_eq!(sink.writes(), 0, "nothing written before the interval");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.writes() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(sink.writes(), 1, "one write for the batch");
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(sink.text(), expected);
        drop(guard);
    }

    #[test]
    fn the_guard_writes_what_is_left_and_later_lines_go_straight_out() {
        let sink = Sink::default();
        let (writer, guard) = batched_every(sink.clone(), Duration::from_secs(3600));
        log(&writer, "before\n");
        drop(guard);
        assert_eq!(sink.text(), "before\n");
        log(&writer, "after\n");
        assert_eq!(sink.text(), "before\nafter\n", "closed: written at once");
    }

    /// Batches taken by the writing thread and backlogs written by logging threads
    /// reach the destination in the order they left the buffer: no thread's lines
    /// overtake each other.
    #[test]
    fn each_threads_lines_stay_in_order_under_load() {
        let sink = Sink::default();
        let (writer, guard) = batched_every(sink.clone(), Duration::from_millis(1));
        let padding = "x".repeat(90);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (writer, padding) = (&writer, &padding);
                scope.spawn(move || {
                    for i in 0..20_000 {
                        log(writer, &format!("{t} {i} {padding}\n"));
                    }
                });
            }
        });
        drop(guard);
        let text = sink.text();
        let mut next = [0u32; 4];
        for line in text.lines() {
            let mut words = line.split(' ');
            let t: usize = words.next().and_then(|w| w.parse().ok()).expect("thread");
            let i: u32 = words.next().and_then(|w| w.parse().ok()).expect("number");
            assert_eq!(i, next[t], "thread {t}'s lines out of order");
            next[t] += 1;
        }
        assert_eq!(next, [20_000; 4], "every line written once");
    }

    #[test]
    fn a_full_buffer_is_written_by_the_thread_that_logs() {
        let sink = Sink::default();
        let (writer, guard) = batched_every(sink.clone(), Duration::from_secs(3600));
        let line = "x".repeat(1000) + "\n";
        let lines = MAX_BUFFERED / line.len() + 1;
        for _ in 0..lines {
            log(&writer, &line);
        }
        assert_eq!(
            sink.writes(),
            1,
            "the backlog went out once the bound was hit"
        );
        assert_eq!(
            sink.text().len(),
            lines * line.len(),
            "with the line that hit it"
        );
        drop(guard);
        assert_eq!(
            sink.text().len(),
            lines * line.len(),
            "nothing lost, nothing twice"
        );
    }
}
