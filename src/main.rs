//! The `benchplan` binary: all logic lives in the library.

fn main() -> std::process::ExitCode {
    benchplan::main_with(std::env::args_os().collect()).into()
}
