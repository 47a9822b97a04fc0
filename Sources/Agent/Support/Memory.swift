import CPosix

/// The process's heap.
public enum Memory {
    /// One malloc arena for every thread, and blocks of 256 KB or more mapped on their own.
    /// The agent's threads (the scan ahead, the pipelined sends) mostly take turns; an arena each
    /// kept each one's freed pages apart, about 4 MB more at the peak of a first upload of
    /// 100,000 records. A change set's bodies (about 1 MB each, a few in flight) are given back
    /// when freed: left to glibc, the first one freed raises its threshold for mapping to that
    /// size, and the next ones stay in the heap, freed but held, 6 MB more at that peak with
    /// change sets of 1,000 records. (Each such block is a system call to map and one to unmap:
    /// a few a change set.) Called first thing in `main`.
    public static func shareOneHeap() { esync_share_one_heap() }
}
