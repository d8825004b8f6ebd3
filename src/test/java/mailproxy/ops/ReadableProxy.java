package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The proxy as another user can run it: this JVM's main classes and jars (not the test
 * classes) copied where every user may read them (the originals live under /root), and
 * a free port below 1024.
 */
final class ReadableProxy {
    private ReadableProxy() {}

    /** Copies the classes to {@code dir}/classes and the jars to {@code dir}/lib; the class path, relative to {@code dir}. */
    static List<String> copy(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path from = Path.of(e);
            if (e.endsWith(".jar") && Files.isRegularFile(from)) {
                String name = n++ + "-" + from.getFileName();
                Files.copy(from, lib.resolve(name));
                entries.add("lib/" + name);
            } else if (Files.isDirectory(from) && !from.endsWith("test-classes")) {
                Path to = dir.resolve("classes");
                try (Stream<Path> files = Files.walk(from)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
                entries.add("classes/");
            }
        }
        OpsFiles.Run chmod = OpsFiles.run(dir, "chmod", "-R", "a+rX", dir.toString());
        assertEquals(0, chmod.exit(), chmod.toString());
        return entries;
    }

    /** {@link #copy} as an absolute class path. */
    static String classPath(Path dir) throws IOException {
        List<String> absolute = new ArrayList<>();
        for (String e : copy(dir)) absolute.add(dir.resolve(e).toString());
        return String.join(File.pathSeparator, absolute);
    }

    /**
     * {@link #copy} behind {@code dir}/mailproxy.jar, a jar of nothing but a manifest (Main-Class,
     * and a Class-Path relative to it), so that {@code java -jar} runs it as it runs the real one.
     */
    static Path jar(Path dir) throws IOException {
        List<String> entries = copy(dir);
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "mailproxy.Main");
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", entries));
        Path jar = dir.resolve("mailproxy.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            // the manifest is all
        }
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar;
    }

    /** A free port in 600-700 on 127.0.0.1 (root may bind there; no one else is supposed to). */
    static int lowPort() throws IOException {
        return lowPort(599);
    }

    /** A free port in 600-700 above {@code after}. */
    static int lowPort(int after) throws IOException {
        for (int port = after + 1; port <= 700; port++) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // the next one
            }
        }
        throw new IOException("no free port in " + (after + 1) + "-700 on 127.0.0.1");
    }
}
