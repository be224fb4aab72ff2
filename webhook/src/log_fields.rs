//! The fields of a text log line, written as tracing-subscriber's default formatter
//! writes them, without going through `fmt::Debug` for the common values.
//!
//! A denial's line carries six strings, two booleans and a count; through `Debug`
//! (every string escaped a character at a time, every value through `write!`) they
//! cost two thirds of the line, about 10 000 instructions. Plain ASCII strings,
//! booleans and integers are written here byte for byte as the default formatter
//! writes them; everything else (and every field when the line is coloured) goes to
//! that formatter. The tests compare both on the same events.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};

/// The `fmt_fields` of the text format: tracing-subscriber's `DefaultFields`, faster.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainFields;

impl<'a> MakeVisitor<Writer<'a>> for PlainFields {
    type Visitor = PlainVisitor<'a>;

    fn make_visitor(&self, writer: Writer<'a>) -> Self::Visitor {
        PlainVisitor {
            writer,
            is_empty: true,
            result: Ok(()),
        }
    }
}

pub struct PlainVisitor<'a> {
    writer: Writer<'a>,
    is_empty: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// Whether this field is written here: the default formatter skips `log.` fields,
    /// strips `r#`, and colours names on a terminal; those go to it.
    fn plain(&self, field: &Field) -> bool {
        self.result.is_ok()
            && !self.writer.has_ansi_escapes()
            && !field.name().starts_with("log.")
            && !field.name().starts_with("r#")
    }

    /// The default formatter's writing of one field, with the spacing kept in step.
    fn delegate(&mut self, field: &Field, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if self.result.is_err() {
            return;
        }
        let mut visitor = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        record(&mut visitor);
        self.result = visitor.finish();
        // The default visitor (with tracing-log, a default feature) writes nothing for
        // `log.` fields, and pads only before what it writes.
        if !field.name().starts_with("log.") {
            self.is_empty = false;
        }
    }

    /// `name=` (with the space before it when a field came first), or the bare value
    /// for `message`.
    fn name(&mut self, field: &Field) {
        if !self.is_empty {
            self.result = self.writer.write_char(' ');
        }
        self.is_empty = false;
        if field.name() != "message" && self.result.is_ok() {
            self.result = self
                .writer
                .write_str(field.name())
                .and_then(|()| self.writer.write_char('='));
        }
    }

    /// A boolean or an integer: `Debug` writes them as `Display` does.
    fn scalar(
        &mut self,
        field: &Field,
        value: impl fmt::Display,
        record: impl FnOnce(&mut DefaultVisitor<'_>),
    ) {
        if !self.plain(field) || field.name() == "message" {
            return self.delegate(field, record);
        }
        self.name(field);
        if self.result.is_ok() {
            self.result = write!(self.writer, "{value}");
        }
    }
}

/// Text the default formatter writes as is: printable ASCII, without what `Debug`
/// escapes in a string (`"` and `\`).
fn debug_verbatim(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// A message the default formatter writes as is: no character its ANSI
/// sanitizing replaces (ESC, BEL, BS, FF, DEL, C1 controls) and ASCII.
fn message_verbatim(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii() && !matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f))
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let message = field.name() == "message";
        let verbatim = if message {
            // A log line is written as is whether or not ANSI sanitizing is on, when
            // there is nothing to sanitize.
            message_verbatim(value)
        } else {
            debug_verbatim(value)
        };
        if !(verbatim && self.plain(field)) {
            return self.delegate(field, |v| v.record_str(field, value));
        }
        self.name(field);
        if self.result.is_ok() {
            self.result = if message {
                self.writer.write_str(value)
            } else {
                self.writer
                    .write_char('"')
                    .and_then(|()| self.writer.write_str(value))
                    .and_then(|()| self.writer.write_char('"'))
            };
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.scalar(field, value, |v| v.record_bool(field, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.scalar(field, value, |v| v.record_u64(field, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.scalar(field, value, |v| v.record_i64(field, value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.delegate(field, |v| v.record_f64(field, value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.delegate(field, |v| v.record_error(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // A literal message (`info!("text")`) arrives as `fmt::Arguments`: written
        // as is when it is one piece of plain text.
        if field.name() == "message" && self.plain(field) {
            let mut text = String::new();
            if write!(text, "{value:?}").is_ok() && message_verbatim(&text) {
                self.name(field);
                if self.result.is_ok() {
                    self.result = self.writer.write_str(&text);
                }
                return;
            }
        }
        self.delegate(field, |v| v.record_debug(field, value));
    }
}

impl VisitOutput<fmt::Result> for PlainVisitor<'_> {
    fn finish(self) -> fmt::Result {
        self.result
    }
}

impl VisitFmt for PlainVisitor<'_> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        &mut self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::fmt::format::DefaultFields;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("unpoisoned").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// What `emit` logs through the default field formatter and through this one, in
    /// the webhook's text format without time (which differs between the two runs).
    fn both(ansi: bool, emit: impl Fn()) -> (String, String) {
        let run = |plain: bool| {
            let buffer = Buffer::default();
            let builder = tracing_subscriber::fmt()
                .with_writer(buffer.clone())
                .with_ansi(ansi)
                .without_time()
                .with_max_level(tracing::Level::TRACE);
            if plain {
                tracing::subscriber::with_default(builder.fmt_fields(PlainFields).finish(), &emit);
            } else {
                tracing::subscriber::with_default(
                    builder.fmt_fields(DefaultFields::new()).finish(),
                    &emit,
                );
            }
            let bytes = buffer.0.lock().expect("unpoisoned").clone();
            String::from_utf8(bytes).expect("UTF-8")
        };
        (run(false), run(true))
    }

    #[test]
    fn a_denial_line_is_the_default_formatters() {
        let (default, plain) = both(false, || {
            tracing::info!(
                endpoint = "validate",
                uid = "705ab4f5-6393-11e8-b7cc-42010a800002",
                kind = "FlinkDeployment",
                namespace = "flink",
                name = "job",
                operation = "CREATE",
                allowed = false,
                patched = false,
                findings = 3u64,
                "admission request denied"
            );
        });
        assert_eq!(plain, default);
        assert!(
            plain.contains(
                "admission request denied endpoint=\"validate\" \
                 uid=\"705ab4f5-6393-11e8-b7cc-42010a800002\" kind=\"FlinkDeployment\" \
                 namespace=\"flink\" name=\"job\" operation=\"CREATE\" allowed=false \
                 patched=false findings=3"
            ),
            "{plain}"
        );
    }

    #[test]
    fn what_the_fast_path_leaves_is_the_default_formatters_too() {
        let err = io::Error::other("disk \"full\"");
        let (default, plain) = both(false, || {
            tracing::warn!(error = %err, reason = "not_json", "admission request refused");
            tracing::warn!(r#type = "x", ratio = 0.5, delta = -3i64, "with {} args", 2);
            tracing::info!(message = "explicit \u{1b}[31m message", n = 1u64);
            tracing::error!(error = &err as &(dyn std::error::Error + 'static), "e");
            tracing::info!(quoted = "a \"b\" \\ c\nd", unicode = "é ☃", empty = "");
            tracing::debug!(flag = true, "escape \u{7} in text");
            tracing::info!(debugged = ?vec![1, 2], shown = %"shown");
        });
        assert_eq!(plain, default);
    }

    #[test]
    fn a_coloured_line_is_left_to_the_default_formatter() {
        let (default, plain) = both(true, || {
            tracing::info!(
                uid = "u",
                allowed = true,
                n = 2u64,
                "admission request denied"
            );
        });
        assert_eq!(plain, default);
        assert!(plain.contains('\u{1b}'), "{plain:?}");
    }

    proptest! {
        #[test]
        fn any_string_value_is_written_as_the_default_formatter_writes_it(
            a in any::<String>(),
            b in "[ -~]{0,20}",
            message in any::<String>(),
        ) {
            let (default, plain) = both(false, || {
                tracing::info!(a = a.as_str(), b = b.as_str(), ok = true, "{}", message);
                tracing::info!(message = message.as_str(), b = b.as_str());
            });
            prop_assert_eq!(plain, default);
        }
    }
}
