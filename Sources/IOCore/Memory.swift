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
}
