import Glibc
import Testing
import TestSupport
@testable import IOCore

/// The file calls that replaced Foundation's `FileManager` and `ProcessInfo` in the daemon, on a real temp directory.
@Suite struct FileSystemTests {
    @Test func directoriesAreCreatedWithTheirParentsAndTheModeWhateverTheUmask() async throws {
        try await withTemporaryDirectory { dir in
            let old = umask(0o077)
            defer { umask(old) }
            try FileSystem.createDirectories("\(dir)/a/b/run", mode: 0o750)
            var st = stat()
            #expect(stat("\(dir)/a/b/run", &st) == 0 && st.st_mode & 0o777 == 0o750)
            #expect(stat("\(dir)/a", &st) == 0 && st.st_mode & 0o777 == 0o700) // 0777 less the umask, as mkdir -p
            // An existing directory is left as it is.
            chmod("\(dir)/a/b/run", 0o700)
            try FileSystem.createDirectories("\(dir)/a/b/run", mode: 0o750)
            #expect(stat("\(dir)/a/b/run", &st) == 0 && st.st_mode & 0o777 == 0o700)
        }
    }

    @Test func aTreeIsListedAndRemovedWithoutFollowingLinks() async throws {
        try await withTemporaryDirectory { dir in
            try FileSystem.createDirectories("\(dir)/keep", mode: 0o700)
            try AtomicFile.replace("\(dir)/keep/file", with: Array("kept".utf8))
            try FileSystem.createDirectories("\(dir)/tree/sub", mode: 0o700)
            try AtomicFile.replace("\(dir)/tree/sub/x", with: [1])
            #expect(symlink("\(dir)/keep", "\(dir)/tree/link") == 0)
            #expect(try FileSystem.entries("\(dir)/tree").sorted() == ["link", "sub"])
            #expect(try FileSystem.linkDestination("\(dir)/tree/link") == "\(dir)/keep")
            try FileSystem.removeTree("\(dir)/tree")
            #expect(!FileSystem.exists("\(dir)/tree"))
            #expect(try readFile("\(dir)/keep/file") == Array("kept".utf8))
            try FileSystem.removeTree("\(dir)/tree") // already gone: nothing to do
            #expect(throws: SystemError.self) { try FileSystem.entries("\(dir)/tree") }
        }
    }

    @Test func theEnvironmentIsReadFromEnviron() {
        setenv("BOTVISOR_FS_TEST", "a=b", 1)
        defer { unsetenv("BOTVISOR_FS_TEST") }
        #expect(ProcessEnvironment.current["BOTVISOR_FS_TEST"] == "a=b")
        #expect(ProcessEnvironment.current["PATH"] == getenv("PATH").map { String(cString: $0) })
    }
}
