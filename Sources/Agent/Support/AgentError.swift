#if canImport(Glibc)
import Glibc
#endif
import CurlHTTP
import Spreadsheet
import SyncCore

/// Everything the agent can fail at, with the context an operator needs to act: the file, the
/// record, the URL, what the province said.
public enum AgentError: Error, CustomStringConvertible, Sendable {
    case io(path: String, operation: String, errno: Int32)
    case notAStore(path: String)
    case alreadyInitialized(path: String)
    case config(String)
    case corruptState(path: String, reason: String)
    case invalidRecord(file: String, reason: String)
    case recordNotFound(uscc: String)
    case lockHeld(path: String, holder: String, waitedSeconds: Double)
    case transport(CurlError)
    /// The province answered with a status other than 200 (see `ProvinceRefusal.kind`).
    case server(ProvinceRefusal)
    case protocolError(url: String, reason: String)
    /// The province answered about record `uscc` with something this store cannot take in
    /// (another record, another region; see `ProvinceAnswers`): that record waits, the rest goes on.
    case refusedAnswer(url: String, uscc: String, reason: String)
    case csv(file: String, line: Int, reason: String)
    /// An xlsx workbook that cannot be read at all (not a workbook, no such sheet, a bad header);
    /// a bad row is refused on its own instead.
    case spreadsheet(file: String, SpreadsheetError)
    /// An option that does not fit the rest of the command line (`--sheet` for a CSV file).
    case usage(String)
    /// A stop was asked for (SIGTERM) and the work stopped at a safe point.
    case stopped(String)
    /// The province refused a change set's signature or its place in the store's chain: the
    /// push stops there, the outbox file stays, and an operator must look (see the message).
    case sealRefused(file: String, message: String)
    /// The province does not recognise this store (recreated, or restored from a backup) and
    /// refused the push or pull: `esync-agent reconcile`.
    case storeIdentity(StoreIdentityConflict, url: String)
    /// The province's register is not the one this store synced with: restored from a backup
    /// (the engine heals, see `SyncEngine.heal`), or another register altogether (it stops).
    case registerMismatch(RegisterMismatch, url: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let errno):
            return "\(path): cannot \(operation): \(String(cString: strerror(errno)))"
        case .notAStore(let path):
            return "\(path) is not an esync store (no .esync/ folder); run `esync-agent init` first"
        case .alreadyInitialized(let path):
            return "\(path) is already an esync store"
        case .config(let message):
            return "configuration: \(message)"
        case .corruptState(let path, let reason):
            return "\(path): \(reason)"
        case .invalidRecord(let file, let reason):
            return "\(file): \(reason)"
        case .recordNotFound(let uscc):
            return "no record \(uscc) in the store"
        case .lockHeld(let path, let holder, let waited):
            return "the store is busy: \(path) is held by \(holder) (waited \(Int(waited)) s)"
        case .transport(let error):
            switch error.tlsFailure {
            case .serverNotTrusted?:
                return error.description + " (the province's certificate must be signed by a CA in server.caFile, or in the system's store without it, and name the host of server.url)"
            case .clientCertificateRefused?:
                return error.description + " (server.clientCert must be signed by the CA the province set as tls.clientCA, and be registered with `esync-aggregator cert add`)"
            case .localFiles?:
                return error.description + " (check server.caFile, server.clientCert and server.clientKey: PEM files readable by the agent, the key unencrypted and matching the certificate)"
            case .handshake?, nil:
                if case .responseTooLarge = error {
                    return error.description + " (server.maxAnswerBytes bounds what the agent takes from the province; a smaller sync.pageSize makes pages smaller)"
                }
                return error.description
            }
        case .server(let refusal):
            return refusal.description
        case .protocolError(let url, let reason):
            return "unexpected answer from \(url): \(reason)"
        case .refusedAnswer(let url, let uscc, let reason):
            return "the answer from \(url) about record \(uscc) is refused: \(reason); nothing of it was taken in"
        case .csv(let file, let line, let reason):
            return "\(file):\(line): \(reason)"
        case .spreadsheet(let file, let error):
            if case .notAWorkbook = error { return error.description }
            return "\(file): \(error)"
        case .usage(let message):
            return message
        case .stopped(let what):
            return "stopped: \(what)"
        case .sealRefused(let file, let message):
            return "\(message) (the push stops here; \(file) is kept, and nothing of it or of the change sets after it was applied)"
        case .storeIdentity(let conflict, let url):
            return "the province does not recognise this store (\(conflict.error), \(conflict.reason.rawValue), \(url)): \(conflict.message)"
        case .registerMismatch(let mismatch, let url):
            return "\(url): \(mismatch.message)"
        }
    }

    /// What this error means to whoever ran the command; the command line gives each its exit
    /// code (documented in `--help`).
    public enum Category: Sendable, Equatable {
        /// A bad command line or configuration, or an option that does not fit the file.
        case usage
        /// Another esync process holds the store's lock.
        case storeLocked
        /// The province does not recognise the store (made anew, or restored from a backup).
        case storeNotRecognised
        /// The province could not be reached, or answered that it is unavailable (5xx).
        case unreachable
        /// The province refused the credentials or the request (401/403), or a change set's
        /// signature or its place in the store's chain.
        case refused
        /// A record file, a CSV line or a workbook that cannot be taken, or a record not there.
        case badRecords
        /// Anything else; nothing acknowledged was lost.
        case failure
    }

    public var category: Category {
        switch self {
        case .config, .notAStore, .alreadyInitialized, .usage, .spreadsheet(_, .noSuchSheet): .usage
        case .lockHeld: .storeLocked
        case .storeIdentity: .storeNotRecognised
        case .registerMismatch(let mismatch, _) where mismatch.reason == .otherRegister: .storeNotRecognised
        case .transport(let e) where e.isConnectionProblem: .unreachable
        case .transport(let e) where e.tlsFailure == .clientCertificateRefused: .refused
        case .server(let refusal) where refusal.kind == .unauthorized || refusal.kind == .forbidden: .refused
        case .sealRefused: .refused
        case .server(let refusal) where refusal.kind == .unavailable: .unreachable
        case .invalidRecord, .csv, .recordNotFound, .spreadsheet: .badRecords
        default: .failure
        }
    }
}
