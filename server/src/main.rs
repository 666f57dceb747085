//! `cargo run --release -p server`: the hotel agent on http://127.0.0.1:8080 with an
//! embedded SQLite file and the offline NLU. Settings: `--help`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = server::Config::from_args();
    server::init_logging(config.log_format);
    eprintln!("hotel agent server, effective configuration:\n{config}");
    // Before starting, so a signal during the start is a graceful stop.
    let signals = match server::Signals::listen() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot listen for SIGINT and SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    match server::Server::start(config).await {
        Ok(server) => {
            eprintln!(
                "listening on http://{} (test page at /, health at /health/ready)",
                server.local_addr()
            );
            server.run_until(signals).await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
