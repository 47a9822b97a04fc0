/// The stat cache of the working copy, `.esync/index`: per record, the size, mtime and inode of
/// its file when last read, the content hash of what was read, and the hash and revision of its
/// base. A scan reads a record file only when its stat differs from the cache.
///
/// Racy files: mtimes come from a coarse clock, so a file edited within the same tick as the
/// read keeps its mtime (and often its size). Like git, an entry read when its mtime (or ctime)
/// was recent is stored with size -1 and is read again by the next scan, until it is old enough
/// to trust. How recent depends on the file system: on a local one whose timestamps come from
/// this machine's clock tick (1–10 ms; ext4, XFS, btrfs, tmpfs, overlay, F2FS) and whose ctime
/// shows a fraction of a second (the kernel sets it, never a program), `fineRacyWindowNs`,
/// several ticks; anywhere else `racyWindowNs`: whole-second timestamps (ext3's small inodes),
/// FAT, and network file systems, whose times come from the server's clock. "Recent" is
/// measured from a moment no later than the last time the content the entry names was known to
/// be in the file: the scan's snapshot, or for a file the agent writes, a time taken before its
/// batch renames it into place (a bureau's save after that, even within the same tick, then
/// leaves the entry racy).
///
/// Every command reads the index, and a sync of a store of 100,000 records looks up every
/// entry: entries are kept without a heap allocation each (credit codes and hashes packed into
/// integers), the file is parsed without making strings, and a save appends the entries that
/// changed instead of rewriting them all.
public struct StatIndex: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Size of the working file, -1 when it must be re-read (racy or unknown).
        public var size: Int64 = -1
        public var mtimeNs: Int64 = 0
        /// The inode change time catches an edit whose mtime was set back (`touch -d`, `cp -p`).
        public var ctimeNs: Int64 = 0
        public var inode: UInt64 = 0
        var doc = PackedHash()
        var base = PackedHash()
        public var baseRevision: Int64 = -1

        /// Content hash of the parsed working document; "" when there is no working file;
        /// "!" followed by the reason when it is invalid.
        public var docHash: String {
            get { doc.text }
            set { doc = PackedHash(newValue) }
        }
        /// Content hash of the base document; "" when there is no base.
        public var baseHash: String {
            get { base.text }
            set { base = PackedHash(newValue) }
        }

        public var hasWorkingFile: Bool { !doc.isEmpty }
        public var invalidReason: String? { doc.invalidReason }
        public var hasBase: Bool { !base.isEmpty }
        /// The working copy differs from what the province acknowledged.
        public var isPending: Bool { doc.invalidReason == nil && doc != base }

        public init() {}

        /// A new file a push's scan left for its diff to read (`Scanner.scan(deferNew:)`): its
        /// stat as seen, its hash `Scanner.unreadHash`, never trusted as unchanged.
        init(unread stat: FileSystem.Stat) {
            size = stat.size
            mtimeNs = stat.mtimeNs
            ctimeNs = stat.ctimeNs
            inode = stat.inode
            doc.other = Scanner.unreadHash
        }

        /// Its file was seen but not read yet (see `init(unread:)`).
        var isUnread: Bool { doc.other != nil && doc.other == Scanner.unreadHash }

        /// The stat an unread entry keeps.
        var unreadStat: FileSystem.Stat { FileSystem.Stat(size: size, mtimeNs: mtimeNs, ctimeNs: ctimeNs, inode: inode, isRegular: true) }
    }

    public static let header = "esync-index 3"
    /// How long a file's stat is not trusted after it changed: anywhere but on the file systems
    /// described above.
    public static let racyWindowNs: Int64 = 2_000_000_000
    /// The same on a local file system with fine timestamps (see above).
    public static let fineRacyWindowNs: Int64 = 100_000_000

    public var entries = Entries()
    /// Records in the file beyond one per entry: superseded records and removals.
    var supersededRecords = 0
    /// Where the file's last whole record ends; 0 before the file was read or written, or when
    /// it was read in an earlier version's form.
    var fileLength = 0
    /// Read from a file in an earlier version's form (text): the next save writes it whole,
    /// even with nothing changed.
    var needsRewrite = false
    /// The file's inode when read or written: a save appends only to that file (a command that
    /// read the index without the store's lock may find it rewritten by another since).
    var fileInode: UInt64 = 0

    public init() {}

    public static func == (a: StatIndex, b: StatIndex) -> Bool { a.entries == b.entries }
}
