//! Command-line interface: `main` maps `run(parse())` to an exit code. The arguments
//! (`args`), the terminal (`terminal`: progress, signals, exit codes) and what each command
//! prints (`commands`) live beside this file; every computation is the library's.

mod args;
mod commands;
mod terminal;

use std::process::ExitCode;

/// mimalloc keeps freed pages for reuse. glibc's allocator hands a Monte Carlo trial's
/// ≈ 50 MB of matrices back to the kernel after every trial and faults them in again on
/// the next: a third of a trial's time (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match args::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match commands::run(cli) {
        Ok(terminal::Outcome::Done) => ExitCode::SUCCESS,
        Ok(terminal::Outcome::CheckFailed) => ExitCode::from(1),
        Err(f) => {
            eprintln!("error: {}", f.message());
            ExitCode::from(f.exit_code())
        }
    }
}
