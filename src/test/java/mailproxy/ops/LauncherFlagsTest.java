package mailproxy.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import mailproxy.testing.Procs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM flags of the launcher (src/main/sh/mailproxy; README.md, "Running in production"): the
 * ones it picks when MAILPROXY_JAVA_OPTS is empty, and that the variable replaces them all.
 * The JVM prints its flags (-XX:+PrintCommandLineFlags) at startup; a jar of one empty main
 * stands for mailproxy's.
 */
@Timeout(120)
class LauncherFlagsTest {
    @TempDir
    Path dir;

    /** What the JVM the launcher starts says about its flags, with this JDK (25). */
    private String flags(String javaOpts) throws Exception {
        Path jar = dir.resolve("empty.jar");
        if (!Files.exists(jar)) writeJar(jar);
        List<String> cmd = new ArrayList<>(List.of("env", "-u", "MAILPROXY_JAVA_OPTS",
                "JAVA_HOME=" + System.getProperty("java.home"), "MAILPROXY_JAR=" + jar,
                "JDK_JAVA_OPTIONS=-XX:+PrintCommandLineFlags"));
        if (javaOpts != null) cmd.add("MAILPROXY_JAVA_OPTS=" + javaOpts);
        cmd.addAll(List.of("sh", OpsFiles.project().resolve("src/main/sh/mailproxy").toString(), "--version"));
        Path out = dir.resolve("launcher-" + (javaOpts == null ? "default" : "opts") + ".txt");
        Procs.run(out, Duration.ofSeconds(60), cmd.toArray(String[]::new));
        return Files.readString(out);
    }

    /** A jar whose main is {@link Empty}. */
    private static void writeJar(Path jar) throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Empty.class.getName());
        String entry = Empty.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
                InputStream in = Empty.class.getResourceAsStream("/" + entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
    }

    /** Starts and ends. */
    public static final class Empty {
        public static void main(String[] args) {
        }
    }

    /**
     * glibc keeps freed native memory resident (the JIT's scratch memory, TLS handshakes'
     * buffers): a trim every second gives it back (bench/RESULTS.md, "Issue 22: idle TLS
     * memory taken apart").
     */
    @Test
    void defaultsTrimTheNativeHeapEverySecond() throws Exception {
        String f = flags(null);
        assertTrue(f.contains("-XX:TrimNativeHeapInterval=1000"), f);
        assertTrue(f.contains("-XX:+UseSerialGC") && f.contains("-XX:+UseCompactObjectHeaders"), f);
    }

    @Test
    void javaOptsReplaceEveryDefault() throws Exception {
        String f = flags("-XX:+UseParallelGC");
        assertTrue(f.contains("-XX:+UseParallelGC"), f);
        assertFalse(f.contains("TrimNativeHeapInterval") || f.contains("-XX:+UseSerialGC"), f);
    }
}
