//! The `/metrics` body as a stream of 64 KiB chunks, written by the encoder as it goes.
//!
//! At 10,000 ventures the exposition is about 29 MB. Built as one string per scrape, several
//! scrapes at once (two Prometheus servers, a curl) each hold all of it, and the allocator keeps
//! the peak long after. Streamed, a scrape holds a few chunks: the encoder runs on a blocking
//! thread and waits while the client reads (bounded channel), and stops when the client leaves.

use std::fmt;
use std::io;

use axum::body::Bytes;
use tokio::sync::mpsc;

/// Bytes gathered before a chunk is handed to the connection.
pub const CHUNK: usize = 64 * 1024;
/// Chunks queued between the encoder and the connection.
pub const QUEUED: usize = 4;

/// One piece of the body, or the error that ends it early.
pub type Piece = Result<Bytes, io::Error>;

/// A [`fmt::Write`] that sends what is written in chunks of [`CHUNK`] bytes.
#[derive(Debug)]
pub struct ChunkWriter {
    tx: mpsc::Sender<Piece>,
    buf: String,
    sent: bool,
}

impl ChunkWriter {
    /// A writer sending into `tx`.
    pub fn new(tx: mpsc::Sender<Piece>) -> Self {
        Self {
            tx,
            buf: String::with_capacity(CHUNK + CHUNK / 4),
            sent: false,
        }
    }

    /// A channel and the writer for it.
    pub fn channel() -> (Self, mpsc::Receiver<Piece>) {
        let (tx, rx) = mpsc::channel(QUEUED);
        (Self::new(tx), rx)
    }

    fn send(&mut self, piece: Piece) -> Result<(), fmt::Error> {
        self.sent = true;
        // Blocking is the point: this runs on a blocking thread, paced by the client.
        self.tx.blocking_send(piece).map_err(|_| fmt::Error)
    }

    /// Sends what is left (an empty body is sent as one empty chunk).
    pub fn finish(mut self) {
        if !self.buf.is_empty() || !self.sent {
            let rest = std::mem::take(&mut self.buf);
            let _ = self.send(Ok(Bytes::from(rest)));
        }
    }

    /// Ends the body with an error: the connection is cut, so the scrape fails visibly.
    pub fn fail(mut self, error: &dyn std::error::Error) {
        let _ = self.send(Err(io::Error::other(error.to_string())));
    }
}

impl fmt::Write for ChunkWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.push_str(s);
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, String::with_capacity(CHUNK + CHUNK / 4));
            self.send(Ok(Bytes::from(full)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::*;

    #[test]
    fn chunks_arrive_in_order_and_whole() {
        let (mut w, mut rx) = ChunkWriter::channel();
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut pieces = 0;
            while let Some(p) = rx.blocking_recv() {
                let p = p.expect("no error");
                assert!(p.len() <= CHUNK + 100);
                all.extend_from_slice(&p);
                pieces += 1;
            }
            (all, pieces)
        });
        let line = "backstop_source_up{venture=\"v00001\",source=\"pgbackrest\"} 1\n";
        for _ in 0..10_000 {
            w.write_str(line).expect("written");
        }
        w.finish();
        let (all, pieces) = reader.join().expect("reader");
        assert_eq!(all.len(), line.len() * 10_000);
        assert_eq!(
            std::str::from_utf8(&all).expect("utf8"),
            line.repeat(10_000)
        );
        assert!(pieces >= 9, "{pieces} pieces");
    }

    #[test]
    fn an_empty_body_is_one_empty_chunk() {
        let (w, mut rx) = ChunkWriter::channel();
        w.finish();
        assert_eq!(rx.blocking_recv().map(|p| p.expect("ok").len()), Some(0));
        assert!(rx.blocking_recv().is_none());
    }

    #[test]
    fn a_reader_that_leaves_stops_the_writer() {
        let (mut w, rx) = ChunkWriter::channel();
        drop(rx);
        let big = "x".repeat(CHUNK);
        assert!(w.write_str(&big).is_err());
    }

    #[test]
    fn a_failure_reaches_the_reader_as_an_error() {
        let (w, mut rx) = ChunkWriter::channel();
        w.fail(&fmt::Error);
        assert!(rx.blocking_recv().expect("a piece").is_err());
    }
}
