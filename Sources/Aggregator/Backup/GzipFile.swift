import CEsyncZlib
import Foundation

/// Whole files through gzip, in pieces (a register's copy may be larger than memory): a backup
/// is the register's SQLite file, gzip-compressed, which `gunzip` and `sqlite3` can open too.
enum GzipFile {
    /// What went wrong with which file: zlib's reason (`unexpected end of file` for a truncated
    /// one, `incorrect data check` for one whose bytes changed) or the system's.
    struct Failure: Error, CustomStringConvertible, Sendable {
        var path: String
        var reason: String
        var description: String { "\(path): \(reason)" }
    }

    static let piece = 1 << 20

    /// Compresses `source` into a new file `destination` (mode 0600), made durable (fsync)
    /// before this returns. Returns the compressed size.
    @discardableResult
    static func compress(_ source: String, to destination: String) throws(Failure) -> Int64 {
        guard let input = FileHandle(forReadingAtPath: source) else { throw Failure(path: source, reason: "cannot be read") }
        defer { try? input.close() }
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(path: destination, reason: "cannot be created: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // gzclose closes the descriptor it was given: it gets a copy, and this one is synced.
        guard let gz = gzdopen(dup(fd), "wb6") else { throw Failure(path: destination, reason: "cannot be opened for gzip") }
        var closed = false
        defer { if !closed { gzclose(gz) } }
        while true {
            let data: Data
            do { data = try input.read(upToCount: piece) ?? Data() } catch { throw Failure(path: source, reason: "cannot be read: \(error)") }
            if data.isEmpty { break }
            let written = data.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
            guard written == data.count else { throw Failure(path: destination, reason: "cannot be written: \(message(gz))") }
        }
        closed = true
        guard gzclose(gz) == Z_OK else { throw Failure(path: destination, reason: "cannot be written (closing the gzip stream)") }
        guard fsync(fd) == 0 else { throw Failure(path: destination, reason: "cannot be synced: \(String(cString: strerror(errno)))") }
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Decompresses `source` into a new file `destination` (mode 0600). A file that is not
    /// gzip, cut short or changed is refused (its CRC and length are checked at the end).
    static func decompress(_ source: String, to destination: String) throws(Failure) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(path: source, reason: "cannot be read: \(String(cString: strerror(errno)))") }
        var magic = [UInt8](repeating: 0, count: 2)
        guard read(input, &magic, 2) == 2, magic == [0x1F, 0x8B] else {
            close(input)
            throw Failure(path: source, reason: "is not a gzip file (a backup is the register gzip-compressed)")
        }
        lseek(input, 0, SEEK_SET)
        guard let gz = gzdopen(input, "rb") else {
            close(input)
            throw Failure(path: source, reason: "cannot be opened for gzip")
        }
        defer { gzclose(gz) }
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(path: destination, reason: "cannot be created: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: piece)
        while true {
            let count = buffer.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { throw Failure(path: source, reason: "is damaged: \(message(gz))") }
            if count == 0 {
                // gzread reports a stream cut short as the end of it, with the reason kept.
                var code: Int32 = 0
                _ = gzerror(gz, &code)
                if code != Z_OK { throw Failure(path: source, reason: "is damaged: \(message(gz))") }
                break
            }
            var offset = 0
            while offset < Int(count) {
                let written = buffer[offset..<Int(count)].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard written > 0 else { throw Failure(path: destination, reason: "cannot be written: \(String(cString: strerror(errno)))") }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw Failure(path: destination, reason: "cannot be synced: \(String(cString: strerror(errno)))") }
    }

    private static func message(_ gz: gzFile) -> String {
        var code: Int32 = 0
        guard let text = gzerror(gz, &code) else { return "zlib error \(code)" }
        if code == Z_ERRNO { return String(cString: strerror(errno)) }
        // zlib puts the file's name first, which for a descriptor is "<fd:N>: ".
        let message = String(cString: text)
        guard message.hasPrefix("<fd:"), let colon = message.range(of: ">: ") else { return message }
        return String(message[colon.upperBound...])
    }
}
