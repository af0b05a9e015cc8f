// Placeholder while the module is built out: replaced by the ChildProcess type on swift-subprocess.
enum ChildProcessesPlaceholder {}
