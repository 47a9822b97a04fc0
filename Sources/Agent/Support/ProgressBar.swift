#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on a terminal (`[#####-----] 50% 5000/10000`); silent when the
/// output is a file or a pipe, so scripts and logs get no control characters.
public struct ProgressBar {
    let total: Int
    let label: String
    let enabled: Bool
    var lastDrawn = -1

    public init(total: Int, label: String, fd: Int32 = STDOUT_FILENO) {
        self.total = max(total, 1)
        self.label = label
        self.enabled = isatty(fd) == 1
    }

    public mutating func update(_ done: Int) {
        guard enabled else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        print("\r\(label) [\(bar)] \(percent)% \(done)/\(total)", terminator: "")
        fflush(nil)
    }

    public func finish() {
        guard enabled else { return }
        print("")
    }
}

extension ProgressBar {
    /// A `(done, total)` callback that draws a bar labelled `label`, created on first use
    /// (when the total is known), and the function that ends it.
    public static func tracker(_ label: String) -> (update: (Int, Int) -> Void, finish: () -> Void) {
        final class Box { var bar: ProgressBar? }
        let box = Box()
        return ({ done, total in
            if box.bar == nil { box.bar = ProgressBar(total: total, label: label) }
            box.bar?.update(done)
        }, { box.bar?.finish() })
    }
}
