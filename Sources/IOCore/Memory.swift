#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The process's heap and descriptor budget.
public enum Memory {
    /// Gives freed heap back to the kernel (glibc's `malloc_trim(0)`: every arena, not only the top of the main
    /// one). After a flood of connections their buffers are free but stay resident until this runs.
    public static func releaseFreedHeap() {
        _ = bv_malloc_trim()
    }

    /// What a process that has finished getting going gives back: freed heap and the code pages start-up ran.
    public static func trimResidentSet() {
        releaseFreedHeap()
        dropCodePages()
    }

    /// Drops this process's resident pages of program and library code (file-backed executable mappings,
    /// which are never written): the code that start-up ran and will not run again stops counting in RSS,
    /// and what runs later faults back in from the page cache. Returns the bytes of the mappings advised.
    @discardableResult
    public static func dropCodePages() -> Int {
        bv_drop_code_pages()
    }
}
