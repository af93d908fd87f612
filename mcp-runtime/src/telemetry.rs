//! Logging set-up: `tracing` to **stderr** (stdout belongs to the stdio transport), and, with
//! the `otel` feature, OpenTelemetry traces exported over OTLP/HTTP (the `otel` module).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[cfg(feature = "otel")]
pub mod otel;

/// Installs a stderr `tracing` subscriber filtered by `RUST_LOG` (default `info`).
/// `MCP_LOG_FORMAT=json` switches to one JSON object per line. Safe to call twice.
///
/// With the `otel` feature, traces are exported too when `OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (see the `otel` module); a failure to set the
/// exporter up is logged and logging goes on without it.
pub fn init_stderr() {
    #[cfg(feature = "otel")]
    if otel::configured_by_env() {
        match otel::init(&otel::OtelSettings::default()) {
            Ok(()) => return,
            Err(e) => {
                install(None);
                tracing::warn!(error = %e, "OpenTelemetry traces are off");
                return;
            }
        }
    }
    install(None);
}

/// The subscriber: the `RUST_LOG` filter, stderr lines, and `otel` when given.
type Boxed = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

fn install(otel: Option<Boxed>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let fmt: Boxed = if std::env::var("MCP_LOG_FORMAT").is_ok_and(|f| f == "json") {
        Box::new(fmt.json())
    } else {
        Box::new(fmt)
    };
    let layers: Vec<Boxed> = std::iter::once(fmt).chain(otel).collect();
    let _ = tracing_subscriber::registry()
        .with(layers)
        .with(filter)
        .try_init();
}

/// Flushes and stops trace export (with the `otel` feature; otherwise nothing to do). Call
/// it before the process exits so the last spans are not lost.
pub fn shutdown() {
    #[cfg(feature = "otel")]
    otel::shutdown();
}
