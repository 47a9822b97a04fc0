import Foundation

/// A test's own folder under the system's temporary folder (`$TMPDIR`, else /tmp), removed with
/// everything in it when the test is done, so that a run leaves nothing behind. With ESYNC_KEEP
/// set (as for the in-process property test) the folders are kept, to look into after a failure.
///
/// As a suite's stored property it lives as long as the test (one suite instance per test). A
/// test that makes a folder in its body removes it with `defer { TemporaryFolder.remove(path) }`
/// instead: a local object may be released after its last use, before the test ends.
public final class TemporaryFolder: Sendable {
    public let path: String

    /// A new empty folder `esync-NAME-…`.
    public init(_ name: String) {
        path = Self.make(name)
    }

    deinit { Self.remove(path) }

    /// A new empty folder `NAME-…` in this one, removed with it.
    public func subfolder(_ name: String) throws -> String {
        let folder = path + "/\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Makes a new empty folder `esync-NAME-…` and answers its path.
    public static func make(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "esync-\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Removes `path` and everything in it, unless ESYNC_KEEP is set.
    public static func remove(_ path: String) {
        guard ProcessInfo.processInfo.environment["ESYNC_KEEP"] == nil else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}
