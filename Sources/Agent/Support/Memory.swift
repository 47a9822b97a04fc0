import CPosix

/// The process's heap.
public enum Memory {
    /// One malloc arena for every thread. The agent's threads (the scan ahead, the pipelined
    /// sends) mostly take turns; an arena each kept each one's freed pages apart, about 4 MB more
    /// at the peak of a first upload of 100,000 records. Called first thing in `main`.
    public static func shareOneHeap() { esync_share_one_heap() }
}
