#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A one-line progress bar on standard error when it is a terminal
/// (`import [####------] 40% 4000/10000`); nothing otherwise, so logs, pipes and files get no
/// control characters. A class, so that its `update` can be handed on as a callback.
public final class ProgressBar {
    let label: String
    let enabled: Bool
    var lastPercent = -1

    /// `enabled: false` for a command whose answer goes to the same terminal (an export to
    /// standard output).
    public init(_ label: String, enabled: Bool = true) {
        self.label = label
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    public func update(_ done: Int, of total: Int) {
        guard enabled else { return }
        let percent = total <= 0 ? 100 : min(100, done * 100 / total)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
        // What was printed before goes first.
        fflush(nil)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% \(done)/\(total)".utf8))
    }

    public func finish() {
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// True when standard output is a terminal: an export written there shows no bar.
    public static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
